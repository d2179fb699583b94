//! The bytes a TCP-AO MAC covers (RFC 5925 §5.1), streamed without copying
//! the segment:
//!
//! 1. the sequence number extension (32 bits),
//! 2. the pseudo-header (IPv4: src, dst, 0, 6, 16-bit TCP length; IPv6:
//!    src, dst, 32-bit TCP length, three zero bytes, 6),
//! 3. the TCP header with its checksum and the AO option's MAC zeroed, with
//!    all options when the MKT covers them; when it excludes them, the fixed
//!    20 bytes and the AO option alone (still with its MAC zeroed),
//! 4. the payload.

use crate::AddrPair;
use crate::wire::tcp::{CHECKSUM_RANGE, HEADER_LEN};

use super::error::AoError;
use super::option::{AO_HEADER_LEN, AoLocation, AoOption, locate};

/// Whether an MKT's MAC covers the TCP options other than TCP-AO
/// (RFC 5925 §3.1 "TCP option flag"; Linux `TCP_AO_KEYF_EXCLUDE_OPT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionCoverage {
    /// All options are covered (the default).
    Included,
    /// Only the AO option is covered.
    Excluded,
}

/// The AO option of a segment and where its MAC sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentAo<'a> {
    /// The option.
    pub option: AoOption<'a>,
    /// Offset of its kind byte from the start of the TCP header.
    pub offset: usize,
    /// The TCP header length (`doff * 4`).
    pub header_len: usize,
}

