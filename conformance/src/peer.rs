//! A minimal userspace TCP peer driven over the lab's raw channel.
//!
//! It tracks sequence and acknowledgement numbers, completes handshakes with
//! a kernel listener or a kernel `connect()`, sends data, FIN and RST
//! (signed with a key, unsigned, or signed and then corrupted) and verifies
//! every segment the kernel sends it with the reference library
//! ([`crate::judge::check_reply_signature`]: digest and `NOP NOP 19 18`).
//!
//! Every probe goes through [`crate::exchange::exchange`]: the probe, then
//! the keyless barrier SYN from the same pinned thread; once the barrier's
//! SYN-ACK is in, the probe has been processed. On an established
//! connection, [`Peer::certain_ack`] adds a certain answer on the connection
//! itself: a signed one-byte segment far below the receive window, which
//! the kernel must answer at once with a duplicate ACK (`tcp_send_dupack`;
//! a data-carrying segment is exempt from the out-of-window rate limit)
//! carrying its current `rcv_nxt`.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use tcpmd5::ao::Mkt;
use tcpmd5::wire::{IpSegment, SeqNumber, TcpFlags};
use tcpmd5::{AddrPair, Family, Key};
use tcpmd5_testkit::TcpSegmentSpec;

use crate::ao_peer::{AoPeerState, AoSign};
use crate::error::Error;
use crate::exchange::{BARRIER_TIMEOUT, Barrier, Observation, Reply, exchange, reply_from};
use crate::harness::Lab;
use crate::judge::{check_reply_signature, evidence};
use crate::record::Record;
use crate::segment::{
    AO_OPTION, MD5_PLACEHOLDER, MSS_OPTION, SegmentSpec, Signing, ao_placeholder,
};

/// Offset in the TCP segment of a digest byte of [`MD5_PLACEHOLDER`] placed
/// first in the option area (flipped by [`Auth::Corrupted`]).
const DIGEST_BYTE: usize = 20 + 4 + 5;
/// Offset in the TCP segment of the first MAC byte of an AO option placed
/// first in the option area (flipped by a corrupt [`AoSign`]).
const AO_MAC_BYTE: usize = 20 + 4;
/// How far below the receive window [`Peer::keepalive`] sends.
const KEEPALIVE_BACK: u32 = 0x0010_0000;

/// How a segment the peer sends is authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    /// No MD5 option.
    Unsigned,
    /// An MD5 option signed with the key.
    Signed(Key),
    /// Signed with the key, then one payload (or digest) bit flipped.
    Corrupted(Key),
    /// No MD5 option but a TCP-AO option (kind 29, 16 bytes, MAC garbage)
    /// followed by four NOPs, so the option area is at least 18 bytes.
    Ao,
    /// The AO option alone: a 16-byte area, shorter than the 18 bytes the
    /// kernel's scan needs, so the option is never seen.
    AoShort,
    /// Signed with the key, then a second MD5 option (zero digest): a
    /// duplicate, malformed for the >= 6.7 parser, ignored before 6.7.
    Duplicate(Key),
    /// A TCP-AO option (first in the option area) whose MAC the model
    /// fills for the connection's traffic key and SNE.
    AoMac(AoSign),
}

impl Auth {
    /// `Signed(key)` or `Unsigned`.
    pub(crate) fn with(key: Option<&Key>) -> Auth {
        key.map_or(Auth::Unsigned, |k| Auth::Signed(k.clone()))
    }

    /// A short name for reports.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Auth::Unsigned => "unsigned",
            Auth::Signed(_) => "signed",
            Auth::Corrupted(_) => "corrupted",
            Auth::Ao => "AO-only",
            Auth::AoShort => "AO-only (16-byte area)",
            Auth::Duplicate(_) => "signed + duplicate MD5 option",
            Auth::AoMac(s) if s.corrupt => "AO-signed, MAC bit flipped",
            Auth::AoMac(_) => "AO-signed",
        }
    }
}

