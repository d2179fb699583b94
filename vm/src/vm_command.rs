//! `tcpmd5-conformance vm --kernel K`: the suite on another kernel, its
//! report streamed back, its exit status returned.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::guest::GuestStep;
use crate::guest::{self, GuestArgs};
use tcpmd5::Semantics;
use tcpmd5_report::{ExitStatus, Format};

use crate::qemu::Echo;

/// Arguments of `vm`.
#[derive(Debug, Clone, clap::Args)]
pub struct VmArgs {
    /// A bzImage/vmlinuz, a Debian kernel package file (.deb), or a Debian
    /// package name (downloaded with apt-get into the cache).
    #[arg(long)]
    pub kernel: String,
    /// A `make modules_install INSTALL_MOD_PATH=DIR` tree for a bare image
    /// (not needed when veth is built in).
    #[arg(long)]
    pub modules: Option<PathBuf>,
    /// Run an installed kselftest tree (as `ci/nightly/kselftest.sh` assembles
    /// one) instead of the suite: DIR is copied to /kselftest in the guest
    /// and its `run_kselftest.sh` runs, as kernel CI runs kselftests; its
    /// output streams on stdout. The suite options do not apply.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["format", "filter", "semantics", "jobs", "strict"])]
    pub kselftest: Option<PathBuf>,
    #[command(flatten)]
    pub guest: GuestArgs,
    #[command(flatten)]
    pub suite: SuiteArgs,
}

/// Where `vm --kselftest` puts the tree in the guest.
const GUEST_KSELFTEST: &str = "/kselftest";

/// The suite options passed through to the guest.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SuiteArgs {
    /// Report format in the guest.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Only cases whose id contains TEXT (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,
    /// Hold the kernel to this semantics instead of the probed one.
    #[arg(long, value_name = "ID", value_parser = tcpmd5_report::semantics_parser())]
    pub semantics: Option<Semantics>,
    /// Parallel cases in the guest.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// A case that shows a known kernel defect fails instead of XFAIL.
    #[arg(long)]
    pub strict: bool,
}

impl SuiteArgs {
    /// The suite's command line, with `format` overriding `--format`.
    pub fn to_args(&self, format: Option<Format>) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(f) = format.or(self.format) {
            args.extend(["--format".to_owned(), f.id().to_owned()]);
        }
        for f in &self.filter {
            args.extend(["--filter".to_owned(), f.clone()]);
        }
        if let Some(s) = self.semantics {
            args.extend(["--semantics".to_owned(), s.id().to_owned()]);
        }
        if let Some(j) = self.jobs {
            args.extend(["--jobs".to_owned(), j.to_string()]);
        }
        if self.strict {
            args.push("--strict".to_owned());
        }
        args
    }
}

/// Runs `vm`; the exit code is the guest suite's (0 pass, 1 fail, 4 when
/// nothing ran), or 1 when the guest could not report one.
pub fn run_vm(args: &VmArgs) -> ExitCode {
    // A machine-read report comes through the second serial port, clean;
    // the human one streams live on the console.
    let machine_format = args.suite.format.is_some_and(Format::is_machine_read);
    let echo = if machine_format {
        Echo::Stderr
    } else {
        Echo::Stdout
    };
    let mut guest_args = args.guest.clone();
    let step = match &args.kselftest {
        Some(dir) => {
            guest_args.tree = Some((dir.clone(), GUEST_KSELFTEST.to_owned()));
            GuestStep {
                program: Some(format!("{GUEST_KSELFTEST}/run_kselftest.sh")),
                args: Vec::new(),
                to_port: false,
            }
        }
        None => GuestStep {
            program: None,
            args: args.suite.to_args(None),
            to_port: machine_format,
        },
    };
    let result = guest::resolve(&args.kernel, args.modules.as_deref())
        .and_then(|kernel| guest::run(&kernel, &guest_args, vec![step], echo));
    match result {
        Ok(run) => {
            if let Some(Some(report)) = run.port_outputs.first() {
                let text = String::from_utf8_lossy(report).replace("\r\n", "\n");
                let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
            }
            // The guest's own code, a usage error's 2 included.
            ExitCode::from(u8::try_from(run.exit.status(0)).unwrap_or(ExitStatus::Fail.code()))
        }
        Err(e) => {
            eprintln!("tcpmd5-conformance vm: {e}");
            ExitStatus::Fail.into()
        }
    }
}
