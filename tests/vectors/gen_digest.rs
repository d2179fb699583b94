//! The crafted and external digest vectors: every segment kind x key x
//! family, a payload sweep, every layout all receivers accept, urgent
//! pointers, IPv6 extension headers, and negatives.

use std::ops::Range;

use md5::{Digest as _, Md5};
use serde_json::{Value, json};
use tcpmd5::scan::AuthScan;
use tcpmd5::wire::{IpSegment, TcpFlags};
use tcpmd5::{AddrPair, Semantics};
use tcpmd5_testkit::layouts::corner_cases;
use tcpmd5_testkit::options::{
    NOP, cat, linux_md5_placeholder, mss_1460, sack_permitted, window_scale,
};
use tcpmd5_testkit::record::hex;
use tcpmd5_testkit::vector_keys::vector_keys;
use tcpmd5_testkit::{ExtHeader, TcpSegmentSpec};

use super::generate::{crafted, digest_vector, fam, packet, pair, payload, seg, signed};
use super::support::{addrs, unhex};

/// Offsets in a TCP header whose options start with the Linux layout
/// (NOP NOP MD5).
mod at {
    use std::ops::Range;
    /// Data offset (high nibble) and reserved bits.
    pub(super) const DATA_OFFSET: usize = 12;
    /// The checksum.
    pub(super) const CHECKSUM: Range<usize> = 16..18;
    /// The low byte of the urgent pointer.
    pub(super) const URGENT_LOW: usize = 19;
    /// The fixed header.
    pub(super) const FIXED: Range<usize> = 0..20;
    /// The MD5 option's kind byte (after NOP NOP).
    pub(super) const MD5_KIND: usize = 22;
    /// The 16 digest bytes.
    pub(super) const DIGEST: Range<usize> = 24..40;
    /// The first option byte after the Linux MD5 option.
    pub(super) const AFTER_MD5: usize = 40;
}

fn syn_options() -> Vec<u8> {
    // MSS 1460, NOP NOP MD5, NOP WS 7, NOP NOP SACK-permitted: Linux's SYN
    // with a key (no timestamps).
    cat(&[
        &mss_1460(),
        &linux_md5_placeholder(),
        &[NOP],
        &window_scale(7),
        &[NOP, NOP],
        &sack_permitted(),
    ])
}

struct Kind {
    name: &'static str,
    flags: TcpFlags,
    /// From the server (SYN-ACK) or the client.
    from_server: bool,
}

fn kinds() -> [Kind; 7] {
    let k = |name, flags, from_server| Kind {
        name,
        flags,
        from_server,
    };
    [
        k("syn", TcpFlags::SYN, false),
        k("syn-ack", TcpFlags::SYN | TcpFlags::ACK, true),
        k("ack", TcpFlags::ACK, false),
        k("data", TcpFlags::PSH | TcpFlags::ACK, true),
        k("fin", TcpFlags::FIN | TcpFlags::ACK, true),
        k("rst", TcpFlags::RST, false),
        k("time-wait-ack", TcpFlags::ACK, false),
    ]
}

/// The crafted digest vectors (positives and negatives).
pub(crate) fn crafted_digest() -> Vec<Value> {
    let mut out = Vec::new();
    every_kind_key_family(&mut out);
    payload_sweep(&mut out);
    layouts(&mut out);
    urgent_pointers(&mut out);
    ipv6_extension_headers(&mut out);
    for v6 in [false, true] {
        negatives(v6, &mut out);
    }
    out
}

/// A crafted data-segment vector: `seg` signed with `key`, which the
/// receiver holds.
fn crafted_data(id: &str, comment: &str, seg: &TcpSegmentSpec, key: &[u8]) -> Value {
    digest_vector(id, comment, crafted(), "data", &signed(seg, &[], key), key)
}

/// The 16-byte vector key every group but the first uses.
fn k16() -> Vec<u8> {
    vector_keys()[1].key.as_bytes().to_vec()
}

