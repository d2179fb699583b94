//! `matrix`: the suite on several kernels (and the host), then what
//! differs between them: observed semantics and witnesses, every case whose
//! kernel behaviour differs with the semantics that predicted it, and a
//! pass/fail summary per kernel. After the suite, each kernel runs the
//! model-vs-kernel differential in the same boot (the host: right after);
//! a disagreement fails that kernel. Human, JSON or KTAP.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde::Serialize;

use crate::child;
use crate::differential::{self, DifferentialResult};
use crate::error::VmError;
use crate::guest::{self, GuestArgs, GuestStep};
use crate::progress::Stage;
use crate::qemu::{self, Echo};
use crate::status;
use crate::suite_report::{CaseResult, Counts, Environment, SuiteReport};
use crate::vm_command::SuiteArgs;

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
    pub accel: String,
    /// Why not KVM, when auto fell back.
    pub kvm_fallback: Option<String>,
    /// Seconds from qemu's start to the guest's `/init`.
    pub boot_seconds: f64,
    /// Seconds the suite ran.
    pub suite_seconds: f64,
    /// Outcome counts of the suite.
    pub counts: Counts,
    /// The suite's kselftest status: 0 pass, 1 fail, 4 nothing ran.
    pub suite_status: i32,
    /// The differential after the suite, unless turned off.
    pub differential: Option<DifferentialResult>,
    /// The kernel's kselftest status, suite and differential together:
    /// 1 if either failed, 4 if neither ran anything, else 0.
    pub status: i32,
    /// Why the kernel produced no report, if it did not.
    pub error: Option<String>,
    #[serde(skip)]
    cases: Vec<CaseResult>,
}

/// One kernel's side of a difference.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The kernel's label.
    pub kernel: String,
    /// The case's outcome there.
    pub status: String,
    /// What the kernel did.
    pub observed: String,
    /// The semantics under which the suite predicted this observation
    /// (those of the kernels where the case passed with it).
    pub predicted_by: Vec<String>,
}

/// A case whose observed behaviour differs between kernels.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// Case id.
    pub id: String,
    /// What it checks.
    pub summary: String,
    /// One entry per kernel on which it ran.
    pub kernels: Vec<Side>,
}

/// The matrix report.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixReport {
    /// Every kernel, in run order.
    pub kernels: Vec<KernelResult>,
    /// Cases whose observed behaviour differs.
    pub differences: Vec<Difference>,
}

fn split_label(arg: &str) -> (Option<&str>, &str) {
    match arg.split_once('=') {
        Some((label, spec)) if !label.contains('/') && !label.is_empty() => (Some(label), spec),
        _ => (None, arg),
    }
}

fn failed_kernel(label: String, spec: String, accel: &str, e: &VmError) -> KernelResult {
    KernelResult {
        label,
        spec,
        environment: None,
        accel: accel.to_owned(),
        kvm_fallback: None,
        boot_seconds: 0.0,
        suite_seconds: 0.0,
        counts: Counts::default(),
        suite_status: status::FAIL,
        differential: None,
        status: status::FAIL,
        error: Some(e.to_string()),
        cases: Vec::new(),
    }
}

/// The status of a kernel from its suite's and its differential's.
fn combined(suite: i32, differential: Option<&DifferentialResult>) -> i32 {
    let statuses = [Some(suite), differential.map(|d| d.status)];
    let statuses = statuses.iter().flatten();
    if statuses.clone().any(|s| *s == status::FAIL) {
        status::FAIL
    } else if statuses.clone().any(|s| *s == status::PASS) {
        status::PASS
    } else {
        status::SKIP
    }
}

/// Sets the differential's result and the kernel's status.
fn with_differential(
    mut result: KernelResult,
    differential: Option<DifferentialResult>,
) -> KernelResult {
    result.status = combined(result.suite_status, differential.as_ref());
    result.differential = differential;
    result
}

/// File names of a kernel's saved reports.
fn report_file(label: &str, what: &str) -> String {
    let safe: String = label
        .chars()
        .map(|c| if c == '/' || c == ' ' { '-' } else { c })
        .collect();
    format!("{safe}{what}.json")
}

fn from_report(
    mut result: KernelResult,
    report: Result<SuiteReport, VmError>,
    label_given: bool,
) -> KernelResult {
    match report {
        Ok(r) => {
            result.counts = r.total;
            result.suite_status = r.total.status();
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
        }
        Err(e) => {
            result.suite_status = status::FAIL;
            result.error = Some(e.to_string());
        }
    }
    result.status = result.suite_status;
    result
}

