//! RFC 2385 section 2.0, written straight from the text with the `md-5`
//! crate: the oracle the targets compare `tcpmd5::segment_digest` with.

use md5::{Digest as _, Md5};
use tcpmd5::AddrPair;

/// The digest of a whole TCP segment, or `None` when the segment has no
/// valid TCP header (data offset below 5 or past the end) or is too long
/// for the IPv4 pseudo-header's 16-bit length.
pub fn rfc2385_digest(addrs: &AddrPair, segment: &[u8], key: &[u8]) -> Option<[u8; 16]> {
    if segment.len() < 20 {
        return None;
    }
    let header_len = usize::from(segment[12] >> 4) * 4;
    if header_len < 20 || header_len > segment.len() {
        return None;
    }
    let mut input: Vec<u8> = Vec::with_capacity(segment.len() + 60 + key.len());
    // 1. the TCP pseudo-header (in the order: source IP address,
    //    destination IP address, zero-padded protocol number, and segment
    //    length)
    match addrs {
        AddrPair::V4 { src, dst } => {
            let len = u16::try_from(segment.len()).ok()?;
            input.extend_from_slice(&src.octets());
            input.extend_from_slice(&dst.octets());
            input.push(0);
            input.push(6);
            input.extend_from_slice(&len.to_be_bytes());
        }
        AddrPair::V6 { src, dst } => {
            let len = u32::try_from(segment.len()).ok()?;
            input.extend_from_slice(&src.octets());
            input.extend_from_slice(&dst.octets());
            input.extend_from_slice(&len.to_be_bytes());
            input.extend_from_slice(&[0, 0, 0, 6]);
        }
    }
    // 2. the TCP header, excluding options, and assuming a checksum of zero
    input.extend_from_slice(&segment[..16]);
    input.extend_from_slice(&[0, 0]);
    input.extend_from_slice(&segment[18..20]);
    // 3. the TCP segment data (if any)
    input.extend_from_slice(&segment[header_len..]);
    // 4. an independently-specified key or password
    input.extend_from_slice(key);
    Some(Md5::digest(&input).into())
}
