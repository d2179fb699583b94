//! An orphaned FIN-WAIT-2 socket: the application `close()`s a keyed
//! established socket, the peer ACKs the kernel's FIN, and
//! `tcp_rcv_state_process` replaces the socket by a timewait-type socket in
//! substate FIN-WAIT-2 (`tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)`, since
//! `tcp_fin_timeout` is at most 60 s). Segments to it take the TIME-WAIT
//! path, which checks no TCP-MD5 signature.
//!
//! The model gives the check (`Receiver::TimeWait`: none), what the
//! timewait socket does (`timewait_action`), the signer of its ACKs (the
//! connection's key, copied into the timewait socket) and of its resets
//! (`closed_port_reset`: the socket is not a full one). Afterwards a signed
//! segment far below the window is a certain answer: a live timewait socket
//! ACKs it, a gone one leaves it to the keyed listener, which answers with
//! an RST signed with its key. The socket's row in `/proc/net/tcp{,6}`
//! (substate, timer code 3 of timewait sockets, inode 0) shows which kind
//! of socket it is: `TCP_INFO` needs a descriptor, and there is none after
//! `close()`. Every kernel segment is verified by the reference library.

use tcpmd5::key_table::{KeyTable, Md5SigRequest};
use tcpmd5::verdict::{
    Acceptance, Receiver, ReceiverVerdict, ResetReply, TimeWaitAction, TimeWaitState,
    TimeWaitSubstate, closed_port_reset, receiver_verdict, reset_listener_port, timewait_action,
};
use tcpmd5::wire::{TcpFlags, TcpPacket};
use tcpmd5::{Family, Key, Verdict};

use super::common::{key, wrong_key};
use super::session::{Tally, established, predict};
use crate::case::{Case, Ctx};
use crate::exchange::Observation;
use crate::harness::{proc_tcp, sysctl};
use crate::listener::Listener;
use crate::outcome::Finding;
use crate::peer::{Auth, Peer};
use crate::segment::SegmentSpec;

fn run(f: impl FnOnce() -> Result<Finding, String>) -> Finding {
    f().unwrap_or_else(Finding::error)
}

/// `st` of FIN-WAIT-2 in `/proc/net/tcp`.
const ST_FIN_WAIT2: u8 = 5;
/// `st` of TIME-WAIT.
const ST_TIME_WAIT: u8 = 6;
/// How far into the window the off-path RST lands.
const IN_WINDOW_OFFSET: u32 = 1000;

/// The segment sent to the orphaned FIN-WAIT-2 socket.
#[derive(Debug, Clone, Copy)]
enum Probe {
    /// FIN ACK at `rcv_nxt` with the given authentication.
    Fin(fn() -> Auth),
    /// Data at `rcv_nxt`.
    Data(fn() -> Auth),
    /// RST ACK at `rcv_nxt + offset`.
    Rst(u32, fn() -> Auth),
}

impl Probe {
    fn segment(self, peer: &Peer) -> SegmentSpec {
        match self {
            Probe::Fin(a) => peer.fin(&a()),
            Probe::Data(a) => peer.data(b"UPDATE", &a()),
            Probe::Rst(offset, a) => peer.rst(offset, &a()),
        }
    }
}

/// The connection's key table, which the timewait socket keeps a copy of.
fn tw_table(peer: &Peer) -> KeyTable {
    let mut t = KeyTable::new();
    if let Some(k) = &peer.kernel_key {
        let src = peer.addrs.src();
        let _ = t.apply(
            Family::of(&src),
            &Md5SigRequest::add(src, k),
            &[] as &[(i32, bool)],
        );
    }
    t
}

/// The `/proc/net/tcp{,6}` row of the connection.
fn row(peer: &Peer) -> Result<Option<proc_tcp::TcpRow>, String> {
    proc_tcp::row(peer.kernel(), peer.peer()).map_err(|e| format!("/proc/net/tcp: {e}"))
}

