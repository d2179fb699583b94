//! The four traffic keys of a connection (RFC 5925 §5.2), and the key of
//! one segment seen on the wire.
//!
//! Each direction has a key for its SYN (the other side's ISN is not known
//! yet, so it counts as 0) and one for everything else (both ISNs). A
//! SYN-ACK is signed with the "other" key: by then both ISNs are known.

use crate::AddrPair;
use crate::wire::tcp::{HEADER_LEN, TcpFlags};

use super::algorithm::Algorithm;
use super::error::AoError;
use super::kdf::{KdfContext, TrafficKey, derive_traffic_key};
use super::master_key::MasterKey;

/// One end of a connection as it sees it: `addrs.src()` is the local
/// address, `addrs.dst()` the peer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    /// Local (src) and remote (dst) address.
    pub addrs: AddrPair,
    /// The local port.
    pub local_port: u16,
    /// The remote port.
    pub remote_port: u16,
}

/// The traffic keys of one MKT on one connection, from one end's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficKeys {
    /// Signs the SYN this end sends (its ISN, 0).
    pub send_syn: TrafficKey,
    /// Checks the SYN the peer sends (the peer's ISN, 0).
    pub receive_syn: TrafficKey,
    /// Signs everything else this end sends, SYN-ACK included.
    pub send_other: TrafficKey,
    /// Checks everything else the peer sends, SYN-ACK included.
    pub receive_other: TrafficKey,
}

impl TrafficKeys {
    /// The keys of `ends` with this end's ISN `local_isn` and the peer's
    /// `remote_isn` (`Err` as [`derive_traffic_key`]: never for the
    /// modelled algorithms).
    pub fn derive(
        alg: Algorithm,
        master: &MasterKey,
        ends: &Endpoints,
        local_isn: u32,
        remote_isn: u32,
    ) -> Result<TrafficKeys, AoError> {
        let out = &ends.addrs;
        let back = ends.addrs.reversed();
        let (l, r) = (ends.local_port, ends.remote_port);
        let key = |addrs: &AddrPair, sp, dp, si, di| {
            derive_traffic_key(alg, master, &KdfContext::new(addrs, sp, dp, si, di))
        };
        Ok(TrafficKeys {
            send_syn: key(out, l, r, local_isn, 0)?,
            receive_syn: key(&back, r, l, remote_isn, 0)?,
            send_other: key(out, l, r, local_isn, remote_isn)?,
            receive_other: key(&back, r, l, remote_isn, local_isn)?,
        })
    }
}

/// The ISNs of a flow, by direction: `src_isn` of the side that sent the
/// segment at hand, `dst_isn` of the side receiving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowIsns {
    /// The sender's ISN.
    pub src_isn: u32,
    /// The receiver's ISN.
    pub dst_isn: u32,
}

