//! The matrix report: every kernel's run and what differs, as text, JSON
//! or KTAP, and its kselftest status.

use std::fmt::Write as _;

use serde::Serialize;

use super::differences::Difference;
use super::runs::KernelResult;
use crate::differential::DifferentialResult;
use crate::status;

/// The matrix report.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixReport {
    /// Every kernel, in run order.
    pub kernels: Vec<KernelResult>,
    /// Cases whose observed behaviour differs.
    pub differences: Vec<Difference>,
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
            for d in &k.known_defects {
                let _ = writeln!(
                    out,
                    "  {:<width$}  security: known defect {} {} ({} cases exercise it; {})",
                    "",
                    d.id,
                    d.status.shout(),
                    d.cases.len(),
                    d.advisory
                );
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
                    "xfail" => format!("ok {n} {id} # XFAIL {why}"),
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
pub(super) fn ktap_differential(out: &mut String, n: usize, d: &DifferentialResult) {
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

pub(super) fn run_line(k: &KernelResult) -> String {
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

pub(super) fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

pub(super) fn status_word(s: i32) -> &'static str {
    match s {
        status::PASS => "pass",
        status::SKIP => "nothing ran",
        _ => "FAIL",
    }
}

pub(super) fn ktap_name(s: &str) -> String {
    s.replace([' ', '#'], "_")
}

pub(super) fn one_line(s: &str) -> String {
    s.replace('\n', " ")
}
