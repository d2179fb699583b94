//! A chunk's verdicts: every frame located, its flow found (the key
//! lookup once per flow), the segments judged as a batch, then each
//! concluded by the shared decision ([`crate::assess::conclude`]) and
//! handed to [`super::output`].

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;

use serde_json::json;
use tcpmd5::batch::{Batch, SegmentAtSocket};
use tcpmd5::verdict::VerdictId;
use tcpmd5::wire::TcpFlags;

use crate::args::{Format, VerifyArgs};
use crate::assess::{Status, checksums, conclude, prepare_flow};
use crate::diagnosis::End;
use crate::keys::KeyRing;
use crate::segment::{Located, Segment, Unchecked, locate};
use crate::summary::{ConnectionId, ConnectionSummary};

use super::BATCH;
use super::chunk::Chunk;
use super::flow::{ChunkConnection, Flow, FlowKey, Spelled};
use super::output::Output;

/// An empty vector with the allocation of `v` (kept when the element types
/// have the same layout, as two lifetimes of one type do): scratch space
/// that borrows a chunk outlives it.
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// What a frame of a chunk is: a TCP segment (its flow; the segment itself
/// is the next of the chunk's segments), or not.
#[derive(Debug)]
enum Seen {
    Tcp(usize),
    Unchecked(Unchecked),
    Other,
}

/// Judges chunks: each thread has its own (its key tables and flows are
/// found on first use).
#[derive(Debug)]
pub(super) struct Judge<'a> {
    args: &'a VerifyArgs,
    keys: KeyRing,
    batch: Batch,
    flows: Vec<Flow>,
    flow_index: HashMap<FlowKey, usize>,
    /// The last flow found (a capture's segments come in runs of one
    /// flow, or of one connection both ways).
    last_flows: [usize; 2],
    chunks: u64,
    connections: Vec<ChunkConnection>,
    /// Per frame of the chunk, what it is; its segments, for the batch
    /// (scratch: their allocations kept from chunk to chunk).
    seen: Vec<Seen>,
    segments: Vec<Segment<'static>>,
    at_sockets: Vec<SegmentAtSocket<'static>>,
    flags: Spelled<TcpFlags>,
    verdicts: Spelled<VerdictId>,
}

impl Judge<'_> {
    pub(super) fn new(args: &VerifyArgs, keys: KeyRing) -> Judge<'_> {
        Judge {
            args,
            keys,
            batch: Batch::new(args.semantics),
            flows: Vec::new(),
            flow_index: HashMap::new(),
            last_flows: [usize::MAX; 2],
            chunks: 0,
            connections: Vec::new(),
            seen: Vec::new(),
            segments: Vec::new(),
            at_sockets: Vec::new(),
            flags: Spelled::default(),
            verdicts: Spelled::default(),
        }
    }
}

impl Clone for Judge<'_> {
    fn clone(&self) -> Self {
        Judge::new(self.args, self.keys.clone())
    }
}

