//! One kernel's run in the matrix: in qemu or on the host, the suite and
//! then the differential, read back into a [`KernelResult`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Serialize, Serializer};
use tcpmd5::Semantics;
use tcpmd5_report::{CaseReport, Counts, DefectFinding, Environment, ExitStatus, SuiteReport};

use super::args::MatrixArgs;
use crate::child;
use crate::differential::{self, DifferentialResult};
use crate::error::VmError;
use crate::guest::{self, GuestStep};
use crate::progress::Stage;
use crate::qemu::{self, Accel, Echo};
use crate::suite_report;

/// Where a kernel ran: on the host, in qemu with an accelerator, or
/// nowhere (it could not be started). In JSON `host`, `tcg`, `kvm` or `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RanOn {
    /// The host's own kernel.
    Host,
    /// A qemu guest.
    Qemu(Accel),
    /// Never started.
    NotStarted,
}

impl RanOn {
    /// The word in JSON.
    pub fn id(self) -> &'static str {
        match self {
            RanOn::Host => "host",
            RanOn::Qemu(a) => a.name(),
            RanOn::NotStarted => "-",
        }
    }
}

impl Serialize for RanOn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One kernel's run in the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct KernelResult {
    /// Its label.
    pub label: String,
    /// What was asked for (`host` for the host).
    pub spec: String,
    /// The environment the suite probed (semantics and witnesses).
    pub environment: Option<Environment>,
    /// tcg, kvm, or host.
    pub accel: RanOn,
    /// Why not KVM, when auto fell back.
    pub kvm_fallback: Option<String>,
    /// Seconds from qemu's start to the guest's `/init`.
    pub boot_seconds: f64,
    /// Seconds the suite ran.
    pub suite_seconds: f64,
    /// Outcome counts of the suite.
    pub counts: Counts,
    /// The suite's kselftest status: 0 pass, 1 fail, 4 nothing ran.
    pub suite_status: ExitStatus,
    /// The differential after the suite, unless turned off.
    pub differential: Option<DifferentialResult>,
    /// The kernel's kselftest status, suite and differential together:
    /// 1 if either failed, 4 if neither ran anything, else 0.
    pub status: ExitStatus,
    /// Why the kernel produced no report, if it did not.
    pub error: Option<String>,
    /// What the suite found about each known kernel defect.
    pub known_defects: Vec<DefectFinding>,
    #[serde(skip)]
    pub(super) cases: Vec<CaseReport>,
}

pub(super) fn split_label(arg: &str) -> (Option<&str>, &str) {
    match arg.split_once('=') {
        Some((label, spec)) if !label.contains('/') && !label.is_empty() => (Some(label), spec),
        _ => (None, arg),
    }
}

pub(super) fn failed_kernel(
    label: String,
    spec: String,
    accel: RanOn,
    e: &VmError,
) -> KernelResult {
    KernelResult {
        label,
        spec,
        environment: None,
        accel,
        kvm_fallback: None,
        boot_seconds: 0.0,
        suite_seconds: 0.0,
        counts: Counts::default(),
        suite_status: ExitStatus::Fail,
        differential: None,
        status: ExitStatus::Fail,
        error: Some(e.to_string()),
        known_defects: Vec::new(),
        cases: Vec::new(),
    }
}

/// The status of a kernel from its suite's and its differential's.
pub(super) fn combined(suite: ExitStatus, differential: Option<&DifferentialResult>) -> ExitStatus {
    ExitStatus::combine(
        [Some(suite), differential.map(|d| d.status)]
            .into_iter()
            .flatten(),
    )
}

/// Sets the differential's result and the kernel's status.
pub(super) fn with_differential(
    mut result: KernelResult,
    differential: Option<DifferentialResult>,
) -> KernelResult {
    result.status = combined(result.suite_status, differential.as_ref());
    result.differential = differential;
    result
}

/// File names of a kernel's saved reports.
pub(super) fn report_file(label: &str, what: &str) -> String {
    let safe: String = label
        .chars()
        .map(|c| if c == '/' || c == ' ' { '-' } else { c })
        .collect();
    format!("{safe}{what}.json")
}

