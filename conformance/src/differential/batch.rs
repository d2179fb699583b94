//! Several labs per family at once: the cases of a family, already
//! generated, are run on `labs` worker threads, each with its own lab (its
//! own namespace, so its own counters, tracepoint cookie and peer socket:
//! every witness of a case is that lab's alone) and all pinned to the
//! family's CPU, as the barrier needs. While one worker waits for the
//! kernel, the others inject: the kernel's time is shared, a case's
//! verdict is not. Each worker runs its cases one after another through
//! the same [`CaseRunner`] as the serial run.
//!
//! Where the time goes: the kernel handles an injected frame inside the
//! send (the softirq runs on the sending CPU before `sendto` returns), so
//! once nothing sleeps a family is bound by its one pinned CPU, and most
//! of that is the kernel formatting `/proc/net/{netstat,snmp}` for the
//! counter snapshot after each probe (the one before is the previous
//! probe's, see `Lab::chain_counters`). More labs help where a worker
//! waits instead: for its share of a busy machine's CPU, or for a kernel
//! that defers the work; a family never gets more than its one CPU.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use tcpmd5::{Family, Semantics};

use super::case::{CaseRunner, Ran};
use super::input::Input;
use crate::harness::system;

/// What a pool of workers ran: each case's result by index, up to and
/// including the first one that failed (disagreement or harness error);
/// later ones may be missing.
#[derive(Debug)]
pub(super) struct Batch {
    /// `results[i]` is case `i`'s, if it ran.
    pub results: Vec<Option<Ran>>,
}

/// Where the workers run and how they report progress.
pub(super) struct Pool<'a> {
    /// The family.
    pub family: Family,
    /// The semantics the kernel is held to.
    pub semantics: Semantics,
    /// The CPU every worker is pinned to.
    pub cpu: usize,
    /// Workers (labs).
    pub labs: usize,
    /// Called with the number of cases done, every `every` cases.
    pub progress: &'a (dyn Fn(u64, f64) + Sync),
    /// How often `progress` is called.
    pub every: u64,
}

impl Pool<'_> {
    /// Runs `inputs`, stopping (after the cases already taken) at the
    /// first case that does not agree.
    pub(super) fn run(&self, inputs: &[Input]) -> Batch {
        let next = AtomicUsize::new(0);
        let first_failure = AtomicUsize::new(usize::MAX);
        let done = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Ran>>> =
            Mutex::new(std::iter::repeat_with(|| None).take(inputs.len()).collect());
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..self.labs.max(1) {
                scope.spawn(|| {
                    self.work(inputs, &next, &first_failure, &done, &results, started);
                });
            }
        });
        Batch {
            results: results.into_inner().unwrap_or_else(PoisonError::into_inner),
        }
    }

    fn work(
        &self,
        inputs: &[Input],
        next: &AtomicUsize,
        first_failure: &AtomicUsize,
        done: &AtomicUsize,
        results: &Mutex<Vec<Option<Ran>>>,
        started: Instant,
    ) {
        let pinned = system::pin_current_thread(self.cpu);
        let mut runner = CaseRunner::new(self.family, self.semantics);
        loop {
            // Indices are taken in order, so every case before the first
            // failure is taken (and finished) by some worker.
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some(input) = inputs.get(i) else { break };
            if i > first_failure.load(Ordering::SeqCst) {
                break;
            }
            let ran = match &pinned {
                Ok(()) => runner.run(input),
                Err(e) => Ran::harness(format!("cannot pin the injecting thread: {e}")),
            };
            if !ran.agrees() {
                first_failure.fetch_min(i, Ordering::SeqCst);
            }
            if let Some(slot) = results
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_mut(i)
            {
                *slot = Some(ran);
            }
            let n = done.fetch_add(1, Ordering::SeqCst) as u64 + 1;
            if n.is_multiple_of(self.every.max(1)) {
                (self.progress)(n, started.elapsed().as_secs_f64());
            }
        }
        // The lab goes on the thread that built it.
        runner.close();
    }
}
