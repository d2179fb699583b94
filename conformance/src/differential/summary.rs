//! The differential's report: cases, agreements and rates per family and
//! kind, the reach, and every disagreement with the segment and both
//! verdicts, as text or JSON.

use std::fmt::Write as _;

use tcpmd5::Semantics;
use tcpmd5_report::differential::{Body, Report};
use tcpmd5_report::{ExitStatus, RunResult};

use super::reach::Reach;

pub use tcpmd5_report::differential::{
    CaseVerdict, Disagreement, FamilyReport, KindStats, SCHEMA_VERSION, Total,
};

/// The whole run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The seed (hex), for `--seed` / `TCPMD5_DIFF_SEED`.
    pub seed: String,
    /// The model's semantics the kernel is held to.
    pub semantics: Semantics,
    /// The kernel release.
    pub kernel: String,
    /// Cases requested per family.
    pub cases_per_family: u32,
    /// Per family.
    pub families: Vec<FamilyReport>,
}

impl Summary {
    /// Cases run over every family.
    pub fn ran(&self) -> u64 {
        self.families.iter().map(FamilyReport::cases).sum()
    }

    /// Whether the run failed: any disagreement or harness error, or no
    /// case run at all.
    pub fn failed(&self) -> bool {
        self.ran() == 0
            || self
                .families
                .iter()
                .any(|f| f.error.is_some() || !f.disagreements.is_empty())
    }

    /// Whether no family could run here (each skipped with its reason).
    pub fn nothing_ran(&self) -> bool {
        self.families.iter().all(|f| f.skipped.is_some())
    }

    /// The exit status as kselftest has it: 4 when no family could run,
    /// 1 on any disagreement or harness error, else 0.
    pub fn exit_status(&self) -> ExitStatus {
        if self.nothing_ran() {
            ExitStatus::Skip
        } else if self.failed() {
            ExitStatus::Fail
        } else {
            ExitStatus::Pass
        }
    }

    /// The counts over every family.
    pub fn total(&self) -> Total {
        let mut t = Total::default();
        for f in &self.families {
            for k in f.kinds.values() {
                t.cases += k.cases;
                t.agreements += k.agreements;
                t.disagreements += k.disagreements;
            }
            t.skipped_families += u64::from(f.skipped.is_some());
            t.inferred += f.inferred;
            t.ao_cases += f.ao.cases;
            t.ao_agreements += f.ao.agreements;
            t.ao_skipped_families += u64::from(f.ao.skipped.is_some());
        }
        t
    }

    /// The reach over every family.
    pub fn reach(&self) -> Reach {
        let mut total = Reach::default();
        for f in &self.families {
            total.add(&f.reach);
        }
        total
    }

    /// JSON (`conformance/differential.schema.json`): the run with its
    /// result, exit status and totals.
    pub fn json(&self) -> String {
        document(
            self.exit_status(),
            Body::Ran {
                total: self.total(),
                seed: self.seed.clone(),
                semantics: self.semantics,
                kernel: self.kernel.clone(),
                cases_per_family: self.cases_per_family,
                families: self.families.clone(),
            },
        )
    }

