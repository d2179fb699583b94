//! The two steps `explain` shares with `verify`: the receiver's key
//! lookup (in words) and the decision on the segment (the same code as
//! `verify`'s, so the two views cannot disagree).

use serde::Serialize;
use tcpmd5::{AddrPair, packet_verdict_with};

use super::{KeyInfo, Request, SemanticsVerdict};
use tcpmd5::ao::AoVerdict;

use crate::ao_check::{AoCheck, AoResult};
use crate::assess::{Prepared, Status, checksums, conclude};
use crate::keys::{Choice, KeyRing, Lookup};
use crate::segment::Segment;

/// The decision `verify` makes on a segment, under one semantics.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// The semantics (`--semantics`, default `linux`).
    pub semantics: &'static str,
    /// `valid`, `unsigned`, `invalid`, `bypass` or `unchecked`.
    pub status: Status,
    /// The verdict id (`null` when unchecked).
    pub verdict: Option<String>,
    /// Why, in a sentence.
    pub reason: String,
    /// The key used (its label), if any.
    pub key: Option<String>,
    /// Remarks (the key that verifies a failing digest, …).
    pub notes: Vec<String>,
}

/// The key step, for people: the key the receiver picks and why.
pub(super) fn key_info(
    keys: &KeyRing,
    choice: Option<Choice>,
    addrs: &AddrPair,
    sport: u16,
    dport: u16,
) -> KeyInfo {
    let Some(c) = choice else {
        return KeyInfo {
            chosen: None,
            why: format!(
                "no key given covers the sender {} (or the destination {}), and no router's table was given for the receiver: nothing to check with",
                addrs.src(),
                addrs.dst()
            ),
            candidates: Vec::new(),
            l3index: 0,
        };
    };
    let candidates = keys.candidates(c.peer, sport, dport);
    let table = match c.lookup {
        Lookup::Receiver(r) => keys.holders().get(r).map_or_else(String::new, |h| {
            format!("in {}'s table ({}): ", h.name, h.source)
        }),
        _ => String::new(),
    };
    let Some(spec) = c.index.and_then(|i| keys.spec(i)) else {
        return KeyInfo {
            chosen: None,
            why: format!(
                "{table}the receiver holds no key for the sender {}: a signed segment is unexpected, an unsigned one passes",
                c.peer
            ),
            candidates: candidates.iter().map(|s| s.label().to_owned()).collect(),
            l3index: 0,
        };
    };
    let same_len = candidates
        .iter()
        .filter(|s| s.holder == spec.holder && s.scope.prefixlen == spec.scope.prefixlen)
        .count();
    let mut why = format!(
        "{table}{} of {} key(s) covering {}: the longest prefix (/{})",
        spec.label(),
        candidates.len(),
        c.peer,
        spec.scope.prefixlen
    );
    if same_len > 1 {
        why.push_str(&format!(", the newest of {same_len} with that length"));
    }
    if let Some(p) = spec.scope.port {
        why.push_str(&format!(", port {p} in use"));
    }
    why.push_str("; no VRF: l3index 0");
    if c.lookup == Lookup::Destination {
        why.push_str(&format!(
            "; no key covers the sender {}: looked up for the destination, the key both ends hold",
            addrs.src()
        ));
    }
    KeyInfo {
        chosen: Some(spec.label().to_owned()),
        why,
        candidates: candidates.iter().map(|s| s.label().to_owned()).collect(),
        l3index: 0,
    }
}

/// The decision `verify` makes on this segment (the same code), under
/// the semantics asked for.
pub(super) fn decide(
    seg: &Segment<'_>,
    keys: &KeyRing,
    req: &Request<'_>,
    prepared: &Prepared,
) -> Decision {
    let verdict = packet_verdict_with(
        seg.packet,
        keys.table_of(prepared.table),
        0,
        req.semantics,
        checksums(req.checksum),
    );
    let a = conclude(seg, keys, req.semantics, prepared, req.checksum, verdict);
    Decision {
        semantics: req.semantics.id(),
        status: a.status,
        verdict: a.verdict.map(|v| v.id().to_string()),
        reason: a.reason.into_owned(),
        key: a
            .key
            .and_then(|i| keys.spec(i))
            .map(|s| s.label().to_owned()),
        notes: a.notes,
    }
}

/// The decision under `linux-ao` when AO keys were given: the receiver
/// holds them, so the AO check (run after the checksum, with those keys)
/// decides, and the decision line says what the AO section says. An MD5
/// option leaves the MD5 decision standing.
pub(super) fn take_ao(decision: &mut Decision, ao: &AoCheck) {
    let (status, verdict) = match ao.verdict {
        AoResult::Checked(AoVerdict::Md5) => return,
        AoResult::Unchecked => (Status::Unchecked, None),
        AoResult::Checked(v @ AoVerdict::Signed { .. }) => (Status::Valid, Some(v)),
        AoResult::Checked(v @ AoVerdict::Unsigned) => (Status::Unsigned, Some(v)),
        AoResult::Checked(v @ AoVerdict::Drop(_)) => (Status::Invalid, Some(v)),
    };
    decision.status = status;
    decision.verdict = verdict.map(|v| AoResult::Checked(v).id());
    decision.reason = format!("TCP-AO: {}", ao.reason);
    decision.key = ao.key.clone();
}

/// The `linux-ao` row when AO keys were given: what the AO check does
/// with them (an MD5 option leaves the row as it is).
pub(super) fn take_ao_row(row: &mut SemanticsVerdict, ao: &AoCheck) {
    let AoResult::Checked(v) = ao.verdict else {
        row.verdict = ao.verdict.id();
        row.acceptance = None;
        row.drop_reason = None;
        row.counter = None;
        row.tracepoint = None;
        row.reason = format!("with the AO keys given (step 5): {}", ao.reason);
        return;
    };
    if v == AoVerdict::Md5 {
        return;
    }
    row.verdict = ao.verdict.id();
    row.acceptance = v.verdict().and_then(|v| v.acceptance()).map(|a| a.id());
    row.drop_reason = match v {
        AoVerdict::Drop(r) => Some(r.kernel_name()),
        _ => None,
    };
    row.counter = ao.counter;
    row.tracepoint = ao.tracepoint;
    row.reason = format!("with the AO keys given (step 5): {}", ao.reason);
}