/// The peer's end of one connection (addresses as the peer sends them).
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// Peer -> kernel.
    pub addrs: AddrPair,
    /// The peer's port.
    pub peer_port: u16,
    /// The kernel's port.
    pub kernel_port: u16,
    /// The peer's initial sequence number.
    pub isn: SeqNumber,
    /// Next sequence number the peer sends.
    pub snd_nxt: SeqNumber,
    /// Next sequence number expected from the kernel.
    pub rcv_nxt: SeqNumber,
    /// The key the kernel holds for the peer: every kernel segment must be
    /// signed with it (or unsigned when `None`).
    pub kernel_key: Option<Key>,
    /// What verifying every kernel segment found.
    pub record: Record,
    /// Kernel segments verified.
    pub verified: usize,
    /// The sequence number of a FIN the kernel may retransmit while a case
    /// runs (FIN-WAIT-1): such a retransmission is not a reply.
    pub kernel_fin_seq: Option<SeqNumber>,
    /// TCP-AO: the keys, ISNs and SNEs; when set, every kernel segment must
    /// be AO-signed and is verified by the model (`kernel_key` is unused).
    pub ao: Option<AoPeerState>,
}

impl Peer {
    /// A peer at the lab's default peer address of `family`.
    pub(crate) fn new(
        lab: &Lab,
        family: Family,
        peer_port: u16,
        kernel_port: u16,
        isn: impl Into<SeqNumber>,
        kernel_key: Option<Key>,
    ) -> Result<Peer, Error> {
        Peer::from_addr(
            lab,
            family,
            lab.peer_addr(family),
            peer_port,
            kernel_port,
            isn,
            kernel_key,
        )
    }

    /// A peer at `peer` (made reachable with [`Lab::add_peer`] if not the default).
    pub(crate) fn from_addr(
        lab: &Lab,
        family: Family,
        peer: IpAddr,
        peer_port: u16,
        kernel_port: u16,
        isn: impl Into<SeqNumber>,
        kernel_key: Option<Key>,
    ) -> Result<Peer, Error> {
        let isn = isn.into();
        let addrs = AddrPair::new(peer, lab.kernel_addr(family))
            .map_err(|_| Error::WrongFamily { addr: peer, family })?;
        Ok(Peer {
            addrs,
            peer_port,
            kernel_port,
            isn,
            snd_nxt: isn,
            rcv_nxt: SeqNumber(0),
            kernel_key,
            record: Record::new(),
            verified: 0,
            kernel_fin_seq: None,
            ao: None,
        })
    }

    /// The peer, signing with TCP-AO: `mkts` verify the kernel's segments,
    /// `sign` is the default signing.
    pub(crate) fn with_ao(mut self, mkts: Vec<Mkt>, sign: AoSign) -> Peer {
        self.ao = Some(AoPeerState::new(mkts, sign, self.isn.0));
        self
    }

    /// The default authentication: the AO signing when the peer has one,
    /// else the kernel's MD5 key (or none).
    pub(crate) fn default_auth(&self) -> Auth {
        match &self.ao {
            Some(ao) => Auth::AoMac(ao.sign.clone()),
            None => Auth::with(self.kernel_key.as_ref()),
        }
    }

    /// The kernel's socket address.
    pub(crate) fn kernel(&self) -> SocketAddr {
        SocketAddr::new(self.addrs.dst(), self.kernel_port)
    }

    /// The peer's socket address.
    pub(crate) fn peer(&self) -> SocketAddr {
        SocketAddr::new(self.addrs.src(), self.peer_port)
    }

