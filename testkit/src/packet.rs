//! Whole IP packets around a TCP segment: IPv4 (with DF) or IPv6 with any
//! chain of extension headers. Built with the library's `Ipv4Repr` and
//! `Ipv6Repr`, so every test packet has correct lengths and checksums.

use core::fmt;

use tcpmd5::AddrPair;
use tcpmd5::wire::{Ipv4Repr, Ipv6Repr, WireError};

use crate::TcpSegmentSpec;

const TCP: u8 = 6;

/// An IPv6 extension header to put before TCP: its type and its bytes (the
/// next-header byte is filled in when the chain is built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtHeader {
    /// Its type (the previous header's next-header value).
    pub kind: u8,
    /// Its bytes, a multiple of 8.
    pub bytes: Vec<u8>,
}

impl ExtHeader {
    /// Hop-by-Hop options with one PadN filling 8 bytes.
    pub fn hop_by_hop() -> ExtHeader {
        ExtHeader {
            kind: 0,
            bytes: vec![0, 0, 1, 4, 0, 0, 0, 0],
        }
    }

    /// Destination options, 16 bytes (PadN).
    pub fn dest_opts() -> ExtHeader {
        ExtHeader {
            kind: 60,
            bytes: vec![0, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        }
    }

    /// Routing header type 0 with segments left 0 (ignored by receivers).
    pub fn routing() -> ExtHeader {
        ExtHeader {
            kind: 43,
            bytes: vec![0, 0, 0, 0, 0, 0, 0, 0],
        }
    }

    /// An atomic fragment (offset 0, M clear).
    pub fn atomic_fragment() -> ExtHeader {
        ExtHeader {
            kind: 44,
            bytes: vec![0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78],
        }
    }
}

/// The IP header fields a test may choose; everything else is fixed (TTL
/// and hop limit 64, IPv4 DF, no IPv4 options, traffic class 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpHeaders {
    /// IPv4 identification.
    pub ipv4_ident: u16,
    /// IPv6 extension headers, in order, before TCP (none for IPv4).
    pub ipv6_ext: Vec<ExtHeader>,
}

/// Why a test packet cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketError {
    /// The library refused a header (lengths, option area).
    Wire(WireError),
    /// IPv6 extension headers were asked for an IPv4 packet.
    ExtHeadersOnIpv4,
}

impl From<WireError> for PacketError {
    fn from(e: WireError) -> PacketError {
        PacketError::Wire(e)
    }
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketError::Wire(e) => write!(f, "{e}"),
            PacketError::ExtHeadersOnIpv4 => {
                f.write_str("IPv6 extension headers on an IPv4 packet")
            }
        }
    }
}

impl std::error::Error for PacketError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PacketError::Wire(e) => Some(e),
            PacketError::ExtHeadersOnIpv4 => None,
        }
    }
}

/// The IP packet carrying `segment` from `addrs.src()` to `addrs.dst()`.
/// Fails if the packet would be too long or extension headers are given for
/// IPv4.
pub fn ip_packet_with(
    addrs: &AddrPair,
    headers: &IpHeaders,
    segment: &[u8],
) -> Result<Vec<u8>, PacketError> {
    let mut out = vec![0u8; 40];
    let header_len = match *addrs {
        AddrPair::V4 { src, dst } => {
            if !headers.ipv6_ext.is_empty() {
                return Err(PacketError::ExtHeadersOnIpv4);
            }
            Ipv4Repr {
                src,
                dst,
                protocol: TCP,
                dscp_ecn: 0,
                ident: headers.ipv4_ident,
                flags_frag: 0x4000,
                ttl: 64,
                options: &[],
                payload_len: segment.len(),
            }
            .emit(&mut out)?
        }
        AddrPair::V6 { src, dst } => {
            let ext = &headers.ipv6_ext;
            let chain_len: usize = ext.iter().map(|h| h.bytes.len()).sum();
            Ipv6Repr {
                src,
                dst,
                next_header: ext.first().map_or(TCP, |h| h.kind),
                traffic_class: 0,
                flow_label: 0,
                hop_limit: 64,
                payload_len: chain_len + segment.len(),
            }
            .emit(&mut out)?
        }
    };
    out.truncate(header_len);
    for (i, h) in headers.ipv6_ext.iter().enumerate() {
        let next = headers.ipv6_ext.get(i + 1).map_or(TCP, |n| n.kind);
        out.push(next);
        out.extend(h.bytes.iter().skip(1));
    }
    out.extend_from_slice(segment);
    Ok(out)
}

impl TcpSegmentSpec {
    /// The whole IP packet (default [`IpHeaders`]).
    pub fn to_packet(&self) -> Result<Vec<u8>, PacketError> {
        self.to_packet_with(&IpHeaders::default())
    }

    /// The whole IP packet with the given IP header fields.
    pub fn to_packet_with(&self, headers: &IpHeaders) -> Result<Vec<u8>, PacketError> {
        ip_packet_with(&self.addrs, headers, &self.to_bytes()?)
    }
}
