//! Bringing a connection to a timewait-type socket (`inet_timewait_sock`):
//! TIME-WAIT after the kernel closed first, and the FIN-WAIT-2 of an
//! orphaned socket. The cases of both are rows of [`super::super::timewait`].
//!
//! The orphan: the application `close()`s a keyed established socket, the
//! peer ACKs the kernel's FIN, and `tcp_rcv_state_process` replaces the
//! socket by a timewait-type socket in substate FIN-WAIT-2
//! (`tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)`, since `tcp_fin_timeout` is at
//! most 60 s). Segments to it take Linux's TIME-WAIT path, which checks no
//! TCP-MD5 signature.

use tcpmd5::key_table::KeyTable;
use tcpmd5::verdict::{
    Acceptance, Receiver, ReceiverVerdict, TimeWaitState, TimeWaitSubstate, Verdict,
};
use tcpmd5::wire::{TcpFlags, TcpPacket};

use super::common::key;
use super::conn::{Established, Step, expect_kernel_fin, kernel_fin, step};
use crate::case::Ctx;
use crate::error::Error;
use crate::exchange::Reply;
use crate::harness::sysctl;
use crate::listener::Listener;
use crate::model_query::receiver_verdict;
use crate::peer::{Auth, Peer};
use crate::record::Record;
use crate::segment::SegmentSpec;
use crate::words;

/// A timewait-type socket a setup left behind.
#[derive(Debug)]
pub(in crate::cases) struct TwSock {
    /// The keyed listener the connection was accepted from.
    pub listener: Listener,
    /// The peer of the connection.
    pub peer: Peer,
    /// The connection's key table, which the timewait socket keeps a copy of.
    pub keys: KeyTable,
    /// Its substate and receive state.
    pub state: TimeWaitState,
}

impl TwSock {
    /// The timewait socket of the connection `peer` (accepted from
    /// `listener`, keys `keys`) in `substate`, expecting the peer's
    /// `snd_nxt`; `last` is the kernel's last segment before it, whose window
    /// (no window scaling: the peer's SYN offers none) is the receive window
    /// the timewait socket keeps.
    pub(in crate::cases) fn new(
        listener: Listener,
        peer: Peer,
        keys: KeyTable,
        substate: TimeWaitSubstate,
        last: &Reply,
    ) -> Result<TwSock, Error> {
        let rcv_wnd = TcpPacket::new_checked(&last.segment[..])
            .map(|p| u32::from(p.window()))
            .map_err(Error::model(
                "the kernel's segment before the timewait socket",
            ))?;
        let state = TimeWaitState {
            substate,
            rcv_nxt: peer.snd_nxt,
            rcv_wnd,
        };
        Ok(TwSock {
            listener,
            peer,
            keys,
            state,
        })
    }
}

/// The kernel closes first (`shutdown(SHUT_WR)`), the peer's signed FIN
/// acknowledges its FIN, the descriptor is closed: a TIME-WAIT socket.
pub(in crate::cases) fn time_wait(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    conn: Established,
) -> Result<TwSock, Error> {
    let (listener, mut peer, conn) = conn;
    let fin = kernel_fin(ctx, &mut peer, &conn)?;
    expect_kernel_fin(rec, &mut peer, &fin, "shutdown(SHUT_WR)");
    peer.rcv_nxt = fin.seq + 1;
    // The peer's FIN acknowledging the kernel's: FIN-WAIT-1 -> TIME-WAIT.
    let probe = peer.fin(&Auth::Signed(key()));
    let at = Step::setup("peer FIN in FIN-WAIT");
    let (expected, obs) = step(ctx, rec, &mut peer, at, &probe, &conn.model)?;
    if expected.is_accept() {
        peer.sent(1);
    }
    let ack = obs
        .replies
        .iter()
        .find(|r| r.flags == TcpFlags::ACK && r.ack == peer.snd_nxt)
        .cloned()
        .ok_or_else(|| Error::NotSeen("no ACK of the peer's FIN entering TIME-WAIT".to_owned()))?;
    let keys = conn.model.clone();
    drop(conn);
    TwSock::new(listener, peer, keys, TimeWaitSubstate::TimeWait, &ack)
}

/// A keyed accepted connection, `close()`d, its FIN ACKed by a signed ACK:
/// an orphaned FIN-WAIT-2.
pub(in crate::cases) fn orphan(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    conn: Established,
) -> Result<TwSock, Error> {
    let fin_timeout = sysctl::read("net/ipv4/tcp_fin_timeout")
        .map_err(Error::harness("reading tcp_fin_timeout"))?;
    rec.check(
        fin_timeout.parse::<u32>().is_ok_and(|s| s <= 60),
        format!("tcp_fin_timeout {fin_timeout}: above 60 s the orphan stays a full socket"),
    );
    let (listener, mut peer, conn) = conn;
    let keys = conn.model.clone();
    drop(conn); // close(): no descriptor, no TCP_INFO from here on.
    let fin = peer
        .wait_for(&mut ctx.lab, &|f| f.contains(TcpFlags::FIN))?
        .ok_or_else(|| Error::NotSeen("no FIN from the kernel after close()".to_owned()))?;
    expect_kernel_fin(rec, &mut peer, &fin, "close()");
    peer.rcv_nxt = fin.seq + 1;
    let ack = peer.ack(&Auth::Signed(key()));
    let at = Step::setup("signed ACK of the orphan's FIN");
    step(ctx, rec, &mut peer, at, &ack, &keys)?;
    TwSock::new(listener, peer, keys, TimeWaitSubstate::FinWait2, &fin)
}

/// The model's verdict on `probe` at a timewait socket holding `keys`:
/// Linux's TIME-WAIT path (`tcp_v{4,6}_rcv` goes to it before
/// `tcp_inbound_hash`) checks no authentication, TCP-MD5 or TCP-AO, so
/// `NotChecked` is an acceptance that moves no counter and only a bad
/// checksum drops; held to `rfc2385`, the socket checks like any other.
pub(in crate::cases) fn timewait_verdict(
    ctx: &Ctx<'_>,
    probe: &SegmentSpec,
    keys: &KeyTable,
) -> Result<Verdict, Error> {
    let packet = probe.packet();
    match receiver_verdict(&packet, keys, 0, ctx.env.semantics, Receiver::TimeWait) {
        Ok(ReceiverVerdict::Checked(v)) => Ok(v),
        Ok(ReceiverVerdict::NotChecked) => Ok(Verdict::Accept(Acceptance::Unsigned)),
        Ok(other) => Err(Error::Unmodelled(format!(
            "the model's verdict at a timewait socket: {}",
            words::receiver_verdict(other)
        ))),
        Err(e) => Err(Error::model("the probe")(e)),
    }
}
