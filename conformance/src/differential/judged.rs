//! The judgement of one case: the model's verdict, the kernel's, and every
//! disagreement between them or among the witnesses.

use tcpmd5::{DropReason, Family, Verdict};

use super::summary::{CaseVerdict, Disagreement, FamilyReport};
use crate::exchange::Observation;

/// One case, judged.
#[derive(Debug, Clone)]
pub(super) struct Judged {
    /// The model's verdict.
    pub verdict: Verdict,
    /// The model's verdict as reported (`accept`, `drop:TCP_MD5FAILURE`).
    pub expected: String,
    /// What the kernel did, in the same words.
    pub observed: String,
    /// Disagreements (any one makes the case a disagreement).
    pub problems: Vec<String>,
    /// Evidence.
    pub notes: Vec<String>,
    /// The IP packet injected.
    pub packet: Vec<u8>,
    /// Whether the kernel's verdict rests on inference: a drop seen only as
    /// silence with no counter (`TCP_AUTH_HDR`) while no tracepoint could
    /// be read to confirm it.
    pub inferred: bool,
}

impl Judged {
    /// Whether the kernel agreed with the model on everything.
    pub(super) fn agrees(&self) -> bool {
        self.problems.is_empty()
    }

    /// Counts this case into `report` under `kind` (a case that ran, not a
    /// shrink step): its verdict pair, and its kind's cases, time and
    /// agreement. Returns whether it agreed.
    pub(super) fn count_into(&self, report: &mut FamilyReport, kind: &str, seconds: f64) -> bool {
        let agrees = self.agrees();
        report.verdicts.push(CaseVerdict {
            kind: kind.to_owned(),
            expected: self.expected.clone(),
            observed: self.observed.clone(),
            agrees,
        });
        let stats = report.kinds.entry(kind.to_owned()).or_default();
        stats.cases += 1;
        stats.seconds += seconds;
        if agrees {
            stats.agreements += 1;
        } else {
            stats.disagreements += 1;
        }
        agrees
    }

    /// What proptest is told of a disagreement.
    pub(super) fn failure_message(&self) -> String {
        format!(
            "model {}, kernel {}: {}",
            self.expected,
            self.observed,
            self.problems.join("; ")
        )
    }

    /// The report of this case as a disagreement of `family`'s `kind`.
    pub(super) fn into_disagreement(
        self,
        family: Family,
        kind: String,
        shrunk: bool,
    ) -> Disagreement {
        Disagreement {
            family: family.to_string(),
            kind,
            shrunk,
            packet_hex: self.packet.iter().map(|b| format!("{b:02x}")).collect(),
            expected: self.expected,
            observed: self.observed,
            problems: self.problems,
            notes: self.notes,
        }
    }
}

/// Whether a `TCP_AUTH_HDR` verdict in `obs` could only be inferred.
pub(super) fn inferred(obs: &Observation, verdict: Verdict) -> bool {
    obs.trace.is_none() && verdict == Verdict::Drop(DropReason::AuthHeader)
}
