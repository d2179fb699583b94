//! The differential one case at a time, for a caller that makes its own
//! cases (the `kernel_differential` fuzz target): a [`Session`] opened once
//! per process keeps one lab per family, each on a worker thread of its own
//! (a lab is bound to its thread's network namespace, and the barrier to
//! one CPU), and [`Session::check`] runs a case on the family's worker
//! exactly as the property test runs its cases ([`super::case`]).

use std::sync::mpsc;
use std::thread::JoinHandle;

use tcpmd5::{Family, Semantics};

use super::ao::AoRunner;
use super::ao::input::AoInput;
use super::case::CaseRunner;
use super::input::Input;
use super::judged::Judged;
use super::summary::Disagreement;
use crate::environment::{self, Unavailable};
use crate::error::Error;
use crate::harness::system;

/// Harness failures in a row on one case before [`Session::check`] gives
/// up: the first may be the lab's (it is rebuilt after one), a second on a
/// fresh lab is not.
const ATTEMPTS: usize = 2;

/// A case where the kernel agreed with the model on everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// The case kind (`listener syn`, `established rst exact`).
    pub kind: String,
    /// The verdict both gave (`accept`, `drop:TCP_MD5FAILURE`).
    pub verdict: String,
    /// Whether the kernel's verdict rests on inference (a `TCP_AUTH_HDR`
    /// drop seen as silence with no tracepoint to confirm it).
    pub inferred: bool,
}

/// Why [`Session::check`] has no agreement.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Failure {
    /// The kernel and the model disagreed.
    #[error("model {}, kernel {}: {}", .0.expected, .0.observed, .0.problems.join("; "))]
    Disagreement(Box<Disagreement>),
    /// The harness could not run the case (on a fresh lab too): no verdict
    /// either way.
    #[error("harness: {0}")]
    Harness(String),
}

type Reply = Result<Judged, Error>;

/// A case of either share.
#[derive(Debug, Clone)]
enum AnyInput {
    Md5(Input),
    Ao(AoInput),
}

struct Job {
    input: AnyInput,
    reply: mpsc::SyncSender<Reply>,
}

/// One family's worker thread.
#[derive(Debug)]
struct Worker {
    family: Family,
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

/// The differential for one process: one lab per family the kernel has,
/// each on its worker thread, built on first use and rebuilt as the
/// property test rebuilds its own.
#[derive(Debug)]
pub struct Session {
    semantics: Semantics,
    kernel: String,
    ao_unavailable: Option<String>,
    workers: Vec<Worker>,
}

impl Session {
    /// Probes the environment (once per process, see
    /// [`environment::get`]) and starts a worker per family the kernel has,
    /// holding it to `semantics` (default: the environment's). Rootless,
    /// [`crate::harness::privilege::init`] must have run while the process
    /// was single-threaded.
    pub fn open(semantics: Option<Semantics>) -> Result<Session, Unavailable> {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::open_on(semantics, &|slot| slot % cpus)
    }

    /// [`Session::open`] for a caller that runs one case at a time: the
    /// calling thread and every worker are pinned to the CPU the caller
    /// runs on now, so handing a case to its worker and the answer back
    /// wakes a thread on the same CPU, never one on another (an
    /// inter-processor interrupt, a VM exit on a virtual machine: seen as
    /// the largest cost of the hand-over on a 2-CPU VM).
    pub fn open_beside_caller(semantics: Option<Semantics>) -> Result<Session, Unavailable> {
        let cpu = system::current_cpu()
            .and_then(|cpu| system::pin_current_thread(cpu).map(|()| cpu))
            .map_err(|e| Unavailable::ProbeFailed(format!("pinning the calling thread: {e}")))?;
        Self::open_on(semantics, &|_| cpu)
    }

    /// Opens the session with family slot `i`'s worker pinned to `cpu(i)`.
    fn open_on(
        semantics: Option<Semantics>,
        cpu: &dyn Fn(usize) -> usize,
    ) -> Result<Session, Unavailable> {
        let env = environment::get().as_ref().map_err(Clone::clone)?;
        let semantics = semantics.unwrap_or(env.semantics);
        let mut workers = Vec::new();
        for (slot, family) in Family::ALL.into_iter().enumerate() {
            if family == Family::V6 && !env.ipv6 {
                continue;
            }
            let (jobs, queue) = mpsc::channel::<Job>();
            let cpu = cpu(slot);
            let thread = std::thread::Builder::new()
                .name(format!("differential-{family}"))
                .spawn(move || serve(family, semantics, cpu, &queue))
                .map_err(|e| Unavailable::ProbeFailed(format!("spawning a worker: {e}")))?;
            workers.push(Worker {
                family,
                jobs: Some(jobs),
                thread: Some(thread),
            });
        }
        Ok(Session {
            semantics,
            kernel: env.kernel_release.clone(),
            ao_unavailable: super::ao::unavailable(env),
            workers,
        })
    }