impl Judge<'_> {
    /// The flow of a segment, found or made.
    fn flow(&mut self, seg: &Segment<'_>) -> usize {
        let tcp = seg.tcp();
        let addrs = &seg.ip.addrs;
        let (sport, dport) = (tcp.src_port(), tcp.dst_port());
        let key = FlowKey::of(addrs, sport, dport);
        for &at in &self.last_flows {
            if self.flows.get(at).is_some_and(|f| f.key == key) {
                return at;
            }
        }
        let at = match self.flow_index.get(&key) {
            Some(&at) => at,
            None => {
                let prepared = prepare_flow(*addrs, sport, dport, &mut self.keys);
                let (src, dst) = (
                    SocketAddr::new(addrs.src(), sport),
                    SocketAddr::new(addrs.dst(), dport),
                );
                let (src, dst) = (src.to_string(), dst.to_string());
                let (a, b) = (addrs.src(), addrs.dst());
                self.flows.push(Flow {
                    key,
                    prepared,
                    connection: ConnectionId::of(a, sport, b, dport),
                    session: if a <= b { (a, b) } else { (b, a) },
                    from: if a <= b { End::A } else { End::B },
                    head: format!("{src} > {dst} ").into_bytes(),
                    src,
                    dst,
                    tail: None,
                    slot: None,
                });
                self.flow_index.insert(key, self.flows.len() - 1);
                self.flows.len() - 1
            }
        };
        self.last_flows = [at, self.last_flows[0]];
        at
    }

    /// Fills `chunk.text` and `chunk.summary`.
    pub(super) fn chunk(&mut self, chunk: &mut Chunk) {
        self.chunks += 1;
        let Chunk {
            bytes,
            frames,
            text,
            summary,
        } = chunk;
        // Every segment once: located and its flow found (which may build a
        // key table), then each given its table, then judged as a batch.
        // Segments stay where pass one put them (read in place later: a
        // fresh copy read back at once stalls on the store).
        let mut segments: Vec<Segment<'_>> = recycle(std::mem::take(&mut self.segments));
        self.seen.clear();
        for f in frames.iter() {
            let seen = match locate(f.link, bytes.get(f.data.clone()).unwrap_or(&[]), f.orig_len) {
                Located::Tcp(seg) => {
                    segments.push(seg);
                    Seen::Tcp(self.flow(&seg))
                }
                Located::Unchecked(why) => Seen::Unchecked(why),
                Located::Other => Seen::Other,
            };
            self.seen.push(seen);
        }
        let mut at_sockets: Vec<SegmentAtSocket<'_>> =
            recycle(std::mem::take(&mut self.at_sockets));
        let flows = self.seen.iter().filter_map(|s| match s {
            Seen::Tcp(flow) => Some(*flow),
            _ => None,
        });
        at_sockets.extend(segments.iter().zip(flows).filter_map(|(seg, flow)| {
            // A segment always has its flow.
            self.flows.get(flow).map(|f| SegmentAtSocket {
                packet: seg.packet,
                located: seg.ip,
                table: self.keys.table_of(f.prepared.table),
                l3index: 0,
            })
        }));
        let mode = checksums(self.args.checksum);
        let mut verdicts = Vec::with_capacity(at_sockets.len());
        for part in at_sockets.chunks(BATCH) {
            verdicts.extend(self.batch.segment_verdicts(part, mode));
        }
        let mut verdicts = verdicts.into_iter();
        self.at_sockets = recycle(at_sockets);
        let mut segs = segments.iter();
        for (frame, seen) in frames.iter().zip(&self.seen) {
            summary.frames += 1;
            match seen {
                Seen::Other => summary.other_frames += 1,
                Seen::Unchecked(why) => {
                    summary.unreadable += 1;
                    unchecked(self.args, text, frame.number, why);
                }
                &Seen::Tcp(flow) => {
                    if let Some(seg) = segs.next()
                        && let Some(f) = self.flows.get_mut(flow)
                        && let Some(verdict) = verdicts.next()
                    {
                        let a = conclude(
                            seg,
                            &self.keys,
                            self.args.semantics,
                            &f.prepared,
                            self.args.checksum,
                            verdict,
                        );
                        let mut out = Output {
                            args: self.args,
                            keys: &self.keys,
                            text,
                            summary,
                            connections: &mut self.connections,
                            chunk: self.chunks,
                            flags: &mut self.flags,
                            verdicts: &mut self.verdicts,
                        };
                        out.segment(frame.number, seg, f, &a);
                    }
                }
            }
        }
        self.segments = recycle(segments);
        let keys = &self.keys;
        summary.connections = self
            .connections
            .drain(..)
            .map(|c| {
                let summary = ConnectionSummary {
                    counts: c.counts,
                    keys: c
                        .keys
                        .iter()
                        .filter_map(|&i| keys.spec(i).map(|s| s.label().to_owned()))
                        .collect(),
                    drops: c.drops,
                };
                (c.id, summary)
            })
            .collect();
    }
}

/// A frame without a segment to check, written.
fn unchecked(args: &VerifyArgs, text: &mut Vec<u8>, number: u64, why: &Unchecked) {
    // Writing to a Vec<u8> cannot fail.
    let _ = match args.format {
        Format::Json => {
            let record = json!({
                "frame": number,
                "status": Status::Unchecked.id(),
                "verdict": null,
                "unchecked": why.id(),
                "reason": why.reason(),
            });
            writeln!(text, "{record}")
        }
        Format::Human if args.frames => {
            writeln!(text, "#{number:<6} unchecked  {}", why.reason())
        }
        Format::Human => Ok(()),
    };
}
