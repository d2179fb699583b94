//! The one writer (and reader) of vector records: hex byte strings, the
//! names of scans and verdicts, and digest vectors. The crafted generator
//! (`tests/vectors/generate.rs`) and the kernel capture
//! (`tcpmd5-conformance capture-vectors`) both write through it, so the two
//! files spell everything the same way.

use core::fmt;

use serde_json::{Map, Value, json};
use tcpmd5::digest::DigestError;
use tcpmd5::scan::AuthScan;
use tcpmd5::verdict::{Acceptance, VerdictId};
use tcpmd5::wire::{IpSegment, WireError};
use tcpmd5::{AddrPair, Family, Key, KeyTable, KeyTableError, Md5SigRequest, Semantics, Verdict};

/// Lowercase hex, as every byte string in the vectors.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .filter_map(|nibble| char::from_digit(u32::from(nibble), 16))
        .collect()
}

/// The bytes of a hex string, `None` if it is not one.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// `ipv4` or `ipv6`.
pub fn family_id(addrs: &AddrPair) -> &'static str {
    match addrs.family() {
        Family::V4 => "ipv4",
        Family::V6 => "ipv6",
    }
}

/// `(class, offset)` of a scan: `md5`/`ao` at an offset, `absent`, `malformed`.
pub fn scan_class(scan: AuthScan<'_>) -> (&'static str, Option<usize>) {
    match scan {
        AuthScan::Md5 { offset, .. } => ("md5", Some(offset)),
        AuthScan::Ao { offset, .. } => ("ao", Some(offset)),
        AuthScan::Absent(_) => ("absent", None),
        AuthScan::Malformed(_) => ("malformed", None),
    }
}

/// A verdict as the vectors write it: `{"verdict": <id>}`, and for an
/// accept its `"acceptance"`.
pub fn verdict_fields(v: Verdict) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("verdict".to_owned(), v.id().to_string().into());
    if let Some(a) = v.acceptance() {
        m.insert("acceptance".to_owned(), a.id().into());
    }
    m
}

/// The verdict written by [`verdict_fields`], `None` if `fields` is not one.
pub fn read_verdict(fields: &Value) -> Option<Verdict> {
    let id: VerdictId = fields.get("verdict")?.as_str()?.parse().ok()?;
    Some(match id {
        VerdictId::Drop(r) => Verdict::Drop(r),
        VerdictId::Accept => {
            Verdict::Accept(Acceptance::from_id(fields.get("acceptance")?.as_str()?)?)
        }
    })
}

/// Why a record cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The packet does not parse.
    Wire(WireError),
    /// The library refuses the receiver's key.
    Key(KeyTableError),
    /// The digest cannot be computed.
    Digest(DigestError),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Wire(e) => write!(f, "packet: {e}"),
            RecordError::Key(e) => write!(f, "receiver key: {e}"),
            RecordError::Digest(e) => write!(f, "digest: {e}"),
        }
    }
}

impl std::error::Error for RecordError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RecordError::Wire(e) => Some(e),
            RecordError::Key(e) => Some(e),
            RecordError::Digest(e) => Some(e),
        }
    }
}

/// The key table of a receiver holding `key` (or none) for `packet`'s source.
pub fn receiver_table(packet: &[u8], key: Option<&Key>) -> Result<KeyTable, RecordError> {
    let mut table = KeyTable::new();
    if let Some(key) = key {
        let src = IpSegment::parse(packet)
            .map_err(RecordError::Wire)?
            .addrs
            .src();
        table
            .apply(
                Family::of(&src),
                &Md5SigRequest::add(src, key),
                &[] as &[(i32, bool)],
            )
            .map_err(RecordError::Key)?;
    }
    Ok(table)
}

/// The verdict under every semantics of a receiver holding `key` (or none)
/// for `packet`'s source, in [`Semantics::ALL`] order.
pub fn verdicts(
    packet: &[u8],
    key: Option<&Key>,
) -> Result<Vec<(Semantics, Verdict)>, RecordError> {
    let table = receiver_table(packet, key)?;
    Semantics::ALL
        .into_iter()
        .map(|s| {
            tcpmd5::packet_verdict(packet, &table, 0, s)
                .map(|v| (s, v))
                .map_err(RecordError::Wire)
        })
        .collect()
}

/// `{<semantics id>: <verdict fields>}` for [`verdicts`].
pub fn expected_verdicts(packet: &[u8], key: Option<&Key>) -> Result<Value, RecordError> {
    Ok(Value::Object(
        verdicts(packet, key)?
            .into_iter()
            .map(|(s, v)| (s.id().to_owned(), Value::Object(verdict_fields(v))))
            .collect(),
    ))
}

/// What a digest vector says besides what is computed from its packet.
#[derive(Debug, Clone)]
pub struct DigestVector<'a> {
    /// The stable id.
    pub id: &'a str,
    /// What it exercises.
    pub comment: &'a str,
    /// `{"kind": ...}` (see `vectors/README.md`).
    pub provenance: Value,
    /// `syn`, `syn-ack`, `ack`, `data`, `fin`, `rst`, `time-wait-ack`.
    pub segment: &'a str,
    /// The whole IP packet.
    pub packet: &'a [u8],
    /// The key the receiver holds for the packet's source.
    pub key: &'a Key,
}

impl DigestVector<'_> {
    /// The record: the fields above, the family, the digest of the packet
    /// under the key and the verdict under every semantics.
    pub fn record(&self) -> Result<Value, RecordError> {
        let seg = IpSegment::parse(self.packet).map_err(RecordError::Wire)?;
        let digest = tcpmd5::segment_digest(&seg.addrs, seg.segment, self.key)
            .map_err(RecordError::Digest)?;
        Ok(json!({
            "id": self.id,
            "comment": self.comment,
            "provenance": self.provenance,
            "family": family_id(&seg.addrs),
            "segment": self.segment,
            "packet": hex(self.packet),
            "key": hex(self.key.as_bytes()),
            "digest": hex(&digest),
            "expected": expected_verdicts(self.packet, Some(self.key))?,
        }))
    }
}

/// A record file as committed: pretty JSON and a final newline.
pub fn render(file: &Value) -> String {
    let mut s = serde_json::to_string_pretty(file).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcpmd5::DropReason;

    #[test]
    fn hex_round_trips_and_rejects() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(unhex("00ab10"), Some(vec![0, 0xab, 0x10]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn verdict_fields_round_trip() {
        let all = Acceptance::ALL
            .map(Verdict::Accept)
            .into_iter()
            .chain(DropReason::ALL.map(Verdict::Drop));
        for v in all {
            let fields = Value::Object(verdict_fields(v));
            assert_eq!(read_verdict(&fields), Some(v), "{fields}");
        }
        assert_eq!(read_verdict(&json!({"verdict": "accept"})), None);
    }
}
