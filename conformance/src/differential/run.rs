//! Running the differential: one proptest runner per family, each on its
//! own thread pinned to one CPU (the barrier needs that). Serially
//! (`labs` 1) the runner runs each case on the family's lab as it
//! generates it. Otherwise the runner first only generates the cases (the
//! same ones: generation does not depend on outcomes while every case
//! agrees), a [`Pool`] runs them on `labs` labs at once, and the results
//! are counted in case order; at the first case that does not agree, the
//! runner generates the cases again and replays that one on the family's
//! lab, where proptest shrinks it as in the serial run.

use std::cell::{Cell, RefCell};
use std::time::Instant;

use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestRng, TestRunner,
};
use tcpmd5::{Family, Semantics};

use super::batch::Pool;
use super::case::{CaseRunner, Ran};
use super::input::{Generator, Input, Target, input_with};
use super::judged::Judged;
use super::seed::Seed;
use super::summary::{FamilyReport, Summary};
use crate::environment::Environment;
use crate::error::Error;
use crate::harness::system;

/// What to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Cases per family.
    pub cases: u32,
    /// The seed.
    pub seed: Seed,
    /// The semantics the kernel is held to (default: the environment's).
    pub semantics: Option<Semantics>,
    /// What the generator produces.
    pub generator: Generator,
    /// Where shrunk failures are saved and replayed from first (proptest's
    /// file persistence), if anywhere.
    pub regressions: Option<&'static str>,
    /// Progress lines per family (0: none).
    pub progress_steps: u32,
    /// Kernel exchanges proptest may spend shrinking a disagreement.
    pub max_shrink_iters: u32,
    /// Labs per family with a case in flight at once (1: serial, one case
    /// per barrier at a time).
    pub labs: usize,
    /// TCP-AO cases per family, run after the MD5 cases on a kernel with
    /// `CONFIG_TCP_AO` (one at a time; see [`super::ao`]).
    pub ao_cases: u32,
}

/// Labs per family by default: enough to keep the family's CPU busy
/// while each waits for the kernel.
pub const DEFAULT_LABS: usize = 4;

impl Settings {
    /// `cases` per family with `seed`, the environment's semantics, the
    /// default generator, no persistence, ten progress lines.
    pub fn new(cases: u32, seed: Seed) -> Settings {
        Settings {
            cases,
            seed,
            semantics: None,
            generator: Generator::default(),
            regressions: None,
            progress_steps: 10,
            max_shrink_iters: 256,
            labs: DEFAULT_LABS,
            ao_cases: cases.div_ceil(2),
        }
    }
}

/// Runs every family the kernel has, in parallel, and summarises.
pub fn run(settings: &Settings, env: &Environment, progress: &(dyn Fn(&str) + Sync)) -> Summary {
    let families = std::thread::scope(|scope| {
        let handles: Vec<_> = Family::ALL
            .into_iter()
            .map(|family| scope.spawn(move || run_family(family, settings, env, progress)))
            .collect();
        handles
            .into_iter()
            .zip(Family::ALL)
            .map(|(h, family)| {
                h.join().unwrap_or_else(|_| FamilyReport {
                    error: Some("the family's thread panicked".to_owned()),
                    ..FamilyReport::new(family)
                })
            })
            .collect()
    });
    summary(settings, env, families)
}

/// The summary of `families` run under `settings`.
pub fn summary(settings: &Settings, env: &Environment, families: Vec<FamilyReport>) -> Summary {
    Summary {
        seed: settings.seed.to_string(),
        semantics: semantics(settings, env),
        kernel: env.kernel_release.clone(),
        cases_per_family: settings.cases,
        families,
    }
}

fn semantics(settings: &Settings, env: &Environment) -> Semantics {
    settings.semantics.unwrap_or(env.semantics)
}

/// Everything one family's runner keeps between cases.
struct Tally {
    report: FamilyReport,
    runner: CaseRunner,
    failed: bool,
}

/// Runs one family on the calling thread, which it pins to one CPU (IPv4
/// and IPv6 to different ones where there are two): its MD5 cases, then
/// its AO share ([`super::ao::run_share`]).
pub fn run_family(
    family: Family,
    settings: &Settings,
    env: &Environment,
    progress: &(dyn Fn(&str) + Sync),
) -> FamilyReport {
    let mut report = run_md5(family, settings, env, progress);
    if report.skipped.is_none() {
        let md5_seconds = report.seconds;
        let share = super::ao::ShareSettings {
            cases: settings.ao_cases,
            seed: settings.seed.0,
            max_shrink_iters: settings.max_shrink_iters,
            established_weight: settings.generator.established_weight,
        };
        super::ao::run_share(family, &share, env, &mut report, progress);
        report.seconds = md5_seconds + report.ao.seconds;
    } else {
        report.ao.skipped = report.skipped.clone();
    }
    report
}