/// A: every segment kind x every key x both families.
fn every_kind_key_family(out: &mut Vec<Value>) {
    let data_sizes = [1usize, 536, 1460, 100, 1440, 9000];
    for v6 in [false, true] {
        for (ki, k) in kinds().iter().enumerate() {
            for (i, key) in vector_keys().iter().enumerate() {
                let ports = if k.from_server {
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
                let mut s = seg(pair(v6, k.from_server), ports, seq, ack, k.flags);
                match k.name {
                    "syn" | "syn-ack" => {
                        s.options = syn_options();
                        s.window = 65535;
                    }
                    "rst" => s.window = 0,
                    "data" => s.payload = payload(data_sizes[i % data_sizes.len()], i as u8),
                    _ => {}
                }
                let p = signed(&s, &[], key.key.as_bytes());
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
}

/// B: payload sweep.
fn payload_sweep(out: &mut Vec<Value>) {
    let k16 = k16();
    for v6 in [false, true] {
        for n in [
            0usize, 1, 2, 3, 63, 64, 65, 536, 1420, 1440, 1460, 4096, 8960, 9000, 9216, 16384,
        ] {
            let mut s = seg(
                pair(v6, true),
                (179, 41000),
                0x2345_6789,
                0x0abc_def0,
                TcpFlags(0x018),
            );
            s.payload = payload(n, 0x5a);
            out.push(crafted_data(
                &format!("crafted/{}-payload-{n}", fam(v6)),
                &format!("data segment with a {n}-byte payload (payload hashed in full)"),
                &s,
                &k16,
            ));
        }
    }
}

/// C: every layout of the corner cases that all semantics accept as MD5.
fn layouts(out: &mut Vec<Value>) {
    let k79 = vector_keys()[2].key.as_bytes().to_vec();
    for l in corner_cases() {
        let all_md5 = Semantics::ALL
            .iter()
            .all(|s| matches!(s.scan(&l.area), AuthScan::Md5 { .. }));
        if !all_md5 {
            continue;
        }
        for v6 in [false, true] {
            let mut s = seg(
                pair(v6, false),
                (50123, 179),
                0x7777_0000,
                0x1234_5678,
                TcpFlags(0x018),
            );
            s.options = l.area.clone();
            s.payload = payload(100, 3);
            out.push(crafted_data(
                &format!("crafted/{}-layout-{}", fam(v6), l.name),
                &format!(
                    "option layout '{}': {} (options are not hashed)",
                    l.name, l.summary
                ),
                &s,
                &k79,
            ));
        }
    }
}

/// D: urgent pointer.
fn urgent_pointers(out: &mut Vec<Value>) {
    let k16 = k16();
    for v6 in [false, true] {
        for (name, flags, urg) in [
            ("urg-1", TcpFlags(0x038), 1u16),
            ("urg-ffff", TcpFlags(0x038), 0xffff),
            ("urgptr-without-urg", TcpFlags(0x018), 0x0102),
        ] {
            let mut s = seg(
                pair(v6, true),
                (179, 42000),
                0x0101_0101,
                0x0202_0202,
                flags,
            );
            s.urgent = urg;
            s.payload = payload(10, 9);
            out.push(crafted_data(
                &format!("crafted/{}-{name}", fam(v6)),
                &format!("non-zero urgent pointer {urg:#06x} (hashed as sent)"),
                &s,
                &k16,
            ));
        }
    }
}

/// E: IPv6 extension headers before TCP.
fn ipv6_extension_headers(out: &mut Vec<Value>) {
    let k16 = k16();
    let (hbh, dst, rt) = (
        ExtHeader::hop_by_hop(),
        ExtHeader::dest_opts(),
        ExtHeader::routing(),
    );
    let chains: [(&str, Vec<ExtHeader>); 6] = [
        ("hbh", vec![hbh.clone()]),
        ("dstopts", vec![dst.clone()]),
        ("routing", vec![rt.clone()]),
        ("frag", vec![ExtHeader::atomic_fragment()]),
        ("hbh-dstopts", vec![hbh.clone(), dst.clone()]),
        ("hbh-routing-dstopts", vec![hbh, rt, dst]),
    ];
    for (name, chain) in &chains {
        for n in [0usize, 100] {
            let flags = TcpFlags(if n == 0 { 0x010 } else { 0x018 });
            let mut s = seg(
                pair(true, false),
                (43000, 179),
                0x3030_3030,
                0x4040_4040,
                flags,
            );
            s.payload = payload(n, 77);
            out.push(digest_vector(
                &format!("crafted/v6-ext-{name}-p{n}"),
                &format!(
                    "IPv6 with extension headers ({name}) before TCP: the pseudo-header length is the TCP length, not the IPv6 payload length"
                ),
                crafted(),
                if n == 0 { "ack" } else { "data" },
                &signed(&s, chain, &k16),
                &k16,
            ));
        }
    }
}

/// `packet` with `edit` applied to its TCP segment and the TCP checksum
/// made right again.
fn edited(packet: &[u8], edit: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let mut p = packet.to_vec();
    let located = IpSegment::parse(&p).expect("parse");
    let (addrs, range) = (located.addrs, located.tcp_offset..p.len());
    let tcp = &mut p[range];
    edit(tcp);
    tcpmd5::sign::refresh_checksum(&addrs, tcp);
    p
}

/// A change to a TCP segment.
type Edit = fn(&mut [u8]);

/// F: negatives (and two positives that look like negatives).
fn negatives(v6: bool, out: &mut Vec<Value>) {
    let k16 = k16();
    let f = fam(v6);
    let mut s = seg(
        pair(v6, false),
        (44000, 179),
        0x5555_5555,
        0x6666_6666,
        TcpFlags(0x018),
    );
    s.payload = payload(64, 1);
    let good = signed(&s, &[], &k16);
    let mut push = |name: &str, comment: &str, p: &[u8], key: &[u8]| {
        out.push(digest_vector(
            &format!("crafted/{f}-{name}"),
            comment,
            crafted(),
            "data",
            p,
            key,
        ));
    };
    // One bit flipped after signing, in a field that is hashed (or is the
    // digest itself).
    let flips: [(&str, &str, Edit); 3] = [
        (
            "neg-corrupt-digest",
            "negative: one digest bit flipped (TCP checksum fixed): MD5 failure",
            |t| t[at::DIGEST.start + 7] ^= 0x01,
        ),
        (
            "neg-corrupt-payload",
            "negative: one payload bit flipped after signing (TCP checksum fixed): MD5 failure",
            |t| {
                if let Some(last) = t.last_mut() {
                    *last ^= 0x80;
                }
            },
        ),
        (
            "neg-corrupt-urgent",
            "negative: urgent pointer changed after signing: the fixed header is hashed, MD5 failure",
            |t| t[at::URGENT_LOW] ^= 0x01,
        ),
    ];
    for (name, comment, flip) in flips {
        push(name, comment, &edited(&good, flip), &k16);
    }
    // Options are not hashed: rewriting NOPs into window scale keeps the
    // digest valid.
    let mut s2 = s.clone();
    s2.options = cat(&[&linux_md5_placeholder(), &[NOP; 4]]);
    let p = edited(&signed(&s2, &[], &k16), |t| {
        t[at::AFTER_MD5..at::AFTER_MD5 + 4].copy_from_slice(&cat(&[&window_scale(7), &[NOP]]));
    });
    push(
        "options-changed-after-signing",
        "options rewritten after signing (NOPs to window scale): options are not hashed, digest still valid",
        &p,
        &k16,
    );
    push(
        "neg-wrong-key",
        "negative: signed with another key of the same length: MD5 failure",
        &signed(&s, &[], b"tcpmd5-vector-17"),
        &k16,
    );
    // Trailing NUL: C-string truncation bugs.
    let nul = signed(&s, &[], b"secret\0");
    push(
        "key-trailing-nul",
        "7-byte key 'secret\\0': the NUL is part of the key",
        &nul,
        b"secret\0",
    );
    push(
        "neg-key-trailing-nul-truncated",
        "negative: signed with 'secret\\0', receiver holds 'secret' (NUL-terminated string handling): MD5 failure",
        &nul,
        b"secret",
    );
    let mut unsigned = s.clone();
    unsigned.options = Vec::new();
    push(
        "neg-unsigned",
        "negative: no MD5 option while the receiver holds a key: TCP_MD5NOTFOUND ('digest' is what the sender should have sent)",
        &packet(&unsigned, &[]),
        &k16,
    );
    // Digests with a classic implementation bug in place of the right one.
    for (bug, name, comment) in BUGS {
        if bug == Bug::V4StylePseudo && !v6 {
            continue;
        }
        let bad = buggy_digest(&good, &k16, bug);
        push(
            name,
            comment,
            &edited(&good, |t| t[at::DIGEST].copy_from_slice(&bad)),
            &k16,
        );
    }
}

/// A classic implementation bug.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bug {
    HashOptions,
    BeforeOption,
    KeyPadded,
    ChecksumHashed,
    V4StylePseudo,
}

/// Each bug's negative vector: `(bug, id suffix, comment)`.
const BUGS: [(Bug, &str, &str); 5] = [
    (
        Bug::HashOptions,
        "neg-options-hashed",
        "negative: digest computed over the options too (old scapy bug): MD5 failure",
    ),
    (
        Bug::BeforeOption,
        "neg-signed-before-option",
        "negative: digest computed before the option was inserted (doff and length 20 bytes short; old scapy bug): MD5 failure",
    ),
    (
        Bug::KeyPadded,
        "neg-key-padded",
        "negative: key hashed zero-padded to 80 bytes (tcpm_key instead of tcpm_keylen bytes): MD5 failure",
    ),
    (
        Bug::ChecksumHashed,
        "neg-checksum-hashed",
        "negative: digest over the header with a non-zero checksum field: MD5 failure",
    ),
    (
        Bug::V4StylePseudo,
        "neg-v4-style-pseudo-header",
        "negative: IPv6 digest with an IPv4-style pseudo-header (16-bit length, zero, protocol): MD5 failure",
    ),
];

/// The digest of `packet` (signed, Linux layout) as an implementation with
/// `bug` computes it.
fn buggy_digest(packet: &[u8], key: &[u8], bug: Bug) -> [u8; 16] {
    let seg = IpSegment::parse(packet).expect("parse");
    let s = seg.segment;
    let doff = usize::from(s[at::DATA_OFFSET] >> 4) * 4;
    let mut header = s[at::FIXED].to_vec();
    let body = &s[doff..];
    let mut tcp_len = s.len();
    header[at::CHECKSUM].fill(0);
    match bug {
        Bug::HashOptions => {
            header = s[..doff].to_vec();
            header[at::CHECKSUM].fill(0);
            header[at::MD5_KIND..doff].fill(0);
        }
        Bug::BeforeOption => {
            header[at::DATA_OFFSET] =
                (((doff - 20) / 4) as u8) << 4 | (header[at::DATA_OFFSET] & 0x0f);
            tcp_len -= 20;
        }
        Bug::ChecksumHashed => header[at::CHECKSUM].copy_from_slice(&[0xbe, 0xef]),
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
    md5.update(body);
    let mut k = key.to_vec();
    if bug == Bug::KeyPadded {
        k.resize(80, 0);
    }
    md5.update(&k);
    md5.finalize().into()
}

/// The known-answer pair of an independent implementation, as a packet.
pub(crate) fn external_digest() -> Vec<Value> {
    let input = unhex("c0a83814c0a838280006002800b3d10515f72762291b6878a010007300000000");
    let h = &input[12..];
    let be16 = |r: Range<usize>| u16::from_be_bytes([h[r.start], h[r.start + 1]]);
    let be32 = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    let s = TcpSegmentSpec {
        addrs: addrs("192.168.56.20", "192.168.56.40"),
        src_port: be16(0..2),
        dst_port: be16(2..4),
        seq: be32(4),
        ack: be32(8),
        flags: TcpFlags(u16::from_be_bytes([h[12] & 0x0f, h[13]])),
        window: be16(14..16),
        urgent: be16(18..20),
        options: linux_md5_placeholder(),
        payload: Vec::new(),
    };
    let mut v = digest_vector(
        "external/kat-lolcats",
        "known-answer pair from an independent implementation (digest input without payload, key 'lolcats'), rebuilt as an IPv4 packet with the Linux option layout",
        json!({"kind": "external", "source": "known-answer pair published for an independent RFC 2385 implementation (digest input without payload, key lolcats)"}),
        "ack",
        &signed(&s, &[], b"lolcats"),
        b"lolcats",
    );
    assert_eq!(v["digest"], "eaf8d1f1da3f03c90b42709e9508fc73");
    v["digest_input"] = Value::String(hex(&input));
    vec![v]
}
