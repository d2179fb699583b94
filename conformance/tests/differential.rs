//! The differential property test (`tcpmd5_conformance::differential`, the
//! same code as `tcpmd5-conformance differential`), one trial per family.
//!
//! `TCPMD5_DIFF_CASES` sets the cases per family (default 1024),
//! `TCPMD5_DIFF_SEED` (64 hex digits) the seed, which is printed. Shrunk
//! failures are saved in `conformance/proptest-regressions/differential.txt`
//! and replayed first.

#![allow(clippy::print_stderr)]

use std::sync::OnceLock;

use libtest_mimic::{Arguments, Failed, Trial};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use tcpmd5::{Family, Semantics};
use tcpmd5_conformance::differential::input::{Generator, input_with};
use tcpmd5_conformance::differential::{
    DEFAULT_LABS, Failure, Seed, SeedError, Session, Settings, run_family, summary,
};
use tcpmd5_conformance::environment::{self, Environment};
use tcpmd5_conformance::harness::privilege;

const DEFAULT_CASES: u32 = 1024;
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/differential.txt"
);

fn settings() -> Result<Settings, String> {
    let cases = match std::env::var("TCPMD5_DIFF_CASES") {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("TCPMD5_DIFF_CASES={v:?} is not a number"))?,
        Err(_) => DEFAULT_CASES,
    };
    // One seed for both families' trials.
    static SEED: OnceLock<Result<Seed, String>> = OnceLock::new();
    let seed = SEED
        .get_or_init(|| match std::env::var("TCPMD5_DIFF_SEED") {
            Ok(hex) => hex.parse::<Seed>().map_err(|e| e.to_string()),
            Err(_) => Ok(Seed::from_time()),
        })
        .clone()?;
    let mut s = Settings::new(cases, seed);
    s.regressions = Some(REGRESSIONS);
    Ok(s)
}

fn trial(family: Family, env: &'static Environment) -> Result<(), Failed> {
    let settings = settings()?;
    let progress = |line: &str| eprintln!("{line}");
    let report = run_family(family, &settings, env, &progress);
    let summary = summary(&settings, env, vec![report]);
    eprintln!("{}", summary.human());
    if summary.failed() {
        Err(format!("differential {family} failed (seed {})", settings.seed).into())
    } else {
        Ok(())
    }
}

/// The differential can fail: held to a semantics the kernel does not
/// have (the pre-6.7 reading on a newer kernel, or the reverse), it must
/// find a disagreement.
fn wrong_semantics_fails(env: &'static Environment) -> Result<(), Failed> {
    let wrong = match env.semantics {
        Semantics::Linux { .. } => Semantics::LinuxLegacy,
        _ => Semantics::Linux { tcp_ao: env.tcp_ao },
    };
    let mut settings = Settings::new(500, settings()?.seed);
    settings.semantics = Some(wrong);
    settings.max_shrink_iters = 0;
    settings.progress_steps = 0;
    let report = run_family(Family::V4, &settings, env, &|_: &str| {});
    let summary = summary(&settings, env, vec![report]);
    let found = summary.families.iter().any(|f| !f.disagreements.is_empty());
    let error = summary.families.iter().find_map(|f| f.error.clone());
    match (found, error) {
        (true, None) => Ok(()),
        (_, Some(e)) => Err(e.into()),
        (false, None) => Err(format!(
            "held to {}, the kernel agreed on {} cases (seed {})",
            wrong.id(),
            summary.ran(),
            settings.seed
        )
        .into()),
    }
}

/// A fixed seed for comparing the two ways of running.
const FIXED_SEED: &str = "5d1ff3e7a1c0b2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e";

