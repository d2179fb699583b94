//! Signing: putting an RFC 2385 option into a segment or packet and filling
//! its digest, the way Linux lays it out.
//!
//! Everything writes into caller-provided buffers and allocates nothing
//! (except the `*_to_vec` conveniences).

use core::fmt;

use crate::digest::{DigestError, segment_digest};
use crate::wire::checksum;
use crate::wire::tcp::{self, TcpPacket};
use crate::wire::tcp_option::{MD5_OPTION_LEN, kind};
use crate::wire::{IpSegment, Ipv4Packet, Ipv6Packet, WireError};
use crate::{AddrPair, Key};

/// The 4 bytes Linux writes before the digest: NOP, NOP, kind 19, length 18
/// (`tcp_options_write`), keeping the option area 4-byte aligned.
pub const LINUX_MD5_PREFIX: [u8; 4] = [kind::NOP, kind::NOP, kind::MD5, MD5_OPTION_LEN as u8];
/// Option bytes Linux spends on MD5 (`TCPOLEN_MD5SIG_ALIGNED`).
pub const LINUX_MD5_ALIGNED_LEN: usize = 20;
/// The largest TCP option area.
pub const MAX_OPTION_AREA: usize = 40;

/// Why a segment or packet could not be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignError {
    /// The packet or segment is not well formed.
    Wire(WireError),
    /// The digest could not be computed.
    Digest(DigestError),
    /// The segment has no MD5 option to fill.
    NoMd5Option,
    /// Adding the option would exceed the 40-byte option area.
    OptionSpace {
        /// Option bytes needed.
        needed: usize,
        /// The maximum.
        available: usize,
    },
    /// The output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        expected_len: usize,
        /// Bytes available.
        actual_len: usize,
    },
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::Wire(e) => write!(f, "cannot sign: {e}"),
            SignError::Digest(e) => write!(f, "cannot sign: {e}"),
            SignError::NoMd5Option => f.write_str("cannot sign: no MD5 option to fill"),
            SignError::OptionSpace { needed, available } => write!(
                f,
                "cannot sign: {needed} option bytes needed, {available} available"
            ),
            SignError::BufferTooSmall {
                expected_len,
                actual_len,
            } => write!(
                f,
                "cannot sign: output needs {expected_len} bytes, has {actual_len}"
            ),
        }
    }
}

impl std::error::Error for SignError {}

impl From<WireError> for SignError {
    fn from(e: WireError) -> SignError {
        SignError::Wire(e)
    }
}

impl From<DigestError> for SignError {
    fn from(e: DigestError) -> SignError {
        SignError::Digest(e)
    }
}

/// Offset (in the option area) of the first well-formed MD5 option, reading
/// as a sender would: past EOL, stopping at the first malformed length.
/// This is where a digest gets written, including in deliberately odd
/// layouts (MD5 after EOL, after a second MD5 of another length, ...).
pub fn locate_md5_option(area: &[u8]) -> Option<usize> {
    let mut offset = 0usize;
    while let Some(&opcode) = area.get(offset) {
        if opcode == kind::EOL || opcode == kind::NOP {
            offset += 1;
            continue;
        }
        let size = usize::from(*area.get(offset + 1)?);
        if size < 2 || offset + size > area.len() {
            return None;
        }
        if opcode == kind::MD5 && size == MD5_OPTION_LEN {
            return Some(offset);
        }
        offset += size;
    }
    None
}

/// Computes the digest of `segment` and writes it into the MD5 option whose
/// kind byte is at `option_offset` in the option area, then fixes the TCP
/// checksum. Returns the digest.
pub fn sign_segment_at(
    addrs: &AddrPair,
    segment: &mut [u8],
    key: &Key,
    option_offset: usize,
) -> Result<[u8; 16], SignError> {
    let mut packet = TcpPacket::new_checked(&mut *segment)?;
    let start = tcp::HEADER_LEN + option_offset + 2;
    if start + 16 > packet.header_len() {
        return Err(SignError::NoMd5Option);
    }
    let digest = segment_digest(addrs, packet.as_bytes(), key)?;
    if let Some(slot) = packet.as_bytes_mut().get_mut(start..start + 16) {
        slot.copy_from_slice(&digest);
    }
    packet.fill_checksum(addrs);
    Ok(digest)
}

