//! What the suite probed about the kernel, or why it could not: the
//! report's `environment`, tagged by its `status` (`available`,
//! `unsupported`, `probe-failed`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tcpmd5::Semantics;

/// The probed facts about a kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// `uname -r`.
    pub kernel_release: String,
    /// (major, minor) parsed from the release.
    #[serde(skip)]
    pub kernel_version: Option<(u32, u32)>,
    /// How the suite gets its namespaces (`root` or `rootless`).
    pub privilege: String,
    /// Whether the kernel has IPv6.
    pub ipv6: bool,
    /// Whether the kernel was built with `CONFIG_TCP_AO` (TCP_AO_ADD_KEY exists).
    pub tcp_ao: bool,
    /// Whether VRF devices can exist (`CONFIG_NET_VRF`); `None` when unknown.
    pub vrf: Option<bool>,
    /// `None` when the tcp:tcp_hash_* tracepoints can be read; else why not.
    pub tracing_unavailable: Option<String>,
    /// The semantics every case is judged against.
    #[serde(with = "crate::ids::semantics")]
    pub semantics: Semantics,
    /// Where [`Environment::semantics`] comes from.
    pub semantics_source: SemanticsSource,
    /// Why that semantics, in a sentence.
    pub semantics_reason: String,
    /// The semantics the kernel's version and configuration imply.
    #[serde(with = "crate::ids::semantics")]
    pub implied_semantics: Semantics,
    /// The semantics whose predictions match what the kernel did with the
    /// probe segments (the `semantics/probes` case holds this against
    /// [`Environment::semantics`]).
    #[serde(with = "crate::ids::semantics_list")]
    pub observed_semantics: Vec<Semantics>,
    /// Each probe segment and what the kernel did with it.
    pub semantics_probes: Vec<String>,
}

/// Where the semantics a run holds the kernel to comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SemanticsSource {
    /// The kernel's version and `CONFIG_TCP_AO`.
    KernelVersion,
    /// The release could not be parsed: the current parser is assumed.
    AssumedCurrent,
    /// `--semantics` on the command line.
    CommandLine,
}

impl Environment {
    /// Holds the kernel to `semantics` instead of the implied one (`--semantics`).
    pub fn hold_to(&mut self, semantics: Semantics) {
        self.semantics_reason = format!(
            "--semantics {}: the kernel is held to that model instead of {}, which its version implies",
            semantics.id(),
            self.implied_semantics.id()
        );
        self.semantics = semantics;
        self.semantics_source = SemanticsSource::CommandLine;
    }
}

/// Why no case can run here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// A real absence of support (no `CONFIG_TCP_MD5SIG`, no privilege for
    /// namespaces at all): every case is skipped with this reason.
    Unsupported(String),
    /// The harness failed while probing (no lab namespace, barrier lost,
    /// listener not created): every case is an error with this cause.
    ProbeFailed(String),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::Unsupported(why) => f.write_str(why),
            Unavailable::ProbeFailed(why) => write!(f, "environment probe failed: {why}"),
        }
    }
}

impl std::error::Error for Unavailable {}

/// The JSON shape: tagged by `status`, never a Rust `Result`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
enum Tagged<E> {
    Available(E),
    Unsupported { reason: String },
    ProbeFailed { reason: String },
}

/// `Result<Environment, Unavailable>` as the report's `environment`.
pub(crate) mod tagged {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        env: &Result<Environment, Unavailable>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match env {
            Ok(env) => Tagged::Available(env),
            Err(Unavailable::Unsupported(reason)) => Tagged::Unsupported {
                reason: reason.clone(),
            },
            Err(Unavailable::ProbeFailed(reason)) => Tagged::ProbeFailed {
                reason: reason.clone(),
            },
        }
        .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Environment, Unavailable>, D::Error> {
        Ok(match Tagged::<Environment>::deserialize(d)? {
            Tagged::Available(env) => Ok(env),
            Tagged::Unsupported { reason } => Err(Unavailable::Unsupported(reason)),
            Tagged::ProbeFailed { reason } => Err(Unavailable::ProbeFailed(reason)),
        })
    }
}

/// The report's `environment` object alone, for a caller that writes it
/// by itself (`probe --format json`).
#[derive(Debug, Clone, Copy)]
pub struct EnvironmentJson<'a>(pub &'a Result<Environment, Unavailable>);

impl Serialize for EnvironmentJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        tagged::serialize(self.0, s)
    }
}
