//! The conformance suite's report as a contract between processes: the
//! suite (`tcpmd5-conformance`) writes a [`SuiteReport`] as JSON
//! (`report/report.schema.json`, version [`SCHEMA_VERSION`]) and the kernel
//! matrix (`tcpmd5-vm`) reads it back into the same types. A verdict stays
//! a [`tcpmd5::VerdictId`] and a semantics a [`tcpmd5::Semantics`] on both
//! sides; the text in a report is for people and is never parsed back.
//!
//! The differential's report is [`differential::Report`]
//! (`report/differential.schema.json`). Also here, so that each is written once: the KTAP writer ([`ktap`]) and
//! kselftest's exit statuses ([`ExitStatus`]).

mod case;
mod defect;
mod deviation;
pub mod differential;
mod environment;
mod format;
pub mod ids;
mod kselftest;
pub mod ktap;
mod outcome;
mod step;
mod suite;

pub use case::CaseReport;
pub use defect::{DefectFinding, DefectStatus, KnownDefect};
pub use deviation::{DeviationGroup, Impact};
pub use environment::{Environment, EnvironmentJson, SemanticsSource, Unavailable};
pub use format::Format;
#[cfg(feature = "clap")]
pub use format::semantics_parser;
pub use kselftest::ExitStatus;
pub use outcome::{Counts, Outcome, Status};
pub use step::{Behaviour, Labelled, Step, Steps};
pub use suite::{RunResult, SCHEMA_VERSION, SuiteReport};
