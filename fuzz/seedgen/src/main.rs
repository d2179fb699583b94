//! Writes the seed corpora of the fuzz targets: crafted packets (signed SYN
//! over IPv4 and IPv6, each option-layout corner case) and, when present,
//! every `packet` / `area` hex string of `vectors/**/*.json`.
//!
//! Usage: `cargo run -p tcpmd5-seedgen -- [OUT_DIR]` (default `fuzz/seeds`).
//! Packets are built with the test kit (`tcpmd5_testkit`), and the bytes the
//! targets read before a packet follow its `fuzz_input` layout. Files are named by content, so reruns are
//! idempotent and never delete anything.
#![forbid(unsafe_code)]
#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "every seed is built from constants here: a failure is a bug in this generator, \
              reported at once; the bytes read from vectors/ go through checked paths"
)]

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::{env, fs};

mod batch;

use tcpmd5::key_table::Md5SigRequest;
use tcpmd5::sign::sign_packet_to_vec;
use tcpmd5::wire::{IpSegment, TcpFlags, TcpRepr};
use tcpmd5::{AddrPair, Key};
use tcpmd5_testkit::fuzz_input::{KeyPrefix, RECEIVER_CONTROL_LEN, key_mode, receiver_control};
use tcpmd5_testkit::options::{cat, md5 as md5_option};
use tcpmd5_testkit::record::unhex;
use tcpmd5_testkit::{ExtHeader, IpHeaders, ip_packet_with};

/// Semantics bytes of a key prefix (`Semantics::ALL` order).
const RFC2385: u8 = 0;
const LEGACY: u8 = 1;
const LINUX: u8 = 2;
const LINUX_AO: u8 = 3;

/// Key prefixes of the `verdict` and `receiver` targets, key length byte 6
/// (7 bytes).
const VERDICT_PREFIXES: [KeyPrefix; 8] = {
    use key_mode::{BIND_VRF_5, EXACT, FAMILY_WILDCARD, OTHER_FAMILY_WILDCARD, SIGN, SIGN_WITH_B};
    [
        [RFC2385, 0, 0, 6],                                      // no key
        [LEGACY, 0, EXACT, 6],                                   // exact key
        [LINUX, 0, EXACT | SIGN, 6],                             // exact key, signed with it
        [LINUX_AO, 0, EXACT | SIGN, 6],                          // the same
        [LINUX, 0, EXACT | SIGN | SIGN_WITH_B, 6],               // signed with the wrong key
        [LINUX, 1, EXACT | BIND_VRF_5 | SIGN, 6], // key bound to VRF 5, arriving in 5
        [LINUX, 0, EXACT | BIND_VRF_5 | SIGN, 6], // key bound to VRF 5, arriving outside
        [LEGACY, 0, FAMILY_WILDCARD | OTHER_FAMILY_WILDCARD, 6], // wildcard keys, both families
    ]
};

/// The `receiver` target's control bytes: `[control, rcv_nxt delta (2
/// bytes), window]`.
const RECEIVER_CONTROLS: [[u8; RECEIVER_CONTROL_LEN]; 6] = {
    use receiver_control::{FIN_WAIT_2, LISTENER, RFC1337};
    [
        [0, 0, 0, 2],                           // TIME-WAIT, rcv_nxt = seq
        [FIN_WAIT_2, 0, 0, 2],                  // FIN-WAIT-2, rcv_nxt = seq
        [RFC1337, 0, 1, 0],                     // TIME-WAIT with rfc1337, rcv_nxt = seq + 1
        [LISTENER, 0, 0, 2],                    // a listener for the closed-port reset
        [FIN_WAIT_2 | LISTENER, 0xff, 0xff, 3], // rcv_nxt = seq - 1
        [RFC1337 | LISTENER, 0x10, 0, 4],       // rcv_nxt far ahead
    ]
};

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

struct Seeds {
    out: PathBuf,
    written: usize,
    rotate: usize,
}

