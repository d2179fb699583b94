//! Known kernel defects, and what a run found about each: the report's
//! `known_defects`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use tcpmd5::Semantics;

/// One known defect: a behaviour the model predicts (because the kernel
/// has it) that is a security defect all the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownDefect {
    /// Stable id (`ao-bypass`).
    pub id: Cow<'static, str>,
    /// The advisory describing it, relative to the repository.
    pub advisory: Cow<'static, str>,
    /// What it lets an attacker do, in one line.
    pub summary: Cow<'static, str>,
    /// The semantics (kernels) that have it.
    #[serde(with = "crate::ids::semantics_list")]
    pub affected: Cow<'static, [Semantics]>,
    /// The semantics of the proposed fix.
    #[serde(with = "crate::ids::semantics")]
    pub fixed: Semantics,
}

impl KnownDefect {
    /// Whether a kernel held to `semantics` has the defect.
    pub fn affects(&self, semantics: Semantics) -> bool {
        self.affected.contains(&semantics)
    }
}

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

/// What a run found about one known defect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefectFinding {
    /// The defect.
    #[serde(flatten)]
    pub defect: KnownDefect,
    /// Present, absent or unknown on this kernel.
    pub status: DefectStatus,
    /// The cases that ran and exercise it.
    pub cases: Vec<String>,
    /// How many of them show it (their `known_defect` names it); for the
    /// summary line, not in the JSON.
    #[serde(skip)]
    pub shown: usize,
    /// How many of them did not pass without showing it: failures and
    /// errors the defect does not account for; not in the JSON.
    #[serde(skip)]
    pub not_passed: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_json_spelling() {
        for s in DefectStatus::ALL {
            let json = serde_json::to_string(&s).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", s.id()));
            let back: Option<DefectStatus> = serde_json::from_str(&json).ok();
            assert_eq!(back, Some(s));
            assert_eq!(s.shout().to_lowercase(), s.id());
        }
        assert!(serde_json::from_str::<DefectStatus>("\"undecided\"").is_err());
    }

    #[test]
    fn a_finding_reads_back() {
        const AFFECTED: &[Semantics] = &[Semantics::LinuxLegacy];
        let f = DefectFinding {
            defect: KnownDefect {
                id: Cow::Borrowed("d"),
                advisory: Cow::Borrowed("docs/a.md"),
                summary: Cow::Borrowed("s"),
                affected: Cow::Borrowed(AFFECTED),
                fixed: Semantics::Rfc2385,
            },
            status: DefectStatus::Present,
            cases: vec!["a/b/ipv4".to_owned()],
            shown: 0,
            not_passed: 0,
        };
        let json = serde_json::to_value(&f).unwrap_or_default();
        assert_eq!(json["id"], "d");
        assert_eq!(json["affected"][0], "linux-legacy");
        assert_eq!(serde_json::from_value::<DefectFinding>(json).ok(), Some(f));
    }
}
