//! `tcpmd5 verify`: every TCP segment of a capture, streamed.
//!
//! Frames are copied into chunks of [`CHUNK_FRAMES`]; each chunk is judged
//! at once (the library's [`Batch`]: the MD5 work of a chunk shares the
//! vector unit's lanes) into its output text and its part of the summary.
//! With `--jobs N > 1`, one thread reads, N judge chunks (chunk i by worker
//! i mod N) and the calling thread writes them in capture order; every
//! queue holds one chunk, so memory stays bounded whatever the capture's
//! size.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde_json::json;
use tcpmd5::batch::{Batch, PacketAtSocket};
use tcpmd5::verdict::VerdictId;
use tcpmd5::wire::TcpFlags;

use crate::args::{Format, VerifyArgs};
use crate::assess::{Assessment, Status, checksums, conclude, prepare};
use crate::capture::{CaptureError, Frame, Next, read_frames};
use crate::error::{CliError, Status as Exit};
use crate::keys::KeyRing;
use crate::link::LinkType;
use crate::segment::{Located, Segment, locate};
use crate::summary::{ConnectionId, ConnectionSummary, Summary};

/// Frames per chunk: 16 lanes filled many times over, hand-offs between
/// threads rare, and each chunk's scratch vectors under malloc's mmap
/// threshold (at 1024 frames they were mapped and unmapped per chunk: a
/// third of the time went to page faults).
const CHUNK_FRAMES: usize = 256;
/// Captured bytes per chunk at most (jumbo frames close a chunk early).
const CHUNK_BYTES: usize = 4 << 20;

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
    let result = if jobs <= 1 {
        serial(file, judge, &mut run, progress.as_ref())
    } else {
        parallel(file, &judge, jobs, &mut run, progress.as_ref())
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

/// One thread: read a chunk, judge it, write it.
fn serial(
    file: File,
    mut judge: Judge<'_>,
    run: &mut Run<'_>,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<u64, CaptureError> {
    let mut chunk = Chunk::default();
    let read = read_frames(file, |frame| {
        show_progress(progress, frame);
        if chunk.push(frame) {
            return Next::Continue;
        }
        judge.chunk(&mut chunk);
        let next = run.chunk(&mut chunk);
        chunk.clear();
        next
    });
    if run.write_error.is_none() && !chunk.frames.is_empty() {
        judge.chunk(&mut chunk);
        run.chunk(&mut chunk);
    }
    read
}

/// A reading thread, `jobs` judging threads (chunk i to worker i mod
/// `jobs`), and the writing caller, which takes the chunks back in the
/// same order.
fn parallel(
    file: File,
    judge: &Judge<'_>,
    jobs: usize,
    run: &mut Run<'_>,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<u64, CaptureError> {
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
        let reader = scope.spawn(move || read_into_chunks(file, &to_workers, &free_rx, progress));
        write_in_order(run, from_workers, free_tx);
        // The writer is done (or stdout closed): every queue is dropped,
        // so the reader and the workers end.
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The reading thread: frames into chunks, chunk i to worker i mod n.
fn read_into_chunks(
    file: File,
    to_workers: &[SyncSender<Chunk>],
    free: &Receiver<Chunk>,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<u64, CaptureError> {
    let mut chunk = Chunk::default();
    let mut sent = 0usize;
    let mut send = |chunk: Chunk| -> Next {
        let worker = to_workers.get(sent % to_workers.len().max(1));
        sent += 1;
        match worker {
            Some(w) if w.send(chunk).is_ok() => Next::Continue,
            _ => Next::Stop,
        }
    };
    let read = read_frames(file, |frame| {
        show_progress(progress, frame);
        if chunk.push(frame) {
            return Next::Continue;
        }
        let next_chunk = free.try_recv().unwrap_or_default();
        send(std::mem::replace(&mut chunk, next_chunk))
    });
    if !chunk.frames.is_empty() {
        send(chunk);
    }
    read
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
        chunk.clear();
        // A full free list drops the chunk instead.
        let _ = free.try_send(chunk);
    }
}

fn show_progress(progress: Option<&indicatif::ProgressBar>, frame: &Frame<'_>) {
    if let Some(bar) = progress
        && frame.number.is_multiple_of(4096)
    {
        bar.set_position(frame.offset);
    }
}

/// A frame of a chunk: where its bytes are in [`Chunk::bytes`].
#[derive(Debug, Clone)]
struct FrameAt {
    number: u64,
    link: LinkType,
    bytes: Range<usize>,
    orig_len: u32,
}

/// Consecutive frames, copied, and once judged their output and summary.
#[derive(Debug, Default)]
struct Chunk {
    bytes: Vec<u8>,
    frames: Vec<FrameAt>,
    text: Vec<u8>,
    summary: Summary,
}

impl Chunk {
    /// Adds a frame; whether the chunk has room for more.
    fn push(&mut self, frame: &Frame<'_>) -> bool {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(frame.data);
        self.frames.push(FrameAt {
            number: frame.number,
            link: frame.link,
            bytes: start..self.bytes.len(),
            orig_len: frame.orig_len,
        });
        self.frames.len() < CHUNK_FRAMES && self.bytes.len() < CHUNK_BYTES
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.frames.clear();
        self.text.clear();
        self.summary = Summary::default();
    }
}

/// Judges chunks: each thread has its own (its key tables are built on
/// first use).
#[derive(Debug)]
struct Judge<'a> {
    args: &'a VerifyArgs,
    keys: KeyRing,
    batch: Batch,
    flags: Spelled<TcpFlags>,
    verdicts: Spelled<VerdictId>,
}

impl Judge<'_> {
    fn new(args: &VerifyArgs, keys: KeyRing) -> Judge<'_> {
        Judge {
            args,
            keys,
            batch: Batch::new(args.semantics),
            flags: Spelled::default(),
            verdicts: Spelled::default(),
        }
    }
}