impl Seeds {
    fn put(&mut self, target: &str, name: &str, data: &[u8]) {
        let dir = self.out.join(target);
        fs::create_dir_all(&dir).expect("create seed dir");
        let path = dir.join(format!("{name}-{:016x}", fnv(data)));
        if !path.exists() {
            fs::write(&path, data).expect("write seed");
            self.written += 1;
        }
    }

    /// A whole IP packet: for the packet, verdict and sign targets, and its
    /// option area for the scan target.
    fn packet(&mut self, name: &str, packet: &[u8]) {
        self.put("parse_packet", name, packet);
        self.put("sign_verify", name, packet);
        // Two of the key setups per packet, rotating through them all.
        for _ in 0..2 {
            let prefix = VERDICT_PREFIXES[self.rotate % VERDICT_PREFIXES.len()];
            self.rotate += 1;
            let mut v = prefix.to_vec();
            v.extend_from_slice(packet);
            self.put("verdict", name, &v);
            let mut r = prefix.to_vec();
            r.extend_from_slice(&RECEIVER_CONTROLS[self.rotate % RECEIVER_CONTROLS.len()]);
            r.extend_from_slice(packet);
            self.put("receiver", name, &r);
        }
        if let Ok(seg) = IpSegment::parse(packet) {
            self.put("parse_packet", &format!("{name}-tcp"), seg.segment);
            self.put("auth_scan", name, seg.tcp().options());
        }
    }

    fn options(&mut self, name: &str, area: &[u8]) {
        self.put("auth_scan", name, area);
        self.put("key_table", name, area);
        for (v6, signed) in [(false, false), (true, true)] {
            {
                let p = ip_packet(v6, area, b"seed", &[]);
                let p = if signed { sign(&p).unwrap_or(p) } else { p };
                let tag = format!(
                    "{name}-{}{}",
                    if v6 { "v6" } else { "v4" },
                    if signed { "-signed" } else { "" }
                );
                self.packet(&tag, &p);
            }
        }
    }
}

fn v4() -> (Ipv4Addr, Ipv4Addr) {
    (Ipv4Addr::new(10, 99, 0, 2), Ipv4Addr::new(10, 99, 0, 1))
}

fn v6() -> (Ipv6Addr, Ipv6Addr) {
    (
        "fd00:99::2".parse().expect("v6"),
        "fd00:99::1".parse().expect("v6"),
    )
}

/// An IP packet around a TCP SYN with these options (padded with EOL to a
/// multiple of 4) and payload, with these IPv6 extension headers.
fn ip_packet(is_v6: bool, options: &[u8], payload: &[u8], ext: &[ExtHeader]) -> Vec<u8> {
    let mut opts = options.to_vec();
    opts.truncate(40);
    while !opts.len().is_multiple_of(4) {
        opts.push(0);
    }
    let addrs = if is_v6 {
        let (src, dst) = v6();
        AddrPair::V6 { src, dst }
    } else {
        let (src, dst) = v4();
        AddrPair::V4 { src, dst }
    };
    let tcp = TcpRepr {
        src_port: 40000,
        dst_port: 179,
        seq: 0x1000_0001,
        ack: 0,
        flags: TcpFlags::SYN,
        window: 64240,
        urgent: 0,
        options: &opts,
        payload,
    };
    let mut seg = vec![0u8; tcp.segment_len()];
    tcp.emit(&addrs, &mut seg).expect("emit tcp");
    let headers = IpHeaders {
        ipv4_ident: 1,
        ipv6_ext: ext.to_vec(),
    };
    ip_packet_with(&addrs, &headers, &seg).expect("ip packet")
}

fn key_a() -> Key {
    // The verdict target's key A with key length byte 6 (7 bytes).
    Key::new(&b"key-A-0123456789"[..7]).expect("key")
}

fn sign(packet: &[u8]) -> Option<Vec<u8>> {
    sign_packet_to_vec(packet, &key_a()).ok()
}

