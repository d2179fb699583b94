//! TCP header view and representation.
//!
//! [`TcpPacket::new_checked`] never panics, whatever the bytes: it checks
//! that the fixed header and the data offset fit the buffer.

use core::fmt;

use super::checksum;
use super::error::{Layer, WireError};
use super::tcp_option::TcpOptions;
use crate::AddrPair;

mod field {
    use core::ops::Range;
    pub(super) const SRC_PORT: Range<usize> = 0..2;
    pub(super) const DST_PORT: Range<usize> = 2..4;
    pub(super) const SEQ: Range<usize> = 4..8;
    pub(super) const ACK: Range<usize> = 8..12;
    pub(super) const OFFSET_FLAGS: Range<usize> = 12..14;
    pub(super) const WINDOW: Range<usize> = 14..16;
    pub(super) const CHECKSUM: Range<usize> = 16..18;
    pub(super) const URGENT: Range<usize> = 18..20;
}

/// Byte range of the checksum field in the TCP header.
pub const CHECKSUM_RANGE: core::ops::Range<usize> = field::CHECKSUM;
/// Byte index of the data offset (high nibble) in the TCP header.
pub const DATA_OFFSET_BYTE: usize = 12;
/// Length of the TCP header without options.
pub const HEADER_LEN: usize = 20;
/// The largest TCP header (data offset 15).
pub const MAX_HEADER_LEN: usize = 60;

/// The 12 flag bits after the data offset (reserved bits included, so a
/// parsed header re-emits bit for bit).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    /// FIN.
    pub const FIN: TcpFlags = TcpFlags(0x001);
    /// SYN.
    pub const SYN: TcpFlags = TcpFlags(0x002);
    /// RST.
    pub const RST: TcpFlags = TcpFlags(0x004);
    /// PSH.
    pub const PSH: TcpFlags = TcpFlags(0x008);
    /// ACK.
    pub const ACK: TcpFlags = TcpFlags(0x010);
    /// URG.
    pub const URG: TcpFlags = TcpFlags(0x020);
    /// ECE.
    pub const ECE: TcpFlags = TcpFlags(0x040);
    /// CWR.
    pub const CWR: TcpFlags = TcpFlags(0x080);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

impl fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(TcpFlags, &str); 8] = [
            (TcpFlags::SYN, "S"),
            (TcpFlags::FIN, "F"),
            (TcpFlags::RST, "R"),
            (TcpFlags::PSH, "P"),
            (TcpFlags::ACK, "."),
            (TcpFlags::URG, "U"),
            (TcpFlags::ECE, "E"),
            (TcpFlags::CWR, "W"),
        ];
        f.write_str("[")?;
        for (flag, name) in NAMES {
            if self.contains(flag) {
                f.write_str(name)?;
            }
        }
        f.write_str("]")
    }
}

/// A read (and, for mutable buffers, write) view of a TCP segment.
#[derive(Debug, Clone)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

fn be16(b: &[u8], r: core::ops::Range<usize>) -> u16 {
    match b.get(r) {
        Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
        _ => 0,
    }
}

