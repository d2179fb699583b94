//! IPv6 fixed header view and representation, and the walk over extension
//! headers to the upper-layer header.
//!
//! [`Ipv6Packet::new_checked`] never panics, whatever the bytes. The walk
//! bounds every header it steps over and stops after a fixed number of them.

use core::net::Ipv6Addr;

use super::error::{Layer, WireError};

mod field {
    use core::ops::Range;
    pub(super) const VER_TC_FLOW: Range<usize> = 0..4;
    pub(super) const PAYLOAD_LEN: Range<usize> = 4..6;
    pub(super) const NEXT_HEADER: usize = 6;
    pub(super) const HOP_LIMIT: usize = 7;
    pub(super) const SRC: Range<usize> = 8..24;
    pub(super) const DST: Range<usize> = 24..40;
}

/// Length of the IPv6 fixed header.
pub const HEADER_LEN: usize = 40;

/// Next-header values of the extension headers the walk steps over.
pub mod next_header {
    /// Hop-by-Hop Options.
    pub const HOP_BY_HOP: u8 = 0;
    /// TCP.
    pub const TCP: u8 = 6;
    /// Routing.
    pub const ROUTING: u8 = 43;
    /// Fragment.
    pub const FRAGMENT: u8 = 44;
    /// Authentication Header.
    pub const AUTH: u8 = 51;
    /// Destination Options.
    pub const DEST_OPTS: u8 = 60;
}

/// The most extension headers the walk steps over before giving up.
pub const MAX_EXTENSION_HEADERS: usize = 16;

/// A read (and, for mutable buffers, write) view of an IPv6 packet.
#[derive(Debug, Clone)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps a buffer without checking it; accessors return defaults for
    /// missing bytes (they never panic).
    pub fn new_unchecked(buffer: T) -> Ipv6Packet<T> {
        Ipv6Packet { buffer }
    }

    /// Wraps a buffer after checking the version and the payload length.
    pub fn new_checked(buffer: T) -> Result<Ipv6Packet<T>, WireError> {
        let packet = Ipv6Packet::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that every field the accessors read is inside the buffer.
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.b().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated {
                layer: Layer::Ipv6,
                expected_len: HEADER_LEN,
                actual_len: len,
            });
        }
        if self.version() != 6 {
            return Err(WireError::BadVersion {
                layer: Layer::Ipv6,
                expected: 6,
                actual: self.version(),
            });
        }
        let total = HEADER_LEN + usize::from(self.payload_len());
        if total > len {
            return Err(WireError::Truncated {
                layer: Layer::Ipv6,
                expected_len: total,
                actual_len: len,
            });
        }
        Ok(())
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    fn word0(&self) -> u32 {
        match self.b().get(field::VER_TC_FLOW) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    /// The version nibble (6).
    pub fn version(&self) -> u8 {
        (self.word0() >> 28) as u8
    }

    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        (self.word0() >> 20) as u8
    }

    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        self.word0() & 0x000f_ffff
    }

    /// Payload length field: everything after the fixed header, extension
    /// headers included.
    pub fn payload_len(&self) -> u16 {
        match self.b().get(field::PAYLOAD_LEN) {
            Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
            _ => 0,
        }
    }

    /// Next header of the fixed header.
    pub fn next_header(&self) -> u8 {
        self.b().get(field::NEXT_HEADER).copied().unwrap_or(0)
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.b().get(field::HOP_LIMIT).copied().unwrap_or(0)
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        addr(self.b(), field::SRC)
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        addr(self.b(), field::DST)
    }

    /// Everything after the fixed header, bounded by the payload length.
    pub fn payload(&self) -> &[u8] {
        let end = HEADER_LEN + usize::from(self.payload_len());
        self.b().get(HEADER_LEN..end).unwrap_or(&[])
    }

    /// Walks the extension headers to the upper-layer header.
    pub fn upper_layer(&self) -> Result<UpperLayer, WireError> {
        walk_extension_headers(self.next_header(), self.payload())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    /// Sets the payload length field.
    pub fn set_payload_len(&mut self, v: u16) {
        if let Some(dst) = self.buffer.as_mut().get_mut(field::PAYLOAD_LEN) {
            dst.copy_from_slice(&v.to_be_bytes());
        }
    }
}

fn addr(b: &[u8], r: core::ops::Range<usize>) -> Ipv6Addr {
    b.get(r)
        .and_then(|s| <[u8; 16]>::try_from(s).ok())
        .map_or(Ipv6Addr::UNSPECIFIED, Ipv6Addr::from)
}

