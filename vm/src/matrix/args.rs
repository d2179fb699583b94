//! The `matrix` command line.

use std::path::PathBuf;

use crate::differential;
use crate::guest::GuestArgs;

/// Report formats of `matrix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MatrixFormat {
    /// Text for people.
    Human,
    /// One JSON document.
    Json,
    /// KTAP, one subtest block per kernel.
    Ktap,
}

/// Arguments of `matrix`.
#[derive(Debug, Clone, clap::Args)]
pub struct MatrixArgs {
    /// A kernel as `vm --kernel` takes it, optionally labelled `LABEL=SPEC`
    /// (repeatable; run in this order).
    #[arg(long = "kernel", value_name = "[LABEL=]SPEC")]
    pub kernels: Vec<String>,
    /// Also run the suite on the host's own kernel.
    #[arg(long)]
    pub host: bool,
    /// Report format.
    #[arg(long, value_enum, default_value_t = MatrixFormat::Human)]
    pub format: MatrixFormat,
    /// Only cases whose id contains TEXT (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,
    /// Parallel cases in each run.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Differential cases per family on each kernel, after its suite; 0
    /// runs none [default: 1000 on the host and under KVM, 200 under TCG].
    #[arg(long, value_name = "N")]
    pub differential_cases: Option<u32>,
    /// The differential's seed, the same on every kernel (64 hex digits)
    /// [default: a fresh one, printed in the report].
    #[arg(long, value_name = "HEX", value_parser = differential::parse_seed)]
    pub differential_seed: Option<String>,
    /// Hold the kernel labelled LABEL (`host` for the host) to semantics ID
    /// instead of the probed one, in its suite and differential (repeatable):
    /// e.g. a patched kernel held to the proposed fix's semantics, next to
    /// the same kernel held to the released one.
    #[arg(long = "semantics-for", value_name = "LABEL=ID")]
    pub semantics_for: Vec<String>,
    /// Write each kernel's full suite report (`<label>.json`) and the matrix
    /// in every format (`matrix.txt`, `matrix.json`, `matrix.ktap`) into DIR.
    #[arg(long, value_name = "DIR")]
    pub save_reports: Option<PathBuf>,
    #[command(flatten)]
    pub guest: GuestArgs,
}
