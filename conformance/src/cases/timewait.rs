//! The cases of a timewait-type socket (`inet_timewait_sock`), in either
//! substate: TIME-WAIT proper ([`super::session`]: the kernel closes first)
//! and the FIN-WAIT-2 of an orphaned socket ([`super::kit::closing::orphan`]). One
//! table-driven builder runs them all: a setup brings a connection into the
//! substate, one probe reaches the timewait socket, then a certain answer
//! tells whether it survived.
//!
//! Segments to a timewait socket take Linux's TIME-WAIT path, which checks
//! no TCP-MD5 signature. The model gives the check (`Receiver::TimeWait`:
//! none on Linux), what the timewait socket does (`timewait_action` for its
//! `TimeWaitState`), the signer of its ACKs (the connection's key, copied
//! into the timewait socket) and of its resets (`closed_port_reset`: the
//! socket is not a full one). The certain answer is a signed segment far
//! below the window: a live timewait socket ACKs it, a gone one leaves it to
//! the keyed listener, whose answer is the model's (`listener_reset`: an
//! RST signed with its key). The
//! socket's row in `/proc/net/tcp{,6}` (substate, timer code 3 of timewait
//! sockets, inode 0) shows which kind of socket it is, before the probe and
//! at the end: `TCP_INFO` needs a descriptor, and a timewait socket has
//! none. Every kernel segment is verified by the reference library.

use tcpmd5::verdict::{
    TimeWaitAction, TimeWaitSubstate, closed_port_reset, listener_reset, reset_listener_port,
    timewait_action,
};
use tcpmd5::wire::TcpFlags;

use super::kit::closing::{self, TwSock, timewait_verdict};
use super::kit::common::{key, wrong_key};
use super::kit::conn::{Established, Step, established, finish, record_verdict};
use super::kit::replies::{Want, check_replies, exchange_signed_by, reset_want, want_words};
use super::kit::tw_probe::{Edge, Probe};
use crate::case::{Case, Ctx};
use crate::error::Error;
use crate::harness::{proc_tcp, sysctl};
use crate::peer::{Auth, Peer};
use crate::record::Record;
use crate::segment::SegmentSpec;
use crate::words;

/// Which timewait socket a case sets up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Setup {
    /// TIME-WAIT after the kernel closed first ([`super::session`]).
    TimeWait,
    /// An orphaned FIN-WAIT-2 ([`super::kit::closing::orphan`]).
    OrphanFinWait2,
}

impl Setup {
    /// Brings an established connection into the timewait socket.
    fn run(self, ctx: &mut Ctx<'_>, rec: &mut Record, conn: Established) -> Result<TwSock, Error> {
        match self {
            Setup::TimeWait => closing::time_wait(ctx, rec, conn),
            Setup::OrphanFinWait2 => closing::orphan(ctx, rec, conn),
        }
    }

    /// The area, the prefix of the case names and of the summaries.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Setup::TimeWait => ("session-close", "time-wait-", ""),
            Setup::OrphanFinWait2 => (
                "session-finwait",
                "orphan-fin-wait-2-",
                "orphaned FIN-WAIT-2 (timewait socket): ",
            ),
        }
    }
}

/// How far into the window the off-path RST lands.
const IN_WINDOW_OFFSET: u32 = 1000;

/// One case of the table.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// The timewait socket.
    setup: Setup,
    /// The case name (after the setup's prefix).
    name: &'static str,
    /// Salt of ports and sequence numbers.
    salt: u16,
    /// The segment sent to the timewait socket.
    probe: Probe,
    /// What it checks (after the setup's prefix).
    summary: &'static str,
}