/// Where the upper-layer header starts, after the extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpperLayer {
    /// The upper-layer protocol (6 for TCP).
    pub protocol: u8,
    /// Offset of its header from the start of the IPv6 payload.
    pub offset: usize,
}

/// Steps over Hop-by-Hop, Routing, Fragment, Destination Options and AH
/// headers. A fragment that is not a whole datagram is an error: the digest
/// is defined over a whole segment.
pub fn walk_extension_headers(first: u8, payload: &[u8]) -> Result<UpperLayer, WireError> {
    let mut next = first;
    let mut offset = 0usize;
    for _ in 0..=MAX_EXTENSION_HEADERS {
        let len = match next {
            next_header::HOP_BY_HOP | next_header::ROUTING | next_header::DEST_OPTS => {
                let hdr_ext_len = byte_at(payload, offset + 1)?;
                8 + usize::from(hdr_ext_len) * 8
            }
            next_header::FRAGMENT => {
                let hi = byte_at(payload, offset + 2)?;
                let lo = byte_at(payload, offset + 3)?;
                let frag = u16::from_be_bytes([hi, lo]);
                if frag & 0xfff9 != 0 {
                    // A non-zero offset or the M flag: not a whole datagram.
                    return Err(WireError::Fragmented);
                }
                8
            }
            next_header::AUTH => {
                let payload_len = byte_at(payload, offset + 1)?;
                (usize::from(payload_len) + 2) * 4
            }
            protocol => return Ok(UpperLayer { protocol, offset }),
        };
        let header_next = byte_at(payload, offset)?;
        if offset + len > payload.len() {
            return Err(WireError::Truncated {
                layer: Layer::Ipv6Extension,
                expected_len: offset + len,
                actual_len: payload.len(),
            });
        }
        next = header_next;
        offset += len;
    }
    Err(WireError::TooManyExtensionHeaders {
        limit: MAX_EXTENSION_HEADERS,
    })
}

fn byte_at(payload: &[u8], i: usize) -> Result<u8, WireError> {
    payload.get(i).copied().ok_or(WireError::Truncated {
        layer: Layer::Ipv6Extension,
        expected_len: i + 1,
        actual_len: payload.len(),
    })
}

/// An owned description of an IPv6 fixed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Repr {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Next header of the fixed header.
    pub next_header: u8,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
    /// Hop limit.
    pub hop_limit: u8,
    /// Payload length (extension headers included).
    pub payload_len: usize,
}

impl Ipv6Repr {
    /// Describes a checked packet.
    pub fn parse<T: AsRef<[u8]>>(packet: &Ipv6Packet<T>) -> Ipv6Repr {
        Ipv6Repr {
            src: packet.src_addr(),
            dst: packet.dst_addr(),
            next_header: packet.next_header(),
            traffic_class: packet.traffic_class(),
            flow_label: packet.flow_label(),
            hop_limit: packet.hop_limit(),
            payload_len: usize::from(packet.payload_len()),
        }
    }

