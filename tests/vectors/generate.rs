//! The crafted vectors: built with the library, expectations computed by the
//! library (and checked against the pinned tables by the checker).
//! Regenerate with `cargo test --test vectors -- --ignored regenerate`.

use std::net::IpAddr;

use md5::{Digest as _, Md5};
use serde_json::{Value, json};
use tcpmd5::key_table::{KeyChange, Md5SigOption, Md5SigRequest};
use tcpmd5::layouts::corner_cases;
use tcpmd5::scan::AuthScan;
use tcpmd5::sign::sign_packet_in_place;
use tcpmd5::vector_keys::vector_keys;
use tcpmd5::wire::IpSegment;
use tcpmd5::wire::tcp::TcpFlags;
use tcpmd5::{AddrPair, Family, Key, KeyTable, Semantics, packet_verdict, segment_digest};

use super::support::*;

pub(crate) const GENERATOR: &str = "tests/vectors/generate.rs";

fn crafted() -> Value {
    json!({"kind": "crafted", "generator": GENERATOR})
}

/// The expected verdict of `packet` under every semantics for a receiver
/// holding `key` (or no key) for the packet's source.
pub(crate) fn verdicts(packet: &[u8], key: Option<&Key>) -> Value {
    let table = table_for(packet, key);
    let mut m = serde_json::Map::new();
    for s in Semantics::ALL {
        let v = packet_verdict(packet, &table, 0, s).expect("packet parses");
        m.insert(s.id().to_owned(), Value::String(verdict_id(v)));
    }
    Value::Object(m)
}

pub(crate) fn table_for(packet: &[u8], key: Option<&Key>) -> KeyTable {
    let mut table = KeyTable::new();
    if let Some(key) = key {
        let seg = IpSegment::parse(packet).expect("packet parses");
        let src = seg.addrs.src();
        let socket = Family::of(&src);
        table
            .apply(socket, &Md5SigRequest::add(src, key), &[] as &[(i32, bool)])
            .expect("add key");
    }
    table
}

/// A digest vector: `key` is what the receiver holds for the source.
pub(crate) fn digest_vector(
    id: &str,
    comment: &str,
    provenance: Value,
    segment_kind: &str,
    packet: &[u8],
    key: &[u8],
) -> Value {
    let k = Key::new(key).expect("key length");
    let seg = IpSegment::parse(packet).expect("packet parses");
    let digest = segment_digest(&seg.addrs, seg.segment, &k).expect("digest");
    json!({
        "id": id,
        "comment": comment,
        "provenance": provenance,
        "family": family_id(&seg.addrs),
        "segment": segment_kind,
        "packet": hex(packet),
        "key": hex(key),
        "digest": hex(&digest),
        "verdict": verdicts(packet, Some(&k)),
    })
}