/// On a fixed seed, the cases run one at a time on one lab (`--serial`)
/// and on several labs at once get the same verdicts, case by case.
fn serial_equals_labs(family: Family, env: &'static Environment) -> Result<(), Failed> {
    let seed: Seed = FIXED_SEED.parse().map_err(|e: SeedError| e.to_string())?;
    let run = |labs: usize| {
        let mut settings = Settings::new(400, seed);
        settings.labs = labs;
        settings.progress_steps = 0;
        // The MD5 cases alone: the AO share always runs one at a time.
        settings.ao_cases = 0;
        let report = run_family(family, &settings, env, &|_: &str| {});
        (settings, report)
    };
    let (serial_settings, serial) = run(1);
    let (labs_settings, labs) = run(DEFAULT_LABS);
    for (settings, report) in [(&serial_settings, &serial), (&labs_settings, &labs)] {
        let summary = summary(settings, env, vec![report.clone()]);
        if summary.failed() {
            return Err(format!("{} labs: {}", settings.labs, summary.human()).into());
        }
    }
    if serial.verdicts.len() != 400 {
        return Err(format!("{} cases counted serially, want 400", serial.verdicts.len()).into());
    }
    match serial
        .verdicts
        .iter()
        .zip(&labs.verdicts)
        .position(|(s, l)| s != l)
    {
        None if serial.verdicts.len() == labs.verdicts.len() => Ok(()),
        None => Err(format!(
            "{} cases serially, {} on {DEFAULT_LABS} labs",
            serial.verdicts.len(),
            labs.verdicts.len()
        )
        .into()),
        Some(i) => Err(format!(
            "case {i}: serially {:?}, on {DEFAULT_LABS} labs {:?}",
            serial.verdicts.get(i),
            labs.verdicts.get(i)
        )
        .into()),
    }
}

/// The per-process session on the same cases: it agrees where the kernel
/// has the semantics it is held to, and finds a disagreement where it has
/// not (that one opened as the `kernel_differential` fuzz target opens it,
/// beside the calling thread).
fn session_agrees_and_can_fail(env: &'static Environment) -> Result<(), Failed> {
    let wrong = match env.semantics {
        Semantics::Linux { .. } => Semantics::LinuxLegacy,
        _ => Semantics::Linux { tcp_ao: env.tcp_ao },
    };
    let right = Session::open(None).map_err(|e| e.to_string())?;
    let held_wrong = Session::open_beside_caller(Some(wrong)).map_err(|e| e.to_string())?;
    let mut runner = TestRunner::deterministic();
    let mut found = None;
    for family in right.families() {
        let strategy = input_with(family, Generator::default());
        for _ in 0..200 {
            let input = strategy.new_tree(&mut runner)?.current();
            if let Err(e) = right.check(family, &input) {
                return Err(format!("{family}: {e}").into());
            }
            match held_wrong.check(family, &input) {
                Ok(_) => {}
                Err(Failure::Disagreement(d)) => found = found.or(Some(d)),
                Err(e @ Failure::Harness(_)) => return Err(e.to_string().into()),
            }
        }
    }
    match found {
        Some(_) => Ok(()),
        None => Err(format!("held to {}, the session found no disagreement", wrong.id()).into()),
    }
}

fn main() -> std::process::ExitCode {
    let privileged = privilege::init();
    let args = Arguments::from_args();
    let env = match (&privileged, environment::get()) {
        (Ok(_), Ok(env)) => Some(env),
        (Err(e), _) => {
            eprintln!("SKIP differential: {e}");
            None
        }
        (_, Err(e @ environment::Unavailable::ProbeFailed(_))) => {
            eprintln!("differential: {e}");
            return std::process::ExitCode::FAILURE;
        }
        (_, Err(u)) => {
            eprintln!("SKIP differential: {u}");
            None
        }
    };
    let trials = Family::ALL
        .into_iter()
        .map(|family| {
            let name = format!("differential/{family}");
            match env {
                Some(env) if family == Family::V4 || env.ipv6 => {
                    Trial::test(name, move || trial(family, env))
                }
                _ => Trial::test(name, || Ok(())).with_ignored_flag(true),
            }
        })
        .chain(Family::ALL.into_iter().map(|family| {
            let name = format!("differential/serial-equals-labs/{family}");
            match env {
                Some(env) if family == Family::V4 || env.ipv6 => {
                    Trial::test(name, move || serial_equals_labs(family, env))
                }
                _ => Trial::test(name, || Ok(())).with_ignored_flag(true),
            }
        }))
        .chain(std::iter::once(match env {
            Some(env) => Trial::test("differential/session", move || {
                session_agrees_and_can_fail(env)
            }),
            None => Trial::test("differential/session", || Ok(())).with_ignored_flag(true),
        }))
        .chain(std::iter::once(match env {
            Some(env) => Trial::test("differential/wrong-semantics-fails", move || {
                wrong_semantics_fails(env)
            }),
            None => {
                Trial::test("differential/wrong-semantics-fails", || Ok(())).with_ignored_flag(true)
            }
        }))
        .collect();
    // libtest-mimic panics on a closed or full stdout; end that quietly.
    tcpmd5_conformance::stdout::guard_printer(|| libtest_mimic::run(&args, trials).exit_code())
        .unwrap_or_else(|status| status)
}
