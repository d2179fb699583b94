//! Turning an observation into the kernel's verdict, and holding it and every
//! witness against the model's prediction.

use tcpmd5::scan::AuthScan;
use tcpmd5::sign::LINUX_MD5_PREFIX;
use tcpmd5::verdict::{Acceptance, DropReason, Verdict, VerdictId, verify_segment};
use tcpmd5::wire::{TcpFlags, TcpPacket};
use tcpmd5::{Key, Semantics};

use crate::exchange::{Observation, Reply};
use crate::outcome::Finding;

/// What the kernel was seen to do with a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// Answered (for a SYN: a SYN-ACK acknowledging it).
    Accepted,
    /// Dropped, with the reason the witnesses point to.
    Dropped(DropReason),
    /// Anything else (an RST, several counters, ...).
    Other(String),
}

/// The drop reason a counter name stands for.
fn reason_of_counter(name: &str) -> Option<DropReason> {
    DropReason::ALL
        .into_iter()
        .find(|r| r.counter() == Some(name))
}

/// Finds the verdict in an observation of a probe that, if accepted, is
/// answered by a segment acknowledging `acked` (a SYN's ISN + 1).
pub fn observe(obs: &Observation, acked: u32) -> Observed {
    let answered = obs
        .replies
        .iter()
        .any(|r| r.ack == acked && r.flags.contains(TcpFlags::ACK));
    let moved: Vec<(&String, &i64)> = obs.auth_counters.iter().collect();
    if answered && moved.is_empty() {
        return Observed::Accepted;
    }
    match (obs.replies.is_empty(), moved.as_slice()) {
        (true, [(name, 1)]) => match reason_of_counter(name) {
            Some(r) => Observed::Dropped(r),
            None => Observed::Other(format!("silent, {name} +1")),
        },
        // A silent drop that moves no counter: on >= 6.7 that is TCP_AUTH_HDR.
        (true, []) => Observed::Dropped(DropReason::AuthHeader),
        _ => Observed::Other(format!(
            "{} replies ({}), counters {:?}",
            obs.replies.len(),
            obs.replies
                .iter()
                .map(|r| r.flags.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            obs.auth_counters
        )),
    }
}

fn describe(observed: &Observed) -> String {
    match observed {
        Observed::Accepted => VerdictId::Accept.to_string(),
        Observed::Dropped(r) => VerdictId::Drop(*r).to_string(),
        Observed::Other(s) => format!("other: {s}"),
    }
}

/// Checks a reply the kernel signed (or should not have signed).
/// `key`: the key the kernel holds for the peer, if any.
pub fn check_reply_signature(
    reply: &Reply,
    key: Option<&Key>,
    problems: &mut Vec<String>,
    notes: &mut Vec<String>,
) {
    let Ok(tcp) = TcpPacket::new_checked(&reply.segment[..]) else {
        problems.push("reply is not a valid TCP segment".to_owned());
        return;
    };
    if !tcp.verify_checksum(&reply.addrs) {
        problems.push("reply TCP checksum is wrong".to_owned());
    }
    let scan = Semantics::Rfc2385.scan(tcp.options());
    match (key, scan) {
        (Some(key), AuthScan::Md5 { .. }) => {
            let verdict =
                verify_segment(&reply.addrs, &reply.segment, Some(key), Semantics::Rfc2385);
            if verdict == Ok(Verdict::Accept(Acceptance::Signed)) {
                notes.push(format!(
                    "kernel's {} verified by the reference digest",
                    reply.flags
                ));
            } else {
                problems.push(format!(
                    "kernel's {} does not verify: {verdict:?}",
                    reply.flags
                ));
            }
            if !tcp.options().starts_with(&LINUX_MD5_PREFIX) {
                problems.push(format!(
                    "kernel's {} option layout is not NOP NOP 19 18 first: {:02x?}",
                    reply.flags,
                    tcp.options()
                ));
            }
        }
        (Some(_), other) => problems.push(format!(
            "kernel's {} is not signed ({other:?})",
            reply.flags
        )),
        (None, AuthScan::Md5 { .. }) => problems.push(format!(
            "kernel's {} is signed but it has no key",
            reply.flags
        )),
        (None, _) => {}
    }
}

/// Holds an observation against the model's verdict. `reply_key` is the key
/// the kernel holds for the peer (its replies must be signed with it).
pub fn judge(obs: &Observation, acked: u32, expected: Verdict, reply_key: Option<&Key>) -> Finding {
    if !obs.barrier_seen {
        return Finding::error(format!(
            "the barrier was not answered within the timeout: cannot tell a drop from a loss (replies {}, counters {:?})",
            obs.replies.len(),
            obs.auth_counters
        ));
    }
    let observed = observe(obs, acked);
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    if !obs.all_counters.is_empty() {
        notes.push(format!("TcpExt deltas: {:?}", obs.all_counters));
    }
    let expected_observed = match expected {
        Verdict::Accept(_) => Observed::Accepted,
        Verdict::Drop(r) => Observed::Dropped(r),
    };
    if observed != expected_observed {
        problems.push(format!(
            "kernel: {}, model: {}",
            describe(&observed),
            expected.id()
        ));
    }
    witnesses(obs, expected, &mut problems, &mut notes);
    if observed == Observed::Accepted {
        for reply in &obs.replies {
            check_reply_signature(reply, reply_key, &mut problems, &mut notes);
        }
    }
    Finding::compare(
        expected.id().to_string(),
        describe(&observed),
        problems,
        notes,
    )
}

/// The witnesses of a verdict: the `TCPMD5*` counters moved exactly as the
/// model says (one drop counter by 1, or none), and so did the tracepoints.
pub fn witnesses(
    obs: &Observation,
    expected: Verdict,
    problems: &mut Vec<String>,
    notes: &mut Vec<String>,
) {
    let want_counter = match expected {
        Verdict::Drop(r) => r.counter(),
        Verdict::Accept(_) => None,
    };
    let extra: Vec<_> = obs
        .auth_counters
        .iter()
        .filter(|(name, v)| !(Some(name.as_str()) == want_counter && **v == 1))
        .collect();
    if !extra.is_empty() {
        problems.push(format!("unexpected counter changes {extra:?}"));
    }
    if let Some(c) = want_counter
        && obs.auth_counters.get(c) != Some(&1)
    {
        problems.push(format!("{c} did not move by exactly 1"));
    }
    match &obs.trace {
        Some(events) => {
            let want: Vec<&str> = match expected {
                Verdict::Drop(r) => r.tracepoint().into_iter().collect(),
                Verdict::Accept(_) => Vec::new(),
            };
            if events.iter().map(String::as_str).collect::<Vec<_>>() != want {
                problems.push(format!("tracepoints {events:?}, model says {want:?}"));
            } else if !want.is_empty() {
                notes.push(format!("tracepoint tcp:{} seen", want.join(",")));
            }
        }
        None => {
            if expected == Verdict::Drop(DropReason::AuthHeader) {
                notes.push("no tracefs: TCP_AUTH_HDR inferred from silence with no counter after the barrier".to_owned());
            }
        }
    }
}
