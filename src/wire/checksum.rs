//! The Internet checksum (RFC 1071) and the TCP checksum over its pseudo-header.

use crate::AddrPair;

/// Adds `data` to a running one's-complement sum (not yet folded).
pub fn sum_bytes(mut acc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for pair in &mut chunks {
        if let [hi, lo] = *pair {
            acc = acc.wrapping_add(u32::from(u16::from_be_bytes([hi, lo])));
        }
        // Fold early so the accumulator never overflows on jumbo data.
        acc = (acc & 0xffff) + (acc >> 16);
    }
    if let [last] = *chunks.remainder() {
        acc = acc.wrapping_add(u32::from(last) << 8);
    }
    acc
}

/// Folds a running sum and complements it.
pub fn finish(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The checksum of a header (e.g. IPv4) whose checksum field is zero or,
/// when verifying, set: a correct header sums to 0.
pub fn checksum(data: &[u8]) -> u16 {
    finish(sum_bytes(0, data))
}

/// The TCP checksum of `segment` (header + options + payload) whose checksum
/// field is taken as zero, over the pseudo-header of `addrs`.
pub fn tcp_checksum(addrs: &AddrPair, segment: &[u8]) -> u16 {
    let mut acc = pseudo_header_sum(addrs, segment.len());
    let (head, tail) = segment.split_at(segment.len().min(16));
    acc = sum_bytes(acc, head);
    // Skip the checksum field (bytes 16..18) so the stored value never counts.
    acc = sum_bytes(acc, tail.get(2..).unwrap_or(&[]));
    finish(acc)
}

/// The unfolded sum of the TCP pseudo-header for a segment of `tcp_len` bytes.
pub fn pseudo_header_sum(addrs: &AddrPair, tcp_len: usize) -> u32 {
    let len = tcp_len as u32;
    let mut acc = match addrs {
        AddrPair::V4 { src, dst } => {
            let acc = sum_bytes(0, &src.octets());
            sum_bytes(acc, &dst.octets())
        }
        AddrPair::V6 { src, dst } => {
            let acc = sum_bytes(0, &src.octets());
            sum_bytes(acc, &dst.octets())
        }
    };
    acc = acc.wrapping_add(6);
    acc = acc.wrapping_add(len >> 16).wrapping_add(len & 0xffff);
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3 example: the sum of these words is ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(sum_bytes(0, &data)), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(checksum(&[0x12]), !0x1200);
    }
}
