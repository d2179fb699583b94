//! The matrix report: every kernel's run and what differs, as text, JSON
//! or KTAP, and its kselftest status.

use std::fmt::Write as _;

use serde::Serialize;
use tcpmd5_report::ktap::{self, Ktap};
use tcpmd5_report::{ExitStatus, Outcome};

use super::differences::{Difference, words};
use super::runs::{KernelResult, RanOn};
use crate::differential::DifferentialResult;

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
    pub fn status(&self) -> ExitStatus {
        ExitStatus::combine(self.kernels.iter().map(|k| k.status))
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
            let (sem, by_version) = k
                .environment
                .as_ref()
                .map_or(("-", "-"), |e| (e.semantics.id(), e.implied_semantics.id()));
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
                for e in &env.semantics_probes {
                    let _ = writeln!(out, "  {:<width$}  - {e}", "");
                }
            }
            for d in &k.known_defects {
                let _ = writeln!(
                    out,
                    "  {:<width$}  security: known defect {} {} ({} cases exercise it; {})",
                    "",
                    d.defect.id,
                    d.status.shout(),
                    d.cases.len(),
                    d.defect.advisory
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
                        let ids: Vec<&str> = s.predicted_by.iter().map(|p| p.id()).collect();
                        format!("predicted by {}", ids.join(", "))
                    };
                    let _ = writeln!(
                        out,
                        "    {:<width$}  {:<5} {}  [{predicted}]",
                        s.kernel,
                        s.status.label(),
                        words(&s.observed)
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
                k.status.word()
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
                d.status.word()
            );
            if d.seed != first.seed {
                let _ = writeln!(out, "  {:<width$}  seed {}", "", d.seed);
            }
            for why in &d.skipped {
                let _ = writeln!(out, "  {:<width$}  skipped {why}", "");
            }
            for f in &d.ao {
                let _ = writeln!(out, "  {:<width$}  TCP-AO {}", "", f.line());
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
                    c.observed,
                    c.expected,
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
        let mut out = Ktap::new();
        out.plan(self.kernels.len());
        for (i, k) in self.kernels.iter().enumerate() {
            out.subtest(&k.label);
            if let Some(env) = &k.environment {
                out.diagnostic(&format!("semantics {}", env.semantics.id()));
            }
            if let Some(e) = &k.error {
                out.diagnostic(&format!("error: {e}"));
            }
            out.plan(k.cases.len() + usize::from(k.differential.is_some()));
            for (j, c) in k.cases.iter().enumerate() {
                let n = j + 1;
                match &c.outcome {
                    Outcome::Pass => out.result(n, &c.id, ktap::Result::Ok),
                    Outcome::Skip(why) => out.result(n, &c.id, ktap::Result::Skip(why)),
                    Outcome::ExpectedFail(why) => out.result(n, &c.id, ktap::Result::Xfail(why)),
                    Outcome::Fail(why) | Outcome::Error(why) => {
                        out.result(n, &c.id, ktap::Result::NotOk);
                        out.diagnostic(&format!("{}: {why}", c.outcome.label()));
                    }
                }
            }
            let mut c = k.counts;
            if let Some(d) = &k.differential {
                ktap_differential(&mut out, k.cases.len() + 1, d);
                match d.status {
                    ExitStatus::Pass => c.pass += 1,
                    ExitStatus::Skip => c.skip += 1,
                    ExitStatus::Fail => c.fail += 1,
                }
            }
            out.totals(&c);
            out.end_subtest();
            let result = match k.status {
                ExitStatus::Pass => ktap::Result::Ok,
                ExitStatus::Skip => ktap::Result::Skip("nothing ran"),
                ExitStatus::Fail => ktap::Result::NotOk,
            };
            out.result(i + 1, &k.label, result);
        }
        out.finish()
    }
}

/// The differential's test in a kernel's KTAP block, diagnostics first.
pub(super) fn ktap_differential(out: &mut Ktap, n: usize, d: &DifferentialResult) {
    out.diagnostic(&format!(
        "differential: {} cases ({} per family), {} agree, {} disagree, seed {}",
        d.cases, d.cases_per_family, d.agreements, d.disagreements, d.seed
    ));
    for f in &d.ao {
        out.diagnostic(&format!("differential: TCP-AO {}", f.line()));
    }
    for e in &d.errors {
        out.diagnostic(&format!("differential: error: {e}"));
    }
    for c in &d.disagreement_cases {
        out.diagnostic(&format!(
            "differential: {} {}: kernel {}, model {}, segment {}",
            c.family, c.kind, c.observed, c.expected, c.packet_hex
        ));
    }
    let result = match d.status {
        ExitStatus::Pass => ktap::Result::Ok,
        ExitStatus::Skip => ktap::Result::Skip(&d.skipped.join("; ")),
        ExitStatus::Fail => ktap::Result::NotOk,
    };
    out.result(n, "differential", result);
}

pub(super) fn run_line(k: &KernelResult) -> String {
    let differential = k.differential.as_ref().map_or(String::new(), |d| {
        format!(", differential {:.1} s", d.seconds)
    });
    if k.accel == RanOn::Host {
        format!("host kernel, suite {:.1} s{differential}", k.suite_seconds)
    } else {
        format!(
            "{}, boot {:.1} s, suite {:.1} s{differential}",
            k.accel.id().to_uppercase(),
            k.boot_seconds,
            k.suite_seconds
        )
    }
}

pub(super) fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
