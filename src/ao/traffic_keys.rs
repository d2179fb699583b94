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