    /// Text for people.
    pub fn human(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "differential: kernel {}, semantics {}, {} cases per family, seed {}",
            self.kernel,
            self.semantics.id(),
            self.cases_per_family,
            self.seed
        );
        for f in &self.families {
            if let Some(why) = &f.skipped {
                let _ = writeln!(s, "\n{}: SKIP: {why}", f.family);
                continue;
            }
            let _ = writeln!(
                s,
                "\n{}: {} cases in {:.1} s ({:.0}/s)",
                f.family,
                f.cases(),
                f.seconds,
                f.cases() as f64 / f.seconds.max(1e-9)
            );
            let _ = writeln!(
                s,
                "  {:<34} {:>6} {:>7} {:>9} {:>7}",
                "kind", "cases", "agree", "disagree", "cases/s"
            );
            for (kind, k) in &f.kinds {
                let _ = writeln!(
                    s,
                    "  {kind:<34} {:>6} {:>7} {:>9} {:>7.0}",
                    k.cases,
                    k.agreements,
                    k.disagreements,
                    k.rate()
                );
            }
            let _ = writeln!(
                s,
                "  established connections: {} handshakes, {} key changes on a live connection",
                f.connections.handshakes, f.connections.key_changes
            );
            if f.inferred > 0 {
                let _ = writeln!(
                    s,
                    "  {} verdicts inferred from silence (no tracepoints to confirm TCP_AUTH_HDR)",
                    f.inferred
                );
            }
            match &f.ao.skipped {
                Some(why) => {
                    let _ = writeln!(s, "  TCP-AO: SKIP: {why}");
                }
                None => {
                    let _ = writeln!(
                        s,
                        "  TCP-AO: {} cases, {} agree, {} disagree, {} AO handshakes, in {:.1} s ({:.1}/s)",
                        f.ao.cases,
                        f.ao.agreements,
                        f.ao.disagreements,
                        f.ao.handshakes,
                        f.ao.seconds,
                        f.ao.cases as f64 / f.ao.seconds.max(1e-9)
                    );
                    for (verdict, n) in &f.ao.verdicts {
                        let _ = writeln!(s, "    model {verdict:<36} {n:>6}");
                    }
                    let forms: Vec<String> =
                        f.ao.forms
                            .iter()
                            .map(|(form, n)| format!("{form} {n}"))
                            .collect();
                    let _ = writeln!(s, "    segments: {}", forms.join(", "));
                }
            }
            if let Some(e) = &f.error {
                let _ = writeln!(s, "  ERROR: {e}");
            }
            if f.shrink_steps > 0 {
                let _ = writeln!(s, "  {} exchanges spent shrinking", f.shrink_steps);
            }
        }
        let reach = self.reach();
        let _ = writeln!(s, "\nreach ({} segments):", reach.segments);
        for (what, n) in reach.lines() {
            let _ = writeln!(
                s,
                "  {what:<40} {n:>6} ({:.1}%)",
                100.0 * n as f64 / (reach.segments.max(1)) as f64
            );
        }
        let _ = writeln!(s, "model verdicts:");
        for (verdict, n) in &reach.verdicts {
            let _ = writeln!(s, "  {verdict:<40} {n:>6}");
        }
        for d in self.families.iter().flat_map(|f| &f.disagreements) {
            let _ = writeln!(
                s,
                "\nDISAGREEMENT ({}{}, {}): model {}, kernel {}",
                d.family,
                if d.shrunk { ", shrunk" } else { "" },
                d.kind,
                d.expected,
                d.observed
            );
            for p in &d.problems {
                let _ = writeln!(s, "  - {p}");
            }
            for n in &d.notes {
                let _ = writeln!(s, "  note: {n}");
            }
            let _ = writeln!(s, "  packet: {}", d.packet_hex);
        }
        let _ = write!(
            s,
            "\n{} (replay: --seed {})",
            if self.failed() { "FAIL" } else { "PASS" },
            self.seed
        );
        s
    }
}

/// The JSON document: header and body.
fn document(status: ExitStatus, body: Body) -> String {
    serde_json::to_string_pretty(&Report {
        schema_version: SCHEMA_VERSION,
        tool: "tcpmd5-conformance differential".to_owned(),
        result: match status {
            ExitStatus::Pass => RunResult::Pass,
            ExitStatus::Skip => RunResult::NothingRan,
            ExitStatus::Fail => RunResult::Fail,
        },
        exit_status: status,
        body,
    })
    .unwrap_or_default()
}

