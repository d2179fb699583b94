//! Where the semantics a kernel is held to departs from RFC 2385, grouped
//! by behaviour over a run's cases: the report's `rfc2385_deviations`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a departure from RFC 2385 means for the session it protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Impact {
    /// The kernel accepts a segment that needed a verified signature and
    /// has none: forged segments get in.
    SecurityRelevant,
    /// The kernel accepts an option area RFC 2385's reading rejects, but
    /// only where the digest verified or no key applies.
    HarmlessLeniency,
    /// The kernel drops what RFC 2385 accepts, or drops for another reason.
    HarmlessStrictness,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::SecurityRelevant => "security-relevant",
            Impact::HarmlessLeniency => "harmless leniency",
            Impact::HarmlessStrictness => "harmless strictness",
        })
    }
}

/// One behaviour and the cases whose segments show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviationGroup {
    /// What it means.
    pub impact: Impact,
    /// The behaviour.
    pub behaviour: String,
    /// The RFC 2385 reading's verdict id (a receiver's: `accept` for one
    /// that checks nothing).
    pub rfc2385: String,
    /// The held semantics' verdict id.
    pub held: String,
    /// The cases (that ran) whose segments show it.
    pub cases: Vec<String>,
}
