//! kselftest's exit statuses: the one place their numbers are written.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A run's status as kselftest reads a process's exit code. In JSON it is
/// that number (`0`, `1`, `4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitStatus {
    /// Every check that ran passed (`0`).
    Pass,
    /// A check failed or errored, or the run itself failed (`1`).
    Fail,
    /// Nothing ran (`4`, `KSFT_SKIP`): never a pass.
    Skip,
}

impl ExitStatus {
    /// The exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Pass => 0,
            ExitStatus::Fail => 1,
            ExitStatus::Skip => 4,
        }
    }

    /// The status of a process that exited with `code`: any code but 0
    /// and 4 (a crash, a harness error) is a failure.
    pub fn of_code(code: i32) -> ExitStatus {
        match code {
            0 => ExitStatus::Pass,
            4 => ExitStatus::Skip,
            _ => ExitStatus::Fail,
        }
    }

    /// Several statuses together: fail if any failed, pass if any passed,
    /// skip when nothing ran anywhere (also for none at all).
    pub fn combine(statuses: impl IntoIterator<Item = ExitStatus>) -> ExitStatus {
        statuses
            .into_iter()
            .fold(ExitStatus::Skip, |acc, s| match (acc, s) {
                (ExitStatus::Fail, _) | (_, ExitStatus::Fail) => ExitStatus::Fail,
                (ExitStatus::Pass, _) | (_, ExitStatus::Pass) => ExitStatus::Pass,
                _ => ExitStatus::Skip,
            })
    }

    /// The word for a summary table (`pass`, `FAIL`, `nothing ran`).
    pub fn word(self) -> &'static str {
        match self {
            ExitStatus::Pass => "pass",
            ExitStatus::Fail => "FAIL",
            ExitStatus::Skip => "nothing ran",
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(s.code())
    }
}

impl Serialize for ExitStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for ExitStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ExitStatus, D::Error> {
        match u8::deserialize(d)? {
            0 => Ok(ExitStatus::Pass),
            1 => Ok(ExitStatus::Fail),
            4 => Ok(ExitStatus::Skip),
            n => Err(serde::de::Error::custom(format!(
                "exit status {n} is not kselftest's 0, 1 or 4"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_combine() {
        for s in [ExitStatus::Pass, ExitStatus::Fail, ExitStatus::Skip] {
            assert_eq!(ExitStatus::of_code(i32::from(s.code())), s);
            let json = serde_json::to_string(&s).unwrap_or_default();
            assert_eq!(json, s.code().to_string());
            assert_eq!(serde_json::from_str::<ExitStatus>(&json).ok(), Some(s));
        }
        assert!(serde_json::from_str::<ExitStatus>("2").is_err());
        assert_eq!(ExitStatus::of_code(-1), ExitStatus::Fail);
        use ExitStatus::{Fail, Pass, Skip};
        assert_eq!(ExitStatus::combine([]), Skip);
        assert_eq!(ExitStatus::combine([Skip, Pass]), Pass);
        assert_eq!(ExitStatus::combine([Pass, Fail, Skip]), Fail);
        assert_eq!(ExitStatus::combine([Skip, Skip]), Skip);
    }
}
