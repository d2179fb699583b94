//! What a run found beyond pass and fail: whether the kernel has each known
//! defect ([`crate::known_defect`]), and where the semantics it is held to
//! departs from RFC 2385 ([`crate::deviation`]), grouped by behaviour over
//! the cases that ran.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tcpmd5::Semantics;
pub use tcpmd5_report::{DefectFinding, DefectStatus, DeviationGroup};

use crate::deviation::Deviation;
use crate::known_defect::KnownDefect;
use crate::outcome::{CaseRun, Outcome};

/// What the run found about each of `defects`, from its cases; none when
/// no kernel could be probed.
pub fn defect_findings(
    defects: &[KnownDefect],
    held: Semantics,
    cases: &[CaseRun],
) -> Vec<DefectFinding> {
    defects
        .iter()
        .map(|d| {
            let ran: Vec<&CaseRun> = cases
                .iter()
                .filter(|c| {
                    c.exercises.iter().any(|e| *e == d.id)
                        && !matches!(c.report.outcome, Outcome::Skip(_))
                })
                .collect();
            let shows = |c: &CaseRun| c.report.known_defect.as_deref() == Some(&*d.id);
            let shown = ran.iter().filter(|c| shows(c)).count();
            let not_passed = ran
                .iter()
                .filter(|c| !shows(c) && c.report.outcome != Outcome::Pass)
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
                defect: d.clone(),
                status,
                cases: ran.iter().map(|c| c.report.id.clone()).collect(),
                shown,
                not_passed,
            }
        })
        .collect()
}

/// The summary's line about `finding`.
pub fn defect_line(finding: &DefectFinding, held: Semantics) -> String {
    let d = &finding.defect;
    let n = finding.cases.len();
    match finding.status {
        DefectStatus::Present => format!(
            "SECURITY: known defect {} {}: {}; {} of the {n} cases that exercise it show it (XFAIL, --strict fails them); advisory {}, fixed semantics {}",
            d.id,
            finding.status.shout(),
            d.summary,
            finding.shown,
            d.advisory,
            d.fixed.id()
        ),
        DefectStatus::Absent => format!(
            "security: known defect {} {}: the {n} cases that exercise it passed under {}",
            d.id,
            finding.status.shout(),
            held.id()
        ),
        DefectStatus::Unknown if n == 0 => format!(
            "security: known defect {} not checked: no case that exercises it ran",
            d.id
        ),
        DefectStatus::Unknown if finding.not_passed == 0 => format!(
            "SECURITY: known defect {} {}: none of the {n} cases that exercise it showed it under {}: the kernel may have it; advisory {}",
            d.id,
            finding.status.shout(),
            held.id(),
            d.advisory
        ),
        DefectStatus::Unknown => format!(
            "SECURITY: known defect {} {}: {} of the {n} cases that exercise it did not pass under {} (see the divergences), {} show it: the kernel may have it; advisory {}",
            d.id,
            finding.status.shout(),
            finding.not_passed,
            held.id(),
            finding.shown,
            d.advisory
        ),
    }
}

/// The departures of `cases` grouped by behaviour, security-relevant first.
pub fn group(cases: &[CaseRun]) -> Vec<DeviationGroup> {
    let mut groups: BTreeMap<&Deviation, Vec<String>> = BTreeMap::new();
    for c in cases {
        for d in &c.deviations {
            groups.entry(d).or_default().push(c.report.id.clone());
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

    fn case(outcome: Outcome, known_defect: Option<&str>) -> CaseRun {
        CaseRun {
            report: tcpmd5_report::CaseReport {
                id: format!("ao-bypass/{outcome:?}/ipv4"),
                area: "ao-bypass".to_owned(),
                family: "ipv4".to_owned(),
                summary: String::new(),
                outcome,
                known_defect: known_defect.map(str::to_owned),
                steps: crate::outcome::Steps::default(),
                notes: Vec::new(),
                duration: Duration::ZERO,
            },
            exercises: vec!["ao-bypass".to_owned()],
            deviations: Vec::new(),
        }
    }

    fn status(held: Semantics, c: CaseRun) -> DefectStatus {
        defect_findings(KNOWN_DEFECTS, held, &[c])
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
        let findings = defect_findings(KNOWN_DEFECTS, linux, &run);
        let f = findings.first().expect("ao-bypass finding");
        assert_eq!(f.status, DefectStatus::Unknown);
        assert_eq!((f.shown, f.not_passed), (1, 1));
        let line = defect_line(f, linux);
        assert!(line.contains("UNKNOWN: 1 of the 3 cases"), "{line}");
        assert!(!line.contains("PRESENT"), "{line}");

        let run = [case(xfail, Some("ao-bypass")), case(Outcome::Pass, None)];
        let findings = defect_findings(KNOWN_DEFECTS, linux, &run);
        let f = findings.first().expect("ao-bypass finding");
        assert_eq!(f.status, DefectStatus::Present);
        let line = defect_line(f, linux);
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
