//! Turning an observation into the kernel's verdict, and holding it and every
//! witness against the model's prediction.

use tcpmd5::checksum::tcp_checksum_ok;
use tcpmd5::scan::AuthScan;
use tcpmd5::sign::LINUX_MD5_PREFIX;
use tcpmd5::verdict::{Acceptance, DropReason, Verdict, VerdictId, verify_segment};
use tcpmd5::wire::{SeqNumber, TcpFlags, TcpPacket};
use tcpmd5::{Key, Semantics};

use crate::exchange::{Observation, Reply};
use crate::outcome::{Behaviour, Finding};
use crate::record::Record;
use crate::words;

/// What the kernel was seen to do with a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// Answered (for a SYN: a SYN-ACK acknowledging it), or, on a
    /// connection, passed with no drop witness while tracepoints were read.
    Accepted,
    /// Dropped, with the reason the witnesses point to.
    Dropped(DropReason),
    /// Anything else (an RST, several counters, no witness at all), in words.
    Other(String),
}

impl Observed {
    /// In the vocabulary of the expected verdict (the library's verdict names).
    pub fn words(&self) -> String {
        match self {
            Observed::Accepted => words::verdict(Verdict::Accept(Acceptance::Unsigned)),
            Observed::Dropped(r) => words::drop(*r),
            Observed::Other(s) => s.clone(),
        }
    }

    /// As a case's observed step: a verdict where it is one.
    pub fn behaviour(&self) -> Behaviour {
        match self {
            Observed::Accepted => Behaviour::Verdict(VerdictId::Accept),
            Observed::Dropped(r) => Behaviour::Verdict(VerdictId::Drop(*r)),
            Observed::Other(s) => Behaviour::Words(s.clone()),
        }
    }

    /// Whether it is what `expected` predicts.
    pub fn matches(&self, expected: Verdict) -> bool {
        match (self, expected) {
            (Observed::Accepted, Verdict::Accept(_)) => true,
            (Observed::Dropped(o), Verdict::Drop(r)) => *o == r,
            _ => false,
        }
    }
}

/// Whether the kernel sockets judged here hold TCP-AO keys: never (MD5
/// keys or none; the AO key cases compare setsockopt answers alone), so a
/// witness TCP_AOUNEXPECTED shares with TCP_AOKEYNOTFOUND (the counter
/// `TCPAOKeyNotFound`, the tracepoint `tcp_ao_key_not_found`) is the former.
const SOCKETS_HOLD_AO_KEYS: bool = false;

/// The drop reason a counter name stands for.
fn reason_of_counter(name: &str) -> Option<DropReason> {
    DropReason::of_counter_at(name, SOCKETS_HOLD_AO_KEYS)
}

/// The drop reason a tracepoint stands for.
fn reason_of_tracepoint(name: &str) -> Option<DropReason> {
    DropReason::of_tracepoint_at(name, SOCKETS_HOLD_AO_KEYS)
}

/// Finds the verdict in an observation of a probe that, if accepted, is
/// answered by a segment acknowledging `acked` (a SYN's ISN + 1).
pub fn observe(obs: &Observation, acked: impl Into<SeqNumber>) -> Observed {
    let acked = acked.into();
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
            "{}; {}",
            words::replies(&obs.replies),
            words::counters(&obs.auth_counters)
        )),
    }
}

