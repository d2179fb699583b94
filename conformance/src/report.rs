//! The run's report: human text, JSON (`conformance/report.schema.json`),
//! KTAP for kernel CI systems, or JUnit XML.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::environment::{Environment, Unavailable};
use crate::known_defect::{self, KNOWN_DEFECTS, KnownDefect};
use crate::outcome::{CaseReport, Outcome, millis};
use crate::run_findings::{self, DefectFinding, DeviationGroup};

/// Counts of outcomes.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Expected failures.
    pub xfail: usize,
    /// Skipped.
    pub skip: usize,
    /// Errors.
    pub error: usize,
}

impl Counts {
    /// Counts `o`.
    pub fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail(_) => self.fail += 1,
            Outcome::ExpectedFail(_) => self.xfail += 1,
            Outcome::Skip(_) => self.skip += 1,
            Outcome::Error(_) => self.error += 1,
        }
    }

    /// Every case counted.
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.xfail + self.skip + self.error
    }

    /// Cases that ran (everything but skips).
    pub fn ran(&self) -> usize {
        self.total() - self.skip
    }
}

/// What a run amounts to, and its exit status (kselftest's numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunResult {
    /// Every case that ran passed (or failed as expected), and one did run.
    Pass,
    /// A case failed, or the harness could not decide one.
    Fail,
    /// No case ran: every one was skipped.
    NothingRan,
}

impl RunResult {
    /// The process exit status: 0, 1, or 4 (`KSFT_SKIP`).
    pub fn exit_status(self) -> u8 {
        match self {
            RunResult::Pass => 0,
            RunResult::Fail => 1,
            RunResult::NothingRan => 4,
        }
    }
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The probed environment, or why there is none.
    pub environment: Result<Environment, Unavailable>,
    /// Every case.
    pub cases: Vec<CaseReport>,
    /// Counts per area.
    pub areas: BTreeMap<String, Counts>,
    /// Counts per family.
    pub families: BTreeMap<String, Counts>,
    /// Overall counts.
    pub total: Counts,
    /// What the run found about each known defect (none without a kernel).
    pub known_defects: Vec<DefectFinding>,
    /// Where the held semantics departs from RFC 2385 on the cases' segments.
    pub rfc2385_deviations: Vec<DeviationGroup>,
    /// Wall time.
    pub duration: Duration,
}

/// The environment in the JSON report: tagged by `status`, never a Rust `Result`.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
enum EnvironmentJson<'a> {
    Available(&'a Environment),
    Unsupported { reason: &'a str },
    ProbeFailed { reason: &'a str },
}

impl<'a> EnvironmentJson<'a> {
    fn of(env: &'a Result<Environment, Unavailable>) -> EnvironmentJson<'a> {
        match env {
            Ok(env) => EnvironmentJson::Available(env),
            Err(Unavailable::Unsupported(reason)) => EnvironmentJson::Unsupported { reason },
            Err(Unavailable::ProbeFailed(reason)) => EnvironmentJson::ProbeFailed { reason },
        }
    }
}

/// The report's `environment` object alone, as `probe --format json` prints it.
pub fn environment_json(
    env: &Result<Environment, Unavailable>,
) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&EnvironmentJson::of(env))
}

/// The JSON report (its shape is `conformance/report.schema.json`).
#[derive(Serialize)]
struct ReportJson<'a> {
    schema_version: u32,
    tool: &'static str,
    version: &'static str,
    environment: EnvironmentJson<'a>,
    result: RunResult,
    exit_status: u8,
    #[serde(serialize_with = "millis")]
    duration_ms: Duration,
    total: Counts,
    areas: &'a BTreeMap<String, Counts>,
    families: &'a BTreeMap<String, Counts>,
    known_defects: &'a [DefectFinding],
    rfc2385_deviations: &'a [DeviationGroup],
    cases: &'a [CaseReport],
}

/// Version of the JSON report's shape (bumped on incompatible changes).
pub const JSON_SCHEMA_VERSION: u32 = 2;

