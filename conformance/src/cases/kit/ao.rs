//! The TCP-AO kit: a listener holding MKTs (and MD5 keys) with the model
//! of each, a connection the AO-signing peer establishes, the model's
//! decision on a probe ([`tcpmd5::ao::receive`] with the socket's state and
//! MKTs), and the witnesses that hold the kernel to it: the `TcpExt`
//! counters (`TCPAOGood` for a verified segment, the drop's counter
//! otherwise), the `tcp_ao_*`/`tcp_hash_*` drop tracepoints, and the
//! socket's own `TCP_AO_INFO` counters.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::os::fd::AsFd;

use tcpmd5::AddrPair;
use tcpmd5::ao::{
    Algorithm, AoOutcome, AoSocket, AoSocketState, AoVerdict, KdfContext, MasterKey, Mkt, MktTable,
    derive_traffic_key, receive,
};
use tcpmd5::verdict::VerdictId;
use tcpmd5::wire::{SeqNumber, TcpFlags};
use tcpmd5::{DropReason, Family};

use super::common::LISTEN_PORT;
use super::conn::{KernelConn, Step, isn};
use crate::ao_peer::AoSign;
use crate::case::Ctx;
use crate::error::Error;
use crate::exchange::{Observation, Reply};
use crate::harness::ao_sockopt::{self, AoAddKey, AoInfo, AoKeySelector, AoSocketCounters};
use crate::judge::evidence;
use crate::listener::Listener;
use crate::outcome::Behaviour;
use crate::peer::{Auth, Peer};
use crate::record::{Record, Role};
use crate::segment::SegmentSpec;
use crate::words;

/// A listener with TCP-AO keys: the kernel socket (and its MD5 model) and
/// the model of its MKTs.
#[derive(Debug)]
pub(in crate::cases) struct AoListener {
    /// The socket and its MD5 key model.
    pub listener: Listener,
    /// The model of its MKTs (`None` until the first is added).
    pub mkts: Option<MktTable>,
}

impl AoListener {
    /// A listener on the kernel's address of `family`, without keys.
    pub(in crate::cases) fn open(ctx: &Ctx<'_>, family: Family) -> Result<AoListener, Error> {
        Ok(AoListener {
            listener: Listener::open(&ctx.lab, family, LISTEN_PORT, false)?,
            mkts: None,
        })
    }

    /// Adds `mkt` to the kernel socket and the model.
    pub(in crate::cases) fn add(&mut self, mkt: &Mkt) -> Result<(), Error> {
        ao_sockopt::add_key(self.listener.as_fd(), &AoAddKey::for_mkt(mkt)).map_err(
            Error::errno(format!(
                "TCP_AO_ADD_KEY {}/{} ids {}/{}",
                mkt.peer, mkt.prefix, mkt.send_id, mkt.recv_id
            )),
        )?;
        self.mkts.get_or_insert_with(MktTable::new).add(mkt.clone());
        Ok(())
    }

    /// Sets `TCP_AO_INFO`'s `ao_required` on the socket and the model.
    pub(in crate::cases) fn require_ao(&mut self) -> Result<(), Error> {
        let info = AoInfo {
            ao_required: true,
            ..AoInfo::default()
        };
        ao_sockopt::set_info(self.listener.as_fd(), &info)
            .map_err(Error::errno("TCP_AO_INFO ao_required"))?;
        self.mkts.get_or_insert_with(MktTable::new).required = true;
        Ok(())
    }

    /// The listener's `TCP_AO_INFO`.
    pub(in crate::cases) fn info(&self) -> Result<AoInfo, Error> {
        ao_sockopt::get_info(self.listener.as_fd())
            .map_err(Error::ao_sockopt("TCP_AO_INFO of the listener"))
    }

