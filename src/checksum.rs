//! The checksum stage of the receive path, and where it sits.
//!
//! Linux checks the IPv4 header checksum in `ip_rcv_core`, before TCP sees
//! the packet. The TCP checksum is checked in two places, depending on the
//! segment's length (seen live on 6.18, both families,
//! `conformance/examples/checksum_order.rs`):
//!
//! - `tcp_v4_rcv` / `tcp_v6_rcv` call `skb_checksum_init` before the socket
//!   lookup; for a checksum the device did not verify, it sums a segment of
//!   at most [`CHECKSUM_BREAK`] bytes at once
//!   (`__skb_checksum_validate_complete`) and drops it there, before any
//!   MD5 logic;
//! - a longer segment's sum is left for `tcp_checksum_complete`, which runs
//!   only after `tcp_inbound_hash` passed it (in `tcp_v{4,6}_rcv` for a
//!   request socket, in `tcp_v{4,6}_do_rcv` and the functions it calls for
//!   listeners and full sockets). So a long segment with a bad checksum is
//!   dropped by the MD5 check when that fails (`TCP_MD5NOTFOUND`,
//!   `TCP_MD5FAILURE`, …; the checksum never counted), and for its
//!   checksum (`TCP_CSUM`) only when it passes.
//!
//! How the device delivered the checksum does not move the stage for a bad
//! one: a device that checked and failed it delivers `CHECKSUM_NONE`; a
//! `CHECKSUM_COMPLETE` sum that does not match is summed again on the same
//! two paths; `CHECKSUM_UNNECESSARY` (a device that verified it, or a
//! local sender) skips the TCP checksum altogether, which is
//! [`Checksums::Skip`]. TIME-WAIT sockets (`do_time_wait`) and closed ports
//! (`no_tcp_socket`) run `tcp_checksum_complete` before anything else, so
//! they drop a bad checksum of any length ([`Checksums::drop_reason`]).
//!
//! Captures taken on a sending host hold offloaded checksums (the NIC fills
//! them in after the capture point): [`Checksums::Skip`] models a receiver
//! of those segments as if their checksums were right.

use crate::AddrPair;
use crate::verdict::{DropReason, Verdict};
pub use crate::wire::checksum::same_checksum;
use crate::wire::checksum::{finish, pseudo_header_sum, tcp_checksum};
use crate::wire::{IpSegment, Ipv4Packet, TcpPacket};

/// The longest TCP segment (header and data, in bytes) whose checksum the
/// kernel verifies before the socket lookup when the device did not
/// (`CHECKSUM_BREAK` in `include/linux/skbuff.h`).
pub const CHECKSUM_BREAK: usize = 76;

/// Whether the verdict includes the checksum stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Checksums {
    /// Check them where the receiving kernel does (see the module's
    /// documentation): the IPv4 header and a short segment's TCP checksum
    /// first, a longer segment's after the authentication check.
    Verify,
    /// Take them as correct: captures with offloaded, partial checksums,
    /// or a device that verified them (`CHECKSUM_UNNECESSARY`).
    Skip,
}

impl Checksums {
    /// The drop before the socket lookup, or `None` when `packet` (whose
    /// TCP segment is `located`) goes on: a bad IPv4 header checksum
    /// (`ip_rcv_core`), or a bad TCP checksum in a segment of at most
    /// [`CHECKSUM_BREAK`] bytes (`skb_checksum_init`).
    //= linux/checksum-early
    pub fn before_lookup(self, packet: &[u8], located: &IpSegment<'_>) -> Option<DropReason> {
        match self {
            Checksums::Skip => None,
            Checksums::Verify if !ipv4_header_ok(packet, located) => Some(DropReason::IpChecksum),
            Checksums::Verify if located.segment.len() <= CHECKSUM_BREAK => {
                tcp_drop(&located.addrs, located.segment)
            }
            Checksums::Verify => None,
        }
    }

    /// The drop of a segment that passed the authentication check
    /// (`tcp_checksum_complete`): a bad TCP checksum in a segment longer
    /// than [`CHECKSUM_BREAK`] bytes, whose sum was left for then.
    //= linux/checksum-after-auth
    pub fn after_auth(self, located: &IpSegment<'_>) -> Option<DropReason> {
        match self {
            Checksums::Verify if located.segment.len() > CHECKSUM_BREAK => {
                tcp_drop(&located.addrs, located.segment)
            }
            Checksums::Verify | Checksums::Skip => None,
        }
    }

    /// `verdict`, the authentication check's, once the socket has summed
    /// the segment: only a segment the check passed reaches
    /// `tcp_checksum_complete`, so a bad checksum replaces an accept and
    /// nothing else.
    pub fn after_auth_verdict(self, located: &IpSegment<'_>, verdict: Verdict) -> Verdict {
        match self.after_auth(located) {
            Some(reason) if verdict.is_accept() => Verdict::Drop(reason),
            _ => verdict,
        }
    }

