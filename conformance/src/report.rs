//! The run's report: human text, JSON, or KTAP for kernel CI systems.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::environment::Environment;
use crate::outcome::{CaseReport, Outcome};

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
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail(_) => self.fail += 1,
            Outcome::ExpectedFail(_) => self.xfail += 1,
            Outcome::Skip(_) => self.skip += 1,
            Outcome::Error(_) => self.error += 1,
        }
    }

    fn total(&self) -> usize {
        self.pass + self.fail + self.xfail + self.skip + self.error
    }
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The probed environment, or why there is none.
    pub environment: Result<Environment, String>,
    /// Every case.
    pub cases: Vec<CaseReport>,
    /// Counts per area.
    pub areas: BTreeMap<String, Counts>,
    /// Counts per family.
    pub families: BTreeMap<String, Counts>,
    /// Overall counts.
    pub total: Counts,
    /// Wall time.
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Report {
    /// Assembles a report.
    pub fn new(
        environment: Result<Environment, String>,
        cases: Vec<CaseReport>,
        duration: Duration,
    ) -> Report {
        let mut areas: BTreeMap<String, Counts> = BTreeMap::new();
        let mut families: BTreeMap<String, Counts> = BTreeMap::new();
        let mut total = Counts::default();
        for c in &cases {
            areas.entry(c.area.clone()).or_default().add(&c.outcome);
            families
                .entry(c.family.clone().unwrap_or_else(|| "-".to_owned()))
                .or_default()
                .add(&c.outcome);
            total.add(&c.outcome);
        }
        Report {
            environment,
            cases,
            areas,
            families,
            total,
            duration,
        }
    }

    /// Whether the run failed (any failure or error).
    pub fn failed(&self) -> bool {
        self.total.fail + self.total.error > 0
    }

    /// Human-readable text.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "tcpmd5 conformance: the RFC 2385 reference model against this kernel\n"
        );
        match &self.environment {
            Ok(env) => {
                let _ = writeln!(out, "kernel      {}", env.kernel_release);
                let _ = writeln!(
                    out,
                    "semantics   {} ({})",
                    env.semantics.id(),
                    env.semantics
                );
                for e in &env.semantics_evidence {
                    let _ = writeln!(out, "            - {e}");
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
            Err(why) => {
                let _ = writeln!(out, "NO CASE CAN RUN: {why}");
            }
        }
        let _ = writeln!(out);
        let width = self.cases.iter().map(|c| c.id.len()).max().unwrap_or(10);
        for c in &self.cases {
            let label = c.outcome.label().to_uppercase();
            match &c.outcome {
                Outcome::Skip(why) => {
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
        }
        let _ = writeln!(
            out,
            "\nsummary by area ({} cases, {:.1} s)",
            self.total.total(),
            self.duration.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "  {:<20} {:>5} {:>5} {:>5} {:>5} {:>5}",
            "area", "pass", "fail", "xfail", "skip", "error"
        );
        for (area, n) in self
            .areas
            .iter()
            .chain(std::iter::once((&"total".to_owned(), &self.total)))
        {
            let _ = writeln!(
                out,
                "  {area:<20} {:>5} {:>5} {:>5} {:>5} {:>5}",
                n.pass, n.fail, n.xfail, n.skip, n.error
            );
        }
        let _ = writeln!(
            out,
            "  by family: {}",
            self.families
                .iter()
                .map(|(f, n)| format!("{f} {}/{}", n.pass, n.total()))
                .collect::<Vec<_>>()
                .join(", ")
        );
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
        if divergent.is_empty() {
            let _ = writeln!(
                out,
                "\nno divergence: the kernel behaved as the model predicts in every case that ran"
            );
        } else {
            let _ = writeln!(out, "\ndivergences");
            for c in divergent {
                let _ = writeln!(out, "  {} — {}", c.id, c.summary);
                let _ = writeln!(out, "    {}", c.outcome);
                for n in &c.notes {
                    let _ = writeln!(out, "    note: {n}");
                }
            }
        }
        out
    }

    /// Pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// KTAP version 1 (one test per case; kselftest's XFAIL/SKIP directives).
    pub fn ktap(&self) -> String {
        let mut out = String::from("KTAP version 1\n");
        if let Ok(env) = &self.environment {
            let _ = writeln!(
                out,
                "# tcpmd5 conformance on {} (semantics {})",
                env.kernel_release,
                env.semantics.id()
            );
        }
        let _ = writeln!(out, "1..{}", self.cases.len());
        for (i, c) in self.cases.iter().enumerate() {
            let n = i + 1;
            let name = c.id.replace([' ', '#'], "_");
            let line = match &c.outcome {
                Outcome::Pass => format!("ok {n} {name}"),
                Outcome::Fail(why) => format!("not ok {n} {name}\n# {}", why.replace('\n', " ")),
                Outcome::Error(why) => {
                    format!("not ok {n} {name}\n# error: {}", why.replace('\n', " "))
                }
                Outcome::ExpectedFail(why) => {
                    format!("ok {n} {name} # XFAIL {}", why.replace('\n', " "))
                }
                Outcome::Skip(why) => format!("ok {n} {name} # SKIP {}", why.replace('\n', " ")),
            };
            let _ = writeln!(out, "{line}");
        }
        let t = self.total;
        let _ = writeln!(
            out,
            "# Totals: pass:{} fail:{} xfail:{} xpass:0 skip:{} error:{}",
            t.pass, t.fail, t.xfail, t.skip, t.error
        );
        out
    }
}
