//! A generated segment on an established connection.
//!
//! The kernel's verdict is read without inference: `tcpi_segs_in` moves by
//! one exactly when the segment passed the authentication check (see
//! [`crate::harness::tcp_info`]); the drop reason from the counters and
//! tracepoints ([`crate::judge::witnesses`]). Accepting must then have the
//! TCP effect [`tcp_effect::established`] gives (data delivered, FIN or
//! reset taken, the certain ACK carrying the new `rcv_nxt`), dropping none
//! at all (no reply, same state, nothing to read). Every segment the kernel
//! sends is verified by the peer.

use std::os::fd::AsFd;

use tcpmd5::wire::{IpSegment, TcpFlags, TcpPacket};
use tcpmd5::{Checksums, DropReason, Semantics, Verdict, VerdictId, packet_verdict};

use super::input::{Input, Place, SegmentKind};
use super::judged::{Judged, inferred};
use super::probe::{Flippable, Header, build};
use super::targets::{Connection, Targets};
use super::tcp_effect::{self, Effect};
use crate::error::Error;
use crate::exchange::Observation;
use crate::harness::tcp_info::{
    STATE_CLOSE, STATE_CLOSE_WAIT, STATE_ESTABLISHED, TcpInfo, tcp_info,
};
use crate::judge::witnesses;
use crate::record::Record;

/// Flag bits carried over from the generated segment: PSH, ECE, CWR.
const EXTRA_FLAGS: u16 = 0x0c8;

/// What the kernel was seen to do: a verdict, or something else.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Verdict(VerdictId),
    Other(String),
}

impl Seen {
    fn name(&self) -> String {
        match self {
            Seen::Verdict(id) => id.to_string(),
            Seen::Other(s) => format!("other: {s}"),
        }
    }
}

/// The verdict from `tcpi_segs_in` and the counters. `tcpi_segs_in` counts
/// every segment the authentication check passed (`tcp_segs_in` in
/// `tcp_v{4,6}_rcv`), one then dropped for its checksum included.
fn seen(passed: u32, obs: &Observation) -> Seen {
    let moved: Vec<(&String, &i64)> = obs.auth_counters.iter().collect();
    let reason = |name: &str| {
        DropReason::ALL
            .into_iter()
            .find(|r| r.counter() == Some(name))
    };
    match (passed, moved.as_slice()) {
        (1, []) => Seen::Verdict(VerdictId::Accept),
        (0 | 1, [(name, 1)]) => match reason(name) {
            Some(r) if passed == 0 || r == DropReason::TcpChecksum => {
                Seen::Verdict(VerdictId::Drop(r))
            }
            _ => Seen::Other(format!("tcpi_segs_in +{passed}, {name} +1")),
        },
        // Not counted: on >= 6.7 the TCP_AUTH_HDR drop (its tracepoint is
        // checked by the witnesses where tracing works).
        (0, []) => Seen::Verdict(VerdictId::Drop(DropReason::AuthHeader)),
        _ => Seen::Other(format!(
            "tcpi_segs_in +{passed}, counters {:?}",
            obs.auth_counters
        )),
    }
}

/// The `tcpi_segs_in` step the model implies: one for a segment that
/// passes the authentication check, whatever happens to it then.
fn passes_auth(verdict: Verdict, packet: &[u8]) -> u32 {
    let after_auth = || {
        IpSegment::parse(packet)
            .is_ok_and(|located| Checksums::Verify.after_auth(&located).is_some())
    };
    match verdict {
        Verdict::Accept(_) => 1,
        Verdict::Drop(DropReason::TcpChecksum) => u32::from(after_auth()),
        Verdict::Drop(_) => 0,
    }
}

pub(crate) fn flags_for(kind: SegmentKind, generated: TcpFlags) -> TcpFlags {
    let extra = TcpFlags(generated.0 & EXTRA_FLAGS);
    match kind {
        SegmentKind::Data => TcpFlags::ACK | extra,
        SegmentKind::Ack => TcpFlags::ACK | TcpFlags(extra.0 & !TcpFlags::PSH.0),
        // RST with or without ACK, as generated.
        SegmentKind::Rst => TcpFlags::RST | TcpFlags(generated.0 & TcpFlags::ACK.0),
        SegmentKind::Fin => TcpFlags::FIN | TcpFlags::ACK | extra,
    }
}