/// The JSON document of a run that could not start: `unsupported` (exit
/// status 4, nothing ran) or the probe failed (1).
pub fn unavailable_json(reason: &str, probe_failed: bool, seed: &str, cases: u32) -> String {
    document(
        if probe_failed {
            ExitStatus::Fail
        } else {
            ExitStatus::Skip
        },
        Body::Unavailable {
            unavailable: reason.to_owned(),
            seed: seed.to_owned(),
            cases_per_family: cases,
        },
    )
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use tcpmd5::Family;

    fn sample() -> Summary {
        let mut v4 = FamilyReport::new(Family::V4);
        v4.kinds.insert(
            "listener syn".to_owned(),
            KindStats {
                cases: 3,
                agreements: 2,
                disagreements: 1,
                seconds: 0.5,
            },
        );
        v4.reach.segments = 3;
        v4.reach.verdicts.insert("drop:TCP_AUTH_HDR".to_owned(), 3);
        v4.disagreements.push(Disagreement {
            family: "ipv4".to_owned(),
            kind: "listener syn".to_owned(),
            shrunk: true,
            packet_hex: "4500".to_owned(),
            expected: "drop:TCP_AUTH_HDR".to_owned(),
            observed: "accept".to_owned(),
            problems: vec!["verdict".to_owned()],
            notes: vec![],
        });
        v4.inferred = 1;
        let v6 = FamilyReport {
            skipped: Some("the kernel has no IPv6".to_owned()),
            ..FamilyReport::new(Family::V6)
        };
        Summary {
            seed: "ab".repeat(32),
            semantics: Semantics::Linux { tcp_ao: false },
            kernel: "6.12.0".to_owned(),
            cases_per_family: 3,
            families: vec![v4, v6],
        }
    }

    fn validate(json: &str) -> serde_json::Value {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../report/differential.schema.json")).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let doc: serde_json::Value = serde_json::from_str(json).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{json}");
        doc
    }

    #[test]
    fn json_matches_its_schema_with_totals_and_result() {
        let doc = validate(&sample().json());
        assert_eq!(doc["result"], "fail");
        assert_eq!(doc["exit_status"], 1);
        assert_eq!(doc["total"]["cases"], 3);
        assert_eq!(doc["total"]["agreements"], 2);
        assert_eq!(doc["total"]["disagreements"], 1);
        assert_eq!(doc["total"]["skipped_families"], 1);
        assert_eq!(doc["families"][1]["skipped"], "the kernel has no IPv6");
        assert_eq!(doc["families"][0]["disagreements"][0]["observed"], "accept");
    }

    #[test]
    fn ao_cases_are_counted_per_family_and_a_skipped_share_says_why() {
        let mut s = sample();
        s.families[0].ao.cases = 4;
        s.families[0].ao.agreements = 4;
        s.families[0].ao.forms.insert("signed".to_owned(), 4);
        s.families[0].ao.verdicts.insert("accept".to_owned(), 4);
        s.families[1].ao.skipped = Some("the kernel has no CONFIG_TCP_AO".to_owned());
        let doc = validate(&s.json());
        assert_eq!(doc["total"]["ao_cases"], 4);
        assert_eq!(doc["total"]["ao_agreements"], 4);
        assert_eq!(doc["total"]["ao_skipped_families"], 1);
        assert_eq!(doc["families"][0]["ao"]["forms"]["signed"], 4);
        let text = s.human();
        assert!(
            text.contains("TCP-AO: 4 cases, 4 agree, 0 disagree"),
            "{text}"
        );
        s.families[1].skipped = None;
        assert!(
            s.human()
                .contains("TCP-AO: SKIP: the kernel has no CONFIG_TCP_AO"),
            "{}",
            s.human()
        );
    }

    #[test]
    fn a_run_where_nothing_could_run_is_no_pass() {
        let mut s = sample();
        for f in &mut s.families {
            f.skipped = Some("no".to_owned());
        }
        assert_eq!(s.exit_status(), ExitStatus::Skip);
        let doc = validate(&unavailable_json("no CONFIG_TCP_MD5SIG", false, &s.seed, 3));
        assert_eq!(doc["result"], "nothing-ran");
        assert_eq!(doc["exit_status"], 4);
        let doc = validate(&unavailable_json("no lab", true, &s.seed, 3));
        assert_eq!(doc["exit_status"], 1);
    }

    #[test]
    fn agreement_everywhere_passes() {
        let mut s = sample();
        s.families[0].disagreements.clear();
        let k = s.families[0].kinds.get_mut("listener syn").unwrap();
        k.agreements = 3;
        k.disagreements = 0;
        assert_eq!(s.exit_status(), ExitStatus::Pass);
        assert_eq!(validate(&s.json())["result"], "pass");
    }
}
