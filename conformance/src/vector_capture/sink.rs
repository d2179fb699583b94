//! The captured vectors, written through the test kit's record writer.

use serde_json::{Value, json};
use tcpmd5::wire::IpSegment;
use tcpmd5::{Acceptance, Family, Semantics, Verdict};
use tcpmd5_testkit::record::{self, DigestVector};
use tcpmd5_testkit::vector_keys::VectorKey;

use super::summary::CaptureSummary;

/// A kernel release as it may appear in ids and file names
/// (`[a-z0-9._-]`, anything else becomes `-`).
pub(super) fn id_safe(release: &str) -> String {
    release
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Accumulates vectors.
pub(super) struct Sink {
    pub(super) kernel: String,
    pub(super) vectors: Vec<Value>,
    pub(super) summary: CaptureSummary,
}

impl Sink {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push(
        &mut self,
        family: Family,
        role: &str,
        key: &VectorKey,
        step: usize,
        segment: &str,
        comment: &str,
        packet: &[u8],
    ) {
        let fam = match family {
            Family::V4 => "v4",
            Family::V6 => "v6",
        };
        let payload = IpSegment::parse(packet).map_or(0, |s| s.tcp().payload().len());
        let id = format!(
            "kernel-{}/{fam}-{role}-{}-{step:02}-{segment}-p{payload}",
            id_safe(&self.kernel),
            key.name
        );
        let comment = format!(
            "{comment}; {} ({})",
            key.what,
            if family == Family::V4 { "IPv4" } else { "IPv6" }
        );
        let vector = DigestVector {
            id: &id,
            comment: &comment,
            provenance: json!({
                "kind": "kernel",
                "kernel": self.kernel,
                "generator": "conformance/src/vector_capture.rs",
                "scenario": role,
            }),
            segment,
            packet,
            key: &key.key,
        };
        let record = match vector.record() {
            Ok(record) => record,
            Err(e) => {
                self.summary.disagreements.push(format!("{id}: {e}"));
                return;
            }
        };
        match record::verdicts(packet, Some(&key.key)) {
            Ok(v) => {
                for (s, v) in v {
                    if s == Semantics::Rfc2385 && v != Verdict::Accept(Acceptance::Signed) {
                        self.summary
                            .disagreements
                            .push(format!("{id}: library says {v}"));
                    }
                }
            }
            Err(e) => self.summary.disagreements.push(format!("{id}: {e}")),
        }
        self.vectors.push(record);
        *self
            .summary
            .by_segment
            .entry(segment.to_owned())
            .or_default() += 1;
        *self
            .summary
            .by_family_key
            .entry(format!("{fam}/{}", key.name))
            .or_default() += 1;
    }
}
