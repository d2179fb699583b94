//! The one spelling of a verdict, shared by the vectors, the suite's report,
//! its JSON and KTAP output.

use core::fmt;
use core::str::FromStr;

use super::DropReason;

/// A verdict's stable id: `accept`, or `drop:` and the kernel's drop reason
/// (`drop:TCP_MD5FAILURE`). What kind of accept it was is a separate field
/// ([`Acceptance`](super::Acceptance)), since a live kernel shows only that
/// it accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerdictId {
    /// Passed on to TCP.
    Accept,
    /// Dropped for this reason.
    Drop(DropReason),
}

impl VerdictId {
    /// Every id: `accept`, then each drop reason.
    pub fn all() -> impl Iterator<Item = VerdictId> {
        core::iter::once(VerdictId::Accept).chain(DropReason::ALL.map(VerdictId::Drop))
    }
}

impl fmt::Display for VerdictId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerdictId::Accept => f.write_str("accept"),
            VerdictId::Drop(r) => write!(f, "drop:{}", r.kernel_name()),
        }
    }
}

/// A string that is no [`VerdictId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseVerdictIdError {
    /// The string that did not parse.
    pub input: String,
}

impl fmt::Display for ParseVerdictIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown verdict id {:?} (expected `accept` or `drop:<kernel drop reason>`)",
            self.input
        )
    }
}

impl std::error::Error for ParseVerdictIdError {}

impl FromStr for VerdictId {
    type Err = ParseVerdictIdError;

    fn from_str(s: &str) -> Result<VerdictId, ParseVerdictIdError> {
        VerdictId::all()
            .find(|id| id.to_string() == s)
            .ok_or_else(|| ParseVerdictIdError {
                input: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_distinct() {
        let ids: Vec<String> = VerdictId::all().map(|id| id.to_string()).collect();
        assert_eq!(ids.len(), 1 + DropReason::ALL.len());
        for (i, s) in ids.iter().enumerate() {
            assert_eq!(
                s.parse::<VerdictId>().map(|id| id.to_string()).as_ref(),
                Ok(s)
            );
            assert!(!ids[..i].contains(s), "{s} twice");
        }
        assert_eq!(
            "drop:TCP_MD5FAILURE".parse(),
            Ok(VerdictId::Drop(DropReason::Md5Failure))
        );
        assert!("accept:signed".parse::<VerdictId>().is_err());
        assert!("".parse::<VerdictId>().is_err());
        assert_eq!(
            "drop:MD5".parse::<VerdictId>().map_err(|e| e.to_string()),
            Err("unknown verdict id \"drop:MD5\" (expected `accept` or `drop:<kernel drop reason>`)".to_owned())
        );
    }
}