/// Signs a segment that already carries an MD5 option (see
/// [`locate_md5_option`]), in place.
pub fn sign_segment_in_place(
    addrs: &AddrPair,
    segment: &mut [u8],
    key: &Key,
) -> Result<[u8; 16], SignError> {
    let packet = TcpPacket::new_checked(&*segment)?;
    let offset = locate_md5_option(packet.options()).ok_or(SignError::NoMd5Option)?;
    sign_segment_at(addrs, segment, key, offset)
}

/// Copies `segment` into `out` with an MD5 option (digest zeroed) in the
/// Linux layout at the front of the option area, unless it already has one.
/// Returns the new segment length. The checksum is not updated.
//= linux/md5-option-layout
pub fn insert_md5_option(segment: &[u8], out: &mut [u8]) -> Result<usize, SignError> {
    let packet = TcpPacket::new_checked(segment)?;
    let out_len = out.len();
    if locate_md5_option(packet.options()).is_some() {
        let dst = out
            .get_mut(..segment.len())
            .ok_or(SignError::BufferTooSmall {
                expected_len: segment.len(),
                actual_len: out_len,
            })?;
        dst.copy_from_slice(segment);
        return Ok(segment.len());
    }
    let needed = packet.options().len() + LINUX_MD5_ALIGNED_LEN;
    if needed > MAX_OPTION_AREA {
        return Err(SignError::OptionSpace {
            needed,
            available: MAX_OPTION_AREA,
        });
    }
    let new_len = segment.len() + LINUX_MD5_ALIGNED_LEN;
    let dst = out.get_mut(..new_len).ok_or(SignError::BufferTooSmall {
        expected_len: new_len,
        actual_len: out_len,
    })?;
    let (fixed, rest) = dst.split_at_mut(tcp::HEADER_LEN);
    let (md5, tail) = rest.split_at_mut(LINUX_MD5_ALIGNED_LEN);
    fixed.copy_from_slice(segment.get(..tcp::HEADER_LEN).unwrap_or(&[0; 20]));
    md5.fill(0);
    if let Some(prefix) = md5.get_mut(..4) {
        prefix.copy_from_slice(&LINUX_MD5_PREFIX);
    }
    tail.copy_from_slice(segment.get(tcp::HEADER_LEN..).unwrap_or(&[]));
    let mut view = TcpPacket::new_unchecked(dst);
    view.set_header_len(packet.header_len() + LINUX_MD5_ALIGNED_LEN);
    Ok(new_len)
}

/// Writes a signed copy of `segment` into `out` (inserting the option in the
/// Linux layout if missing). Returns the signed segment length.
pub fn sign_segment_into(
    addrs: &AddrPair,
    segment: &[u8],
    key: &Key,
    out: &mut [u8],
) -> Result<usize, SignError> {
    let len = insert_md5_option(segment, out)?;
    let signed = out.get_mut(..len).ok_or(SignError::BufferTooSmall {
        expected_len: len,
        actual_len: 0,
    })?;
    sign_segment_in_place(addrs, signed, key)?;
    Ok(len)
}

/// Signs a whole IPv4 or IPv6 packet that already carries an MD5 option,
/// in place (digest and TCP checksum).
pub fn sign_packet_in_place(packet: &mut [u8], key: &Key) -> Result<[u8; 16], SignError> {
    let located = IpSegment::parse(packet)?;
    let (addrs, start, end) = (
        located.addrs,
        located.tcp_offset,
        located.tcp_offset + located.segment.len(),
    );
    let segment = packet.get_mut(start..end).ok_or(SignError::NoMd5Option)?;
    sign_segment_in_place(&addrs, segment, key)
}

