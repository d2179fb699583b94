//! Per-connection and total counts of a `verify` run.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::assess::Status;
use crate::diagnosis::Evidence;

/// A connection, its endpoints in a canonical order (lower first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId {
    /// One end.
    pub a: SocketAddr,
    /// The other.
    pub b: SocketAddr,
}

impl ConnectionId {
    /// The connection of a segment from `src:sport` to `dst:dport`.
    pub fn of(src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> ConnectionId {
        let (x, y) = (SocketAddr::new(src, sport), SocketAddr::new(dst, dport));
        if x <= y {
            ConnectionId { a: x, b: y }
        } else {
            ConnectionId { a: y, b: x }
        }
    }
}

/// Counts of segments by outcome, that add up: `signed + unsigned =
/// segments`, `valid + invalid + unchecked = signed`, `accepted + dropped +
/// bypass + unchecked = unsigned` (of the unsigned ones).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// TCP segments.
    pub segments: u64,
    /// Carrying an MD5 option.
    pub signed: u64,
    /// Not carrying one.
    pub unsigned: u64,
    /// Signed and verified.
    pub valid: u64,
    /// Signed and dropped by the receiver.
    pub invalid: u64,
    /// Signed, and not checkable (no key for the receiver, malformed).
    pub unchecked: u64,
    /// Unsigned and accepted.
    pub unsigned_accepted: u64,
    /// Unsigned and dropped (a key for the sender, a bad checksum).
    pub unsigned_dropped: u64,
    /// Unsigned, with a TCP-AO option let past an MD5 key: a bypass.
    pub bypass: u64,
    /// Unsigned and not checkable (malformed).
    pub unsigned_unchecked: u64,
    /// Segments whose receiver's keys were known (a verdict, not a guess).
    pub decided: u64,
}

impl Counts {
    /// Adds another's counts.
    pub fn merge(&mut self, o: &Counts) {
        self.segments += o.segments;
        self.signed += o.signed;
        self.unsigned += o.unsigned;
        self.valid += o.valid;
        self.invalid += o.invalid;
        self.unchecked += o.unchecked;
        self.unsigned_accepted += o.unsigned_accepted;
        self.unsigned_dropped += o.unsigned_dropped;
        self.bypass += o.bypass;
        self.unsigned_unchecked += o.unsigned_unchecked;
        self.decided += o.decided;
    }

    /// Adds one segment: its status, whether it carries an MD5 option, and
    /// whether the receiver's keys were known.
    pub fn add(&mut self, status: Status, signed: bool, decided: bool) {
        self.segments += 1;
        self.decided += u64::from(decided);
        if signed {
            self.signed += 1;
            match status {
                Status::Valid => self.valid += 1,
                Status::Invalid | Status::Bypass => self.invalid += 1,
                Status::Unsigned | Status::Unchecked => self.unchecked += 1,
            }
        } else {
            self.unsigned += 1;
            match status {
                Status::Unsigned | Status::Valid => self.unsigned_accepted += 1,
                Status::Invalid => self.unsigned_dropped += 1,
                Status::Bypass => self.bypass += 1,
                Status::Unchecked => self.unsigned_unchecked += 1,
            }
        }
    }

    /// Whether any segment fails (dropped, or a bypass).
    pub fn fails(&self) -> bool {
        self.invalid + self.unsigned_dropped + self.bypass > 0
    }
}

impl std::fmt::Display for Counts {
    /// `N segments: S signed (v valid, i invalid, u unchecked), U unsigned
    /// (a accepted, d dropped, b bypass[, u unchecked])`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} segments: {} signed ({} valid, {} invalid, {} unchecked), {} unsigned ({} accepted, {} dropped, {} bypass",
            self.segments,
            self.signed,
            self.valid,
            self.invalid,
            self.unchecked,
            self.unsigned,
            self.unsigned_accepted,
            self.unsigned_dropped,
            self.bypass
        )?;
        if self.unsigned_unchecked > 0 {
            write!(f, ", {} unchecked", self.unsigned_unchecked)?;
        }
        f.write_str(")")
    }
}

/// One connection's summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConnectionSummary {
    /// Counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// The keys that verified its segments (labels).
    pub keys: BTreeSet<String>,
    /// The verdict ids of its drops, with how often.
    pub drops: BTreeMap<String, u64>,
}

/// Everything a run counts.
#[derive(Debug, Default)]
pub struct Summary {
    /// By session (the two routers' addresses, lower first): the evidence
    /// of its diagnosis.
    pub sessions: BTreeMap<(IpAddr, IpAddr), Evidence>,
    /// Frames whose TCP segment cannot be read (cut, fragment, malformed).
    pub unreadable: u64,
    /// By connection, in order of first appearance is not kept: sorted.
    pub connections: BTreeMap<ConnectionId, ConnectionSummary>,
    /// Totals over TCP segments.
    pub totals: Counts,
    /// Frames read.
    pub frames: u64,
    /// Frames without a TCP segment.
    pub other_frames: u64,
    /// Segments whose TCP checksum is a partial (offloaded) one.
    pub partial_checksums: u64,
}

impl Summary {
    /// Adds the summary of the frames that follow (a later chunk).
    pub fn merge(&mut self, later: Summary) {
        for (id, c) in later.connections {
            match self.connections.entry(id) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(c);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    let mine = o.get_mut();
                    mine.counts.merge(&c.counts);
                    mine.keys.extend(c.keys);
                    for (d, n) in c.drops {
                        *mine.drops.entry(d).or_default() += n;
                    }
                }
            }
        }
        for (id, e) in later.sessions {
            match self.sessions.entry(id) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(e);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().merge(&e),
            }
        }
        self.unreadable += later.unreadable;
        self.totals.merge(&later.totals);
        self.frames += later.frames;
        self.other_frames += later.other_frames;
        self.partial_checksums += later.partial_checksums;
    }

    /// Whether any segment fails.
    pub fn failed(&self) -> bool {
        self.totals.fails()
    }

    /// Whether no segment could be decided (no keys for any receiver, or
    /// no segment at all).
    pub fn nothing_checked(&self) -> bool {
        self.totals.decided == 0
    }
}
