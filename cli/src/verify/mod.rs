//! `tcpmd5 verify`: every TCP segment of a capture, streamed, and a
//! diagnosis per BGP session.
//!
//! The file is read in blocks of whole records ([`Blocks`]: a chunk's
//! frames are ranges of its block, never copied); each chunk is judged at
//! once (the library's [`tcpmd5::batch::Batch`]: the MD5 work of a chunk
//! shares the vector unit's lanes) into its output text and its part of the
//! summary. What a flow's segments share (the key lookup, the connection,
//! the endpoints as printed) is found once per flow. With `--jobs N > 1`,
//! one thread reads, N judge chunks (chunk i by worker i mod N) and the
//! calling thread writes them in capture order; every queue holds one
//! chunk, so memory stays bounded whatever the capture's size.
//!
//! Split by concern: [`pipeline`] (threads and chunks), [`judge`] (a
//! chunk's verdicts), [`output`] (a segment's line and counts), [`report`]
//! (the sessions' diagnoses and the totals).

use std::fmt;
use std::fs::File;
use std::io::{self, Write};

use crate::args::VerifyArgs;
use crate::capture::Blocks;
use crate::error::{CliError, Status as Exit};
use crate::keys::KeyRing;
use crate::summary::Summary;

mod ao;
mod chunk;
mod flow;
mod judge;
mod output;
mod pipeline;
mod report;

use chunk::Chunk;
use judge::Judge;
use pipeline::{parallel, progress_bar, serial};

/// Segments per call into the library's batch: 16 lanes filled many times
/// over, and its scratch vectors small enough for malloc to reuse.
const BATCH: usize = 256;

/// Runs `verify`, writing to `out`.
pub fn run(args: &VerifyArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let keys = crate::key_sources::load(&args.keys)?;
    let ao_keys = crate::key_sources::load_ao(&args.keys)?;
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
        keys: keys.clone(),
    };
    run.header();
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
    if run.write_error.is_none() {
        // What was read is summed up, even before a damaged record.
        run.finish(&path, result.as_ref().err());
    }
    // TCP-AO, when AO keys are given: a pass of its own, in capture order.
    let ao = match (&result, ao_keys.is_empty()) {
        (Ok(_), false) => {
            let mut md5_keys = run.keys.clone();
            let audit = ao::audit(&args.file, &ao_keys, &mut md5_keys)
                .map_err(|e| CliError::capture(&args.file, e))?;
            let text = match args.format {
                crate::args::Format::Human => audit.human(),
                crate::args::Format::Json => format!("{}\n", serde_json::json!({"ao": audit})),
            };
            let _ = run.emit(format_args!("{text}"));
            Some(audit)
        }
        _ => None,
    };
    if let Err(e) = result {
        let _ = run.out.flush();
        return Err(CliError::Capture {
            path,
            offset: e.offset,
            detail: e.detail,
        });
    }
    match run.write_error {
        Some(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::File {
            path: "stdout".to_owned(),
            detail: e.to_string(),
        }),
        _ => Ok(
            if run.summary.failed() || ao.as_ref().is_some_and(ao::AoAudit::failed) {
                Exit::Failures
            } else if run.summary.nothing_checked()
                && !ao.as_ref().is_some_and(ao::AoAudit::checked_any)
            {
                Exit::NothingChecked
            } else {
                Exit::Ok
            },
        ),
    }
}

/// Whether to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Continue,
    Stop,
}

/// The writing side of a run: the output, and the summary so far.
struct Run<'a> {
    args: &'a VerifyArgs,
    out: &'a mut dyn Write,
    summary: Summary,
    write_error: Option<io::Error>,
    /// The keys (to name routers and keys in the report).
    keys: KeyRing,
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
}
