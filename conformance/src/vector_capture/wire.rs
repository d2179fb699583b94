//! The peer's end of a scenario and where the scenario is.

use std::collections::{BTreeSet, VecDeque};

use tcpmd5::Family;
use tcpmd5::wire::tcp::TcpFlags;
use tcpmd5_testkit::vector_keys::VectorKey;

use super::error::CaptureError;
use super::sink::Sink;
use crate::exchange::payload_len;
use crate::exchange::{Barrier, Reply};
use crate::harness::Lab;
use crate::peer::{Auth, Peer};
use crate::segment::SegmentSpec;

/// The peer's end of one scenario: a [`Peer`] driven over the lab with the
/// barrier, which verifies every kernel segment it sees with the reference
/// library; [`Wire::recv`] hands out each new kernel segment once
/// (retransmissions are skipped).
pub(super) struct Wire<'a> {
    pub(super) lab: &'a mut Lab,
    pub(super) barrier: &'a mut Barrier,
    pub(super) peer: Peer,
    /// The peer's authentication: signed with the scenario's key.
    pub(super) signed: Auth,
    /// Kernel segments that came back during the last exchange.
    pub(super) pending: VecDeque<Reply>,
    pub(super) seen: BTreeSet<(u32, u32, u16, usize)>,
}

impl<'a> Wire<'a> {
    pub(super) fn new(lab: &'a mut Lab, barrier: &'a mut Barrier, peer: Peer) -> Wire<'a> {
        let signed = Auth::with(peer.kernel_key.as_ref());
        Wire {
            lab,
            barrier,
            peer,
            signed,
            pending: VecDeque::new(),
            seen: BTreeSet::new(),
        }
    }

    /// Sends `probe` (then the barrier); keeps the kernel's replies.
    pub(super) fn send(&mut self, probe: &SegmentSpec) -> Result<(), CaptureError> {
        let obs = self
            .peer
            .exchange(self.lab, self.barrier, probe)
            .map_err(CaptureError::Peer)?;
        self.pending.extend(obs.replies);
        Ok(())
    }

    /// The next new kernel segment whose flags satisfy `want`, or `None`
    /// when none comes in time.
    pub(super) fn recv(
        &mut self,
        want: &dyn Fn(TcpFlags) -> bool,
    ) -> Result<Option<Reply>, CaptureError> {
        while let Some(r) = self.pending.pop_front() {
            if want(r.flags) && self.fresh(&r) {
                return Ok(Some(r));
            }
        }
        loop {
            let got = self
                .peer
                .wait_for(self.lab, want)
                .map_err(CaptureError::Peer)?;
            match got {
                None => return Ok(None),
                Some(r) if self.fresh(&r) => return Ok(Some(r)),
                Some(_) => {}
            }
        }
    }

    pub(super) fn fresh(&mut self, r: &Reply) -> bool {
        self.seen
            .insert((r.seq.0, r.ack.0, r.flags.0, payload_len(r)))
    }

    /// Records the data segments of one write of `size` bytes.
    pub(super) fn data(
        &mut self,
        sink: &mut Sink,
        at: &mut Step<'_>,
        size: usize,
        comment: &str,
    ) -> Result<bool, CaptureError> {
        let mut got = 0;
        while got < size {
            let want = |f: TcpFlags| f.contains(TcpFlags::ACK) && !f.contains(TcpFlags::FIN);
            let Some(d) = self.recv(&want)? else {
                sink.summary.missing.push(at.tag(&format!("data {size}")));
                return Ok(false);
            };
            let len = payload_len(&d);
            if len == 0 {
                continue;
            }
            got += len;
            self.peer.rcv_nxt = d.seq.add_len(len);
            at.push(sink, "data", comment, &d.packet);
        }
        let ack = self.peer.ack(&self.signed);
        self.send(&ack)?;
        Ok(true)
    }

    /// Reports the kernel segments the peer could not verify.
    pub(super) fn report(&self, sink: &mut Sink, tag: &str) {
        sink.summary.peer_verified += self.peer.verified;
        sink.summary.disagreements.extend(
            self.peer
                .record
                .problems()
                .iter()
                .map(|p| format!("{tag}: peer verification: {p}")),
        );
    }
}

/// Where a scenario is: family, role, key and the next step number.
pub(super) struct Step<'k> {
    pub(super) family: Family,
    pub(super) role: &'static str,
    pub(super) key: &'k VectorKey,
    pub(super) n: usize,
}

impl Step<'_> {
    pub(super) fn tag(&self, what: &str) -> String {
        format!("{}/{}/{}/{what}", self.family, self.role, self.key.name)
    }

    pub(super) fn push(&mut self, sink: &mut Sink, segment: &str, comment: &str, packet: &[u8]) {
        sink.push(
            self.family,
            self.role,
            self.key,
            self.n,
            segment,
            comment,
            packet,
        );
        self.n += 1;
    }
}
