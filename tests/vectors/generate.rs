//! The crafted vectors: built with the library, expectations computed by the
//! library (and checked against the pinned tables by the checker).
//! Regenerate with `cargo test --test vectors -- --ignored regenerate`.
//!
//! One file per group: `gen_digest.rs`, `gen_options.rs`, `gen_keys.rs`;
//! the records are written by `tcpmd5_testkit::record`.

use serde_json::{Value, json};
use tcpmd5::sign::sign_packet_in_place;
use tcpmd5::wire::TcpFlags;
use tcpmd5::{AddrPair, Key};
use tcpmd5_testkit::record::DigestVector;
use tcpmd5_testkit::{ExtHeader, IpHeaders, TcpSegmentSpec};

use super::gen_decisions::crafted_decisions;
use super::gen_digest::{crafted_digest, external_digest};
use super::gen_keys::crafted_keys;
use super::gen_options::crafted_options;
use super::support::addrs;

pub(crate) const GENERATOR: &str = "tests/vectors/generate.rs";

pub(crate) fn crafted() -> Value {
    json!({"kind": "crafted", "generator": GENERATOR})
}

/// The IPv4 identification of every crafted packet.
const IPV4_IDENT: u16 = 0x2b85;

/// The crafted packets' IP headers, with `ext` before TCP on IPv6.
pub(crate) fn ip_headers(ext: &[ExtHeader]) -> IpHeaders {
    IpHeaders {
        ipv4_ident: IPV4_IDENT,
        ipv6_ext: ext.to_vec(),
    }
}

/// The whole IP packet of `seg`, unsigned.
pub(crate) fn packet(seg: &TcpSegmentSpec, ext: &[ExtHeader]) -> Vec<u8> {
    seg.to_packet_with(&ip_headers(ext)).expect("packet builds")
}

/// The whole IP packet of `seg`, signed with `key` in its first MD5 option.
pub(crate) fn signed(seg: &TcpSegmentSpec, ext: &[ExtHeader], key: &[u8]) -> Vec<u8> {
    let mut p = packet(seg, ext);
    sign_packet_in_place(&mut p, &Key::new(key).expect("key")).expect("sign");
    p
}

/// A deterministic payload of `n` bytes.
pub(crate) fn payload(n: usize, salt: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

/// The address pair of the crafted vectors: client -> server, or reversed.
pub(crate) fn pair(v6: bool, reverse: bool) -> AddrPair {
    let a = if v6 {
        addrs("2001:db8::10", "2001:db8:1::20")
    } else {
        addrs("192.0.2.10", "198.51.100.20")
    };
    if reverse { a.reversed() } else { a }
}

/// `v4` or `v6`, as in ids.
pub(crate) fn fam(v6: bool) -> &'static str {
    if v6 { "v6" } else { "v4" }
}

/// A segment with the Linux MD5 placeholder and window 64240, no payload.
pub(crate) fn seg(
    addrs: AddrPair,
    ports: (u16, u16),
    seq: u32,
    ack: u32,
    flags: TcpFlags,
) -> TcpSegmentSpec {
    TcpSegmentSpec {
        seq,
        ack,
        window: 64240,
        options: tcpmd5_testkit::options::linux_md5_placeholder(),
        ..TcpSegmentSpec::new(addrs, ports, flags)
    }
}

/// A crafted digest vector: `key` is what the receiver holds for the source.
pub(crate) fn digest_vector(
    id: &str,
    comment: &str,
    provenance: Value,
    segment: &str,
    packet: &[u8],
    key: &[u8],
) -> Value {
    DigestVector {
        id,
        comment,
        provenance,
        segment,
        packet,
        key: &Key::new(key).expect("key length"),
    }
    .record()
    .expect("record")
}

/// The generated files: `(path under vectors/, contents)`.
pub(crate) fn files() -> Vec<(&'static str, Value)> {
    let file = |group: &str, description: &str, vectors: Vec<Value>| json!({"group": group, "description": description, "vectors": vectors});
    vec![
        (
            "digest/crafted.json",
            file(
                "digest",
                "Digest vectors built with the tcpmd5 library (positives and negatives).",
                crafted_digest(),
            ),
        ),
        (
            "digest/external.json",
            file(
                "digest",
                "Known-answer pairs from independent implementations.",
                external_digest(),
            ),
        ),
        (
            "options/corner-cases.json",
            file(
                "options",
                "Every option-layout corner case (tcpmd5_testkit::layouts::corner_cases) on IPv4 and IPv6, with and without a key at the receiver.",
                crafted_options(),
            ),
        ),
        (
            "decisions/decisions.json",
            file(
                "decisions",
                "What a socket, a request socket, a closed port, a listener and a timewait socket decide for a segment, per semantics, each expectation traced to the live runs in tests/vectors/observed/decisions/.",
                crafted_decisions(),
            ),
        ),
        (
            "keys/lookup.json",
            file(
                "keys",
                "Key tables built from TCP_MD5SIG / TCP_MD5SIG_EXT requests, and lookups.",
                crafted_keys(),
            ),
        ),
    ]
}
