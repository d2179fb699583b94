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