/// Writes `file` into the reports directory, if there is one.
fn save(dir: &Option<PathBuf>, file: &str, bytes: &[u8]) {
    if let Some(dir) = dir {
        let path = dir.join(file);
        if let Err(e) = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, bytes)) {
            eprintln!("tcpmd5-conformance matrix: {}: {e}", path.display());
        }
    }
}

/// What each kernel runs: the suite's arguments and the differential's
/// seed and case count (`None`: the default for the accelerator).
struct Plan<'a> {
    suite_args: &'a [String],
    seed: &'a str,
    differential_cases: Option<u32>,
    /// Semantics ids by kernel label (`--semantics-for`).
    held: BTreeMap<&'a str, &'a str>,
}

impl Plan<'_> {
    /// The suite's arguments for the kernel labelled `label`.
    fn suite_args_for(&self, label: &str) -> Vec<String> {
        let mut args = self.suite_args.to_vec();
        if let Some(id) = self.held.get(label) {
            args.extend(["--semantics".to_owned(), (*id).to_owned()]);
        }
        args
    }

    /// The differential's arguments for the kernel labelled `label`.
    fn differential_args_for(&self, label: &str, cases: u32) -> Vec<String> {
        differential::args(cases, self.seed, self.held.get(label).copied())
    }
}

/// `--semantics-for` as a map, each label one of the kernels'.
fn held_semantics(args: &MatrixArgs) -> Result<BTreeMap<&str, &str>, String> {
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
        if held.insert(label, id).is_some() {
            return Err(format!("--semantics-for: {label:?} given twice"));
        }
    }
    Ok(held)
}

fn run_guest(arg: &str, args: &MatrixArgs, plan: &Plan<'_>) -> KernelResult {
    let (label, spec) = split_label(arg);
    let fallback_label = label.unwrap_or(spec).to_owned();
    let kernel = match guest::resolve(spec, None) {
        Ok(k) => k,
        Err(e) => return failed_kernel(fallback_label, spec.to_owned(), "-", &e),
    };
    let (accel, _) = qemu::choose(args.guest.accel, &kernel.image);
    let cases = differential::cases_for(plan.differential_cases, Some(accel));
    let mut steps = vec![GuestStep {
        args: plan.suite_args_for(&fallback_label),
        to_port: true,
    }];
    if cases > 0 {
        steps.push(GuestStep {
            args: plan.differential_args_for(&fallback_label, cases),
            to_port: true,
        });
    }
    let run = match guest::run(&kernel, &args.guest, steps, Echo::Stderr) {
        Ok(r) => r,
        Err(e) => return failed_kernel(fallback_label, spec.to_owned(), "-", &e),
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
        accel: run.exit.accel.name().to_owned(),
        kvm_fallback: run.exit.kvm_fallback.clone(),
        boot_seconds: run.exit.boot_time.as_secs_f64(),
        suite_seconds: run.exit.time(0).as_secs_f64(),
        counts: Counts::default(),
        suite_status: run.exit.status(0),
        differential: None,
        status: run.exit.status(0),
        error: None,
        cases: Vec::new(),
    };
    let report = SuiteReport::parse(&bytes, &format!("{} report", kernel.name));
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
            run.exit.status(1),
            run.exit.time(1).as_secs_f64(),
            (cases, plan.seed),
            &format!("{} differential report", kernel.name),
        )
    });
    with_differential(result, diff)
}

/// Runs the suite binary here with `args` (killed with this process).
fn run_here(args: &MatrixArgs, run_args: &[String]) -> std::io::Result<std::process::Output> {
    let exe = match &args.guest.suite {
        Some(s) => s.clone(),
        None => std::env::current_exe()?,
    };
    child::guarded(exe)
        .args(run_args)
        .stderr(std::process::Stdio::inherit())
        .output()
}