/// The verdict the witnesses alone show for a segment on a connection,
/// whose acceptance is read from its effect rather than from a reply: one
/// drop counter (or drop tracepoint), or none while tracepoints are read.
pub(crate) fn observe_witnesses(obs: &Observation) -> Observed {
    let moved: Vec<(&String, &i64)> = obs.auth_counters.iter().collect();
    match (moved.as_slice(), obs.trace.as_deref()) {
        ([(name, 1)], _) => match reason_of_counter(name) {
            Some(r) => Observed::Dropped(r),
            None => Observed::Other(format!("{name} +1")),
        },
        ([], Some([])) => Observed::Accepted,
        ([], Some([one])) => match reason_of_tracepoint(one) {
            Some(r) => Observed::Dropped(r),
            None => Observed::Other(words::tracepoints(&[one])),
        },
        ([], Some(many)) => Observed::Other(words::tracepoints(many)),
        // No counter and no tracepoints: an acceptance and a TCP_AUTH_HDR
        // drop look alike; the step's effect (delivery, state) tells them apart.
        ([], None) => Observed::Other(format!(
            "accept or {} (no tracepoints)",
            words::drop(DropReason::AuthHeader)
        )),
        (several, _) => Observed::Other(words::counter_pairs(several)),
    }
}

/// The raw evidence of an observation: replies, counters, tracepoints.
pub(crate) fn evidence(obs: &Observation) -> String {
    format!(
        "replies: {}; counters: {}; {}",
        words::replies_detail(&obs.replies),
        words::counters(&obs.auth_counters),
        words::trace(obs.trace.as_deref())
    )
}

/// Checks a reply the kernel signed (or should not have signed).
/// `key`: the key the kernel holds for the peer, if any.
pub(crate) fn check_reply_signature(reply: &Reply, key: Option<&Key>, rec: &mut Record) {
    let Ok(tcp) = TcpPacket::new_checked(&reply.segment[..]) else {
        rec.problem("reply is not a valid TCP segment");
        return;
    };
    // The model's rule: 0x0000 and 0xffff are one value. The kernel's
    // software checksum (skb_checksum_help) writes a computed 0x0000 as
    // 0xffff (CSUM_MANGLED_0), as in a SYN-ACK the kernel_differential fuzz
    // target captured.
    if !tcp_checksum_ok(&reply.addrs, &reply.segment) {
        // The bytes as captured, so a rare occurrence can be examined.
        let hex: String = reply.packet.iter().map(|b| format!("{b:02x}")).collect();
        rec.problem(format!(
            "reply TCP checksum is wrong (field {:#06x}; reply {hex})",
            tcp.checksum()
        ));
    }
    let what = words::flags(reply.flags);
    let scan = Semantics::Rfc2385.scan(tcp.options());
    match (key, scan) {
        (Some(key), AuthScan::Md5 { .. }) => {
            let verdict =
                verify_segment(&reply.addrs, &reply.segment, Some(key), Semantics::Rfc2385);
            match verdict {
                Ok(Verdict::Accept(Acceptance::Signed)) => {
                    rec.note(format!("kernel's {what} verified by the reference digest"));
                }
                Ok(v) => rec.problem(format!(
                    "kernel's signed {what} does not verify: {}",
                    words::verdict(v)
                )),
                Err(e) => rec.problem(format!("kernel's signed {what} cannot be read: {e}")),
            }
            if !tcp.options().starts_with(&LINUX_MD5_PREFIX) {
                rec.problem(format!(
                    "kernel's {what} option layout is not NOP NOP 19 18 first: {}",
                    words::hex(tcp.options())
                ));
            }
        }
        (Some(_), _) => rec.problem(format!("kernel's {what} is unsigned, the key says signed")),
        (None, AuthScan::Md5 { .. }) => {
            rec.problem(format!("kernel's {what} is signed but it has no key"));
        }
        (None, _) => {}
    }
}

