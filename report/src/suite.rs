//! The whole run: the JSON document the suite writes with `--format json`
//! and the kernel matrix reads back.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{
    CaseReport, Counts, DefectFinding, DeviationGroup, Environment, ExitStatus, Unavailable,
};

/// Version of the JSON report's shape, `schema_version` in it (bumped on
/// every change of a field). 3: a case's typed `steps`.
pub const SCHEMA_VERSION: u32 = 3;

/// What a run amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunResult {
    /// Every case that ran passed (or failed as expected), and one did run.
    Pass,
    /// A case failed, or the harness could not decide one.
    Fail,
    /// No case ran: every one was skipped.
    NothingRan,
}

impl RunResult {
    /// What `counts` amount to.
    pub fn of(counts: &Counts) -> RunResult {
        match counts.exit_status() {
            ExitStatus::Pass => RunResult::Pass,
            ExitStatus::Fail => RunResult::Fail,
            ExitStatus::Skip => RunResult::NothingRan,
        }
    }

    /// The process's exit status.
    pub fn exit_status(self) -> ExitStatus {
        match self {
            RunResult::Pass => ExitStatus::Pass,
            RunResult::Fail => ExitStatus::Fail,
            RunResult::NothingRan => ExitStatus::Skip,
        }
    }
}

/// A suite run's report (`report/report.schema.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteReport {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The writing program's package name.
    pub tool: String,
    /// Its version.
    pub version: String,
    /// The probed environment, or why no case could run.
    #[serde(with = "crate::environment::tagged")]
    pub environment: Result<Environment, Unavailable>,
    /// What the run amounts to.
    pub result: RunResult,
    /// The process's exit status.
    pub exit_status: ExitStatus,
    /// Wall time.
    #[serde(rename = "duration_ms", with = "crate::case::millis")]
    pub duration: Duration,
    /// Overall counts.
    pub total: Counts,
    /// Counts per area.
    pub areas: BTreeMap<String, Counts>,
    /// Counts per family.
    pub families: BTreeMap<String, Counts>,
    /// What the run found about each known defect (none without a kernel).
    pub known_defects: Vec<DefectFinding>,
    /// Where the held semantics departs from RFC 2385 on the cases' segments.
    pub rfc2385_deviations: Vec<DeviationGroup>,
    /// Every case.
    pub cases: Vec<CaseReport>,
}
