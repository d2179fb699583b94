//! The receive decision on a segment at a socket with TCP-AO keys, as
//! Linux makes it (`tcp_inbound_hash`, `tcp_inbound_ao_hash`,
//! `tcp_ao_verify_hash`), with the counter and tracepoints it leaves.
//!
//! In order:
//! 1. The option area is read as [`crate::Semantics::Linux`] with AO does:
//!    malformed, two options, or MD5 and AO together drop as `TCP_AUTH_HDR`.
//! 2. A request socket drops a segment whose use of AO differs from the
//!    SYN's (`TCPAOBad`, `tcp_ao_handshake_failure`).
//! 3. An unsigned segment is dropped as `TCP_AONOTFOUND` when an MKT of any
//!    KeyID covers the peer or AO is required (`TCPAORequired`); else as
//!    `TCP_MD5NOTFOUND` when an MD5 key does; else accepted.
//! 4. An MD5-signed segment goes to the MD5 check ([`crate::verdict`]).
//! 5. An AO-signed one: no AO keys on the socket at all is
//!    `TCP_AOUNEXPECTED`; no MKT whose `rcvid` is the KeyID is
//!    `TCP_AOKEYNOTFOUND`; a MAC length other than the MKT's or a wrong MAC
//!    is `TCP_AOFAILURE` (`TCPAOBad`); else `TCPAOGood`. An established
//!    socket then switches its current key to the MKT whose `sndid` is the
//!    segment's RNextKeyID, if it has one (`tcp_ao_rnext_request`).
//!    A closed socket drops it as `TCP_CLOSE`; a listener, one that is
//!    neither SYN nor ACK as `TCP_FLAGS` (no ISNs to key it with).
//!
//! Which ISNs key the MAC depends on the socket's state (see
//! [`AoSocketState`]); the SNE is 0 until the connection is established.

use core::net::IpAddr;

use crate::AddrPair;
use crate::verdict::{Acceptance, DropReason, Verdict};
use crate::wire::tcp::TcpFlags;

use super::error::AoError;
use super::kdf::{KdfContext, derive_traffic_key};
use super::mac::mac_of;
use super::mac_input::{SegmentAo, header_len};
use super::mkt::{Mkt, MktTable};
use super::option::{AoLocation, locate};
use super::sne::segment_sne;

/// Where the segment arrives, as far as the AO check cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AoSocketState {
    /// A listener, no request socket yet.
    Listen,
    /// A request socket (`TCP_NEW_SYN_RECV`) made by a SYN.
    Request {
        /// Whether the SYN was signed with AO (`tcp_rsk_used_ao`).
        used_ao: bool,
        /// The peer's ISN.
        remote_isn: u32,
        /// The ISN of the SYN-ACK sent.
        local_isn: u32,
    },
    /// `SYN_SENT` or `SYN_RECV`: the MAC is keyed with the peer's ISN
    /// (the segment's own sequence number on a SYN or RST) and this end's.
    Handshake {
        /// This end's ISN.
        local_isn: u32,
        /// The peer's ISN, once known.
        remote_isn: u32,
    },
    /// Established (and the states after it that check AO): the receive
    /// SNE and key rotation. The MKT is found by the KeyID among all the
    /// socket's keys (Linux looks at its RNext key first: the same key).
    Established {
        /// This end's ISN.
        local_isn: u32,
        /// The peer's ISN.
        remote_isn: u32,
        /// The next sequence number expected (the SNE's reference).
        rcv_nxt: u32,
        /// The SNE of `rcv_nxt`.
        rcv_sne: u32,
        /// `sndid` of the current key (the one this end signs with).
        current_send_id: u8,
    },
    /// A closed socket.
    Closed,
}

/// The socket the segment reaches.
#[derive(Debug, Clone, Copy)]
pub struct AoSocket<'a> {
    /// Its MKTs; `None` when AO was never configured (no `tcp_ao_info`).
    pub mkts: Option<&'a MktTable>,
    /// Whether an MD5 key covers the peer.
    pub md5_key: bool,
    /// Its state.
    pub state: AoSocketState,
    /// The L3 domain the segment arrived in (0 outside a VRF).
    pub l3index: i32,
}

/// What the receiver does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AoVerdict {
    /// Accepted: AO-verified with the MKT whose `rcvid` is `key_id`.
    Signed {
        /// The KeyID the segment carried.
        key_id: u8,
    },
    /// Accepted unsigned: no key covers the peer.
    Unsigned,
    /// Dropped: for an authentication reason, or for one of the two
    /// others the AO path gives ([`DropReason::TcpFlags`]: neither SYN nor
    /// ACK at a listener; [`DropReason::TcpClose`]).
    Drop(DropReason),
    /// MD5-signed: the MD5 check decides.
    Md5,
}