/// Requires the row of a timewait-type socket in substate `st`.
fn check_timewait_row(t: &mut Tally, peer: &Peer, st: u8, when: &str) -> Result<(), String> {
    let r = row(peer)?;
    t.check(
        r.is_some_and(|r| r.is_timewait_sock() && r.state == st && r.inode == 0),
        format!("{when}: /proc/net/tcp row {r:?}, want a timewait socket (timer 3, inode 0) in st {st:02X}"),
    );
    t.observed.push(format!("{when}: /proc/net/tcp row {r:?}"));
    Ok(())
}

/// Sends `probe` with the replies verified against `signer` (the key the
/// model says signs them, `None`: unsigned).
fn exchange_signed_by(
    ctx: &mut Ctx<'_>,
    peer: &mut Peer,
    probe: &SegmentSpec,
    signer: Option<Key>,
) -> Result<Observation, String> {
    let kept = std::mem::replace(&mut peer.kernel_key, signer);
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, probe);
    peer.kernel_key = kept;
    obs
}

/// A keyed accepted connection, `close()`d, its FIN ACKed by a signed ACK:
/// an orphaned FIN-WAIT-2, checked to be a timewait-type socket.
fn orphan(
    ctx: &mut Ctx<'_>,
    family: Family,
    salt: u16,
    t: &mut Tally,
) -> Result<(Listener, Peer, TimeWaitState), String> {
    let fin_timeout = sysctl::read("net/ipv4/tcp_fin_timeout").map_err(|e| e.to_string())?;
    t.check(
        fin_timeout.parse::<u32>().is_ok_and(|s| s <= 60),
        format!("tcp_fin_timeout {fin_timeout}: above 60 s the orphan stays a full socket"),
    );
    let (listener, mut peer, conn) = established(ctx, family, salt)?;
    let model = conn.model.clone();
    drop(conn); // close(): no descriptor, no TCP_INFO from here on.
    let fin = peer
        .wait_for(&mut ctx.lab, &|f| f.contains(TcpFlags::FIN))?
        .ok_or("no FIN from the kernel after close()")?;
    t.check(
        fin.seq == peer.rcv_nxt,
        format!(
            "the kernel's FIN at {:#x}, expected {:#x}",
            fin.seq, peer.rcv_nxt
        ),
    );
    t.fin_retransmit = Some(fin.seq);
    t.notes
        .push("the kernel's FIN after close() verified".into());
    peer.rcv_nxt = fin.seq.wrapping_add(1);
    // No window scaling (the peer's SYN offers none): the FIN's window is
    // the receive window the timewait socket keeps.
    let rcv_wnd = TcpPacket::new_checked(&fin.segment[..])
        .map(|p| u32::from(p.window()))
        .map_err(|e| format!("the kernel's FIN: {e}"))?;
    let ack = peer.ack(&Auth::Signed(key()));
    let e = predict(&ack, &model, ctx.env.semantics)?;
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &ack)?;
    t.verdict("signed ACK of the orphan's FIN", &obs, e);
    check_timewait_row(t, &peer, ST_FIN_WAIT2, "after the ACK of the FIN")?;
    let state = TimeWaitState {
        substate: TimeWaitSubstate::FinWait2,
        rcv_nxt: peer.snd_nxt,
        rcv_wnd,
    };
    Ok((listener, peer, state))
}

/// The model's verdict on `probe` at the timewait socket (no check: an
/// acceptance that moves no counter).
fn tw_verdict(probe: &SegmentSpec, peer: &Peer, ctx: &Ctx<'_>) -> Result<Verdict, String> {
    match receiver_verdict(
        &probe.packet(),
        &tw_table(peer),
        0,
        ctx.env.semantics,
        Receiver::TimeWait,
    ) {
        Ok(ReceiverVerdict::Checked(v)) => Ok(v),
        Ok(ReceiverVerdict::NotChecked) => Ok(Verdict::Accept(Acceptance::Unsigned)),
        other => Err(format!(
            "the model's verdict at a timewait socket: {other:?}"
        )),
    }
}

