//! The Internet checksum (RFC 1071) and the TCP checksum over its pseudo-header.

use crate::AddrPair;

/// Adds `data` to a running one's-complement sum (not yet folded).
///
/// Eight bytes at a time into a 64-bit accumulator (two big-endian 32-bit
/// words each: a 32-bit word is congruent to the sum of its 16-bit halves
/// modulo 0xffff), folded at the end with end-around carries; the result is
/// the same as adding 16-bit words one by one, in a quarter of the steps
/// (the checksums are most of `tcpmd5 verify`'s work per segment after the
/// digest).
#[inline]
pub fn sum_bytes(acc: u32, data: &[u8]) -> u32 {
    let mut sum = u64::from(acc);
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_be_bytes(word.try_into().unwrap_or_default());
        // Two 32-bit halves: at most 2^33 per step, so 2^30 steps (8 GiB)
        // cannot overflow.
        sum += (w >> 32) + (w & 0xffff_ffff);
    }
    // The last 1 to 7 bytes as one word padded with zeros (RFC 1071: an odd
    // last byte is the high half of a 16-bit word), from loads of 4, 2 and
    // 1 bytes (a copy into a buffer read back whole stalls the load).
    let (mut word, mut shift, mut rest) = (0u64, 64u32, words.remainder());
    if let Some((four, after)) = rest.split_first_chunk::<4>() {
        shift -= 32;
        word |= u64::from(u32::from_be_bytes(*four)) << shift;
        rest = after;
    }
    if let Some((two, after)) = rest.split_first_chunk::<2>() {
        shift -= 16;
        word |= u64::from(u16::from_be_bytes(*two)) << shift;
        rest = after;
    }
    if let [one] = *rest {
        word |= u64::from(one) << (shift - 8);
    }
    sum += (word >> 32) + (word & 0xffff_ffff);
    fold64(sum)
}

/// End-around carries of a 64-bit sum down to 16 bits (and one carry bit
/// at most): zero stays zero, anything else stays non-zero and congruent.
#[inline]
fn fold64(mut sum: u64) -> u32 {
    sum = (sum & 0xffff_ffff) + (sum >> 32);
    sum = (sum & 0xffff_ffff) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum as u32
}