/// The MD5 cases of one family.
fn run_md5(
    family: Family,
    settings: &Settings,
    env: &Environment,
    progress: &(dyn Fn(&str) + Sync),
) -> FamilyReport {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let slot = Family::ALL.iter().position(|f| *f == family).unwrap_or(0);
    if let Err(e) = system::pin_current_thread(slot % cpus) {
        return FamilyReport {
            error: Some(format!("cannot pin the injecting thread: {e}")),
            ..FamilyReport::new(family)
        };
    }
    if family == Family::V6 && !env.ipv6 {
        return FamilyReport {
            skipped: Some("the kernel has no IPv6".to_owned()),
            ..FamilyReport::new(family)
        };
    }
    let semantics = semantics(settings, env);
    progress(&format!(
        "differential {family}: {} cases, semantics {}, seed {}",
        settings.cases,
        semantics.id(),
        settings.seed
    ));
    let config = Config {
        cases: settings.cases,
        max_shrink_iters: settings.max_shrink_iters,
        failure_persistence: settings
            .regressions
            .map(|p| Box::new(FileFailurePersistence::Direct(p)) as _),
        ..Config::default()
    };
    let tally = RefCell::new(Tally {
        report: FamilyReport::new(family),
        runner: CaseRunner::new(family, semantics),
        failed: false,
    });
    let every = match settings.progress_steps {
        0 => u64::MAX,
        n => (u64::from(settings.cases) / u64::from(n)).max(1),
    };
    let started = Instant::now();
    let strategy = input_with(family, settings.generator);
    let runner = || {
        TestRunner::new_with_rng(
            config.clone(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &settings.seed.0),
        )
    };
    let report_progress = |cases: u64, disagreements: u64, seconds: f64| {
        progress(&format!(
            "differential {family}: {cases}/{} cases, {disagreements} disagreements, {:.0}/s",
            settings.cases,
            cases as f64 / seconds.max(1e-9)
        ));
    };
    // Calls of the test closure to let pass unrun: the cases a pool has
    // already run and counted.
    let skip = Cell::new(0usize);
    if settings.labs > 1 {
        let inputs = RefCell::new(Vec::new());
        let _ = runner().run(&strategy, |input| {
            inputs.borrow_mut().push(input);
            Ok(())
        });
        let inputs = inputs.into_inner();
        let pool = Pool {
            family,
            semantics,
            cpu: slot % cpus,
            labs: settings.labs,
            progress: &|n, seconds| report_progress(n, 0, seconds),
            every,
        };
        let batch = pool.run(&inputs);
        let mut tally = tally.borrow_mut();
        for (i, (input, ran)) in inputs.iter().zip(batch.results).enumerate() {
            let Some(ran) = ran else {
                // Never a silent pass on fewer cases.
                tally.failed = true;
                tally.report.error = Some(format!("case {i} was never run by the pool"));
                break;
            };
            let agrees = ran.agrees();
            let _ = count(&mut tally, family, input, ran);
            if !agrees {
                break;
            }
            skip.set(skip.get() + 1);
        }
        // All agreed, or a harness failure (nothing to shrink): done.
        if !tally.failed || tally.report.disagreements.is_empty() {
            tally.runner.close();
            tally.report.seconds = started.elapsed().as_secs_f64();
            return std::mem::replace(&mut tally.report, FamilyReport::new(family));
        }
    }
    // Serially, or replaying the pool's first failing case to shrink it.
    let replaying = tally.borrow().failed;
    let _ = runner().run(&strategy, |input| {
        if skip.get() > 0 {
            skip.set(skip.get() - 1);
            return Ok(());
        }
        let mut tally = tally.borrow_mut();
        let result = one(&mut tally, family, &input);
        let cases = tally.report.cases();
        if !tally.failed && cases.is_multiple_of(every) {
            let r = &tally.report;
            report_progress(
                cases,
                r.kinds.values().map(|k| k.disagreements).sum::<u64>(),
                started.elapsed().as_secs_f64(),
            );
        }
        if replaying && result.is_ok() && tally.report.shrink_steps == 1 {
            // The pool's disagreement did not come back on replay: it
            // stays reported, and the run stops here.
            skip.set(usize::MAX);
            tally
                .report
                .disagreements
                .iter_mut()
                .for_each(|d| d.notes.push("not seen again on replay".to_owned()));
        }
        result
    });
    let mut tally = tally.into_inner();
    // The lab goes before the report leaves the thread.
    tally.runner.close();
    tally.report.seconds = started.elapsed().as_secs_f64();
    tally.report
}

/// One case: run it, count it.
fn one(tally: &mut Tally, family: Family, input: &Input) -> Result<(), TestCaseError> {
    let ran = tally.runner.run(input);
    count(tally, family, input, ran)
}

/// Counts a case that ran.
fn count(tally: &mut Tally, family: Family, input: &Input, ran: Ran) -> Result<(), TestCaseError> {
    if !tally.failed {
        tally.report.connections.add(ran.events);
    }
    let judged = match ran.result {
        Ok(j) => j,
        Err(e) => return harness_error(tally, e),
    };
    let kind = input.target.kind();
    if tally.failed {
        tally.report.shrink_steps += 1;
    } else {
        judged.count_into(&mut tally.report, &kind, ran.seconds);
        tally.report.inferred += u64::from(judged.inferred);
        super::reach::count(
            &mut tally.report.reach,
            &judged.packet,
            matches!(input.target, Target::Established(..)),
            input.receiver_key.as_ref().map(|k| (k, input.key_scope)),
            judged.verdict,
        );
    }
    if judged.agrees() {
        return Ok(());
    }
    let message = judged.failure_message();
    record(tally, family, kind, judged);
    Err(TestCaseError::fail(message))
}

/// Keeps the first disagreement and the latest one found while shrinking
/// (the minimal case proptest reports).
fn record(tally: &mut Tally, family: Family, kind: String, judged: Judged) {
    let shrunk = tally.failed;
    tally.failed = true;
    let d = judged.into_disagreement(family, kind, shrunk);
    let list = &mut tally.report.disagreements;
    if shrunk && list.len() > 1 {
        list.pop();
    }
    list.push(d);
}

fn harness_error(tally: &mut Tally, e: Error) -> Result<(), TestCaseError> {
    let e = e.chain();
    tally.failed = true;
    let message = format!("harness: {e}");
    tally.report.error.get_or_insert(message.clone());
    Err(TestCaseError::fail(message))
}