/// The KDF context of `segment` (a TCP header onwards) sent from
/// `addrs.src()`, as a receiver computes it: a SYN without ACK carries its
/// own ISN and the other one is 0; a SYN-ACK carries both (its sequence
/// number, and its acknowledgement less one); any other segment needs the
/// flow's ISNs, and `None` is returned without them (never a guess).
pub fn segment_context(
    addrs: &AddrPair,
    segment: &[u8],
    isns: Option<FlowIsns>,
) -> Option<KdfContext> {
    let header = segment.get(..HEADER_LEN)?;
    let be16 = |i: usize| Some(u16::from_be_bytes([*header.get(i)?, *header.get(i + 1)?]));
    let be32 = |i: usize| {
        Some(u32::from_be_bytes([
            *header.get(i)?,
            *header.get(i + 1)?,
            *header.get(i + 2)?,
            *header.get(i + 3)?,
        ]))
    };
    let (sport, dport, seq, ack) = (be16(0)?, be16(2)?, be32(4)?, be32(8)?);
    let flags = TcpFlags(be16(12)? & 0x0fff);
    let (src_isn, dst_isn) = if flags.contains(TcpFlags::SYN) && !flags.contains(TcpFlags::ACK) {
        (seq, 0)
    } else if flags.contains(TcpFlags::SYN) {
        (seq, ack.wrapping_sub(1))
    } else {
        let isns = isns?;
        (isns.src_isn, isns.dst_isn)
    };
    Some(KdfContext::new(addrs, sport, dport, src_isn, dst_isn))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use core::net::Ipv4Addr;

    use super::*;

    fn addrs() -> AddrPair {
        AddrPair::new(
            Ipv4Addr::new(10, 0, 0, 2).into(),
            Ipv4Addr::new(10, 0, 0, 1).into(),
        )
        .unwrap()
    }

    fn header(flags: u16, seq: u32, ack: u32) -> Vec<u8> {
        let mut s = vec![0u8; 20];
        s[0..2].copy_from_slice(&5000u16.to_be_bytes());
        s[2..4].copy_from_slice(&179u16.to_be_bytes());
        s[4..8].copy_from_slice(&seq.to_be_bytes());
        s[8..12].copy_from_slice(&ack.to_be_bytes());
        s[12..14].copy_from_slice(&((5u16 << 12) | flags).to_be_bytes());
        s
    }

    // RFC 5925 §5.2: a SYN's context has its own ISN and 0, a SYN-ACK's its
    // own and the ISN it acknowledges, every other segment's (an RST
    // without ACK included) the flow's ISNs, which a receiver cannot read
    // off the segment.
    #[test]
    fn contexts_by_flags() {
        let isns = FlowIsns {
            src_isn: 0x1111_1111,
            dst_isn: 0x2222_2222,
        };
        let ctx = |f, seq, ack, isns| segment_context(&addrs(), &header(f, seq, ack), isns);
        let want = |si, di| Some(KdfContext::new(&addrs(), 5000, 179, si, di));
        let (syn, ack, rst, psh) = (TcpFlags::SYN.0, TcpFlags::ACK.0, TcpFlags::RST.0, 0x08);
        assert_eq!(ctx(syn, 7, 99, None), want(7, 0));
        assert_eq!(ctx(syn, 7, 99, Some(isns)), want(7, 0));
        assert_eq!(ctx(syn | ack, 7, 99, None), want(7, 98));
        assert_eq!(ctx(syn | ack, 7, 0, None), want(7, u32::MAX));
        for flags in [ack, rst, rst | ack, psh | ack, 0] {
            assert_eq!(ctx(flags, 7, 99, None), None, "{flags:#x}");
            assert_eq!(
                ctx(flags, 7, 99, Some(isns)),
                want(0x1111_1111, 0x2222_2222),
                "{flags:#x}"
            );
        }
        // The reserved bits and the data offset are no flags.
        assert_eq!(ctx(0xf000 | ack, 7, 99, None), None);
        assert_eq!(
            segment_context(&addrs(), &header(syn, 7, 0)[..19], None),
            None
        );
    }

    #[test]
    fn the_four_keys_of_one_end() {
        let master = MasterKey::new(b"secret").unwrap();
        let ends = Endpoints {
            addrs: addrs(),
            local_port: 5000,
            remote_port: 179,
        };
        let keys = TrafficKeys::derive(Algorithm::HmacSha1, &master, &ends, 7, 9).unwrap();
        let back = addrs().reversed();
        let one = |a: &AddrPair, sp, dp, si, di| {
            derive_traffic_key(
                Algorithm::HmacSha1,
                &master,
                &KdfContext::new(a, sp, dp, si, di),
            )
            .unwrap()
        };
        assert_eq!(keys.send_syn, one(&addrs(), 5000, 179, 7, 0));
        assert_eq!(keys.receive_syn, one(&back, 179, 5000, 9, 0));
        assert_eq!(keys.send_other, one(&addrs(), 5000, 179, 7, 9));
        assert_eq!(keys.receive_other, one(&back, 179, 5000, 9, 7));
        assert!(!format!("{keys:?}").contains("0x"));
    }
}
