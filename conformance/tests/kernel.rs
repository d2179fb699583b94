//! The conformance cases under `cargo test`: one test per case, run in
//! parallel by libtest-mimic, each in its own network namespace.
//!
//! A case that cannot run here is reported as ignored with its reason
//! printed, never as passed. Expected failures pass with a printed note.

#![allow(clippy::print_stderr)]

use libtest_mimic::{Arguments, Failed, Trial};
use tcpmd5_conformance::harness::{leftovers, privilege};
use tcpmd5_conformance::outcome::{CaseReport, Outcome, debug_markers};
use tcpmd5_conformance::{cases, environment, runner};

fn main() -> std::process::ExitCode {
    // Before any thread: rootless mode needs a single-threaded process.
    if let Err(e) = privilege::init() {
        eprintln!("tcpmd5 conformance: no namespaces here: {e}");
    }
    let args = Arguments::from_args();
    let env = environment::get();
    let policy = match runner::Policy::load(false) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut trials = Vec::new();
    for case in cases::all() {
        // A harness failure in the probe is no skip: the trial runs and errors.
        let skip = match env {
            Err(environment::Unavailable::Unsupported(why)) => Some(why.clone()),
            Err(environment::Unavailable::ProbeFailed(_)) => None,
            Ok(e) => case.unmet_need(e),
        };
        let name = case.id.clone();
        let id = case.id.clone();
        let policy = policy.clone();
        let trial = Trial::test(name.clone(), move || {
            let report = runner::run_case(&case, env, &policy).report;
            debug_free(&report)?;
            match report.outcome {
                Outcome::Pass => Ok(()),
                Outcome::ExpectedFail(why) => {
                    eprintln!("XFAIL {name}: {why}");
                    Ok(())
                }
                Outcome::Skip(why) => {
                    Err(Failed::from(format!("skip reached a running trial: {why}")))
                }
                Outcome::Fail(why) | Outcome::Error(why) => Err(Failed::from(format!(
                    "{why}\n  expected {}\n  observed {}\n  notes {:?}",
                    report.steps.expected_line(),
                    report.steps.observed_line(),
                    report.notes
                ))),
            }
        });
        if let Some(why) = skip {
            eprintln!("SKIP {id}: {why}");
            trials.push(trial.with_ignored_flag(true));
        } else {
            trials.push(trial);
        }
    }
    trials.push(known_defects_trial(env, &policy));
    // The suite must leave nothing behind: checked after all trials ran.
    let before = match leftovers::Snapshot::take() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // libtest-mimic panics on a closed or full stdout; end that quietly.
    let conclusion =
        match tcpmd5_conformance::stdout::guard_printer(|| libtest_mimic::run(&args, trials)) {
            Ok(c) => c,
            Err(status) => return status,
        };
    if args.list || args.filter.is_some() || conclusion.has_failed() {
        return conclusion.exit_code();
    }
    // The suite's trace instance is part of the run: removed before the check.
    tcpmd5_conformance::harness::trace::close();
    let leaked = match leftovers::compare_settled(&before, std::time::Duration::from_secs(2)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if !leaked.is_empty() {
        for t in std::fs::read_dir("/proc/self/task")
            .into_iter()
            .flatten()
            .flatten()
        {
            let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            eprintln!("thread {:?}: {}", t.file_name(), comm.trim());
        }
        for l in &leaked {
            eprintln!("leftover after the conformance run: {l}");
        }
        return std::process::ExitCode::FAILURE;
    }
    eprintln!("no leftovers: no namespace, fd, thread or trace instance of the suite remains");
    conclusion.exit_code()
}

/// The known-defects list decides XFAIL, on a kernel that has the AO bypass:
/// its data, RST and SYN cases are XFAIL with the list, plain PASS without
/// the bypass in it, and FAIL when the kernel is held to the fix's
/// semantics. Ignored, with the reason, on a kernel held to another
/// semantics (one without the bypass cannot show it).
fn known_defects_trial(
    env: &'static Result<environment::Environment, environment::Unavailable>,
    policy: &runner::Policy,
) -> Trial {
    const NAME: &str = "known-defects/ao-bypass-list-decides-xfail";
    let affected = tcpmd5::Semantics::Linux { tcp_ao: false };
    let skip = match env {
        Err(environment::Unavailable::Unsupported(why)) => Some(why.clone()),
        Err(environment::Unavailable::ProbeFailed(_)) => None,
        Ok(e) if e.semantics != affected => Some(format!(
            "the kernel is held to {}, which has no AO bypass",
            e.semantics.id()
        )),
        Ok(_) => None,
    };
    let with_list = policy.clone();
    let trial = Trial::test(NAME, move || {
        let Ok(env_ok) = env else {
            return Err(Failed::from("no environment"));
        };
        let mut without = with_list.clone();
        without.defects.retain(|d| d.id != "ao-bypass");
        let mut held_fixed = env_ok.clone();
        held_fixed.hold_to(tcpmd5::Semantics::LinuxAoBypassFixed);
        let held_fixed = Ok(held_fixed);
        let ids = [
            "ao-bypass/data-on-md5-session/",
            "ao-bypass/rst-on-md5-session/",
            "ao-bypass/handshake-and-data/",
        ];
        let selected: Vec<_> = cases::all()
            .into_iter()
            .filter(|c| ids.iter().any(|i| c.id.starts_with(i)) && c.id.ends_with("ipv4"))
            .collect();
        if selected.len() != ids.len() {
            return Err(Failed::from(format!(
                "expected {} cases, found {}",
                ids.len(),
                selected.len()
            )));
        }
        for case in &selected {
            let listed = runner::run_case(case, env, &with_list).report;
            let unlisted = runner::run_case(case, env, &without).report;
            let fixed = runner::run_case(case, &held_fixed, &with_list).report;
            let got = (
                listed.outcome.label(),
                listed.known_defect.as_deref(),
                unlisted.outcome.label(),
                fixed.outcome.label(),
            );
            if got != ("xfail", Some("ao-bypass"), "pass", "fail") {
                return Err(Failed::from(format!(
                    "{}: with the list {} ({:?}), without the bypass in it {}, held to linux-ao-bypass-fixed {}",
                    case.id, got.0, got.1, got.2, got.3
                )));
            }
        }
        Ok(())
    });
    match skip {
        Some(why) => {
            eprintln!("SKIP {NAME}: {why}");
            trial.with_ignored_flag(true)
        }
        None => trial,
    }
}

/// The case's line (expected, observed, reason) and its notes are words, not
/// Rust `Debug` output.
fn debug_free(report: &CaseReport) -> Result<(), Failed> {
    let (expected, observed) = (report.steps.expected_line(), report.steps.observed_line());
    let texts = [expected.as_str(), observed.as_str()]
        .into_iter()
        .chain(report.outcome.reason())
        .chain(report.notes.iter().map(String::as_str));
    for text in texts {
        let found = debug_markers(text);
        if !found.is_empty() {
            return Err(Failed::from(format!(
                "Debug text ({}) in the report of {}: {text}",
                found.join(" "),
                report.id
            )));
        }
    }
    Ok(())
}
