//! Finding the TCP segment in an IPv4 or IPv6 packet.

use super::error::WireError;
use super::ipv4::Ipv4Packet;
use super::ipv4::Ipv4Repr;
use super::ipv6::Ipv6Repr;
use super::ipv6::{self, Ipv6Packet};
use super::tcp::TcpPacket;
use crate::AddrPair;

const TCP: u8 = 6;

/// A TCP segment located in an IP packet: its addresses (the pseudo-header)
/// and its bytes (header, options and payload, link padding excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpSegment<'a> {
    /// Source and destination.
    pub addrs: AddrPair,
    /// Offset of the TCP header from the start of the packet.
    pub tcp_offset: usize,
    /// The TCP segment. For IPv6 its length is the payload length less the
    /// extension headers: the length the pseudo-header carries.
    pub segment: &'a [u8],
}

impl<'a> IpSegment<'a> {
    /// Locates the TCP segment of an IPv4 or IPv6 packet (by version nibble).
    /// Never panics; the segment's TCP header is checked too.
    #[inline]
    pub fn parse(packet: &'a [u8]) -> Result<IpSegment<'a>, WireError> {
        let version = packet.first().map_or(0, |b| b >> 4);
        let located = match version {
            4 => {
                let ip = Ipv4Packet::new_checked(packet)?;
                if ip.protocol() != TCP {
                    return Err(WireError::NotTcp {
                        protocol: ip.protocol(),
                    });
                }
                if ip.is_fragment() {
                    return Err(WireError::Fragmented);
                }
                let start = ip.header_len();
                let end = usize::from(ip.total_len());
                IpSegment {
                    addrs: AddrPair::V4 {
                        src: ip.src_addr(),
                        dst: ip.dst_addr(),
                    },
                    tcp_offset: start,
                    segment: packet.get(start..end).unwrap_or(&[]),
                }
            }
            6 => {
                let ip = Ipv6Packet::new_checked(packet)?;
                let upper = ip.upper_layer()?;
                if upper.protocol != TCP {
                    return Err(WireError::NotTcp {
                        protocol: upper.protocol,
                    });
                }
                let start = ipv6::HEADER_LEN + upper.offset;
                let end = ipv6::HEADER_LEN + usize::from(ip.payload_len());
                IpSegment {
                    addrs: AddrPair::V6 {
                        src: ip.src_addr(),
                        dst: ip.dst_addr(),
                    },
                    tcp_offset: start,
                    segment: packet.get(start..end).unwrap_or(&[]),
                }
            }
            version => return Err(WireError::UnknownVersion { version }),
        };
        TcpPacket::new_checked(located.segment)?;
        Ok(located)
    }

    /// The segment as a checked TCP view.
    pub fn tcp(&self) -> TcpPacket<&'a [u8]> {
        TcpPacket::new_unchecked(self.segment)
    }
}

/// Wraps a TCP segment in a minimal IP header of its addresses' family:
/// IPv4 with DF and TTL 64 (checksum filled), or IPv6 with hop limit 64 and
/// no extension headers. The segment is copied as is.
pub fn ip_packet(addrs: &AddrPair, segment: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut out = vec![0u8; ipv6::HEADER_LEN];
    let header_len = match *addrs {
        AddrPair::V4 { src, dst } => Ipv4Repr {
            src,
            dst,
            protocol: TCP,
            dscp_ecn: 0,
            ident: 0,
            flags_frag: 0x4000,
            ttl: 64,
            options: &[],
            payload_len: segment.len(),
        }
        .emit(&mut out)?,
        AddrPair::V6 { src, dst } => Ipv6Repr {
            src,
            dst,
            next_header: TCP,
            traffic_class: 0,
            flow_label: 0,
            hop_limit: 64,
            payload_len: segment.len(),
        }
        .emit(&mut out)?,
    };
    out.truncate(header_len);
    out.extend_from_slice(segment);
    Ok(out)
}