pub(super) fn from_report(
    mut result: KernelResult,
    report: Result<SuiteReport, VmError>,
    label_given: bool,
) -> KernelResult {
    match report {
        Ok(r) => {
            result.counts = r.total;
            result.suite_status = r.total.exit_status();
            match r.environment {
                Ok(env) => {
                    if !label_given && !env.kernel_release.is_empty() {
                        result.label.clone_from(&env.kernel_release);
                    }
                    result.environment = Some(env);
                }
                Err(why) => result.error = Some(format!("no case could run: {why}")),
            }
            result.cases = r.cases;
            result.known_defects = r.known_defects;
        }
        Err(e) => {
            result.suite_status = ExitStatus::Fail;
            result.error = Some(e.to_string());
        }
    }
    result.status = result.suite_status;
    result
}

/// Writes `file` into the reports directory, if there is one.
pub(super) fn save(dir: &Option<PathBuf>, file: &str, bytes: &[u8]) {
    if let Some(dir) = dir {
        let path = dir.join(file);
        if let Err(e) = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, bytes)) {
            eprintln!("tcpmd5-conformance matrix: {}: {e}", path.display());
        }
    }
}

/// What each kernel runs: the suite's arguments and the differential's
/// seed and case count (`None`: the default for the accelerator).
pub(super) struct Plan<'a> {
    pub(super) suite_args: &'a [String],
    pub(super) seed: &'a str,
    pub(super) differential_cases: Option<u32>,
    /// Semantics by kernel label (`--semantics-for`).
    pub(super) held: BTreeMap<&'a str, Semantics>,
}

impl Plan<'_> {
    /// The suite's arguments for the kernel labelled `label`.
    pub(super) fn suite_args_for(&self, label: &str) -> Vec<String> {
        let mut args = self.suite_args.to_vec();
        if let Some(s) = self.held.get(label) {
            args.extend(["--semantics".to_owned(), s.id().to_owned()]);
        }
        args
    }

    /// The differential's arguments for the kernel labelled `label`.
    pub(super) fn differential_args_for(&self, label: &str, cases: u32) -> Vec<String> {
        differential::args(cases, self.seed, self.held.get(label).copied())
    }
}