impl Clone for Judge<'_> {
    fn clone(&self) -> Self {
        Judge {
            args: self.args,
            keys: KeyRing::new(self.keys.specs().to_vec()),
            batch: self.batch,
            flags: Spelled::default(),
            verdicts: Spelled::default(),
        }
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
    /// Fills `chunk.text` and `chunk.summary`.
    fn chunk(&mut self, chunk: &mut Chunk) {
        let Chunk {
            bytes,
            frames,
            text,
            summary,
        } = chunk;
        let located: Vec<Located<'_>> = frames
            .iter()
            .map(|f| {
                locate(
                    f.link,
                    bytes.get(f.bytes.clone()).unwrap_or(&[]),
                    f.orig_len,
                )
            })
            .collect();
        let prepared: Vec<_> = located
            .iter()
            .filter_map(|l| match l {
                Located::Tcp(seg) => Some(prepare(seg, &mut self.keys, self.args.checksum)),
                _ => None,
            })
            .collect();
        let keys = &self.keys;
        let at_sockets: Vec<PacketAtSocket<'_>> = located
            .iter()
            .filter_map(|l| match l {
                Located::Tcp(seg) => Some(seg.packet),
                _ => None,
            })
            .zip(&prepared)
            .map(|(packet, p)| PacketAtSocket {
                packet,
                table: keys.table_of(p.table),
                l3index: 0,
            })
            .collect();
        let verdicts = self
            .batch
            .verdicts_at_sockets(&at_sockets, checksums(self.args.checksum));
        let mut judged = prepared.into_iter().zip(verdicts);
        let mut out = Output {
            args: self.args,
            keys,
            text,
            summary,
            connections: Vec::new(),
            connection_index: BTreeMap::new(),
            last_connection: 0,
            flags: &mut self.flags,
            verdicts: &mut self.verdicts,
        };
        for (frame, l) in frames.iter().zip(&located) {
            out.summary.frames += 1;
            match l {
                Located::Other => out.summary.other_frames += 1,
                Located::Unchecked(why) => {
                    out.summary.totals.add(Status::Unchecked, false);
                    out.unchecked(frame.number, why);
                }
                Located::Tcp(seg) => {
                    if let Some((p, verdict)) = judged.next() {
                        let a = conclude(seg, keys, self.args.semantics, p, verdict);
                        out.segment(frame.number, seg, &a);
                    }
                }
            }
        }
        let connections = std::mem::take(&mut out.connections);
        out.summary.merge(Summary {
            connections: connections.into_iter().collect(),
            ..Summary::default()
        });
    }
}