/// Every case of a timewait socket.
fn rows() -> Vec<Row> {
    use Setup::{OrphanFinWait2 as Orphan, TimeWait};
    let signed = || Auth::Signed(key());
    let unsigned = || Auth::Unsigned;
    let other_key = || Auth::Signed(wrong_key());
    let psh_ack = TcpFlags::PSH | TcpFlags::ACK;
    vec![
        Row {
            setup: TimeWait,
            name: "signed-fin",
            salt: 5,
            probe: Probe::RetransmittedFin(signed),
            summary: "kernel closes first; a signed retransmitted FIN reaching TIME-WAIT is answered by a signed ACK that verifies",
        },
        Row {
            setup: TimeWait,
            name: "unsigned-fin",
            salt: 6,
            probe: Probe::RetransmittedFin(unsigned),
            summary: "an unsigned retransmitted FIN reaching a TIME-WAIT socket whose connection had a key",
        },
        Row {
            setup: TimeWait,
            name: "wrong-key-fin",
            salt: 6,
            probe: Probe::RetransmittedFin(other_key),
            summary: "a retransmitted FIN signed with the wrong key reaching TIME-WAIT",
        },
        Row {
            setup: TimeWait,
            name: "unsigned-rst",
            salt: 7,
            probe: Probe::Rst(0, unsigned),
            summary: "an unsigned in-window RST reaching TIME-WAIT: does it kill the TIME-WAIT socket?",
        },
        Row {
            setup: TimeWait,
            name: "signed-rst",
            salt: 7,
            probe: Probe::Rst(0, signed),
            summary: "a signed in-window RST reaching TIME-WAIT",
        },
        Row {
            setup: Orphan,
            name: "signed-fin",
            salt: 50,
            probe: Probe::Fin(signed),
            summary: "the peer's signed FIN is ACKed by a signed ACK that verifies; TIME-WAIT follows",
        },
        Row {
            setup: Orphan,
            name: "unsigned-fin",
            salt: 51,
            probe: Probe::Fin(unsigned),
            summary: "the peer's unsigned FIN is not checked: ACKed (signed with the timewait key), TIME-WAIT follows",
        },
        Row {
            setup: Orphan,
            name: "wrong-key-fin",
            salt: 52,
            probe: Probe::Fin(other_key),
            summary: "a FIN signed with another key is not checked: ACKed, TIME-WAIT follows",
        },
        Row {
            setup: Orphan,
            name: "unsigned-data",
            salt: 53,
            probe: Probe::Data(unsigned),
            summary: "unsigned in-window data is not checked: new data after close() is answered by an unsigned RST and the socket is gone",
        },
        Row {
            setup: Orphan,
            name: "unsigned-rst",
            salt: 54,
            probe: Probe::Rst(0, unsigned),
            summary: "an unsigned RST at rcv_nxt is not checked: it kills the socket silently",
        },
        Row {
            setup: Orphan,
            name: "unsigned-rst-in-window",
            salt: 55,
            probe: Probe::Rst(IN_WINDOW_OFFSET, unsigned),
            summary: "an unsigned RST 1000 bytes into the window (an off-path guess, no RFC 5961 exact match) kills the socket",
        },
        // The window's and the sequence checks' exact edges
        // (`tcp_in_window`, `timewait_action`'s `before()`s), unsigned.
        Row {
            setup: Orphan,
            name: "data-ending-at-rcv-nxt",
            salt: 56,
            probe: Probe::Edge {
                flags: psh_ack,
                edge: Edge::RcvNxt,
                delta: -1,
                payload: b"x",
            },
            summary: "one byte at rcv_nxt - 1 ends where the window starts: out of window, answered by a signed ACK; the socket stays",
        },
        Row {
            setup: Orphan,
            name: "data-last-in-window",
            salt: 57,
            probe: Probe::Edge {
                flags: psh_ack,
                edge: Edge::WindowEnd,
                delta: -1,
                payload: b"x",
            },
            summary: "one byte at the window's last number is in the window: new data after close(), an unsigned RST, the socket is gone",
        },
        Row {
            setup: Orphan,
            name: "data-at-window-end",
            salt: 58,
            probe: Probe::Edge {
                flags: psh_ack,
                edge: Edge::WindowEnd,
                delta: 0,
                payload: b"x",
            },
            summary: "one byte starting exactly at the window's end is out of window: a signed ACK, the socket stays",
        },
        Row {
            setup: Orphan,
            name: "syn-at-rcv-nxt",
            salt: 59,
            probe: Probe::Edge {
                flags: TcpFlags::SYN,
                edge: Edge::RcvNxt,
                delta: 0,
                payload: &[],
            },
            summary: "an unsigned SYN at rcv_nxt (not before it) kills the socket with an unsigned RST",
        },
        Row {
            setup: Orphan,
            name: "syn-below-rcv-nxt",
            salt: 60,
            probe: Probe::Edge {
                flags: TcpFlags::SYN,
                edge: Edge::RcvNxt,
                delta: -1,
                payload: b"x",
            },
            summary: "an unsigned SYN with one byte at rcv_nxt - 1 touches the window but starts before rcv_nxt, has no ACK: ignored, the socket stays",
        },
        Row {
            setup: TimeWait,
            name: "syn-at-rcv-nxt",
            salt: 8,
            probe: Probe::Edge {
                flags: TcpFlags::SYN,
                edge: Edge::RcvNxt,
                delta: 0,
                payload: &[],
            },
            summary: "an unsigned SYN at rcv_nxt (not after it) does not reopen TIME-WAIT: answered by a signed ACK",
        },
        Row {
            setup: TimeWait,
            name: "ack-at-rcv-nxt",
            salt: 61,
            probe: Probe::Edge {
                flags: TcpFlags::ACK,
                edge: Edge::RcvNxt,
                delta: 0,
                payload: &[],
            },
            summary: "an unsigned bare ACK at rcv_nxt is ignored in TIME-WAIT (only an RST or a bare ACK may sit there): no reply, the socket stays",
        },
    ]
}