    /// A segment with explicit numbers.
    pub(crate) fn segment(
        &self,
        flags: TcpFlags,
        seq: SeqNumber,
        ack: SeqNumber,
        payload: &[u8],
        auth: &Auth,
    ) -> SegmentSpec {
        let syn = flags.contains(TcpFlags::SYN);
        let mut options = Vec::new();
        let (signing, flips) = match auth {
            Auth::Unsigned => (Signing::None, vec![]),
            Auth::Ao => {
                options.extend(AO_OPTION);
                options.extend([1, 1, 1, 1]);
                (Signing::None, vec![])
            }
            Auth::AoShort => {
                options.extend(AO_OPTION);
                (Signing::None, vec![])
            }
            Auth::Signed(k) => {
                options.extend(MD5_PLACEHOLDER);
                (Signing::Key(k.clone()), vec![])
            }
            Auth::Duplicate(k) => {
                options.extend(MD5_PLACEHOLDER);
                options.extend(MD5_PLACEHOLDER);
                (Signing::Key(k.clone()), vec![])
            }
            Auth::AoMac(sign) => {
                options.extend(ao_placeholder(sign.mkt.send_id, sign.rnext));
                let signing = match &self.ao {
                    Some(ao) => ao.signing(
                        &self.addrs,
                        (self.peer_port, self.kernel_port),
                        self.isn.0,
                        (flags, seq.0),
                        sign,
                    ),
                    // A peer without AO state knows no ISN of the kernel.
                    None => AoPeerState::new(Vec::new(), sign.clone(), self.isn.0).signing(
                        &self.addrs,
                        (self.peer_port, self.kernel_port),
                        self.isn.0,
                        (flags, seq.0),
                        sign,
                    ),
                };
                let flips = if sign.corrupt {
                    vec![(AO_MAC_BYTE, 0)]
                } else {
                    vec![]
                };
                (signing, flips)
            }
            Auth::Corrupted(k) => {
                options.extend(MD5_PLACEHOLDER);
                // A payload bit when there is a payload, else a digest bit.
                let at = if payload.is_empty() {
                    DIGEST_BYTE
                } else {
                    20 + MD5_PLACEHOLDER.len() + if syn { MSS_OPTION.len() } else { 0 }
                };
                (Signing::Key(k.clone()), vec![(at, 2)])
            }
        };
        // At most 40 option bytes: no MSS after a duplicate.
        if syn && options.len() + MSS_OPTION.len() <= 40 {
            options.extend(MSS_OPTION);
        }
        SegmentSpec {
            tcp: TcpSegmentSpec {
                addrs: self.addrs,
                src_port: self.peer_port,
                dst_port: self.kernel_port,
                seq: seq.0,
                ack: ack.0,
                flags,
                window: 64240,
                urgent: 0,
                options,
                payload: payload.to_vec(),
            },
            signing,
            flips,
            checksum_fault: None,
        }
    }

    /// The peer's SYN (sequence `isn`).
    pub(crate) fn syn(&self, auth: &Auth) -> SegmentSpec {
        self.segment(TcpFlags::SYN, self.isn, SeqNumber(0), &[], auth)
    }

    /// A SYN-ACK answering the kernel's SYN (`rcv_nxt` must be set).
    pub(crate) fn syn_ack(&self, auth: &Auth) -> SegmentSpec {
        self.segment(
            TcpFlags::SYN | TcpFlags::ACK,
            self.isn,
            self.rcv_nxt,
            &[],
            auth,
        )
    }

    /// A pure ACK at `snd_nxt`.
    pub(crate) fn ack(&self, auth: &Auth) -> SegmentSpec {
        self.segment(TcpFlags::ACK, self.snd_nxt, self.rcv_nxt, &[], auth)
    }

    /// Data at `snd_nxt` (PSH ACK).
    pub(crate) fn data(&self, payload: &[u8], auth: &Auth) -> SegmentSpec {
        self.segment(
            TcpFlags::PSH | TcpFlags::ACK,
            self.snd_nxt,
            self.rcv_nxt,
            payload,
            auth,
        )
    }

    /// FIN ACK at `snd_nxt`.
    pub(crate) fn fin(&self, auth: &Auth) -> SegmentSpec {
        self.segment(
            TcpFlags::FIN | TcpFlags::ACK,
            self.snd_nxt,
            self.rcv_nxt,
            &[],
            auth,
        )
    }

    /// RST ACK at `snd_nxt + offset` (0: exactly `rcv_nxt` of the kernel, in
    /// window; a large offset: out of window).
    pub(crate) fn rst(&self, offset: u32, auth: &Auth) -> SegmentSpec {
        self.segment(
            TcpFlags::RST | TcpFlags::ACK,
            self.snd_nxt + offset,
            self.rcv_nxt,
            &[],
            auth,
        )
    }

    /// One byte far below the kernel's receive window, signed with the
    /// kernel's key for the peer: answered at once by a duplicate ACK.
    pub(crate) fn keepalive(&self) -> SegmentSpec {
        self.segment(
            TcpFlags::ACK,
            self.snd_nxt - KEEPALIVE_BACK,
            self.rcv_nxt,
            b"k",
            &self.default_auth(),
        )
    }

    /// Verifies every kernel segment of `obs` against `kernel_key`.
    pub(crate) fn verify(&mut self, replies: &[Reply]) {
        for r in replies {
            match self.ao.as_mut() {
                Some(ao) => ao.verify(r, self.isn.0, &mut self.record),
                None => check_reply_signature(r, self.kernel_key.as_ref(), &mut self.record),
            }
            self.verified += 1;
        }
    }

