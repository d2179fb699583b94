//! The checksum stage of the receive path, the first step of the verdict.
//!
//! Linux validates the IPv4 header checksum (`ip_rcv_core`) and the TCP
//! checksum (`tcp_v4_rcv` / `tcp_v6_rcv`, via `skb_checksum_init`) before
//! any socket lookup, so a segment with a bad checksum never reaches the MD5
//! check, signed or not, and TIME-WAIT sockets never see it either. The drop
//! is silent; its reason and counter are in [`DropReason::IpChecksum`] and
//! [`DropReason::TcpChecksum`].
//!
//! Captures taken on a sending host hold offloaded checksums (the NIC fills
//! them in after the capture point): [`Checksums::Skip`] models a receiver of
//! those segments as if their checksums were right.

use crate::AddrPair;
use crate::verdict::DropReason;
use crate::wire::checksum::{finish, pseudo_header_sum, tcp_checksum};
use crate::wire::{IpSegment, Ipv4Packet, TcpPacket};

/// Whether the verdict starts with the checksum stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Checksums {
    /// Check them, as the receiving kernel does.
    Verify,
    /// Take them as correct (captures with offloaded, partial checksums).
    Skip,
}

impl Checksums {
    /// The drop of the checksum stage for `packet` (whose TCP segment is
    /// `located`), or `None` when it passes on to the MD5 check.
    pub fn drop_reason(self, packet: &[u8], located: &IpSegment<'_>) -> Option<DropReason> {
        match self {
            Checksums::Skip => None,
            Checksums::Verify => checksum_drop(packet, located),
        }
    }
}

/// The kernel's checksum stage: IPv4 header first, then TCP.
pub fn checksum_drop(packet: &[u8], located: &IpSegment<'_>) -> Option<DropReason> {
    if matches!(located.addrs, AddrPair::V4 { .. }) && !ipv4_header_checksum_ok(packet) {
        return Some(DropReason::IpChecksum);
    }
    (!tcp_checksum_ok(&located.addrs, located.segment)).then_some(DropReason::TcpChecksum)
}

/// Whether the IPv4 header of `packet` sums to zero.
pub fn ipv4_header_checksum_ok(packet: &[u8]) -> bool {
    Ipv4Packet::new_checked(packet).is_ok_and(|ip| ip.verify_checksum())
}

/// Whether the TCP checksum of `segment` verifies over the pseudo-header of
/// `addrs`. As in the kernel's one's-complement sum, 0x0000 and 0xffff are
/// the same value.
pub fn tcp_checksum_ok(addrs: &AddrPair, segment: &[u8]) -> bool {
    let Ok(tcp) = TcpPacket::new_checked(segment) else {
        return false;
    };
    same_checksum(tcp_checksum(addrs, segment), tcp.checksum())
}

/// Whether a computed and a carried checksum agree: in one's complement
/// 0x0000 and 0xffff are the same value.
pub fn same_checksum(computed: u16, carried: u16) -> bool {
    computed == carried || (computed | carried == 0xffff && computed & carried == 0)
}

/// Whether the segment carries a partial checksum as left by TX checksum
/// offload (`CHECKSUM_PARTIAL`): the folded pseudo-header sum, not
/// complemented, which the NIC completes after the capture point.
pub fn is_partial_checksum(addrs: &AddrPair, segment: &[u8]) -> bool {
    let Ok(tcp) = TcpPacket::new_checked(segment) else {
        return false;
    };
    !finish(pseudo_header_sum(addrs, segment.len())) == tcp.checksum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{TcpFlags, TcpRepr, ip_packet};
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn packet(addrs: &AddrPair) -> Vec<u8> {
        let repr = TcpRepr {
            src_port: 179,
            dst_port: 4444,
            seq: 1,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 1024,
            urgent: 0,
            options: &[],
            payload: b"x",
        };
        repr.to_vec(addrs)
            .and_then(|seg| ip_packet(addrs, &seg))
            .unwrap_or_default()
    }

    fn pairs() -> [AddrPair; 2] {
        [
            AddrPair::V4 {
                src: Ipv4Addr::new(10, 0, 0, 2),
                dst: Ipv4Addr::new(10, 0, 0, 1),
            },
            AddrPair::V6 {
                src: Ipv6Addr::LOCALHOST,
                dst: Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1),
            },
        ]
    }

    fn stage(p: &[u8]) -> Option<Option<DropReason>> {
        let located = IpSegment::parse(p).ok()?;
        Some(Checksums::Verify.drop_reason(p, &located))
    }

    #[test]
    fn good_bad_and_skipped() {
        for addrs in pairs() {
            let good = packet(&addrs);
            assert_eq!(stage(&good), Some(None), "{addrs:?}");
            let tcp_at = IpSegment::parse(&good).map_or(0, |l| l.tcp_offset);
            let mut bad = good.clone();
            if let Some(b) = bad.get_mut(tcp_at + 16) {
                *b ^= 0x40;
            }
            assert_eq!(stage(&bad), Some(Some(DropReason::TcpChecksum)));
            let located = IpSegment::parse(&bad);
            assert_eq!(
                located.map(|l| Checksums::Skip.drop_reason(&bad, &l)),
                Ok(None)
            );
        }
        let mut bad_ip = packet(&pairs()[0]);
        if let Some(b) = bad_ip.get_mut(10) {
            *b ^= 1;
        }
        assert_eq!(stage(&bad_ip), Some(Some(DropReason::IpChecksum)));
    }

    #[test]
    fn zero_and_ffff_are_one_value() {
        let addrs = pairs()[0];
        let good = packet(&addrs);
        let Ok(located) = IpSegment::parse(&good) else {
            panic!("packet parses")
        };
        // Make the payload's last word the complement of the rest's sum:
        // the checksum is then 0x0000, which may be carried as 0xffff.
        let mut seg = located.segment.to_vec();
        seg.extend([0, 0, 0]);
        let sum = tcp_checksum(&addrs, &seg);
        let n = seg.len();
        if let Some(w) = seg.get_mut(n - 2..) {
            w.copy_from_slice(&sum.to_be_bytes());
        }
        assert_eq!(tcp_checksum(&addrs, &seg), 0);
        for carried in [0x0000u16, 0xffff] {
            if let Some(s) = seg.get_mut(16..18) {
                s.copy_from_slice(&carried.to_be_bytes());
            }
            assert!(tcp_checksum_ok(&addrs, &seg), "{carried:#x}");
        }
        if let Some(s) = seg.get_mut(16..18) {
            s.copy_from_slice(&[0x12, 0x34]);
        }
        assert!(!tcp_checksum_ok(&addrs, &seg));
    }

    #[test]
    fn partial_checksum_is_recognised() {
        let addrs = pairs()[1];
        let good = packet(&addrs);
        let Ok(located) = IpSegment::parse(&good) else {
            panic!("packet parses")
        };
        let mut seg = located.segment.to_vec();
        let partial = !finish(pseudo_header_sum(&addrs, seg.len()));
        if let Some(s) = seg.get_mut(16..18) {
            s.copy_from_slice(&partial.to_be_bytes());
        }
        assert!(is_partial_checksum(&addrs, &seg));
        assert!(!tcp_checksum_ok(&addrs, &seg));
    }
}
