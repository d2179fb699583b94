//! The ISNs of the connections in a capture, read off their SYN and
//! SYN-ACK: what a TCP-AO traffic key needs (RFC 5925 §5.2). A connection
//! whose handshake was not captured has none, and nothing is guessed.

use std::collections::HashMap;
use std::net::IpAddr;

use tcpmd5::AddrPair;
use tcpmd5::ao::FlowIsns;
use tcpmd5::wire::{TcpFlags, TcpPacket};

/// One end: address and port.
type End = (IpAddr, u16);

/// ISNs by connection end.
#[derive(Debug, Default, Clone)]
pub struct IsnBook {
    isns: HashMap<(End, End), u32>,
}

impl IsnBook {
    /// Records the ISNs a segment from `addrs.src()` shows: a SYN its
    /// sender's (a new ISN is a new connection: the other end's is
    /// forgotten), a
    /// SYN-ACK its sender's, only if it answers the SYN recorded (its ACK
    /// less one is that SYN's ISN): a stray or stale SYN-ACK never pairs
    /// with another connection's SYN.
    pub fn learn(&mut self, addrs: &AddrPair, segment: &[u8]) {
        if segment.len() < 20 {
            return;
        }
        let tcp = TcpPacket::new_unchecked(segment);
        let flags = tcp.flags();
        if !flags.contains(TcpFlags::SYN) {
            return;
        }
        let src = (addrs.src(), tcp.src_port());
        let dst = (addrs.dst(), tcp.dst_port());
        if flags.contains(TcpFlags::ACK) {
            if self.isns.get(&(dst, src)) != Some(&tcp.ack_number().wrapping_sub(1)) {
                return;
            }
        } else if self.isns.get(&(src, dst)) != Some(&tcp.seq_number()) {
            // Not a retransmission: a new connection.
            self.isns.remove(&(dst, src));
        }
        self.isns.insert((src, dst), tcp.seq_number());
    }

    /// The ISNs of the connection of a segment from `addrs.src()`:`sport`,
    /// if both were seen.
    pub fn isns(&self, addrs: &AddrPair, sport: u16, dport: u16) -> Option<FlowIsns> {
        let src = (addrs.src(), sport);
        let dst = (addrs.dst(), dport);
        Some(FlowIsns {
            src_isn: *self.isns.get(&(src, dst))?,
            dst_isn: *self.isns.get(&(dst, src))?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn seg(sport: u16, dport: u16, seq: u32, ack: u32, flags: u16) -> Vec<u8> {
        let mut s = vec![0u8; 20];
        s[0..2].copy_from_slice(&sport.to_be_bytes());
        s[2..4].copy_from_slice(&dport.to_be_bytes());
        s[4..8].copy_from_slice(&seq.to_be_bytes());
        s[8..12].copy_from_slice(&ack.to_be_bytes());
        s[12..14].copy_from_slice(&(0x5000 | flags).to_be_bytes());
        s
    }

    /// 10.0.0.1 to 10.0.0.2, and back.
    fn both_ways() -> (AddrPair, AddrPair) {
        let a = AddrPair::new(
            Ipv4Addr::new(10, 0, 0, 1).into(),
            Ipv4Addr::new(10, 0, 0, 2).into(),
        )
        .unwrap();
        (a, a.reversed())
    }

    #[test]
    fn learns_from_the_handshake_only() {
        let (a, b) = both_ways();
        let mut book = IsnBook::default();
        book.learn(&a, &seg(5000, 179, 100, 0, 0x002));
        assert_eq!(book.isns(&a, 5000, 179), None);
        book.learn(&a, &seg(5000, 179, 101, 7, 0x010));
        assert_eq!(book.isns(&a, 5000, 179), None);
        book.learn(&b, &seg(179, 5000, 900, 101, 0x012));
        assert_eq!(
            book.isns(&a, 5000, 179),
            Some(FlowIsns {
                src_isn: 100,
                dst_isn: 900
            })
        );
        assert_eq!(
            book.isns(&b, 179, 5000),
            Some(FlowIsns {
                src_isn: 900,
                dst_isn: 100
            })
        );
        assert_eq!(book.isns(&a, 5001, 179), None);
    }

    #[test]
    fn pairs_a_syn_ack_only_with_the_syn_it_answers() {
        let (a, b) = both_ways();
        let mut book = IsnBook::default();
        // A SYN-ACK with no SYN captured: nothing is guessed.
        book.learn(&b, &seg(179, 5000, 900, 101, 0x012));
        assert_eq!(book.isns(&a, 5000, 179), None);
        // A SYN-ACK answering another SYN is ignored.
        book.learn(&a, &seg(5000, 179, 100, 0, 0x002));
        book.learn(&b, &seg(179, 5000, 900, 555, 0x012));
        assert_eq!(book.isns(&a, 5000, 179), None);
        book.learn(&b, &seg(179, 5000, 901, 101, 0x012));
        let first = FlowIsns {
            src_isn: 100,
            dst_isn: 901,
        };
        assert_eq!(book.isns(&a, 5000, 179), Some(first));
        // The SYN retransmitted: the same connection.
        book.learn(&a, &seg(5000, 179, 100, 0, 0x002));
        assert_eq!(book.isns(&a, 5000, 179), Some(first));
        // A new connection on the same 4-tuple: its SYN forgets the old
        // answer, a stale SYN-ACK of the old one does not pair with it.
        book.learn(&a, &seg(5000, 179, 7000, 0, 0x002));
        assert_eq!(book.isns(&a, 5000, 179), None);
        book.learn(&b, &seg(179, 5000, 901, 101, 0x012));
        assert_eq!(book.isns(&a, 5000, 179), None);
        book.learn(&b, &seg(179, 5000, 3000, 7001, 0x012));
        assert_eq!(
            book.isns(&a, 5000, 179),
            Some(FlowIsns {
                src_isn: 7000,
                dst_isn: 3000
            })
        );
    }
}
