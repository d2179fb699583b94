//! Threads and chunks: the capture read in blocks, judged by one thread or
//! by N, written in capture order.

use std::fs::File;
use std::io::{self, IsTerminal};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::capture::{Blocks, CaptureError};

use super::chunk::Chunk;
use super::judge::Judge;
use super::{Next, Run};

pub(super) fn progress_bar(len: u64) -> Option<indicatif::ProgressBar> {
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
pub(super) fn serial(
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

/// A reading thread, `jobs` judging threads (chunk i to worker i mod
/// `jobs`), and the writing caller, which takes the chunks back in the
/// same order.
pub(super) fn parallel(
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
