//! IPv4 header view and representation.
//!
//! [`Ipv4Packet::new_checked`] never panics, whatever the bytes: it checks
//! every length the accessors rely on, and the accessors then only read
//! inside those bounds.

use core::net::Ipv4Addr;

use super::checksum;
use super::error::{Layer, WireError};

mod field {
    use core::ops::Range;
    pub(super) const VER_IHL: usize = 0;
    pub(super) const DSCP_ECN: usize = 1;
    pub(super) const TOTAL_LEN: Range<usize> = 2..4;
    pub(super) const IDENT: Range<usize> = 4..6;
    pub(super) const FLAGS_FRAG: Range<usize> = 6..8;
    pub(super) const TTL: usize = 8;
    pub(super) const PROTOCOL: usize = 9;
    pub(super) const CHECKSUM: Range<usize> = 10..12;
    pub(super) const SRC: Range<usize> = 12..16;
    pub(super) const DST: Range<usize> = 16..20;
}

/// Length of an IPv4 header without options.
pub const HEADER_LEN: usize = 20;
/// The "more fragments" flag.
const MF: u16 = 0x2000;
/// The fragment offset mask.
const OFFSET_MASK: u16 = 0x1fff;

/// A read (and, for mutable buffers, write) view of an IPv4 packet.
#[derive(Debug, Clone)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

fn be16(b: &[u8], r: core::ops::Range<usize>) -> u16 {
    match b.get(r) {
        Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
        _ => 0,
    }
}

fn addr(b: &[u8], r: core::ops::Range<usize>) -> Ipv4Addr {
    match b.get(r) {
        Some(&[a, b, c, d]) => Ipv4Addr::new(a, b, c, d),
        _ => Ipv4Addr::UNSPECIFIED,
    }
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checking it; accessors may then return
    /// defaults for missing bytes (they never panic).
    pub fn new_unchecked(buffer: T) -> Ipv4Packet<T> {
        Ipv4Packet { buffer }
    }

    /// Wraps a buffer after checking version, header length and total length.
    pub fn new_checked(buffer: T) -> Result<Ipv4Packet<T>, WireError> {
        let packet = Ipv4Packet::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that every field the accessors read is inside the buffer.
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated {
                layer: Layer::Ipv4,
                expected_len: HEADER_LEN,
                actual_len: len,
            });
        }
        if self.version() != 4 {
            return Err(WireError::BadVersion {
                layer: Layer::Ipv4,
                expected: 4,
                actual: self.version(),
            });
        }
        let header_len = self.header_len();
        if header_len < HEADER_LEN || header_len > len {
            return Err(WireError::BadHeaderLen {
                layer: Layer::Ipv4,
                min_len: HEADER_LEN,
                actual_len: header_len,
            });
        }
        let total_len = usize::from(self.total_len());
        if total_len < header_len {
            return Err(WireError::BadTotalLen {
                header_len,
                total_len,
            });
        }
        if total_len > len {
            return Err(WireError::Truncated {
                layer: Layer::Ipv4,
                expected_len: total_len,
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

    /// The version nibble (4).
    pub fn version(&self) -> u8 {
        self.b().get(field::VER_IHL).map_or(0, |v| v >> 4)
    }

    /// Header length in bytes (IHL * 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.b().get(field::VER_IHL).map_or(0, |v| v & 0x0f)) * 4
    }

    /// DSCP and ECN byte.
    pub fn dscp_ecn(&self) -> u8 {
        self.b().get(field::DSCP_ECN).copied().unwrap_or(0)
    }

    /// Total length field.
    pub fn total_len(&self) -> u16 {
        be16(self.b(), field::TOTAL_LEN)
    }

    /// Identification field.
    pub fn ident(&self) -> u16 {
        be16(self.b(), field::IDENT)
    }

    /// Flags and fragment offset, as one 16-bit field.
    pub fn flags_frag(&self) -> u16 {
        be16(self.b(), field::FLAGS_FRAG)
    }

    /// Whether this is a fragment (MF set or a non-zero offset).
    pub fn is_fragment(&self) -> bool {
        let v = self.flags_frag();
        v & MF != 0 || v & OFFSET_MASK != 0
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.b().get(field::TTL).copied().unwrap_or(0)
    }

    /// Protocol number (6 for TCP).
    pub fn protocol(&self) -> u8 {
        self.b().get(field::PROTOCOL).copied().unwrap_or(0)
    }

    /// Header checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.b(), field::CHECKSUM)
    }

    /// Whether the header checksum is correct.
    pub fn verify_checksum(&self) -> bool {
        self.b()
            .get(..self.header_len())
            .is_some_and(|h| checksum::checksum(h) == 0)
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        addr(self.b(), field::SRC)
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        addr(self.b(), field::DST)
    }

    /// Header options (between the fixed header and `header_len`).
    pub fn options(&self) -> &[u8] {
        self.b().get(HEADER_LEN..self.header_len()).unwrap_or(&[])
    }

    /// The payload, bounded by the total length (link padding excluded).
    pub fn payload(&self) -> &[u8] {
        let end = usize::from(self.total_len());
        self.b().get(self.header_len()..end).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    fn put16(&mut self, r: core::ops::Range<usize>, v: u16) {
        if let Some(dst) = self.buffer.as_mut().get_mut(r) {
            dst.copy_from_slice(&v.to_be_bytes());
        }
    }

    /// Sets the total length field.
    pub fn set_total_len(&mut self, v: u16) {
        self.put16(field::TOTAL_LEN, v);
    }

    /// Recomputes and stores the header checksum.
    pub fn fill_checksum(&mut self) {
        self.put16(field::CHECKSUM, 0);
        let sum = self
            .buffer
            .as_ref()
            .get(..self.header_len())
            .map_or(0, checksum::checksum);
        self.put16(field::CHECKSUM, sum);
    }

    /// The payload, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (start, end) = (self.header_len(), usize::from(self.total_len()));
        self.buffer.as_mut().get_mut(start..end).unwrap_or(&mut [])
    }
}

