//! What a capture wrote.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::KeyReplay;

/// What [`capture`](super::capture) wrote.
#[derive(Debug, Clone, Default)]
pub struct CaptureSummary {
    /// `uname -r` of the kernel the vectors came from.
    pub kernel: String,
    /// The file written.
    pub file: PathBuf,
    /// Vectors written.
    pub vectors: usize,
    /// Vectors per segment kind (`syn`, `syn-ack`, `ack`, `data`, ...).
    pub by_segment: BTreeMap<String, usize>,
    /// Vectors per family and key name.
    pub by_family_key: BTreeMap<String, usize>,
    /// Segments the scenarios expected but the kernel did not send.
    pub missing: Vec<String>,
    /// Kernel-signed segments the library does not accept under RFC 2385
    /// (should be empty).
    pub disagreements: Vec<String>,
    /// Kernel segments the peer verified as it saw them (each captured
    /// vector's segment among them).
    pub peer_verified: usize,
    /// The key vectors (`keys/*.json`) replayed on live sockets.
    pub keys: KeyReplay,
}

impl fmt::Display for CaptureSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "kernel {}: {} vectors -> {}",
            self.kernel,
            self.vectors,
            self.file.display()
        )?;
        writeln!(f, "by segment: {:?}", self.by_segment)?;
        writeln!(f, "by family/key: {:?}", self.by_family_key)?;
        if !self.missing.is_empty() {
            writeln!(f, "missing ({}): {:?}", self.missing.len(), self.missing)?;
        }
        writeln!(
            f,
            "library disagreements: {} {:?}",
            self.disagreements.len(),
            self.disagreements
        )?;
        writeln!(
            f,
            "kernel segments verified by the peer: {}",
            self.peer_verified
        )?;
        write!(f, "{}", self.keys)
    }
}

impl fmt::Display for KeyReplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key vectors replayed live: {} requests ({} skipped: VRF), {} lookups ({} skipped: VRF or another family), mismatches: {:?}",
            self.requests_checked,
            self.requests_skipped,
            self.lookups_checked,
            self.lookups_skipped,
            self.mismatches
        )
    }
}
