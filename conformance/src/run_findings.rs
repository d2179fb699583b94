//! What a run found beyond pass and fail: whether the kernel has each known
//! defect ([`crate::known_defect`]), and where the semantics it is held to
//! departs from RFC 2385 ([`crate::deviation`]), grouped by behaviour over
//! the cases that ran.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use tcpmd5::Semantics;

use crate::deviation::{Deviation, Impact};
use crate::known_defect::KnownDefect;
use crate::outcome::{CaseReport, Outcome};

/// Whether a defect shows on the kernel, as far as the run can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefectStatus {
    /// Held to an affected semantics, and the cases that exercise it
    /// behaved as the model predicts: the kernel has it.
    Present,
    /// Held to a semantics without it, and every case that exercises it
    /// passed: the kernel does not have it.
    Absent,
    /// Some case that exercises it failed, or none ran: undecided.
    Unknown,
}

/// What a run found about one known defect.
#[derive(Debug, Clone, Serialize)]
pub struct DefectFinding {
    /// The defect.
    #[serde(flatten)]
    pub defect: KnownDefect,
    /// Present, absent or undecided on this kernel.
    pub status: DefectStatus,
    /// The cases that ran and exercise it.
    pub cases: Vec<String>,
    /// How many of them the kernel did not pass (for the summary's line).
    #[serde(skip)]
    pub not_passed: usize,
}

impl DefectFinding {
    /// What the run found about each of `defects`, from its cases; none when
    /// no kernel could be probed.
    pub fn of_run(
        defects: &[KnownDefect],
        held: Semantics,
        cases: &[CaseReport],
    ) -> Vec<DefectFinding> {
        defects
            .iter()
            .map(|d| {
                let ran: Vec<&CaseReport> = cases
                    .iter()
                    .filter(|c| {
                        c.exercises.contains(&d.id) && !matches!(c.outcome, Outcome::Skip(_))
                    })
                    .collect();
                let status = if ran.is_empty() {
                    DefectStatus::Unknown
                } else if d.affects(held) {
                    if ran.iter().any(|c| c.known_defect == Some(d.id)) {
                        DefectStatus::Present
                    } else {
                        DefectStatus::Unknown
                    }
                } else if ran.iter().all(|c| c.outcome == Outcome::Pass) {
                    DefectStatus::Absent
                } else {
                    DefectStatus::Unknown
                };
                DefectFinding {
                    defect: *d,
                    status,
                    cases: ran.iter().map(|c| c.id.clone()).collect(),
                    not_passed: ran.iter().filter(|c| c.outcome != Outcome::Pass).count(),
                }
            })
            .collect()
    }

    /// The summary's line.
    pub fn line(&self, held: Semantics) -> String {
        let d = &self.defect;
        let n = self.cases.len();
        match self.status {
            DefectStatus::Present => format!(
                "SECURITY: known defect {} PRESENT: {}; {n} cases show it (XFAIL, --strict fails them); advisory {}, fixed semantics {}",
                d.id,
                d.summary,
                d.advisory,
                d.fixed.id()
            ),
            DefectStatus::Absent => format!(
                "security: known defect {} absent: the {n} cases that exercise it passed under {}",
                d.id,
                held.id()
            ),
            DefectStatus::Unknown if n == 0 => format!(
                "security: known defect {} not checked: no case that exercises it ran",
                d.id
            ),
            DefectStatus::Unknown => format!(
                "SECURITY: known defect {} UNDECIDED: {} of the {n} cases that exercise it did not pass under {} (see the divergences): the kernel may have it; advisory {}",
                d.id,
                self.not_passed,
                held.id(),
                d.advisory
            ),
        }
    }
}

/// One behaviour and the cases whose segments show it.
#[derive(Debug, Clone, Serialize)]
pub struct DeviationGroup {
    /// What it means.
    pub impact: Impact,
    /// The behaviour.
    pub behaviour: String,
    /// The RFC 2385 reading's verdict.
    pub rfc2385: String,
    /// The held semantics' verdict.
    pub held: String,
    /// The cases (that ran) whose segments show it.
    pub cases: Vec<String>,
}

/// The departures of `cases` grouped by behaviour, security-relevant first.
pub fn group(cases: &[CaseReport]) -> Vec<DeviationGroup> {
    let mut groups: BTreeMap<&Deviation, Vec<String>> = BTreeMap::new();
    for c in cases {
        for d in &c.deviations {
            groups.entry(d).or_default().push(c.id.clone());
        }
    }
    groups
        .into_iter()
        .map(|(d, cases)| DeviationGroup {
            impact: d.impact,
            behaviour: d.behaviour.clone(),
            rfc2385: d.rfc2385.clone(),
            held: d.held.clone(),
            cases,
        })
        .collect()
}

/// The report's section: one line per behaviour, a few case ids under it.
pub fn human(groups: &[DeviationGroup], held: Semantics) -> String {
    let mut out = format!(
        "
where {} departs from RFC 2385 (computed from the model over the segments of the cases that ran)
",
        held.id()
    );
    if held == Semantics::Rfc2385 {
        out.push_str(
            "  none: the kernel is held to rfc2385 itself
",
        );
        return out;
    }
    if groups.is_empty() {
        out.push_str(
            "  none on these cases' segments
",
        );
    }
    for g in groups {
        let shown: Vec<&str> = g.cases.iter().take(3).map(String::as_str).collect();
        let more = g.cases.len().saturating_sub(shown.len());
        let _ = writeln!(
            out,
            "  [{}] {}: rfc2385 {}, {} {}",
            g.impact,
            g.behaviour,
            g.rfc2385,
            held.id(),
            g.held
        );
        let _ = writeln!(
            out,
            "      {} cases: {}{}",
            g.cases.len(),
            shown.join(", "),
            if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::known_defect::KNOWN_DEFECTS;

    fn case(outcome: Outcome, known_defect: Option<&'static str>) -> CaseReport {
        CaseReport {
            id: "ao-bypass/data-on-md5-session/ipv4".to_owned(),
            area: "ao-bypass".to_owned(),
            family: "ipv4".to_owned(),
            summary: String::new(),
            outcome,
            known_defect,
            expected: String::new(),
            observed: String::new(),
            notes: Vec::new(),
            exercises: vec!["ao-bypass"],
            deviations: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    fn status(held: Semantics, c: CaseReport) -> DefectStatus {
        DefectFinding::of_run(KNOWN_DEFECTS, held, &[c])
            .first()
            .map(|f| f.status)
            .unwrap_or(DefectStatus::Unknown)
    }

    #[test]
    fn present_absent_or_undecided() {
        let linux = Semantics::Linux { tcp_ao: false };
        let fixed = Semantics::LinuxAoBypassFixed;
        let xfail = Outcome::ExpectedFail("known defect".to_owned());
        assert_eq!(
            status(linux, case(xfail, Some("ao-bypass"))),
            DefectStatus::Present
        );
        assert_eq!(
            status(fixed, case(Outcome::Pass, None)),
            DefectStatus::Absent
        );
        let fail = Outcome::Fail("accepted".to_owned());
        assert_eq!(
            status(fixed, case(fail.clone(), None)),
            DefectStatus::Unknown
        );
        assert_eq!(status(linux, case(fail, None)), DefectStatus::Unknown);
        let skip = Outcome::Skip("no ipv6".to_owned());
        assert_eq!(status(fixed, case(skip, None)), DefectStatus::Unknown);
    }
}