    /// The semantics the kernel is held to.
    pub fn semantics(&self) -> Semantics {
        self.semantics
    }

    /// The running kernel's release.
    pub fn kernel_release(&self) -> &str {
        &self.kernel
    }

    /// The families cases can be sent in (IPv6 only where the kernel has it).
    pub fn families(&self) -> Vec<Family> {
        self.workers.iter().map(|w| w.family).collect()
    }

    /// Why AO cases cannot run here (`None`: the kernel has
    /// `CONFIG_TCP_AO` and [`Session::check_ao`] runs them).
    pub fn ao_unavailable(&self) -> Option<&str> {
        self.ao_unavailable.as_deref()
    }

    /// Injects `input` in `family` and holds the kernel's verdict against
    /// the model's.
    pub fn check(&self, family: Family, input: &Input) -> Result<Agreement, Failure> {
        self.check_any(family, &AnyInput::Md5(input.clone()), input.target.kind())
    }

    /// [`Session::check`] for an AO case; a harness failure where the
    /// kernel has no `CONFIG_TCP_AO` (ask [`Session::ao_unavailable`]).
    pub fn check_ao(&self, family: Family, input: &AoInput) -> Result<Agreement, Failure> {
        if let Some(why) = &self.ao_unavailable {
            return Err(Failure::Harness(why.clone()));
        }
        self.check_any(family, &AnyInput::Ao(input.clone()), input.kind())
    }

    fn check_any(
        &self,
        family: Family,
        input: &AnyInput,
        kind: String,
    ) -> Result<Agreement, Failure> {
        let worker = self
            .workers
            .iter()
            .find(|w| w.family == family)
            .ok_or_else(|| Failure::Harness(format!("no {family} lab: the kernel has no IPv6")))?;
        let jobs = worker
            .jobs
            .as_ref()
            .ok_or_else(|| Failure::Harness(format!("the {family} worker has stopped")))?;
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            let (reply, answer) = mpsc::sync_channel(1);
            let job = Job {
                input: input.clone(),
                reply,
            };
            jobs.send(job)
                .map_err(|_| Failure::Harness(format!("the {family} worker has stopped")))?;
            let judged = match answer.recv() {
                Ok(Ok(judged)) => judged,
                Ok(Err(e)) => {
                    last = e.chain();
                    continue;
                }
                Err(_) => {
                    return Err(Failure::Harness(format!(
                        "the {family} worker stopped mid-case"
                    )));
                }
            };
            let kind = kind.clone();
            return if judged.agrees() {
                Ok(Agreement {
                    kind,
                    verdict: judged.expected,
                    inferred: judged.inferred,
                })
            } else {
                Err(Failure::Disagreement(Box::new(
                    judged.into_disagreement(family, kind, false),
                )))
            };
        }
        Err(Failure::Harness(last))
    }
}

impl Drop for Session {
    /// Stops the workers, each closing its lab on its own thread.
    fn drop(&mut self) {
        for worker in &mut self.workers {
            worker.jobs = None;
            if let Some(thread) = worker.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// A worker: pinned to `cpu`, runs the jobs on its lab until the session
/// goes.
fn serve(family: Family, semantics: Semantics, cpu: usize, queue: &mpsc::Receiver<Job>) {
    let pinned = system::pin_current_thread(cpu);
    let mut runner = CaseRunner::new(family, semantics);
    let mut ao = AoRunner::new(family);
    for job in queue {
        let reply = match (&pinned, &job.input) {
            (Ok(()), AnyInput::Md5(input)) => runner.run(input).result,
            (Ok(()), AnyInput::Ao(input)) => ao.run(input).0,
            (Err(e), _) => Err(Error::NotSeen(format!(
                "cannot pin the injecting thread: {e}"
            ))),
        };
        // The caller may have gone; the next job (or none) decides.
        let _ = job.reply.send(reply);
    }
    runner.close();
    ao.close();
}
