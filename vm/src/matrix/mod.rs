//! `matrix`: the suite on several kernels (and the host), then what
//! differs between them: observed semantics and witnesses, every case whose
//! kernel behaviour differs with the semantics that predicted it, and a
//! pass/fail summary per kernel. After the suite, each kernel runs the
//! model-vs-kernel differential in the same boot (the host: right after);
//! a disagreement fails that kernel. Human, JSON or KTAP.

mod args;
mod differences;
mod report;
mod runs;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use crate::differential;
use crate::progress::Stage;
use crate::vm_command::SuiteArgs;

pub use args::{MatrixArgs, MatrixFormat};
use differences::differences;
pub use differences::{Difference, Side};
pub use report::MatrixReport;
pub use runs::KernelResult;
use runs::{Plan, held_semantics, run_guest, run_host, save};

/// Runs the matrix and prints its report; the exit code is its status.
pub fn run_matrix(args: &MatrixArgs) -> ExitCode {
    if args.kernels.is_empty() && !args.host {
        eprintln!("tcpmd5-conformance matrix: give at least one --kernel, or --host");
        return ExitCode::from(2);
    }
    let held = match held_semantics(args) {
        Ok(held) => held,
        Err(e) => {
            eprintln!("tcpmd5-conformance matrix: {e}");
            return ExitCode::from(2);
        }
    };
    let suite_args = SuiteArgs {
        format: None,
        filter: args.filter.clone(),
        semantics: None,
        jobs: args.jobs,
        // The matrix compares behaviour; XFAIL stays XFAIL there.
        strict: false,
    }
    .to_args(Some(tcpmd5_report::Format::Json));
    let seed = args
        .differential_seed
        .clone()
        .unwrap_or_else(differential::fresh_seed);
    let plan = Plan {
        suite_args: &suite_args,
        seed: &seed,
        differential_cases: args.differential_cases,
        held,
    };
    let mut kernels = Vec::new();
    for (i, k) in args.kernels.iter().enumerate() {
        Stage::Run.show(&format!("kernel {}/{}: {k}", i + 1, args.kernels.len()));
        kernels.push(run_guest(k, args, &plan));
    }
    if args.host {
        kernels.push(run_host(args, &plan));
    }
    let report = MatrixReport {
        differences: differences(&kernels),
        kernels,
    };
    for (name, text) in [
        ("matrix.txt", report.human()),
        ("matrix.json", report.json()),
        ("matrix.ktap", report.ktap()),
    ] {
        save(&args.save_reports, name, text.as_bytes());
    }
    let text = match args.format {
        MatrixFormat::Human => report.human(),
        MatrixFormat::Json => report.json(),
        MatrixFormat::Ktap => report.ktap(),
    };
    {
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), "{text}");
    }
    report.status().into()
}