fn payload(n: usize, salt: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

const MD5_PLACEHOLDER: [u8; 20] = [1, 1, 19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

fn syn_options() -> Vec<u8> {
    // MSS 1460, NOP NOP MD5, NOP WS 7, NOP NOP SACK-permitted: Linux's SYN
    // with a key (no timestamps).
    let mut o = vec![2, 4, 0x05, 0xb4];
    o.extend(MD5_PLACEHOLDER);
    o.extend([1, 3, 3, 7, 1, 1, 4, 2]);
    o
}

fn pair(v6: bool, reverse: bool) -> AddrPair {
    let a = if v6 {
        addrs("2001:db8::10", "2001:db8:1::20")
    } else {
        addrs("192.0.2.10", "198.51.100.20")
    };
    if reverse { a.reversed() } else { a }
}

struct Kind {
    name: &'static str,
    flags: TcpFlags,
    /// From the server (SYN-ACK) or the client.
    from_server: bool,
}

fn kinds() -> Vec<Kind> {
    let f = |a: TcpFlags, b: TcpFlags| TcpFlags(a.0 | b.0);
    vec![
        Kind {
            name: "syn",
            flags: TcpFlags::SYN,
            from_server: false,
        },
        Kind {
            name: "syn-ack",
            flags: f(TcpFlags::SYN, TcpFlags::ACK),
            from_server: true,
        },
        Kind {
            name: "ack",
            flags: TcpFlags::ACK,
            from_server: false,
        },
        Kind {
            name: "data",
            flags: f(TcpFlags::PSH, TcpFlags::ACK),
            from_server: true,
        },
        Kind {
            name: "fin",
            flags: f(TcpFlags::FIN, TcpFlags::ACK),
            from_server: true,
        },
        Kind {
            name: "rst",
            flags: TcpFlags::RST,
            from_server: false,
        },
        Kind {
            name: "time-wait-ack",
            flags: TcpFlags::ACK,
            from_server: false,
        },
    ]
}

fn signed(addrs: &AddrPair, ext: &[ExtHeader], seg: &Seg, key: &[u8]) -> Vec<u8> {
    let mut p = build_packet(addrs, ext, seg);
    sign_packet_in_place(&mut p, &Key::new(key).expect("key")).expect("sign");
    p
}

fn seg(sport: u16, dport: u16, seq: u32, ack: u32, flags: TcpFlags) -> Seg {
    Seg {
        sport,
        dport,
        seq,
        ack,
        flags,
        window: 64240,
        urgent: 0,
        options: MD5_PLACEHOLDER.to_vec(),
        payload: Vec::new(),
    }
}

/// The crafted digest vectors (positives and negatives).
pub(crate) fn crafted_digest() -> Vec<Value> {
    let mut out = Vec::new();
    let keys = vector_keys();
    let fam = |v6: bool| if v6 { "v6" } else { "v4" };
    // A: every segment kind x every key x both families.
    let data_sizes = [1usize, 536, 1460, 100, 1440, 9000];
    for v6 in [false, true] {
        for (ki, k) in kinds().iter().enumerate() {
            for (i, key) in keys.iter().enumerate() {
                let a = pair(v6, k.from_server);
                let (sport, dport) = if k.from_server {
                    (179, 40000 + i as u16)
                } else {
                    (40000 + i as u16, 179)
                };
                let seq = 0x1000_0000u32
                    .wrapping_mul(ki as u32 + 1)
                    .wrapping_add(i as u32 * 7919);
                let ack = if k.name == "syn" || k.name == "rst" {
                    0
                } else {
                    0x8000_0001u32.wrapping_add(i as u32 * 104729)
                };
                let mut s = seg(sport, dport, seq, ack, k.flags);
                if k.name == "syn" || k.name == "syn-ack" {
                    s.options = syn_options();
                    s.window = 65535;
                }
                if k.name == "rst" {
                    s.window = 0;
                }
                if k.name == "data" {
                    s.payload = payload(data_sizes[i % data_sizes.len()], i as u8);
                }
                let p = signed(&a, &[], &s, key.key.as_bytes());
                let pl = s.payload.len();
                out.push(digest_vector(
                    &format!("crafted/{}-{}-{}-p{pl}", fam(v6), k.name, key.name),
                    &format!(
                        "{} {} signed with {}, {pl}-byte payload",
                        if v6 { "IPv6" } else { "IPv4" },
                        k.name,
                        key.what
                    ),
                    crafted(),
                    k.name,
                    &p,
                    key.key.as_bytes(),
                ));
            }
        }
    }
    // B: payload sweep.
    let k16 = keys[1].key.as_bytes();
    for v6 in [false, true] {
        for n in [
            0usize, 1, 2, 3, 63, 64, 65, 536, 1420, 1440, 1460, 4096, 8960, 9000, 9216, 16384,
        ] {
            let a = pair(v6, true);
            let mut s = seg(179, 41000, 0x2345_6789, 0x0abc_def0, TcpFlags(0x018));
            s.payload = payload(n, 0x5a);
            let p = signed(&a, &[], &s, k16);
            out.push(digest_vector(
                &format!("crafted/{}-payload-{n}", fam(v6)),
                &format!("data segment with a {n}-byte payload (payload hashed in full)"),
                crafted(),
                "data",
                &p,
                k16,
            ));
        }
    }
    // C: every layout of the corner cases that all semantics accept as MD5.
    let k79 = keys[2].key.as_bytes();
    for l in corner_cases() {
        let all_md5 = Semantics::ALL
            .iter()
            .all(|s| matches!(s.scan(&l.area), AuthScan::Md5 { .. }));
        if !all_md5 {
            continue;
        }
        for v6 in [false, true] {
            let a = pair(v6, false);
            let mut s = seg(50123, 179, 0x7777_0000, 0x1234_5678, TcpFlags(0x018));
            s.options = l.area.clone();
            s.payload = payload(100, 3);
            let p = signed(&a, &[], &s, k79);
            out.push(digest_vector(
                &format!("crafted/{}-layout-{}", fam(v6), l.name),
                &format!(
                    "option layout '{}': {} (options are not hashed)",
                    l.name, l.summary
                ),
                crafted(),
                "data",
                &p,
                k79,
            ));
        }
    }
    // D: urgent pointer.
    for v6 in [false, true] {
        for (name, flags, urg) in [
            ("urg-1", TcpFlags(0x038), 1u16),
            ("urg-ffff", TcpFlags(0x038), 0xffff),
            ("urgptr-without-urg", TcpFlags(0x018), 0x0102),
        ] {
            let a = pair(v6, true);
            let mut s = seg(179, 42000, 0x0101_0101, 0x0202_0202, flags);
            s.urgent = urg;
            s.payload = payload(10, 9);
            let p = signed(&a, &[], &s, k16);
            out.push(digest_vector(
                &format!("crafted/{}-{name}", fam(v6)),
                &format!("non-zero urgent pointer {urg:#06x} (hashed as sent)"),
                crafted(),
                "data",
                &p,
                k16,
            ));
        }
    }
    // E: IPv6 extension headers before TCP.
    let chains: Vec<(&str, Vec<ExtHeader>)> = vec![
        ("hbh", vec![ExtHeader::hop_by_hop()]),
        ("dstopts", vec![ExtHeader::dest_opts()]),
        ("routing", vec![ExtHeader::routing()]),
        ("frag", vec![ExtHeader::atomic_fragment()]),
        (
            "hbh-dstopts",
            vec![ExtHeader::hop_by_hop(), ExtHeader::dest_opts()],
        ),
        (
            "hbh-routing-dstopts",
            vec![
                ExtHeader::hop_by_hop(),
                ExtHeader::routing(),
                ExtHeader::dest_opts(),
            ],
        ),
    ];
    for (name, chain) in &chains {
        for n in [0usize, 100] {
            let a = pair(true, false);
            let mut s = seg(
                43000,
                179,
                0x3030_3030,
                0x4040_4040,
                TcpFlags(if n == 0 { 0x010 } else { 0x018 }),
            );
            s.payload = payload(n, 77);
            let p = signed(&a, chain, &s, k16);
            out.push(digest_vector(
                &format!("crafted/v6-ext-{name}-p{n}"),
                &format!(
                    "IPv6 with extension headers ({name}) before TCP: the pseudo-header length is the TCP length, not the IPv6 payload length"
                ),
                crafted(),
                if n == 0 { "ack" } else { "data" },
                &p,
                k16,
            ));
        }
    }
    // F: negatives.
    for v6 in [false, true] {
        let a = pair(v6, false);
        let mut s = seg(44000, 179, 0x5555_5555, 0x6666_6666, TcpFlags(0x018));
        s.payload = payload(64, 1);
        let good = signed(&a, &[], &s, k16);
        let f = fam(v6);
        let tcp_off = IpSegment::parse(&good).expect("parse").tcp_offset;
        let fix = |p: &mut Vec<u8>| {
            let seg = IpSegment::parse(p).expect("parse");
            let (addrs, off, len) = (seg.addrs, seg.tcp_offset, seg.segment.len());
            tcpmd5::sign::refresh_checksum(&addrs, &mut p[off..off + len]);
        };
        // Corrupted digest byte.
        let mut p = good.clone();
        p[tcp_off + 20 + 4 + 7] ^= 0x01;
        fix(&mut p);
        out.push(digest_vector(
            &format!("crafted/{f}-neg-corrupt-digest"),
            "negative: one digest bit flipped (TCP checksum fixed): MD5 failure",
            crafted(),
            "data",
            &p,
            k16,
        ));
        // Corrupted payload.
        let mut p = good.clone();
        let last = p.len() - 1;
        p[last] ^= 0x80;
        fix(&mut p);
        out.push(digest_vector(
            &format!("crafted/{f}-neg-corrupt-payload"),
            "negative: one payload bit flipped after signing (TCP checksum fixed): MD5 failure",
            crafted(),
            "data",
            &p,
            k16,
        ));
        // Corrupted urgent pointer (hashed header field).
        let mut p = good.clone();
        p[tcp_off + 19] ^= 0x01;
        fix(&mut p);
        out.push(digest_vector(
            &format!("crafted/{f}-neg-corrupt-urgent"),
            "negative: urgent pointer changed after signing: the fixed header is hashed, MD5 failure",
            crafted(),
            "data",
            &p,
            k16,
        ));
        // Changed option byte (options are not hashed: still valid).
        let mut s2 = s.clone();
        s2.options = [&[1u8, 1][..], &MD5_PLACEHOLDER[2..], &[1, 1, 1, 1]].concat();
        let mut p = signed(&a, &[], &s2, k16);
        let o = IpSegment::parse(&p).expect("parse").tcp_offset + 20 + 20;
        p[o..o + 4].copy_from_slice(&[3, 3, 7, 1]);
        fix(&mut p);
        out.push(digest_vector(
            &format!("crafted/{f}-options-changed-after-signing"),
            "options rewritten after signing (NOPs to window scale): options are not hashed, digest still valid",
            crafted(),
            "data",
            &p,
            k16,
        ));
        // Wrong key.
        let p = signed(&a, &[], &s, b"tcpmd5-vector-17");
        out.push(digest_vector(
            &format!("crafted/{f}-neg-wrong-key"),
            "negative: signed with another key of the same length: MD5 failure",
            crafted(),
            "data",
            &p,
            k16,
        ));
        // Trailing NUL: C-string truncation bugs.
        let p = signed(&a, &[], &s, b"secret\0");
        out.push(digest_vector(
            &format!("crafted/{f}-key-trailing-nul"),
            "7-byte key 'secret\\0': the NUL is part of the key",
            crafted(),
            "data",
            &p,
            b"secret\0",
        ));
        out.push(digest_vector(
            &format!("crafted/{f}-neg-key-trailing-nul-truncated"),
            "negative: signed with 'secret\\0', receiver holds 'secret' (NUL-terminated string handling): MD5 failure",
            crafted(),
            "data",
            &p,
            b"secret",
        ));
        // Unsigned segment, receiver has a key.
        let mut s3 = s.clone();
        s3.options = Vec::new();
        let p = build_packet(&a, &[], &s3);
        out.push(digest_vector(
            &format!("crafted/{f}-neg-unsigned"),
            "negative: no MD5 option while the receiver holds a key: TCP_MD5NOTFOUND ('digest' is what the sender should have sent)",
            crafted(),
            "data",
            &p,
            k16,
        ));
        // Digest over the options too (old scapy bug).
        let mut p = good.clone();
        let bad = buggy_digest(&p, k16, Bug::HashOptions);
        p[tcp_off + 24..tcp_off + 40].copy_from_slice(&bad);
        fix(&mut p);
        out.push(digest_vector(
            &format!("crafted/{f}-neg-options-hashed"),
            "negative: digest computed over the options too (old scapy bug): MD5 failure",
            crafted(),
            "data",
            &p,
            k16,
        ));
        // Signed before the option was added.
        let mut p = good.clone();
        let bad = buggy_digest(&p, k16, Bug::BeforeOption);
        p[tcp_off + 24..tcp_off + 40].copy_from_slice(&bad);
        fix(&mut p);
        out.push(digest_vector(
            &format!("crafted/{f}-neg-signed-before-option"),
            "negative: digest computed before the option was inserted (doff and length 20 bytes short; old scapy bug): MD5 failure",
            crafted(),
            "data",
            &p,
            k16,
        ));
        // Key zero-padded to 80 bytes.
        let mut p = good.clone();
        let bad = buggy_digest(&p, k16, Bug::KeyPadded);
        p[tcp_off + 24..tcp_off + 40].copy_from_slice(&bad);
        fix(&mut p);
        out.push(digest_vector(
            &format!("crafted/{f}-neg-key-padded"),
            "negative: key hashed zero-padded to 80 bytes (tcpm_key instead of tcpm_keylen bytes): MD5 failure",
            crafted(),
            "data",
            &p,
            k16,
        ));
        // Checksum not zeroed.
        let mut p = good.clone();
        let bad = buggy_digest(&p, k16, Bug::ChecksumHashed);
        p[tcp_off + 24..tcp_off + 40].copy_from_slice(&bad);
        fix(&mut p);
        out.push(digest_vector(
            &format!("crafted/{f}-neg-checksum-hashed"),
            "negative: digest over the header with a non-zero checksum field: MD5 failure",
            crafted(),
            "data",
            &p,
            k16,
        ));
        if v6 {
            let mut p = good.clone();
            let bad = buggy_digest(&p, k16, Bug::V4StylePseudo);
            p[tcp_off + 24..tcp_off + 40].copy_from_slice(&bad);
            fix(&mut p);
            out.push(digest_vector(
                "crafted/v6-neg-v4-style-pseudo-header",
                "negative: IPv6 digest with an IPv4-style pseudo-header (16-bit length, zero, protocol): MD5 failure",
                crafted(),
                "data",
                &p,
                k16,
            ));
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Bug {
    HashOptions,
    BeforeOption,
    KeyPadded,
    ChecksumHashed,
    V4StylePseudo,
}

/// Digests with a classic implementation bug, for negatives.
fn buggy_digest(packet: &[u8], key: &[u8], bug: Bug) -> [u8; 16] {
    let seg = IpSegment::parse(packet).expect("parse");
    let s = seg.segment;
    let doff = usize::from(s[12] >> 4) * 4;
    let mut header = s[..20].to_vec();
    let mut body = s[doff..].to_vec();
    let mut tcp_len = s.len();
    header[16] = 0;
    header[17] = 0;
    match bug {
        Bug::HashOptions => {
            let mut h = s[..doff].to_vec();
            h[16] = 0;
            h[17] = 0;
            h[22..doff].fill(0);
            header = h;
        }
        Bug::BeforeOption => {
            header[12] = (((doff - 20) / 4) as u8) << 4 | (header[12] & 0x0f);
            tcp_len -= 20;
        }
        Bug::ChecksumHashed => {
            header[16] = 0xbe;
            header[17] = 0xef;
        }
        Bug::KeyPadded | Bug::V4StylePseudo => {}
    }
    let mut md5 = Md5::new();
    match (seg.addrs, bug) {
        (AddrPair::V4 { src, dst }, _) => {
            md5.update(src.octets());
            md5.update(dst.octets());
            md5.update([0, 6]);
            md5.update((tcp_len as u16).to_be_bytes());
        }
        (AddrPair::V6 { src, dst }, Bug::V4StylePseudo) => {
            md5.update(src.octets());
            md5.update(dst.octets());
            md5.update([0, 6]);
            md5.update((tcp_len as u16).to_be_bytes());
        }
        (AddrPair::V6 { src, dst }, _) => {
            md5.update(src.octets());
            md5.update(dst.octets());
            md5.update((tcp_len as u32).to_be_bytes());
            md5.update([0, 0, 0, 6]);
        }
    }
    md5.update(&header);
    md5.update(&body);
    if let Bug::KeyPadded = bug {
        let mut k = key.to_vec();
        k.resize(80, 0);
        md5.update(&k);
    } else {
        md5.update(key);
    }
    body.clear();
    md5.finalize().into()
}

/// The known-answer pair of the facts sheet (section 8), as a packet.
pub(crate) fn external_digest() -> Vec<Value> {
    let input = unhex("c0a83814c0a838280006002800b3d10515f72762291b6878a010007300000000");
    let a = addrs("192.168.56.20", "192.168.56.40");
    let h = &input[12..];
    let s = Seg {
        sport: u16::from_be_bytes([h[0], h[1]]),
        dport: u16::from_be_bytes([h[2], h[3]]),
        seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
        ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
        flags: TcpFlags(u16::from_be_bytes([h[12] & 0x0f, h[13]])),
        window: u16::from_be_bytes([h[14], h[15]]),
        urgent: u16::from_be_bytes([h[18], h[19]]),
        options: MD5_PLACEHOLDER.to_vec(),
        payload: Vec::new(),
    };
    let p = signed(&a, &[], &s, b"lolcats");
    let mut v = digest_vector(
        "external/kat-lolcats",
        "known-answer pair from an independent implementation (digest input without payload, key 'lolcats'), rebuilt as an IPv4 packet with the Linux option layout",
        json!({"kind": "external", "source": "facts sheet section 8: known-answer pair from an independent RFC 2385 implementation"}),
        "ack",
        &p,
        b"lolcats",
    );
    assert_eq!(v["digest"], "eaf8d1f1da3f03c90b42709e9508fc73");
    v["digest_input"] = Value::String(hex(&input));
    vec![v]
}

pub(crate) const OPT_KEY: &[u8] = b"option-vectors";

/// Option-layout vectors: every corner case x family x receiver key.
pub(crate) fn crafted_options() -> Vec<Value> {
    let mut out = Vec::new();
    for l in corner_cases() {
        for v6 in [false, true] {
            for with_key in [true, false] {
                let a = pair(v6, false);
                let mut s = seg(45000, 179, 0x0badcafe, 0x0defaced, TcpFlags(0x018));
                s.options = l.area.clone();
                s.payload = payload(8, 0x33);
                let mut p = build_packet(&a, &[], &s);
                // Layouts without a locatable MD5 option stay unsigned.
                let _ = sign_packet_in_place(&mut p, &Key::new(OPT_KEY).expect("key"));
                let key = Key::new(OPT_KEY).expect("key");
                let key = with_key.then_some(&key);
                let mut expected = serde_json::Map::new();
                let table = table_for(&p, key);
                for sem in Semantics::ALL {
                    let (class, offset) = scan_class(sem.scan(&l.area));
                    let v = packet_verdict(&p, &table, 0, sem).expect("parse");
                    expected.insert(
                        sem.id().to_owned(),
                        json!({"scan": class, "offset": offset, "verdict": verdict_id(v)}),
                    );
                }
                out.push(json!({
                    "id": format!("options/{}-{}-{}", l.name, if v6 { "v6" } else { "v4" }, if with_key { "key" } else { "nokey" }),
                    "comment": format!("{} ({}, receiver {})", l.summary, if v6 { "IPv6" } else { "IPv4" }, if with_key { "holds the signing key" } else { "holds no key" }),
                    "provenance": crafted(),
                    "layout": l.name,
                    "family": family_id(&a),
                    "area": hex(&l.area),
                    "packet": hex(&p),
                    "receiver_key": if with_key { Value::String(hex(OPT_KEY)) } else { Value::Null },
                    "expected": expected,
                }));
            }
        }
    }
    out
}

/// A key request as the vectors spell it.
pub(crate) fn request_json(r: &Md5SigRequest, expected: &str) -> Value {
    json!({
        "option": match r.option { Md5SigOption::Md5Sig => "TCP_MD5SIG", Md5SigOption::Md5SigExt => "TCP_MD5SIG_EXT" },
        "sa_family": r.sa_family,
        "addr": r.addr.to_string(),
        "flags": r.flags,
        "prefixlen": r.prefixlen,
        "keylen": r.keylen,
        "ifindex": r.ifindex,
        "key": hex(&r.key[..usize::from(r.keylen).min(80)]),
        "optlen": r.optlen,
        "expected": expected,
    })
}

struct KeyCase {
    id: &'static str,
    comment: &'static str,
    socket: Family,
    devices: Vec<(i32, bool)>,
    requests: Vec<Md5SigRequest>,
    lookups: Vec<(&'static str, i32)>,
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn k(b: &[u8]) -> Key {
    Key::new(b).expect("key")
}

fn key_cases() -> Vec<KeyCase> {
    use Family::{V4, V6};
    let add = |a: &str, key: &[u8]| Md5SigRequest::add(ip(a), &k(key));
    let lo = vec![(1, false), (2, false)];
    let vrf = vec![(1, false), (2, false), (10, true), (11, true)];
    let with = |mut r: Md5SigRequest, f: &dyn Fn(&mut Md5SigRequest)| {
        f(&mut r);
        r
    };
    vec![
        KeyCase {
            id: "keys/v4-exact",
            comment: "one /32 key: matches its address only",
            socket: V4,
            devices: lo.clone(),
            requests: vec![add("10.0.0.2", b"exact")],
            lookups: vec![("10.0.0.2", 0), ("10.0.0.3", 0), ("fd00::2", 0)],
        },
        KeyCase {
            id: "keys/v6-exact",
            comment: "one /128 key on an IPv6 socket",
            socket: V6,
            devices: lo.clone(),
            requests: vec![add("fd00::2", b"exact6")],
            lookups: vec![("fd00::2", 0), ("fd00::3", 0), ("10.0.0.2", 0)],
        },
        KeyCase {
            id: "keys/v4-longest-prefix",
            comment: "/16, /24 and /32 keys: the longest matching prefix wins, whatever the order added",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("10.1.2.3", b"host"),
                add("10.1.0.0", b"sixteen").with_prefix(16),
                add("10.1.2.0", b"twentyfour").with_prefix(24),
            ],
            lookups: vec![
                ("10.1.2.3", 0),
                ("10.1.2.4", 0),
                ("10.1.3.1", 0),
                ("10.2.0.1", 0),
            ],
        },
        KeyCase {
            id: "keys/v4-prefix-zero",
            comment: "a /0 key matches every IPv4 peer; a longer prefix still wins",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("0.0.0.0", b"default").with_prefix(0),
                add("192.0.2.0", b"doc").with_prefix(24),
            ],
            lookups: vec![("192.0.2.77", 0), ("203.0.113.1", 0), ("fd00::1", 0)],
        },
        KeyCase {
            id: "keys/v4-prefix-unmasked-address",
            comment: "a prefix key given with host bits set (10.9.9.9/8) matches the whole /8",
            socket: V4,
            devices: lo.clone(),
            requests: vec![add("10.9.9.9", b"unmasked").with_prefix(8)],
            lookups: vec![("10.200.1.1", 0), ("11.0.0.1", 0)],
        },
        KeyCase {
            id: "keys/v6-longest-prefix",
            comment: "IPv6 /48, /64 and /128 keys: longest prefix wins",
            socket: V6,
            devices: lo.clone(),
            requests: vec![
                add("2001:db8:1::", b"p48").with_prefix(48),
                add("2001:db8:1:2::", b"p64").with_prefix(64),
                add("2001:db8:1:2::5", b"host"),
            ],
            lookups: vec![
                ("2001:db8:1:2::5", 0),
                ("2001:db8:1:2::6", 0),
                ("2001:db8:1:3::1", 0),
                ("2001:db8:2::1", 0),
            ],
        },
        KeyCase {
            id: "keys/v6-v4-mapped",
            comment: "an IPv6 socket takes IPv4 peers as v4-mapped addresses (AF_INET6): the key matches the IPv4 peer",
            socket: V6,
            devices: lo.clone(),
            requests: vec![add("::ffff:10.0.0.2", b"mapped")],
            lookups: vec![("10.0.0.2", 0), ("::ffff:10.0.0.2", 0), ("10.0.0.3", 0)],
        },
        KeyCase {
            id: "keys/v6-v4-mapped-prefix",
            comment: "a v4-mapped prefix key: the prefix counts IPv4 bits (max 32)",
            socket: V6,
            devices: lo.clone(),
            requests: vec![
                add("::ffff:10.1.0.0", b"mapped16").with_prefix(16),
                add("::ffff:10.1.0.0", b"too-long").with_prefix(33),
                add("::ffff:10.1.0.0", b"too-long").with_prefix(120),
            ],
            lookups: vec![("10.1.200.1", 0), ("10.2.0.1", 0)],
        },
        KeyCase {
            id: "keys/v6-socket-v6-key-skips-v4",
            comment: "keys of the other family are skipped: a native IPv6 /0 key does not match IPv4 peers",
            socket: V6,
            devices: lo.clone(),
            requests: vec![add("::", b"all6").with_prefix(0)],
            lookups: vec![("2001:db8::1", 0), ("10.0.0.1", 0), ("::ffff:10.0.0.1", 0)],
        },
        KeyCase {
            id: "keys/replace-and-delete",
            comment: "same key tuple again: replaced (0); keylen 0 deletes; deleting again: ENOENT",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("10.0.0.2", b"first"),
                add("10.0.0.2", b"second"),
                Md5SigRequest::delete(ip("10.0.0.2")),
                Md5SigRequest::delete(ip("10.0.0.2")),
            ],
            lookups: vec![("10.0.0.2", 0)],
        },
        KeyCase {
            id: "keys/delete-needs-same-prefix",
            comment: "deleting 10.0.0.0 without the prefix does not find the /24 key: ENOENT; with it: deleted",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("10.0.0.0", b"net").with_prefix(24),
                Md5SigRequest::delete(ip("10.0.0.0")),
                Md5SigRequest::delete(ip("10.0.0.0")).with_prefix(24),
            ],
            lookups: vec![("10.0.0.9", 0)],
        },
        KeyCase {
            id: "keys/delete-missing",
            comment: "deleting a key that does not exist: ENOENT (v4 and v6 sockets alike)",
            socket: V6,
            devices: lo.clone(),
            requests: vec![Md5SigRequest::delete(ip("fd00::9"))],
            lookups: vec![("fd00::9", 0)],
        },
        KeyCase {
            id: "keys/md5sig-ignores-prefix",
            comment: "TCP_MD5SIG (not _EXT) ignores flags and prefix: the key is a /32",
            socket: V4,
            devices: lo.clone(),
            requests: vec![with(add("10.0.0.0", b"plain"), &|r| {
                r.flags = 1;
                r.prefixlen = 8;
            })],
            lookups: vec![("10.0.0.0", 0), ("10.0.0.1", 0)],
        },
        KeyCase {
            id: "keys/einval-short-optlen",
            comment: "optlen shorter than struct tcp_md5sig (216): EINVAL",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                with(add("10.0.0.2", b"k"), &|r| r.optlen = 215),
                with(add("10.0.0.2", b"k"), &|r| r.optlen = 0),
                with(Md5SigRequest::delete(ip("10.0.0.2")), &|r| r.optlen = 128),
            ],
            lookups: vec![("10.0.0.2", 0)],
        },
        KeyCase {
            id: "keys/einval-wrong-family-v4-socket",
            comment: "AF_INET6 on an IPv4 socket: EINVAL",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("fd00::2", b"k"),
                with(add("10.0.0.2", b"k"), &|r| r.sa_family = 10),
            ],
            lookups: vec![("10.0.0.2", 0)],
        },
        KeyCase {
            id: "keys/einval-wrong-family-v6-socket",
            comment: "AF_INET on an IPv6 socket: EINVAL (IPv4 peers must be given v4-mapped)",
            socket: V6,
            devices: lo.clone(),
            requests: vec![
                add("10.0.0.2", b"k"),
                with(add("fd00::2", b"k"), &|r| r.sa_family = 0),
            ],
            lookups: vec![("10.0.0.2", 0), ("fd00::2", 0)],
        },
        KeyCase {
            id: "keys/keylen-limits",
            comment: "keylen 80 accepted, 81 and 65535: EINVAL",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("10.0.0.2", &[0x42; 80]),
                with(add("10.0.0.3", &[0x43; 80]), &|r| r.keylen = 81),
                with(add("10.0.0.4", &[0x44; 80]), &|r| r.keylen = 0xffff),
            ],
            lookups: vec![("10.0.0.2", 0), ("10.0.0.3", 0), ("10.0.0.4", 0)],
        },
        KeyCase {
            id: "keys/einval-prefix-too-long",
            comment: "TCP_MD5SIG_EXT with FLAG_PREFIX: prefixlen 33 (IPv4) and 129 (IPv6): EINVAL; 32 and 128 accepted",
            socket: V6,
            devices: lo.clone(),
            requests: vec![
                add("fd00::", b"k").with_prefix(129),
                add("fd00::", b"k").with_prefix(128),
                add("::ffff:10.0.0.0", b"k").with_prefix(32),
            ],
            lookups: vec![("fd00::", 0), ("10.0.0.0", 0)],
        },
        KeyCase {
            id: "keys/einval-prefix-too-long-v4",
            comment: "IPv4 socket: prefixlen 33 with FLAG_PREFIX: EINVAL",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("10.0.0.0", b"k").with_prefix(33),
                add("10.0.0.0", b"k").with_prefix(255),
            ],
            lookups: vec![("10.0.0.0", 0)],
        },
        KeyCase {
            id: "keys/einval-ifindex-not-l3-master",
            comment: "FLAG_IFINDEX with an ifindex that is not a VRF (or does not exist): EINVAL",
            socket: V4,
            devices: vrf.clone(),
            requests: vec![
                add("10.0.0.2", b"k").with_ifindex(2),
                add("10.0.0.2", b"k").with_ifindex(99),
            ],
            lookups: vec![("10.0.0.2", 0), ("10.0.0.2", 2)],
        },
        KeyCase {
            id: "keys/ifindex-bound",
            comment: "a key bound to VRF 10 matches only segments arriving in L3 domain 10, and beats an unbound key with a longer prefix there",
            socket: V4,
            devices: vrf.clone(),
            requests: vec![
                add("10.0.0.2", b"unbound"),
                add("10.0.0.0", b"vrf10").with_prefix(24).with_ifindex(10),
            ],
            lookups: vec![
                ("10.0.0.2", 0),
                ("10.0.0.2", 10),
                ("10.0.0.3", 10),
                ("10.0.0.3", 11),
                ("10.0.0.3", 0),
            ],
        },
        KeyCase {
            id: "keys/ifindex-zero-with-flag",
            comment: "FLAG_IFINDEX with ifindex 0: accepted, the key is bound to the default L3 domain only",
            socket: V4,
            devices: vrf.clone(),
            requests: vec![add("10.0.0.2", b"default-domain").with_ifindex(0)],
            lookups: vec![("10.0.0.2", 0), ("10.0.0.2", 10)],
        },
        KeyCase {
            id: "keys/v6-ifindex-bound",
            comment: "IPv6: a key bound to VRF 11 and an unbound one for the same peer: each domain gets its own",
            socket: V6,
            devices: vrf.clone(),
            requests: vec![
                add("fd00::2", b"unbound6"),
                add("fd00::2", b"vrf11").with_ifindex(11),
            ],
            lookups: vec![("fd00::2", 0), ("fd00::2", 11), ("fd00::2", 10)],
        },
        KeyCase {
            id: "keys/binary-key",
            comment: "binary key bytes (NULs included) are stored as given, keylen bytes of them",
            socket: V4,
            devices: lo.clone(),
            requests: vec![add("10.0.0.2", &[0, 1, 0, 2, 0, 0])],
            lookups: vec![("10.0.0.2", 0)],
        },
    ]
}

