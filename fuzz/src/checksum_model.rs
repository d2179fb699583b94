//! The checksum stage, written from RFC 1071 (the Internet checksum), RFC 791
//! (the IPv4 header checksum) and RFC 9293 / RFC 8200 (the TCP pseudo-header),
//! not from `src/`: which checksum of a packet is wrong, if any. Where the
//! kernel applies it (`ip_rcv_core` first; `tcp_v4_rcv`/`tcp_v6_rcv` at once
//! for segments of at most 76 bytes, else after the MD5 check) is the
//! targets' business.

use tcpmd5::AddrPair;

/// A wrong checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bad {
    /// The IPv4 header checksum.
    Ipv4Header,
    /// The TCP checksum.
    Tcp,
}

/// `CHECKSUM_BREAK`: segments up to this many bytes are summed at once.
pub const BREAK: usize = 76;

fn sum(mut acc: u32, bytes: &[u8]) -> u32 {
    let mut chunks = bytes.chunks_exact(2);
    for pair in &mut chunks {
        acc += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u32::from(*last) << 8;
    }
    acc
}

fn folds_to_all_ones(mut acc: u32) -> bool {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc == 0xffff
}

/// The wrong checksum of `packet` (whose TCP segment is `segment`, between
/// `addrs`), the IPv4 header's first.
pub fn bad_checksum(packet: &[u8], addrs: &AddrPair, segment: &[u8]) -> Option<Bad> {
    if let AddrPair::V4 { .. } = addrs {
        let ihl = usize::from(packet[0] & 0x0f) * 4;
        if !folds_to_all_ones(sum(0, &packet[..ihl])) {
            return Some(Bad::Ipv4Header);
        }
    }
    let len = segment.len();
    let pseudo = match addrs {
        AddrPair::V4 { src, dst } => {
            let mut p = sum(0, &src.octets());
            p = sum(p, &dst.octets());
            sum(p, &[0, 6]) + u32::try_from(len).expect("< 64 KiB")
        }
        AddrPair::V6 { src, dst } => {
            let mut p = sum(0, &src.octets());
            p = sum(p, &dst.octets());
            sum(p, &u32::try_from(len).expect("< 4 GiB").to_be_bytes()) + 6
        }
    };
    (!folds_to_all_ones(sum(pseudo, segment))).then_some(Bad::Tcp)
}
