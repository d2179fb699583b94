//! Running one AO case in a family's lab: a SYN to a listener holding the
//! case's MKTs, or a segment on a connection established with AO. The
//! model's verdict ([`super::expect`]) is held against the kernel's:
//!
//! - at a listener, a SYN-ACK (accepted) or silence, and the witnesses; an
//!   accepted SYN is answered only when a key's `sndid` is the SYN's
//!   RNextKeyID (the kernel signs its SYN-ACK with that key and sends
//!   nothing when there is none, `tcp_ao_synack_no_key`), and the SYN-ACK's
//!   MAC must verify;
//! - on a connection, `tcpi_segs_in` (one exactly when the authentication
//!   check passed), the witnesses, the TCP effect of an accepted segment
//!   (as for the MD5 share), and every kernel segment's MAC, with the KeyID
//!   of the key current after the case (a rotation the segment asked for
//!   switches it).

use std::os::fd::AsFd;
use std::time::Instant;

use tcpmd5::ao::{AoSocket, AoSocketState, FlowIsns, segment_sne};
use tcpmd5::wire::{TcpFlags, TcpPacket};
use tcpmd5::{AddrPair, Family};

use super::expect::{Expected, expected, witness_problems};
use super::input::AoInput;
use super::probe::{Flow, established_probe, syn_probe};
use super::sockets::{check_kernel_segment, connect, listener};
use crate::differential::established::check_effect;
use crate::differential::input::{SegmentKind, Target};
use crate::differential::judged::Judged;
use crate::differential::tcp_effect::{self, Effect};
use crate::error::Error;
use crate::exchange::{Barrier, exchange};
use crate::harness::Lab;
use crate::harness::ao_sockopt;
use crate::harness::tcp_info::tcp_info;

/// The port the case's listener binds.
const SYN_PORT: u16 = 179;
/// The port of the listener connections come from.
const CONN_PORT: u16 = 180;
/// Cases per lab before it is rebuilt.
const LAB_REUSE: usize = 200;
/// The peer ports used, in turn.
const PORTS: std::ops::RangeInclusive<u16> = 20000..=59000;

/// The lab of one family for the AO share, kept between cases on the
/// thread that built it.
#[derive(Debug)]
pub(in crate::differential) struct AoRunner {
    family: Family,
    lab: Option<(Lab, Barrier)>,
    used: usize,
    port: u16,
    /// Connections established with AO so far.
    pub handshakes: u64,
}

impl AoRunner {
    /// A runner for `family`; no lab yet.
    pub(in crate::differential) fn new(family: Family) -> AoRunner {
        AoRunner {
            family,
            lab: None,
            used: 0,
            port: *PORTS.start(),
            handshakes: 0,
        }
    }

    /// Runs `input`; after a harness failure the next case gets a fresh
    /// lab. The seconds are the case's (connection included).
    pub(in crate::differential) fn run(&mut self, input: &AoInput) -> (Result<Judged, Error>, f64) {
        if self.lab.is_none() || self.used >= LAB_REUSE {
            self.lab = None;
            let lab = Lab::new()
                .map_err(Error::harness("creating the lab"))
                .and_then(|mut lab| {
                    lab.chain_counters();
                    let barrier =
                        Barrier::open(&lab).map_err(Error::io("opening the barrier listener"))?;
                    Ok((lab, barrier))
                });
            match lab {
                Ok(l) => self.lab = Some(l),
                Err(e) => return (Err(e), 0.0),
            }
            self.used = 0;
        }
        self.used += 1;
        self.port = if self.port >= *PORTS.end() {
            *PORTS.start()
        } else {
            self.port + 1
        };
        let (port, family) = (self.port, self.family);
        let Some((lab, barrier)) = self.lab.as_mut() else {
            return (Err(Error::NotSeen("no lab".to_owned())), 0.0);
        };
        let started = Instant::now();
        let result = match input.target {
            Target::Listener => syn(lab, barrier, family, port, input),
            Target::Established(kind, place) => {
                self.handshakes += 1;
                established(lab, barrier, family, port, input, kind, place)
            }
        };
        if result.is_err() {
            self.lab = None;
        }
        (result, started.elapsed().as_secs_f64())
    }

    /// Closes the lab (on the thread that built it).
    pub(in crate::differential) fn close(&mut self) {
        self.lab = None;
    }
}

fn judged(
    want: &Expected,
    observed: String,
    problems: Vec<String>,
    notes: Vec<String>,
    packet: Vec<u8>,
) -> Judged {
    Judged {
        verdict: want.verdict,
        expected: want.id(),
        observed,
        problems,
        notes,
        packet,
        inferred: false,
    }
}

