//! Running cases: each on a worker thread, in its own lab, with the
//! outcome held against the expected-failures list and the known defects.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use crate::case::{Case, Ctx};
use crate::deviation::{self, Deviation};
use crate::environment::{Environment, Unavailable};
use crate::exchange::Barrier;
use crate::expected::{self, ExpectedFailure};
use crate::harness::{Lab, system};
use crate::known_defect::{self, KNOWN_DEFECTS, KnownDefect};
use crate::model_query::{self, ModelQuery};
use crate::outcome::{CaseReport, CaseRun, Outcome, Steps};

/// What turns a case's finding into its outcome beyond pass and fail.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Known divergences of the kernel from the model (`expected-failures.json`).
    pub xfails: Vec<ExpectedFailure>,
    /// Known kernel defects the model predicts ([`KNOWN_DEFECTS`]).
    pub defects: Vec<KnownDefect>,
    /// `--strict`: a case that shows a known defect fails instead of XFAIL.
    pub strict: bool,
}

impl Policy {
    /// The built-in lists.
    pub fn load(strict: bool) -> Result<Policy, String> {
        Ok(Policy {
            xfails: expected::load()?,
            defects: KNOWN_DEFECTS.to_vec(),
            strict,
        })
    }
}

/// A filter that selects no case (a usage error: a run of nothing is never a pass).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no case id contains {}", .0.join(" or "))]
pub struct NothingSelected(pub Vec<String>);

/// The cases whose id contains any of `filters` (all when empty).
pub fn select(cases: Vec<Case>, filters: &[String]) -> Result<Vec<Case>, NothingSelected> {
    let selected: Vec<Case> = cases
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.id.contains(f.as_str())))
        .collect();
    if selected.is_empty() {
        Err(NothingSelected(filters.to_vec()))
    } else {
        Ok(selected)
    }
}

/// Runs one case on the calling thread.
pub fn run_case(case: &Case, env: &Result<Environment, Unavailable>, policy: &Policy) -> CaseRun {
    let started = Instant::now();
    let mut exercises = Vec::new();
    let mut deviations_found = Vec::new();
    let mut report = CaseReport {
        id: case.id.clone(),
        area: case.area.to_owned(),
        family: case
            .family
            .map_or_else(|| "ipv4+ipv6".to_owned(), |f| f.to_string()),
        summary: case.summary.clone(),
        outcome: Outcome::Pass,
        known_defect: None,
        steps: Steps::default(),
        notes: Vec::new(),
        duration: started.elapsed(),
    };
    report.outcome = match env {
        Err(Unavailable::Unsupported(why)) => Outcome::Skip(why.clone()),
        Err(e @ Unavailable::ProbeFailed(_)) => Outcome::Error(e.to_string()),
        Ok(env) => match (case.unmet_need(env), case.missing_under_ci()) {
            (Some(why), _) => Outcome::Skip(why),
            (None, Some(why)) => Outcome::Fail(why),
            (None, None) => {
                let _ = model_query::take();
                let f = run_body(case, env);
                let queries = model_query::take();
                exercises = policy
                    .defects
                    .iter()
                    .filter(|d| known_defect::exercised_by(d, &queries))
                    .map(|d| d.id.to_string())
                    .collect();
                deviations_found = deviations(&queries, env);
                let shown = policy
                    .defects
                    .iter()
                    .find(|d| known_defect::shown_by(d, env.semantics, &queries));
                let outcome = apply_expected(case, env, f.outcome, &policy.xfails);
                report.steps = f.steps;
                report.notes = f.notes;
                match (shown, outcome) {
                    (Some(d), Outcome::Pass) => {
                        report.known_defect = Some(d.id.to_string());
                        let why = known_defect::xfail_reason(d);
                        if policy.strict {
                            Outcome::Fail(format!("{why} (--strict)"))
                        } else {
                            Outcome::ExpectedFail(why)
                        }
                    }
                    (_, other) => other,
                }
            }
        },
    };
    report.duration = started.elapsed();
    CaseRun {
        report,
        exercises,
        deviations: deviations_found,
    }
}

/// The distinct departures from RFC 2385 of a case's segments.
fn deviations(queries: &[ModelQuery], env: &Environment) -> Vec<Deviation> {
    let mut found: Vec<Deviation> = queries
        .iter()
        .filter_map(|q| deviation::of(q, env.semantics))
        .collect();
    found.sort();
    found.dedup();
    found
}

fn run_body(case: &Case, env: &Environment) -> crate::outcome::Finding {
    let lab = match Lab::new() {
        Ok(l) => l,
        Err(e) => return crate::outcome::Finding::error(format!("lab setup: {e}")),
    };
    let barrier = match Barrier::open(&lab) {
        Ok(b) => b,
        Err(e) => return crate::outcome::Finding::error(format!("barrier listener: {e}")),
    };
    let mut ctx = Ctx { lab, barrier, env };
    (case.body)(&mut ctx)
}

fn apply_expected(
    case: &Case,
    env: &Environment,
    outcome: Outcome,
    xfails: &[ExpectedFailure],
) -> Outcome {
    match (
        expected::lookup(xfails, &case.id, env.kernel_version),
        outcome,
    ) {
        (Some(x), Outcome::Fail(why)) => {
            Outcome::ExpectedFail(format!("{} (observed: {why})", x.reason))
        }
        (Some(x), Outcome::Pass) => Outcome::Fail(format!(
            "listed as an expected failure ({}) but passed: the entry is stale",
            x.reason
        )),
        (_, other) => other,
    }
}

/// Runs `cases` on `jobs` worker threads (each pinned to a CPU so its
/// injected frames stay in one backlog), calling `progress` after each.
/// Reports come back in the order of `cases`.
pub fn run_all(
    cases: &[Case],
    env: &Result<Environment, Unavailable>,
    jobs: usize,
    policy: &Policy,
    progress: &(dyn Fn(&CaseReport, usize, usize) + Sync),
) -> Vec<CaseRun> {
    let queue: Mutex<VecDeque<usize>> = Mutex::new((0..cases.len()).collect());
    let results: Mutex<Vec<Option<CaseRun>>> = Mutex::new(vec![None; cases.len()]);
    let done = Mutex::new(0usize);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for worker in 0..jobs.max(1) {
            let (queue, results, done) = (&queue, &results, &done);
            scope.spawn(move || {
                // Best effort: unpinned, the barrier may rarely be reordered,
                // which the barrier-ordering case would report.
                let _ = system::pin_current_thread(worker % cpus);
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(i) = next else { break };
                    let Some(case) = cases.get(i) else { break };
                    let report = run_case(case, env, policy);
                    let finished = done.lock().map(|mut d| {
                        *d += 1;
                        *d
                    });
                    progress(&report.report, finished.unwrap_or(0), cases.len());
                    if let Ok(mut r) = results.lock()
                        && let Some(slot) = r.get_mut(i)
                    {
                        *slot = Some(report);
                    }
                }
            });
        }
    });
    // A poisoned lock (a panicking worker) still holds every finished report.
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.into_iter().flatten().collect()
}