    /// The socket the model sees for `peer` in `state`.
    pub(in crate::cases) fn socket(&self, peer: IpAddr, state: AoSocketState) -> AoSocket<'_> {
        AoSocket {
            mkts: self.mkts.as_ref(),
            md5_key: self.listener.key_for(peer).is_some(),
            state,
            l3index: 0,
        }
    }

    /// The MKTs a connection accepted from `peer` inherits
    /// (`tcp_ao_copy_all_matching`): the listener's keys that cover the
    /// peer, each linked at the head of the new list, so in reverse order;
    /// `ao_required` is copied.
    pub(in crate::cases) fn child_mkts(&self, peer: IpAddr) -> Option<MktTable> {
        let parent = self.mkts.as_ref()?;
        let mut child = MktTable::new();
        for k in parent.keys().iter().filter(|k| k.covers(peer, 0)) {
            child.add(k.clone());
        }
        child.required = parent.required;
        (!child.keys().is_empty()).then_some(child)
    }
}

/// An accepted AO connection: the kernel socket, the model of its MKTs,
/// and the ISNs.
#[derive(Debug)]
pub(in crate::cases) struct AoConn {
    /// The socket.
    pub conn: KernelConn,
    /// The model of its MKTs.
    pub mkts: MktTable,
    /// The kernel's ISN.
    pub kernel_isn: u32,
}

impl AoConn {
    /// The socket's `TCP_AO_INFO`.
    pub(in crate::cases) fn info(&self) -> Result<AoInfo, Error> {
        ao_sockopt::get_info(self.conn.sock.as_fd())
            .map_err(Error::ao_sockopt("TCP_AO_INFO of the accepted socket"))
    }

