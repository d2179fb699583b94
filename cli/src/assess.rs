//! The verdict on one captured segment for `verify`: the library's verdict
//! for the receiver the keys describe, and what an operator needs on top of
//! it — a signed segment nobody has the key for is unchecked (not invalid),
//! a TCP-AO option in an MD5 session is a bypass attempt (not "accepted"),
//! and a checksum the sender's NIC had yet to fill in is a note. `verify`
//! (a batch's verdicts) and `explain` (one segment) both decide here.

use std::borrow::Cow;

use serde::Serialize;
use tcpmd5::scan::AuthScan;
use tcpmd5::verdict::{Acceptance, DropReason, Verdict, verify_segment};
use tcpmd5::wire::WireError;
use tcpmd5::{AddrPair, Checksums, Semantics, packet_verdict_with};

use crate::keys::{Choice, KeyRing, KeySpec, Lookup, TableId};
use crate::segment::{ChecksumReport, Segment};
use tcpmd5::wire::TcpFlags;

/// What the checksum stage does with a mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChecksumMode {
    /// A right checksum, or the partial (pseudo-header only) sum TX
    /// offload leaves, passes; any other drops the segment, as the
    /// receiver does (`IP_CSUM`, `TCP_CSUM`).
    Offload,
    /// A mismatch is a note; the MD5 check runs as if it were right.
    Note,
    /// A mismatch drops the segment, as the receiving kernel does.
    Strict,
}

/// The class of a segment's outcome (`status` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Signed, and the digest verifies.
    Valid,
    /// Unsigned, and no key applies: accepted.
    Unsigned,
    /// Dropped by the receiver.
    Invalid,
    /// A TCP-AO option where an MD5 key applies, and the receiver skips the
    /// MD5 check (Linux >= 6.7 without `CONFIG_TCP_AO`).
    Bypass,
    /// Cannot be checked (snap length, fragment, no key for a signed segment).
    Unchecked,
}

impl Status {
    /// Whether it makes the run fail.
    pub fn fails(self) -> bool {
        matches!(self, Status::Invalid | Status::Bypass)
    }

    /// The JSON spelling.
    pub fn id(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Unsigned => "unsigned",
            Status::Invalid => "invalid",
            Status::Bypass => "bypass",
            Status::Unchecked => "unchecked",
        }
    }
}

/// The outcome for one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Its class.
    pub status: Status,
    /// The receiver's verdict (`None` when unchecked).
    pub verdict: Option<Verdict>,
    /// Why, in a sentence.
    pub reason: Cow<'static, str>,
    /// The key that verified, or the kernel's choice: its index in the
    /// [`KeyRing`] (output names it by its label, never its bytes).
    pub key: Option<usize>,
    /// Remarks (another key that would verify, …).
    pub notes: Vec<String>,
    /// The checksums, when one is wrong and the mode let it pass: a note,
    /// written out only where shown (a capture with TX offload has one on
    /// most segments).
    pub checksum_note: Option<ChecksumReport>,
    /// Whether the receiver's keys were known (a router's table, or a
    /// shared key covering the segment): otherwise nothing was checked.
    pub receiver_known: bool,
    /// For a digest that fails: a key given that verifies it, and whether
    /// it is the one the sender holds for the receiver.
    pub verified_with: Option<(usize, bool)>,
}

impl Assessment {
    /// Every note, the checksum one first.
    pub fn all_notes(&self) -> Vec<String> {
        self.checksum_note
            .and_then(|r| r.problem())
            .into_iter()
            .chain(self.notes.iter().cloned())
            .collect()
    }
}

impl Assessment {
    /// The stable verdict id, if checked.
    pub fn verdict_id(&self) -> Option<String> {
        self.verdict.map(|v| v.id().to_string())
    }
}

/// The checksum stage the library applies in `mode`.
/// (`Offload` skips them here: [`conclude`] judges again, strictly, the
/// rare segment whose checksum is neither right nor partial.)
pub fn checksums(mode: ChecksumMode) -> Checksums {
    match mode {
        ChecksumMode::Note | ChecksumMode::Offload => Checksums::Skip,
        ChecksumMode::Strict => Checksums::Verify,
    }
}

/// What [`prepare`] finds before the verdict: the key chosen and the table
/// the receiver holds. The same for every segment of a flow (source,
/// destination and ports): `verify` finds it once per flow.
#[derive(Debug, Clone)]
pub struct Prepared {
    choice: Option<Choice>,
    /// The receiver's keys, for the library's verdict.
    pub table: TableId,
    notes: Vec<String>,
}

impl Prepared {
    /// The key chosen (its index in the [`KeyRing`]).
    pub fn key(&self) -> Option<usize> {
        self.choice.and_then(|c| c.index)
    }

    /// What the receiver's lookup found.
    pub fn choice(&self) -> Option<Choice> {
        self.choice
    }
}