/// A chunk's output text and summary, being written.
struct Output<'a> {
    args: &'a VerifyArgs,
    keys: &'a KeyRing,
    text: &'a mut Vec<u8>,
    summary: &'a mut Summary,
    /// The chunk's connections, each once, in order of appearance, their
    /// index, and the last one used (a capture's segments come in runs of
    /// one connection: found without the index's comparisons).
    connections: Vec<(ConnectionId, ConnectionSummary)>,
    connection_index: BTreeMap<ConnectionId, usize>,
    last_connection: usize,
    flags: &'a mut Spelled<TcpFlags>,
    verdicts: &'a mut Spelled<VerdictId>,
}

/// Appends `text`, then spaces up to `width` bytes (`{:<width}`).
fn padded(out: &mut Vec<u8>, text: &[u8], width: usize) {
    out.extend_from_slice(text);
    out.resize(out.len() + width.saturating_sub(text.len()), b' ');
}

impl Output<'_> {
    // Writing to a Vec<u8> cannot fail.
    fn unchecked(&mut self, number: u64, why: &crate::segment::Unchecked) {
        let _ = match self.args.format {
            Format::Json => {
                let record = json!({
                    "frame": number,
                    "status": Status::Unchecked.id(),
                    "verdict": null,
                    "unchecked": why.id(),
                    "reason": why.reason(),
                });
                writeln!(self.text, "{record}")
            }
            Format::Human => writeln!(self.text, "#{number:<6} unchecked  {}", why.reason()),
        };
    }

    fn segment(&mut self, number: u64, seg: &Segment<'_>, a: &Assessment) {
        let tcp = seg.tcp();
        let addrs = seg.addrs();
        let (src, dst) = (
            std::net::SocketAddr::new(addrs.src(), tcp.src_port()),
            std::net::SocketAddr::new(addrs.dst(), tcp.dst_port()),
        );
        // Carries an MD5 option, read as its sender wrote it.
        let signed = tcpmd5::sign::locate_md5_option(tcp.options()).is_some();
        let summary = &mut *self.summary;
        summary.totals.add(a.status, signed);
        let partial = a.checksum_note.is_some_and(|r| r.partial);
        summary.partial_checksums += u64::from(partial);
        let id = ConnectionId::of(src.ip(), src.port(), dst.ip(), dst.port());
        let at = match self.connections.get(self.last_connection) {
            Some((last, _)) if *last == id => self.last_connection,
            _ => match self.connection_index.get(&id) {
                Some(&at) => at,
                None => {
                    self.connection_index.insert(id, self.connections.len());
                    self.connections.push((
                        id,
                        ConnectionSummary {
                            endpoints: (id.a.to_string(), id.b.to_string()),
                            ..Default::default()
                        },
                    ));
                    self.connections.len() - 1
                }
            },
        };
        self.last_connection = at;
        let Some((_, conn)) = self.connections.get_mut(at) else {
            return;
        };
        conn.counts.add(a.status, signed);
        let label = a.key.and_then(|i| self.keys.spec(i)).map(|s| s.label());
        if a.status == Status::Valid
            && let Some(k) = label
            && !conn.keys.contains(k)
        {
            conn.keys.insert(k.to_owned());
        }
        if a.status.fails()
            && let Some(v) = a.verdict
        {
            *conn.drops.entry(v.id().to_string()).or_default() += 1;
        }
        if self.args.quiet && !a.status.fails() && a.status != Status::Unchecked {
            return;
        }
        let (src_text, dst_text) = if src == id.a {
            (&conn.endpoints.0, &conn.endpoints.1)
        } else {
            (&conn.endpoints.1, &conn.endpoints.0)
        };
        let flags = tcp.flags();
        match self.args.format {
            Format::Json => {
                let record = json!({
                    "frame": number,
                    "src": src_text,
                    "dst": dst_text,
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
                // {reason}[, key {key}]`, pieced together: this line is most
                // of the tool's work per segment after the digest.
                let t = &mut *self.text;
                t.push(b'#');
                padded(t, itoa::Buffer::new().format(number).as_bytes(), 6);
                t.push(b' ');
                t.extend_from_slice(src_text.as_bytes());
                t.extend_from_slice(b" > ");
                t.extend_from_slice(dst_text.as_bytes());
                t.push(b' ');
                t.extend_from_slice(self.flags.get(flags).as_bytes());
                t.push(b' ');
                padded(t, a.status.id().as_bytes(), 9);
                t.push(b' ');
                match a.verdict {
                    Some(v) => t.extend_from_slice(self.verdicts.get(v.id()).as_bytes()),
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
