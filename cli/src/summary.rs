//! Per-connection and total counts of a `verify` run.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::assess::Status;

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

/// Counts of segments by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// TCP segments.
    pub segments: u64,
    /// Carrying an MD5 option.
    pub signed: u64,
    /// Signed and verified.
    pub valid: u64,
    /// Dropped by the receiver.
    pub invalid: u64,
    /// Unsigned and accepted.
    pub unsigned: u64,
    /// TCP-AO in an MD5 session.
    pub bypass: u64,
    /// Not checkable.
    pub unchecked: u64,
}

impl Counts {
    /// Adds another's counts.
    pub fn merge(&mut self, other: &Counts) {
        self.segments += other.segments;
        self.signed += other.signed;
        self.valid += other.valid;
        self.invalid += other.invalid;
        self.unsigned += other.unsigned;
        self.bypass += other.bypass;
        self.unchecked += other.unchecked;
    }

    /// Adds one segment.
    pub fn add(&mut self, status: Status, signed: bool) {
        self.segments += 1;
        self.signed += u64::from(signed);
        match status {
            Status::Valid => self.valid += 1,
            Status::Invalid => self.invalid += 1,
            Status::Unsigned => self.unsigned += 1,
            Status::Bypass => self.bypass += 1,
            Status::Unchecked => self.unchecked += 1,
        }
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
        self.totals.merge(&later.totals);
        self.frames += later.frames;
        self.other_frames += later.other_frames;
        self.partial_checksums += later.partial_checksums;
    }

    /// Whether any segment fails.
    pub fn failed(&self) -> bool {
        self.totals.invalid + self.totals.bypass > 0
    }
}
