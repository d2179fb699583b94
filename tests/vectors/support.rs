//! Shared helpers of the vector generator and checker: hex, packet building,
//! and the names the vector files use for scans and verdicts.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use tcpmd5::scan::AuthScan;
use tcpmd5::verdict::Acceptance;
use tcpmd5::wire::checksum;
use tcpmd5::wire::tcp::{TcpFlags, TcpRepr};
use tcpmd5::{AddrPair, DropReason, Verdict};

/// `vectors/` at the root of the package.
pub(crate) fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

pub(crate) fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The verdict as the vector files spell it.
pub(crate) fn verdict_id(v: Verdict) -> String {
    match v {
        Verdict::Accept(Acceptance::Unsigned) => "accept:unsigned".to_owned(),
        Verdict::Accept(Acceptance::Signed) => "accept:signed".to_owned(),
        Verdict::Accept(Acceptance::AoNotChecked) => "accept:ao-not-checked".to_owned(),
        Verdict::Drop(r) => format!("drop:{}", r.kernel_name()),
    }
}

/// Every verdict id (for the schema).
pub(crate) fn all_verdict_ids() -> Vec<String> {
    let mut v: Vec<String> = [
        Acceptance::Unsigned,
        Acceptance::Signed,
        Acceptance::AoNotChecked,
    ]
    .into_iter()
    .map(|a| verdict_id(Verdict::Accept(a)))
    .collect();
    v.extend(DropReason::ALL.map(|r| verdict_id(Verdict::Drop(r))));
    v
}

/// `(class, offset)` of a scan: md5/ao at an offset, absent, malformed.
pub(crate) fn scan_class(scan: AuthScan<'_>) -> (&'static str, Option<usize>) {
    match scan {
        AuthScan::Md5 { offset, .. } => ("md5", Some(offset)),
        AuthScan::Ao { offset, .. } => ("ao", Some(offset)),
        AuthScan::Absent(_) => ("absent", None),
        AuthScan::Malformed(_) => ("malformed", None),
    }
}

/// An IPv6 extension header to put before TCP: its type and its bytes
/// (the next-header byte is filled in when the chain is built).
#[derive(Debug, Clone)]
pub(crate) struct ExtHeader {
    pub kind: u8,
    pub bytes: Vec<u8>,
}

impl ExtHeader {
    /// Hop-by-Hop options with one PadN filling 8 bytes.
    pub(crate) fn hop_by_hop() -> ExtHeader {
        ExtHeader {
            kind: 0,
            bytes: vec![0, 0, 1, 4, 0, 0, 0, 0],
        }
    }
    /// Destination options, 16 bytes (PadN).
    pub(crate) fn dest_opts() -> ExtHeader {
        ExtHeader {
            kind: 60,
            bytes: vec![0, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        }
    }
    /// Routing header type 0 with segments left 0 (ignored by receivers).
    pub(crate) fn routing() -> ExtHeader {
        ExtHeader {
            kind: 43,
            bytes: vec![0, 0, 0, 0, 0, 0, 0, 0],
        }
    }
    /// An atomic fragment (offset 0, M clear).
    pub(crate) fn atomic_fragment() -> ExtHeader {
        ExtHeader {
            kind: 44,
            bytes: vec![0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78],
        }
    }
}

/// A TCP segment to build.
#[derive(Debug, Clone)]
pub(crate) struct Seg {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub urgent: u16,
    pub options: Vec<u8>,
    pub payload: Vec<u8>,
}

/// Builds a whole IP packet (IPv4 with DF, or IPv6 with `ext` headers
/// before TCP), TCP checksum correct, digest bytes as in `seg.options`.
pub(crate) fn build_packet(addrs: &AddrPair, ext: &[ExtHeader], seg: &Seg) -> Vec<u8> {
    let repr = TcpRepr {
        src_port: seg.sport,
        dst_port: seg.dport,
        seq: seg.seq,
        ack: seg.ack,
        flags: seg.flags,
        window: seg.window,
        urgent: seg.urgent,
        options: &seg.options,
        payload: &seg.payload,
    };
    let mut tcp = vec![0u8; repr.segment_len()];
    repr.emit(addrs, &mut tcp).expect("emit tcp");
    match addrs {
        AddrPair::V4 { src, dst } => {
            assert!(ext.is_empty());
            let total = u16::try_from(20 + tcp.len()).expect("v4 length");
            let mut ip = vec![0x45, 0];
            ip.extend(total.to_be_bytes());
            ip.extend([0x2b, 0x85, 0x40, 0x00, 64, 6, 0, 0]);
            ip.extend(src.octets());
            ip.extend(dst.octets());
            let sum = checksum::checksum(&ip);
            ip[10..12].copy_from_slice(&sum.to_be_bytes());
            ip.extend(tcp);
            ip
        }
        AddrPair::V6 { src, dst } => {
            let mut chain = Vec::new();
            for (i, h) in ext.iter().enumerate() {
                let mut b = h.bytes.clone();
                b[0] = ext.get(i + 1).map_or(6, |n| n.kind);
                chain.extend(b);
            }
            let plen = u16::try_from(chain.len() + tcp.len()).expect("v6 length");
            let mut ip = vec![0x60, 0, 0, 0];
            ip.extend(plen.to_be_bytes());
            ip.push(ext.first().map_or(6, |h| h.kind));
            ip.push(64);
            ip.extend(src.octets());
            ip.extend(dst.octets());
            ip.extend(chain);
            ip.extend(tcp);
            ip
        }
    }
}

pub(crate) fn addrs(src: &str, dst: &str) -> AddrPair {
    let s: IpAddr = src.parse().expect("addr");
    let d: IpAddr = dst.parse().expect("addr");
    AddrPair::new(s, d).expect("same family")
}

pub(crate) fn family_id(a: &AddrPair) -> &'static str {
    match a {
        AddrPair::V4 { .. } => "ipv4",
        AddrPair::V6 { .. } => "ipv6",
    }
}