pub(crate) fn crafted_keys() -> Vec<Value> {
    let mut out = Vec::new();
    for c in key_cases() {
        let mut table = KeyTable::new();
        let mut requests = Vec::new();
        for r in &c.requests {
            let expected = match table.apply(c.socket, r, c.devices.as_slice()) {
                Ok(KeyChange::Added) => "added".to_owned(),
                Ok(KeyChange::Replaced) => "replaced".to_owned(),
                Ok(KeyChange::Deleted) => "deleted".to_owned(),
                Err(e) => e.errno_name().to_owned(),
            };
            requests.push(request_json(r, &expected));
        }
        let lookups: Vec<Value> = c
            .lookups
            .iter()
            .map(|(peer, l3)| {
                let found = table.lookup(ip(peer), *l3);
                json!({
                    "peer": peer,
                    "l3index": l3,
                    "expected_key": found.map(|e| Value::String(hex(e.key.as_bytes()))).unwrap_or(Value::Null),
                })
            })
            .collect();
        out.push(json!({
            "id": c.id,
            "comment": c.comment,
            "provenance": crafted(),
            "socket_family": if c.socket == Family::V4 { "ipv4" } else { "ipv6" },
            "l3_devices": c.devices.iter().map(|(i, m)| json!({"ifindex": i, "l3_master": m})).collect::<Vec<_>>(),
            "requests": requests,
            "lookups": lookups,
        }));
    }
    out
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
                "Every option-layout corner case (tcpmd5::layouts::corner_cases) on IPv4 and IPv6, with and without a key at the receiver.",
                crafted_options(),
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

/// Pretty JSON with a final newline, as committed.
pub(crate) fn render(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("json");
    s.push('\n');
    s
}