/// `st` in `/proc/net/tcp` of a timewait socket in `substate`.
fn st(substate: TimeWaitSubstate) -> u8 {
    match substate {
        TimeWaitSubstate::FinWait2 => 5,
        TimeWaitSubstate::TimeWait => 6,
    }
}

/// The `/proc/net/tcp{,6}` row of the connection.
fn row(peer: &Peer) -> Result<Option<proc_tcp::TcpRow>, Error> {
    proc_tcp::row(peer.kernel(), peer.peer()).map_err(Error::io("reading /proc/net/tcp"))
}

/// The end state on the case line: the timewait socket's substate, `no
/// socket`, or a full socket.
fn end_state(row: Option<proc_tcp::TcpRow>) -> String {
    match row {
        Some(r) if r.is_timewait_sock() && r.inode == 0 => words::tcp_state(r.state),
        other => words::proc_row(other),
    }
}

/// Requires the row of a timewait-type socket in `substate`.
fn check_timewait_row(
    rec: &mut Record,
    peer: &Peer,
    substate: TimeWaitSubstate,
    when: &str,
) -> Result<Option<proc_tcp::TcpRow>, Error> {
    let st = st(substate);
    let r = row(peer)?;
    rec.check(
        r.is_some_and(|r| r.is_timewait_sock() && r.state == st && r.inode == 0),
        format!(
            "{when}: /proc/net/tcp shows {}, want a timewait socket in {} (timer 3, inode 0)",
            words::proc_row(r),
            words::substate(substate)
        ),
    );
    rec.note(format!(
        "{when}: /proc/net/tcp shows {}",
        words::proc_row(r)
    ));
    Ok(r)
}

/// The replies the model predicts for `action` on `probe`.
fn want_for(
    action: TimeWaitAction,
    probe: &SegmentSpec,
    tw: &TwSock,
    ctx: &Ctx<'_>,
) -> Result<Want, Error> {
    Ok(match action {
        TimeWaitAction::Ack { enters_time_wait } => Some((
            TcpFlags::ACK,
            tw.state.rcv_nxt + u32::from(enters_time_wait),
            tw.keys
                .lookup(tw.peer.addrs.src(), 0)
                .map(|e| e.key.clone()),
        )),
        TimeWaitAction::ResetAndKill => {
            let packet = probe.packet();
            let port = reset_listener_port(&packet).map_err(Error::model("the probe"))?;
            let table = (port == tw.listener.addr.port()).then_some(&tw.listener.model);
            let reply = closed_port_reset(&packet, table, 0, ctx.env.semantics)
                .map_err(Error::model("the probe"))?;
            reset_want(reply, probe)
        }
        TimeWaitAction::Kill | TimeWaitAction::Ignore | TimeWaitAction::Reopen => None,
    })
}

/// Sends `probe` to the timewait socket and checks verdict and replies
/// against the model; returns the action the model predicts.
fn probe_timewait(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    tw: &mut TwSock,
    segment: &SegmentSpec,
    rfc1337: bool,
) -> Result<TimeWaitAction, Error> {
    let name = "probe";
    let expected = timewait_verdict(ctx, segment, &tw.keys)?;
    // A segment the check drops (only a bad checksum on Linux; under
    // rfc2385 a bad signature too) never reaches the timewait socket: no
    // reply, and the socket is as it was, as for `Ignore`.
    let action = if expected.is_accept() {
        timewait_action(&segment.packet(), tw.state, rfc1337).map_err(Error::model("the probe"))?
    } else {
        TimeWaitAction::Ignore
    };
    let want = want_for(action, segment, tw, ctx)?;
    let signer = want.as_ref().and_then(|(_, _, k)| k.clone());
    let obs = exchange_signed_by(ctx, &mut tw.peer, segment, signer)?;
    record_verdict(rec, &tw.peer, Step::probe(name), &obs, expected);
    rec.note(if expected.is_accept() {
        format!(
            "{name}: the model's action: {}",
            words::timewait_action(action)
        )
    } else {
        format!("{name}: dropped before the timewait socket")
    });
    let seen = check_replies(rec, name, &obs, &want);
    rec.step(want_words(&want), seen);
    if let TimeWaitAction::Ack {
        enters_time_wait: true,
    } = action
    {
        tw.peer.sent(1);
        tw.state.substate = TimeWaitSubstate::TimeWait;
        tw.state.rcv_nxt = tw.peer.snd_nxt;
    }
    Ok(action)
}

