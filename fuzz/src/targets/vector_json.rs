//! `vector_json`: a vector file (`vectors/**/*.json`) as a reader of it
//! would take it in. Every `packet`, `area` and `key` hex string, wherever it
//! is nested, goes to the library function that consumes it, and every
//! semantics id an `expected` object names goes through `Semantics::from_id`:
//!
//! - a key is accepted exactly when it has 1 to 80 bytes;
//! - an `area` is checked as by `auth_scan`;
//! - a `packet` that parses is checked as by `verdict`, with the record's
//!   key (when valid) held by the receiver for the packet's source, and its
//!   digest equals the RFC 2385 digest;
//! - a verdict id names a semantics exactly when it is the id of one the
//!   model knows, released or proposed (`Semantics::known`);
//! - a TCP-AO record's master key, algorithm, coverage, ISNs and SNE with
//!   its packet go through `ao_mac`.
//!
//! No reader in the library parses JSON (the vectors' readers are test
//! code); this holds what they rely on to the same checks as the byte-level
//! targets.

use serde_json::{Map, Value};
use tcpmd5::key_table::Md5SigRequest;
use tcpmd5::wire::IpSegment;
use tcpmd5::{Checksums, Family, Key, KeyTable, Semantics, packet_verdict_with, segment_digest};

use super::auth_scan;
use super::context::assert_context;
use super::keyed::model_verdict;
use crate::digest_model::rfc2385_digest;
use crate::key_model::ModelTable;

/// Lower- or upper-case hex digits, two per byte, nothing else.
fn unhex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = core::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

fn hex_field(record: &Map<String, Value>, name: &str) -> Option<Vec<u8>> {
    record.get(name).and_then(Value::as_str).and_then(unhex)
}

/// The entry point: any bytes; those that are JSON are walked.
pub fn run(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    walk(&doc);
}

fn walk(value: &Value) {
    match value {
        Value::Array(items) => items.iter().for_each(walk),
        Value::Object(record) => {
            check_record(record);
            record.values().for_each(walk);
        }
        _ => {}
    }
}

fn check_record(record: &Map<String, Value>) {
    let key = hex_field(record, "key").map(|bytes| {
        let key = Key::new(&bytes);
        assert_eq!(key.is_ok(), (1..=80).contains(&bytes.len()));
        if let Err(e) = &key {
            assert_context(e);
        }
        key
    });
    if let Some(area) = hex_field(record, "area") {
        auth_scan::run(&area);
    }
    if let Some(Value::Object(verdicts)) = record.get("expected") {
        for id in verdicts.keys() {
            let named = Semantics::from_id(id);
            let known = Semantics::known().any(|s| s.id() == id);
            assert_eq!(named.is_some(), known, "{id:?}");
            assert_eq!(named.map(Semantics::id), known.then_some(id.as_str()));
        }
    }
    let Some(packet) = hex_field(record, "packet") else {
        return;
    };
    ao_record(record, &packet);
    let Ok(located) = IpSegment::parse(&packet) else {
        return;
    };
    let key = key.and_then(Result::ok);
    let mut table = KeyTable::new();
    let mut model = ModelTable::default();
    if let Some(k) = &key {
        let peer = match located.addrs.src() {
            core::net::IpAddr::V4(a) => core::net::IpAddr::V6(a.to_ipv6_mapped()),
            v6 => v6,
        };
        let request = Md5SigRequest::add(peer, k);
        let devices: &[(i32, bool)] = &[];
        assert!(table.apply(Family::V6, &request, devices).is_ok());
        model.apply(Family::V6, &request, devices);
        let digest = segment_digest(&located.addrs, located.segment, k).ok();
        assert_eq!(
            digest,
            rfc2385_digest(&located.addrs, located.segment, k.as_bytes())
        );
    }
    for semantics in Semantics::ALL {
        // The MD5 stage only: the model below has no checksum stage.
        let verdict =
            packet_verdict_with(&packet, &table, 0, semantics, Checksums::Skip).expect("parses");
        assert_eq!(
            verdict,
            model_verdict(semantics, &located, &model, 0),
            "{semantics}"
        );
    }
}

/// A TCP-AO record (`vectors/ao/`): its master key, algorithm, option
/// coverage, ISNs and SNE with its packet, through `ao_mac` (the library's
/// KDF and MAC against the independent model).
fn ao_record(record: &Map<String, Value>, packet: &[u8]) {
    let Some(master) = hex_field(record, "master_key") else {
        return;
    };
    let num = |name: &str| {
        record
            .get(name)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    let hmac = record.get("algorithm").and_then(Value::as_str) == Some("hmac-sha1");
    let excluded = record.get("options").and_then(Value::as_str) == Some("excluded");
    let mut input = vec![u8::from(hmac) | (u8::from(excluded) << 1)];
    input.extend_from_slice(&num("sne").to_be_bytes());
    input.extend_from_slice(&num("src_isn").to_be_bytes());
    input.extend_from_slice(&num("dst_isn").to_be_bytes());
    let master = &master[..master.len().min(80)];
    input.push(u8::try_from(master.len()).unwrap_or(80));
    input.extend_from_slice(master);
    input.extend_from_slice(packet);
    super::ao_mac::run(&input);
}

#[cfg(test)]
mod tests {
    use super::unhex;

    #[test]
    fn hex_is_strict() {
        assert_eq!(unhex("00ff1A"), Some(vec![0, 0xff, 0x1a]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("+1"), None);
    }
}
