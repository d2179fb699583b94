//! `matrix`: the suite on several kernels (and the host), then what
//! differs between them: observed semantics and witnesses, every case whose
//! kernel behaviour differs with the semantics that predicted it, and a
//! pass/fail summary per kernel. Human, JSON or KTAP.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use serde::Serialize;

use crate::error::VmError;
use crate::guest::{self, GuestArgs};
use crate::progress::Stage;
use crate::qemu::Echo;
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
    /// Outcome counts.
    pub counts: Counts,
    /// kselftest status: 0 pass, 1 fail, 4 nothing ran.
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
        status: status::FAIL,
        error: Some(e.to_string()),
        cases: Vec::new(),
    }
}

fn from_report(
    mut result: KernelResult,
    report: Result<SuiteReport, VmError>,
    label_given: bool,
) -> KernelResult {
    match report {
        Ok(r) => {
            result.counts = r.total;
            result.status = r.total.status();
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
            result.status = status::FAIL;
            result.error = Some(e.to_string());
        }
    }
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

fn run_guest(arg: &str, args: &MatrixArgs, suite_args: &[String]) -> KernelResult {
    let (label, spec) = split_label(arg);
    let fallback_label = label.unwrap_or(spec).to_owned();
    let kernel = match guest::resolve(spec, None) {
        Ok(k) => k,
        Err(e) => return failed_kernel(fallback_label, spec.to_owned(), "-", &e),
    };
    let run = match guest::run(
        &kernel,
        &args.guest,
        suite_args.to_vec(),
        true,
        Echo::Stderr,
    ) {
        Ok(r) => r,
        Err(e) => return failed_kernel(fallback_label, spec.to_owned(), "-", &e),
    };
    let bytes = run.port_output.unwrap_or_default();
    let result = KernelResult {
        label: label.map_or_else(|| kernel.name.clone(), str::to_owned),
        spec: spec.to_owned(),
        environment: None,
        accel: run.exit.accel.name().to_owned(),
        kvm_fallback: run.exit.kvm_fallback,
        boot_seconds: run.exit.boot_time.as_secs_f64(),
        suite_seconds: run.exit.suite_time.as_secs_f64(),
        counts: Counts::default(),
        status: run.exit.status,
        error: None,
        cases: Vec::new(),
    };
    let report = SuiteReport::parse(&bytes, &format!("{} report", kernel.name));
    let result = from_report(result, report, label.is_some());
    save(
        &args.save_reports,
        &format!("{}.json", result.label),
        &bytes,
    );
    result
}

fn run_host(args: &MatrixArgs, suite_args: &[String]) -> KernelResult {
    Stage::Run.show("host kernel");
    let started = Instant::now();
    let exe = match &args.guest.suite {
        Some(s) => Ok(s.clone()),
        None => std::env::current_exe(),
    };
    let output = exe.and_then(|exe| Command::new(exe).args(suite_args).output());
    let base = KernelResult {
        label: "host".to_owned(),
        spec: "host".to_owned(),
        environment: None,
        accel: "host".to_owned(),
        kvm_fallback: None,
        boot_seconds: 0.0,
        suite_seconds: started.elapsed().as_secs_f64(),
        counts: Counts::default(),
        status: status::FAIL,
        error: None,
        cases: Vec::new(),
    };
    match output {
        Ok(out) => {
            let report = SuiteReport::parse(&out.stdout, "host report");
            let mut result = from_report(base, report, false);
            result.label = format!("host {}", result.label);
            save(&args.save_reports, "host.json", &out.stdout);
            result
        }
        Err(e) => failed_kernel(
            "host".to_owned(),
            "host".to_owned(),
            "host",
            &VmError::io("tcpmd5-conformance")(e),
        ),
    }
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
        let mut out = String::from("tcpmd5 kernel matrix\n\nkernels\n");
        let width = self
            .kernels
            .iter()
            .map(|k| k.label.len())
            .max()
            .unwrap_or(6);
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
        let _ = writeln!(out, "\nsummary");
        let _ = writeln!(
            out,
            "  {:<width$}  {:>5} {:>5} {:>5} {:>5} {:>5}  result",
            "kernel", "pass", "fail", "xfail", "skip", "error"
        );
        for k in &self.kernels {
            let c = k.counts;
            let _ = writeln!(
                out,
                "  {:<width$}  {:>5} {:>5} {:>5} {:>5} {:>5}  {}",
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
            let _ = writeln!(out, "    1..{}", k.cases.len());
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
            let c = k.counts;
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

fn run_line(k: &KernelResult) -> String {
    if k.accel == "host" {
        format!("host kernel, suite {:.1} s", k.suite_seconds)
    } else {
        format!(
            "{}, boot {:.1} s, suite {:.1} s",
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
    let suite_args = SuiteArgs {
        format: None,
        filter: args.filter.clone(),
        semantics: None,
        jobs: args.jobs,
    }
    .to_args(Some("json"));
    let mut kernels = Vec::new();
    for (i, k) in args.kernels.iter().enumerate() {
        Stage::Run.show(&format!("kernel {}/{}: {k}", i + 1, args.kernels.len()));
        kernels.push(run_guest(k, args, &suite_args));
    }
    if args.host {
        kernels.push(run_host(args, &suite_args));
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
            human.contains("6.12  pass  dropped TCP_AUTH_HDR  [predicted by linux]"),
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
