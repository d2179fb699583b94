//! The command line of `tcpmd5-conformance` (clap derive). A new subcommand
//! is one variant of [`Command`] (flatten [`SuiteArgs`] to take the suite's
//! `--format`/`--filter`/`--semantics`/`--jobs`) and one arm in `main`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tcpmd5::Semantics;

/// Exit status of a usage error (clap's, and ours for a filter that selects nothing).
pub const USAGE_ERROR: u8 = 2;

/// Runs the conformance cases of the TCP MD5 Signature Option (RFC 2385)
/// against this machine's kernel, each in its own network namespace, and
/// reports every case's expected (reference model) and observed (kernel)
/// verdict.
///
/// Exit status (as kselftest): 0 every case that ran passed, 1 a case failed
/// or the harness could not decide, 2 usage error (including a --filter that
/// selects no case), 4 nothing ran (every case skipped, with the reason).
#[derive(Debug, Parser)]
#[command(
    name = "tcpmd5-conformance",
    version,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do instead of running the suite.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Running the suite (the default).
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the probed environment (kernel, semantics, witnesses) and exit;
    /// exit status 4 when no case could run here.
    Probe(ProbeArgs),
    /// Capture kernel-signed digest vectors into DIR/digest, verify them with
    /// the reference library, and replay DIR/keys on live sockets.
    CaptureVectors(CaptureArgs),
    /// Capture TCP-AO vectors signed by the kernel (two AO sockets over a
    /// veth), verify them with the model and write them to FILE; with
    /// --kernel, on that kernel booted in qemu (CONFIG_TCP_AO=y).
    CaptureAoVectors(AoCaptureArgs),
    /// Run the model-vs-kernel differential property test: generated
    /// segments injected into the running kernel, whose verdict must equal
    /// the model's (exit 1 on any disagreement, 4 when nothing could run).
    Differential(crate::differential::cli::DifferentialArgs),
    /// `vm` (the suite on another kernel in qemu) and `matrix` (several
    /// kernels compared case by case).
    #[command(flatten)]
    Vm(tcpmd5_vm::VmCommand),
}

pub use tcpmd5_report::Format;

/// The options every suite run takes (also for subcommands that run the
/// suite elsewhere).
#[derive(Debug, Clone, Args)]
pub struct SuiteArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Only cases whose id contains TEXT; repeated, a case is selected when
    /// it matches any of them (OR). A filter that selects nothing is an error.
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,
    /// Hold the kernel to this model instead of the one its version and
    /// configuration imply (for kernels that knowingly differ, e.g. a
    /// distribution backport; also shows that the suite can fail).
    #[arg(long, value_name = "ID", value_parser = tcpmd5_report::semantics_parser())]
    pub semantics: Option<Semantics>,
    /// Cases run in parallel [default: 2 per CPU].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,
}

/// `tcpmd5-conformance [OPTIONS]`: run the suite here.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Options shared with every way of running the suite.
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// List the selected case ids with their summaries and exit.
    #[arg(long)]
    pub list: bool,
    /// Show each case's evidence (counters, tracepoints, replies) under its line.
    #[arg(long, short)]
    pub verbose: bool,
    /// Fail if the run left namespaces, fds, threads, trace instances or a
    /// tracefs mount behind.
    #[arg(long)]
    pub check_leftovers: bool,
    /// A case that shows a known kernel defect (the AO bypass) fails the run
    /// instead of reporting XFAIL, for CI that gates on security defects.
    #[arg(long)]
    pub strict: bool,
}

/// `probe`.
#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ProbeFormat,
    /// As for a run: the semantics the kernel would be held to.
    #[arg(long, value_name = "ID", value_parser = tcpmd5_report::semantics_parser())]
    pub semantics: Option<Semantics>,
}

/// `probe`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ProbeFormat {
    /// The report's header.
    #[default]
    Human,
    /// The report's `environment` object.
    Json,
}

/// `capture-vectors`.
#[derive(Debug, Clone, Args)]
pub struct CaptureArgs {
    /// The vectors directory: must exist and hold keys/*.json.
    #[arg(value_name = "DIR", default_value = "vectors", value_parser = vectors_dir)]
    pub dir: PathBuf,
}

/// `capture-ao-vectors`.
#[derive(Debug, Clone, Args)]
pub struct AoCaptureArgs {
    /// The vector file to write; `-` prints the whole capture (vectors and
    /// what went wrong) as JSON instead, which is what runs in the guest.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Capture on this kernel (as `vm --kernel` takes it) instead of the
    /// running one.
    #[arg(long, value_name = "SPEC")]
    pub kernel: Option<String>,
    /// How to run the guest (with --kernel).
    #[command(flatten)]
    pub guest: tcpmd5_vm::guest::GuestArgs,
}

/// An existing vectors directory with key vectors to replay.
fn vectors_dir(arg: &str) -> Result<PathBuf, String> {
    let dir = PathBuf::from(arg);
    if !dir.is_dir() {
        return Err(format!("{arg} is not a directory"));
    }
    let keys = dir.join("keys");
    let has_keys = std::fs::read_dir(&keys)
        .map_err(|e| format!("{}: {e}", keys.display()))?
        .filter_map(Result::ok)
        .any(|e| e.path().extension().is_some_and(|x| x == "json"));
    if has_keys {
        Ok(dir)
    } else {
        Err(format!("{} holds no key vectors (*.json)", keys.display()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_documented_forms() {
        let cli =
            Cli::try_parse_from(["t", "--format=json", "--filter", "a", "--filter=b"]).unwrap();
        assert_eq!(cli.run.suite.format, Format::Json);
        assert_eq!(cli.run.suite.filter, ["a", "b"]);
        let cli = Cli::try_parse_from(["t", "--semantics", "linux-legacy", "--jobs", "3"]).unwrap();
        assert_eq!(cli.run.suite.semantics, Some(Semantics::LinuxLegacy));
        assert_eq!(cli.run.suite.jobs, Some(3));
        let cli = Cli::try_parse_from([
            "t",
            "capture-ao-vectors",
            "--out",
            "-",
            "--kernel",
            "bzImage",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::CaptureAoVectors(AoCaptureArgs { kernel: Some(ref k), .. })) if k == "bzImage"
        ));
        let cli = Cli::try_parse_from(["t", "probe", "--format", "json"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Probe(ProbeArgs {
                format: ProbeFormat::Json,
                ..
            }))
        ));
    }

    #[test]
    fn rejects_with_clear_errors() {
        for (args, needle) in [
            (&["t", "--format", "nonsense"][..], "possible values"),
            (&["t", "--jobs", "99999999999999999999"][..], "too large"),
            (&["t", "--jobs", "0"][..], "1..=1024"),
            (&["t", "--semantics", "bsd"][..], "linux-legacy"),
            (
                &["t", "capture-vectors", "/nonexistent/dir"][..],
                "not a directory",
            ),
        ] {
            let e = Cli::try_parse_from(args).unwrap_err().to_string();
            assert!(e.contains(needle), "{args:?}: {e}");
        }
    }
}
