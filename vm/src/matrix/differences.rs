//! What differs between kernels: the cases whose observed kernel behaviour
//! is not the same everywhere, each side with the semantics that predicted
//! it. Behaviour is compared on the suite's typed steps
//! ([`tcpmd5_report::Behaviour`]): a verdict the harness inferred for want
//! of tracepoints is the same behaviour as one the tracepoints showed.

use std::collections::BTreeSet;

use serde::{Serialize, Serializer};
use tcpmd5::Semantics;
use tcpmd5_report::{CaseReport, Labelled, Status};

use super::runs::KernelResult;

/// One kernel's side of a difference.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The kernel's label.
    pub kernel: String,
    /// The case's outcome there.
    pub status: Status,
    /// What the kernel did, step by step (in JSON, in words: `, ` between
    /// steps).
    #[serde(serialize_with = "in_words")]
    pub observed: Vec<Labelled>,
    /// The semantics under which the suite predicted this observation
    /// (those of the kernels where the case passed with it).
    #[serde(serialize_with = "semantics_ids")]
    pub predicted_by: Vec<Semantics>,
}

/// Behaviour in words, as a case's `observed` line has it.
pub(super) fn words(behaviour: &[Labelled]) -> String {
    behaviour
        .iter()
        .map(Labelled::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn in_words<S: Serializer>(b: &[Labelled], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&words(b))
}

fn semantics_ids<S: Serializer>(ids: &[Semantics], s: S) -> Result<S::Ok, S::Error> {
    tcpmd5_report::ids::semantics_list::serialize(ids, s)
}

/// A case whose observed behaviour differs between kernels.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// Case id.
    pub id: String,
    /// What it checks.
    pub summary: String,
    /// One entry per kernel on which it ran.
    pub kernels: Vec<Side>,
}

/// Folds `a/b/ipv4` and `a/b/ipv6` into one `a/b/{ipv4,ipv6}` when every
/// kernel's side is the same in both families.
pub(super) fn fold_families(diffs: Vec<Difference>) -> Vec<Difference> {
    let same = |a: &Difference, b: &Difference| {
        a.kernels.len() == b.kernels.len()
            && a.kernels.iter().zip(&b.kernels).all(|(x, y)| {
                x.kernel == y.kernel
                    && x.status == y.status
                    && x.observed == y.observed
                    && x.predicted_by == y.predicted_by
            })
    };
    let mut out: Vec<Difference> = Vec::with_capacity(diffs.len());
    for d in diffs {
        if let (Some(prev), Some(stem)) = (out.last_mut(), d.id.strip_suffix("/ipv6"))
            && prev.id.strip_suffix("/ipv4") == Some(stem)
            && same(prev, &d)
        {
            prev.id = format!("{stem}/{{ipv4,ipv6}}");
            continue;
        }
        out.push(d);
    }
    out
}

/// The cases whose observed behaviour differs between the kernels where
/// they ran, in the first kernel's case order, the two families folded
/// into one entry where they agree.
pub(super) fn differences(kernels: &[KernelResult]) -> Vec<Difference> {
    let mut ids: Vec<(&str, &str)> = Vec::new();
    let mut seen = BTreeSet::new();
    for k in kernels {
        for c in &k.cases {
            if seen.insert(c.id.as_str()) {
                ids.push((c.id.as_str(), c.summary.as_str()));
            }
        }
    }
    let mut out = Vec::new();
    for (id, summary) in ids {
        let ran: Vec<(&KernelResult, &CaseReport)> = kernels
            .iter()
            .filter_map(|k| k.cases.iter().find(|c| c.id == id).map(|c| (k, c)))
            .filter(|(_, c)| c.outcome.status().ran())
            .collect();
        let seen: Vec<Vec<Labelled>> = ran
            .iter()
            .map(|(_, c)| c.steps.observed_behaviour())
            .collect();
        if seen.iter().all(|b| Some(b) == seen.first()) {
            continue;
        }
        let sides = ran
            .iter()
            .zip(&seen)
            .map(|((k, c), b)| {
                // Kernels without a probed environment predicted nothing.
                let predicted_by: BTreeSet<&str> = ran
                    .iter()
                    .zip(&seen)
                    .filter(|((_, other), other_b)| {
                        other.outcome.status().as_predicted() && *other_b == b
                    })
                    .filter_map(|((other_k, _), _)| other_k.environment.as_ref())
                    .map(|e| e.semantics.id())
                    .collect();
                Side {
                    kernel: k.label.clone(),
                    status: c.outcome.status(),
                    observed: b.clone(),
                    predicted_by: predicted_by
                        .into_iter()
                        .filter_map(Semantics::from_id)
                        .collect(),
                }
            })
            .collect();
        out.push(Difference {
            id: id.to_owned(),
            summary: summary.to_owned(),
            kernels: sides,
        });
    }
    fold_families(out)
}
