//! The differential's report (`differential --format json`, shape
//! `report/differential.schema.json`): written by the suite's
//! `differential`, read back by the kernel matrix with the same types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tcpmd5::{Family, Semantics};

use crate::{ExitStatus, RunResult};

/// Version of the JSON document's shape (bumped on every change of a field).
pub const SCHEMA_VERSION: u32 = 2;

/// The whole document: a header, then the run or why none could start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// `tcpmd5-conformance differential`.
    pub tool: String,
    /// What the run amounts to.
    pub result: RunResult,
    /// The process's exit status.
    pub exit_status: ExitStatus,
    /// The run, or why there is none.
    #[serde(flatten)]
    pub body: Body,
}

/// What the document holds besides its header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Body {
    /// The families ran (or were skipped one by one).
    Ran {
        /// Counts over every family.
        total: Total,
        /// The seed (hex), for `--seed` / `TCPMD5_DIFF_SEED`.
        seed: String,
        /// The model's semantics the kernel is held to.
        #[serde(with = "crate::ids::semantics")]
        semantics: Semantics,
        /// The kernel release.
        kernel: String,
        /// Cases requested per family.
        cases_per_family: u32,
        /// Per family.
        families: Vec<FamilyReport>,
    },
    /// No case could run here at all.
    Unavailable {
        /// Why (the environment probe's reason).
        unavailable: String,
        /// The seed asked for.
        seed: String,
        /// Cases asked for per family.
        cases_per_family: u32,
    },
}

/// Counts over every family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Total {
    /// Cases run.
    pub cases: u64,
    /// Cases where kernel and model agreed.
    pub agreements: u64,
    /// Cases where they did not.
    pub disagreements: u64,
    /// Families that could not run here (each with its reason in `families`).
    pub skipped_families: u64,
    /// Verdicts that rest on inference (see [`FamilyReport::inferred`]).
    pub inferred: u64,
    /// TCP-AO cases run (counted in `cases` too).
    pub ao_cases: u64,
    /// TCP-AO cases where kernel and model agreed.
    pub ao_agreements: u64,
    /// Families whose AO share could not run (see [`AoShare::skipped`]).
    pub ao_skipped_families: u64,
}

/// Cases of one kind in one family.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KindStats {
    /// Cases run (shrinking steps not included).
    pub cases: u64,
    /// Cases where kernel and model agreed on everything.
    pub agreements: u64,
    /// Cases where they did not.
    pub disagreements: u64,
    /// Wall time spent on these cases, seconds (connection set-up included),
    /// summed over the labs that ran them side by side.
    pub seconds: f64,
}

impl KindStats {
    /// Cases per second.
    pub fn rate(&self) -> f64 {
        self.cases as f64 / self.seconds.max(1e-9)
    }
}

/// A case where kernel and model disagreed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disagreement {
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// The case kind (`listener syn`, `established data in-window`, ...).
    pub kind: String,
    /// Whether this is proptest's shrunk (minimal) case rather than the
    /// first one found.
    pub shrunk: bool,
    /// The IP packet injected, hex.
    pub packet_hex: String,
    /// The model's verdict.
    pub expected: String,
    /// The kernel's.
    pub observed: String,
    /// Every disagreement found in the case.
    pub problems: Vec<String>,
    /// Evidence.
    pub notes: Vec<String>,
}

/// One case's verdicts, in case order (for comparing runs, not reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseVerdict {
    /// The case kind.
    pub kind: String,
    /// The model's verdict.
    pub expected: String,
    /// The kernel's.
    pub observed: String,
    /// Whether they agreed on everything.
    pub agrees: bool,
}

/// How the established connections came about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionEvents {
    /// Handshakes completed (signed with the key the listener held).
    pub handshakes: u64,
    /// Keys added, replaced or deleted on a live connection.
    pub key_changes: u64,
}

impl ConnectionEvents {
    /// Adds `other`.
    pub fn add(&mut self, other: ConnectionEvents) {
        self.handshakes += other.handshakes;
        self.key_changes += other.key_changes;
    }
}

/// One family's run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FamilyReport {
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// Set when the family could not run here (never counted as a pass).
    pub skipped: Option<String>,
    /// A harness failure that stopped the run.
    pub error: Option<String>,
    /// Per case kind.
    pub kinds: BTreeMap<String, KindStats>,
    /// The reach of its segments.
    pub reach: Reach,
    /// Disagreements (the first found, and the shrunk one).
    pub disagreements: Vec<Disagreement>,
    /// Cases whose kernel verdict rests on inference: without
    /// tracepoints, a `TCP_AUTH_HDR` drop.
    pub inferred: u64,
    /// How the established connections came about.
    pub connections: ConnectionEvents,
    /// Kernel exchanges spent shrinking a disagreement.
    pub shrink_steps: u64,
    /// Wall time, seconds (the AO share's included).
    pub seconds: f64,
    /// The TCP-AO cases (their kinds, `ao ...`, are in `kinds` too).
    pub ao: AoShare,
    /// Every case counted, in case order (not in the JSON).
    #[serde(skip)]
    pub verdicts: Vec<CaseVerdict>,
}

