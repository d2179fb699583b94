//! `tcpmd5-conformance differential`: the arguments and the command.

use std::process::ExitCode;

use clap::{Args, Parser, ValueEnum};
use tcpmd5::Semantics;

use super::run::{Settings, run};
use super::seed::Seed;
use crate::environment;

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text.
    Human,
    /// JSON.
    Json,
}

/// Runs the model-vs-kernel differential property test: generated segments
/// (SYNs to listeners; data, ACK, RST, FIN on established connections;
/// option areas from the option grammar; keys of 1 to 80 bytes; both
/// families) are injected into the running kernel and its verdict must
/// equal the model's. Exit status 1 on any disagreement, 4 when nothing
/// could run.
#[derive(Debug, Clone, Args)]
pub struct DifferentialArgs {
    /// Cases per family.
    #[arg(long, default_value_t = 1024)]
    pub cases: u32,
    /// The seed (64 hex digits), to replay a run; default: from the clock.
    #[arg(long)]
    pub seed: Option<Seed>,
    /// Hold the kernel to this semantics (rfc2385, linux-legacy, linux,
    /// linux-ao) instead of the environment's.
    #[arg(long, value_parser = parse_semantics)]
    pub semantics: Option<Semantics>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

fn parse_semantics(id: &str) -> Result<Semantics, String> {
    Semantics::from_id(id).ok_or_else(|| format!("unknown semantics {id:?}"))
}

/// The subcommand on its own (`tcpmd5-conformance differential ...`).
#[derive(Debug, Parser)]
#[command(
    name = "differential",
    bin_name = "tcpmd5-conformance differential",
    about = "Runs the model-vs-kernel differential property test against the running kernel"
)]
struct Command {
    #[command(flatten)]
    args: DifferentialArgs,
}

/// Parses `args` (the words after `differential`) and runs. `privileged`:
/// whether `privilege::init` succeeded, or why not.
pub fn main_with(
    args: impl IntoIterator<Item = String>,
    privileged: Result<(), String>,
) -> ExitCode {
    let words = std::iter::once("differential".to_owned()).chain(args);
    match Command::try_parse_from(words) {
        Ok(c) => execute(&c.args, privileged),
        Err(e) => {
            let _ = e.print();
            ExitCode::from(if e.use_stderr() { 2 } else { 0 })
        }
    }
}

/// Runs the differential with parsed arguments.
pub fn execute(args: &DifferentialArgs, privileged: Result<(), String>) -> ExitCode {
    const SKIP: u8 = 4;
    let env = match (privileged, environment::get()) {
        (Err(e), _) => {
            eprintln!("differential: SKIP: no namespaces: {e}");
            return ExitCode::from(SKIP);
        }
        (_, Err(u)) => {
            eprintln!("differential: SKIP: {}", u.0);
            return ExitCode::from(SKIP);
        }
        (Ok(()), Ok(env)) => env,
    };
    let mut settings = Settings::new(args.cases, args.seed.unwrap_or_else(Seed::from_time));
    settings.semantics = args.semantics;
    let progress = |line: &str| eprintln!("{line}");
    let summary = run(&settings, env, &progress);
    let text = match args.format {
        Format::Human => summary.human(),
        Format::Json => summary.json(),
    };
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        // A closed stdout is not a reason to panic.
        let _ = writeln!(out, "{text}");
    }
    let skipped = summary.families.iter().all(|f| f.skipped.is_some());
    if skipped {
        ExitCode::from(SKIP)
    } else if summary.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