/// Holds an observation against the model's verdict. `reply_key` is the key
/// the kernel holds for the peer (its replies must be signed with it).
pub fn judge(
    obs: &Observation,
    acked: impl Into<SeqNumber>,
    expected: Verdict,
    reply_key: Option<&Key>,
) -> Finding {
    if !obs.barrier_seen {
        return Finding::error(format!(
            "the barrier was not answered within the timeout: cannot tell a drop from a loss ({})",
            evidence(obs)
        ));
    }
    let observed = observe(obs, acked);
    let mut rec = Record::new();
    if !obs.all_counters.is_empty() {
        rec.note(format!("TcpExt: {}", words::counters(&obs.all_counters)));
    }
    if !observed.matches(expected) {
        rec.problem(format!(
            "kernel: {}, model: {}",
            observed.words(),
            words::verdict(expected)
        ));
    }
    witnesses(obs, expected, &mut rec);
    // Without tracepoints a silent drop that moves no counter is told from
    // a loss by the barrier only: say so on the line.
    let inferred = obs.trace.is_none() && observed == Observed::Dropped(DropReason::AuthHeader);
    if observed == Observed::Accepted {
        for reply in &obs.replies {
            check_reply_signature(reply, reply_key, &mut rec);
        }
    }
    rec.step(
        expected.id(),
        match observed {
            Observed::Dropped(r) if inferred => Behaviour::Inferred(VerdictId::Drop(r)),
            seen => seen.behaviour(),
        },
    );
    rec.finish()
}

