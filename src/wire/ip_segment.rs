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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Layer, TcpFlags, TcpRepr};
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn v4() -> AddrPair {
        AddrPair::V4 {
            src: Ipv4Addr::new(10, 99, 0, 2),
            dst: Ipv4Addr::new(10, 99, 0, 1),
        }
    }

    fn v6() -> AddrPair {
        AddrPair::V6 {
            src: "fd00:99::2".parse::<Ipv6Addr>().unwrap(),
            dst: "fd00:99::1".parse::<Ipv6Addr>().unwrap(),
        }
    }

    fn segment(addrs: &AddrPair) -> Vec<u8> {
        TcpRepr {
            src_port: 40000,
            dst_port: 179,
            seq: 1,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 512,
            urgent: 0,
            options: &[],
            payload: b"data",
        }
        .to_vec(addrs)
        .unwrap()
    }

    #[test]
    fn the_segment_is_found_in_either_family_without_link_padding() {
        for (addrs, tcp_offset) in [(v4(), 20), (v6(), 40)] {
            let seg = segment(&addrs);
            let mut packet = ip_packet(&addrs, &seg).unwrap();
            assert_eq!(packet.len(), tcp_offset + seg.len());
            packet.extend([0xee; 6]);
            let located = IpSegment::parse(&packet).unwrap();
            assert_eq!(
                located,
                IpSegment {
                    addrs,
                    tcp_offset,
                    segment: &seg[..],
                }
            );
            assert_eq!(located.tcp().payload(), b"data");
            assert!(located.tcp().verify_checksum(&addrs));
        }
    }

    #[test]
    fn ip_packet_writes_a_minimal_header_of_the_family() {
        let seg = segment(&v4());
        let packet = ip_packet(&v4(), &seg).unwrap();
        let ip = Ipv4Packet::new_checked(&packet[..]).unwrap();
        assert_eq!(
            (ip.header_len(), usize::from(ip.total_len())),
            (20, 20 + seg.len())
        );
        assert_eq!((ip.flags_frag(), ip.ttl(), ip.protocol()), (0x4000, 64, 6));
        assert!(ip.verify_checksum());
        let packet = ip_packet(&v6(), &seg).unwrap();
        let ip = Ipv6Packet::new_checked(&packet[..]).unwrap();
        assert_eq!(usize::from(ip.payload_len()), seg.len());
        assert_eq!((ip.next_header(), ip.hop_limit()), (6, 64));
    }

    #[test]
    fn an_ipv6_segment_starts_after_the_extension_headers() {
        // Hop-by-Hop (8 bytes, RFC 8200 §4.3), then TCP: the segment is the
        // payload less the extension header, as the pseudo-header counts it.
        let seg = segment(&v6());
        let mut packet = ip_packet(&v6(), &[]).unwrap();
        packet[6] = ipv6::next_header::HOP_BY_HOP;
        packet.extend([TCP, 0, 0, 0, 0, 0, 0, 0]);
        packet.extend(&seg);
        let mut ip = Ipv6Packet::new_unchecked(&mut packet[..]);
        ip.set_payload_len(u16::try_from(8 + seg.len()).unwrap());
        let located = IpSegment::parse(&packet).unwrap();
        assert_eq!((located.tcp_offset, located.segment), (48, &seg[..]));
    }

    #[test]
    fn what_is_not_one_whole_tcp_segment_is_refused() {
        let seg = segment(&v4());
        let packet = ip_packet(&v4(), &seg).unwrap();
        let mut udp = packet.clone();
        udp[9] = 17;
        assert_eq!(
            IpSegment::parse(&udp),
            Err(WireError::NotTcp { protocol: 17 })
        );
        let mut fragment = packet.clone();
        fragment[6] = 0x20; // MF
        assert_eq!(IpSegment::parse(&fragment), Err(WireError::Fragmented));
        let mut v6_udp = ip_packet(&v6(), &seg).unwrap();
        v6_udp[6] = 17;
        assert_eq!(
            IpSegment::parse(&v6_udp),
            Err(WireError::NotTcp { protocol: 17 })
        );
        let mut version = packet.clone();
        version[0] = 0x55;
        assert_eq!(
            IpSegment::parse(&version),
            Err(WireError::UnknownVersion { version: 5 })
        );
        assert_eq!(
            IpSegment::parse(&[]),
            Err(WireError::UnknownVersion { version: 0 })
        );
        // The TCP header is checked too: 19 bytes of it are not one.
        let short = ip_packet(&v4(), &seg[..19]).unwrap();
        assert_eq!(
            IpSegment::parse(&short),
            Err(WireError::Truncated {
                layer: Layer::Tcp,
                expected_len: 20,
                actual_len: 19
            })
        );
    }
}
