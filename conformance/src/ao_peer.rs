//! The userspace peer's end of a TCP-AO connection: the MKTs it holds (its
//! SendID is the kernel's RecvID and the other way round), the ISNs of the
//! handshake it observes, the SNE of each direction, and the model doing
//! every MAC: [`tcpmd5::ao::sign_segment`] for what the peer sends,
//! [`tcpmd5::ao::verify_segment_mac`] for every segment the kernel sends.
//! The suite never computes a MAC itself.

use tcpmd5::AddrPair;
use tcpmd5::ao::{
    AoError, FlowIsns, KdfContext, Mkt, SegmentAo, SneTracker, derive_traffic_key, segment_context,
    verify_segment_mac,
};
use tcpmd5::checksum::tcp_checksum_ok;
use tcpmd5::wire::TcpFlags;

use crate::exchange::Reply;
use crate::record::Record;
use crate::segment::Signing;
use crate::words;

/// How the peer signs one segment with TCP-AO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AoSign {
    /// The MKT (as the peer holds it): the segment's KeyID is its SendID.
    pub mkt: Mkt,
    /// The RNextKeyID the segment carries: the KeyID the peer asks the
    /// kernel to sign with.
    pub rnext: u8,
    /// Flip a MAC bit after signing.
    pub corrupt: bool,
}

/// The peer's TCP-AO state on one connection.
#[derive(Debug, Clone)]
pub(crate) struct AoPeerState {
    /// The MKTs that verify the kernel's segments (by RecvID).
    pub mkts: Vec<Mkt>,
    /// How the peer signs by default (and its certain-answer probes).
    pub sign: AoSign,
    /// The SNE of the peer's own direction.
    send_sne: SneTracker,
    /// The kernel's ISN, from its SYN-ACK or SYN.
    pub remote_isn: Option<u32>,
    /// The SNE of the kernel's direction, once its ISN is known.
    recv_sne: Option<SneTracker>,
    /// Added to the kernel direction's SNE: the kernel's send SNE was moved
    /// by `TCP_AO_REPAIR`.
    recv_sne_shift: u32,
    /// KeyID and RNextKeyID of the last kernel segment that verified.
    pub last_kernel_ids: Option<(u8, u8)>,
    /// The model says the kernel's next segments are unsigned (a TIME-WAIT
    /// socket answering an unsigned segment: `tcpmd5::ao::timewait_ack`).
    pub unsigned_expected: bool,
}

impl AoPeerState {
    /// A peer with ISN `local_isn` holding `mkts`, signing with `sign`.
    pub(crate) fn new(mkts: Vec<Mkt>, sign: AoSign, local_isn: u32) -> AoPeerState {
        AoPeerState {
            mkts,
            sign,
            send_sne: SneTracker::new(local_isn),
            remote_isn: None,
            recv_sne: None,
            recv_sne_shift: 0,
            last_kernel_ids: None,
            unsigned_expected: false,
        }
    }

    /// Records that the peer has sent up to `snd_nxt` (the SNE of its
    /// direction counts the wraps).
    pub(crate) fn sent_up_to(&mut self, snd_nxt: u32) {
        self.send_sne.accept(snd_nxt);
    }

    /// The kernel's send SNE was moved on by `by` (`TCP_AO_REPAIR`): its
    /// segments are verified with an SNE that much higher.
    pub(crate) fn shift_recv_sne(&mut self, by: u32) {
        self.recv_sne_shift = self.recv_sne_shift.wrapping_add(by);
    }

    /// The SNE of the peer's direction now and its reference sequence number.
    pub(crate) fn send_sne(&self) -> (u32, u32) {
        self.send_sne.state()
    }

