//! `tcpmd5 verify`: every TCP segment of a capture, streamed.

use std::fs::File;
use std::io::{self, IsTerminal, Write};

use serde_json::json;

use crate::args::{Format, VerifyArgs};
use crate::assess::{Assessment, Status, assess};
use crate::capture::{Frame, Next, read_frames};
use crate::error::{CliError, Status as Exit};
use crate::keys::KeyRing;
use crate::segment::{Located, locate};
use crate::summary::{ConnectionId, Summary};

/// Runs `verify`, writing to `out`.
pub fn run(args: &VerifyArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let mut keys = KeyRing::load(&args.keys.keys, &args.keys.key_files)?;
    let path = args.file.display().to_string();
    let file = File::open(&args.file).map_err(|e| CliError::file(&args.file, &e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = progress_bar(len);
    let mut run = Run {
        args,
        out,
        summary: Summary::default(),
        write_error: None,
    };
    let result = read_frames(file, |frame| {
        if let Some(bar) = &progress
            && frame.number % 4096 == 0
        {
            bar.set_position(frame.offset);
        }
        run.frame(frame, &mut keys)
    });
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

struct Run<'a> {
    args: &'a VerifyArgs,
    out: &'a mut dyn Write,
    summary: Summary,
    write_error: Option<io::Error>,
}

impl Run<'_> {
    fn emit(&mut self, line: std::fmt::Arguments<'_>) -> Next {
        match self.out.write_fmt(line) {
            Ok(()) => Next::Continue,
            Err(e) => {
                self.write_error = Some(e);
                Next::Stop
            }
        }
    }

    fn frame(&mut self, frame: &Frame<'_>, keys: &mut KeyRing) -> Next {
        self.summary.frames += 1;
        let seg = match locate(frame.link, frame.data, frame.orig_len) {
            Located::Other => {
                self.summary.other_frames += 1;
                return Next::Continue;
            }
            Located::Unchecked(why) => {
                self.summary.totals.add(Status::Unchecked, false);
                return match self.args.format {
                    Format::Json => {
                        let record = json!({
                            "frame": frame.number,
                            "status": Status::Unchecked.id(),
                            "verdict": null,
                            "unchecked": why.id(),
                            "reason": why.reason(),
                        });
                        self.emit(format_args!("{record}\n"))
                    }
                    Format::Human => self.emit(format_args!(
                        "#{:<6} unchecked  {}\n",
                        frame.number,
                        why.reason()
                    )),
                };
            }
            Located::Tcp(seg) => seg,
        };
        let a = assess(&seg, keys, self.args.semantics, self.args.checksum);
        let tcp = seg.tcp();
        let addrs = seg.addrs();
        let (src, dst) = (
            std::net::SocketAddr::new(addrs.src(), tcp.src_port()),
            std::net::SocketAddr::new(addrs.dst(), tcp.dst_port()),
        );
        // Carries an MD5 option, read as its sender wrote it.
        let signed = tcpmd5::sign::locate_md5_option(tcp.options()).is_some();
        self.summary.totals.add(a.status, signed);
        let partial = a.checksum_note.is_some_and(|r| r.partial);
        self.summary.partial_checksums += u64::from(partial);
        let id = ConnectionId::of(src.ip(), src.port(), dst.ip(), dst.port());
        let conn = self.summary.connections.entry(id).or_insert_with(|| {
            crate::summary::ConnectionSummary {
                endpoints: (id.a.to_string(), id.b.to_string()),
                ..Default::default()
            }
        });
        conn.counts.add(a.status, signed);
        if a.status == Status::Valid
            && let Some(k) = &a.key
            && !conn.keys.contains(k)
        {
            conn.keys.insert(k.clone());
        }
        if a.status.fails()
            && let Some(id) = a.verdict_id()
        {
            *conn.drops.entry(id).or_default() += 1;
        }
        if self.args.quiet && !a.status.fails() && a.status != Status::Unchecked {
            return Next::Continue;
        }
        let (src_text, dst_text) = if src == id.a {
            (conn.endpoints.0.clone(), conn.endpoints.1.clone())
        } else {
            (conn.endpoints.1.clone(), conn.endpoints.0.clone())
        };
        let flags = tcp.flags();
        match self.args.format {
            Format::Json => {
                let record = json!({
                    "frame": frame.number,
                    "src": src_text,
                    "dst": dst_text,
                    "flags": flags.to_string(),
                    "status": a.status.id(),
                    "verdict": a.verdict_id(),
                    "reason": a.reason,
                    "key": a.key,
                    "notes": a.all_notes(),
                });
                self.emit(format_args!("{record}\n"))
            }
            Format::Human => self.human(frame.number, &src_text, &dst_text, flags, &a),
        }
    }

    fn human(
        &mut self,
        number: u64,
        src: &str,
        dst: &str,
        flags: tcpmd5::wire::TcpFlags,
        a: &Assessment,
    ) -> Next {
        let verdict = a.verdict_id().unwrap_or_else(|| "-".to_owned());
        let (key_sep, key) = match &a.key {
            Some(k) if a.status == Status::Valid => (", key ", k.as_str()),
            _ => ("", ""),
        };
        let mut next = self.emit(format_args!(
            "#{number:<6} {src} > {dst} {flags} {:<9} {verdict}: {}{key_sep}{key}\n",
            a.status.id(),
            a.reason
        ));
        // A partial checksum is counted in the summary instead.
        let shown = a
            .checksum_note
            .filter(|r| !r.partial)
            .and_then(|r| r.problem());
        for note in shown.iter().chain(&a.notes) {
            if next == Next::Continue {
                next = self.emit(format_args!("        note: {note}\n"));
            }
        }
        next
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