/// The kernel's verdict in the model's words, from whether it passed the
/// segment, the counters it moved and, where no drop counter did, the one
/// drop tracepoint (`TCP_AUTH_HDR` moves no counter).
fn observed_id(
    passed: bool,
    moved: &std::collections::BTreeMap<String, i64>,
    trace: Option<&[String]>,
) -> String {
    if passed {
        return "accept".to_owned();
    }
    // Every socket here holds AO keys: TCPAOKeyNotFound is a KeyID's.
    let drops: Vec<String> = moved
        .keys()
        .filter_map(|c| tcpmd5::DropReason::of_counter_at(c, true))
        .map(|r| r.verdict_id().to_owned())
        .collect();
    match (drops.as_slice(), trace) {
        ([one], _) => one.clone(),
        ([], Some([event])) => tcpmd5::DropReason::of_tracepoint_at(event, true)
            .map_or_else(|| format!("drop ({event})"), |r| r.verdict_id().to_owned()),
        ([], Some(_)) => "drop (no drop witness)".to_owned(),
        ([], None) => "drop (no counter, no tracepoints)".to_owned(),
        (many, _) => format!("other: {}", many.join(" + ")),
    }
}

/// A SYN to a listener holding the case's keys.
fn syn(
    lab: &mut Lab,
    barrier: &mut Barrier,
    family: Family,
    port: u16,
    input: &AoInput,
) -> Result<Judged, Error> {
    let peer = lab.peer_addr(family);
    let mkts = input.mkts(peer);
    let l = listener(lab, family, SYN_PORT, &mkts, input.required)?;
    let addrs = AddrPair::new(peer, lab.kernel_addr(family))
        .map_err(|_| Error::WrongFamily { addr: peer, family })?;
    let spec = syn_probe(input, addrs, (port, SYN_PORT), &mkts)?;
    let packet = spec.packet();
    let segment = spec.segment();
    let socket = AoSocket {
        mkts: Some(&l.table),
        md5_key: false,
        state: AoSocketState::Listen,
        l3index: 0,
    };
    let want = expected(&socket, &addrs, &segment, &packet)?;
    let obs = exchange(lab, barrier, &spec)?;
    if !obs.barrier_seen {
        return Err(Error::NotSeen("the barrier was not answered".to_owned()));
    }
    let seq = TcpPacket::new_checked(&segment[..]).map_or(spec.tcp.seq, |p| p.seq_number());
    let synacks: Vec<_> = obs
        .replies
        .iter()
        .filter(|r| {
            r.flags.contains(TcpFlags::SYN | TcpFlags::ACK) && r.ack.0 == seq.wrapping_add(1)
        })
        .collect();
    let mut problems = witness_problems(&want, &obs.auth_counters, obs.trace.as_deref());
    let mut notes = Vec::new();
    // The RNextKeyID the SYN carried names the key of the SYN-ACK.
    let rnext = tcpmd5::ao::SegmentAo::find(&segment)
        .ok()
        .map(|a| a.option.rnext_key_id());
    let synack_key = rnext.and_then(|r| l.table.lookup(peer, 0, Some(r), None));
    let answered = match (want.verdict.is_accept(), want.signed) {
        (false, _) => false,
        (true, true) => synack_key.is_some(),
        (true, false) => true,
    };
    if want.signed && !answered {
        // tcp_ao_synack_no_key: verified and counted, never answered.
        notes.push("accepted, but no key has the RNextKeyID as SendID: no SYN-ACK".to_owned());
    }
    if synacks.len() != usize::from(answered) || obs.replies.len() != synacks.len() {
        problems.push(format!(
            "{} replies ({} SYN-ACKs), the model implies {}",
            obs.replies.len(),
            synacks.len(),
            if answered { "one SYN-ACK" } else { "none" }
        ));
    }
    for r in &synacks {
        if want.signed {
            problems.extend(check_kernel_segment(r, &l.table, None, rnext, 0));
        } else if tcpmd5::ao::SegmentAo::find(&r.segment).is_ok() {
            problems.push("the kernel signed its SYN-ACK to an unsigned SYN with AO".to_owned());
        }
    }
    let passed = if want.signed {
        obs.auth_counters.get("TCPAOGood") == Some(&1)
    } else {
        !synacks.is_empty()
    };
    let observed = observed_id(passed, &obs.auth_counters, obs.trace.as_deref());
    if observed != want.id() && problems.is_empty() {
        problems.push(format!("kernel {observed}, model {}", want.id()));
    }
    Ok(judged(&want, observed, problems, notes, packet))
}

