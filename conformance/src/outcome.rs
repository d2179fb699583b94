//! What a case body found, and a case's result with what the run needs
//! of it beyond the report.

pub use tcpmd5_report::{Behaviour, CaseReport, Outcome, Step, Steps};

/// What a case body found: its verdict, and what the model predicted and
/// the kernel did, step by step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Pass, fail or error (skip and expected-fail are decided by the runner).
    pub outcome: Outcome,
    /// Expected (model) and observed (kernel), step by step.
    pub steps: Steps,
    /// Supporting detail (counter deltas, trace events, digests checked).
    pub notes: Vec<String>,
}

impl Finding {
    /// A finding from compared steps: pass when `problems` is empty.
    pub fn of_steps(steps: Vec<Step>, problems: Vec<String>, notes: Vec<String>) -> Finding {
        let outcome = if problems.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail(problems.join("; "))
        };
        Finding {
            outcome,
            steps: Steps(steps),
            notes,
        }
    }

    /// A finding from one comparison in words (the model has no type for
    /// what it compares): pass when `problems` is empty.
    pub fn compare(
        expected: String,
        observed: String,
        problems: Vec<String>,
        notes: Vec<String>,
    ) -> Finding {
        let steps = if expected.is_empty() && observed.is_empty() {
            Vec::new()
        } else {
            vec![Step::new(expected, observed)]
        };
        Finding::of_steps(steps, problems, notes)
    }

    /// A harness error.
    pub fn error(why: impl Into<String>) -> Finding {
        Finding {
            outcome: Outcome::Error(why.into()),
            steps: Steps::default(),
            notes: Vec::new(),
        }
    }

    /// Merges several findings of one case (all must pass).
    pub fn all(findings: Vec<Finding>) -> Finding {
        let mut steps = Vec::new();
        let mut notes = Vec::new();
        let mut problems = Vec::new();
        let mut error = None;
        for f in findings {
            steps.extend(f.steps.0);
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
            steps: Steps(steps),
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

/// A case's result as reported, and what the run's findings need of it.
#[derive(Debug, Clone)]
pub struct CaseRun {
    /// The result, as the report has it.
    pub report: CaseReport,
    /// The known defects whose fixed semantics the model tells apart on
    /// this case's segments (whether or not the kernel has them).
    pub exercises: Vec<String>,
    /// Where the held semantics departs from RFC 2385 on its segments.
    pub deviations: Vec<crate::deviation::Deviation>,
}
