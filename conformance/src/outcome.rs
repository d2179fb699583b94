//! The outcome of one case, and what a report says about it.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// Pass, fail, expected failure, skip or error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "kebab-case")]
pub enum Outcome {
    /// The kernel did what the model predicts, and every witness agrees.
    Pass,
    /// The kernel and the model disagree (or the witnesses do).
    Fail(String),
    /// Expected failure: a known, documented kernel divergence
    /// (`expected-failures.json`), or a known kernel defect the kernel shows
    /// ([`crate::known_defect`]; the case's `known_defect` names it).
    #[serde(rename = "xfail")]
    ExpectedFail(String),
    /// The case cannot run here; never counted as a pass.
    Skip(String),
    /// The harness could not decide (setup failed, barrier lost).
    Error(String),
}

impl Outcome {
    /// The short label (`pass`, `fail`, `xfail`, `skip`, `error`).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::ExpectedFail(_) => "xfail",
            Outcome::Skip(_) => "skip",
            Outcome::Error(_) => "error",
        }
    }

    /// Whether this outcome fails a run (fail or error).
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Fail(_) | Outcome::Error(_))
    }

    /// The reason, for non-pass outcomes.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Pass => None,
            Outcome::Fail(r) | Outcome::ExpectedFail(r) | Outcome::Skip(r) | Outcome::Error(r) => {
                Some(r)
            }
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason() {
            None => f.write_str(self.label()),
            Some(r) => write!(f, "{}: {r}", self.label()),
        }
    }
}

/// What a case body found: its verdict, and expected vs observed in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Pass, fail or error (skip and expected-fail are decided by the runner).
    pub outcome: Outcome,
    /// What the model predicts.
    pub expected: String,
    /// What the kernel did.
    pub observed: String,
    /// Supporting detail (counter deltas, trace events, digests checked).
    pub notes: Vec<String>,
}

impl Finding {
    /// A finding from a comparison: pass when `problems` is empty.
    pub fn compare(
        expected: String,
        observed: String,
        problems: Vec<String>,
        notes: Vec<String>,
    ) -> Finding {
        let outcome = if problems.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail(problems.join("; "))
        };
        Finding {
            outcome,
            expected,
            observed,
            notes,
        }
    }

    /// A harness error.
    pub fn error(why: impl Into<String>) -> Finding {
        Finding {
            outcome: Outcome::Error(why.into()),
            expected: String::new(),
            observed: String::new(),
            notes: Vec::new(),
        }
    }

    /// Merges several findings of one case (all must pass).
    pub fn all(findings: Vec<Finding>) -> Finding {
        let mut expected = Vec::new();
        let mut observed = Vec::new();
        let mut notes = Vec::new();
        let mut problems = Vec::new();
        let mut error = None;
        for f in findings {
            // A setup step has no line of its own.
            if !f.expected.is_empty() || !f.observed.is_empty() {
                expected.push(f.expected);
                observed.push(f.observed);
            }
            notes.extend(f.notes);
            match f.outcome {
                Outcome::Pass => {}
                Outcome::Error(e) => error = Some(e),
                other => problems.extend(other.reason().map(str::to_owned)),
            }
        }
        let outcome = match (error, problems.is_empty()) {
            (Some(e), _) => Outcome::Error(e),
            (None, true) => Outcome::Pass,
            (None, false) => Outcome::Fail(problems.join("; ")),
        };
        Finding {
            outcome,
            expected: expected.join(", "),
            observed: observed.join(", "),
            notes,
        }
    }
}

/// The marks of Rust `Debug` output in `text` (`Some(`, `None`, `{ `, a
/// quoted string, a type or variant name of the model): no case line,
/// reason or note may carry one.
pub fn debug_markers(text: &str) -> Vec<&'static str> {
    const MARKERS: [&str; 17] = [
        "Some(",
        "None",
        "{ ",
        "Ok(",
        "Err(",
        "\"",
        "Signed(",
        "Key {",
        "TcpRow",
        "Accept(",
        "Drop(",
        "Checked(",
        "NotChecked",
        "Ack {",
        "enters_time_wait",
        "Unsigned",
        "Acceptance",
    ];
    MARKERS.into_iter().filter(|m| text.contains(m)).collect()
}

/// A case's result as reported (one entry of the JSON report's `cases`).
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    /// Case id.
    pub id: String,
    /// Area.
    pub area: String,
    /// Family: `ipv4` or `ipv6` (the socket's family for mixed cases).
    pub family: String,
    /// What the case checks.
    pub summary: String,
    /// Outcome (`status`, and `reason` unless it passed).
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The known defect the case shows (its XFAIL, or its failure under
    /// `--strict`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_defect: Option<&'static str>,
    /// Expected (model).
    pub expected: String,
    /// Observed (kernel).
    pub observed: String,
    /// The evidence behind the observed verdict (counters, tracepoints,
    /// replies, digests checked), one item per line.
    pub notes: Vec<String>,
    /// The known defects whose fixed semantics the model tells apart on
    /// this case's segments (whether or not the kernel has them).
    #[serde(skip)]
    pub exercises: Vec<&'static str>,
    /// Where the held semantics departs from RFC 2385 on its segments.
    #[serde(skip)]
    pub deviations: Vec<crate::deviation::Deviation>,
    /// Wall time of the case, namespace setup and teardown included.
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
}

/// A duration as fractional milliseconds.
pub fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}
