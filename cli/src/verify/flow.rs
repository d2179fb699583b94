//! What the segments of a flow (one direction of a connection) share, and
//! the per-chunk tallies of its connection: found once per flow by the
//! judge, read by the output.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use tcpmd5::AddrPair;
use tcpmd5::verdict::VerdictId;
use tcpmd5::wire::TcpFlags;

use crate::assess::{Prepared, Status};
use crate::diagnosis::End;
use crate::summary::{ConnectionId, Counts};

/// A segment's addresses and ports (source, destination): what its flow
/// is, as plain integers (compared in registers, per segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct FlowKey {
    v6: bool,
    src: u128,
    dst: u128,
    ports: u32,
}

impl FlowKey {
    pub(super) fn of(addrs: &AddrPair, sport: u16, dport: u16) -> FlowKey {
        let (v6, src, dst) = match *addrs {
            AddrPair::V4 { src, dst } => (false, src.to_bits().into(), dst.to_bits().into()),
            AddrPair::V6 { src, dst } => (true, src.to_bits(), dst.to_bits()),
        };
        FlowKey {
            v6,
            src,
            dst,
            ports: (u32::from(sport) << 16) | u32::from(dport),
        }
    }
}

/// What every segment of a flow (one direction of a connection) shares,
/// found at its first segment.
#[derive(Debug)]
pub(super) struct Flow {
    pub(super) key: FlowKey,
    pub(super) prepared: Prepared,
    pub(super) connection: ConnectionId,
    /// Its session (the two addresses, lower first) and which end sends.
    pub(super) session: (IpAddr, IpAddr),
    pub(super) from: End,
    /// Source and destination as printed.
    pub(super) src: String,
    pub(super) dst: String,
    /// `{src} > {dst} `: a human line's middle.
    pub(super) head: Vec<u8>,
    /// The rest of the flow's last human line and what it said: the next
    /// segment most often says the same.
    pub(super) tail: Option<(Said, Vec<u8>)>,
    /// Its connection's slot in the chunk being judged: (chunk, slot).
    pub(super) slot: Option<(u64, usize)>,
}

/// What the end of a human line depends on (a static reason, by its
/// address: an assessment with any other reason is written anew).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Said {
    pub(super) flags: TcpFlags,
    pub(super) status: Status,
    pub(super) verdict: Option<VerdictId>,
    pub(super) key: Option<usize>,
    pub(super) reason: (usize, usize),
}

/// A connection's counts in one chunk.
#[derive(Debug)]
pub(super) struct ChunkConnection {
    pub(super) id: ConnectionId,
    pub(super) counts: Counts,
    /// The keys that verified its segments (indices in the ring).
    pub(super) keys: Vec<usize>,
    pub(super) drops: BTreeMap<String, u64>,
}

/// The `Display` text of the few values a capture repeats on every line
/// (flags, verdict ids), formatted once each.
#[derive(Debug)]
pub(super) struct Spelled<K> {
    texts: Vec<(K, String)>,
}

impl<K> Default for Spelled<K> {
    fn default() -> Self {
        Spelled { texts: Vec::new() }
    }
}

impl<K: Copy + PartialEq + fmt::Display> Spelled<K> {
    pub(super) fn get(&mut self, k: K) -> &str {
        let at = match self.texts.iter().position(|(x, _)| *x == k) {
            Some(at) => at,
            None => {
                self.texts.push((k, k.to_string()));
                self.texts.len() - 1
            }
        };
        self.texts.get(at).map_or("", |(_, t)| t.as_str())
    }
}
