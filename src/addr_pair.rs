//! The source and destination addresses of a segment: what the pseudo-header
//! of both the TCP checksum and the RFC 2385 digest is made of.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::Family;

/// Source and destination of one segment, always of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrPair {
    /// An IPv4 segment.
    V4 {
        /// Source address.
        src: Ipv4Addr,
        /// Destination address.
        dst: Ipv4Addr,
    },
    /// An IPv6 segment.
    V6 {
        /// Source address.
        src: Ipv6Addr,
        /// Destination address.
        dst: Ipv6Addr,
    },
}

/// The two addresses given to [`AddrPair::new`] are of different families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MixedFamilies;

impl fmt::Display for MixedFamilies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("source and destination addresses are of different families")
    }
}

impl std::error::Error for MixedFamilies {}

impl AddrPair {
    /// Pairs two addresses of one family.
    pub fn new(src: IpAddr, dst: IpAddr) -> Result<AddrPair, MixedFamilies> {
        match (src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => Ok(AddrPair::V4 { src, dst }),
            (IpAddr::V6(src), IpAddr::V6(dst)) => Ok(AddrPair::V6 { src, dst }),
            _ => Err(MixedFamilies),
        }
    }

    /// The family of both addresses.
    pub fn family(&self) -> Family {
        match self {
            AddrPair::V4 { .. } => Family::V4,
            AddrPair::V6 { .. } => Family::V6,
        }
    }

    /// The source address.
    #[inline]
    pub fn src(&self) -> IpAddr {
        match *self {
            AddrPair::V4 { src, .. } => IpAddr::V4(src),
            AddrPair::V6 { src, .. } => IpAddr::V6(src),
        }
    }

    /// The destination address.
    #[inline]
    pub fn dst(&self) -> IpAddr {
        match *self {
            AddrPair::V4 { dst, .. } => IpAddr::V4(dst),
            AddrPair::V6 { dst, .. } => IpAddr::V6(dst),
        }
    }

    /// The pair seen from the other end (source and destination swapped).
    pub fn reversed(&self) -> AddrPair {
        match *self {
            AddrPair::V4 { src, dst } => AddrPair::V4 { src: dst, dst: src },
            AddrPair::V6 { src, dst } => AddrPair::V6 { src: dst, dst: src },
        }
    }
}

impl fmt::Display for AddrPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.src(), self.dst())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_shows_its_direction_and_a_mixed_one_says_why() {
        let pair = AddrPair::new(
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        );
        assert_eq!(
            pair.map(|p| p.to_string()),
            Ok("192.0.2.1 -> 192.0.2.2".to_owned())
        );
        let v6 = AddrPair::new(
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        );
        assert_eq!(
            v6.map(|p| p.reversed().to_string()),
            Ok(":: -> ::1".to_owned())
        );
        let mixed = AddrPair::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        );
        assert_eq!(
            mixed.map_err(|e| e.to_string()),
            Err("source and destination addresses are of different families".to_owned())
        );
    }
}