fn be32(b: &[u8], r: core::ops::Range<usize>) -> u32 {
    match b.get(r) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps a buffer without checking it; accessors return defaults for
    /// missing bytes (they never panic).
    pub fn new_unchecked(buffer: T) -> TcpPacket<T> {
        TcpPacket { buffer }
    }

    /// Wraps a buffer after checking the fixed header and the data offset.
    pub fn new_checked(buffer: T) -> Result<TcpPacket<T>, WireError> {
        let packet = TcpPacket::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the fixed header and the data offset against the buffer.
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.b().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated {
                layer: Layer::Tcp,
                expected_len: HEADER_LEN,
                actual_len: len,
            });
        }
        let header_len = self.header_len();
        if header_len < HEADER_LEN || header_len > len {
            return Err(WireError::BadHeaderLen {
                layer: Layer::Tcp,
                min_len: HEADER_LEN,
                actual_len: header_len,
            });
        }
        Ok(())
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The whole segment.
    pub fn as_bytes(&self) -> &[u8] {
        self.b()
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.b(), field::SRC_PORT)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.b(), field::DST_PORT)
    }

    /// Sequence number.
    pub fn seq_number(&self) -> u32 {
        be32(self.b(), field::SEQ)
    }

    /// Acknowledgement number.
    pub fn ack_number(&self) -> u32 {
        be32(self.b(), field::ACK)
    }

    /// Header length in bytes (data offset * 4).
    pub fn header_len(&self) -> usize {
        usize::from(be16(self.b(), field::OFFSET_FLAGS) >> 12) * 4
    }

    /// The flags (with the reserved bits).
    pub fn flags(&self) -> TcpFlags {
        TcpFlags(be16(self.b(), field::OFFSET_FLAGS) & 0x0fff)
    }

    /// Window.
    pub fn window(&self) -> u16 {
        be16(self.b(), field::WINDOW)
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.b(), field::CHECKSUM)
    }

    /// Urgent pointer.
    pub fn urgent(&self) -> u16 {
        be16(self.b(), field::URGENT)
    }

    /// The option area (between the fixed header and `doff*4`).
    pub fn options(&self) -> &[u8] {
        self.b().get(HEADER_LEN..self.header_len()).unwrap_or(&[])
    }

    /// The options, parsed with the generic reading.
    pub fn option_iter(&self) -> TcpOptions<'_> {
        TcpOptions::new(self.options())
    }

    /// The payload (from `doff*4`).
    pub fn payload(&self) -> &[u8] {
        self.b().get(self.header_len()..).unwrap_or(&[])
    }

    /// Whether the checksum is correct for `addrs` (0x0000 and 0xffff are
    /// one value, as in every one's-complement check).
    pub fn verify_checksum(&self, addrs: &AddrPair) -> bool {
        checksum::same_checksum(checksum::tcp_checksum(addrs, self.b()), self.checksum())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    /// The whole segment, mutable.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    fn put16(&mut self, r: core::ops::Range<usize>, v: u16) {
        if let Some(dst) = self.buffer.as_mut().get_mut(r) {
            dst.copy_from_slice(&v.to_be_bytes());
        }
    }

    fn put32(&mut self, r: core::ops::Range<usize>, v: u32) {
        if let Some(dst) = self.buffer.as_mut().get_mut(r) {
            dst.copy_from_slice(&v.to_be_bytes());
        }
    }

    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        self.put16(field::SRC_PORT, v);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        self.put16(field::DST_PORT, v);
    }

    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, v: u32) {
        self.put32(field::SEQ, v);
    }

    /// Sets the acknowledgement number.
    pub fn set_ack_number(&mut self, v: u32) {
        self.put32(field::ACK, v);
    }

    /// Sets the flags, keeping the data offset.
    pub fn set_flags(&mut self, flags: TcpFlags) {
        let v = (be16(self.b(), field::OFFSET_FLAGS) & 0xf000) | (flags.0 & 0x0fff);
        self.put16(field::OFFSET_FLAGS, v);
    }

    /// Sets the header length in bytes (rounded down to a multiple of 4).
    pub fn set_header_len(&mut self, len: usize) {
        let doff = ((len / 4).min(15) as u16) << 12;
        let v = doff | (be16(self.b(), field::OFFSET_FLAGS) & 0x0fff);
        self.put16(field::OFFSET_FLAGS, v);
    }

    /// Sets the window.
    pub fn set_window(&mut self, v: u16) {
        self.put16(field::WINDOW, v);
    }

    /// Sets the urgent pointer.
    pub fn set_urgent(&mut self, v: u16) {
        self.put16(field::URGENT, v);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        self.put16(field::CHECKSUM, v);
    }

    /// Recomputes and stores the checksum for `addrs`.
    pub fn fill_checksum(&mut self, addrs: &AddrPair) {
        let sum = checksum::tcp_checksum(addrs, self.b());
        self.set_checksum(sum);
    }

    /// The option area, mutable.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        self.buffer
            .as_mut()
            .get_mut(HEADER_LEN..end)
            .unwrap_or(&mut [])
    }

    /// The payload, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        self.buffer.as_mut().get_mut(start..).unwrap_or(&mut [])
    }
}

/// A description of a TCP segment that borrows its options and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpRepr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flags (reserved bits included).
    pub flags: TcpFlags,
    /// Window.
    pub window: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// The option area as sent (a multiple of 4 bytes, at most 40).
    pub options: &'a [u8],
    /// The payload.
    pub payload: &'a [u8],
}

impl<'a> TcpRepr<'a> {
    /// Describes a checked segment. The checksum is not verified: captured
    /// segments may carry offloaded (partial) checksums; use
    /// [`TcpPacket::verify_checksum`].
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &TcpPacket<&'a T>) -> TcpRepr<'a> {
        let inner: &'a T = packet.buffer;
        let view = TcpPacket::new_unchecked(<T as AsRef<[u8]>>::as_ref(inner));
        TcpRepr {
            src_port: view.src_port(),
            dst_port: view.dst_port(),
            seq: view.seq_number(),
            ack: view.ack_number(),
            flags: view.flags(),
            window: view.window(),
            urgent: view.urgent(),
            options: view
                .buffer
                .get(HEADER_LEN..view.header_len())
                .unwrap_or(&[]),
            payload: view.buffer.get(view.header_len()..).unwrap_or(&[]),
        }
    }

    /// Header length this representation emits.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// Segment length this representation emits.
    pub fn segment_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// The segment with a correct checksum for `addrs`, in a new vector.
    pub fn to_vec(&self, addrs: &AddrPair) -> Result<Vec<u8>, WireError> {
        let mut buf = vec![0u8; self.segment_len()];
        self.emit(addrs, &mut buf)?;
        Ok(buf)
    }

    /// Writes the segment with a correct checksum for `addrs` into the start
    /// of `buf`, returning its length.
    pub fn emit(&self, addrs: &AddrPair, buf: &mut [u8]) -> Result<usize, WireError> {
        let header_len = self.header_len();
        if !self.options.len().is_multiple_of(4) || header_len > MAX_HEADER_LEN {
            return Err(WireError::BadHeaderLen {
                layer: Layer::Tcp,
                min_len: HEADER_LEN,
                actual_len: header_len,
            });
        }
        let len = self.segment_len();
        let Some(out) = buf.get_mut(..len) else {
            return Err(WireError::BufferTooSmall {
                expected_len: len,
                actual_len: buf.len(),
            });
        };
        let (header, payload) = out.split_at_mut(header_len);
        let (fixed, options) = header.split_at_mut(HEADER_LEN);
        fixed.fill(0);
        options.copy_from_slice(self.options);
        payload.copy_from_slice(self.payload);
        let mut packet = TcpPacket::new_unchecked(out);
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_seq_number(self.seq);
        packet.set_ack_number(self.ack);
        packet.set_header_len(header_len);
        packet.set_flags(self.flags);
        packet.set_window(self.window);
        packet.set_urgent(self.urgent);
        packet.fill_checksum(addrs);
        Ok(len)
    }
}

#[cfg(test)]
mod tests;