/// Folds a running sum and complements it.
#[inline]
pub fn finish(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The checksum of a header (e.g. IPv4) whose checksum field is zero or,
/// when verifying, set: a correct header sums to 0.
#[inline]
pub fn checksum(data: &[u8]) -> u16 {
    finish(sum_bytes(0, data))
}

/// The TCP checksum of `segment` (header + options + payload) whose checksum
/// field is taken as zero, over the pseudo-header of `addrs`.
pub fn tcp_checksum(addrs: &AddrPair, segment: &[u8]) -> u16 {
    tcp_checksum_from(pseudo_header_sum(addrs, segment.len()), segment)
}

/// [`tcp_checksum`] given the segment's [`pseudo_header_sum`] (a caller
/// that needs both computes the pseudo-header once).
#[inline]
pub fn tcp_checksum_from(pseudo: u32, segment: &[u8]) -> u16 {
    match segment.get(CHECKSUM_FIELD) {
        // One pass over the whole segment, then the checksum field taken
        // out again (adding its complement subtracts it in one's
        // complement): the same sum as skipping the field.
        Some(&[hi, lo]) => {
            let with_field = sum_bytes(pseudo, segment);
            finish(with_field + u32::from(!u16::from_be_bytes([hi, lo])))
        }
        // Shorter than a header: what comes before the field.
        _ => finish(sum_bytes(pseudo, segment.get(..16).unwrap_or(segment))),
    }
}

/// Where a TCP header carries its checksum.
const CHECKSUM_FIELD: core::ops::Range<usize> = 16..18;

/// The unfolded sum of the TCP pseudo-header for a segment of `tcp_len` bytes.
#[inline]
pub fn pseudo_header_sum(addrs: &AddrPair, tcp_len: usize) -> u32 {
    // Addresses as 32-bit words (congruent to their 16-bit halves' sum),
    // the protocol (6) and the length.
    let words: u64 = match addrs {
        AddrPair::V4 { src, dst } => u64::from(src.to_bits()) + u64::from(dst.to_bits()),
        AddrPair::V6 { src, dst } => {
            let (s, d) = (src.to_bits(), dst.to_bits());
            [s, s >> 32, s >> 64, s >> 96, d, d >> 32, d >> 64, d >> 96]
                .iter()
                .map(|w| u64::from(*w as u32))
                .sum()
        }
    };
    // The length field has 32 bits (RFC 8200 section 8.1; IPv4's 16 hold any segment).
    fold64(words + 6 + u64::from(tcp_len as u32))
}

/// Whether a computed and a carried checksum agree: in one's complement
/// 0x0000 and 0xffff are the same value (and only those two: a checksum
/// that is the bitwise complement of the right one is wrong). Linux sends a
/// computed 0 as 0xffff when it checksums in software.
#[inline]
pub fn same_checksum(computed: u16, carried: u16) -> bool {
    computed == carried || matches!((computed, carried), (0, 0xffff) | (0xffff, 0))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3 example: the sum of these words is ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(sum_bytes(0, &data)), !0xddf2);
    }

    /// The 16-bit-word sum the RFC describes, one word at a time.
    fn by_words(mut acc: u32, data: &[u8]) -> u32 {
        for pair in data.chunks(2) {
            let hi = u32::from(pair[0]) << 8;
            let lo = pair.get(1).map_or(0, |b| u32::from(*b));
            acc += hi | lo;
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc
    }

    // RFC 1071 section 2(1): carries wrap around, at every width. Two
    // all-ones 32-bit halves and a 1 sum to 0x1_ffff_ffff, whose first
    // fold to 32 bits (0xffff_ffff + 1) carries again; all-ones data alone
    // never makes that second carry.
    #[test]
    fn a_fold_that_carries_twice() {
        let data = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1];
        assert_eq!(finish(by_words(0, &data)), 0xfffe);
        assert_eq!(finish(sum_bytes(0, &data)), 0xfffe);
    }

    #[test]
    fn eight_bytes_at_a_time_is_the_word_sum() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 97 + 13) as u8).collect();
        for len in 0..data.len() {
            for (acc, fill) in [(0, 0x00), (0x1_fffe, 0xff), (6, 0x5a)] {
                let mut d = data[..len].to_vec();
                if fill != 0x5a {
                    d.iter_mut().for_each(|b| *b = fill);
                }
                assert_eq!(
                    finish(sum_bytes(acc, &d)),
                    finish(by_words(acc, &d)),
                    "len {len} acc {acc:#x} fill {fill:#x}"
                );
            }
        }
    }

    #[test]
    fn the_checksum_field_never_counts() {
        let addrs = AddrPair::V4 {
            src: core::net::Ipv4Addr::new(10, 0, 0, 1),
            dst: core::net::Ipv4Addr::new(10, 0, 0, 2),
        };
        for len in 0..80usize {
            for field in [0x0000u16, 0xffff, 0x1234, 0xfffe] {
                let mut seg: Vec<u8> = (0..len as u32).map(|i| (i * 57 + 3) as u8).collect();
                if let Some(f) = seg.get_mut(16..18) {
                    f.copy_from_slice(&field.to_be_bytes());
                }
                // Word by word, the field's bytes left out.
                let mut acc = by_words(0, &[10, 0, 0, 1, 10, 0, 0, 2, 0, 6]);
                acc = by_words(acc, &(len as u16).to_be_bytes());
                acc = by_words(acc, &seg[..len.min(16)]);
                acc = by_words(acc, seg.get(18..).unwrap_or(&[]));
                assert_eq!(
                    tcp_checksum(&addrs, &seg),
                    finish(acc),
                    "len {len} field {field:#x}"
                );
            }
        }
    }

    #[test]
    fn pseudo_header_is_the_word_sum() {
        use core::net::{Ipv4Addr, Ipv6Addr};
        let v4 = AddrPair::V4 {
            src: Ipv4Addr::new(255, 255, 10, 1),
            dst: Ipv4Addr::new(192, 0, 2, 255),
        };
        let v6 = AddrPair::V6 {
            src: Ipv6Addr::new(0xffff, 0xfffe, 0, 1, 2, 3, 0xdb8, 0xffff),
            dst: Ipv6Addr::LOCALHOST,
        };
        // Every 32-bit word of both addresses non-zero.
        let v6_dense = AddrPair::V6 {
            src: Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 3, 4, 5, 6),
            dst: Ipv6Addr::new(0xfe80, 7, 0x1234, 0x5678, 0x9abc, 0xdef0, 0xffff, 1),
        };
        for addrs in [v4, v6, v6_dense] {
            for len in [0usize, 1, 20, 1460, 65_535, 70_000] {
                let mut bytes = match addrs {
                    AddrPair::V4 { src, dst } => [src.octets(), dst.octets()].concat(),
                    AddrPair::V6 { src, dst } => [src.octets(), dst.octets()].concat(),
                };
                bytes.extend([0, 6]);
                bytes.extend((len as u32).to_be_bytes());
                assert_eq!(
                    finish(pseudo_header_sum(&addrs, len)),
                    finish(by_words(0, &bytes)),
                    "{addrs:?} {len}"
                );
            }
        }
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(checksum(&[0x12]), !0x1200);
    }
}
