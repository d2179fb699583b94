//! Packets for the harness tests: built with the shared test kit, read back
//! with minimal hand-written parsers (so a library bug cannot hide a
//! harness bug on the receive side).
#![allow(
    dead_code,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::IpAddr;

use tcpmd5::wire::TcpFlags;
use tcpmd5::{AddrPair, Family};
use tcpmd5_testkit::{IpHeaders, TcpSegmentSpec, options};

use tcpmd5_conformance::harness::Lab;
use tcpmd5_conformance::harness::privilege;

/// A lab. The test binary's `main` established the privilege before any
/// thread existed (see [`trials`]), so a failure here is a harness failure.
pub(crate) fn lab(test: &str) -> Lab {
    match Lab::new() {
        Ok(lab) => lab,
        Err(e) => panic!(
            "{test}: Lab::new failed with privilege {:?}: {e}",
            privilege::current()
        ),
    }
}

/// Trials for tests that need namespaces: run when `privilege` was
/// established (as root, or rootless in a user namespace of the test
/// binary's own), else ignored with the reason printed.
pub(crate) fn trials(
    privilege: &Result<privilege::Privilege, privilege::Unsupported>,
    tests: Vec<(&'static str, fn())>,
) -> Vec<libtest_mimic::Trial> {
    tests
        .into_iter()
        .map(|(name, test)| match privilege {
            Ok(_) => libtest_mimic::Trial::test(name, move || {
                test();
                Ok(())
            }),
            Err(e) if e.kind == privilege::UnsupportedKind::Refused => {
                eprintln!("SKIP {name}: {e}");
                libtest_mimic::Trial::test(name, || Ok(())).with_ignored_flag(true)
            }
            Err(e) => {
                let why = e.to_string();
                libtest_mimic::Trial::test(name, move || Err(why.into()))
            }
        })
        .collect()
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

/// A complete IP packet carrying a SYN with an MSS option from `src` to
/// `dst` of whichever family, checksums correct.
pub(crate) fn syn(src: IpAddr, dst: IpAddr, sport: u16, dport: u16) -> Vec<u8> {
    let addrs = AddrPair::new(src, dst).expect("one family");
    let seq = match addrs.family() {
        Family::V4 => 0x1000_0000,
        Family::V6 => 0x2000_0000,
    };
    let spec = TcpSegmentSpec {
        seq,
        window: 65535,
        options: options::mss_1460(),
        ..TcpSegmentSpec::new(addrs, (sport, dport), TcpFlags::SYN)
    };
    let headers = IpHeaders {
        ipv4_ident: 0x1234,
        ..IpHeaders::default()
    };
    spec.to_packet_with(&headers).expect("SYN builds")
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