/// What the model expects back: the flags, acknowledgement (ACK) or sequence
/// (RST) number, and the signer; `None`: no reply.
type Want = Option<(TcpFlags, u32, Option<Key>)>;

/// The replies the model predicts for `action` on `probe`.
fn want_for(
    action: TimeWaitAction,
    probe: &SegmentSpec,
    peer: &Peer,
    listener: &Listener,
    ctx: &Ctx<'_>,
) -> Result<Want, String> {
    Ok(match action {
        TimeWaitAction::Ack { enters_time_wait } => Some((
            TcpFlags::ACK,
            if enters_time_wait {
                peer.snd_nxt.wrapping_add(1)
            } else {
                peer.snd_nxt
            },
            peer.kernel_key.clone(),
        )),
        TimeWaitAction::ResetAndKill => {
            let packet = probe.packet();
            let port = reset_listener_port(&packet).map_err(|e| e.to_string())?;
            let table = (port == listener.addr.port()).then_some(&listener.model);
            match closed_port_reset(&packet, table, 0, ctx.env.semantics)
                .map_err(|e| e.to_string())?
            {
                ResetReply::None => None,
                ResetReply::Unsigned => Some((TcpFlags::RST, probe.ack, None)),
                ResetReply::Signed(k) => Some((TcpFlags::RST, probe.ack, Some(k))),
            }
        }
        TimeWaitAction::Kill | TimeWaitAction::Ignore | TimeWaitAction::Reopen => None,
    })
}

/// Requires exactly the reply `want` (flags, number, and the signer, which
/// [`exchange_signed_by`] verified).
fn check_replies(t: &mut Tally, step: &str, obs: &Observation, want: &Want) {
    let seen: Vec<String> = obs
        .replies
        .iter()
        .map(|r| format!("{} seq {:#x} ack {:#x}", r.flags, r.seq, r.ack))
        .collect();
    t.observed.push(format!("{step}: replies {seen:?}"));
    let ok = match want {
        None => obs.replies.is_empty(),
        Some((flags, number, _)) => {
            obs.replies.len() == 1
                && obs.replies.iter().all(|r| {
                    r.flags.contains(*flags)
                        && if flags.contains(TcpFlags::RST) {
                            r.seq == *number
                        } else {
                            r.flags == TcpFlags::ACK && r.ack == *number
                        }
                })
        }
    };
    let want_text = match want {
        None => "no reply".to_owned(),
        Some((f, n, k)) => format!(
            "{f} {} {n:#x} {}",
            if f.contains(TcpFlags::RST) {
                "seq"
            } else {
                "ack"
            },
            if k.is_some() { "signed" } else { "unsigned" }
        ),
    };
    t.expected.push(format!("{step}: {want_text}"));
    t.check(ok, format!("{step}: replies {seen:?}, model: {want_text}"));
}