    /// Requires `TCP_AO_GET_KEYS` to list the model's MKTs, in its order
    /// (newest first), each with its peer, prefix, KeyIDs, MAC length,
    /// flags and secret, and the current key marked as `TCP_AO_INFO` says.
    pub(in crate::cases) fn check_listed_keys(&self, rec: &mut Record) -> Result<(), Error> {
        let want = self.mkts.keys();
        let max = u32::try_from(want.len() + 1).unwrap_or(u32::MAX);
        let (matched, listed) =
            ao_sockopt::get_keys(self.conn.sock.as_fd(), &AoKeySelector::All, max)
                .map_err(Error::ao_sockopt("TCP_AO_GET_KEYS of the accepted socket"))?;
        let current = self.info()?.current_key;
        rec.check(
            matched as usize == want.len() && listed.len() == want.len(),
            format!(
                "TCP_AO_GET_KEYS lists {matched} keys, the model has {}",
                want.len()
            ),
        );
        for (got, mkt) in listed.iter().zip(want) {
            let add = AoAddKey::for_mkt(mkt);
            let same = (got.peer, got.prefix, got.send_id, got.recv_id)
                == (add.peer, add.prefix, add.send_id, add.recv_id)
                && (got.mac_len, got.keyflags) == (add.mac_len, add.keyflags)
                && same_master_key(mkt, &got.secret)
                && got.is_current == (current == Some(got.send_id));
            rec.check(
                same,
                format!(
                    "TCP_AO_GET_KEYS lists {}/{} ids {}/{} maclen {} flags {:#x} current {} ({:?}), the model {}/{} ids {}/{} maclen {} flags {:#x}",
                    got.peer,
                    got.prefix,
                    got.send_id,
                    got.recv_id,
                    got.mac_len,
                    got.keyflags,
                    got.is_current,
                    got.secret,
                    add.peer,
                    add.prefix,
                    add.send_id,
                    add.recv_id,
                    add.mac_len,
                    add.keyflags
                ),
            );
        }
        rec.note(format!(
            "TCP_AO_GET_KEYS: {} keys as the model holds them ({})",
            listed.len(),
            listed
                .iter()
                .map(|k| format!("{}/{} {}", k.send_id, k.recv_id, k.alg_name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(())
    }

    /// The model's view of the established socket, for segments from
    /// `peer`: the receive SNE is that of the peer's `snd_nxt` (the
    /// kernel's `rcv_nxt` once every segment was accepted), and the current
    /// key the one `TCP_AO_INFO` reports.
    pub(in crate::cases) fn socket(&self, peer: &Peer, current_send_id: u8) -> AoSocket<'_> {
        let rcv_sne = peer.ao.as_ref().map_or(0, |ao| {
            let (sne, at) = ao.send_sne();
            tcpmd5::ao::segment_sne(sne, at, peer.snd_nxt.0)
        });
        AoSocket {
            mkts: Some(&self.mkts),
            md5_key: false,
            state: AoSocketState::Established {
                local_isn: self.kernel_isn,
                remote_isn: peer.isn.0,
                rcv_nxt: peer.snd_nxt.0,
                rcv_sne,
                current_send_id,
            },
            l3index: 0,
        }
    }
}

/// Whether `listed` is the master key of `mkt` as the kernel keeps it:
/// the same bytes, or, for AES-128-CMAC with a key of other than 16 bytes,
/// the 16-byte key the KDF shortens it to (RFC 5926 §3.1.2), which Linux
/// stores at `TCP_AO_ADD_KEY` and lists instead (measured: a 21-byte key
/// reads back as 16 bytes). The shortened key is recognised by the traffic
/// key it derives, which must be the original's.
fn same_master_key(mkt: &Mkt, listed: &MasterKey) -> bool {
    if *listed == mkt.secret {
        return true;
    }
    let shortened = mkt.algorithm == Algorithm::AesCmac
        && mkt.secret.as_bytes().len() != 16
        && listed.as_bytes().len() == 16;
    let Ok(addrs) = AddrPair::new(mkt.peer, mkt.peer) else {
        return false;
    };
    let ctx = KdfContext::new(&addrs, 179, 179, 1, 2);
    shortened
        && derive_traffic_key(mkt.algorithm, listed, &ctx)
            == derive_traffic_key(mkt.algorithm, &mkt.secret, &ctx)
}

/// The peer's MKTs mirrored from the kernel's for it: the peer sends with
/// the kernel's RecvID and receives with its SendID.
pub(in crate::cases) fn mirrored(kernel: &[Mkt], peer: IpAddr, kernel_addr: IpAddr) -> Vec<Mkt> {
    kernel
        .iter()
        .filter(|k| k.covers(peer, 0))
        .map(|k| Mkt {
            peer: kernel_addr,
            prefix: if kernel_addr.is_ipv4() { 32 } else { 128 },
            send_id: k.recv_id,
            recv_id: k.send_id,
            ..k.clone()
        })
        .collect()
}

/// The AO signing with the peer's key whose SendID is `key_id`, asking for
/// `rnext`.
pub(in crate::cases) fn ao_auth(peer: &Peer, key_id: u8, rnext: u8) -> Result<Auth, Error> {
    let mkt = peer
        .ao
        .as_ref()
        .and_then(|ao| ao.mkts.iter().find(|k| k.send_id == key_id))
        .cloned()
        .ok_or_else(|| Error::Unmodelled(format!("the peer holds no key with SendID {key_id}")))?;
    Ok(Auth::AoMac(AoSign {
        mkt,
        rnext,
        corrupt: false,
    }))
}

/// The model's decision on `probe` at `socket`.
pub(in crate::cases) fn predict(
    socket: &AoSocket<'_>,
    probe: &SegmentSpec,
) -> Result<AoOutcome, Error> {
    receive(socket, &probe.tcp.addrs, &probe.segment())
        .map_err(|e| Error::Unmodelled(format!("the model cannot read the probe: {e}")))
}

/// The verdict id of the model's decision, where it has one.
fn expected_behaviour(outcome: &AoOutcome) -> Behaviour {
    match outcome.verdict.verdict() {
        Some(v) => Behaviour::Verdict(v.id()),
        None => Behaviour::Words(format!("{:?}", outcome.verdict)),
    }
}

/// The counters the model says move, by exactly one each.
fn expected_counters(outcome: &AoOutcome) -> BTreeMap<String, i64> {
    outcome
        .counter
        .iter()
        .map(|c| ((*c).to_owned(), 1))
        .collect()
}

/// What the witnesses show.
fn observed_behaviour(obs: &Observation, expected: &Behaviour) -> Behaviour {
    let moved: Vec<(&String, &i64)> = obs.auth_counters.iter().filter(|(_, v)| **v != 0).collect();
    let trace_clean = obs.trace.as_ref().is_none_or(Vec::is_empty);
    match moved.as_slice() {
        [(name, 1)] if name.as_str() == "TCPAOGood" && trace_clean => {
            Behaviour::Verdict(VerdictId::Accept)
        }
        [(name, 1)] => match DropReason::of_counter_at(name, true) {
            Some(r) => Behaviour::Verdict(VerdictId::Drop(r)),
            None => Behaviour::Words(format!("{name} +1")),
        },
        [] => match obs.trace.as_deref() {
            Some([]) => Behaviour::Verdict(VerdictId::Accept),
            Some([one]) => match DropReason::of_tracepoint_at(one, true) {
                Some(r) => Behaviour::Verdict(VerdictId::Drop(r)),
                None => Behaviour::Words(words::tracepoints(&[one])),
            },
            // No tracefs: an unsigned acceptance moves no counter; the
            // step's effect decides.
            None if *expected == Behaviour::Verdict(VerdictId::Accept) => {
                Behaviour::Inferred(VerdictId::Accept)
            }
            _ => Behaviour::Words(evidence(obs)),
        },
        several => Behaviour::Words(words::counter_pairs(several)),
    }
}

/// Records the model's `outcome` for a probe against the observation:
/// exactly the model's counter moved by one (`TCPAOGood` for a verified
/// segment), exactly its tracepoint fired, and a dropped segment drew no
/// reply. A retransmission of the kernel's FIN is not a reply.
pub(in crate::cases) fn record_outcome(
    rec: &mut Record,
    peer: &Peer,
    step: Step<'_>,
    obs: &Observation,
    outcome: &AoOutcome,
) {
    let mut found = Record::new();
    let want = expected_counters(outcome);
    let got: BTreeMap<String, i64> = obs
        .auth_counters
        .iter()
        .filter(|(_, v)| **v != 0)
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    found.check(
        got == want,
        format!(
            "counters {}, the model says {}",
            words::counters(&got),
            words::counters(&want)
        ),
    );
    if let Some(events) = &obs.trace {
        let want: Vec<&str> = outcome.tracepoint.into_iter().collect();
        found.check(
            events.iter().map(String::as_str).eq(want.iter().copied()),
            format!(
                "tracepoints {}, the model says {}",
                words::tracepoints(events),
                words::tracepoints(&want)
            ),
        );
    }
    let retransmit =
        |r: &&Reply| r.flags.contains(TcpFlags::FIN) && Some(r.seq) == peer.kernel_fin_seq;
    let replies = obs.replies.iter().filter(|r| !retransmit(r)).count();
    let accepted = matches!(
        outcome.verdict,
        AoVerdict::Signed { .. } | AoVerdict::Unsigned | AoVerdict::Md5
    );
    if !accepted && replies > 0 {
        found.problem(format!("{replies} replies to a segment the model drops"));
    }
    let expected = expected_behaviour(outcome);
    let observed = observed_behaviour(obs, &expected);
    found.note(format!(
        "model {:?} ({}), kernel {}; {}",
        outcome.verdict,
        words::counters(&want),
        observed_words(&observed),
        evidence(obs)
    ));
    rec.absorb_step(step.name, &found);
    if step.role == Role::Probe {
        rec.step(expected, observed);
    }
}

fn observed_words(b: &Behaviour) -> String {
    match b {
        Behaviour::Verdict(v) | Behaviour::Inferred(v) => v.to_string(),
        Behaviour::Words(w) => w.clone(),
    }
}

/// Predicts `probe` at `socket`, sends it, records the outcome.
pub(in crate::cases) fn ao_step(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    peer: &mut Peer,
    step: Step<'_>,
    probe: &SegmentSpec,
    socket: &AoSocket<'_>,
) -> Result<(AoOutcome, Observation), Error> {
    let outcome = predict(socket, probe)?;
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, probe)?;
    record_outcome(rec, peer, step, &obs, &outcome);
    Ok((outcome, obs))
}

/// Every per-socket counter's change from `before` to `after` against the
/// model's `counter` (one up, the rest still).
pub(in crate::cases) fn check_socket_counters(
    rec: &mut Record,
    what: &str,
    before: &AoSocketCounters,
    after: &AoSocketCounters,
    counter: Option<&str>,
) {
    for (name, delta) in after.delta(before) {
        let want = u64::from(Some(name) == counter);
        rec.check(
            delta == want,
            format!("{what}: TCP_AO_INFO's counter for {name} moved by {delta}, want {want}"),
        );
    }
    rec.note(format!("{what}: TCP_AO_INFO counters agree with the model"));
}

/// The AO peer at the default peer address, mirroring `kernel_keys`,
/// signing with its key of SendID `key_id` and asking for `rnext`.
pub(in crate::cases) fn ao_peer(
    ctx: &Ctx<'_>,
    family: Family,
    salt: u16,
    kernel_keys: &[Mkt],
    (key_id, rnext): (u8, u8),
) -> Result<Peer, Error> {
    ao_peer_at(
        ctx,
        family,
        salt,
        kernel_keys,
        (key_id, rnext),
        isn(u32::from(salt)),
    )
}

/// [`ao_peer`] with the ISN given.
pub(in crate::cases) fn ao_peer_at(
    ctx: &Ctx<'_>,
    family: Family,
    salt: u16,
    kernel_keys: &[Mkt],
    (key_id, rnext): (u8, u8),
    peer_isn: SeqNumber,
) -> Result<Peer, Error> {
    let peer_addr = ctx.lab.peer_addr(family);
    let mkts = mirrored(kernel_keys, peer_addr, ctx.lab.kernel_addr(family));
    let peer = Peer::new(&ctx.lab, family, 42000 + salt, LISTEN_PORT, peer_isn, None)?;
    let sign = mkts
        .iter()
        .find(|k| k.send_id == key_id)
        .cloned()
        .ok_or_else(|| Error::Unmodelled(format!("the peer holds no key with SendID {key_id}")))?;
    Ok(peer.with_ao(
        mkts,
        AoSign {
            mkt: sign,
            rnext,
            corrupt: false,
        },
    ))
}

/// The AO handshake with `listener`: the SYN and the third ACK are probes
/// the model decides (at the listener, then at the request socket), the
/// SYN-ACK is verified by the model, and the connection is accepted.
/// Returns the connection and the SYN-ACK.
pub(in crate::cases) fn ao_handshake(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    listener: &AoListener,
    peer: &mut Peer,
    role: Role,
) -> Result<(AoConn, Reply), Error> {
    let auth = peer.default_auth();
    let syn = peer.syn(&auth);
    let at_listener = listener.socket(peer.addrs.src(), AoSocketState::Listen);
    let (outcome, obs) = ao_step(
        ctx,
        rec,
        peer,
        Step { name: "SYN", role },
        &syn,
        &at_listener,
    )?;
    if outcome.verdict.verdict().is_none_or(|v| !v.is_accept()) {
        return Err(Error::NotSeen(format!(
            "the model drops the setup's SYN: {:?}",
            outcome.verdict
        )));
    }
    let synack = obs
        .replies
        .iter()
        .find(|r| r.flags.contains(TcpFlags::SYN | TcpFlags::ACK) && r.ack == peer.isn + 1)
        .cloned()
        .ok_or_else(|| Error::NotSeen(format!("no SYN-ACK to the AO SYN ({})", evidence(&obs))))?;
    peer.snd_nxt = peer.isn + 1;
    peer.sent(0);
    peer.rcv_nxt = synack.seq + 1;
    let request = AoSocketState::Request {
        used_ao: true,
        remote_isn: peer.isn.0,
        local_isn: synack.seq.0,
    };
    let third = peer.ack(&auth);
    ao_step(
        ctx,
        rec,
        peer,
        Step {
            name: "third ACK",
            role,
        },
        &third,
        &listener.socket(peer.addrs.src(), request),
    )?;
    let sock = listener.listener.accept()?.ok_or_else(|| {
        Error::NotSeen("the AO handshake completed but accept() found nothing".to_owned())
    })?;
    sock.set_nonblocking(true)
        .map_err(Error::io("O_NONBLOCK on the accepted socket"))?;
    let mkts = listener
        .child_mkts(peer.addrs.src())
        .ok_or_else(|| Error::Unmodelled("no listener key covers the peer".to_owned()))?;
    let conn = KernelConn::from_accepted(sock, &listener.listener, peer.addrs.src());
    Ok((
        AoConn {
            conn,
            mkts,
            kernel_isn: synack.seq.0,
        },
        synack,
    ))
}
