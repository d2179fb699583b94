//! The run's report: human text, JSON (`report/report.schema.json`),
//! KTAP for kernel CI systems, or JUnit XML.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use tcpmd5_report::ktap::{self, Ktap, one_line};
pub use tcpmd5_report::{Counts, RunResult, SCHEMA_VERSION};
use tcpmd5_report::{EnvironmentJson, SuiteReport};

use crate::environment::{Environment, Unavailable};
use crate::known_defect::{self, KNOWN_DEFECTS, KnownDefect};
use crate::outcome::{CaseReport, CaseRun, Outcome};
use crate::run_findings::{self, defect_line};

/// A whole run, as the report has it; written as text, JSON, KTAP or JUnit.
#[derive(Debug, Clone)]
pub struct Report(pub SuiteReport);

/// The report's `environment` object alone, as `probe --format json` prints it.
pub fn environment_json(
    env: &Result<Environment, Unavailable>,
) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&EnvironmentJson(env))
}

impl Report {
    /// Assembles a report; `defects` is the list the run was judged with.
    pub fn new(
        environment: Result<Environment, Unavailable>,
        cases: Vec<CaseRun>,
        defects: &[KnownDefect],
        duration: Duration,
    ) -> Report {
        let mut areas: BTreeMap<String, Counts> = BTreeMap::new();
        let mut families: BTreeMap<String, Counts> = BTreeMap::new();
        let mut total = Counts::default();
        for c in cases.iter().map(|c| &c.report) {
            let status = c.outcome.status();
            areas.entry(c.area.clone()).or_default().add(status);
            families.entry(c.family.clone()).or_default().add(status);
            total.add(status);
        }
        let known_defects = match &environment {
            Ok(env) => run_findings::defect_findings(defects, env.semantics, &cases),
            Err(_) => Vec::new(),
        };
        let rfc2385_deviations = run_findings::group(&cases);
        let result = RunResult::of(&total);
        Report(SuiteReport {
            schema_version: SCHEMA_VERSION,
            tool: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            environment,
            result,
            exit_status: result.exit_status(),
            duration,
            total,
            areas,
            families,
            known_defects,
            rfc2385_deviations,
            cases: cases.into_iter().map(|c| c.report).collect(),
        })
    }

    /// What the run amounts to.
    pub fn result(&self) -> RunResult {
        self.0.result
    }

    /// The cases as reported.
    fn reports(&self) -> impl Iterator<Item = &CaseReport> {
        self.0.cases.iter()
    }

    /// The report's header: kernel, semantics and why, witnesses.
    pub fn header(environment: &Result<Environment, Unavailable>) -> String {
        let mut out = String::new();
        match environment {
            Ok(env) => {
                let _ = writeln!(out, "kernel      {}", env.kernel_release);
                let _ = writeln!(
                    out,
                    "semantics   {} ({})",
                    env.semantics.id(),
                    env.semantics
                );
                let _ = writeln!(out, "            - why: {}", env.semantics_reason);
                let fits: Vec<&str> = env.observed_semantics.iter().map(|s| s.id()).collect();
                let _ = writeln!(
                    out,
                    "            - observed: the probes fit {}",
                    if fits.is_empty() {
                        "no semantics".to_owned()
                    } else {
                        fits.join(", ")
                    }
                );
                for e in &env.semantics_probes {
                    let _ = writeln!(out, "            - {e}");
                }
                for d in KNOWN_DEFECTS {
                    let _ = writeln!(
                        out,
                        "security    {}",
                        known_defect::header_line(d, env.semantics)
                    );
                }
                let _ = writeln!(out, "privilege   {}", env.privilege);
                let _ = writeln!(out, "ipv6        {}", if env.ipv6 { "yes" } else { "no" });
                let _ = writeln!(
                    out,
                    "tcp-ao      {}",
                    if env.tcp_ao {
                        "yes"
                    } else {
                        "no (CONFIG_TCP_AO not set)"
                    }
                );
                let _ = writeln!(
                    out,
                    "vrf         {}",
                    match env.vrf {
                        Some(true) => "yes",
                        Some(false) => "no (CONFIG_NET_VRF not set)",
                        None => "unknown",
                    }
                );
                let _ = writeln!(
                    out,
                    "tracepoints {}",
                    env.tracing_unavailable
                        .as_deref()
                        .map_or("tcp:tcp_hash_* (third witness)".to_owned(), |w| format!(
                            "unavailable: {w}"
                        ))
                );
            }
            Err(Unavailable::Unsupported(why)) => {
                let _ = writeln!(out, "NO CASE CAN RUN HERE: {why}");
            }
            Err(e @ Unavailable::ProbeFailed(_)) => {
                let _ = writeln!(out, "HARNESS ERROR: {e}");
            }
        }
        out
    }