/// `--semantics-for` as a map, each label one of the kernels'.
pub(super) fn held_semantics(args: &MatrixArgs) -> Result<BTreeMap<&str, Semantics>, String> {
    let labels: Vec<&str> = args
        .kernels
        .iter()
        .filter_map(|k| split_label(k).0)
        .chain(args.host.then_some("host"))
        .collect();
    let mut held = BTreeMap::new();
    for arg in &args.semantics_for {
        let Some((label, id)) = arg.split_once('=') else {
            return Err(format!("--semantics-for {arg:?}: give LABEL=ID"));
        };
        if !labels.contains(&label) {
            return Err(format!(
                "--semantics-for {arg:?}: no kernel is labelled {label:?} (label one with --kernel {label}=SPEC, or use host with --host)"
            ));
        }
        let Some(semantics) = Semantics::from_id(id) else {
            return Err(format!(
                "--semantics-for {arg:?}: unknown semantics {id:?} (known: {})",
                Semantics::known()
                    .map(Semantics::id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        if held.insert(label, semantics).is_some() {
            return Err(format!("--semantics-for: {label:?} given twice"));
        }
    }
    Ok(held)
}

pub(super) fn run_guest(arg: &str, args: &MatrixArgs, plan: &Plan<'_>) -> KernelResult {
    let (label, spec) = split_label(arg);
    let fallback_label = label.unwrap_or(spec).to_owned();
    let kernel = match guest::resolve(spec, None) {
        Ok(k) => k,
        Err(e) => return failed_kernel(fallback_label, spec.to_owned(), RanOn::NotStarted, &e),
    };
    let (accel, _) = qemu::choose(args.guest.accel, &kernel.image);
    let cases = differential::cases_for(plan.differential_cases, Some(accel));
    let mut steps = vec![GuestStep {
        program: None,
        args: plan.suite_args_for(&fallback_label),
        to_port: true,
    }];
    if cases > 0 {
        steps.push(GuestStep {
            program: None,
            args: plan.differential_args_for(&fallback_label, cases),
            to_port: true,
        });
    }
    let run = match guest::run(&kernel, &args.guest, steps, Echo::Stderr) {
        Ok(r) => r,
        Err(e) => return failed_kernel(fallback_label, spec.to_owned(), RanOn::NotStarted, &e),
    };
    let output = |i: usize| {
        run.port_outputs
            .get(i)
            .cloned()
            .flatten()
            .unwrap_or_default()
    };
    let bytes = output(0);
    let result = KernelResult {
        label: label.map_or_else(|| kernel.name.clone(), str::to_owned),
        spec: spec.to_owned(),
        environment: None,
        accel: RanOn::Qemu(run.exit.accel),
        kvm_fallback: run.exit.kvm_fallback.clone(),
        boot_seconds: run.exit.boot_time.as_secs_f64(),
        suite_seconds: run.exit.time(0).as_secs_f64(),
        counts: Counts::default(),
        suite_status: run.exit.exit_status(0),
        differential: None,
        status: run.exit.exit_status(0),
        error: None,
        known_defects: Vec::new(),
        cases: Vec::new(),
    };
    let report = suite_report::parse(&bytes, &format!("{} report", kernel.name));
    let result = from_report(result, report, label.is_some());
    save(&args.save_reports, &report_file(&result.label, ""), &bytes);
    let diff = (cases > 0).then(|| {
        let bytes = output(1);
        save(
            &args.save_reports,
            &report_file(&result.label, ".differential"),
            &bytes,
        );
        DifferentialResult::read(
            &bytes,
            run.exit.exit_status(1),
            run.exit.time(1).as_secs_f64(),
            (cases, plan.seed),
            &format!("{} differential report", kernel.name),
        )
    });
    with_differential(result, diff)
}

/// Runs the suite binary here with `args` (killed with this process).
pub(super) fn run_here(
    args: &MatrixArgs,
    run_args: &[String],
) -> std::io::Result<std::process::Output> {
    let exe = match &args.guest.suite {
        Some(s) => s.clone(),
        None => std::env::current_exe()?,
    };
    child::guarded(exe)
        .args(run_args)
        .stderr(std::process::Stdio::inherit())
        .output()
}

pub(super) fn run_host(args: &MatrixArgs, plan: &Plan<'_>) -> KernelResult {
    Stage::Run.show("host kernel");
    let started = Instant::now();
    let output = run_here(args, &plan.suite_args_for("host"));
    let base = KernelResult {
        label: "host".to_owned(),
        spec: "host".to_owned(),
        environment: None,
        accel: RanOn::Host,
        kvm_fallback: None,
        boot_seconds: 0.0,
        suite_seconds: started.elapsed().as_secs_f64(),
        counts: Counts::default(),
        suite_status: ExitStatus::Fail,
        differential: None,
        status: ExitStatus::Fail,
        error: None,
        known_defects: Vec::new(),
        cases: Vec::new(),
    };
    let mut result = match output {
        Ok(out) => {
            let report = suite_report::parse(&out.stdout, "host report");
            let mut result = from_report(base, report, false);
            result.label = format!("host {}", result.label);
            save(&args.save_reports, "host.json", &out.stdout);
            result
        }
        Err(e) => {
            return failed_kernel(
                "host".to_owned(),
                "host".to_owned(),
                RanOn::Host,
                &VmError::io("tcpmd5-conformance")(e),
            );
        }
    };
    let cases = differential::cases_for(plan.differential_cases, None);
    if cases > 0 {
        Stage::Run.show(&format!(
            "host kernel: differential, {cases} cases per family"
        ));
        let started = Instant::now();
        let diff = match run_here(args, &plan.differential_args_for("host", cases)) {
            Ok(out) => {
                save(&args.save_reports, "host.differential.json", &out.stdout);
                DifferentialResult::read(
                    &out.stdout,
                    ExitStatus::of_code(out.status.code().unwrap_or(1)),
                    started.elapsed().as_secs_f64(),
                    (cases, plan.seed),
                    "host differential report",
                )
            }
            Err(e) => DifferentialResult::read(
                b"",
                ExitStatus::Fail,
                0.0,
                (cases, plan.seed),
                &format!("host differential: {e}"),
            ),
        };
        result = with_differential(result, Some(diff));
    }
    result
}