fn run_host(args: &MatrixArgs, plan: &Plan<'_>) -> KernelResult {
    Stage::Run.show("host kernel");
    let started = Instant::now();
    let output = run_here(args, &plan.suite_args_for("host"));
    let base = KernelResult {
        label: "host".to_owned(),
        spec: "host".to_owned(),
        environment: None,
        accel: "host".to_owned(),
        kvm_fallback: None,
        boot_seconds: 0.0,
        suite_seconds: started.elapsed().as_secs_f64(),
        counts: Counts::default(),
        suite_status: status::FAIL,
        differential: None,
        status: status::FAIL,
        error: None,
        cases: Vec::new(),
    };
    let mut result = match output {
        Ok(out) => {
            let report = SuiteReport::parse(&out.stdout, "host report");
            let mut result = from_report(base, report, false);
            result.label = format!("host {}", result.label);
            save(&args.save_reports, "host.json", &out.stdout);
            result
        }
        Err(e) => {
            return failed_kernel(
                "host".to_owned(),
                "host".to_owned(),
                "host",
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
                    out.status.code().unwrap_or(status::FAIL),
                    started.elapsed().as_secs_f64(),
                    (cases, plan.seed),
                    "host differential report",
                )
            }
            Err(e) => DifferentialResult::read(
                b"",
                status::FAIL,
                0.0,
                (cases, plan.seed),
                &format!("host differential: {e}"),
            ),
        };
        result = with_differential(result, Some(diff));
    }
    result
}

/// The kernel behaviour in a case's `observed` text, without what differs
/// between kernels for reasons other than behaviour: whether the tracepoint
/// witness exists (`, trace None` / `, trace Some([..])`; shown per kernel
/// instead) and the kernel's random initial sequence numbers (`seq 0x..`).
pub fn behaviour(observed: &str) -> String {
    let mut out = String::with_capacity(observed.len());
    let mut rest = observed;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(", trace None") {
            rest = after;
        } else if let Some(after) = rest.strip_prefix(", trace Some([") {
            rest = after.split_once("])").map_or("", |(_, tail)| tail);
        } else if let Some(after) = rest.strip_prefix("seq 0x") {
            out.push_str("seq <isn>");
            rest = after.trim_start_matches(|c: char| c.is_ascii_hexdigit());
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
        }
    }
    out
}

/// Folds `a/b/ipv4` and `a/b/ipv6` into one `a/b/{ipv4,ipv6}` when every
/// kernel's side is the same in both families.
fn fold_families(diffs: Vec<Difference>) -> Vec<Difference> {
    let same = |a: &Difference, b: &Difference| {
        a.kernels.len() == b.kernels.len()
            && a.kernels.iter().zip(&b.kernels).all(|(x, y)| {
                x.kernel == y.kernel
                    && x.status == y.status
                    && x.observed == y.observed
                    && x.predicted_by == y.predicted_by
            })
    };
    let mut out: Vec<Difference> = Vec::with_capacity(diffs.len());
    for d in diffs {
        if let (Some(prev), Some(stem)) = (out.last_mut(), d.id.strip_suffix("/ipv6"))
            && prev.id.strip_suffix("/ipv4") == Some(stem)
            && same(prev, &d)
        {
            prev.id = format!("{stem}/{{ipv4,ipv6}}");
            continue;
        }
        out.push(d);
    }
    out
}

/// The cases whose observed behaviour differs between the kernels where
/// they ran, in the first kernel's case order, the two families folded
/// into one entry where they agree.
fn differences(kernels: &[KernelResult]) -> Vec<Difference> {
    let mut ids: Vec<(&str, &str)> = Vec::new();
    let mut seen = BTreeSet::new();
    for k in kernels {
        for c in &k.cases {
            if seen.insert(c.id.as_str()) {
                ids.push((c.id.as_str(), c.summary.as_str()));
            }
        }
    }
    let semantics = |k: &KernelResult| {
        k.environment
            .as_ref()
            .map_or_else(|| "?".to_owned(), |e| e.semantics.clone())
    };
    let mut out = Vec::new();
    for (id, summary) in ids {
        let ran: Vec<(&KernelResult, &CaseResult)> = kernels
            .iter()
            .filter_map(|k| k.cases.iter().find(|c| c.id == id).map(|c| (k, c)))
            .filter(|(_, c)| c.ran())
            .collect();
        let seen: Vec<String> = ran.iter().map(|(_, c)| behaviour(&c.observed)).collect();
        if seen.iter().collect::<BTreeSet<_>>().len() < 2 {
            continue;
        }
        let sides = ran
            .iter()
            .zip(&seen)
            .map(|((k, c), b)| {
                let predicted_by: BTreeSet<String> = ran
                    .iter()
                    .zip(&seen)
                    .filter(|((_, other), other_b)| other.passed() && *other_b == b)
                    .map(|((other_k, _), _)| semantics(other_k))
                    .collect();
                Side {
                    kernel: k.label.clone(),
                    status: c.status.clone(),
                    observed: b.clone(),
                    predicted_by: predicted_by.into_iter().collect(),
                }
            })
            .collect();
        out.push(Difference {
            id: id.to_owned(),
            summary: summary.to_owned(),
            kernels: sides,
        });
    }
    fold_families(out)
}

