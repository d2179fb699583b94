//! Finding the TCP segment in an IPv4 or IPv6 packet.

use super::error::WireError;
use super::ipv4::Ipv4Packet;
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
