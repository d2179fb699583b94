//! A case's outcome, its status alone, and counts of them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ExitStatus;

/// A case's status: what a report counts and a KTAP line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The kernel did what the model predicts, and every witness agrees.
    Pass,
    /// The kernel and the model disagree (or the witnesses do).
    Fail,
    /// Expected failure: a known defect the kernel shows, or a listed
    /// divergence. The kernel did what the model predicts.
    Xfail,
    /// The case could not run here; never counted as a pass.
    Skip,
    /// The harness could not decide.
    Error,
}

impl Status {
    /// The label (`pass`, `fail`, `xfail`, `skip`, `error`), as in JSON.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Xfail => "xfail",
            Status::Skip => "skip",
            Status::Error => "error",
        }
    }

    /// Whether the case ran (anything but a skip).
    pub fn ran(self) -> bool {
        self != Status::Skip
    }

    /// Whether the kernel did what the model predicts: a pass, or an xfail.
    pub fn as_predicted(self) -> bool {
        matches!(self, Status::Pass | Status::Xfail)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Pass, fail, expected failure, skip or error, with the reason for all
/// but a pass. In JSON: `status`, and `reason` unless it passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "kebab-case")]
pub enum Outcome {
    /// The kernel did what the model predicts, and every witness agrees.
    Pass,
    /// The kernel and the model disagree (or the witnesses do).
    Fail(String),
    /// Expected failure: a known, documented kernel divergence
    /// (`expected-failures.json`), or a known kernel defect the kernel
    /// shows (the case's `known_defect` names it).
    #[serde(rename = "xfail")]
    ExpectedFail(String),
    /// The case cannot run here; never counted as a pass.
    Skip(String),
    /// The harness could not decide (setup failed, barrier lost).
    Error(String),
}

impl Outcome {
    /// Its status alone.
    pub fn status(&self) -> Status {
        match self {
            Outcome::Pass => Status::Pass,
            Outcome::Fail(_) => Status::Fail,
            Outcome::ExpectedFail(_) => Status::Xfail,
            Outcome::Skip(_) => Status::Skip,
            Outcome::Error(_) => Status::Error,
        }
    }

    /// The short label (`pass`, `fail`, `xfail`, `skip`, `error`).
    pub fn label(&self) -> &'static str {
        self.status().label()
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

/// Counts of outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Counts one more case of status `s`.
    pub fn add(&mut self, s: Status) {
        match s {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Xfail => self.xfail += 1,
            Status::Skip => self.skip += 1,
            Status::Error => self.error += 1,
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

    /// The kselftest status these counts mean: fail on any failure or
    /// error, skip when nothing ran, else pass.
    pub fn exit_status(&self) -> ExitStatus {
        if self.fail + self.error > 0 {
            ExitStatus::Fail
        } else if self.ran() == 0 {
            ExitStatus::Skip
        } else {
            ExitStatus::Pass
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_is_the_outcome_s_json_tag() {
        for o in [
            Outcome::Pass,
            Outcome::Fail("f".to_owned()),
            Outcome::ExpectedFail("x".to_owned()),
            Outcome::Skip("s".to_owned()),
            Outcome::Error("e".to_owned()),
        ] {
            let json = serde_json::to_value(&o).unwrap_or_default();
            assert_eq!(json["status"], o.status().label());
            assert_eq!(
                serde_json::to_value(o.status()).unwrap_or_default(),
                o.label()
            );
            let back: Outcome = serde_json::from_value(json).unwrap_or(Outcome::Pass);
            assert_eq!(back, o);
        }
    }

    #[test]
    fn nothing_ran_is_not_a_pass() {
        let mut c = Counts::default();
        assert_eq!(c.exit_status(), ExitStatus::Skip);
        c.add(Status::Skip);
        assert_eq!(c.exit_status(), ExitStatus::Skip);
        c.add(Status::Xfail);
        assert_eq!(c.exit_status(), ExitStatus::Pass);
        c.add(Status::Error);
        assert_eq!(c.exit_status(), ExitStatus::Fail);
    }
}