    /// Human-readable text; `verbose` adds every case's evidence (failures
    /// always show theirs).
    pub fn human(&self, verbose: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "tcpmd5 conformance: the RFC 2385 reference model against this kernel\n"
        );
        out.push_str(&Self::header(&self.0.environment));
        let _ = writeln!(out);
        let width = self.reports().map(|c| c.id.len()).max().unwrap_or(10);
        for c in self.reports() {
            let label = c.outcome.label().to_uppercase();
            match &c.outcome {
                Outcome::Skip(why) | Outcome::Error(why) if c.steps.is_empty() => {
                    let _ = writeln!(out, "{label:<5} {:<width$}  {why}", c.id);
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "{label:<5} {:<width$}  expected {:<24} observed {}",
                        c.id,
                        c.steps.expected_line(),
                        c.steps.observed_line()
                    );
                }
            }
            if verbose || c.outcome.is_failure() {
                for n in &c.notes {
                    let _ = writeln!(out, "{:<5} {:<width$}    {n}", "", "");
                }
            }
        }
        let area_width = self
            .0
            .areas
            .keys()
            .map(String::len)
            .chain([5])
            .max()
            .unwrap_or(5);
        let _ = writeln!(
            out,
            "\nsummary by area ({} cases, {} ran, {:.1} s)",
            self.0.total.total(),
            self.0.total.ran(),
            self.0.duration.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "  {:<area_width$} {:>5} {:>5} {:>5} {:>5} {:>5}",
            "area", "pass", "fail", "xfail", "skip", "error"
        );
        for (area, n) in self
            .0
            .areas
            .iter()
            .chain(std::iter::once((&"total".to_owned(), &self.0.total)))
        {
            let _ = writeln!(
                out,
                "  {area:<area_width$} {:>5} {:>5} {:>5} {:>5} {:>5}",
                n.pass, n.fail, n.xfail, n.skip, n.error
            );
        }
        let _ = writeln!(
            out,
            "  passed by family: {}",
            self.0
                .families
                .iter()
                .map(|(f, n)| format!("{f} {} of {}", n.pass, n.total()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Ok(env) = &self.0.environment {
            out.push_str(&run_findings::human(
                &self.0.rfc2385_deviations,
                env.semantics,
            ));
        }
        let divergent: Vec<&CaseReport> = self
            .reports()
            .filter(|c| {
                matches!(
                    c.outcome,
                    Outcome::Fail(_) | Outcome::ExpectedFail(_) | Outcome::Error(_)
                )
            })
            .collect();
        if !divergent.is_empty() {
            let _ = writeln!(out, "\ndivergences");
            for c in divergent {
                let _ = writeln!(out, "  {} — {}", c.id, c.summary);
                match &c.known_defect {
                    Some(id) => {
                        let _ = writeln!(
                            out,
                            "    {}: known defect {id} (the security line below)",
                            c.outcome.label()
                        );
                    }
                    None => {
                        let _ = writeln!(out, "    {}", c.outcome);
                    }
                }
            }
        }
        if let Ok(env) = &self.0.environment {
            let _ = writeln!(out);
            for f in &self.0.known_defects {
                let _ = writeln!(out, "{}", defect_line(f, env.semantics));
            }
        }
        let _ = writeln!(
            out,
            "\n{}",
            match self.result() {
                RunResult::Pass if self.0.total.xfail > 0 => format!(
                    "PASSED WITH {} XFAIL: the kernel behaved as the model predicts in all {} cases that ran ({} skipped), and {} of them show a known defect or a listed divergence (above)",
                    self.0.total.xfail,
                    self.0.total.ran(),
                    self.0.total.skip,
                    self.0.total.xfail
                ),
                RunResult::Pass => format!(
                    "no divergence: the kernel behaved as the model predicts in all {} cases that ran ({} skipped)",
                    self.0.total.ran(),
                    self.0.total.skip
                ),
                RunResult::Fail => format!(
                    "FAILED: {} failed, {} errors, of {} cases that ran",
                    self.0.total.fail,
                    self.0.total.error,
                    self.0.total.ran()
                ),
                RunResult::NothingRan => format!(
                    "NOTHING RAN: all {} cases were skipped; nothing was checked",
                    self.0.total.total()
                ),
            }
        );
        out
    }

    /// Pretty JSON (`report/report.schema.json`).
    pub fn json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(&self.0)
    }

    /// KTAP version 1 (Documentation/dev-tools/ktap.rst): one test per case,
    /// its diagnostics before its result line, kselftest's SKIP/XFAIL
    /// directives and closing totals.
    pub fn ktap(&self) -> String {
        let mut out = Ktap::new();
        match &self.0.environment {
            Ok(env) => {
                out.diagnostic(&format!(
                    "tcpmd5 conformance on {}, semantics {} ({})",
                    env.kernel_release,
                    env.semantics.id(),
                    env.semantics_reason
                ));
                for d in KNOWN_DEFECTS {
                    out.diagnostic(&format!(
                        "security: {}",
                        known_defect::header_line(d, env.semantics)
                    ));
                }
            }
            Err(e) => out.diagnostic(&e.to_string()),
        }
        out.plan(self.0.cases.len());
        for (i, c) in self.reports().enumerate() {
            let n = i + 1;
            let name = ktap::test_name(&c.id);
            let diagnose = |out: &mut Ktap, what: &str, why: &str| {
                if !c.steps.is_empty() {
                    out.diagnostic(&format!("{name}: expected {}", c.steps.expected_line()));
                    out.diagnostic(&format!("{name}: observed {}", c.steps.observed_line()));
                }
                out.diagnostic(&format!("{name}: {what}{why}"));
                for note in &c.notes {
                    out.diagnostic(&format!("{name}: {note}"));
                }
            };
            let result = match &c.outcome {
                Outcome::Pass => ktap::Result::Ok,
                Outcome::Fail(why) => {
                    diagnose(&mut out, "", why);
                    ktap::Result::NotOk
                }
                Outcome::Error(why) => {
                    diagnose(&mut out, "error: ", why);
                    ktap::Result::NotOk
                }
                Outcome::ExpectedFail(why) => ktap::Result::Xfail(why),
                Outcome::Skip(why) => ktap::Result::Skip(why),
            };
            out.result(n, &c.id, result);
        }
        if let Ok(env) = &self.0.environment {
            for f in &self.0.known_defects {
                out.diagnostic(&defect_line(f, env.semantics));
            }
        }
        out.totals(&self.0.total);
        out.finish()
    }

    /// JUnit XML: one test suite per area, one test case per case; failures,
    /// errors and skips carry their message, failures their evidence.
    pub fn junit(&self) -> Result<String, quick_junit::SerializeError> {
        use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
        let mut report = quick_junit::Report::new("tcpmd5-conformance");
        report.set_time(self.0.duration);
        let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
        for c in self.reports() {
            let status = match &c.outcome {
                Outcome::Pass => TestCaseStatus::success(),
                // Never a plain success: a known defect or divergence.
                Outcome::ExpectedFail(why) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!("XFAIL {}", one_line(why)));
                    s
                }
                Outcome::Skip(why) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(one_line(why));
                    s
                }
                Outcome::Fail(why) | Outcome::Error(why) => {
                    let kind = if matches!(c.outcome, Outcome::Fail(_)) {
                        NonSuccessKind::Failure
                    } else {
                        NonSuccessKind::Error
                    };
                    let mut s = TestCaseStatus::non_success(kind);
                    s.set_message(one_line(why));
                    let mut text = format!(
                        "expected {}\nobserved {}\n",
                        c.steps.expected_line(),
                        c.steps.observed_line()
                    );
                    for n in &c.notes {
                        let _ = writeln!(text, "{n}");
                    }
                    s.set_description(text);
                    s
                }
            };
            let mut case = TestCase::new(c.id.as_str(), status);
            case.set_classname(format!("tcpmd5-conformance.{}", c.area));
            case.set_time(c.duration);
            if let Outcome::ExpectedFail(why) = &c.outcome {
                case.set_system_out(format!(
                    "expected failure (xfail): {why}\nexpected {}\nobserved {}",
                    c.steps.expected_line(),
                    c.steps.observed_line()
                ));
            }
            suites
                .entry(c.area.as_str())
                .or_insert_with(|| TestSuite::new(c.area.as_str()))
                .add_test_case(case);
        }
        report.add_test_suites(suites.into_values());
        report.to_string()
    }
}

#[cfg(test)]
mod tests;