fn md5(digest: u8) -> Vec<u8> {
    md5_option([digest; 16])
}

fn crafted(seeds: &mut Seeds) {
    let nop2: &[u8] = &[1, 1];
    let mss: &[u8] = &[2, 4, 5, 0xb4];
    let ws: &[u8] = &[1, 3, 3, 7];
    let sackp: &[u8] = &[4, 2];
    let ts: &[u8] = &[8, 10, 0, 0, 0, 1, 0, 0, 0, 0];
    let ao: &[u8] = &[29, 16, 1, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9];
    let m = md5(0xaa);
    let layouts: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("linux-md5", cat(&[nop2, &m])),
        (
            "linux-md5-mss-ws-sackp",
            cat(&[nop2, &m, mss, ws, sackp, nop2]),
        ),
        ("typical-syn", cat(&[mss, sackp, ts, ws])),
        ("md5-at-0", m.clone()),
        ("md5-len-17", cat(&[&[19, 17], &[0; 15], nop2])),
        ("md5-len-19", cat(&[&[19, 19], &[0; 17], nop2])),
        ("md5-twice", cat(&[nop2, &m, nop2, &md5(0xbb)])),
        ("md5-then-ao", cat(&[nop2, &m, ao])),
        ("ao-alone", ao.to_vec()),
        ("ao-len-4", cat(&[&[29, 4, 1, 2], &[1; 16]])),
        ("eol-first", cat(&[&[0], &m, &[0]])),
        ("md5-after-eol", cat(&[nop2, &[0, 0], &m])),
        ("len-0", cat(&[&[8, 0], &[0; 18]])),
        ("len-1", cat(&[&[8, 1], &[0; 18]])),
        ("len-past-end", cat(&[&[8, 30], &[0; 18]])),
        ("nop17-kind", cat(&[&[1; 17], &[7]])),
        ("short-tail-md5", cat(&[&[1; 23], &m[..17]])),
        ("md5-in-last-18", cat(&[&[1; 22], &m])),
        ("unknown-kind-then-md5", cat(&[&[99, 4, 1, 2], &m, nop2])),
        ("all-nop-40", vec![1; 40]),
        ("all-eol-40", vec![0; 40]),
        ("kind-19-len-2", cat(&[&[19, 2], &[1; 18]])),
        ("tcp-ao-short-tail", cat(&[&[1; 14], &[29, 6, 1, 2, 3, 4]])),
    ];
    for (name, area) in &layouts {
        seeds.options(name, area);
    }
    // AO options reaching a socket with a key, unsigned, under every
    // semantics (the rotation above signs most packets, and MD5 + AO is
    // malformed), for the verdict and every receiver.
    for (name, area) in layouts
        .iter()
        .filter(|(n, _)| n.starts_with("ao") || n.contains("-ao"))
    {
        for v6 in [false, true] {
            let p = ip_packet(v6, area, b"", &[]);
            for sem in 0..4u8 {
                let prefix = [sem, 0, key_mode::EXACT, 6];
                let tag = format!("{name}-{}-sem{sem}", if v6 { "v6" } else { "v4" });
                seeds.put("verdict", &tag, &cat(&[&prefix, &p]));
                let control = [
                    receiver_control::LISTENER | (sem & receiver_control::FIN_WAIT_2),
                    0,
                    0,
                    2,
                ];
                seeds.put("receiver", &tag, &cat(&[&prefix, &control, &p]));
                // The same at a socket without keys.
                let unkeyed = [sem, 0, 0, 6];
                let tag = format!("{tag}-no-key");
                seeds.put("verdict", &tag, &cat(&[&unkeyed, &p]));
                seeds.put("receiver", &tag, &cat(&[&unkeyed, &control, &p]));
            }
        }
    }
    // Vector records (vectors/README.md) around crafted packets and areas.
    let hex = tcpmd5_testkit::record::hex;
    for (name, area) in layouts.iter().take(8) {
        let p = ip_packet(false, area, b"vec", &[]);
        let signed = sign(&p).unwrap_or(p);
        let record = format!(
            r#"{{"group":"digest","vectors":[{{"id":"{name}","packet":"{}","key":"{}","area":"{}","verdict":{{"rfc2385":"accept","linux-legacy":"accept","linux":"accept","linux-ao":"accept","linux-6.6":"x"}}}}]}}"#,
            hex(&signed),
            hex(key_a().as_bytes()),
            hex(area)
        );
        seeds.put("vector_json", name, record.as_bytes());
    }
    seeds.put("vector_json", "empty-key", br#"{"key":"","packet":"45"}"#);
    seeds.put(
        "vector_json",
        "long-key",
        format!(r#"{{"key":"{}"}}"#, "ab".repeat(81)).as_bytes(),
    );

    // Oddly long areas for the scan alone.
    seeds.put("auth_scan", "long-nops-md5", &cat(&[&[1; 300], &m]));
    seeds.put("auth_scan", "one-byte", &[19]);

    // Signed SYNs, v4 and v6, with and without payload.
    for is_v6 in [false, true] {
        for payload in [&b""[..], b"hello, bgp"] {
            let p = ip_packet(is_v6, &cat(&[mss, sackp, ts, ws]), payload, &[]);
            let name = format!(
                "signed-syn-{}-{}",
                if is_v6 { "v6" } else { "v4" },
                payload.len()
            );
            if let Some(s) = sign(&p) {
                seeds.packet(&name, &s);
            }
            seeds.packet(&format!("unsigned-{name}"), &p);
        }
    }
    // IPv6 with a hop-by-hop header, and one with a fragment header.
    let p = ip_packet(true, &cat(&[mss]), b"x", &[ExtHeader::hop_by_hop()]);
    seeds.packet("v6-hop-by-hop", &sign(&p).unwrap_or(p));
    let fragment = [ExtHeader::atomic_fragment()];
    seeds.packet("v6-atomic-fragment", &ip_packet(true, &[], b"", &fragment));
    // Truncated and odd packets.
    let full = sign(&ip_packet(false, &[], b"abc", &[])).unwrap_or_default();
    for cut in [0, 1, 19, 20, 39, 40, 59] {
        seeds.put(
            "parse_packet",
            &format!("cut-{cut}"),
            &full[..cut.min(full.len())],
        );
    }
    let mut bad_doff = full.clone();
    if let Some(b) = bad_doff.get_mut(32) {
        *b = 0xf0;
    }
    seeds.packet("bad-doff", &bad_doff);

    // Raw setsockopt bytes: `[control]` then `struct tcp_md5sig`
    // (control 1 an IPv6 socket, 2 TCP_MD5SIG_EXT).
    let key = key_a();
    let (src4, _) = v4();
    let (src6, _) = v6();
    let requests = [
        ("add-v4", 0u8, Md5SigRequest::add(src4.into(), &key)),
        (
            "add-v4-prefix-24",
            2,
            Md5SigRequest::add(src4.into(), &key).with_prefix(24),
        ),
        (
            "add-mapped",
            1,
            Md5SigRequest::add(src4.to_ipv6_mapped().into(), &key),
        ),
        (
            "add-v6-prefix-64",
            3,
            Md5SigRequest::add(src6.into(), &key).with_prefix(64),
        ),
        (
            "add-v6-vrf-5",
            3,
            Md5SigRequest::add(src6.into(), &key).with_ifindex(5),
        ),
        (
            "add-v6-not-vrf",
            3,
            Md5SigRequest::add(src6.into(), &key).with_ifindex(2),
        ),
        ("delete-v4", 0, Md5SigRequest::delete(src4.into())),
        ("wrong-family", 1, Md5SigRequest::add(src4.into(), &key)),
    ];
    for (name, control, req) in &requests {
        let bytes = req.to_bytes();
        seeds.put("key_sockopt", name, &cat(&[&[*control], &bytes]));
        seeds.put(
            "key_sockopt",
            &format!("{name}-short"),
            &cat(&[&[*control], &bytes[..215]]),
        );
    }
    let mut long_key = requests[0].2.to_bytes();
    long_key[130..132].copy_from_slice(&81u16.to_ne_bytes());
    seeds.put("key_sockopt", "keylen-81", &cat(&[&[0], &long_key]));

    // Key tables (MD5 alone, AO next to MD5): a few operation streams
    // (any bytes decode as one).
    for (i, s) in [&[0u8; 32][..], &[0xff; 64], &(0..=255).collect::<Vec<u8>>()]
        .iter()
        .enumerate()
    {
        seeds.put("key_table", &format!("bytes-{i}"), s);
        seeds.put("ao_keys", &format!("bytes-{i}"), s);
        seeds.put("sign_verify", &format!("bytes-{i}"), s);
    }
}

/// The bytes of a hex string, which may start with `0x` and hold spaces,
/// colons, underscores or dashes between bytes.
fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let digits: String = s
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !" :_-\n\t".contains(*c))
        .collect();
    unhex(&digits)
}

