//! `tcpmd5 verify`: every TCP segment of a capture, streamed.
//!
//! The file is read in blocks of whole records ([`Blocks`]: a chunk's
//! frames are ranges of its block, never copied); each chunk is judged at
//! once (the library's [`Batch`]: the MD5 work of a chunk shares the vector
//! unit's lanes) into its output text and its part of the summary. What a
//! flow's segments share (the key lookup, the connection, the endpoints as
//! printed) is found once per flow. With `--jobs N > 1`, one thread reads,
//! N judge chunks (chunk i by worker i mod N) and the calling thread writes
//! them in capture order; every queue holds one chunk, so memory stays
//! bounded whatever the capture's size.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde_json::json;
use tcpmd5::AddrPair;
use tcpmd5::batch::{Batch, SegmentAtSocket};
use tcpmd5::verdict::VerdictId;
use tcpmd5::wire::TcpFlags;

use crate::args::{Format, VerifyArgs};
use crate::assess::{Assessment, Prepared, Status, checksums, conclude, prepare_flow};
use crate::capture::{Blocks, CaptureError, FrameAt};
use crate::error::{CliError, Status as Exit};
use crate::keys::KeyRing;
use crate::segment::{Located, Segment, Unchecked, locate};
use crate::summary::{ConnectionId, ConnectionSummary, Counts, Summary};

/// Segments per call into the library's batch: 16 lanes filled many times
/// over, and its scratch vectors small enough for malloc to reuse.
const BATCH: usize = 256;

