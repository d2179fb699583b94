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

pub use tcpmd5_vm::DefectStatus;

/// What a run found about one known defect.
#[derive(Debug, Clone, Serialize)]
pub struct DefectFinding {
    /// The defect.
    #[serde(flatten)]
    pub defect: KnownDefect,
    /// Present, absent or unknown on this kernel.
    pub status: DefectStatus,
    /// The cases that ran and exercise it.
    pub cases: Vec<String>,
    /// How many of them show it (`known_defect` names it).
    #[serde(skip)]
    pub shown: usize,
    /// How many of them did not pass without showing it: failures and
    /// errors the defect does not account for.
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
                let shows = |c: &CaseReport| c.known_defect == Some(d.id);
                let shown = ran.iter().filter(|c| shows(c)).count();
                let not_passed = ran
                    .iter()
                    .filter(|c| !shows(c) && c.outcome != Outcome::Pass)
                    .count();
                let status = if ran.is_empty() || not_passed > 0 {
                    DefectStatus::Unknown
                } else if d.affects(held) {
                    if shown > 0 {
                        DefectStatus::Present
                    } else {
                        DefectStatus::Unknown
                    }
                } else {
                    DefectStatus::Absent
                };
                DefectFinding {
                    defect: *d,
                    status,
                    cases: ran.iter().map(|c| c.id.clone()).collect(),
                    shown,
                    not_passed,
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
                "SECURITY: known defect {} {}: {}; {} of the {n} cases that exercise it show it (XFAIL, --strict fails them); advisory {}, fixed semantics {}",
                d.id,
                self.status.shout(),
                d.summary,
                self.shown,
                d.advisory,
                d.fixed.id()
            ),
            DefectStatus::Absent => format!(
                "security: known defect {} {}: the {n} cases that exercise it passed under {}",
                d.id,
                self.status.shout(),
                held.id()
            ),
            DefectStatus::Unknown if n == 0 => format!(
                "security: known defect {} not checked: no case that exercises it ran",
                d.id
            ),
            DefectStatus::Unknown if self.not_passed == 0 => format!(
                "SECURITY: known defect {} {}: none of the {n} cases that exercise it showed it under {}: the kernel may have it; advisory {}",
                d.id,
                self.status.shout(),
                held.id(),
                d.advisory
            ),
            DefectStatus::Unknown => format!(
                "SECURITY: known defect {} {}: {} of the {n} cases that exercise it did not pass under {} (see the divergences), {} show it: the kernel may have it; advisory {}",
                d.id,
                self.status.shout(),
                self.not_passed,
                held.id(),
                self.shown,
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
            id: format!("ao-bypass/{outcome:?}/ipv4"),
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
    fn present_absent_or_unknown() {
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

    /// A failed case that exercises the defect keeps it from being a clean
    /// PRESENT even when another case shows it, and the line counts only
    /// the cases that show it.
    #[test]
    fn a_failure_beside_an_xfail_is_unknown() {
        let linux = Semantics::Linux { tcp_ao: false };
        let xfail = Outcome::ExpectedFail("known defect".to_owned());
        let fail = Outcome::Fail("accepted".to_owned());
        let run = [
            case(xfail.clone(), Some("ao-bypass")),
            case(fail, None),
            case(Outcome::Pass, None),
        ];
        let findings = DefectFinding::of_run(KNOWN_DEFECTS, linux, &run);
        let f = findings.first().expect("ao-bypass finding");
        assert_eq!(f.status, DefectStatus::Unknown);
        assert_eq!((f.shown, f.not_passed), (1, 1));
        let line = f.line(linux);
        assert!(line.contains("UNKNOWN: 1 of the 3 cases"), "{line}");
        assert!(!line.contains("PRESENT"), "{line}");

        let run = [case(xfail, Some("ao-bypass")), case(Outcome::Pass, None)];
        let findings = DefectFinding::of_run(KNOWN_DEFECTS, linux, &run);
        let f = findings.first().expect("ao-bypass finding");
        assert_eq!(f.status, DefectStatus::Present);
        let line = f.line(linux);
        assert!(
            line.contains("1 of the 2 cases that exercise it show it"),
            "{line}"
        );
    }

    /// Under `--strict` a case that shows the defect fails, naming it: it
    /// still counts as showing it.
    #[test]
    fn strict_failures_that_show_it_are_present() {
        let linux = Semantics::Linux { tcp_ao: false };
        let strict = Outcome::Fail("known defect (--strict)".to_owned());
        assert_eq!(
            status(linux, case(strict, Some("ao-bypass"))),
            DefectStatus::Present
        );
    }
}