impl AoVerdict {
    /// The verdict in the crate's model, where it has one.
    pub fn verdict(self) -> Option<Verdict> {
        match self {
            AoVerdict::Signed { .. } => Some(Verdict::Accept(Acceptance::Signed)),
            AoVerdict::Unsigned => Some(Verdict::Accept(Acceptance::Unsigned)),
            AoVerdict::Drop(r) => Some(Verdict::Drop(r)),
            AoVerdict::Md5 => None,
        }
    }
}

/// The decision and its witnesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AoOutcome {
    /// Accept or drop.
    pub verdict: AoVerdict,
    /// The `TcpExt` counter incremented (`TCPAOGood` on a verified one).
    pub counter: Option<&'static str>,
    /// The `tcp:` tracepoint fired by the drop.
    pub tracepoint: Option<&'static str>,
    /// On an established socket: the peer's RNextKeyID differs from the
    /// current key's `sndid` (`tcp_ao_rnext_request` fires), and the
    /// `sndid` switched to, if an MKT has it.
    pub rnext_request: Option<RnextRequest>,
}

/// A key rotation the peer asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RnextRequest {
    /// The RNextKeyID the segment carried.
    pub requested: u8,
    /// Whether a key with that `sndid` exists and became current.
    pub switched: bool,
}

impl AoOutcome {
    fn drop(reason: DropReason) -> AoOutcome {
        AoOutcome {
            verdict: AoVerdict::Drop(reason),
            counter: reason.counter(),
            tracepoint: reason.tracepoint(),
            rnext_request: None,
        }
    }

    fn plain(verdict: AoVerdict) -> AoOutcome {
        AoOutcome {
            verdict,
            counter: None,
            tracepoint: None,
            rnext_request: None,
        }
    }
}

/// The decision on `segment` (TCP header onwards) from `addrs.src()`
/// arriving at `socket`. `Err` for a segment whose header cannot be read at
/// all (the kernel drops it before any of this), or as
/// [`derive_traffic_key`] (never for the modelled algorithms).
pub fn receive(
    socket: &AoSocket<'_>,
    addrs: &AddrPair,
    segment: &[u8],
) -> Result<AoOutcome, AoError> {
    let hl = header_len(segment)?;
    let area = segment.get(20..hl).unwrap_or(&[]);
    let Ok(location) = locate(area) else {
        return Ok(AoOutcome::drop(DropReason::AuthHeader));
    };
    let ao = match location {
        AoLocation::Ao { .. } => Some(SegmentAo::find(segment)?),
        _ => None,
    };
    if let AoSocketState::Request { used_ao, .. } = socket.state
        && used_ao != ao.is_some()
    {
        return Ok(AoOutcome {
            tracepoint: Some("tcp_ao_handshake_failure"),
            ..AoOutcome::drop(DropReason::AoFailure)
        });
    }
    let peer = addrs.src();
    match (location, ao) {
        (AoLocation::Ao { .. }, Some(ao)) => signed(socket, addrs, segment, &ao),
        (AoLocation::Md5 { .. }, _) => Ok(AoOutcome::plain(AoVerdict::Md5)),
        _ => Ok(unsigned(socket, peer)),
    }
}

fn unsigned(socket: &AoSocket<'_>, peer: IpAddr) -> AoOutcome {
    let ao_required = socket
        .mkts
        .is_some_and(|t| t.required || t.lookup(peer, socket.l3index, None, None).is_some());
    if ao_required {
        AoOutcome::drop(DropReason::AoNotFound)
    } else if socket.md5_key {
        AoOutcome::drop(DropReason::Md5NotFound)
    } else {
        AoOutcome::plain(AoVerdict::Unsigned)
    }
}

