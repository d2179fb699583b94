//! The AO vectors as written (`vectors/schema.json`, `ao_vector`), typed:
//! the guest sends its [`AoCapture`] back over a serial port as JSON and
//! the host reads it with these same types.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What a capture produced: the vectors and what went wrong.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AoCapture {
    /// `uname -r` of the kernel that signed the segments.
    pub kernel: String,
    /// SHA-256 of its configuration (`/proc/config.gz`, uncompressed), when
    /// the kernel has `CONFIG_IKCONFIG_PROC`.
    pub config_sha256: Option<String>,
    /// Connections run.
    pub connections: usize,
    /// Every kernel-signed segment.
    pub vectors: Vec<AoVector>,
    /// Segments a connection should have had but did not (by connection).
    pub missing: Vec<String>,
    /// Segments the model does not verify, or whose KeyIDs or checksum are
    /// not what the MKTs say (should be empty); each is still a vector.
    pub disagreements: Vec<String>,
}

/// A segment kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SegmentKind {
    /// SYN without ACK.
    Syn,
    /// SYN and ACK.
    SynAck,
    /// An ACK without data, FIN or RST.
    Ack,
    /// Payload, no FIN.
    Data,
    /// FIN.
    Fin,
    /// RST.
    Rst,
}

impl SegmentKind {
    /// Every kind a connection of the capture must show.
    pub const ALL: [SegmentKind; 6] = [
        SegmentKind::Syn,
        SegmentKind::SynAck,
        SegmentKind::Ack,
        SegmentKind::Data,
        SegmentKind::Fin,
        SegmentKind::Rst,
    ];

    /// The id in vectors (`syn-ack`).
    pub fn id(self) -> &'static str {
        match self {
            SegmentKind::Syn => "syn",
            SegmentKind::SynAck => "syn-ack",
            SegmentKind::Ack => "ack",
            SegmentKind::Data => "data",
            SegmentKind::Fin => "fin",
            SegmentKind::Rst => "rst",
        }
    }
}

/// Which of RFC 5925 §5.2's traffic keys signs a segment, from the
/// client's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrafficKeyKind {
    /// The client's SYN.
    SendSyn,
    /// A SYN the server sends (simultaneous open; never here).
    ReceiveSyn,
    /// Every other client segment.
    SendOther,
    /// Every other server segment, SYN-ACK included.
    ReceiveOther,
}

/// Where a vector came from: the kernel, captured on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Provenance {
    /// Sent by a kernel socket.
    Kernel {
        /// `uname -r`.
        kernel: String,
        /// SHA-256 of the kernel's configuration, when it exposes it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        config_sha256: Option<String>,
        /// The code that captured it.
        generator: String,
        /// The connection (row and family) it belongs to.
        scenario: String,
    },
}

/// One kernel-signed AO segment with what a receiver needs to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AoVector {
    /// Stable within one capture: `kernel-<release>/ao-<family>-<row>/<end>-<n>-<kind>`.
    pub id: String,
    /// What it is.
    pub comment: String,
    /// The kernel.
    pub provenance: Provenance,
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// The segment kind.
    pub segment: SegmentKind,
    /// `hmac-sha1` or `aes-cmac`.
    pub algorithm: String,
    /// The MKT's secret, hex.
    pub master_key: String,
    /// The option's KeyID.
    pub key_id: u8,
    /// The option's RNextKeyID.
    pub rnext_key_id: u8,
    /// `included` or `excluded`.
    pub options: String,
    /// Which traffic key signs it.
    pub traffic_key_kind: TrafficKeyKind,
    /// The sender's ISN.
    pub src_isn: u32,
    /// The receiver's ISN (0 for a SYN).
    pub dst_isn: u32,
    /// The sequence number extension of the MAC input.
    pub sne: u32,
    /// The whole IP packet, hex.
    pub packet: String,
    /// The traffic key (the model's KDF), hex.
    pub traffic_key: String,
    /// The MAC the packet carries, hex.
    pub mac: String,
}

