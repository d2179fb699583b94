//! The one way a case collects what it found: the steps of its line
//! (expected and observed, in the words of [`crate::words`]), problems (any
//! one fails the case) and notes (the evidence behind the line: replies,
//! counters, tracepoints; shown with `--verbose` and for every failure).

use crate::outcome::{Behaviour, Finding, Step};

/// Whether a step's verdict is what the case is about (on its line) or a
/// setup or control around it (in its notes only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The case's subject.
    Probe,
    /// Setup or control.
    Setup,
}

/// What a case (or the peer, for the segments it verified) recorded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Record {
    steps: Vec<Step>,
    problems: Vec<String>,
    notes: Vec<String>,
}

impl Record {
    /// The problems alone, for a caller that collects them itself.
    pub(crate) fn into_problems(self) -> Vec<String> {
        self.problems
    }

    /// The problems and the notes, for a caller that collects them itself.
    pub(crate) fn into_problems_and_notes(self) -> (Vec<String>, Vec<String>) {
        (self.problems, self.notes)
    }

    /// An empty record.
    pub(crate) fn new() -> Record {
        Record::default()
    }

    /// One compared step of the case line.
    pub(crate) fn step(&mut self, expected: impl Into<Behaviour>, observed: impl Into<Behaviour>) {
        self.steps.push(Step::new(expected, observed));
    }

    /// A disagreement: fails the case.
    pub(crate) fn problem(&mut self, what: impl Into<String>) {
        self.problems.push(what.into());
    }

    /// Requires `ok`; `what` says what was seen instead.
    pub(crate) fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            self.problem(what);
        }
    }

    /// Evidence for the detail lines.
    pub(crate) fn note(&mut self, what: impl Into<String>) {
        self.notes.push(what.into());
    }

    /// The problems so far.
    pub(crate) fn problems(&self) -> &[String] {
        &self.problems
    }

    /// Takes over another record's problems and notes (not its steps).
    pub(crate) fn absorb(&mut self, other: &Record) {
        self.problems.extend(other.problems.iter().cloned());
        self.notes.extend(other.notes.iter().cloned());
    }

    /// Takes over the problems and notes of one step, prefixed with its name.
    pub(crate) fn absorb_step(&mut self, step: &str, other: &Record) {
        self.problems
            .extend(other.problems.iter().map(|p| format!("{step}: {p}")));
        self.notes
            .extend(other.notes.iter().map(|n| format!("{step}: {n}")));
    }

    /// The finding: pass when no problem was recorded.
    pub(crate) fn finish(self) -> Finding {
        Finding::of_steps(self.steps, self.problems, self.notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    #[test]
    fn a_problem_fails_the_finding() {
        let mut r = Record::new();
        r.step("accept", "accept");
        r.check(true, "never");
        assert_eq!(r.clone().finish().outcome, Outcome::Pass);
        r.check(false, "the kernel read nothing");
        let f = r.finish();
        assert_eq!(
            f.outcome,
            Outcome::Fail("the kernel read nothing".to_owned())
        );
        assert_eq!(f.steps.expected_line(), "accept");
    }
}
