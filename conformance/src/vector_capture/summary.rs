//! What a capture wrote.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

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
    /// Key-vector requests (`keys/*.json`) replayed on a live socket.
    pub key_requests_checked: usize,
    /// Key-vector requests skipped (VRF-bound: the lab has no VRF).
    pub key_requests_skipped: usize,
    /// Key-vector requests whose live result differs from the vector.
    pub key_request_mismatches: Vec<String>,
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
        write!(
            f,
            "key requests replayed live: {} checked, {} skipped (VRF), mismatches: {:?}",
            self.key_requests_checked, self.key_requests_skipped, self.key_request_mismatches
        )
    }
}
