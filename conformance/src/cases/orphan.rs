//! An orphaned FIN-WAIT-2 socket: the application `close()`s a keyed
//! established socket, the peer ACKs the kernel's FIN, and
//! `tcp_rcv_state_process` replaces the socket by a timewait-type socket in
//! substate FIN-WAIT-2 (`tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)`, since
//! `tcp_fin_timeout` is at most 60 s). Segments to it take the TIME-WAIT
//! path, which checks no TCP-MD5 signature.
//!
//! The cases are rows of the timewait-socket table ([`super::timewait`]),
//! which takes every expectation from the model (`timewait_action` in
//! substate FIN-WAIT-2) and verifies every kernel segment.

use tcpmd5::verdict::TimeWaitSubstate;
use tcpmd5::wire::TcpFlags;

use super::common::key;
use super::session::{Established, Tally, expect_kernel_fin, predict};
use super::timewait::{self, Setup, TwSock};
use crate::case::{Case, Ctx};
use crate::harness::sysctl;
use crate::peer::Auth;

/// A keyed accepted connection, `close()`d, its FIN ACKed by a signed ACK:
/// an orphaned FIN-WAIT-2.
pub(super) fn orphan(
    ctx: &mut Ctx<'_>,
    t: &mut Tally,
    conn: Established,
) -> Result<TwSock, String> {
    let fin_timeout = sysctl::read("net/ipv4/tcp_fin_timeout").map_err(|e| e.to_string())?;
    t.check(
        fin_timeout.parse::<u32>().is_ok_and(|s| s <= 60),
        format!("tcp_fin_timeout {fin_timeout}: above 60 s the orphan stays a full socket"),
    );
    let (listener, mut peer, conn) = conn;
    let keys = conn.model.clone();
    drop(conn); // close(): no descriptor, no TCP_INFO from here on.
    let fin = peer
        .wait_for(&mut ctx.lab, &|f| f.contains(TcpFlags::FIN))?
        .ok_or("no FIN from the kernel after close()")?;
    expect_kernel_fin(t, &peer, &fin, "close()");
    peer.rcv_nxt = fin.seq.wrapping_add(1);
    let ack = peer.ack(&Auth::Signed(key()));
    let e = predict(&ack, &keys, ctx.env.semantics)?;
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &ack)?;
    t.verdict("signed ACK of the orphan's FIN", &obs, e);
    TwSock::new(listener, peer, keys, TimeWaitSubstate::FinWait2, &fin)
}

/// Cases of the orphaned FIN-WAIT-2 socket.
pub fn cases() -> Vec<Case> {
    timewait::cases(Setup::OrphanFinWait2)
}
