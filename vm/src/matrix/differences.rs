//! What differs between kernels: the cases whose observed kernel behaviour
//! is not the same everywhere, each side with the semantics that predicted it.

use std::collections::BTreeSet;

use serde::Serialize;

use super::runs::KernelResult;
use crate::suite_report::CaseResult;

/// One kernel's side of a difference.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The kernel's label.
    pub kernel: String,
    /// The case's outcome there.
    pub status: String,
    /// What the kernel did.
    pub observed: String,
    /// The semantics under which the suite predicted this observation
    /// (those of the kernels where the case passed with it).
    pub predicted_by: Vec<String>,
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

/// The kernel behaviour in a case's `observed` text, without what differs
/// between kernels for reasons other than behaviour: whether the tracepoint
/// witness exists (`, trace None` / `, trace Some([..])`; shown per kernel
/// instead) and the kernel's random initial sequence numbers (`seq 0x..`).
pub fn behaviour(observed: &str) -> String {
    let mut out = String::with_capacity(observed.len());
    let mut rest = observed;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(", trace None") {
            rest = after;
        } else if let Some(after) = rest.strip_prefix(", trace Some([") {
            rest = after.split_once("])").map_or("", |(_, tail)| tail);
        } else if let Some(after) = rest.strip_prefix("seq 0x") {
            out.push_str("seq <isn>");
            rest = after.trim_start_matches(|c: char| c.is_ascii_hexdigit());
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
        }
    }
    out
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
    let semantics = |k: &KernelResult| {
        k.environment
            .as_ref()
            .map_or_else(|| "?".to_owned(), |e| e.semantics.clone())
    };
    let mut out = Vec::new();
    for (id, summary) in ids {
        let ran: Vec<(&KernelResult, &CaseResult)> = kernels
            .iter()
            .filter_map(|k| k.cases.iter().find(|c| c.id == id).map(|c| (k, c)))
            .filter(|(_, c)| c.ran())
            .collect();
        let seen: Vec<String> = ran.iter().map(|(_, c)| behaviour(&c.observed)).collect();
        if seen.iter().collect::<BTreeSet<_>>().len() < 2 {
            continue;
        }
        let sides = ran
            .iter()
            .zip(&seen)
            .map(|((k, c), b)| {
                let predicted_by: BTreeSet<String> = ran
                    .iter()
                    .zip(&seen)
                    .filter(|((_, other), other_b)| other.as_predicted() && *other_b == b)
                    .map(|((other_k, _), _)| semantics(other_k))
                    .collect();
                Side {
                    kernel: k.label.clone(),
                    status: c.status.clone(),
                    observed: b.clone(),
                    predicted_by: predicted_by.into_iter().collect(),
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