/// Runs one case on the established connection. `Err` is a harness failure.
//= type=test
//= 2.0/verify
//= 2.0/silent-drop
//= 4.0/key-config
//= linux/md5-notfound
//= linux/md5-unexpected
//= linux/auth-hdr-drop
//= linux/ao-unchecked
//= linux/md5-keys-parse
pub(super) fn run(
    t: &mut Targets,
    semantics: Semantics,
    input: &Input,
    kind: SegmentKind,
    place: Place,
) -> Result<Judged, Error> {
    let result = run_on(t, semantics, input, kind, place);
    // Whatever happened, a connection that is not known to be ESTABLISHED
    // with the peer's numbers right is replaced for the next case.
    if !matches!(&result, Ok((_, true))) {
        t.drop_connection();
    }
    result.map(|(judged, _)| judged)
}

/// The judgement, and whether the connection is still ESTABLISHED and in
/// step with the peer.
fn run_on(
    t: &mut Targets,
    semantics: Semantics,
    input: &Input,
    kind: SegmentKind,
    place: Place,
) -> Result<(Judged, bool), Error> {
    t.connection(input.receiver_key.as_ref(), input.key_scope)?;
    let (lab, barrier, conn) = t.with_connection()?;
    let rcv_nxt = conn.peer.snd_nxt.0;
    let header = Header {
        addrs: conn.peer.addrs,
        src_port: conn.peer.peer_port,
        dst_port: conn.peer.kernel_port,
        seq: place.seq(rcv_nxt),
        ack: conn.peer.rcv_nxt.0,
        flags: flags_for(kind, input.base.flags),
        payload: match kind {
            SegmentKind::Data | SegmentKind::Fin => true,
            SegmentKind::Rst => input.keep_payload,
            SegmentKind::Ack => false,
        },
    };
    let key = conn.peer.kernel_key.clone();
    let spec = build(input, header, key.as_ref(), Flippable::Established);
    let packet = spec.packet();
    let segment = spec.segment();
    let tcp = TcpPacket::new_checked(&segment[..]).map_err(Error::model("the probe"))?;
    let verdict =
        packet_verdict(&packet, &conn.model, 0, semantics).map_err(Error::model("the probe"))?;
    let info = |c: &Connection| tcp_info(c.sock.as_fd()).map_err(Error::errno("TCP_INFO"));
    let before = info(conn)?;
    if before.state != STATE_ESTABLISHED {
        return Err(Error::NotSeen(format!(
            "an established connection before the case, not tcpi_state {}",
            before.state
        )));
    }
    // Problems the peer found before (the handshake's segments) are this
    // case's too.
    let obs = conn.peer.exchange(lab, barrier, &spec)?;
    let after = info(conn)?;
    let read = conn.read_now();

    let mut problems = std::mem::take(&mut conn.peer.record).into_problems();
    let mut notes = Vec::new();
    let passed = after.segs_in.wrapping_sub(before.segs_in);
    let seen = seen(passed, &obs);
    if seen != Seen::Verdict(verdict.id()) {
        problems.push(format!("kernel: {}, model: {}", seen.name(), verdict.id()));
    } else if passed != passes_auth(verdict, &packet) {
        // Same drop, other stage: before or after the MD5 check.
        problems.push(format!(
            "tcpi_segs_in +{passed}, the model's stage implies +{}",
            passes_auth(verdict, &packet)
        ));
    }
    let mut witnessed = Record::new();
    witnesses(&obs, verdict, &mut witnessed);
    let (witness_problems, witness_notes) = witnessed.into_problems_and_notes();
    problems.extend(witness_problems);
    notes.extend(witness_notes);

    // The effect the verdict implies, from the segment as sent.
    let effect = if verdict.is_accept() {
        tcp_effect::established(tcp.flags(), tcp.seq_number(), tcp.payload().len(), rcv_nxt)
    } else {
        Effect::NONE
    };
    let new_rcv_nxt = rcv_nxt.wrapping_add(effect.rcv_advance());
    let payload = tcp.payload();
    check_effect(effect, (&before, &after), &read, payload, &mut problems);
    check_replies(&obs, verdict, [rcv_nxt, new_rcv_nxt], &mut problems);
    conn.peer.sent(effect.rcv_advance() as usize);
    // Data or a FIN taken in order may leave a delayed ACK pending: the
    // certain answer flushes it and shows the kernel's rcv_nxt.
    let alive = !effect.reset && !effect.fin;
    if !effect.reset && effect.rcv_advance() > 0 {
        let (ack, _) = conn.peer.certain_ack(lab, barrier)?;
        match ack {
            Some(a) if a.ack.0 == new_rcv_nxt => {
                notes.push(format!("rcv_nxt {new_rcv_nxt:#x} acknowledged"))
            }
            Some(a) => problems.push(format!(
                "the kernel acknowledges {:#x}, want {new_rcv_nxt:#x}",
                a.ack.0
            )),
            None => problems.push("no answer to the certain-ACK probe".to_owned()),
        }
        problems.extend(std::mem::take(&mut conn.peer.record).into_problems());
    }
    notes.push(format!(
        "tcpi_segs_in +{}, tcpi_state {}, {} replies",
        after.segs_in.wrapping_sub(before.segs_in),
        after.state,
        obs.replies.len()
    ));
    // Data or a FIN accepted ahead of rcv_nxt waits in the out-of-order
    // queue, where later cases would meet it: start afresh after it.
    let queued = verdict.is_accept()
        && matches!(place, Place::Ahead(_))
        && (!payload.is_empty() || tcp.flags().contains(TcpFlags::FIN));
    if queued {
        notes.push("accepted ahead of rcv_nxt: out-of-order queue".to_owned());
    }
    let in_step = alive && !queued && problems.is_empty();
    Ok((
        Judged {
            verdict,
            expected: verdict.id().to_string(),
            observed: seen.name(),
            problems,
            notes,
            packet,
            inferred: inferred(&obs, verdict),
        },
        in_step,
    ))
}

