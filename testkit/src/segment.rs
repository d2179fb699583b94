//! An owned description of a TCP segment and its addresses, from which the
//! segment's bytes are emitted: what test generators and packet builders
//! hold before there are bytes to view.

use tcpmd5::AddrPair;
use tcpmd5::wire::{TcpFlags, TcpRepr, WireError};

/// The fields of a TCP segment, owned; [`TcpSegmentSpec::to_bytes`] emits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSegmentSpec {
    /// Source and destination.
    pub addrs: AddrPair,
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
    /// The option area (a multiple of 4, at most 40 bytes).
    pub options: Vec<u8>,
    /// The payload.
    pub payload: Vec<u8>,
}

impl TcpSegmentSpec {
    /// A segment `ports.0 -> ports.1` with these flags: sequence and
    /// acknowledgement numbers, window and urgent pointer zero, no options,
    /// no payload (set the fields that matter with struct update syntax).
    pub fn new(
        addrs: AddrPair,
        (src_port, dst_port): (u16, u16),
        flags: TcpFlags,
    ) -> TcpSegmentSpec {
        TcpSegmentSpec {
            addrs,
            src_port,
            dst_port,
            seq: 0,
            ack: 0,
            flags,
            window: 0,
            urgent: 0,
            options: Vec::new(),
            payload: Vec::new(),
        }
    }

    /// The borrowed representation.
    pub fn repr(&self) -> TcpRepr<'_> {
        TcpRepr {
            src_port: self.src_port,
            dst_port: self.dst_port,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            window: self.window,
            urgent: self.urgent,
            options: &self.options,
            payload: &self.payload,
        }
    }

    /// The segment's bytes with a correct TCP checksum; fails only if the
    /// option area is not a multiple of 4 or longer than 40 bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        self.repr().to_vec(&self.addrs)
    }
}