fn signed(
    socket: &AoSocket<'_>,
    addrs: &AddrPair,
    segment: &[u8],
    ao: &SegmentAo<'_>,
) -> Result<AoOutcome, AoError> {
    let Some(mkts) = socket.mkts else {
        return Ok(AoOutcome::drop(DropReason::AoUnexpected));
    };
    let fields = Fields::of(segment);
    let key_id = ao.option.key_id();
    let syn_only = fields.flags.contains(TcpFlags::SYN) && !fields.flags.contains(TcpFlags::ACK);
    let not_found = || Ok(AoOutcome::drop(DropReason::AoKeyNotFound));
    let established_key = |send_id: Option<u8>, recv_id: Option<u8>| {
        mkts.keys().iter().find(|k| {
            send_id.is_none_or(|i| i == k.send_id) && recv_id.is_none_or(|i| i == k.recv_id)
        })
    };
    let (key, src_isn, dst_isn, sne) = match socket.state {
        AoSocketState::Established {
            local_isn,
            remote_isn,
            rcv_nxt,
            rcv_sne,
            current_send_id,
            ..
        } => {
            let Some(key) = established_key(None, Some(key_id)) else {
                return not_found();
            };
            let (si, di, sne) = if syn_only {
                (fields.seq, 0, 0)
            } else {
                (
                    remote_isn,
                    local_isn,
                    segment_sne(rcv_sne, rcv_nxt, fields.seq),
                )
            };
            let mut outcome = verify(key, addrs, segment, ao, si, di, sne)?;
            let rnext = ao.option.rnext_key_id();
            if outcome.verdict == (AoVerdict::Signed { key_id }) && rnext != current_send_id {
                outcome.rnext_request = Some(RnextRequest {
                    requested: rnext,
                    switched: established_key(Some(rnext), None).is_some(),
                });
            }
            return Ok(outcome);
        }
        AoSocketState::Closed => {
            return Ok(AoOutcome::drop(DropReason::TcpClose));
        }
        _ => {
            let Some(key) = mkts.lookup(addrs.src(), socket.l3index, None, Some(key_id)) else {
                return not_found();
            };
            if syn_only {
                (key, fields.seq, 0, 0)
            } else {
                match socket.state {
                    AoSocketState::Request {
                        remote_isn,
                        local_isn,
                        ..
                    } => (
                        key,
                        remote_isn,
                        local_isn,
                        segment_sne(0, remote_isn, fields.seq),
                    ),
                    AoSocketState::Handshake {
                        local_isn,
                        remote_isn,
                    } => {
                        let own = fields.flags.contains(TcpFlags::SYN)
                            || fields.flags.contains(TcpFlags::RST);
                        (key, if own { fields.seq } else { remote_isn }, local_isn, 0)
                    }
                    _ if fields.flags.contains(TcpFlags::ACK)
                        && !fields.flags.contains(TcpFlags::SYN) =>
                    {
                        // A listener without a request socket: a syncookie ACK.
                        let si = fields.seq.wrapping_sub(1);
                        (
                            key,
                            si,
                            fields.ack.wrapping_sub(1),
                            segment_sne(0, si, fields.seq),
                        )
                    }
                    _ if !fields.flags.contains(TcpFlags::SYN) => {
                        return Ok(AoOutcome::drop(DropReason::TcpFlags));
                    }
                    // A SYN-ACK at a listener: keyed as a SYN.
                    _ => (key, fields.seq, 0, 0),
                }
            }
        }
    };
    verify(key, addrs, segment, ao, src_isn, dst_isn, sne)
}

fn verify(
    key: &Mkt,
    addrs: &AddrPair,
    segment: &[u8],
    ao: &SegmentAo<'_>,
    src_isn: u32,
    dst_isn: u32,
    sne: u32,
) -> Result<AoOutcome, AoError> {
    if ao.option.mac().len() != usize::from(key.mac_len) {
        return Ok(AoOutcome {
            tracepoint: Some("tcp_ao_wrong_maclen"),
            ..AoOutcome::drop(DropReason::AoFailure)
        });
    }
    let fields = Fields::of(segment);
    let ctx = KdfContext::new(addrs, fields.sport, fields.dport, src_isn, dst_isn);
    let traffic_key = derive_traffic_key(key.algorithm, &key.secret, &ctx)?;
    let mac = match mac_of(&traffic_key, addrs, segment, ao, sne, key.coverage) {
        Ok(mac) => mac,
        // A MAC length beyond the algorithm's: no key could have it.
        Err(AoError::MacTooLong { .. }) => return Ok(AoOutcome::drop(DropReason::AoFailure)),
        Err(e) => return Err(e),
    };
    if !mac.matches(ao.option.mac()) {
        return Ok(AoOutcome::drop(DropReason::AoFailure));
    }
    Ok(AoOutcome {
        counter: Some("TCPAOGood"),
        ..AoOutcome::plain(AoVerdict::Signed {
            key_id: ao.option.key_id(),
        })
    })
}

/// The header fields the decision reads.
#[derive(Debug, Clone, Copy)]
struct Fields {
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
}

impl Fields {
    fn of(segment: &[u8]) -> Fields {
        let b = |i: usize| segment.get(i).copied().unwrap_or(0);
        let be16 = |i| u16::from_be_bytes([b(i), b(i + 1)]);
        let be32 = |i| u32::from_be_bytes([b(i), b(i + 1), b(i + 2), b(i + 3)]);
        Fields {
            sport: be16(0),
            dport: be16(2),
            seq: be32(4),
            ack: be32(8),
            flags: TcpFlags(be16(12) & 0x0fff),
        }
    }
}

#[cfg(test)]
#[path = "receive_tests.rs"]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