    /// Writes the fixed header into the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let payload_len =
            u16::try_from(self.payload_len).map_err(|_| WireError::LengthOverflow {
                layer: Layer::Ipv6,
                len: self.payload_len,
            })?;
        let Some(h) = buf.get_mut(..HEADER_LEN) else {
            return Err(WireError::BufferTooSmall {
                expected_len: HEADER_LEN,
                actual_len: buf.len(),
            });
        };
        let word0 =
            (6u32 << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0x000f_ffff);
        let mut fixed = [0u8; HEADER_LEN];
        fixed[0..4].copy_from_slice(&word0.to_be_bytes());
        fixed[4..6].copy_from_slice(&payload_len.to_be_bytes());
        fixed[field::NEXT_HEADER] = self.next_header;
        fixed[field::HOP_LIMIT] = self.hop_limit;
        fixed[8..24].copy_from_slice(&self.src.octets());
        fixed[24..40].copy_from_slice(&self.dst.octets());
        h.copy_from_slice(&fixed);
        Ok(HEADER_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(next_header: u8, payload_len: usize) -> Ipv6Repr {
        Ipv6Repr {
            src: "fd00:99::2".parse().unwrap(),
            dst: "fd00:99::1".parse().unwrap(),
            next_header,
            traffic_class: 0,
            flow_label: 0x12345,
            hop_limit: 64,
            payload_len,
        }
    }

    #[test]
    fn round_trip() {
        let mut buf = [0u8; 40];
        let r = repr(6, 0);
        r.emit(&mut buf).unwrap();
        let p = Ipv6Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(Ipv6Repr::parse(&p), r);
        assert_eq!(
            p.upper_layer(),
            Ok(UpperLayer {
                protocol: 6,
                offset: 0
            })
        );
    }

    #[test]
    fn walks_hop_by_hop_and_dest_opts() {
        let mut buf = vec![0u8; 40 + 8 + 16 + 20];
        repr(next_header::HOP_BY_HOP, 8 + 16 + 20)
            .emit(&mut buf)
            .unwrap();
        buf[40] = next_header::DEST_OPTS;
        buf[41] = 0;
        buf[48] = next_header::TCP;
        buf[49] = 1;
        let p = Ipv6Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(
            p.upper_layer(),
            Ok(UpperLayer {
                protocol: 6,
                offset: 24
            })
        );
    }

    #[test]
    fn fragment_is_rejected_unless_atomic() {
        let mut buf = vec![0u8; 40 + 8 + 20];
        repr(next_header::FRAGMENT, 28).emit(&mut buf).unwrap();
        buf[40] = next_header::TCP;
        let atomic = Ipv6Packet::new_checked(&buf[..]).unwrap().upper_layer();
        assert_eq!(
            atomic,
            Ok(UpperLayer {
                protocol: 6,
                offset: 8
            })
        );
        buf[43] = 1; // M flag
        let frag = Ipv6Packet::new_checked(&buf[..]).unwrap().upper_layer();
        assert_eq!(frag, Err(WireError::Fragmented));
    }

    #[test]
    fn truncated_extension_header() {
        let mut buf = vec![0u8; 40 + 4];
        repr(next_header::HOP_BY_HOP, 4).emit(&mut buf).unwrap();
        assert!(matches!(
            Ipv6Packet::new_checked(&buf[..]).unwrap().upper_layer(),
            Err(WireError::Truncated { .. })
        ));
    }

    #[test]
    fn every_field_is_read_where_rfc_8200_puts_it() {
        // RFC 8200 §3: version 6, traffic class 0xb8 (EF, RFC 3246), flow
        // label 0xabcde, payload length 4, next header 59 (No Next
        // Header), hop limit 63; then 4 bytes of payload and 2 of padding.
        let mut buf = [0u8; 46];
        buf[..8].copy_from_slice(&[0x6b, 0x8a, 0xbc, 0xde, 0x00, 0x04, 59, 63]);
        buf[8] = 0xfd;
        buf[23] = 2;
        buf[24] = 0xfd;
        buf[39] = 1;
        buf[40..].copy_from_slice(b"data\xee\xee");
        let p = Ipv6Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(
            (p.version(), p.traffic_class(), p.flow_label()),
            (6, 0xb8, 0xabcde)
        );
        assert_eq!(
            (p.payload_len(), p.next_header(), p.hop_limit()),
            (4, 59, 63)
        );
        assert_eq!(p.src_addr(), "fd00::2".parse::<Ipv6Addr>().unwrap());
        assert_eq!(p.dst_addr(), "fd00::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(p.payload(), b"data");
        let repr = Ipv6Repr::parse(&p);
        assert_eq!(
            repr,
            Ipv6Repr {
                src: "fd00::2".parse().unwrap(),
                dst: "fd00::1".parse().unwrap(),
                next_header: 59,
                traffic_class: 0xb8,
                flow_label: 0xabcde,
                hop_limit: 63,
                payload_len: 4,
            }
        );
        let mut out = [0u8; 40];
        assert_eq!(repr.emit(&mut out), Ok(40));
        assert_eq!(out, buf[..40]);
        // A flow label wider than 20 bits loses its high bits.
        let wide = Ipv6Repr {
            flow_label: 0xfff_abcde,
            ..repr
        };
        assert_eq!(wide.emit(&mut out), Ok(40));
        assert_eq!(out, buf[..40]);
        assert_eq!(p.into_inner(), &buf[..]);
    }

    #[test]
    fn lengths_are_checked_at_their_bounds() {
        let mut buf = [0u8; 44];
        repr(59, 4).emit(&mut buf).unwrap();
        assert!(Ipv6Packet::new_checked(&buf[..]).is_ok());
        assert_eq!(
            Ipv6Packet::new_checked(&buf[..43]).err(),
            Some(WireError::Truncated {
                layer: Layer::Ipv6,
                expected_len: 44,
                actual_len: 43
            })
        );
        assert_eq!(
            Ipv6Packet::new_checked(&buf[..39]).err(),
            Some(WireError::Truncated {
                layer: Layer::Ipv6,
                expected_len: 40,
                actual_len: 39
            })
        );
        buf[0] = 0x45;
        assert_eq!(
            Ipv6Packet::new_checked(&buf[..]).err(),
            Some(WireError::BadVersion {
                layer: Layer::Ipv6,
                expected: 6,
                actual: 4
            })
        );
        let mut p = Ipv6Packet::new_unchecked(&mut buf[..]);
        p.set_payload_len(0x0102);
        assert_eq!(buf[4..6], [1, 2]);
        assert_eq!(
            repr(6, 65536).emit(&mut buf),
            Err(WireError::LengthOverflow {
                layer: Layer::Ipv6,
                len: 65536
            })
        );
        assert_eq!(
            repr(6, 0).emit(&mut buf[..39]),
            Err(WireError::BufferTooSmall {
                expected_len: 40,
                actual_len: 39
            })
        );
    }

    #[test]
    fn walks_routing_and_authentication_headers() {
        // RFC 8200 §4.4: Routing, Hdr Ext Len 1 (16 bytes); RFC 4302 §2.2:
        // AH, Payload Len 4 (6 words: 24 bytes, a 96-bit ICV).
        let mut payload = vec![0u8; 16 + 24];
        payload[0] = next_header::AUTH;
        payload[1] = 1;
        payload[16] = next_header::TCP;
        payload[17] = 4;
        assert_eq!(
            walk_extension_headers(next_header::ROUTING, &payload),
            Ok(UpperLayer {
                protocol: 6,
                offset: 40
            })
        );
        // The header may end the payload exactly (No Next Header, 59).
        payload[16] = 59;
        assert_eq!(
            walk_extension_headers(next_header::ROUTING, &payload),
            Ok(UpperLayer {
                protocol: 59,
                offset: 40
            })
        );
        assert_eq!(
            walk_extension_headers(next_header::ROUTING, &payload[..39]),
            Err(WireError::Truncated {
                layer: Layer::Ipv6Extension,
                expected_len: 40,
                actual_len: 39
            })
        );
    }

    #[test]
    fn a_fragment_header_is_a_whole_datagram_only_at_offset_zero_without_m() {
        // RFC 8200 §4.5: 13 bits of offset, 2 reserved bits, the M flag.
        for (frag, whole) in [
            (0x0000, true),
            (0x0006, true), // the reserved bits
            (0x0001, false),
            (0x0008, false), // offset 1 (8 bytes)
            (0xfff8, false),
        ] {
            let mut payload = [0u8; 8];
            payload[0] = next_header::TCP;
            payload[2..4].copy_from_slice(&u16::to_be_bytes(frag));
            let walked = walk_extension_headers(next_header::FRAGMENT, &payload);
            let expected = if whole {
                Ok(UpperLayer {
                    protocol: 6,
                    offset: 8,
                })
            } else {
                Err(WireError::Fragmented)
            };
            assert_eq!(walked, expected, "{frag:#06x}");
        }
        assert_eq!(
            walk_extension_headers(next_header::FRAGMENT, &[6, 0, 0]),
            Err(WireError::Truncated {
                layer: Layer::Ipv6Extension,
                expected_len: 4,
                actual_len: 3
            })
        );
    }

    #[test]
    fn the_walk_steps_over_sixteen_headers_and_no_more() {
        // Sixteen Destination Options headers of 8 bytes, then TCP.
        let mut payload = [next_header::DEST_OPTS, 0, 0, 0, 0, 0, 0, 0].repeat(17);
        payload[15 * 8] = next_header::TCP;
        assert_eq!(
            walk_extension_headers(next_header::DEST_OPTS, &payload),
            Ok(UpperLayer {
                protocol: 6,
                offset: 128
            })
        );
        payload[15 * 8] = next_header::DEST_OPTS;
        payload[16 * 8] = next_header::TCP;
        assert_eq!(
            walk_extension_headers(next_header::DEST_OPTS, &payload),
            Err(WireError::TooManyExtensionHeaders { limit: 16 })
        );
    }
}
