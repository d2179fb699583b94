//! One case's result: an entry of the report's `cases`.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Outcome, Steps};

/// A case's result as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseReport {
    /// Case id (`area/name/family`).
    pub id: String,
    /// Area.
    pub area: String,
    /// Family: `ipv4` or `ipv6` (`ipv4+ipv6` for a case of both).
    pub family: String,
    /// What the case checks.
    pub summary: String,
    /// Outcome (`status`, and `reason` unless it passed).
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The known defect the case shows (its XFAIL, or its failure under
    /// `--strict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_defect: Option<String>,
    /// What the model predicted and the kernel did, step by step
    /// (`expected`, `observed` and `steps` in JSON).
    #[serde(flatten)]
    pub steps: Steps,
    /// The evidence behind the observed side (counters, tracepoints,
    /// replies, digests checked), one item per line.
    pub notes: Vec<String>,
    /// Wall time of the case, namespace setup and teardown included.
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
}

/// A duration as fractional milliseconds.
pub(crate) mod millis {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1000.0)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        Duration::try_from_secs_f64(ms / 1000.0).map_err(serde::de::Error::custom)
    }
}