    /// The signing of a segment with `flags` and sequence number `seq`
    /// from `addrs.src()`:`ports.0` (the peer, ISN `local_isn`) under
    /// `sign`. A SYN's traffic key has the kernel's ISN as 0 (RFC 5925
    /// §5.2); any other needs the kernel's.
    pub(crate) fn signing(
        &self,
        addrs: &AddrPair,
        ports: (u16, u16),
        local_isn: u32,
        (flags, seq): (TcpFlags, u32),
        sign: &AoSign,
    ) -> Signing {
        let syn = flags.contains(TcpFlags::SYN) && !flags.contains(TcpFlags::ACK);
        // Before the kernel's ISN is seen only a SYN can be signed; a
        // later segment without it is keyed with 0, and the kernel drops it.
        let remote = if syn { 0 } else { self.remote_isn.unwrap_or(0) };
        let ctx = KdfContext::new(addrs, ports.0, ports.1, local_isn, remote);
        let key = derive_traffic_key(sign.mkt.algorithm, &sign.mkt.secret, &ctx);
        let sne = if flags.contains(TcpFlags::SYN) {
            0
        } else {
            self.send_sne.sne_of(seq)
        };
        Signing::Ao {
            key,
            sne,
            coverage: sign.mkt.coverage,
        }
    }

    /// Verifies one kernel segment with the model: an AO option whose
    /// KeyID is the RecvID of a key the peer holds, and the MAC of the
    /// receive traffic key at the segment's SNE. `local_isn` is the peer's.
    pub(crate) fn verify(&mut self, reply: &Reply, local_isn: u32, rec: &mut Record) {
        let what = words::flags(reply.flags);
        if !tcp_checksum_ok(&reply.addrs, &reply.segment) {
            rec.problem(format!("the kernel's {what} has a wrong TCP checksum"));
        }
        if self.unsigned_expected {
            match SegmentAo::find(&reply.segment) {
                Err(AoError::NoAoOption) if !words::is_signed(reply) => rec.note(format!(
                    "the kernel's {what} is unsigned, as the model says"
                )),
                _ => rec.problem(format!(
                    "the kernel's {what} is signed, the model says unsigned"
                )),
            }
            return;
        }
        let ao = match SegmentAo::find(&reply.segment) {
            Ok(ao) => ao,
            Err(e) => {
                rec.problem(format!(
                    "the kernel's {what} is not TCP-AO signed, the keys say it must be: {e}"
                ));
                return;
            }
        };
        let (key_id, rnext) = (ao.option.key_id(), ao.option.rnext_key_id());
        let Some(mkt) = self.mkts.iter().find(|k| k.recv_id == key_id) else {
            rec.problem(format!(
                "the kernel's {what} carries KeyID {key_id}, the RecvID of no key the peer holds"
            ));
            return;
        };
        let seq = reply.seq.0;
        if reply.flags.contains(TcpFlags::SYN) {
            self.remote_isn = Some(seq);
            self.recv_sne = Some(SneTracker::new(seq));
        }
        let Some(remote_isn) = self.remote_isn else {
            rec.problem(format!(
                "the kernel's {what} came before its ISN was seen: cannot verify"
            ));
            return;
        };
        let isns = FlowIsns {
            src_isn: remote_isn,
            dst_isn: local_isn,
        };
        let Some(ctx) = segment_context(&reply.addrs, &reply.segment, Some(isns)) else {
            rec.problem(format!("the kernel's {what} has no readable header"));
            return;
        };
        let sne = match (&self.recv_sne, reply.flags.contains(TcpFlags::SYN)) {
            (Some(t), false) => t.sne_of(seq).wrapping_add(self.recv_sne_shift),
            _ => 0,
        };
        let key = derive_traffic_key(mkt.algorithm, &mkt.secret, &ctx);
        match verify_segment_mac(&key, &reply.addrs, &reply.segment, sne, mkt.coverage) {
            Ok(true) => {
                if let Some(t) = self.recv_sne.as_mut() {
                    t.accept(seq);
                }
                self.last_kernel_ids = Some((key_id, rnext));
                rec.note(format!(
                    "the kernel's {what} (KeyID {key_id}, RNextKeyID {rnext}, SNE {sne}) verified by the model"
                ));
            }
            Ok(false) => rec.problem(format!(
                "the kernel's {what} (KeyID {key_id}, SNE {sne}, seq {seq:#x}) does not verify with the model's {} traffic key",
                mkt.algorithm
            )),
            Err(e) => rec.problem(format!("the kernel's {what} cannot be verified: {e}")),
        }
    }
}
