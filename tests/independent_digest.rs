//! A second RFC 2385 digest, written from the RFC's section 2.0 and nothing
//! else (no code of this crate), deliberately simple: the packet is taken
//! apart by hand, the hashed bytes are laid out in one buffer, and MD5 is
//! the `md-5` crate's. Every digest vector must agree with it, so the
//! vectors are not only compared with the library that made them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fs;
use std::path::Path;

use md5::{Digest as _, Md5};
use serde_json::Value;

fn unhex(s: &str) -> Vec<u8> {
    tcpmd5_testkit::record::unhex(s).expect("hex")
}

fn be16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

/// The pseudo-header and the TCP segment of an IPv4 or IPv6 packet.
fn split(packet: &[u8]) -> (Vec<u8>, &[u8]) {
    match packet[0] >> 4 {
        4 => {
            let ihl = usize::from(packet[0] & 0x0f) * 4;
            let total = be16(packet, 2);
            let tcp = &packet[ihl..total];
            // Source, destination, a zero byte, protocol 6, TCP length.
            let mut pseudo = packet[12..20].to_vec();
            pseudo.extend([0, 6]);
            pseudo.extend((tcp.len() as u16).to_be_bytes());
            (pseudo, tcp)
        }
        6 => {
            let end = 40 + be16(packet, 4);
            let (mut next, mut at) = (packet[6], 40);
            // Hop-by-hop, routing, destination options: (length + 1) * 8;
            // fragment: 8.
            while next != 6 {
                let len = match next {
                    0 | 43 | 60 => (usize::from(packet[at + 1]) + 1) * 8,
                    44 => 8,
                    other => panic!("next header {other}"),
                };
                next = packet[at];
                at += len;
            }
            let tcp = &packet[at..end];
            // RFC 2460 8.1: source, destination, 32-bit upper-layer length,
            // three zero bytes, next header 6.
            let mut pseudo = packet[8..40].to_vec();
            pseudo.extend((tcp.len() as u32).to_be_bytes());
            pseudo.extend([0, 0, 0, 6]);
            (pseudo, tcp)
        }
        v => panic!("IP version {v}"),
    }
}

/// RFC 2385 2.0: MD5 of the pseudo-header, the TCP header without options
/// and with a zero checksum, the segment data, and the key. Returns the
/// digest and the hashed bytes without the key.
fn rfc2385_digest(packet: &[u8], key: &[u8]) -> ([u8; 16], Vec<u8>) {
    let (pseudo, tcp) = split(packet);
    let data_offset = usize::from(tcp[12] >> 4) * 4;
    let mut input = pseudo;
    input.extend(&tcp[..16]);
    input.extend([0, 0]);
    input.extend(&tcp[18..20]);
    input.extend(&tcp[data_offset..]);
    let mut with_key = input.clone();
    with_key.extend(key);
    (Md5::digest(&with_key).into(), input)
}

/// The digest carried in the first option of kind 19, read by the RFC 9293
/// option syntax (EOL ends, NOP is one byte, others have a length).
fn carried(packet: &[u8]) -> Option<Vec<u8>> {
    let (_, tcp) = split(packet);
    let area = &tcp[20..usize::from(tcp[12] >> 4) * 4];
    let mut i = 0;
    while i < area.len() {
        match area[i] {
            0 => return None,
            1 => i += 1,
            kind => {
                let len = usize::from(*area.get(i + 1)?);
                if len < 2 || i + len > area.len() {
                    return None;
                }
                if kind == 19 && len == 18 {
                    return Some(area[i + 2..i + 18].to_vec());
                }
                i += len;
            }
        }
    }
    None
}

//= type=test
//= 2.0/digest-order
//= 2.0/options-not-hashed
#[test]
fn every_digest_vector_agrees_with_a_second_implementation() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/digest");
    let (mut checked, mut carried_checked) = (0, 0);
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        for v in file["vectors"].as_array().unwrap() {
            let id = v["id"].as_str().unwrap();
            let packet = unhex(v["packet"].as_str().unwrap());
            let key = unhex(v["key"].as_str().unwrap());
            let (digest, input) = rfc2385_digest(&packet, &key);
            assert_eq!(
                digest.to_vec(),
                unhex(v["digest"].as_str().unwrap()),
                "{id} ({})",
                path.display()
            );
            if let Some(published) = v.get("digest_input") {
                assert_eq!(
                    input,
                    unhex(published.as_str().unwrap()),
                    "{id}: digest input"
                );
            }
            // A vector every strict receiver accepts as signed carries
            // exactly this digest.
            let strict = &v["expected"]["rfc2385"];
            if strict["verdict"] == "accept" && strict["acceptance"] == "signed" {
                assert_eq!(
                    carried(&packet),
                    Some(digest.to_vec()),
                    "{id}: carried digest"
                );
                carried_checked += 1;
            }
            checked += 1;
        }
    }
    println!("{checked} digest vectors checked, {carried_checked} carried digests");
    assert!(
        checked >= 300 && carried_checked >= 250,
        "{checked} {carried_checked}"
    );
}

/// The second implementation is not trivially agreeable: a changed key,
/// payload byte or pseudo-header address changes its answer.
#[test]
fn the_second_implementation_sees_every_input() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/digest/crafted.json");
    let file: Value = serde_json::from_str(&fs::read_to_string(dir).unwrap()).unwrap();
    let v = &file["vectors"][0];
    let packet = unhex(v["packet"].as_str().unwrap());
    let key = unhex(v["key"].as_str().unwrap());
    let (digest, _) = rfc2385_digest(&packet, &key);
    let mut other_key = key.clone();
    other_key[0] ^= 1;
    assert_ne!(rfc2385_digest(&packet, &other_key).0, digest);
    let mut other_src = packet.clone();
    other_src[12] ^= 1;
    assert_ne!(rfc2385_digest(&other_src, &key).0, digest);
    let mut other_checksum = packet.clone();
    let tcp_at = usize::from(packet[0] & 0x0f) * 4;
    other_checksum[tcp_at + 16] ^= 0xff;
    assert_eq!(
        rfc2385_digest(&other_checksum, &key).0,
        digest,
        "the checksum is not hashed"
    );
}