impl<'a> SegmentAo<'a> {
    /// The AO option of `segment` (a TCP header and payload), as Linux
    /// finds it.
    pub fn find(segment: &'a [u8]) -> Result<SegmentAo<'a>, AoError> {
        let header_len = header_len(segment)?;
        let area = segment.get(HEADER_LEN..header_len).unwrap_or(&[]);
        match locate(area).map_err(AoError::Malformed)? {
            AoLocation::Ao { offset, option } => Ok(SegmentAo {
                option,
                offset: HEADER_LEN + offset,
                header_len,
            }),
            AoLocation::Md5 { .. } | AoLocation::Unsigned => Err(AoError::NoAoOption),
        }
    }

    /// The range of the MAC bytes in the segment.
    pub fn mac_range(&self) -> core::ops::Range<usize> {
        let start = self.offset + AO_HEADER_LEN;
        start..start + self.option.mac().len()
    }
}

/// The TCP header length of `segment`, checked against its length.
pub(crate) fn header_len(segment: &[u8]) -> Result<usize, AoError> {
    let bad = |header_len| AoError::BadHeader {
        header_len,
        segment_len: segment.len(),
    };
    let doff = segment
        .get(12)
        .map(|b| usize::from(b >> 4) * 4)
        .ok_or(bad(0))?;
    if doff < HEADER_LEN || doff > segment.len() {
        return Err(bad(doff));
    }
    Ok(doff)
}

/// Feeds the MAC input of `segment` (whose AO option is `ao`) to `sink`,
/// in order, in pieces.
pub fn feed_mac_input(
    sink: &mut impl FnMut(&[u8]),
    addrs: &AddrPair,
    segment: &[u8],
    ao: &SegmentAo<'_>,
    sne: u32,
    coverage: OptionCoverage,
) -> Result<(), AoError> {
    sink(&sne.to_be_bytes());
    match addrs {
        AddrPair::V4 { src, dst } => {
            let len = u16::try_from(segment.len()).map_err(|_| AoError::TooLong {
                segment_len: segment.len(),
            })?;
            sink(&src.octets());
            sink(&dst.octets());
            sink(&[0, 6]);
            sink(&len.to_be_bytes());
        }
        AddrPair::V6 { src, dst } => {
            let len = u32::try_from(segment.len()).map_err(|_| AoError::TooLong {
                segment_len: segment.len(),
            })?;
            sink(&src.octets());
            sink(&dst.octets());
            sink(&len.to_be_bytes());
            sink(&[0, 0, 0, 6]);
        }
    }
    let piece = |r: core::ops::Range<usize>| segment.get(r).unwrap_or(&[]);
    sink(piece(0..CHECKSUM_RANGE.start));
    sink(&[0, 0]);
    let mac = ao.mac_range();
    let zeros = [0u8; 40];
    let mac_zeros = zeros.get(..mac.len()).unwrap_or(&[]);
    match coverage {
        OptionCoverage::Included => {
            sink(piece(CHECKSUM_RANGE.end..mac.start));
            sink(mac_zeros);
            sink(piece(mac.end..ao.header_len));
        }
        OptionCoverage::Excluded => {
            sink(piece(CHECKSUM_RANGE.end..HEADER_LEN));
            sink(piece(ao.offset..mac.start));
            sink(mac_zeros);
        }
    }
    sink(piece(ao.header_len..segment.len()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ao::AoError;
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn segment(doff_words: u8, area: &[u8], payload: usize) -> Vec<u8> {
        let mut s = vec![0u8; 20];
        s[12] = doff_words << 4;
        s[16] = 0xab;
        s[17] = 0xcd;
        s.extend_from_slice(area);
        s.extend(core::iter::repeat_n(0x55, payload));
        s
    }

    fn collect(addrs: &AddrPair, seg: &[u8], cov: OptionCoverage) -> Result<Vec<u8>, AoError> {
        let ao = SegmentAo::find(seg)?;
        let mut out = Vec::new();
        feed_mac_input(
            &mut |b| out.extend_from_slice(b),
            addrs,
            seg,
            &ao,
            0x0102_0304,
            cov,
        )?;
        Ok(out)
    }

    #[test]
    fn layout_with_and_without_options() {
        let v4 = AddrPair::new(
            Ipv4Addr::new(1, 2, 3, 4).into(),
            Ipv4Addr::new(5, 6, 7, 8).into(),
        )
        .unwrap();
        // MSS, then AO with a 4-byte MAC.
        let area = [2, 4, 5, 0xb4, 29, 8, 7, 9, 0xee, 0xee, 0xee, 0xee];
        let seg = segment(8, &area, 3);
        let ao = SegmentAo::find(&seg).unwrap();
        assert_eq!((ao.offset, ao.header_len, ao.mac_range()), (24, 32, 28..32));
        let all = collect(&v4, &seg, OptionCoverage::Included).unwrap();
        let mut want = vec![1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0, 6, 0, 35];
        want.extend_from_slice(&seg[..16]);
        want.extend_from_slice(&[0, 0, 0, 0]);
        want.extend_from_slice(&[2, 4, 5, 0xb4, 29, 8, 7, 9, 0, 0, 0, 0]);
        want.extend_from_slice(&[0x55; 3]);
        assert_eq!(all, want);
        let ex = collect(&v4, &seg, OptionCoverage::Excluded).unwrap();
        let mut want = vec![1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0, 6, 0, 35];
        want.extend_from_slice(&seg[..16]);
        want.extend_from_slice(&[0, 0, 0, 0]);
        want.extend_from_slice(&[29, 8, 7, 9, 0, 0, 0, 0]);
        want.extend_from_slice(&[0x55; 3]);
        assert_eq!(ex, want);
        // IPv6: 32-bit length, then three zero bytes and the protocol.
        let v6 = AddrPair::new(Ipv6Addr::LOCALHOST.into(), Ipv6Addr::UNSPECIFIED.into()).unwrap();
        let six = collect(&v6, &seg, OptionCoverage::Included).unwrap();
        assert_eq!(six[4..20], Ipv6Addr::LOCALHOST.octets());
        assert_eq!(six[36..44], [0, 0, 0, 35, 0, 0, 0, 6]);
        assert_eq!(six.len(), all.len() + 28);
    }

    #[test]
    fn refuses_what_it_cannot_hash() {
        let v4 = AddrPair::new(Ipv4Addr::LOCALHOST.into(), Ipv4Addr::LOCALHOST.into()).unwrap();
        let area = [29, 6, 1, 1, 0, 0, 1, 1];
        assert_eq!(
            SegmentAo::find(&segment(4, &area, 0)),
            Err(AoError::BadHeader {
                header_len: 16,
                segment_len: 28
            })
        );
        assert_eq!(
            SegmentAo::find(&segment(8, &area, 0)),
            Err(AoError::BadHeader {
                header_len: 32,
                segment_len: 28
            })
        );
        assert_eq!(
            SegmentAo::find(&[0; 12]),
            Err(AoError::BadHeader {
                header_len: 0,
                segment_len: 12
            })
        );
        assert_eq!(
            SegmentAo::find(&segment(5, &[], 0)),
            Err(AoError::NoAoOption)
        );
        assert!(matches!(
            SegmentAo::find(&segment(7, &[29, 4, 1, 1, 0, 0, 0, 0], 0)),
            Err(AoError::Malformed(_))
        ));
        // An IPv4 segment beyond the 16-bit length field.
        let big = segment(7, &area, 65_536);
        assert_eq!(
            collect(&v4, &big, OptionCoverage::Included),
            Err(AoError::TooLong {
                segment_len: 65_564
            })
        );
        for e in [
            AoError::BadHeader {
                header_len: 16,
                segment_len: 28,
            },
            AoError::TooLong {
                segment_len: 65_564,
            },
            AoError::NoAoOption,
            AoError::MacTooLong {
                mac_len: 18,
                max: 16,
            },
            AoError::Malformed(crate::scan::Malformation::AoLength { offset: 0, len: 4 }),
        ] {
            let text = e.to_string();
            assert!(!text.is_empty());
            if let AoError::MacTooLong { .. } = e {
                assert!(text.contains("18") && text.contains("16"), "{text}");
            }
        }
    }
}
