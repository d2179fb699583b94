//! `tcpmd5-conformance`: runs every case against the running kernel and
//! prints a report. Exit status 1 on any failure or error, 4 when no case
//! ran (kselftest's skip), 2 on bad usage.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use tcpmd5_conformance::harness::{leftovers, privilege};
use tcpmd5_conformance::report::Report;
use tcpmd5_conformance::{cases, environment, runner};

const USAGE: &str = "usage: tcpmd5-conformance [--format human|json|ktap] [--filter TEXT]... [--jobs N] [--list] [--semantics ID] [--check-leftovers]
       tcpmd5-conformance probe
       tcpmd5-conformance capture-vectors [DIR]

Runs the conformance cases of the TCP MD5 Signature Option (RFC 2385) against
this machine's kernel, each in its own network namespace, and reports every
case's expected (reference model) and observed (kernel) verdict.

  --format F         human (default), json or ktap
  --filter TEXT      only cases whose id contains TEXT (repeatable)
  --jobs N           parallel cases (default: 2 per CPU)
  --list             list the case ids and exit
  --semantics ID     hold the kernel to this model instead of the probed one
                     (rfc2385, linux-legacy, linux, linux-ao): shows what
                     differs between kernels, and that the suite can fail
  --check-leftovers  fail if namespaces, fds, threads or trace instances remain
  probe              print the probed environment (kernel, semantics) and exit
  capture-vectors    capture kernel-signed digest vectors into DIR (default
                     vectors/), verify them with the reference library, and
                     replay the key-table vectors on live sockets";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    Ktap,
}

#[derive(Debug)]
struct Args {
    format: Format,
    filters: Vec<String>,
    jobs: usize,
    list: bool,
    probe_only: bool,
    check_leftovers: bool,
    semantics: Option<tcpmd5::Semantics>,
    capture_dir: Option<std::path::PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut args = Args {
        format: Format::Human,
        filters: Vec::new(),
        jobs: cpus * 2,
        list: false,
        probe_only: false,
        check_leftovers: false,
        semantics: None,
        capture_dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--format" => {
                args.format = match it.next().as_deref() {
                    Some("human") => Format::Human,
                    Some("json") => Format::Json,
                    Some("ktap") => Format::Ktap,
                    other => return Err(format!("unknown format {other:?}")),
                }
            }
            "--filter" => args
                .filters
                .push(it.next().ok_or("--filter needs a value")?),
            "--jobs" => {
                args.jobs = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--jobs needs a positive number")?
            }
            "--list" => args.list = true,
            "--semantics" => {
                let id = it.next().unwrap_or_default();
                args.semantics = Some(
                    tcpmd5::Semantics::from_id(&id).ok_or(format!("unknown semantics {id:?}"))?,
                );
            }
            "--check-leftovers" => args.check_leftovers = true,
            "probe" => args.probe_only = true,
            "capture-vectors" => {
                args.capture_dir = Some(it.next().unwrap_or_else(|| "vectors".to_owned()).into());
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    // `vm` and `matrix` run the suite elsewhere: no namespaces here.
    if let Some(code) = tcpmd5_vm::run_if_subcommand() {
        return code;
    }
    // Namespaces first, while the process has one thread.
    let privilege = privilege::init();
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("tcpmd5-conformance: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &args.capture_dir {
        return match tcpmd5_conformance::vector_capture::capture(dir) {
            Ok(summary) => {
                println!("{summary}");
                let bad = !summary.missing.is_empty()
                    || !summary.disagreements.is_empty()
                    || !summary.key_request_mismatches.is_empty();
                if bad {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(e) => {
                eprintln!("tcpmd5-conformance: capture-vectors: {e}");
                ExitCode::from(1)
            }
        };
    }
    let selected = runner::select(cases::all(), &args.filters);
    if args.list {
        for c in &selected {
            println!("{}  {}", c.id, c.summary);
        }
        return ExitCode::SUCCESS;
    }
    let before = leftovers::Snapshot::take();
    let started = Instant::now();
    let env = match (environment::get(), args.semantics) {
        (Ok(probed), Some(forced)) => {
            let mut env = probed.clone();
            env.semantics_evidence.push(format!(
                "OVERRIDDEN by --semantics {}: the kernel is held to that model",
                forced.id()
            ));
            env.semantics = forced;
            Ok(env)
        }
        (other, _) => other.clone(),
    };
    let env = &env;
    if let Err(e) = &privilege {
        eprintln!("tcpmd5-conformance: no namespaces: {e}");
    }
    if args.probe_only {
        match env {
            Ok(env) => println!("{}", serde_json::to_string_pretty(env).unwrap_or_default()),
            Err(e) => println!("unavailable: {}", e.0),
        }
        return ExitCode::SUCCESS;
    }
    let tty = std::io::stderr().is_terminal() && args.format == Format::Human;
    let progress = |report: &tcpmd5_conformance::outcome::CaseReport, done: usize, total: usize| {
        if tty {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r\x1b[2K[{done}/{total}] {} {}",
                report.outcome.label(),
                report.id
            );
            let _ = err.flush();
        }
    };
    let reports = match runner::run_all(&selected, env, args.jobs, &progress) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tcpmd5-conformance: {e}");
            return ExitCode::from(1);
        }
    };
    if tty {
        eprint!("\r\x1b[2K");
    }
    let report = Report::new(env.clone().map_err(|u| u.0), reports, started.elapsed());
    let text = match args.format {
        Format::Human => report.human(),
        Format::Json => report.json(),
        Format::Ktap => report.ktap(),
    };
    println!("{text}");
    let mut failed = report.failed();
    if args.check_leftovers {
        let leaked = leftovers::compare_settled(&before, std::time::Duration::from_secs(2));
        for l in &leaked {
            eprintln!("tcpmd5-conformance: leftover: {l}");
        }
        failed |= !leaked.is_empty();
    }
    if failed {
        ExitCode::from(1)
    } else if report.total.pass + report.total.xfail == 0 {
        // kselftest's "skip": nothing ran, which is never a pass.
        ExitCode::from(4)
    } else {
        ExitCode::SUCCESS
    }
}
