//! From a captured frame to the TCP segment the verdict is about, and what
//! makes a frame uncheckable (never "invalid": the bytes to judge are
//! missing).

use tcpmd5::AddrPair;
use tcpmd5::checksum::{is_partial_from, same_checksum};
use tcpmd5::wire::checksum::{checksum, pseudo_header_sum, tcp_checksum_from};
use tcpmd5::wire::{IpSegment, TcpPacket, WireError};

use crate::link::{self, LinkType};

/// Why a TCP segment cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unchecked {
    /// The frame was cut by the capture's snap length.
    SnapCut {
        /// Bytes captured.
        captured: usize,
        /// Bytes on the wire.
        on_wire: u32,
    },
    /// An IP fragment: the digest covers the whole segment.
    Fragment,
    /// The IP or TCP header is malformed (not a snap length cut).
    Malformed(WireError),
}

impl Unchecked {
    /// A stable short id (`snaplen`, `fragment`, `malformed`).
    pub fn id(&self) -> &'static str {
        match self {
            Unchecked::SnapCut { .. } => "snaplen",
            Unchecked::Fragment => "fragment",
            Unchecked::Malformed(_) => "malformed",
        }
    }

    /// Why, in a sentence.
    pub fn reason(&self) -> String {
        match self {
            Unchecked::SnapCut { captured, on_wire } => format!(
                "cut by the snap length ({captured} of {on_wire} bytes captured): capture with -s 0"
            ),
            Unchecked::Fragment => {
                "an IP fragment: the digest covers the reassembled segment".to_owned()
            }
            Unchecked::Malformed(e) => format!("malformed packet: {e}"),
        }
    }
}

/// What a frame holds, as far as the tool cares.
#[derive(Debug, Clone)]
pub enum Located<'a> {
    /// A TCP segment.
    Tcp(Segment<'a>),
    /// A TCP segment (or maybe one) that cannot be checked.
    Unchecked(Unchecked),
    /// Not TCP over IP.
    Other,
}

/// A TCP segment and its IP packet.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// The IP packet (link trailer included: the library bounds it).
    pub packet: &'a [u8],
    /// Where the TCP segment is.
    pub ip: IpSegment<'a>,
    /// Offset of the IP packet in the frame.
    pub link_offset: usize,
}

impl Segment<'_> {
    /// The TCP view.
    pub fn tcp(&self) -> TcpPacket<&[u8]> {
        self.ip.tcp()
    }

    /// The addresses.
    pub fn addrs(&self) -> AddrPair {
        self.ip.addrs
    }

    /// The checksums as carried and as computed (the pseudo-header summed
    /// once for the checksum and the partial-checksum test).
    pub fn checksums(&self) -> ChecksumReport {
        let ip_ok = match self.ip.addrs {
            AddrPair::V4 { .. } => Some(
                self.packet
                    .get(..self.ip.tcp_offset)
                    .is_some_and(|header| checksum(header) == 0),
            ),
            AddrPair::V6 { .. } => None,
        };
        let pseudo = pseudo_header_sum(&self.ip.addrs, self.ip.segment.len());
        let computed = tcp_checksum_from(pseudo, self.ip.segment);
        let carried = self.tcp().checksum();
        let tcp_ok = same_checksum(computed, carried);
        ChecksumReport {
            ip_ok,
            tcp_ok,
            tcp_carried: carried,
            tcp_computed: computed,
            partial: !tcp_ok && is_partial_from(pseudo, carried),
        }
    }
}

/// A segment's checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecksumReport {
    /// The IPv4 header checksum's verdict (`None` for IPv6, which has none).
    pub ip_ok: Option<bool>,
    /// Whether the TCP checksum verifies.
    pub tcp_ok: bool,
    /// The TCP checksum carried.
    pub tcp_carried: u16,
    /// The TCP checksum it should be.
    pub tcp_computed: u16,
    /// Whether the carried one is a partial (TX offload) checksum.
    pub partial: bool,
}

impl ChecksumReport {
    /// Whether both verify.
    pub fn ok(&self) -> bool {
        self.tcp_ok && self.ip_ok != Some(false)
    }

    /// Whether the only flaw is a partial TCP checksum (TX offload: the
    /// sender's NIC, or a veth, fills it in later; not an error).
    pub fn offloaded(&self) -> bool {
        self.partial && self.ip_ok != Some(false)
    }

    /// What is wrong, in a sentence (`None` when both verify).
    pub fn problem(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.ip_ok == Some(false) {
            parts.push("IPv4 header checksum wrong".to_owned());
        }
        if !self.tcp_ok {
            parts.push(format!(
                "TCP checksum {:#06x}, should be {:#06x}{}",
                self.tcp_carried,
                self.tcp_computed,
                if self.partial {
                    " (the partial sum TX offload leaves: not an error)"
                } else {
                    ""
                }
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Finds the TCP segment in a frame of link type `link`.
#[inline]
pub fn locate(link: LinkType, frame: &[u8], orig_len: u32) -> Located<'_> {
    let cut = (frame.len() as u64) < u64::from(orig_len);
    let (link_offset, packet) = match link::payload(link, frame) {
        link::Payload::Ip { offset, packet } => (offset, packet),
        link::Payload::Other(_) => return Located::Other,
        link::Payload::Cut if cut => {
            return Located::Unchecked(Unchecked::SnapCut {
                captured: frame.len(),
                on_wire: orig_len,
            });
        }
        link::Payload::Cut => return Located::Other,
    };
    match IpSegment::parse(packet) {
        Ok(ip) => Located::Tcp(Segment {
            packet,
            ip,
            link_offset,
        }),
        Err(WireError::NotTcp { .. }) => Located::Other,
        Err(WireError::Fragmented) => Located::Unchecked(Unchecked::Fragment),
        Err(_) if cut => Located::Unchecked(Unchecked::SnapCut {
            captured: frame.len(),
            on_wire: orig_len,
        }),
        Err(e) => Located::Unchecked(Unchecked::Malformed(e)),
    }
}