/// Writes a signed copy of a whole IPv4 or IPv6 packet into `out`, inserting
/// the option if missing and fixing the IP lengths and IPv4 header checksum.
/// Returns the new packet length (link padding is dropped).
pub fn sign_packet_into(packet: &[u8], key: &Key, out: &mut [u8]) -> Result<usize, SignError> {
    let located = IpSegment::parse(packet)?;
    let start = located.tcp_offset;
    let ip_headers = packet.get(..start).unwrap_or(&[]);
    let out_len = out.len();
    let (head, tail) = out.split_at_mut(start.min(out_len));
    if head.len() < start {
        return Err(SignError::BufferTooSmall {
            expected_len: start,
            actual_len: out_len,
        });
    }
    head.copy_from_slice(ip_headers);
    let seg_len = sign_segment_into(&located.addrs, located.segment, key, tail)?;
    let total = start + seg_len;
    match located.addrs {
        AddrPair::V4 { .. } => {
            let len16 = u16::try_from(total).map_err(|_| {
                SignError::Wire(WireError::LengthOverflow {
                    layer: crate::wire::Layer::Ipv4,
                    len: total,
                })
            })?;
            let mut ip = Ipv4Packet::new_unchecked(out.get_mut(..total).unwrap_or(&mut []));
            ip.set_total_len(len16);
            ip.fill_checksum();
        }
        AddrPair::V6 { .. } => {
            let payload = total - crate::wire::ipv6::HEADER_LEN;
            let len16 = u16::try_from(payload).map_err(|_| {
                SignError::Wire(WireError::LengthOverflow {
                    layer: crate::wire::Layer::Ipv6,
                    len: payload,
                })
            })?;
            let mut ip = Ipv6Packet::new_unchecked(out.get_mut(..total).unwrap_or(&mut []));
            ip.set_payload_len(len16);
        }
    }
    Ok(total)
}

/// [`sign_packet_into`] into a new vector.
pub fn sign_packet_to_vec(packet: &[u8], key: &Key) -> Result<Vec<u8>, SignError> {
    let mut out = vec![0u8; packet.len() + LINUX_MD5_ALIGNED_LEN];
    let len = sign_packet_into(packet, key, &mut out)?;
    out.truncate(len);
    Ok(out)
}

/// [`sign_segment_into`] into a new vector.
pub fn sign_segment_to_vec(
    addrs: &AddrPair,
    segment: &[u8],
    key: &Key,
) -> Result<Vec<u8>, SignError> {
    let mut out = vec![0u8; segment.len() + LINUX_MD5_ALIGNED_LEN];
    let len = sign_segment_into(addrs, segment, key, &mut out)?;
    out.truncate(len);
    Ok(out)
}