/// The witnesses of a verdict: the `TCPMD5*` counters moved exactly as the
/// model says (one drop counter by 1, or none), and so did the tracepoints.
pub(crate) fn witnesses(obs: &Observation, expected: Verdict, rec: &mut Record) {
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
        rec.problem(format!(
            "unexpected counter changes: {}",
            words::counter_pairs(&extra)
        ));
    }
    if let Some(c) = want_counter
        && obs.auth_counters.get(c) != Some(&1)
    {
        rec.problem(format!("{c} did not move by exactly 1"));
    }
    match &obs.trace {
        Some(events) => {
            let want: Vec<&str> = match expected {
                Verdict::Drop(r) => r.tracepoint().into_iter().collect(),
                Verdict::Accept(_) => Vec::new(),
            };
            if events.iter().map(String::as_str).collect::<Vec<_>>() != want {
                rec.problem(format!(
                    "tracepoints: {}, model: {}",
                    words::tracepoints(events),
                    words::tracepoints(&want)
                ));
            } else if !want.is_empty() {
                rec.note(format!("tracepoint {} seen", words::tracepoints(&want)));
            }
        }
        None => {
            if expected == Verdict::Drop(DropReason::AuthHeader) {
                rec.note("no tracefs: TCP_AUTH_HDR inferred from silence with no counter after the barrier");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::outcome::Outcome;

    /// A SYN-ACK (syncookie) of Linux 6.18 whose checksum computes to
    /// 0x0000 and was sent as 0xffff: the same value, not a wrong checksum.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn a_reply_carrying_0xffff_for_0x0000_has_a_right_checksum() {
        let hex = "4500003800004000400625f80a6300010a63000200b34e9a95a34ee6\
                   141414159012fe88ffff0000020405b40402080a4f8c9c4914ebebeb";
        let packet: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2).unwrap(), 16).unwrap())
            .collect();
        let located = tcpmd5::wire::IpSegment::parse(&packet).unwrap();
        let reply = Reply {
            addrs: located.addrs,
            segment: located.segment.to_vec(),
            packet: packet.clone(),
            flags: TcpFlags::SYN | TcpFlags::ACK,
            ack: SeqNumber(0x1414_1415),
            seq: SeqNumber(0x95a3_4ee6),
        };
        let mut rec = Record::new();
        check_reply_signature(&reply, None, &mut rec);
        assert_eq!(rec.into_problems(), Vec::<String>::new());
    }

    fn obs(counters: &[(&str, i64)], trace: Option<&[&str]>) -> Observation {
        let auth_counters: BTreeMap<String, i64> = counters
            .iter()
            .map(|(n, d)| ((*n).to_owned(), *d))
            .collect();
        Observation {
            auth_counters: auth_counters.clone(),
            all_counters: auth_counters,
            trace: trace.map(|t| t.iter().map(|e| (*e).to_owned()).collect()),
            barrier_seen: true,
            ..Observation::default()
        }
    }

    #[test]
    fn witnesses_alone_name_the_verdict() {
        let drop = obs(&[("TCPMD5NotFound", 1)], Some(&["tcp_hash_md5_required"]));
        assert_eq!(
            observe_witnesses(&drop),
            Observed::Dropped(DropReason::Md5NotFound)
        );
        let hdr = obs(&[], Some(&["tcp_hash_bad_header"]));
        assert_eq!(
            observe_witnesses(&hdr),
            Observed::Dropped(DropReason::AuthHeader)
        );
        assert_eq!(observe_witnesses(&obs(&[], Some(&[]))), Observed::Accepted);
        // No tracepoints: silence is not a verdict by itself.
        assert!(matches!(
            observe_witnesses(&obs(&[], None)),
            Observed::Other(_)
        ));
        assert!(matches!(
            observe_witnesses(&obs(&[("TCPMD5NotFound", 1), ("TCPMD5Failure", 1)], None)),
            Observed::Other(_)
        ));
    }

    // Linux (tcp_inbound_ao_hash): an AO segment at a socket without AO
    // keys counts TCPAOKeyNotFound and fires tcp_ao_key_not_found, as one
    // whose KeyID no AO key has does; the sockets judged here hold none.
    #[test]
    fn an_ao_segment_at_an_md5_socket_is_ao_unexpected_by_either_witness() {
        let unexpected = Observed::Dropped(DropReason::AoUnexpected);
        let by_trace = obs(&[], Some(&["tcp_ao_key_not_found"]));
        assert_eq!(observe_witnesses(&by_trace), unexpected);
        let both = obs(&[("TCPAOKeyNotFound", 1)], Some(&["tcp_ao_key_not_found"]));
        assert_eq!(observe_witnesses(&both), unexpected);
        let f = judge(
            &both,
            SeqNumber(1),
            Verdict::Drop(DropReason::AoUnexpected),
            None,
        );
        assert_eq!(f.outcome, Outcome::Pass, "{f:?}");
        assert_eq!(f.steps.observed_line(), "drop:TCP_AOUNEXPECTED");
        // Without the tracepoint the model names, the witnesses disagree.
        let f = judge(
            &obs(&[("TCPAOKeyNotFound", 1)], Some(&[])),
            SeqNumber(1),
            Verdict::Drop(DropReason::AoUnexpected),
            None,
        );
        assert_ne!(f.outcome, Outcome::Pass);
    }

    #[test]
    fn a_silent_syn_drop_without_tracepoints_is_marked_inferred() {
        let expected = Verdict::Drop(DropReason::AuthHeader);
        let f = judge(&obs(&[], None), SeqNumber(1), expected, None);
        assert_eq!(f.outcome, Outcome::Pass);
        assert_eq!(f.steps.observed_line(), "drop:TCP_AUTH_HDR (inferred)");
        let f = judge(
            &obs(&[], Some(&["tcp_hash_bad_header"])),
            SeqNumber(1),
            expected,
            None,
        );
        assert_eq!(f.steps.observed_line(), "drop:TCP_AUTH_HDR");
    }

    #[test]
    fn a_wrong_counter_fails_the_verdict() {
        let expected = Verdict::Drop(DropReason::Md5Failure);
        let f = judge(
            &obs(&[("TCPMD5NotFound", 1)], Some(&["tcp_hash_md5_required"])),
            SeqNumber(1),
            expected,
            None,
        );
        assert!(f.outcome.is_failure(), "{f:?}");
        assert_eq!(f.steps.expected_line(), "drop:TCP_MD5FAILURE");
        assert_eq!(f.steps.observed_line(), "drop:TCP_MD5NOTFOUND");
        for text in [&f.steps.expected_line(), &f.steps.observed_line()]
            .into_iter()
            .chain(f.outcome.reason().map(str::to_owned).as_ref())
        {
            assert!(crate::outcome::debug_markers(text).is_empty(), "{text}");
        }
    }
}
