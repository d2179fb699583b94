//! `tcpmd5-conformance`: runs every case against the running kernel and
//! prints a report. Exit status as kselftest: 0 pass, 1 failure or error,
//! 2 usage error, 4 nothing ran (see `--help`).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::Parser;
use tcpmd5_conformance::cli::{
    AoCaptureArgs, CaptureArgs, Cli, Command, Format, ProbeArgs, ProbeFormat, RunArgs, USAGE_ERROR,
};
use tcpmd5_conformance::environment::{self, Environment, Unavailable};
use tcpmd5_conformance::harness::{leftovers, privilege, trace};
use tcpmd5_conformance::outcome::CaseReport;
use tcpmd5_conformance::report::{self, Report};
use tcpmd5_conformance::{cases, runner, stdout};
use tcpmd5_report::ExitStatus;

const NAME: &str = "tcpmd5-conformance";

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0, errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(USAGE_ERROR));
        }
    };
    match cli.command {
        Some(Command::Probe(args)) => probe(&args),
        Some(Command::CaptureVectors(args)) => capture(&args),
        Some(Command::CaptureAoVectors(args)) => capture_ao(&args),
        // `vm` and `matrix` run the suite elsewhere: no namespaces here.
        Some(Command::Vm(command)) => command.run(),
        Some(Command::Differential(args)) => {
            init_privilege();
            tcpmd5_conformance::differential::cli::execute(&args)
        }
        None => run(&cli.run),
    }
}

/// Sets up namespaces (root, or a user namespace of our own), which must
/// happen while the process is single-threaded; the environment probe
/// reports a failure as the reason every case is skipped.
fn init_privilege() {
    if let Err(e) = privilege::init() {
        eprintln!("{NAME}: {e}");
    }
}

/// The environment, held to `--semantics` if given.
fn environment(forced: Option<tcpmd5::Semantics>) -> Result<Environment, Unavailable> {
    let mut env = environment::get().clone()?;
    if let Some(s) = forced {
        env.hold_to(s);
    }
    Ok(env)
}

fn probe(args: &ProbeArgs) -> ExitCode {
    init_privilege();
    let env = environment(args.semantics);
    let text = match args.format {
        ProbeFormat::Human => Report::header(&env),
        ProbeFormat::Json => match report::environment_json(&env) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{NAME}: {e}");
                return ExitCode::from(1);
            }
        },
    };
    trace::close();
    if let Err(e) = stdout::line(text.trim_end()) {
        return stdout::failed(NAME, &e);
    }
    match env {
        Ok(_) => ExitCode::SUCCESS,
        Err(Unavailable::Unsupported(_)) => ExitStatus::Skip.into(),
        Err(Unavailable::ProbeFailed(_)) => ExitStatus::Fail.into(),
    }
}

fn capture(args: &CaptureArgs) -> ExitCode {
    let result = tcpmd5_conformance::vector_capture::capture(&args.dir);
    trace::close();
    match result {
        Ok(summary) => {
            if let Err(e) = stdout::line(&summary.to_string()) {
                return stdout::failed(NAME, &e);
            }
            let bad = !summary.missing.is_empty()
                || !summary.disagreements.is_empty()
                || !summary.keys.mismatches.is_empty();
            ExitCode::from(u8::from(bad))
        }
        Err(e) => {
            eprintln!("{NAME}: capture-vectors: {e}");
            ExitCode::from(1)
        }
    }
}

fn capture_ao(args: &AoCaptureArgs) -> ExitCode {
    use tcpmd5_conformance::vector_capture::{CaptureError, ao};
    let to_stdout = args.out.as_os_str() == "-";
    let result = match &args.kernel {
        Some(kernel) => ao::capture_in_guest(kernel, &args.guest),
        None => ao::capture_ao(),
    };
    trace::close();
    let capture = match result {
        Ok(c) => c,
        Err(CaptureError::NoTcpAo) => {
            eprintln!("{NAME}: capture-ao-vectors: SKIP: kernel without CONFIG_TCP_AO");
            return ExitStatus::Skip.into();
        }
        Err(e) => {
            eprintln!("{NAME}: capture-ao-vectors: {e}");
            return ExitCode::from(1);
        }
    };
    let written = if to_stdout {
        serde_json::to_string(&capture)
            .map_err(|e| e.to_string())
            .and_then(|json| stdout::line(&json).map_err(|e| e.to_string()))
    } else {
        ao::write_file(&capture, &args.out)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                stdout::line(&format!("{capture}\nwritten: {}", args.out.display()))
                    .map_err(|e| e.to_string())
            })
    };
    if let Err(e) = written {
        eprintln!("{NAME}: capture-ao-vectors: {e}");
        return ExitCode::from(1);
    }
    if to_stdout {
        eprintln!("{capture}");
    }
    ExitCode::from(u8::from(!capture.is_clean()))
}