/// Every string value of a `"field": "..."` pair in a JSON text, wherever it
/// is nested. Not a JSON parser: enough for hex strings.
fn string_fields<'a>(text: &'a str, field: &str) -> Vec<&'a str> {
    let needle = format!("\"{field}\"");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let after = rest.trim_start();
        let Some(after) = after.strip_prefix(':') else {
            continue;
        };
        let after = after.trim_start();
        let Some(after) = after.strip_prefix('"') else {
            continue;
        };
        if let Some(end) = after.find('"') {
            found.push(&after[..end]);
        }
    }
    found
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn vectors(seeds: &mut Seeds, root: &Path) -> usize {
    let mut files = Vec::new();
    json_files(&root.join("vectors"), &mut files);
    let mut n = 0;
    for file in &files {
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        let stem = file
            .file_stem()
            .map_or("vector".into(), |s| s.to_string_lossy().into_owned());
        seeds.put("vector_json", &format!("vec-{stem}"), text.as_bytes());
        // Digest and option vectors carry whole packets in `packet`, option
        // areas in `area` (vectors/README.md); `*_hex` names are accepted too.
        let packets = ["packet", "packet_hex"]
            .into_iter()
            .flat_map(|f| string_fields(&text, f));
        for hex in packets {
            if let Some(bytes) = hex_decode(hex) {
                seeds.packet(&format!("vec-{stem}"), &bytes);
                n += 1;
            }
        }
        let areas = ["area", "options_hex"]
            .into_iter()
            .flat_map(|f| string_fields(&text, f));
        for hex in areas {
            if let Some(bytes) = hex_decode(hex) {
                seeds.options(&format!("vec-{stem}"), &bytes);
                n += 1;
            }
        }
    }
    n
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = env::args_os()
        .nth(1)
        .map_or_else(|| root.join("fuzz/seeds"), PathBuf::from);
    let mut seeds = Seeds {
        out,
        written: 0,
        rotate: 0,
    };
    let vectors_only = env::args().any(|a| a == "--vectors-only");
    if !vectors_only {
        crafted(&mut seeds);
        batch::batch(&mut seeds);
    }
    let from_vectors = vectors(&mut seeds, &root);
    println!(
        "seedgen: {} new seed files in {} ({from_vectors} hex strings from vectors/)",
        seeds.written,
        seeds.out.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_hex_fields() {
        let text = r#"{"cases": [{"packet_hex": "4500 00ff"}, {"x": {"options_hex" : "0101"}}]}"#;
        assert_eq!(string_fields(text, "packet_hex"), vec!["4500 00ff"]);
        assert_eq!(string_fields(text, "options_hex"), vec!["0101"]);
        assert_eq!(hex_decode("4500 00ff"), Some(vec![0x45, 0, 0, 0xff]));
    }
}