impl MatrixReport {
    /// The matrix's kselftest status: fail if any kernel failed or could
    /// not run, skip if nothing ran anywhere, else pass.
    pub fn status(&self) -> i32 {
        if self.kernels.iter().any(|k| k.status == status::FAIL) {
            status::FAIL
        } else if self.kernels.iter().all(|k| k.status == status::SKIP) {
            status::SKIP
        } else {
            status::PASS
        }
    }

    /// Text for people.
    pub fn human(&self) -> String {
        let mut out = String::from("tcpmd5 kernel matrix\n\n");
        if let Some(why) = self.kernels.iter().find_map(|k| k.kvm_fallback.as_deref()) {
            let _ = writeln!(out, "TCG, not KVM: {why}\n");
        }
        out.push_str("kernels\n");
        let width = self
            .kernels
            .iter()
            .map(|k| k.label.len())
            .chain(["kernel".len()])
            .max()
            .unwrap_or_default();
        for k in &self.kernels {
            let (sem, by_version) = k.environment.as_ref().map_or(("-", "-"), |e| {
                (e.semantics.as_str(), e.semantics_by_version.as_str())
            });
            let _ = writeln!(
                out,
                "  {:<width$}  semantics {sem} (by version: {by_version}), {}",
                k.label,
                run_line(k)
            );
            if let Some(env) = &k.environment {
                let _ = writeln!(
                    out,
                    "  {:<width$}  tcp-ao {}, vrf {}, tracepoints {}",
                    "",
                    yes_no(env.tcp_ao),
                    env.vrf.map_or("unknown", yes_no),
                    env.tracing_unavailable
                        .as_deref()
                        .map_or("yes".to_owned(), |w| format!("no ({w})"))
                );
                for e in &env.semantics_evidence {
                    let _ = writeln!(out, "  {:<width$}  - {e}", "");
                }
            }
            if let Some(e) = &k.error {
                let _ = writeln!(out, "  {:<width$}  ERROR: {e}", "");
            }
        }
        if self.differences.is_empty() {
            let _ = writeln!(
                out,
                "\nno case's observed behaviour differs between these kernels"
            );
        } else {
            let _ = writeln!(
                out,
                "\nbehaviour that differs between kernels ({} cases)",
                self.differences.len()
            );
            for d in &self.differences {
                let _ = writeln!(out, "  {} — {}", d.id, d.summary);
                for s in &d.kernels {
                    let predicted = if s.predicted_by.is_empty() {
                        "predicted by no semantics run here".to_owned()
                    } else {
                        format!("predicted by {}", s.predicted_by.join(", "))
                    };
                    let _ = writeln!(
                        out,
                        "    {:<width$}  {:<5} {}  [{predicted}]",
                        s.kernel, s.status, s.observed
                    );
                }
            }
        }
        self.human_differential(&mut out, width);
        let _ = writeln!(
            out,
            "\nsummary (suite cases; differential cases over both families)"
        );
        let _ = writeln!(
            out,
            "  {:<width$}  {:>5} {:>5} {:>5} {:>5} {:>5}  {:>6} {:>8}  result",
            "kernel", "pass", "fail", "xfail", "skip", "error", "diff", "disagree"
        );
        for k in &self.kernels {
            let c = k.counts;
            let (diff, disagree) = k
                .differential
                .as_ref()
                .map_or(("-".to_owned(), "-".to_owned()), |d| {
                    (d.cases.to_string(), d.disagreements.to_string())
                });
            let _ = writeln!(
                out,
                "  {:<width$}  {:>5} {:>5} {:>5} {:>5} {:>5}  {diff:>6} {disagree:>8}  {}",
                k.label,
                c.pass,
                c.fail,
                c.xfail,
                c.skip,
                c.error,
                status_word(k.status)
            );
        }
        out
    }

