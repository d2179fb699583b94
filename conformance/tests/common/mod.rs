//! Minimal hand-built packets for the harness tests (the root crate's packet
//! builder is not used here on purpose: these tests check the harness alone).
#![allow(
    dead_code,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tcpmd5_conformance::harness::Lab;
use tcpmd5_conformance::harness::privilege;

/// A lab, or `None` after printing why the test is skipped.
pub(crate) fn lab_or_skip(test: &str) -> Option<Lab> {
    if let Err(e) = privilege::init() {
        eprintln!("SKIP {test}: {e}");
        return None;
    }
    match Lab::new() {
        Ok(lab) => Some(lab),
        Err(e) => panic!("{test}: Lab::new failed with privilege: {e}"),
    }
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn add_bytes(mut sum: u32, data: &[u8]) -> u32 {
    for chunk in data.chunks(2) {
        let word = if chunk.len() == 2 {
            u16::from_be_bytes([chunk[0], chunk[1]])
        } else {
            u16::from_be_bytes([chunk[0], 0])
        };
        sum += u32::from(word);
    }
    sum
}

/// A TCP SYN header with an MSS option; checksum left zero.
fn tcp_syn(sport: u16, dport: u16, seq: u32) -> Vec<u8> {
    let mut t = Vec::with_capacity(24);
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.push(6 << 4); // doff 6 words
    t.push(0x02); // SYN
    t.extend_from_slice(&65535u16.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent
    t.extend_from_slice(&[2, 4, 0x05, 0xb4]); // MSS 1460
    t
}

/// A complete IPv4 packet carrying a SYN, checksums correct.
pub(crate) fn syn_v4(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16) -> Vec<u8> {
    let mut tcp = tcp_syn(sport, dport, 0x1000_0000);
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    let csum = fold(add_bytes(add_bytes(0, &pseudo), &tcp));
    tcp[16..18].copy_from_slice(&csum.to_be_bytes());

    let total = 20 + tcp.len();
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&(total as u16).to_be_bytes());
    ip.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 64, 6, 0, 0]);
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let hsum = fold(add_bytes(0, &ip));
    ip[10..12].copy_from_slice(&hsum.to_be_bytes());
    ip.extend_from_slice(&tcp);
    ip
}

/// A complete IPv6 packet carrying a SYN, checksum correct.
pub(crate) fn syn_v6(src: Ipv6Addr, dst: Ipv6Addr, sport: u16, dport: u16) -> Vec<u8> {
    let mut tcp = tcp_syn(sport, dport, 0x2000_0000);
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&(tcp.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 6]);
    let csum = fold(add_bytes(add_bytes(0, &pseudo), &tcp));
    tcp[16..18].copy_from_slice(&csum.to_be_bytes());

    let mut ip = vec![0x60, 0, 0, 0];
    ip.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    ip.extend_from_slice(&[6, 64]);
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    ip.extend_from_slice(&tcp);
    ip
}

/// A SYN from `src` to `dst` of whichever family.
pub(crate) fn syn(src: IpAddr, dst: IpAddr, sport: u16, dport: u16) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => syn_v4(s, d, sport, dport),
        (IpAddr::V6(s), IpAddr::V6(d)) => syn_v6(s, d, sport, dport),
        _ => panic!("mixed families"),
    }
}

/// The TCP segment inside an IPv4 or IPv6 packet (no extension headers).
pub(crate) fn tcp_of(ip: &[u8]) -> Option<&[u8]> {
    match ip.first()? >> 4 {
        4 => {
            let ihl = usize::from(ip.first()? & 0x0f) * 4;
            (*ip.get(9)? == 6).then(|| ip.get(ihl..)).flatten()
        }
        6 => (*ip.get(6)? == 6).then(|| ip.get(40..)).flatten(),
        _ => None,
    }
}

/// (source port, destination port, flags) of a TCP segment.
pub(crate) fn ports_flags(tcp: &[u8]) -> Option<(u16, u16, u8)> {
    Some((
        u16::from_be_bytes([*tcp.first()?, *tcp.get(1)?]),
        u16::from_be_bytes([*tcp.get(2)?, *tcp.get(3)?]),
        *tcp.get(13)?,
    ))
}

/// Accepts a SYN-ACK from `sport` to `dport`.
pub(crate) fn is_synack(ip: &[u8], sport: u16, dport: u16) -> bool {
    tcp_of(ip)
        .and_then(ports_flags)
        .is_some_and(|(s, d, f)| s == sport && d == dport && f & 0x12 == 0x12)
}

/// Whether the TCP checksum of an IPv4/IPv6 packet verifies.
pub(crate) fn tcp_checksum_ok(ip: &[u8]) -> bool {
    let Some(tcp) = tcp_of(ip) else { return false };
    let mut pseudo = Vec::new();
    if ip[0] >> 4 == 4 {
        pseudo.extend_from_slice(&ip[12..20]);
        pseudo.extend_from_slice(&[0, 6]);
        pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    } else {
        pseudo.extend_from_slice(&ip[8..40]);
        pseudo.extend_from_slice(&(tcp.len() as u32).to_be_bytes());
        pseudo.extend_from_slice(&[0, 0, 0, 6]);
    }
    fold(add_bytes(add_bytes(0, &pseudo), tcp)) == 0
}