    /// Sends `probe` then the barrier; verifies every reply on the
    /// connection's 4-tuple.
    pub(crate) fn exchange(
        &mut self,
        lab: &mut Lab,
        barrier: &mut Barrier,
        probe: &SegmentSpec,
    ) -> Result<Observation, Error> {
        let obs = exchange(lab, barrier, probe)?;
        if !obs.barrier_seen {
            return Err(Error::BarrierLost {
                timeout_ms: BARRIER_TIMEOUT.as_millis(),
                evidence: evidence(&obs),
            });
        }
        self.verify(&obs.replies);
        Ok(obs)
    }

    /// The kernel's current `rcv_nxt` and `snd_nxt` for this connection, from
    /// its certain answer to [`Peer::keepalive`]; `None` when the connection
    /// does not exist any more (the answer is then an RST or nothing).
    pub(crate) fn certain_ack(
        &mut self,
        lab: &mut Lab,
        barrier: &mut Barrier,
    ) -> Result<(Option<Reply>, Observation), Error> {
        let probe = self.keepalive();
        let obs = self.exchange(lab, barrier, &probe)?;
        let ack = obs
            .replies
            .iter()
            .rev()
            .find(|r| r.flags == TcpFlags::ACK)
            .cloned();
        Ok((ack, obs))
    }

    /// Waits (bounded) for the next kernel segment on this 4-tuple whose
    /// flags satisfy `want`, and verifies it. For segments the kernel is
    /// certain to send (a SYN after `connect()`, a FIN after `shutdown()`).
    pub(crate) fn wait_for(
        &mut self,
        lab: &mut Lab,
        want: &dyn Fn(TcpFlags) -> bool,
    ) -> Result<Option<Reply>, Error> {
        let deadline = Instant::now() + BARRIER_TIMEOUT;
        let (kernel, peer) = (self.kernel(), self.peer());
        loop {
            let got = lab
                .recv_ip(deadline, &mut |ip| {
                    IpSegment::parse(ip).is_ok_and(|s| {
                        let t = s.tcp();
                        s.addrs.src() == kernel.ip()
                            && s.addrs.dst() == peer.ip()
                            && t.src_port() == kernel.port()
                            && t.dst_port() == peer.port()
                    })
                })
                .map_err(Error::harness("waiting for a kernel segment"))?;
            let Some(packet) = got else { return Ok(None) };
            let Some(reply) = reply_from(&packet) else {
                continue;
            };
            self.verify(std::slice::from_ref(&reply));
            if want(reply.flags) {
                return Ok(Some(reply));
            }
        }
    }

    /// Completes a handshake with a kernel listener holding `kernel_key`
    /// for the peer: SYN (signed with `auth`), the kernel's SYN-ACK, then the
    /// third ACK signed with `third`. Returns the observation of the third ACK.
    pub(crate) fn handshake(
        &mut self,
        lab: &mut Lab,
        barrier: &mut Barrier,
        auth: &Auth,
        third: &Auth,
    ) -> Result<Observation, Error> {
        self.syn_to_listener(lab, barrier, auth)?;
        let ack = self.ack(third);
        self.exchange(lab, barrier, &ack)
    }

    /// Sends the SYN and records the kernel's SYN-ACK.
    pub(crate) fn syn_to_listener(
        &mut self,
        lab: &mut Lab,
        barrier: &mut Barrier,
        auth: &Auth,
    ) -> Result<Reply, Error> {
        let syn = self.syn(auth);
        let obs = self.exchange(lab, barrier, &syn)?;
        let synack = obs
            .replies
            .iter()
            .find(|r| r.flags.contains(TcpFlags::SYN | TcpFlags::ACK) && r.ack == self.isn + 1)
            .cloned()
            .ok_or_else(|| {
                Error::NotSeen(format!(
                    "no SYN-ACK to the {} SYN ({})",
                    auth.name(),
                    evidence(&obs)
                ))
            })?;
        self.snd_nxt = self.isn + 1;
        if let Some(ao) = self.ao.as_mut() {
            ao.sent_up_to(self.snd_nxt.0);
        }
        self.rcv_nxt = synack.seq + 1;
        Ok(synack)
    }

    /// Records that `len` sequence numbers (data, or 1 for a FIN) were sent.
    pub(crate) fn sent(&mut self, len: usize) {
        self.snd_nxt = self.snd_nxt.add_len(len);
        if let Some(ao) = self.ao.as_mut() {
            ao.sent_up_to(self.snd_nxt.0);
        }
    }
}