/// One line: KTAP and JUnit names and messages stay on a line each.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

impl Report {
    /// Assembles a report; `defects` is the list the run was judged with.
    pub fn new(
        environment: Result<Environment, Unavailable>,
        cases: Vec<CaseReport>,
        defects: &[KnownDefect],
        duration: Duration,
    ) -> Report {
        let mut areas: BTreeMap<String, Counts> = BTreeMap::new();
        let mut families: BTreeMap<String, Counts> = BTreeMap::new();
        let mut total = Counts::default();
        for c in &cases {
            areas.entry(c.area.clone()).or_default().add(&c.outcome);
            families
                .entry(c.family.clone())
                .or_default()
                .add(&c.outcome);
            total.add(&c.outcome);
        }
        let known_defects = match &environment {
            Ok(env) => DefectFinding::of_run(defects, env.semantics, &cases),
            Err(_) => Vec::new(),
        };
        let rfc2385_deviations = run_findings::group(&cases);
        Report {
            environment,
            cases,
            areas,
            families,
            total,
            known_defects,
            rfc2385_deviations,
            duration,
        }
    }

    /// What the run amounts to.
    pub fn result(&self) -> RunResult {
        if self.total.fail + self.total.error > 0 {
            RunResult::Fail
        } else if self.total.ran() == 0 {
            RunResult::NothingRan
        } else {
            RunResult::Pass
        }
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
        out.push_str(&Self::header(&self.environment));
        let _ = writeln!(out);
        let width = self.cases.iter().map(|c| c.id.len()).max().unwrap_or(10);
        for c in &self.cases {
            let label = c.outcome.label().to_uppercase();
            match &c.outcome {
                Outcome::Skip(why) | Outcome::Error(why) if c.expected.is_empty() => {
                    let _ = writeln!(out, "{label:<5} {:<width$}  {why}", c.id);
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "{label:<5} {:<width$}  expected {:<24} observed {}",
                        c.id, c.expected, c.observed
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
            .areas
            .keys()
            .map(String::len)
            .chain([5])
            .max()
            .unwrap_or(5);
        let _ = writeln!(
            out,
            "\nsummary by area ({} cases, {} ran, {:.1} s)",
            self.total.total(),
            self.total.ran(),
            self.duration.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "  {:<area_width$} {:>5} {:>5} {:>5} {:>5} {:>5}",
            "area", "pass", "fail", "xfail", "skip", "error"
        );
        for (area, n) in self
            .areas
            .iter()
            .chain(std::iter::once((&"total".to_owned(), &self.total)))
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
            self.families
                .iter()
                .map(|(f, n)| format!("{f} {} of {}", n.pass, n.total()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Ok(env) = &self.environment {
            out.push_str(&run_findings::human(
                &self.rfc2385_deviations,
                env.semantics,
            ));
        }
        let divergent: Vec<&CaseReport> = self
            .cases
            .iter()
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
                match c.known_defect {
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
        if let Ok(env) = &self.environment {
            let _ = writeln!(out);
            for f in &self.known_defects {
                let _ = writeln!(out, "{}", f.line(env.semantics));
            }
        }
        let _ = writeln!(
            out,
            "\n{}",
            match self.result() {
                RunResult::Pass if self.total.xfail > 0 => format!(
                    "PASSED WITH {} XFAIL: the kernel behaved as the model predicts in all {} cases that ran ({} skipped), and {} of them show a known defect or a listed divergence (above)",
                    self.total.xfail,
                    self.total.ran(),
                    self.total.skip,
                    self.total.xfail
                ),
                RunResult::Pass => format!(
                    "no divergence: the kernel behaved as the model predicts in all {} cases that ran ({} skipped)",
                    self.total.ran(),
                    self.total.skip
                ),
                RunResult::Fail => format!(
                    "FAILED: {} failed, {} errors, of {} cases that ran",
                    self.total.fail,
                    self.total.error,
                    self.total.ran()
                ),
                RunResult::NothingRan => format!(
                    "NOTHING RAN: all {} cases were skipped; nothing was checked",
                    self.total.total()
                ),
            }
        );
        out
    }

    /// Pretty JSON (`conformance/report.schema.json`).
    pub fn json(&self) -> Result<String, serde_json::Error> {
        let environment = EnvironmentJson::of(&self.environment);
        let result = self.result();
        serde_json::to_string_pretty(&ReportJson {
            schema_version: JSON_SCHEMA_VERSION,
            tool: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            environment,
            result,
            exit_status: result.exit_status(),
            duration_ms: self.duration,
            total: self.total,
            areas: &self.areas,
            families: &self.families,
            known_defects: &self.known_defects,
            rfc2385_deviations: &self.rfc2385_deviations,
            cases: &self.cases,
        })
    }

    /// KTAP version 1 (Documentation/dev-tools/ktap.rst): one test per case,
    /// its diagnostics before its result line, kselftest's SKIP/XFAIL
    /// directives and closing totals.
    pub fn ktap(&self) -> String {
        let mut out = String::from("KTAP version 1\n");
        match &self.environment {
            Ok(env) => {
                let _ = writeln!(
                    out,
                    "# tcpmd5 conformance on {}, semantics {} ({})",
                    env.kernel_release,
                    env.semantics.id(),
                    one_line(&env.semantics_reason)
                );
                for d in KNOWN_DEFECTS {
                    let _ = writeln!(
                        out,
                        "# security: {}",
                        one_line(&known_defect::header_line(d, env.semantics))
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(out, "# {}", one_line(&e.to_string()));
            }
        }
        let _ = writeln!(out, "1..{}", self.cases.len());
        for (i, c) in self.cases.iter().enumerate() {
            let n = i + 1;
            let name = c.id.replace([' ', '#'], "_");
            let diagnose = |out: &mut String, what: &str, why: &str| {
                if !c.expected.is_empty() {
                    let _ = writeln!(out, "# {name}: expected {}", one_line(&c.expected));
                    let _ = writeln!(out, "# {name}: observed {}", one_line(&c.observed));
                }
                let _ = writeln!(out, "# {name}: {what}{}", one_line(why));
                for note in &c.notes {
                    let _ = writeln!(out, "# {name}: {}", one_line(note));
                }
            };
            match &c.outcome {
                Outcome::Pass => {
                    let _ = writeln!(out, "ok {n} {name}");
                }
                Outcome::Fail(why) => {
                    diagnose(&mut out, "", why);
                    let _ = writeln!(out, "not ok {n} {name}");
                }
                Outcome::Error(why) => {
                    diagnose(&mut out, "error: ", why);
                    let _ = writeln!(out, "not ok {n} {name}");
                }
                Outcome::ExpectedFail(why) => {
                    let _ = writeln!(out, "ok {n} {name} # XFAIL {}", one_line(why));
                }
                Outcome::Skip(why) => {
                    let _ = writeln!(out, "ok {n} {name} # SKIP {}", one_line(why));
                }
            }
        }
        if let Ok(env) = &self.environment {
            for f in &self.known_defects {
                let _ = writeln!(out, "# {}", one_line(&f.line(env.semantics)));
            }
        }
        let t = self.total;
        let _ = writeln!(
            out,
            "# Totals: pass:{} fail:{} xfail:{} xpass:0 skip:{} error:{}",
            t.pass, t.fail, t.xfail, t.skip, t.error
        );
        out
    }

    /// JUnit XML: one test suite per area, one test case per case; failures,
    /// errors and skips carry their message, failures their evidence.
    pub fn junit(&self) -> Result<String, quick_junit::SerializeError> {
        use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
        let mut report = quick_junit::Report::new("tcpmd5-conformance");
        report.set_time(self.duration);
        let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
        for c in &self.cases {
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
                    let mut text = format!("expected {}\nobserved {}\n", c.expected, c.observed);
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
                    c.expected, c.observed
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