/// The certain answer after the probe: one signed byte far below the
/// window, answered by the timewait socket if `alive`, else by the keyed
/// listener; then the socket's row.
fn certain_answer(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    tw: &mut TwSock,
    alive: bool,
    rfc1337: bool,
) -> Result<(), Error> {
    let ka = tw.peer.keepalive();
    let (want, after) = if alive {
        let a = timewait_action(&ka.packet(), tw.state, rfc1337)
            .map_err(Error::model("the keepalive"))?;
        (want_for(a, &ka, tw, ctx)?, "alive")
    } else {
        // No timewait socket: the listener on the port takes it.
        let reply = listener_reset(&ka.packet(), &tw.listener.model, 0, ctx.env.semantics)
            .map_err(Error::model("the keepalive"))?;
        (reset_want(reply, &ka), "gone")
    };
    let signer = want.as_ref().and_then(|(_, _, k)| k.clone());
    let obs = exchange_signed_by(ctx, &mut tw.peer, &ka, signer)?;
    check_replies(rec, &format!("signed probe after ({after})"), &obs, &want);
    if alive {
        let r = check_timewait_row(rec, &tw.peer, tw.state.substate, "at the end")?;
        rec.step(words::substate(tw.state.substate), end_state(r));
    } else {
        let r = row(&tw.peer)?;
        rec.check(
            r.is_none(),
            format!("at the end: a socket is left: {}", words::proc_row(r)),
        );
        rec.note(format!(
            "at the end: /proc/net/tcp shows {}",
            words::proc_row(r)
        ));
        rec.step(words::proc_row(None), end_state(r));
    }
    Ok(())
}

/// The cases of the timewait socket that `setup` makes.
//= type=test
//= linux/timewait-unchecked
//= linux/timewait-state
//= linux/listener-ack-reset
pub(super) fn cases(setup: Setup) -> Vec<Case> {
    let (area, prefix, summary_prefix) = setup.names();
    let mut cases = Vec::new();
    for Row {
        name,
        salt,
        probe,
        summary,
        ..
    } in rows().into_iter().filter(|r| r.setup == setup)
    {
        let id = format!("{prefix}{name}");
        let summary = format!("{summary_prefix}{summary}");
        cases.extend(Case::per_family(area, &id, &summary, move |ctx, family| {
            let mut rec = Record::new();
            let conn = established(ctx, family, salt)?;
            let mut tw = setup.run(ctx, &mut rec, conn)?;
            check_timewait_row(&mut rec, &tw.peer, tw.state.substate, "after the setup")?;
            let rfc1337 = sysctl::read("net/ipv4/tcp_rfc1337")
                .map_err(Error::harness("reading tcp_rfc1337"))?
                != "0";
            let segment = probe.segment(&tw);
            let action = probe_timewait(ctx, &mut rec, &mut tw, &segment, rfc1337)?;
            certain_answer(ctx, &mut rec, &mut tw, action.survives(), rfc1337)?;
            rec.note(format!(
                "{}: the timewait socket {} ({}); tcp_rfc1337 {}",
                segment_name(&segment),
                if action.survives() {
                    "survived"
                } else {
                    "is gone"
                },
                words::timewait_action(action),
                u8::from(rfc1337)
            ));
            Ok(finish(rec, &[&tw.peer]))
        }));
    }
    cases
}

fn segment_name(s: &SegmentSpec) -> String {
    format!(
        "{} at seq {:#x}{}",
        words::flags(s.tcp.flags),
        s.tcp.seq,
        if s.tcp.options.is_empty() {
            ", unsigned"
        } else {
            ", with an MD5 option"
        }
    )
}