/// The vector file (`{"group": "ao", ...}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AoVectorFile {
    /// Always `ao`.
    pub group: String,
    /// Where the file comes from.
    pub description: String,
    /// The vectors.
    pub vectors: Vec<AoVector>,
}

impl AoCapture {
    /// Whether every connection showed every segment kind and the model
    /// verified every segment.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.disagreements.is_empty() && !self.vectors.is_empty()
    }

    /// The file the vectors are written as.
    pub fn file(&self) -> AoVectorFile {
        let config = self
            .config_sha256
            .as_deref()
            .map_or(String::new(), |c| format!(", configuration SHA-256 {c}"));
        AoVectorFile {
            group: "ao".to_owned(),
            description: format!(
                "TCP-AO segments signed by the Linux kernel {}{config}: two kernel sockets with AO keys on both ends over a veth, each segment captured as the other end received it (conformance/src/vector_capture/ao, regenerated by ci/regen/ao-vectors.sh; never edited by hand).",
                self.kernel
            ),
            vectors: self.vectors.clone(),
        }
    }

    /// Vector counts by `family/algorithm/options` and by segment kind.
    pub fn counts(&self) -> (BTreeMap<String, usize>, BTreeMap<&'static str, usize>) {
        let mut by_mkt = BTreeMap::new();
        let mut by_kind = BTreeMap::new();
        for v in &self.vectors {
            *by_mkt
                .entry(format!("{}/{}/{}", v.family, v.algorithm, v.options))
                .or_default() += 1;
            *by_kind.entry(v.segment.id()).or_default() += 1;
        }
        (by_mkt, by_kind)
    }
}

impl fmt::Display for AoCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (by_mkt, by_kind) = self.counts();
        writeln!(
            f,
            "kernel {}: {} AO vectors from {} connections",
            self.kernel,
            self.vectors.len(),
            self.connections
        )?;
        writeln!(f, "by family/algorithm/options: {by_mkt:?}")?;
        writeln!(f, "by segment: {by_kind:?}")?;
        writeln!(f, "missing ({}): {:?}", self.missing.len(), self.missing)?;
        write!(
            f,
            "model disagreements ({}): {:?}",
            self.disagreements.len(),
            self.disagreements
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn checked_in() -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../vectors/ao/linux-6.12-tcp-ao.json");
        std::fs::read_to_string(path).expect("the checked-in AO vectors")
    }

    /// The checked-in file reads into these types and writes back byte for
    /// byte as `write_file` writes it: it is the capture's output, not
    /// edited.
    #[test]
    fn the_checked_in_file_is_what_the_writer_writes() {
        let text = checked_in();
        let file: AoVectorFile = serde_json::from_str(&text).unwrap();
        assert_eq!(file.group, "ao");
        let mut again = serde_json::to_string_pretty(&file).unwrap();
        again.push('\n');
        assert!(
            again == text,
            "the file differs from what the writer writes"
        );
    }

    /// What crosses the serial port comes back as it left.
    #[test]
    fn a_capture_round_trips_through_json() {
        let file: AoVectorFile = serde_json::from_str(&checked_in()).unwrap();
        let capture = AoCapture {
            kernel: "6.12.118".to_owned(),
            config_sha256: Some("00".repeat(32)),
            connections: 1,
            vectors: file.vectors.into_iter().take(3).collect(),
            missing: vec!["ao-v4-x: no rst".to_owned()],
            disagreements: Vec::new(),
        };
        let json = serde_json::to_string(&capture).unwrap();
        let back: AoCapture = serde_json::from_str(&json).unwrap();
        assert_eq!(back, capture);
        assert!(!back.is_clean(), "a missing segment is not clean");
        let (by_mkt, by_kind) = back.counts();
        assert_eq!(by_mkt.values().sum::<usize>(), 3);
        assert_eq!(by_kind.values().sum::<usize>(), 3);
    }
}