/// Runs `verify`, writing to `out`.
pub fn run(args: &VerifyArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let keys = KeyRing::load(&args.keys.keys, &args.keys.key_files)?;
    let path = args.file.display().to_string();
    let file = File::open(&args.file).map_err(|e| CliError::file(&args.file, &e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = progress_bar(len);
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let mut run = Run {
        args,
        out,
        summary: Summary::default(),
        write_error: None,
    };
    let judge = Judge::new(args, keys);
    let blocks = Blocks::new(file);
    let result = if jobs <= 1 {
        serial(blocks, judge, &mut run, progress.as_ref())
    } else {
        parallel(blocks, &judge, jobs, &mut run, progress.as_ref())
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Err(e) = result {
        // What was printed stands; the file's flaw is the error.
        let _ = run.out.flush();
        return Err(CliError::Capture {
            path,
            offset: e.offset,
            detail: e.detail,
        });
    }
    if run.write_error.is_none() {
        run.finish(&path);
    }
    match run.write_error {
        Some(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::File {
            path: "stdout".to_owned(),
            detail: e.to_string(),
        }),
        _ => Ok(if run.summary.failed() {
            Exit::Failures
        } else {
            Exit::Ok
        }),
    }
}

fn progress_bar(len: u64) -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() || len < (8 << 20) {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Reads the next block into `chunk`; whether there was one.
fn read_chunk(
    blocks: &mut Blocks<File>,
    chunk: &mut Chunk,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<bool, CaptureError> {
    chunk.clear();
    let more = blocks.next_block(&mut chunk.bytes, &mut chunk.frames)?;
    if let Some(bar) = progress {
        bar.set_position(blocks.consumed());
    }
    Ok(more)
}

/// One thread: read a chunk, judge it, write it.
fn serial(
    mut blocks: Blocks<File>,
    mut judge: Judge<'_>,
    run: &mut Run<'_>,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<(), CaptureError> {
    let mut chunk = Chunk::default();
    while read_chunk(&mut blocks, &mut chunk, progress)? {
        judge.chunk(&mut chunk);
        if run.chunk(&mut chunk) == Next::Stop {
            break;
        }
    }
    Ok(())
}

/// Whether to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Continue,
    Stop,
}

/// A reading thread, `jobs` judging threads (chunk i to worker i mod
/// `jobs`), and the writing caller, which takes the chunks back in the
/// same order.
fn parallel(
    blocks: Blocks<File>,
    judge: &Judge<'_>,
    jobs: usize,
    run: &mut Run<'_>,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<(), CaptureError> {
    std::thread::scope(|scope| {
        let (free_tx, free_rx) = sync_channel::<Chunk>(jobs * 3);
        let mut to_workers = Vec::with_capacity(jobs);
        let mut from_workers = Vec::with_capacity(jobs);
        for _ in 0..jobs {
            let (in_tx, in_rx) = sync_channel::<Chunk>(1);
            let (out_tx, out_rx) = sync_channel::<Chunk>(1);
            let mut judge = judge.clone();
            scope.spawn(move || {
                for mut chunk in in_rx {
                    judge.chunk(&mut chunk);
                    if out_tx.send(chunk).is_err() {
                        break;
                    }
                }
            });
            to_workers.push(in_tx);
            from_workers.push(out_rx);
        }
        let reader = scope.spawn(move || read_into_chunks(blocks, &to_workers, &free_rx, progress));
        write_in_order(run, from_workers, free_tx);
        // The writer is done (or stdout closed): every queue is dropped,
        // so the reader and the workers end.
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The reading thread: block i to worker i mod n.
fn read_into_chunks(
    mut blocks: Blocks<File>,
    to_workers: &[SyncSender<Chunk>],
    free: &Receiver<Chunk>,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<(), CaptureError> {
    for worker in to_workers.iter().cycle() {
        let mut chunk = free.try_recv().unwrap_or_default();
        if !read_chunk(&mut blocks, &mut chunk, progress)? || worker.send(chunk).is_err() {
            break;
        }
    }
    Ok(())
}

/// The writing side: chunk i from worker i mod n, until one has no more.
fn write_in_order(run: &mut Run<'_>, from_workers: Vec<Receiver<Chunk>>, free: SyncSender<Chunk>) {
    for worker in from_workers.iter().cycle() {
        let Ok(mut chunk) = worker.recv() else {
            return;
        };
        if run.chunk(&mut chunk) == Next::Stop {
            return;
        }
        // A full free list drops the chunk instead.
        let _ = free.try_send(chunk);
    }
}

/// A block of whole records, its frames, and once judged their output and
/// summary.
#[derive(Debug, Default)]
struct Chunk {
    bytes: Vec<u8>,
    frames: Vec<FrameAt>,
    text: Vec<u8>,
    summary: Summary,
}

impl Chunk {
    fn clear(&mut self) {
        self.bytes.clear();
        self.frames.clear();
        self.text.clear();
        self.summary = Summary::default();
    }
}

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

/// A segment's addresses and ports (source, destination): what its flow
/// is, as plain integers (compared in registers, per segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FlowKey {
    v6: bool,
    src: u128,
    dst: u128,
    ports: u32,
}

impl FlowKey {
    fn of(addrs: &AddrPair, sport: u16, dport: u16) -> FlowKey {
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
struct Flow {
    key: FlowKey,
    prepared: Prepared,
    connection: ConnectionId,
    /// Source and destination as printed.
    src: String,
    dst: String,
    /// `{src} > {dst} `: a human line's middle.
    head: Vec<u8>,
    /// The rest of the flow's last human line and what it said: the next
    /// segment most often says the same.
    tail: Option<(Said, Vec<u8>)>,
    /// Its connection's slot in the chunk being judged: (chunk, slot).
    slot: Option<(u64, usize)>,
}

/// What the end of a human line depends on (a static reason, by its
/// address: an assessment with any other reason is written anew).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Said {
    flags: TcpFlags,
    status: Status,
    verdict: Option<VerdictId>,
    key: Option<usize>,
    reason: (usize, usize),
}

/// A connection's counts in one chunk.
#[derive(Debug)]
struct ChunkConnection {
    id: ConnectionId,
    counts: Counts,
    /// The keys that verified its segments (indices in the ring).
    keys: Vec<usize>,
    drops: BTreeMap<String, u64>,
}

/// Judges chunks: each thread has its own (its key tables and flows are
/// found on first use).
#[derive(Debug)]
struct Judge<'a> {
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
    fn new(args: &VerifyArgs, keys: KeyRing) -> Judge<'_> {
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
        Judge::new(self.args, KeyRing::new(self.keys.specs().to_vec()))
    }
}

/// The `Display` text of the few values a capture repeats on every line
/// (flags, verdict ids), formatted once each.
#[derive(Debug)]
struct Spelled<K> {
    texts: Vec<(K, String)>,
}

impl<K> Default for Spelled<K> {
    fn default() -> Self {
        Spelled { texts: Vec::new() }
    }
}

impl<K: Copy + PartialEq + fmt::Display> Spelled<K> {
    fn get(&mut self, k: K) -> &str {
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
                self.flows.push(Flow {
                    key,
                    prepared,
                    connection: ConnectionId::of(addrs.src(), sport, addrs.dst(), dport),
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
    fn chunk(&mut self, chunk: &mut Chunk) {
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
                    summary.totals.add(Status::Unchecked, false);
                    unchecked(self.args.format, text, frame.number, why);
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
fn unchecked(format: Format, text: &mut Vec<u8>, number: u64, why: &Unchecked) {
    // Writing to a Vec<u8> cannot fail.
    let _ = match format {
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
        Format::Human => writeln!(text, "#{number:<6} unchecked  {}", why.reason()),
    };
}

/// A chunk's output text and summary, being written.
struct Output<'a> {
    args: &'a VerifyArgs,
    keys: &'a KeyRing,
    text: &'a mut Vec<u8>,
    summary: &'a mut Summary,
    /// The chunk's connections, each once, in order of appearance (a
    /// flow knows its slot).
    connections: &'a mut Vec<ChunkConnection>,
    chunk: u64,
    flags: &'a mut Spelled<TcpFlags>,
    verdicts: &'a mut Spelled<VerdictId>,
}

/// Appends `text`, then spaces up to `width` bytes (`{:<width}`).
fn padded(out: &mut Vec<u8>, text: &[u8], width: usize) {
    out.extend_from_slice(text);
    out.resize(out.len() + width.saturating_sub(text.len()), b' ');
}

impl Output<'_> {
    /// The chunk's counts of the flow's connection.
    fn connection(&mut self, flow: &mut Flow) -> Option<&mut ChunkConnection> {
        let slot = match flow.slot {
            Some((chunk, slot)) if chunk == self.chunk => slot,
            _ => {
                // Both directions of a connection share its slot.
                let slot = match self
                    .connections
                    .iter()
                    .position(|c| c.id == flow.connection)
                {
                    Some(slot) => slot,
                    None => {
                        self.connections.push(ChunkConnection {
                            id: flow.connection,
                            counts: Counts::default(),
                            keys: Vec::new(),
                            drops: BTreeMap::new(),
                        });
                        self.connections.len() - 1
                    }
                };
                flow.slot = Some((self.chunk, slot));
                slot
            }
        };
        self.connections.get_mut(slot)
    }

    fn segment(&mut self, number: u64, seg: &Segment<'_>, flow: &mut Flow, a: &Assessment) {
        let tcp = seg.tcp();
        // Carries an MD5 option, read as its sender wrote it.
        let signed = tcpmd5::sign::locate_md5_option(tcp.options()).is_some();
        let summary = &mut *self.summary;
        summary.totals.add(a.status, signed);
        let partial = a.checksum_note.is_some_and(|r| r.partial);
        summary.partial_checksums += u64::from(partial);
        let Some(conn) = self.connection(flow) else {
            return;
        };
        conn.counts.add(a.status, signed);
        if a.status == Status::Valid
            && let Some(k) = a.key
            && !conn.keys.contains(&k)
        {
            conn.keys.push(k);
        }
        if a.status.fails()
            && let Some(v) = a.verdict
        {
            *conn.drops.entry(v.id().to_string()).or_default() += 1;
        }
        if self.args.quiet && !a.status.fails() && a.status != Status::Unchecked {
            return;
        }
        let label = a.key.and_then(|i| self.keys.spec(i)).map(|s| s.label());
        let flags = tcp.flags();
        match self.args.format {
            Format::Json => {
                let record = json!({
                    "frame": number,
                    "src": flow.src,
                    "dst": flow.dst,
                    "flags": flags.to_string(),
                    "status": a.status.id(),
                    "verdict": a.verdict.map(|v| v.id().to_string()),
                    "reason": a.reason,
                    "key": label,
                    "notes": a.all_notes(),
                });
                let _ = writeln!(self.text, "{record}");
            }
            Format::Human => {
                // `#{number:<6} {src} > {dst} {flags} {status:<9} {verdict}:
                // {reason}[, key {key}]`, pieced together from the flow's
                // middle and (most often) the end of its last line: this
                // line is most of the tool's work per segment after the
                // digest.
                let said = Said {
                    flags,
                    status: a.status,
                    verdict: a.verdict.map(|v| v.id()),
                    key: a.key,
                    reason: match &a.reason {
                        std::borrow::Cow::Borrowed(r) => (r.as_ptr() as usize, r.len()),
                        std::borrow::Cow::Owned(_) => (0, 0),
                    },
                };
                if said.reason == (0, 0) || flow.tail.as_ref().is_none_or(|(s, _)| *s != said) {
                    let mut t = Vec::new();
                    t.extend_from_slice(self.flags.get(flags).as_bytes());
                    t.push(b' ');
                    padded(&mut t, a.status.id().as_bytes(), 9);
                    t.push(b' ');
                    match said.verdict {
                        Some(v) => t.extend_from_slice(self.verdicts.get(v).as_bytes()),
                        None => t.push(b'-'),
                    }
                    t.extend_from_slice(b": ");
                    t.extend_from_slice(a.reason.as_bytes());
                    if let Some(k) = label
                        && a.status == Status::Valid
                    {
                        t.extend_from_slice(b", key ");
                        t.extend_from_slice(k.as_bytes());
                    }
                    t.push(b'\n');
                    flow.tail = Some((said, t));
                }
                let out = &mut *self.text;
                out.push(b'#');
                padded(out, itoa::Buffer::new().format(number).as_bytes(), 6);
                out.push(b' ');
                out.extend_from_slice(&flow.head);
                if let Some((_, t)) = &flow.tail {
                    out.extend_from_slice(t);
                }
            }
        }
        if self.args.format == Format::Human {
            // A partial checksum is counted in the summary instead.
            let shown = a
                .checksum_note
                .filter(|r| !r.partial)
                .and_then(|r| r.problem());
            for note in shown.iter().chain(&a.notes) {
                let _ = writeln!(self.text, "        note: {note}");
            }
        }
    }
}

struct Run<'a> {
    args: &'a VerifyArgs,
    out: &'a mut dyn Write,
    summary: Summary,
    write_error: Option<io::Error>,
}

impl Run<'_> {
    fn emit(&mut self, line: fmt::Arguments<'_>) -> Next {
        match self.out.write_fmt(line) {
            Ok(()) => Next::Continue,
            Err(e) => {
                self.write_error = Some(e);
                Next::Stop
            }
        }
    }

    /// Writes a judged chunk and counts it in.
    fn chunk(&mut self, chunk: &mut Chunk) -> Next {
        self.summary.merge(std::mem::take(&mut chunk.summary));
        match self.out.write_all(&chunk.text) {
            Ok(()) => Next::Continue,
            Err(e) => {
                self.write_error = Some(e);
                Next::Stop
            }
        }
    }

    fn finish(&mut self, path: &str) {
        let s = &self.summary;
        let t = &s.totals;
        let text = match self.args.format {
            Format::Json => {
                let connections: Vec<_> = s
                    .connections
                    .iter()
                    .map(|(id, c)| {
                        let mut v = serde_json::to_value(c).unwrap_or_default();
                        if let Some(o) = v.as_object_mut() {
                            o.insert("a".into(), id.a.to_string().into());
                            o.insert("b".into(), id.b.to_string().into());
                        }
                        v
                    })
                    .collect();
                let record = json!({"summary": {
                    "file": path,
                    "semantics": self.args.semantics.id(),
                    "checksum": self.args.checksum,
                    "frames": s.frames,
                    "partial_checksums": s.partial_checksums,
                    "other_frames": s.other_frames,
                    "totals": t,
                    "connections": connections,
                    "failed": s.failed(),
                }});
                format!("{record}\n")
            }
            Format::Human => {
                let mut text = format!(
                    "\nconnections ({}, semantics {}):\n",
                    s.connections.len(),
                    self.args.semantics.id()
                );
                for (id, c) in &s.connections {
                    let k = &c.counts;
                    text.push_str(&format!(
                        "  {} <> {}: {} segments, {} signed, {} valid, {} invalid, {} unsigned, {} bypass, {} unchecked",
                        id.a, id.b, k.segments, k.signed, k.valid, k.invalid, k.unsigned, k.bypass, k.unchecked
                    ));
                    if !c.keys.is_empty() {
                        let keys: Vec<&str> = c.keys.iter().map(String::as_str).collect();
                        text.push_str(&format!("; verified by {}", keys.join(", ")));
                    }
                    if !c.drops.is_empty() {
                        let drops: Vec<String> =
                            c.drops.iter().map(|(d, n)| format!("{d} x{n}")).collect();
                        text.push_str(&format!("; {}", drops.join(", ")));
                    }
                    text.push('\n');
                }
                text.push_str(&format!(
                    "total: {} frames, {} TCP segments: {} signed, {} valid, {} invalid, {} unsigned, {} bypass, {} unchecked{}\n",
                    s.frames,
                    t.segments,
                    t.signed,
                    t.valid,
                    t.invalid,
                    t.unsigned,
                    t.bypass,
                    t.unchecked,
                    if s.failed() { " — FAILED" } else { "" }
                ));
                if s.partial_checksums > 0 {
                    text.push_str(&format!(
                        "note: {} segments carry partial TCP checksums (TX offload: captured on the sending host); checked as if right (--checksum strict drops them)\n",
                        s.partial_checksums
                    ));
                }
                text
            }
        };
        let _ = self.emit(format_args!("{text}"));
    }
}