    /// The drop of a receiver that checks the whole checksum before
    /// anything else (a TIME-WAIT socket, a closed port): either stage's.
    pub fn drop_reason(self, packet: &[u8], located: &IpSegment<'_>) -> Option<DropReason> {
        self.before_lookup(packet, located)
            .or_else(|| self.after_auth(located))
    }
}

fn ipv4_header_ok(packet: &[u8], located: &IpSegment<'_>) -> bool {
    !matches!(located.addrs, AddrPair::V4 { .. }) || ipv4_header_checksum_ok(packet)
}

fn tcp_drop(addrs: &AddrPair, segment: &[u8]) -> Option<DropReason> {
    (!tcp_checksum_ok(addrs, segment)).then_some(DropReason::TcpChecksum)
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

/// Whether the segment carries a partial checksum as left by TX checksum
/// offload (`CHECKSUM_PARTIAL`): the folded pseudo-header sum, not
/// complemented, which the NIC completes after the capture point.
pub fn is_partial_checksum(addrs: &AddrPair, segment: &[u8]) -> bool {
    let Ok(tcp) = TcpPacket::new_checked(segment) else {
        return false;
    };
    is_partial_from(pseudo_header_sum(addrs, segment.len()), tcp.checksum())
}

/// [`is_partial_checksum`] given the segment's
/// [`pseudo_header_sum`](crate::wire::checksum::pseudo_header_sum) and the
/// checksum it carries.
#[inline]
pub fn is_partial_from(pseudo: u32, carried: u16) -> bool {
    !finish(pseudo) == carried
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{TcpFlags, TcpRepr, ip_packet};
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn packet(addrs: &AddrPair) -> Vec<u8> {
        packet_with(addrs, b"x")
    }

    /// A SYN from port 179 carrying `payload`, in its IP packet.
    fn packet_with(addrs: &AddrPair, payload: &[u8]) -> Vec<u8> {
        let repr = TcpRepr {
            src_port: 179,
            dst_port: 4444,
            seq: 1,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 1024,
            urgent: 0,
            options: &[],
            payload,
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

    // Each stage on its own side of CHECKSUM_BREAK: a bad checksum in a
    // 76-byte segment is the early stage's, in a 77-byte one the late
    // stage's, and neither stage reports the other's.
    //= type=test
    //= linux/checksum-early
    //= linux/checksum-after-auth
    #[test]
    fn each_stage_owns_its_side_of_the_break() {
        for addrs in pairs() {
            for len in [CHECKSUM_BREAK, CHECKSUM_BREAK + 1] {
                let mut p = packet_with(&addrs, &vec![7u8; len - 20]);
                let at = IpSegment::parse(&p).map_or(0, |l| l.tcp_offset + 16);
                if let Some(b) = p.get_mut(at) {
                    *b ^= 0x40;
                }
                let located = IpSegment::parse(&p).expect("parses");
                assert_eq!(located.segment.len(), len);
                let bad = Some(DropReason::TcpChecksum);
                let (early, late) = if len > CHECKSUM_BREAK {
                    (None, bad)
                } else {
                    (bad, None)
                };
                let v = Checksums::Verify;
                assert_eq!(v.before_lookup(&p, &located), early, "{addrs:?} {len}");
                assert_eq!(v.after_auth(&located), late, "{addrs:?} {len}");
                assert_eq!(Checksums::Skip.after_auth(&located), None);
            }
        }
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

    // Regression (found by the `receiver` fuzz target against its own
    // RFC 1071 model): a carried checksum that is the bitwise complement of
    // the right one was taken as right.
    #[test]
    fn the_complement_of_the_right_checksum_is_wrong() {
        for addrs in pairs() {
            let good = packet(&addrs);
            let Ok(located) = IpSegment::parse(&good) else {
                panic!("packet parses")
            };
            let mut seg = located.segment.to_vec();
            let right = tcp_checksum(&addrs, &seg);
            if let Some(s) = seg.get_mut(16..18) {
                s.copy_from_slice(&(!right).to_be_bytes());
            }
            assert!(
                !tcp_checksum_ok(&addrs, &seg),
                "{right:#x} carried as {:#x}",
                !right
            );
        }
        assert!(!same_checksum(0xf66c, 0x0993));
        assert!(same_checksum(0, 0xffff) && same_checksum(0xffff, 0));
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
        // A complete, right checksum is no partial one; nor is a header
        // too short to hold a checksum.
        assert!(!is_partial_checksum(&addrs, located.segment));
        assert!(!is_partial_checksum(&addrs, &seg[..19]));
        let pseudo = pseudo_header_sum(&addrs, seg.len());
        assert!(is_partial_from(pseudo, partial));
        assert!(!is_partial_from(pseudo, partial ^ 1));
    }
}
