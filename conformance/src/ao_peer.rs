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

    /// The kernel's ISN, known without its SYN (a repaired connection).
    pub(crate) fn set_remote_isn(&mut self, isn: u32) {
        self.remote_isn = Some(isn);
        self.recv_sne = Some(SneTracker::new(isn));
    }

    /// The SNE the next kernel segment at `seq` is verified with.
    pub(crate) fn recv_sne_of(&self, seq: u32) -> Option<u32> {
        self.recv_sne
            .as_ref()
            .map(|t| t.sne_of(seq).wrapping_add(self.recv_sne_shift))
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
        let verified = derive_traffic_key(mkt.algorithm, &mkt.secret, &ctx).and_then(|key| {
            verify_segment_mac(&key, &reply.addrs, &reply.segment, sne, mkt.coverage)
        });
        match verified {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::segment::{MSS_OPTION, SegmentSpec, ao_placeholder};
    use tcpmd5::ao::{
        Algorithm, AoSocket, AoSocketState, AoVerdict, MasterKey, MktTable, OptionCoverage,
        TrafficKeys, receive, sign_segment,
    };
    use tcpmd5::wire::SeqNumber;
    use tcpmd5::{AddrPair, DropReason};
    use tcpmd5_testkit::TcpSegmentSpec;

    const PEER_ISN: u32 = 0xffff_fff0;
    const KERNEL_ISN: u32 = 0x1234_5678;

    fn addrs() -> AddrPair {
        AddrPair::new("10.99.0.2".parse().unwrap(), "10.99.0.1".parse().unwrap()).unwrap()
    }

    fn kernel_mkt(coverage: OptionCoverage) -> Mkt {
        Mkt {
            coverage,
            ..Mkt::new(
                addrs().src(),
                10,
                20,
                Algorithm::AesCmac,
                MasterKey::new(b"tcpmd5-ao-conformance").unwrap(),
            )
        }
    }

    /// The peer's mirror of the kernel's key.
    fn peer_mkt(coverage: OptionCoverage) -> Mkt {
        Mkt {
            peer: addrs().dst(),
            send_id: 20,
            recv_id: 10,
            ..kernel_mkt(coverage)
        }
    }

    fn state(coverage: OptionCoverage) -> AoPeerState {
        let sign = AoSign {
            mkt: peer_mkt(coverage),
            rnext: 10,
            corrupt: false,
        };
        AoPeerState::new(vec![peer_mkt(coverage)], sign, PEER_ISN)
    }

    fn peer_segment(
        st: &AoPeerState,
        flags: TcpFlags,
        seq: u32,
        ack: u32,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut options = ao_placeholder(20, 10).to_vec();
        if flags.contains(TcpFlags::SYN) {
            options.extend(MSS_OPTION);
        }
        let signing = st.signing(&addrs(), (40000, 179), PEER_ISN, (flags, seq), &st.sign);
        SegmentSpec {
            signing,
            ..SegmentSpec::plain(TcpSegmentSpec {
                addrs: addrs(),
                src_port: 40000,
                dst_port: 179,
                seq,
                ack,
                flags,
                window: 64240,
                urgent: 0,
                options,
                payload: payload.to_vec(),
            })
        }
        .segment()
    }

    fn kernel_table(coverage: OptionCoverage) -> MktTable {
        let mut t = MktTable::new();
        t.add(kernel_mkt(coverage));
        t
    }

    // What the peer signs, the model's receive decision accepts: a SYN at
    // a listener, data across the peer's wrap with SNE 1 at the
    // established socket; the same data with SNE 0 assumed is a failure.
    #[test]
    fn what_the_peer_signs_the_model_accepts() {
        for coverage in [OptionCoverage::Included, OptionCoverage::Excluded] {
            let mut st = state(coverage);
            st.remote_isn = Some(KERNEL_ISN);
            let table = kernel_table(coverage);
            let at = |s: AoSocketState| AoSocket {
                mkts: Some(&table),
                md5_key: false,
                state: s,
                l3index: 0,
            };
            let syn = peer_segment(&st, TcpFlags::SYN, PEER_ISN, 0, &[]);
            let v = receive(&at(AoSocketState::Listen), &addrs(), &syn).unwrap();
            assert_eq!(v.verdict, AoVerdict::Signed { key_id: 20 });
            st.sent_up_to(PEER_ISN.wrapping_add(1 + 0x20));
            let seq = 0x11; // after the wrap
            let data = peer_segment(
                &st,
                TcpFlags::ACK | TcpFlags::PSH,
                seq,
                KERNEL_ISN + 1,
                b"x",
            );
            let established = |rcv_sne| AoSocketState::Established {
                local_isn: KERNEL_ISN,
                remote_isn: PEER_ISN,
                rcv_nxt: seq,
                rcv_sne,
                current_send_id: 10,
            };
            let ok = receive(&at(established(1)), &addrs(), &data).unwrap();
            assert_eq!(ok.verdict, AoVerdict::Signed { key_id: 20 });
            let bad = receive(&at(established(0)), &addrs(), &data).unwrap();
            assert_eq!(bad.verdict, AoVerdict::Drop(DropReason::AoFailure));
        }
    }

    fn reply(segment: Vec<u8>) -> Reply {
        let r = addrs().reversed();
        let flags = TcpFlags(u16::from_be_bytes([segment[12], segment[13]]) & 0x0fff);
        let seq = SeqNumber(u32::from_be_bytes(segment[4..8].try_into().unwrap()));
        let ack = SeqNumber(u32::from_be_bytes(segment[8..12].try_into().unwrap()));
        Reply {
            packet: crate::segment::ip_packet(&r, &segment),
            addrs: r,
            segment,
            flags,
            ack,
            seq,
        }
    }

    /// A segment the kernel would send, signed by the model with its send key.
    fn kernel_segment(flags: TcpFlags, seq: u32, ack: u32, sne: u32, flip: bool) -> Vec<u8> {
        let back = addrs().reversed();
        let spec = SegmentSpec::plain(TcpSegmentSpec {
            addrs: back,
            src_port: 179,
            dst_port: 40000,
            seq,
            ack,
            flags,
            window: 64240,
            urgent: 0,
            options: ao_placeholder(10, 20).to_vec(),
            payload: Vec::new(),
        });
        let mut seg = spec.segment();
        let mkt = kernel_mkt(OptionCoverage::Included);
        let ends = tcpmd5::ao::Endpoints {
            addrs: back,
            local_port: 179,
            remote_port: 40000,
        };
        let keys =
            TrafficKeys::derive(mkt.algorithm, &mkt.secret, &ends, KERNEL_ISN, PEER_ISN).unwrap();
        sign_segment(&keys.send_other, &back, &mut seg, sne, mkt.coverage).unwrap();
        if flip {
            seg[24] ^= 1;
        }
        tcpmd5::sign::refresh_checksum(&back, &mut seg);
        seg
    }

    // The kernel's SYN-ACK teaches the peer its ISN; its later segments
    // verify at their SNE; a flipped MAC bit, a wrong SNE, an unsigned
    // segment are problems.
    #[test]
    fn kernel_segments_are_verified_by_the_model() {
        let mut st = state(OptionCoverage::Included);
        let mut rec = Record::new();
        let synack = kernel_segment(
            TcpFlags::SYN | TcpFlags::ACK,
            KERNEL_ISN,
            PEER_ISN + 1,
            0,
            false,
        );
        st.verify(&reply(synack), PEER_ISN, &mut rec);
        assert!(rec.problems().is_empty(), "{:?}", rec.problems());
        assert_eq!(st.remote_isn, Some(KERNEL_ISN));
        assert_eq!(st.last_kernel_ids, Some((10, 20)));
        let ack = kernel_segment(TcpFlags::ACK, KERNEL_ISN + 1, 0x11, 0, false);
        st.verify(&reply(ack), PEER_ISN, &mut rec);
        assert!(rec.problems().is_empty(), "{:?}", rec.problems());
        let flipped = kernel_segment(TcpFlags::ACK, KERNEL_ISN + 1, 0x11, 0, true);
        st.verify(&reply(flipped), PEER_ISN, &mut rec);
        assert_eq!(rec.problems().len(), 1);
        st.shift_recv_sne(3);
        let at_zero = kernel_segment(TcpFlags::ACK, KERNEL_ISN + 1, 0x11, 0, false);
        st.verify(&reply(at_zero), PEER_ISN, &mut rec);
        assert_eq!(rec.problems().len(), 2);
        let at_three = kernel_segment(TcpFlags::ACK, KERNEL_ISN + 1, 0x11, 3, false);
        st.verify(&reply(at_three), PEER_ISN, &mut rec);
        assert_eq!(rec.problems().len(), 2);
        let mut unsigned = kernel_segment(TcpFlags::ACK, KERNEL_ISN + 1, 0x11, 0, false);
        unsigned[20..36].copy_from_slice(&[1; 16]);
        tcpmd5::sign::refresh_checksum(&addrs().reversed(), &mut unsigned);
        st.verify(&reply(unsigned.clone()), PEER_ISN, &mut rec);
        assert_eq!(rec.problems().len(), 3);
        // Unless the model says the kernel answers unsigned.
        st.unsigned_expected = true;
        st.verify(&reply(unsigned), PEER_ISN, &mut rec);
        assert_eq!(rec.problems().len(), 3);
    }
}
