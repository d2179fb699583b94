//! How a suite run's report is written (`--format`), for the suite and for
//! `vm`, which passes it on to the suite in the guest.

use std::fmt;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// Text for people: one line per case, a summary, every divergence explained.
    #[default]
    Human,
    /// JSON as described by report/report.schema.json.
    Json,
    /// KTAP version 1, for kernel CI systems (KernelCI, LKFT).
    Ktap,
    /// JUnit XML, for CI systems that read it (GitLab, Jenkins).
    Junit,
}

impl Format {
    /// The name on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Ktap => "ktap",
            Format::Junit => "junit",
        }
    }

    /// Whether a program reads it (the report must come through clean,
    /// apart from the console).
    pub fn is_machine_read(self) -> bool {
        self != Format::Human
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// `--semantics ID`: a semantics the model knows, its ids listed in `--help`.
#[cfg(feature = "clap")]
pub fn semantics_parser() -> impl clap::builder::TypedValueParser<Value = tcpmd5::Semantics> {
    use clap::builder::{PossibleValuesParser, TypedValueParser as _};
    use tcpmd5::Semantics;
    PossibleValuesParser::new(Semantics::known().map(Semantics::id))
        .try_map(|id| Semantics::from_id(&id).ok_or_else(|| format!("unknown semantics {id}")))
}