/// Assesses a segment under `semantics`, one at a time.
pub fn assess(
    seg: &Segment<'_>,
    keys: &mut KeyRing,
    semantics: Semantics,
    mode: ChecksumMode,
) -> Assessment {
    let prepared = prepare(seg, keys);
    let verdict = packet_verdict_with(
        seg.packet,
        keys.table_of(prepared.table),
        0,
        semantics,
        checksums(mode),
    );
    conclude(seg, keys, semantics, &prepared, mode, verdict)
}

/// The key lookup of a segment: everything but the verdict, which the
/// caller gets from the library for [`Prepared::table`] (one at a time, or
/// a batch), then [`conclude`]s.
pub fn prepare(seg: &Segment<'_>, keys: &mut KeyRing) -> Prepared {
    let tcp = seg.tcp();
    prepare_flow(seg.addrs(), tcp.src_port(), tcp.dst_port(), keys)
}

/// [`prepare`] for the segments from `addrs.src():sport` to
/// `addrs.dst():dport`.
pub fn prepare_flow(addrs: AddrPair, sport: u16, dport: u16, keys: &mut KeyRing) -> Prepared {
    let mut notes = Vec::new();
    let choice = keys.choose(addrs.src(), addrs.dst(), sport, dport);
    if let Some(Choice {
        index: Some(i),
        lookup: Lookup::Destination,
        ..
    }) = choice
        && let Some(spec) = keys.spec(i)
    {
        notes.push(format!(
            "no key covers the sender: checked with the key for the destination, {}",
            spec.label()
        ));
    }
    let table = keys.table_id(addrs.src(), choice);
    Prepared {
        choice,
        table,
        notes,
    }
}

/// The checksums of a segment when one is wrong and `mode` lets it pass
/// (a note).
pub fn checksum_note(seg: &Segment<'_>, mode: ChecksumMode) -> Option<ChecksumReport> {
    match mode {
        ChecksumMode::Note => Some(seg.checksums()).filter(|r| !r.ok()),
        ChecksumMode::Offload => Some(seg.checksums()).filter(|r| !r.ok() && r.offloaded()),
        ChecksumMode::Strict => None,
    }
}

/// Whether `mode` lets the segment's checksums pass without judging them
/// (`Offload` judges the ones neither right nor partial).
pub fn judged_strictly(seg: &Segment<'_>, mode: ChecksumMode) -> bool {
    match mode {
        ChecksumMode::Strict => true,
        ChecksumMode::Note => false,
        ChecksumMode::Offload => {
            let r = seg.checksums();
            !r.ok() && !r.offloaded()
        }
    }
}

/// The assessment of a [`prepare`]d segment given the library's verdict.
pub fn conclude(
    seg: &Segment<'_>,
    keys: &KeyRing,
    semantics: Semantics,
    prepared: &Prepared,
    mode: ChecksumMode,
    verdict: Result<Verdict, WireError>,
) -> Assessment {
    let choice = prepared.choice;
    // Most flows have no note: no clone to make.
    let mut notes = if prepared.notes.is_empty() {
        Vec::new()
    } else {
        prepared.notes.clone()
    };
    // The checksums summed once (strict mode leaves them to the library).
    let report = (mode != ChecksumMode::Strict).then(|| seg.checksums());
    let checksum_note = report.filter(|r| !r.ok() && (mode == ChecksumMode::Note || r.offloaded()));
    let key = choice.and_then(|c| c.index);
    let receiver_known = choice.is_some();
    // Offload: a checksum neither right nor partial is judged as the
    // receiver of these bytes does.
    let strictly =
        mode == ChecksumMode::Offload && report.is_some_and(|r| !r.ok() && !r.offloaded());
    let verdict = if strictly {
        packet_verdict_with(
            seg.packet,
            keys.table_of(prepared.table),
            0,
            semantics,
            Checksums::Verify,
        )
    } else {
        verdict
    };
    let verdict = match verdict {
        Ok(v) => v,
        Err(e) => {
            return Assessment {
                status: Status::Unchecked,
                verdict: None,
                reason: format!("malformed packet: {e}").into(),
                key: None,
                notes,
                checksum_note,
                receiver_known,
                verified_with: None,
            };
        }
    };
    let (status, reason) = match verdict {
        Verdict::Accept(Acceptance::Signed) => (Status::Valid, "digest verified".into()),
        Verdict::Accept(Acceptance::Unsigned) if receiver_known => (
            Status::Unsigned,
            "unsigned, and the receiver has no key for the sender".into(),
        ),
        Verdict::Accept(Acceptance::Unsigned) => (
            Status::Unsigned,
            "unsigned; no key given for the receiver".into(),
        ),
        Verdict::Accept(Acceptance::AoNotChecked) if key.is_some() => (
            Status::Bypass,
            format!(
                "TCP-AO option in an MD5 session: {} skips the MD5 check (AO is compiled out and lets it through) — a bypass attempt",
                semantics.id()
            )
            .into(),
        ),
        Verdict::Accept(Acceptance::AoNotChecked) => (
            Status::Unsigned,
            "TCP-AO option, not checked, and no MD5 key applies".into(),
        ),
        Verdict::Drop(DropReason::Md5Unexpected)
            if !receiver_known
                && matches!(semantics.scan(seg.tcp().options()), AuthScan::Md5 { .. }) =>
        {
            return Assessment {
                status: Status::Unchecked,
                verdict: None,
                reason:
                    "signed, but the receiver's keys were not given: give them with --router, a host section, or --key"
                        .into(),
                key: None,
                notes,
                checksum_note,
                receiver_known,
                verified_with: None,
            };
        }
        Verdict::Drop(r) => (Status::Invalid, drop_sentence(r).into()),
    };
    let mut verified_with = None;
    if matches!(
        verdict,
        Verdict::Drop(DropReason::Md5Failure | DropReason::Md5Unexpected)
    ) {
        verified_with = other_key(seg, keys, semantics, key, &mut notes);
    }
    Assessment {
        status,
        verdict: Some(verdict),
        reason,
        key,
        notes,
        checksum_note,
        receiver_known,
        verified_with,
    }
}