/// Recomputes the TCP checksum of a segment after a deliberate corruption
/// (so the kernel's checksum check does not hide the MD5 verdict).
pub fn refresh_checksum(addrs: &AddrPair, segment: &mut [u8]) {
    let sum = checksum::tcp_checksum(addrs, segment);
    if let Some(slot) = segment.get_mut(tcp::CHECKSUM_RANGE) {
        slot.copy_from_slice(&sum.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{TcpFlags, TcpRepr};

    #[test]
    fn errors_say_what_stopped_the_signing() {
        assert_eq!(
            SignError::NoMd5Option.to_string(),
            "cannot sign: no MD5 option to fill"
        );
        assert_eq!(
            SignError::OptionSpace {
                needed: 44,
                available: 40
            }
            .to_string(),
            "cannot sign: 44 option bytes needed, 40 available"
        );
        assert_eq!(
            SignError::BufferTooSmall {
                expected_len: 60,
                actual_len: 40
            }
            .to_string(),
            "cannot sign: output needs 60 bytes, has 40"
        );
        let wire = crate::wire::TcpPacket::new_checked(&[0u8; 4][..])
            .map(|_| ())
            .expect_err("4 bytes are no TCP header");
        assert_eq!(
            SignError::Wire(wire).to_string(),
            format!("cannot sign: {wire}")
        );
    }

    //= type=test
    //= linux/md5-option-layout
    #[test]
    fn the_option_goes_first_after_two_nops() {
        let addrs = AddrPair::V4 {
            src: core::net::Ipv4Addr::new(192, 0, 2, 1),
            dst: core::net::Ipv4Addr::new(192, 0, 2, 2),
        };
        let mss = [2, 4, 0x05, 0xb4];
        let repr = TcpRepr {
            src_port: 1,
            dst_port: 2,
            seq: 3,
            ack: 4,
            flags: TcpFlags::SYN,
            window: 5,
            urgent: 0,
            options: &mss,
            payload: b"",
        };
        let segment = repr.to_vec(&addrs).unwrap();
        let key = Key::from_array(b"layout");
        let signed = sign_segment_to_vec(&addrs, &segment, &key).unwrap();
        let options = TcpPacket::new_checked(&signed[..])
            .unwrap()
            .options()
            .to_vec();
        assert_eq!(options[..4], [1, 1, 19, 18]);
        assert_eq!(options[20..], mss);
        assert_eq!(locate_md5_option(&options), Some(2));
    }

    // Where a sender writes the digest: past NOP, past any option of
    // length 2 or more that fits (a length counts both its bytes), and, on
    // purpose, past EOL too, so that odd layouts can be signed; nowhere once
    // a length is below 2 (no progress) or runs past the area.
    #[test]
    fn locate_md5_option_reads_lengths_as_a_sender_would() {
        let md5 = [19u8, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let with = |prefix: &[u8]| [prefix, &md5[..]].concat();
        // SACK-permitted (kind 4, length 2), then the MD5 option.
        assert_eq!(locate_md5_option(&with(&[4, 2])), Some(2));
        assert_eq!(locate_md5_option(&with(&[0, 1, 4, 2])), Some(4));
        // Lengths 0 and 1 end the search, as does an option running past
        // the area.
        assert_eq!(locate_md5_option(&with(&[4, 0])), None);
        assert_eq!(locate_md5_option(&with(&[4, 1])), None);
        assert_eq!(locate_md5_option(&md5[..17]), None);
        assert_eq!(locate_md5_option(&[1, 8, 30]), None);
        // An MD5 option of another length is stepped over.
        let odd = [19u8, 4, 0, 0];
        assert_eq!(locate_md5_option(&with(&odd)), Some(4));
    }

    fn test_addrs() -> AddrPair {
        AddrPair::V4 {
            src: core::net::Ipv4Addr::new(192, 0, 2, 1),
            dst: core::net::Ipv4Addr::new(192, 0, 2, 2),
        }
    }

    /// An ACK from port 1 to 2 with these options and payload.
    fn ack_repr<'a>(options: &'a [u8], payload: &'a [u8]) -> TcpRepr<'a> {
        TcpRepr {
            src_port: 1,
            dst_port: 2,
            seq: 3,
            ack: 4,
            flags: TcpFlags::ACK,
            window: 5,
            urgent: 0,
            options,
            payload,
        }
    }

    /// An option offset whose 16 digest bytes would run past the header
    /// (into the payload) is refused, whatever the payload.
    #[test]
    fn a_digest_slot_past_the_header_is_refused() {
        let addrs = test_addrs();
        let area = [1, 1, 19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let repr = ack_repr(&area, &[0xaa; 32]);
        let mut segment = repr.to_vec(&addrs).unwrap();
        let key = Key::from_array(b"k");
        let original = segment.clone();
        // The option at 2 fits (digest at area bytes 4..20); at 4 it ends
        // two bytes into the payload.
        assert_eq!(
            sign_segment_at(&addrs, &mut segment, &key, 4),
            Err(SignError::NoMd5Option)
        );
        assert_eq!(segment, original);
        assert!(sign_segment_at(&addrs, &mut segment, &key, 2).is_ok());
    }

    /// An output buffer too short for the IP header says so.
    #[test]
    fn an_output_shorter_than_the_ip_header_is_refused() {
        let addrs = test_addrs();
        let repr = ack_repr(&[], b"");
        let packet = crate::wire::ip_packet(&addrs, &repr.to_vec(&addrs).unwrap()).unwrap();
        let key = Key::from_array(b"k");
        assert_eq!(
            sign_packet_into(&packet, &key, &mut [0u8; 10]),
            Err(SignError::BufferTooSmall {
                expected_len: 20,
                actual_len: 10
            })
        );
    }
}
