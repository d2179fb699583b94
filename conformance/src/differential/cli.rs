//! `tcpmd5-conformance differential`: the arguments and the command.

use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::{Args, ValueEnum};
use tcpmd5::Semantics;

use super::run::{DEFAULT_LABS, Settings, run};
use super::seed::Seed;
use super::summary::unavailable_json;
use crate::environment::{self, Unavailable};

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
///
/// On a kernel with `CONFIG_TCP_AO` each family then runs TCP-AO cases (MKTs on the sockets, segments signed by the model, the
/// verdict of its AO receive decision).
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
    /// Labs per family with a case in flight at once, each case alone in
    /// its lab.
    #[arg(long, default_value_t = DEFAULT_LABS, value_parser = clap::value_parser!(u16).range(1..=64).map(usize::from))]
    pub labs: usize,
    /// One case at a time on one lab (as `--labs 1`).
    #[arg(long, conflicts_with = "labs")]
    pub serial: bool,
    /// TCP-AO cases per family, after the MD5 cases, on a kernel with
    /// `CONFIG_TCP_AO` (skipped with the reason elsewhere); default: half
    /// of `--cases`.
    #[arg(long)]
    pub ao_cases: Option<u32>,
}

fn parse_semantics(id: &str) -> Result<Semantics, String> {
    Semantics::from_id(id).ok_or_else(|| format!("unknown semantics {id:?}"))
}

/// Runs the differential with parsed arguments.
pub fn execute(args: &DifferentialArgs) -> ExitCode {
    let seed = args.seed.unwrap_or_else(Seed::from_time);
    let env = match environment::get() {
        Ok(env) => env,
        Err(u) => {
            let probe_failed = matches!(u, Unavailable::ProbeFailed(_));
            eprintln!(
                "differential: {}: {u}",
                if probe_failed { "ERROR" } else { "SKIP" }
            );
            if args.format == Format::Json {
                let json =
                    unavailable_json(&u.to_string(), probe_failed, &seed.to_string(), args.cases);
                if let Err(e) = crate::stdout::line(&json) {
                    return crate::stdout::failed("tcpmd5-conformance differential", &e);
                }
            }
            return ExitCode::from(if probe_failed { 1 } else { 4 });
        }
    };
    let mut settings = Settings::new(args.cases, seed);
    settings.semantics = args.semantics;
    settings.labs = if args.serial { 1 } else { args.labs };
    if let Some(n) = args.ao_cases {
        settings.ao_cases = n;
    }
    let progress = |line: &str| eprintln!("{line}");
    let summary = run(&settings, env, &progress);
    let text = match args.format {
        Format::Human => summary.human(),
        Format::Json => summary.json(),
    };
    if let Err(e) = crate::stdout::line(&text) {
        return crate::stdout::failed("tcpmd5-conformance differential", &e);
    }
    summary.exit_status().into()
}