/// For a signed segment the receiver drops: the key given that verifies it
/// (the sender's own first), named in a note.
fn other_key(
    seg: &Segment<'_>,
    keys: &KeyRing,
    semantics: Semantics,
    chosen: Option<usize>,
    notes: &mut Vec<String>,
) -> Option<(usize, bool)> {
    let tcp = seg.tcp();
    let addrs = seg.addrs();
    let (sport, dport) = (tcp.src_port(), tcp.dst_port());
    let verifies = |spec: &KeySpec| {
        spec.key().is_some_and(|k| {
            verify_segment(&addrs, seg.ip.segment, Some(k), semantics)
                == Ok(Verdict::Accept(Acceptance::Signed))
        })
    };
    let senders = keys.senders_key(addrs.src(), addrs.dst(), sport, dport);
    if let Some(i) = senders.filter(|&i| Some(i) != chosen)
        && let Some(spec) = keys.spec(i)
        && verifies(spec)
    {
        let why = if chosen.is_some() {
            "the two ends' passwords differ"
        } else {
            "the sender has a password the receiver lacks"
        };
        notes.push(format!(
            "it verifies with {}, the sender's key for the receiver: {why}",
            spec.label()
        ));
        return Some((i, true));
    }
    let chosen_label = chosen.and_then(|i| keys.spec(i)).map(KeySpec::label);
    for peer in [addrs.src(), addrs.dst()] {
        for spec in keys.candidates(peer, sport, dport) {
            if Some(spec.label()) != chosen_label && verifies(spec) {
                notes.push(format!(
                    "it verifies with {}, which the receiver does not pick",
                    spec.label()
                ));
                let index = keys.specs().iter().position(|s| s == spec);
                return index.map(|i| (i, false));
            }
        }
    }
    None
}

/// Whether a segment's flags make it a connection attempt (SYN, no ACK)
/// or an answer to one (SYN-ACK).
pub fn syn_kind(flags: TcpFlags) -> (bool, bool) {
    let syn = flags.contains(TcpFlags::SYN);
    let ack = flags.contains(TcpFlags::ACK);
    (syn && !ack, syn && ack)
}

/// A drop, in a sentence an operator can act on.
pub fn drop_sentence(reason: DropReason) -> String {
    let what = match reason {
        DropReason::AuthHeader => "malformed authentication options",
        DropReason::Md5NotFound => "unsigned, but the receiver has a key for the sender",
        DropReason::Md5Unexpected => "signed, but the receiver has no key for the sender",
        DropReason::Md5Failure => {
            "the digest does not verify (wrong key, or the segment was altered)"
        }
        DropReason::AoUnexpected => "TCP-AO option, and the receiver has no AO key",
        DropReason::AoNotFound => {
            "unsigned, but the receiver requires TCP-AO from the sender (an AO key covers it, or TCP_AO_REQUIRED)"
        }
        DropReason::AoKeyNotFound => {
            "TCP-AO option whose KeyID no AO key of the receiver has as RecvID"
        }
        DropReason::AoFailure => {
            "the TCP-AO MAC does not verify (wrong key or traffic key, wrong MAC length, or the segment was altered)"
        }
        DropReason::IpChecksum => "IPv4 header checksum wrong",
        DropReason::TcpChecksum => "TCP checksum wrong",
        DropReason::TcpFlags => {
            "TCP-AO option on a segment that is neither SYN nor ACK at a listener: no ISNs to key its MAC with"
        }
        DropReason::TcpClose => "TCP-AO option at a closed socket",
    };
    match reason.counter() {
        Some(c) => format!("{what} ({reason}, {c})"),
        None => format!("{what} ({reason})"),
    }
}
