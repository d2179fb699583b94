//! Whether a kernel has a known defect, as far as a run can tell: the one
//! type the conformance suite writes into its report's `known_defects` and
//! the matrix reads back.

use serde::{Deserialize, Serialize};

/// Whether a defect shows on the kernel, as far as the run can tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefectStatus {
    /// Held to an affected semantics, some case showed it, and every other
    /// case that exercises it passed: the kernel has it.
    Present,
    /// Held to a semantics without it, and every case that exercises it
    /// passed: the kernel does not have it.
    Absent,
    /// Some case that exercises it did not pass (without showing it), or
    /// none ran: the run cannot tell.
    #[default]
    Unknown,
}

impl DefectStatus {
    /// Every status, for tests and schemas.
    pub const ALL: [DefectStatus; 3] = [
        DefectStatus::Present,
        DefectStatus::Absent,
        DefectStatus::Unknown,
    ];

    /// The id, as in JSON (`present`, `absent`, `unknown`).
    pub fn id(self) -> &'static str {
        match self {
            DefectStatus::Present => "present",
            DefectStatus::Absent => "absent",
            DefectStatus::Unknown => "unknown",
        }
    }

    /// The word for people: upper case when the kernel has it or may have
    /// it, so it stands out in a summary.
    pub fn shout(self) -> &'static str {
        match self {
            DefectStatus::Present => "PRESENT",
            DefectStatus::Absent => "absent",
            DefectStatus::Unknown => "UNKNOWN",
        }
    }
}

impl std::fmt::Display for DefectStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_json_spelling() {
        for s in DefectStatus::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.id()));
            let back: DefectStatus = serde_json::from_str(&json).unwrap();
            assert_eq!(back, s);
            assert_eq!(s.shout().to_lowercase(), s.id());
        }
        assert!(serde_json::from_str::<DefectStatus>("\"undecided\"").is_err());
    }
}