/// Progress on stderr: a live line on a terminal, else a line per finished area.
struct Progress {
    tty: bool,
    started: Instant,
    /// Per area: (cases left, failures and errors so far).
    left: Mutex<BTreeMap<String, (usize, usize)>>,
}

impl Progress {
    fn new(cases: &[tcpmd5_conformance::case::Case], human: bool) -> Progress {
        let mut left: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for c in cases {
            left.entry(c.area.to_owned()).or_default().0 += 1;
        }
        Progress {
            tty: std::io::stderr().is_terminal() && human,
            started: Instant::now(),
            left: Mutex::new(left),
        }
    }

    fn case_done(&self, report: &CaseReport, done: usize, total: usize) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(
                err,
                "\r\x1b[2K[{done}/{total}] {} {}",
                report.outcome.label(),
                report.id
            );
            let _ = err.flush();
            return;
        }
        let Ok(mut left) = self.left.lock() else {
            return;
        };
        if let Some((n, bad)) = left.get_mut(&report.area) {
            *n -= 1;
            *bad += usize::from(report.outcome.is_failure());
            if *n == 0 {
                let _ = writeln!(
                    err,
                    "{NAME}: [{done}/{total}, {:.1} s] area {} done{}",
                    self.started.elapsed().as_secs_f64(),
                    report.area,
                    if *bad > 0 {
                        format!(", {bad} failed")
                    } else {
                        String::new()
                    }
                );
            }
        }
    }

    fn finish(&self) {
        if self.tty {
            eprint!("\r\x1b[2K");
        }
    }
}

fn run(args: &RunArgs) -> ExitCode {
    let selected = match runner::select(cases::all(), &args.suite.filter) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{NAME}: {e} (--list shows the ids)");
            return ExitCode::from(USAGE_ERROR);
        }
    };
    if args.list {
        let text: String = selected
            .iter()
            .map(|c| format!("{}  {}\n", c.id, c.summary))
            .collect();
        return match stdout::write(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => stdout::failed(NAME, &e),
        };
    }
    init_privilege();
    // After init: a rootless run's home namespace is part of the baseline.
    let before = if args.check_leftovers {
        match leftovers::Snapshot::take() {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("{NAME}: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        None
    };
    let started = Instant::now();
    let env = environment(args.suite.semantics);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.suite.jobs.map_or(cpus * 2, usize::from);
    let policy = match runner::Policy::load(args.strict) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{NAME}: {e}");
            return ExitCode::from(1);
        }
    };
    let progress = Progress::new(&selected, args.suite.format == Format::Human);
    let reports = runner::run_all(&selected, &env, jobs, &policy, &|r, done, total| {
        progress.case_done(r, done, total)
    });
    progress.finish();
    let report = Report::new(env, reports, &policy.defects, started.elapsed());
    let text = match args.suite.format {
        Format::Human => Ok(report.human(args.verbose)),
        Format::Json => report.json().map_err(|e| e.to_string()),
        Format::Ktap => Ok(report.ktap()),
        Format::Junit => report.junit().map_err(|e| e.to_string()),
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{NAME}: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = stdout::line(text.trim_end()) {
        return stdout::failed(NAME, &e);
    }
    let mut status = report.result().exit_status();
    trace::close();
    if let Some(before) = before {
        match leftovers::compare_settled(&before, Duration::from_secs(2)) {
            Ok(leaked) => {
                for l in &leaked {
                    eprintln!("{NAME}: leftover: {l}");
                }
                if !leaked.is_empty() {
                    status = ExitStatus::Fail;
                }
            }
            Err(e) => {
                eprintln!("{NAME}: {e}");
                status = ExitStatus::Fail;
            }
        }
    }
    status.into()
}