    /// The differential section: per kernel its counts, what it skipped,
    /// its errors, and every disagreement with the segment and both verdicts.
    fn human_differential(&self, out: &mut String, width: usize) {
        let ran: Vec<(&KernelResult, &DifferentialResult)> = self
            .kernels
            .iter()
            .filter_map(|k| k.differential.as_ref().map(|d| (k, d)))
            .collect();
        let Some((_, first)) = ran.first() else {
            let _ = writeln!(
                out,
                "\nno differential ran (--differential-cases 0, or no kernel got that far)"
            );
            return;
        };
        let _ = writeln!(
            out,
            "\ndifferential: model vs kernel on generated segments, seed {}",
            first.seed
        );
        let _ = writeln!(
            out,
            "  {:<width$}  {:>10} {:>6} {:>6} {:>8} {:>8}  result",
            "kernel", "per-family", "cases", "agree", "disagree", "time"
        );
        for (k, d) in &ran {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>10} {:>6} {:>6} {:>8} {:>6.1} s  {}",
                k.label,
                d.cases_per_family,
                d.cases,
                d.agreements,
                d.disagreements,
                d.seconds,
                status_word(d.status)
            );
            if d.seed != first.seed {
                let _ = writeln!(out, "  {:<width$}  seed {}", "", d.seed);
            }
            for why in &d.skipped {
                let _ = writeln!(out, "  {:<width$}  skipped {why}", "");
            }
            for e in &d.errors {
                let _ = writeln!(out, "  {:<width$}  ERROR: {e}", "");
            }
            if d.inferred > 0 {
                let _ = writeln!(
                    out,
                    "  {:<width$}  {} verdicts inferred from silence (no tracepoints)",
                    "", d.inferred
                );
            }
            for c in &d.disagreement_cases {
                let _ = writeln!(
                    out,
                    "  {:<width$}  DISAGREEMENT {} {}{}: kernel {}, model {}; segment {}",
                    "",
                    c.family,
                    c.kind,
                    if c.shrunk { " (shrunk)" } else { "" },
                    c.kernel,
                    c.model,
                    c.packet_hex
                );
                for p in &c.problems {
                    let _ = writeln!(out, "  {:<width$}    - {p}", "");
                }
            }
        }
    }

    /// One JSON document.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// KTAP version 1: one subtest block per kernel, one test per case.
    pub fn ktap(&self) -> String {
        let mut out = String::from("KTAP version 1\n");
        let _ = writeln!(out, "1..{}", self.kernels.len());
        for (i, k) in self.kernels.iter().enumerate() {
            let name = ktap_name(&k.label);
            let _ = writeln!(out, "    KTAP version 1");
            let _ = writeln!(out, "    # Subtest: {name}");
            if let Some(env) = &k.environment {
                let _ = writeln!(out, "    # semantics {}", env.semantics);
            }
            if let Some(e) = &k.error {
                let _ = writeln!(out, "    # error: {}", one_line(e));
            }
            let tests = k.cases.len() + usize::from(k.differential.is_some());
            let _ = writeln!(out, "    1..{tests}");
            for (j, c) in k.cases.iter().enumerate() {
                let n = j + 1;
                let id = ktap_name(&c.id);
                let why = one_line(c.reason.as_deref().unwrap_or_default());
                let line = match c.status.as_str() {
                    "pass" => format!("ok {n} {id}"),
                    "skip" => format!("ok {n} {id} # SKIP {why}"),
                    "expected-fail" => format!("ok {n} {id} # XFAIL {why}"),
                    _ => format!("not ok {n} {id}\n    # {}: {why}", c.status),
                };
                let _ = writeln!(out, "    {line}");
            }
            let mut c = k.counts;
            if let Some(d) = &k.differential {
                let n = k.cases.len() + 1;
                ktap_differential(&mut out, n, d);
                match d.status {
                    status::PASS => c.pass += 1,
                    status::SKIP => c.skip += 1,
                    _ => c.fail += 1,
                }
            }
            let _ = writeln!(
                out,
                "    # Totals: pass:{} fail:{} xfail:{} xpass:0 skip:{} error:{}",
                c.pass, c.fail, c.xfail, c.skip, c.error
            );
            let verdict = match k.status {
                status::PASS => format!("ok {} {name}", i + 1),
                status::SKIP => format!("ok {} {name} # SKIP nothing ran", i + 1),
                _ => format!("not ok {} {name}", i + 1),
            };
            let _ = writeln!(out, "{verdict}");
        }
        out
    }
}