fn orphan_case(name: &str, summary: &str, salt: u16, probe: Probe) -> Vec<Case> {
    let id = format!("orphan-fin-wait-2-{name}");
    let summary = format!("orphaned FIN-WAIT-2 (timewait socket): {summary}");
    Case::per_family("session-finwait", &id, &summary, move |ctx, family| {
        run(|| {
            let mut t = Tally::default();
            let (listener, mut peer, mut state) = orphan(ctx, family, salt, &mut t)?;
            let rfc1337 = sysctl::read("net/ipv4/tcp_rfc1337").map_err(|e| e.to_string())? != "0";
            let segment = probe.segment(&peer);
            let step = "probe";
            let expected = tw_verdict(&segment, &peer, ctx)?;
            let action = timewait_action(&segment.packet(), state, rfc1337)
                .map_err(|e| format!("the model cannot read the probe: {e}"))?;
            let want = want_for(action, &segment, &peer, &listener, ctx)?;
            let signer = want.as_ref().and_then(|(_, _, k)| k.clone());
            let obs = exchange_signed_by(ctx, &mut peer, &segment, signer)?;
            t.verdict(step, &obs, expected);
            t.expected.push(format!("{step}: {action:?}"));
            check_replies(&mut t, step, &obs, &want);
            if let TimeWaitAction::Ack {
                enters_time_wait: true,
            } = action
            {
                peer.sent(1);
                state.substate = TimeWaitSubstate::TimeWait;
                state.rcv_nxt = peer.snd_nxt;
            }
            // Certain answer: one signed byte far below the window.
            let ka = peer.keepalive();
            let (want, after) = if action.survives() {
                let a = timewait_action(&ka.packet(), state, rfc1337)
                    .map_err(|e| format!("the model cannot read the keepalive: {e}"))?;
                (want_for(a, &ka, &peer, &listener, ctx)?, "alive")
            } else {
                // The keyed listener takes it and resets, signed with its key.
                let k = listener.key_for(peer.addrs.src());
                (Some((TcpFlags::RST, ka.ack, k)), "gone")
            };
            let signer = want.as_ref().and_then(|(_, _, k)| k.clone());
            let obs = exchange_signed_by(ctx, &mut peer, &ka, signer)?;
            check_replies(
                &mut t,
                &format!("signed probe after ({after})"),
                &obs,
                &want,
            );
            let st = match state.substate {
                TimeWaitSubstate::FinWait2 => ST_FIN_WAIT2,
                TimeWaitSubstate::TimeWait => ST_TIME_WAIT,
            };
            if action.survives() {
                check_timewait_row(&mut t, &peer, st, "at the end")?;
            } else {
                let r = row(&peer)?;
                t.check(r.is_none(), format!("at the end: a socket is left: {r:?}"));
                t.observed
                    .push(format!("at the end: /proc/net/tcp row {r:?}"));
            }
            t.notes.push(format!(
                "{}: the timewait socket {} ({action:?}); tcp_rfc1337 {}",
                segment_name(&segment),
                if action.survives() {
                    "survived"
                } else {
                    "is gone"
                },
                u8::from(rfc1337)
            ));
            Ok(t.finish(&[&peer]))
        })
    })
}

fn segment_name(s: &SegmentSpec) -> String {
    format!(
        "{} at seq {:#x}{}",
        s.flags,
        s.seq,
        if s.options.is_empty() {
            ", unsigned"
        } else {
            ", with an MD5 option"
        }
    )
}

/// Cases of the orphaned FIN-WAIT-2 socket.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(orphan_case(
        "signed-fin",
        "the peer's signed FIN is ACKed by a signed ACK that verifies; TIME-WAIT follows",
        50,
        Probe::Fin(|| Auth::Signed(key())),
    ));
    cases.extend(orphan_case(
        "unsigned-fin",
        "the peer's unsigned FIN is not checked: ACKed (signed with the timewait key), TIME-WAIT follows",
        51,
        Probe::Fin(|| Auth::Unsigned),
    ));
    cases.extend(orphan_case(
        "wrong-key-fin",
        "a FIN signed with another key is not checked: ACKed, TIME-WAIT follows",
        52,
        Probe::Fin(|| Auth::Signed(wrong_key())),
    ));
    cases.extend(orphan_case(
        "unsigned-data",
        "unsigned in-window data is not checked: new data after close() is answered by an unsigned RST and the socket is gone",
        53,
        Probe::Data(|| Auth::Unsigned),
    ));
    cases.extend(orphan_case(
        "unsigned-rst",
        "an unsigned RST at rcv_nxt is not checked: it kills the socket silently",
        54,
        Probe::Rst(0, || Auth::Unsigned),
    ));
    cases.extend(orphan_case(
        "unsigned-rst-in-window",
        "an unsigned RST 1000 bytes into the window (an off-path guess, no RFC 5961 exact match) kills the socket",
        55,
        Probe::Rst(IN_WINDOW_OFFSET, || Auth::Unsigned),
    ));
    cases
}