/// An owned description of an IPv4 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Repr<'a> {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol number.
    pub protocol: u8,
    /// DSCP and ECN byte.
    pub dscp_ecn: u8,
    /// Identification.
    pub ident: u16,
    /// Flags and fragment offset.
    pub flags_frag: u16,
    /// Time to live.
    pub ttl: u8,
    /// Header options, as sent (a multiple of 4 bytes, at most 40).
    pub options: &'a [u8],
    /// Length of the payload that follows the header.
    pub payload_len: usize,
}

impl<'a> Ipv4Repr<'a> {
    /// Describes a checked packet. The checksum is not verified here: captured
    /// packets may carry offloaded (partial) checksums.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Ipv4Packet<&'a T>) -> Ipv4Repr<'a> {
        let inner: &'a T = packet.buffer;
        let bytes: &'a [u8] = <T as AsRef<[u8]>>::as_ref(inner);
        Ipv4Repr {
            src: packet.src_addr(),
            dst: packet.dst_addr(),
            protocol: packet.protocol(),
            dscp_ecn: packet.dscp_ecn(),
            ident: packet.ident(),
            flags_frag: packet.flags_frag(),
            ttl: packet.ttl(),
            options: packet_options(bytes),
            payload_len: packet.payload().len(),
        }
    }

    /// Header length this representation emits.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// Writes the header (with a correct checksum) into the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let header_len = self.header_len();
        if !self.options.len().is_multiple_of(4) || header_len > 60 {
            return Err(WireError::BadHeaderLen {
                layer: Layer::Ipv4,
                min_len: HEADER_LEN,
                actual_len: header_len,
            });
        }
        let total = header_len + self.payload_len;
        let total16 = u16::try_from(total).map_err(|_| WireError::LengthOverflow {
            layer: Layer::Ipv4,
            len: total,
        })?;
        let Some(h) = buf.get_mut(..header_len) else {
            return Err(WireError::BufferTooSmall {
                expected_len: header_len,
                actual_len: buf.len(),
            });
        };
        let mut fixed = [0u8; HEADER_LEN];
        fixed[field::VER_IHL] = 0x40 | (header_len / 4) as u8;
        fixed[field::DSCP_ECN] = self.dscp_ecn;
        fixed[2..4].copy_from_slice(&total16.to_be_bytes());
        fixed[4..6].copy_from_slice(&self.ident.to_be_bytes());
        fixed[6..8].copy_from_slice(&self.flags_frag.to_be_bytes());
        fixed[field::TTL] = self.ttl;
        fixed[field::PROTOCOL] = self.protocol;
        fixed[12..16].copy_from_slice(&self.src.octets());
        fixed[16..20].copy_from_slice(&self.dst.octets());
        let (head, opts) = h.split_at_mut(HEADER_LEN);
        head.copy_from_slice(&fixed);
        opts.copy_from_slice(self.options);
        let sum = checksum::checksum(h);
        if let Some(c) = h.get_mut(field::CHECKSUM) {
            c.copy_from_slice(&sum.to_be_bytes());
        }
        Ok(header_len)
    }
}