/// The differential's test in a kernel's KTAP block, diagnostics first.
fn ktap_differential(out: &mut String, n: usize, d: &DifferentialResult) {
    let _ = writeln!(
        out,
        "    # differential: {} cases ({} per family), {} agree, {} disagree, seed {}",
        d.cases, d.cases_per_family, d.agreements, d.disagreements, d.seed
    );
    for e in &d.errors {
        let _ = writeln!(out, "    # differential: error: {}", one_line(e));
    }
    for c in &d.disagreement_cases {
        let _ = writeln!(
            out,
            "    # differential: {} {}: kernel {}, model {}, segment {}",
            c.family,
            c.kind,
            one_line(&c.kernel),
            one_line(&c.model),
            c.packet_hex
        );
    }
    let line = match d.status {
        status::PASS => format!("ok {n} differential"),
        status::SKIP => format!(
            "ok {n} differential # SKIP {}",
            one_line(&d.skipped.join("; "))
        ),
        _ => format!("not ok {n} differential"),
    };
    let _ = writeln!(out, "    {line}");
}

fn run_line(k: &KernelResult) -> String {
    let differential = k.differential.as_ref().map_or(String::new(), |d| {
        format!(", differential {:.1} s", d.seconds)
    });
    if k.accel == "host" {
        format!("host kernel, suite {:.1} s{differential}", k.suite_seconds)
    } else {
        format!(
            "{}, boot {:.1} s, suite {:.1} s{differential}",
            k.accel.to_uppercase(),
            k.boot_seconds,
            k.suite_seconds
        )
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn status_word(s: i32) -> &'static str {
    match s {
        status::PASS => "pass",
        status::SKIP => "nothing ran",
        _ => "FAIL",
    }
}

fn ktap_name(s: &str) -> String {
    s.replace([' ', '#'], "_")
}

fn one_line(s: &str) -> String {
    s.replace('\n', " ")
}

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
    }
    .to_args(Some("json"));
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
    status::exit_code(report.status())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::differential::Disagreement;

    fn kernel(label: &str, semantics: &str, cases: &[(&str, &str, &str)]) -> KernelResult {
        KernelResult {
            label: label.to_owned(),
            spec: label.to_owned(),
            environment: Some(Environment {
                semantics: semantics.to_owned(),
                ..Environment::default()
            }),
            accel: "tcg".to_owned(),
            kvm_fallback: None,
            boot_seconds: 1.0,
            suite_seconds: 2.0,
            counts: Counts::default(),
            suite_status: status::PASS,
            differential: None,
            status: status::PASS,
            error: None,
            cases: cases
                .iter()
                .map(|(id, st, obs)| CaseResult {
                    id: (*id).to_owned(),
                    summary: String::new(),
                    status: (*st).to_owned(),
                    reason: None,
                    expected: String::new(),
                    observed: (*obs).to_owned(),
                })
                .collect(),
        }
    }

    fn matrix_args(argv: &[&str]) -> MatrixArgs {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            matrix: MatrixArgs,
        }
        let argv = std::iter::once("matrix").chain(argv.iter().copied());
        <Cli as clap::Parser>::try_parse_from(argv).unwrap().matrix
    }

    #[test]
    fn a_kernel_is_held_to_a_semantics_by_its_label() {
        let args = matrix_args(&[
            "--kernel",
            "fixed=/k/bzImage",
            "--kernel",
            "fixed.held=/k/bzImage",
            "--host",
            "--semantics-for",
            "fixed.held=linux-ao-bypass-fixed",
            "--semantics-for",
            "host=linux",
        ]);
        let held = held_semantics(&args).unwrap();
        let plan = Plan {
            suite_args: &["--format".to_owned(), "json".to_owned()],
            seed: "00",
            differential_cases: None,
            held,
        };
        assert_eq!(plan.suite_args_for("fixed"), ["--format", "json"]);
        assert_eq!(
            plan.suite_args_for("fixed.held"),
            ["--format", "json", "--semantics", "linux-ao-bypass-fixed"]
        );
        assert_eq!(
            plan.differential_args_for("fixed.held", 5)[7..],
            ["--semantics", "linux-ao-bypass-fixed"]
        );
        assert_eq!(plan.differential_args_for("fixed", 5).len(), 7);
        assert_eq!(plan.suite_args_for("host")[2..], ["--semantics", "linux"]);
    }

    #[test]
    fn semantics_for_an_unknown_label_or_twice_is_refused() {
        for argv in [
            &["--kernel", "a=/k", "--semantics-for", "b=linux"][..],
            &["--kernel", "/k", "--semantics-for", "/k=linux"][..],
            &["--kernel", "a=/k", "--semantics-for", "host=linux"][..],
            &["--kernel", "a=/k", "--semantics-for", "a"][..],
            &[
                "--kernel",
                "a=/k",
                "--semantics-for",
                "a=linux",
                "--semantics-for",
                "a=linux-ao",
            ][..],
        ] {
            assert!(held_semantics(&matrix_args(argv)).is_err(), "{argv:?}");
        }
    }

    #[test]
    fn a_changed_behaviour_names_the_semantics_that_predicted_each_side() {
        let ks = vec![
            kernel(
                "6.1",
                "linux-legacy",
                &[
                    ("len17", "pass", "accepted unsigned"),
                    ("same", "pass", "dropped"),
                ],
            ),
            kernel(
                "6.12",
                "linux",
                &[
                    ("len17", "pass", "dropped TCP_AUTH_HDR"),
                    ("same", "pass", "dropped"),
                ],
            ),
            kernel(
                "ao",
                "linux-ao",
                &[("len17", "skip", ""), ("same", "pass", "dropped")],
            ),
        ];
        let d = differences(&ks);
        assert_eq!(d.len(), 1);
        let d = d.first().expect("one difference");
        assert_eq!(d.id, "len17");
        assert_eq!(d.kernels.len(), 2, "the skipped kernel has no side");
        assert_eq!(
            d.kernels.first().map(|s| s.predicted_by.clone()),
            Some(vec!["linux-legacy".to_owned()])
        );
        let human = MatrixReport {
            kernels: ks,
            differences: vec![d.clone()],
        }
        .human();
        assert!(
            human.contains("6.12    pass  dropped TCP_AUTH_HDR  [predicted by linux]"),
            "{human}"
        );
    }

    #[test]
    fn witnesses_and_sequence_numbers_are_not_behaviour() {
        assert_eq!(
            behaviour(
                "probe: counters {}, trace Some([\"tcp_hash_md5_required\"]), 1 replies [.] seq 0x74e5b67a ack 0x1a050507"
            ),
            "probe: counters {}, 1 replies [.] seq <isn> ack 0x1a050507"
        );
        assert_eq!(
            behaviour("a, trace None, 0 replies"),
            behaviour("a, trace Some([]), 0 replies")
        );
        assert_ne!(
            behaviour("1 RST, counters {}"),
            behaviour("0 RST, counters {}")
        );
    }

    #[test]
    fn families_fold_when_they_agree() {
        let ks = vec![
            kernel(
                "a",
                "linux-legacy",
                &[
                    ("x/y/ipv4", "pass", "1"),
                    ("x/y/ipv6", "pass", "1"),
                    ("z/ipv4", "pass", "1"),
                    ("z/ipv6", "pass", "3"),
                ],
            ),
            kernel(
                "b",
                "linux",
                &[
                    ("x/y/ipv4", "pass", "2"),
                    ("x/y/ipv6", "pass", "2"),
                    ("z/ipv4", "pass", "2"),
                    ("z/ipv6", "pass", "2"),
                ],
            ),
        ];
        let ids: Vec<String> = differences(&ks).into_iter().map(|d| d.id).collect();
        assert_eq!(ids, ["x/y/{ipv4,ipv6}", "z/ipv4", "z/ipv6"]);
    }

    #[test]
    fn one_failing_kernel_fails_the_matrix_and_nothing_run_is_no_pass() {
        let mut bad = kernel("a", "linux", &[]);
        bad.status = status::FAIL;
        let good = kernel("b", "linux", &[]);
        let r = MatrixReport {
            kernels: vec![bad, good],
            differences: vec![],
        };
        assert_eq!(r.status(), status::FAIL);
        let mut skipped = kernel("c", "linux", &[]);
        skipped.status = status::SKIP;
        let r = MatrixReport {
            kernels: vec![skipped],
            differences: vec![],
        };
        assert_eq!(r.status(), status::SKIP);
        assert!(r.ktap().contains("ok 1 c # SKIP nothing ran"));
    }

    fn differential(status: i32, disagreement: Option<Disagreement>) -> DifferentialResult {
        DifferentialResult {
            cases_per_family: 200,
            seed: "5eed".to_owned(),
            semantics: Some("linux".to_owned()),
            status,
            seconds: 12.5,
            cases: 400,
            agreements: 400 - u64::from(disagreement.is_some()),
            disagreements: u64::from(disagreement.is_some()),
            inferred: 0,
            skipped: Vec::new(),
            errors: Vec::new(),
            disagreement_cases: disagreement.into_iter().collect(),
        }
    }

    #[test]
    fn a_differential_disagreement_fails_its_kernel_in_every_format() {
        let bad = Disagreement {
            family: "ipv4".to_owned(),
            kind: "listener syn".to_owned(),
            shrunk: true,
            packet_hex: "4500abcd".to_owned(),
            model: "drop:TCP_AUTH_HDR".to_owned(),
            kernel: "accept".to_owned(),
            problems: vec!["verdict differs".to_owned()],
        };
        let a = with_differential(
            kernel("a", "linux", &[("x", "pass", "1")]),
            Some(differential(status::FAIL, Some(bad))),
        );
        let b = with_differential(
            kernel("b", "linux", &[("x", "pass", "1")]),
            Some(differential(status::PASS, None)),
        );
        assert_eq!((a.suite_status, a.status), (status::PASS, status::FAIL));
        assert_eq!(b.status, status::PASS);
        let r = MatrixReport {
            kernels: vec![a, b],
            differences: vec![],
        };
        assert_eq!(r.status(), status::FAIL);

        let human = r.human();
        assert!(
            human.contains(
                "DISAGREEMENT ipv4 listener syn (shrunk): kernel accept, model drop:TCP_AUTH_HDR; segment 4500abcd"
            ),
            "{human}"
        );
        assert!(human.contains("seed 5eed"), "{human}");
        assert!(
            human.contains("  b           0     0     0     0     0     400        0  pass"),
            "{human}"
        );

        let ktap = r.ktap();
        assert!(ktap.contains("    1..2\n    ok 1 x\n"), "{ktap}");
        assert!(
            ktap.contains(
                "    # differential: ipv4 listener syn: kernel accept, model drop:TCP_AUTH_HDR, segment 4500abcd\n    not ok 2 differential\n"
            ),
            "{ktap}"
        );
        assert!(ktap.contains("    ok 2 differential\n"), "{ktap}");
        assert!(ktap.contains("not ok 1 a\n"), "{ktap}");
        assert!(ktap.contains("ok 2 b\n"), "{ktap}");

        let json: serde_json::Value = serde_json::from_str(&r.json()).expect("json");
        let d = &json["kernels"][0]["differential"];
        assert_eq!(d["disagreements"], 1);
        assert_eq!(d["disagreement_cases"][0]["kernel"], "accept");
        assert_eq!(d["disagreement_cases"][0]["model"], "drop:TCP_AUTH_HDR");
        assert_eq!(json["kernels"][0]["status"], status::FAIL);
        assert_eq!(json["kernels"][0]["suite_status"], status::PASS);
    }

    #[test]
    fn a_skipped_differential_neither_passes_nor_fails_a_kernel() {
        let mut skipped = differential(status::SKIP, None);
        skipped.cases = 0;
        skipped.skipped = vec!["no CONFIG_TCP_MD5SIG".to_owned()];
        let mut k = kernel("a", "linux", &[]);
        k.suite_status = status::SKIP;
        let k = with_differential(k, Some(skipped.clone()));
        assert_eq!(k.status, status::SKIP);
        let k = with_differential(kernel("b", "linux", &[]), Some(skipped));
        assert_eq!(k.status, status::PASS, "the suite passed");
        let r = MatrixReport {
            kernels: vec![k],
            differences: vec![],
        };
        assert!(
            r.ktap()
                .contains("ok 1 differential # SKIP no CONFIG_TCP_MD5SIG"),
            "{}",
            r.ktap()
        );
    }

    #[test]
    fn labels_are_split_from_paths_only_before_an_equals_sign() {
        assert_eq!(split_label("ao=/tmp/bzImage"), (Some("ao"), "/tmp/bzImage"));
        assert_eq!(split_label("/a=b/bzImage"), (None, "/a=b/bzImage"));
        assert_eq!(
            split_label("linux-image-6.1.0-57-cloud-amd64"),
            (None, "linux-image-6.1.0-57-cloud-amd64")
        );
    }
}