impl FamilyReport {
    /// An empty report for `family`.
    pub fn new(family: Family) -> FamilyReport {
        FamilyReport {
            family: family.to_string(),
            ..FamilyReport::default()
        }
    }

    /// Cases run.
    pub fn cases(&self) -> u64 {
        self.kinds.values().map(|k| k.cases).sum()
    }
}

/// The TCP-AO cases of one family: run on a kernel with `CONFIG_TCP_AO`,
/// skipped with the reason on any other.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AoShare {
    /// Why no AO case ran here (never counted as a pass).
    pub skipped: Option<String>,
    /// AO cases run (shrinking steps not included).
    pub cases: u64,
    /// Cases where kernel and model agreed on everything.
    pub agreements: u64,
    /// Cases where they did not.
    pub disagreements: u64,
    /// Connections established with an AO-signed handshake for them.
    pub handshakes: u64,
    /// The model's verdicts over the cases (`accept`, `drop:TCP_AOFAILURE`).
    pub verdicts: BTreeMap<String, u64>,
    /// Cases by how the segment was authenticated (`signed`, `mac-bit`,
    /// `unknown-keyid`, `ao+md5`, ...).
    pub forms: BTreeMap<String, u64>,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// Counts over the segments of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    /// Segments sent.
    pub segments: u64,
    /// To a listener (SYNs).
    pub listener: u64,
    /// To an established connection.
    pub established: u64,
    /// With an option of kind 19 before any EOL, any length.
    pub md5_option: u64,
    /// With an option of kind 29 before any EOL.
    pub ao_option: u64,
    /// Whose option area a strict reading (RFC 2385 and RFC 9293 syntax)
    /// finds malformed.
    pub malformed: u64,
    /// With a full 40-byte option area.
    pub full_area: u64,
    /// With an EOL the receiver reaches.
    pub eol: u64,
    /// With a payload.
    pub payload: u64,
    /// With a bad TCP checksum.
    pub bad_checksum: u64,
    /// Of those, longer than 76 bytes: the MD5 check comes first.
    pub checksum_after_auth: u64,
    /// Where the receiver held a key (for any address).
    pub receiver_key: u64,
    /// Of those, keys for a prefix holding the peer.
    pub key_prefix: u64,
    /// Of those, keys for another address only.
    pub key_elsewhere: u64,
    /// Of those, keys with a NUL byte.
    pub key_with_nul: u64,
    /// Of those, keys of the maximum length (80 bytes).
    pub key_max_len: u64,
    /// The model's verdicts (`accept (digest verified)`, `drop TCP_AUTH_HDR`, ...).
    pub verdicts: BTreeMap<String, u64>,
}

impl Reach {
    /// Adds another run's counts.
    pub fn add(&mut self, other: &Reach) {
        self.segments += other.segments;
        self.listener += other.listener;
        self.established += other.established;
        self.md5_option += other.md5_option;
        self.ao_option += other.ao_option;
        self.malformed += other.malformed;
        self.full_area += other.full_area;
        self.eol += other.eol;
        self.payload += other.payload;
        self.bad_checksum += other.bad_checksum;
        self.checksum_after_auth += other.checksum_after_auth;
        self.receiver_key += other.receiver_key;
        self.key_prefix += other.key_prefix;
        self.key_elsewhere += other.key_elsewhere;
        self.key_with_nul += other.key_with_nul;
        self.key_max_len += other.key_max_len;
        for (k, v) in &other.verdicts {
            *self.verdicts.entry(k.clone()).or_default() += v;
        }
    }

    /// The fractions, for the report.
    pub fn lines(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("to a listener (SYN)", self.listener),
            ("to an established connection", self.established),
            ("MD5 option (kind 19, any length)", self.md5_option),
            ("AO option (kind 29)", self.ao_option),
            ("malformed option area (strict reading)", self.malformed),
            ("full 40-byte option area", self.full_area),
            ("EOL reached by the scan", self.eol),
            ("payload", self.payload),
            ("bad TCP checksum", self.bad_checksum),
            (
                "  longer than 76 bytes (MD5 check first)",
                self.checksum_after_auth,
            ),
            ("receiver holds a key", self.receiver_key),
            ("  for a prefix holding the peer", self.key_prefix),
            ("  for another address only", self.key_elsewhere),
            ("  the key has a NUL byte", self.key_with_nul),
            ("  the key is 80 bytes long", self.key_max_len),
        ]
    }
}