fn packet_options(b: &[u8]) -> &[u8] {
    let ihl = usize::from(b.first().map_or(0, |v| v & 0x0f)) * 4;
    b.get(HEADER_LEN..ihl).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: [u8; 20] = [
        0x45, 0x00, 0x00, 0x14, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 99, 0, 2, 10,
        99, 0, 1,
    ];

    #[test]
    fn checked_rejects_short_and_bad_fields() {
        assert!(matches!(
            Ipv4Packet::new_checked(&SAMPLE[..19]),
            Err(WireError::Truncated {
                expected_len: 20,
                actual_len: 19,
                ..
            })
        ));
        let mut v6 = SAMPLE;
        v6[0] = 0x65;
        assert!(matches!(
            Ipv4Packet::new_checked(&v6[..]),
            Err(WireError::BadVersion {
                expected: 4,
                actual: 6,
                ..
            })
        ));
        let mut ihl = SAMPLE;
        ihl[0] = 0x44;
        assert!(matches!(
            Ipv4Packet::new_checked(&ihl[..]),
            Err(WireError::BadHeaderLen { .. })
        ));
        let mut total = SAMPLE;
        total[3] = 0x15;
        assert!(matches!(
            Ipv4Packet::new_checked(&total[..]),
            Err(WireError::Truncated {
                expected_len: 21,
                ..
            })
        ));
    }

    #[test]
    fn emit_parse_round_trip() {
        let repr = Ipv4Repr {
            src: Ipv4Addr::new(10, 99, 0, 2),
            dst: Ipv4Addr::new(10, 99, 0, 1),
            protocol: 6,
            dscp_ecn: 0,
            ident: 0x1234,
            flags_frag: 0x4000,
            ttl: 64,
            options: &[],
            payload_len: 0,
        };
        let mut buf = [0u8; 20];
        assert_eq!(repr.emit(&mut buf), Ok(20));
        let packet = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert!(packet.verify_checksum());
        assert_eq!(Ipv4Repr::parse(&packet), repr);
    }

    /// A header laid out by hand from RFC 791 §3.1: IHL 6 (one option
    /// word: NOP, NOP, NOP, End of Option List), DSCP AF41 with ECT(0),
    /// total length 28, DF, TTL 63, TCP, then 4 bytes of data and 2 bytes
    /// of link padding. Checksum filled by hand (RFC 1071).
    const WITH_OPTION: [u8; 30] = [
        0x46, 0x8a, 0x00, 0x1c, 0xbe, 0xef, 0x40, 0x00, 0x3f, 0x06, 0x64, 0x99, 10, 99, 0, 2, 10,
        99, 0, 1, 1, 1, 1, 0, b'd', b'a', b't', b'a', 0xee, 0xee,
    ];

    #[test]
    fn every_field_is_read_where_rfc_791_puts_it() {
        let p = Ipv4Packet::new_checked(&WITH_OPTION[..]).unwrap();
        assert_eq!((p.version(), p.header_len()), (4, 24));
        assert_eq!((p.dscp_ecn(), p.total_len(), p.ident()), (0x8a, 28, 0xbeef));
        assert_eq!((p.flags_frag(), p.ttl(), p.protocol()), (0x4000, 63, 6));
        assert_eq!(p.checksum(), 0x6499);
        assert!(p.verify_checksum());
        assert_eq!(p.src_addr(), Ipv4Addr::new(10, 99, 0, 2));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(10, 99, 0, 1));
        assert_eq!(p.options(), &[1, 1, 1, 0]);
        // The total length bounds the payload: the link padding is not in it.
        assert_eq!(p.payload(), b"data");
        let repr = Ipv4Repr::parse(&p);
        assert_eq!(
            repr,
            Ipv4Repr {
                src: Ipv4Addr::new(10, 99, 0, 2),
                dst: Ipv4Addr::new(10, 99, 0, 1),
                protocol: 6,
                dscp_ecn: 0x8a,
                ident: 0xbeef,
                flags_frag: 0x4000,
                ttl: 63,
                options: &[1, 1, 1, 0],
                payload_len: 4,
            }
        );
        let mut out = [0u8; 24];
        assert_eq!(repr.emit(&mut out), Ok(24));
        assert_eq!(out, WITH_OPTION[..24]);
        assert_eq!(p.into_inner(), &WITH_OPTION[..]);
    }

    #[test]
    fn a_wrong_header_checksum_is_seen_and_refilled() {
        let mut buf = WITH_OPTION;
        buf[11] ^= 1;
        let mut p = Ipv4Packet::new_checked(&mut buf[..]).unwrap();
        assert!(!p.verify_checksum());
        p.fill_checksum();
        assert_eq!(p.checksum(), 0x6499);
        assert!(p.verify_checksum());
        // The checksum covers the options too (RFC 791 §3.1).
        buf[21] = 7;
        assert!(!Ipv4Packet::new_checked(&buf[..]).unwrap().verify_checksum());
    }

    #[test]
    fn setters_write_the_total_length_and_the_payload() {
        let mut buf = WITH_OPTION;
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
        p.set_total_len(26);
        p.payload_mut().copy_from_slice(b"ok");
        assert_eq!(p.total_len(), 26);
        assert_eq!(buf[2..4], [0, 26]);
        assert_eq!(buf[24..30], *b"okta\xee\xee");
    }

    #[test]
    fn fragments_are_mf_or_a_non_zero_offset() {
        // RFC 791 §3.1: bit 1 DF, bit 2 MF, then 13 bits of offset.
        for (flags_frag, fragment) in [
            (0x0000, false),
            (0x4000, false), // DF only
            (0x2000, true),  // MF: the first fragment
            (0x0001, true),  // the last fragment, offset 8 bytes
            (0x1fff, true),
            (0x6001, true),
            (0x8000, false), // the reserved bit is not a fragment
        ] {
            let mut buf = SAMPLE;
            buf[6..8].copy_from_slice(&u16::to_be_bytes(flags_frag));
            let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
            assert_eq!(p.is_fragment(), fragment, "{flags_frag:#06x}");
        }
    }

    #[test]
    fn lengths_are_checked_at_their_bounds() {
        // The header and the total length may end exactly at the buffer.
        assert!(Ipv4Packet::new_checked(&WITH_OPTION[..28]).is_ok());
        assert_eq!(
            Ipv4Packet::new_checked(&WITH_OPTION[..27]).err(),
            Some(WireError::Truncated {
                layer: Layer::Ipv4,
                expected_len: 28,
                actual_len: 27
            })
        );
        let mut short_total = WITH_OPTION;
        short_total[3] = 23;
        assert_eq!(
            Ipv4Packet::new_checked(&short_total[..]).err(),
            Some(WireError::BadTotalLen {
                header_len: 24,
                total_len: 23
            })
        );
        short_total[3] = 24;
        let header_only = Ipv4Packet::new_checked(&short_total[..]).unwrap();
        assert_eq!(header_only.payload(), b"");
        let mut long_ihl = SAMPLE;
        long_ihl[0] = 0x46;
        assert_eq!(
            Ipv4Packet::new_checked(&long_ihl[..]).err(),
            Some(WireError::BadHeaderLen {
                layer: Layer::Ipv4,
                min_len: 20,
                actual_len: 24
            })
        );
    }

    #[test]
    fn emit_takes_options_of_whole_words_up_to_forty_bytes() {
        let repr = |options| Ipv4Repr {
            options,
            payload_len: 0,
            ..Ipv4Repr::parse(&Ipv4Packet::new_checked(&SAMPLE[..]).unwrap())
        };
        let mut buf = [0u8; 64];
        assert_eq!(repr(&[1; 40]).emit(&mut buf), Ok(60));
        let p = Ipv4Packet::new_checked(&buf[..60]).unwrap();
        assert_eq!(
            (p.header_len(), p.total_len(), p.options()),
            (60, 60, &[1; 40][..])
        );
        assert!(p.verify_checksum());
        for bad in [&[1u8; 44][..], &[1u8; 3][..]] {
            assert_eq!(
                repr(bad).emit(&mut buf),
                Err(WireError::BadHeaderLen {
                    layer: Layer::Ipv4,
                    min_len: 20,
                    actual_len: 20 + bad.len()
                })
            );
        }
        assert_eq!(
            repr(&[1; 4]).emit(&mut buf[..23]),
            Err(WireError::BufferTooSmall {
                expected_len: 24,
                actual_len: 23
            })
        );
    }

    #[test]
    fn the_total_length_must_fit_sixteen_bits() {
        let repr = |payload_len| Ipv4Repr {
            payload_len,
            ..Ipv4Repr::parse(&Ipv4Packet::new_checked(&SAMPLE[..]).unwrap())
        };
        let mut buf = [0u8; 20];
        assert_eq!(repr(65515).emit(&mut buf), Ok(20));
        assert_eq!(Ipv4Packet::new_unchecked(&buf[..]).total_len(), 65535);
        assert_eq!(
            repr(65516).emit(&mut buf),
            Err(WireError::LengthOverflow {
                layer: Layer::Ipv4,
                len: 65536
            })
        );
    }
}