/// A segment on a connection established with the signing key.
#[allow(clippy::too_many_arguments)]
fn established(
    lab: &mut Lab,
    barrier: &mut Barrier,
    family: Family,
    port: u16,
    input: &AoInput,
    kind: SegmentKind,
    place: crate::differential::input::Place,
) -> Result<Judged, Error> {
    let peer = lab.peer_addr(family);
    let mkts = input.mkts(peer);
    let l = listener(lab, family, CONN_PORT, &mkts, input.required)?;
    let index = input.signer_index();
    let (Some(spec), Some(mkt)) = (input.keys.get(index), mkts.get(index)) else {
        return Err(Error::NotSeen("a case without keys".to_owned()));
    };
    let peer_isn = input.base.ack;
    let conn = connect(
        lab,
        barrier,
        &l,
        family,
        (port, CONN_PORT),
        peer_isn,
        (spec, mkt),
        input,
    )?;
    drop(l);
    let flow = Flow {
        addrs: conn.addrs,
        peer_port: conn.peer_port,
        kernel_port: conn.kernel_port,
        peer_isn,
        kernel_isn: conn.kernel_isn,
    };
    let (rcv_nxt, snd_nxt) = (flow.rcv_nxt(), flow.snd_nxt());
    let probe = established_probe(input, &flow, &mkts, kind, place)?;
    let packet = probe.packet();
    let segment = probe.segment();
    let tcp = TcpPacket::new_checked(&segment[..]).map_err(Error::model("the probe"))?;
    let socket = AoSocket {
        mkts: Some(&conn.table),
        md5_key: false,
        state: flow.state(conn.current_send_id),
        l3index: 0,
    };
    let want = expected(&socket, &conn.addrs, &segment, &packet)?;
    let info = || tcp_info(conn.sock.as_fd()).map_err(Error::errno("TCP_INFO"));
    let before = info()?;
    let obs = exchange(lab, barrier, &probe)?;
    if !obs.barrier_seen {
        return Err(Error::NotSeen("the barrier was not answered".to_owned()));
    }
    let after = info()?;
    let read = {
        use std::io::Read as _;
        let mut buf = [0u8; 4096];
        match (&conn.sock).read(&mut buf) {
            Ok(n) => Ok(Some(buf.get(..n).unwrap_or(&[]).to_vec())),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mut problems = conn.problems.clone();
    let mut notes = Vec::new();
    let passed = after.segs_in.wrapping_sub(before.segs_in);
    problems.extend(witness_problems(
        &want,
        &obs.auth_counters,
        obs.trace.as_deref(),
    ));
    let accept = want.verdict.is_accept();
    if passed != u32::from(accept) {
        problems.push(format!(
            "tcpi_segs_in +{passed}, the model's verdict implies +{}",
            u32::from(accept)
        ));
    }
    let effect = if accept {
        tcp_effect::established(tcp.flags(), tcp.seq_number(), tcp.payload().len(), rcv_nxt)
    } else {
        Effect::NONE
    };
    check_effect(
        effect,
        (&before, &after),
        &read,
        tcp.payload(),
        &mut problems,
    );
    // Every kernel segment is signed with the key current after the case.
    let current = match want.rnext {
        Some(r) if r.switched => r.requested,
        _ => conn.current_send_id,
    };
    if want.rnext.is_some_and(|r| r.switched) {
        notes.push(format!("rotation asked: current key now {current}"));
    }
    // The socket's own account: its current key (by SendID) and its RNext
    // key (by RecvID: the KeyID of the handshake, which no received
    // segment changes).
    match ao_sockopt::get_info(conn.sock.as_fd()) {
        Ok(info) => {
            let want_info = (Some(current), Some(conn.handshake_key_id));
            if (info.current_key, info.rnext) != want_info {
                problems.push(format!(
                    "TCP_AO_INFO current {:?} rnext {:?}, the model implies {:?} and {:?}",
                    info.current_key, info.rnext, want_info.0, want_info.1
                ));
            }
        }
        Err(e) => notes.push(format!("TCP_AO_INFO unreadable after the case: {e}")),
    }
    let new_rcv_nxt = rcv_nxt.wrapping_add(effect.rcv_advance());
    for r in &obs.replies {
        if !accept {
            problems.push(format!(
                "the kernel answered a dropped segment ({})",
                crate::words::flags(r.flags)
            ));
            continue;
        }
        let kernel_isns = Some(FlowIsns {
            src_isn: conn.kernel_isn,
            dst_isn: peer_isn,
        });
        let sne = segment_sne(0, snd_nxt, r.seq.0);
        problems.extend(check_kernel_segment(
            r,
            &conn.table,
            kernel_isns,
            Some(current),
            sne,
        ));
        if !(r.flags.contains(TcpFlags::ACK) && [rcv_nxt, new_rcv_nxt].contains(&r.ack.0)) {
            problems.push(format!(
                "reply {} ack {:#x}, want an ACK of {rcv_nxt:#x} or {new_rcv_nxt:#x}",
                crate::words::flags(r.flags),
                r.ack.0
            ));
        }
    }
    notes.push(format!(
        "tcpi_segs_in +{passed}, tcpi_state {}, {} replies",
        after.state,
        obs.replies.len()
    ));
    let observed = observed_id(passed == 1, &obs.auth_counters, obs.trace.as_deref());
    if observed != want.id() && problems.is_empty() {
        problems.push(format!("kernel {observed}, model {}", want.id()));
    }
    Ok(judged(&want, observed, problems, notes, packet))
}
