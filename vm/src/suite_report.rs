//! The parts of the suite's JSON report (`--format json`) the matrix reads.
//! Read leniently: fields it does not know are ignored, missing ones default.

use serde::{Deserialize, Deserializer, Serialize};

use crate::DefectStatus;
use crate::error::VmError;

/// A suite run's report.
#[derive(Debug, Clone, Deserialize)]
pub struct SuiteReport {
    /// The probed environment, or why no case could run (the report's
    /// `environment`, tagged by its `status`).
    #[serde(deserialize_with = "environment_or_reason")]
    pub environment: Result<Environment, String>,
    /// Every case.
    #[serde(default)]
    pub cases: Vec<CaseResult>,
    /// Overall counts.
    #[serde(default)]
    pub total: Counts,
    /// What the run found about each known kernel defect (schema 2).
    #[serde(default)]
    pub known_defects: Vec<KnownDefectResult>,
    /// Wall time in milliseconds.
    #[serde(default)]
    pub duration_ms: f64,
}

/// `environment` as conformance/report.schema.json has it: `status`
/// `available` with the probed fields, or `unsupported` / `probe-failed`
/// with a `reason`.
fn environment_or_reason<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Result<Environment, String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(tag = "status", rename_all = "kebab-case")]
    enum Tagged {
        Available(Environment),
        Unsupported { reason: String },
        ProbeFailed { reason: String },
    }
    Ok(match Tagged::deserialize(d)? {
        Tagged::Available(env) => Ok(env),
        Tagged::Unsupported { reason } => Err(reason),
        Tagged::ProbeFailed { reason } => Err(format!("environment probe failed: {reason}")),
    })
}

/// What the suite probed about the kernel.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Environment {
    /// `uname -r`.
    #[serde(default)]
    pub kernel_release: String,
    /// The semantics observed.
    #[serde(default)]
    pub semantics: String,
    /// The semantics its version and CONFIG_TCP_AO imply.
    #[serde(default, rename = "implied_semantics")]
    pub semantics_by_version: String,
    /// The probe segments the semantics was checked with (the witnesses).
    #[serde(default, rename = "semantics_probes")]
    pub semantics_evidence: Vec<String>,
    /// Why the tracepoint witness is missing, if it is.
    #[serde(default)]
    pub tracing_unavailable: Option<String>,
    /// CONFIG_TCP_AO.
    #[serde(default)]
    pub tcp_ao: bool,
    /// CONFIG_NET_VRF, as far as known.
    #[serde(default)]
    pub vrf: Option<bool>,
}

/// What a run found about one known kernel defect (the report's
/// `known_defects`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct KnownDefectResult {
    /// The defect's id (`ao-bypass`).
    pub id: String,
    /// Its advisory.
    #[serde(default)]
    pub advisory: String,
    /// Whether the kernel has it.
    pub status: DefectStatus,
    /// The cases that ran and exercise it.
    #[serde(default)]
    pub cases: Vec<String>,
}

/// One case's result.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// What it checks.
    #[serde(default)]
    pub summary: String,
    /// pass, fail, xfail, skip or error.
    pub status: String,
    /// The known defect the case shows (its xfail, or its failure under
    /// `--strict`).
    #[serde(default)]
    pub known_defect: Option<String>,
    /// Why, for anything but pass.
    #[serde(default)]
    pub reason: Option<String>,
    /// The model's prediction.
    #[serde(default)]
    pub expected: String,
    /// What the kernel did.
    #[serde(default)]
    pub observed: String,
}

impl CaseResult {
    /// Whether the case ran (not skipped).
    pub fn ran(&self) -> bool {
        self.status != "skip"
    }

    /// Whether the kernel did what the model predicts: a pass, or an
    /// xfail (a known defect the model predicts, or a listed divergence).
    pub fn as_predicted(&self) -> bool {
        self.status == "pass" || self.status == "xfail"
    }
}

/// Outcome counts.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Passed.
    #[serde(default)]
    pub pass: usize,
    /// Failed.
    #[serde(default)]
    pub fail: usize,
    /// Expected failures.
    #[serde(default)]
    pub xfail: usize,
    /// Skipped.
    #[serde(default)]
    pub skip: usize,
    /// Errors.
    #[serde(default)]
    pub error: usize,
}

impl Counts {
    /// The kselftest status these counts mean.
    pub fn status(&self) -> i32 {
        if self.fail + self.error > 0 {
            crate::status::FAIL
        } else if self.pass + self.xfail == 0 {
            crate::status::SKIP
        } else {
            crate::status::PASS
        }
    }
}

impl SuiteReport {
    /// Parses a report; `what` names it in errors.
    pub fn parse(bytes: &[u8], what: &str) -> Result<SuiteReport, VmError> {
        from_serial(bytes, what)
    }
}

/// A JSON document as a guest's serial port (or a child's stdout) carries
/// it: from its first `{`; `what` names it in errors.
pub(crate) fn from_serial<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T, VmError> {
    // A serial port may turn "\n" into "\r\n"; JSON ignores the "\r".
    let text = String::from_utf8_lossy(bytes);
    let start = text.find('{').unwrap_or(0);
    serde_json::from_str(text.get(start..).unwrap_or_default()).map_err(|e| VmError::Report {
        what: what.to_owned(),
        detail: format!("{e} (report {} bytes)", bytes.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_read_with_carriage_returns() {
        let json = "\r\n{\"schema_version\":1,\"environment\":{\"status\":\"available\",\"kernel_release\":\"6.1.0\",\"semantics\":\"linux-legacy\",\"implied_semantics\":\"linux-legacy\"},\r\n\
            \"cases\":[{\"id\":\"a/b/ipv4\",\"status\":\"fail\",\"reason\":\"r\",\"expected\":\"x\",\"observed\":\"y\"}],\
            \"total\":{\"pass\":0,\"fail\":1,\"xfail\":0,\"skip\":0,\"error\":0},\"duration_ms\":1500.0}";
        let r = SuiteReport::parse(json.as_bytes(), "t").expect("parses");
        assert_eq!(r.environment.expect("ok").semantics, "linux-legacy");
        assert_eq!(r.cases.len(), 1);
        assert_eq!(r.total.status(), crate::status::FAIL);
    }

    #[test]
    fn an_environment_without_support_is_its_reason() {
        for (status, want) in [
            ("unsupported", "no CONFIG_TCP_MD5SIG"),
            (
                "probe-failed",
                "environment probe failed: no CONFIG_TCP_MD5SIG",
            ),
        ] {
            let json = format!(
                "{{\"environment\":{{\"status\":\"{status}\",\"reason\":\"no CONFIG_TCP_MD5SIG\"}},\"cases\":[]}}"
            );
            let r = SuiteReport::parse(json.as_bytes(), "t").expect("parses");
            assert_eq!(r.environment.expect_err("no environment"), want);
        }
    }

    #[test]
    fn nothing_ran_is_not_a_pass() {
        let c = Counts {
            skip: 3,
            ..Counts::default()
        };
        assert_eq!(c.status(), crate::status::SKIP);
        assert_eq!(Counts::default().status(), crate::status::SKIP);
    }
}