/// Holds the socket's state, its byte count and what the application
/// read against the effect.
pub(crate) fn check_effect(
    effect: Effect,
    (before, after): (&TcpInfo, &TcpInfo),
    read: &std::io::Result<Option<Vec<u8>>>,
    payload: &[u8],
    problems: &mut Vec<String>,
) {
    let want_state = if effect.reset {
        STATE_CLOSE
    } else if effect.fin {
        STATE_CLOSE_WAIT
    } else {
        STATE_ESTABLISHED
    };
    if after.state != want_state {
        problems.push(format!(
            "tcpi_state {}, want {want_state} ({})",
            after.state,
            describe(effect)
        ));
    }
    // tcpi_bytes_received follows rcv_nxt (tcp_rcv_nxt_update): a FIN counts.
    let received = after.bytes_received.wrapping_sub(before.bytes_received);
    if received != u64::from(effect.rcv_advance()) {
        problems.push(format!(
            "tcpi_bytes_received +{received}, want +{}",
            effect.rcv_advance()
        ));
    }
    let read_ok = match read {
        Err(e) => effect.reset && e.raw_os_error() == Some(libc::ECONNRESET),
        Ok(None) => effect.delivered == 0 && !effect.fin && !effect.reset,
        Ok(Some(bytes)) if effect.delivered > 0 => bytes.as_slice() == payload,
        Ok(Some(bytes)) => bytes.is_empty() && effect.fin,
    };
    if !read_ok {
        let got = match read {
            Ok(Some(b)) => format!("{} bytes", b.len()),
            Ok(None) => "nothing".to_owned(),
            Err(e) => e.to_string(),
        };
        problems.push(format!(
            "the application read {got}, want {}",
            describe(effect)
        ));
    }
}

/// A dropped segment gets no reply; an accepted one at most ACKs of the
/// kernel's `rcv_nxt` before or after it.
fn check_replies(obs: &Observation, verdict: Verdict, acks: [u32; 2], problems: &mut Vec<String>) {
    for r in &obs.replies {
        let plain_ack = r.flags.contains(TcpFlags::ACK)
            && !r.flags.contains(TcpFlags::RST)
            && !r.flags.contains(TcpFlags::SYN);
        if !verdict.is_accept() {
            problems.push(format!(
                "the kernel answered a dropped segment ({})",
                r.flags
            ));
        } else if !plain_ack || !acks.contains(&r.ack.0) {
            problems.push(format!(
                "reply {} ack {:#x}, want an ACK of {:#x} or {:#x}",
                r.flags, r.ack.0, acks[0], acks[1]
            ));
        }
    }
}

fn describe(effect: Effect) -> String {
    match effect {
        Effect { reset: true, .. } => "reset".to_owned(),
        Effect {
            delivered: 0,
            fin: false,
            ..
        } => "no effect".to_owned(),
        Effect { delivered, fin, .. } => format!(
            "{delivered} bytes delivered{}",
            if fin { ", FIN" } else { "" }
        ),
    }
}
