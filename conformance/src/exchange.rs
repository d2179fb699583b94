//! One probe: inject a segment, then a barrier, and collect what the kernel
//! did: replies on the probe's 4-tuple, counter deltas, tracepoint events.
//!
//! "No reply" is decided without sleeping. After the probe the peer sends a
//! barrier: an unsigned SYN to a keyless listener, whose SYN-ACK is certain.
//! The injecting thread is pinned to one CPU, so both frames go through the
//! same per-CPU backlog in order; once the barrier's SYN-ACK is here, the
//! probe has been processed and any reply to it has been sent. The
//! `harness/barrier-ordering` case checks this on the running kernel.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tcpmd5::wire::{IpSegment, SeqNumber, TcpFlags, TcpPacket};
use tcpmd5::{AddrPair, Family};

use crate::error::Error;
use crate::harness::counters::is_auth;
use crate::harness::{Lab, sockopt};
use crate::segment::SegmentSpec;

/// The port of the keyless barrier listener.
pub const BARRIER_PORT: u16 = 9;
/// How long to wait for a barrier (or an expected reply) before calling the
/// exchange lost.
pub const BARRIER_TIMEOUT: Duration = Duration::from_secs(3);

/// Barriers the listeners answer before they are opened afresh. Each
/// barrier leaves a request socket in the listener's SYN queue (its
/// handshake is never finished) until the SYN-ACK retries run out, about a
/// minute later; a kernel without `CONFIG_SYN_COOKIES` drops every SYN once
/// the queue holds the backlog (128), so a long run in one lab (the
/// differential) would lose its barriers. Closing a listener drops its
/// request sockets without a segment.
const BARRIER_REUSE: u32 = 64;

/// Keyless listeners on the barrier port for both families.
#[derive(Debug)]
pub struct Barrier {
    /// IPv4 and IPv6; `None` only while being replaced.
    listeners: Option<(socket2::Socket, socket2::Socket)>,
    next_port: u16,
    /// Barriers sent to the current listeners.
    sent: u32,
}

fn barrier_listeners(lab: &Lab) -> std::io::Result<(socket2::Socket, socket2::Socket)> {
    let v4 = sockopt::listener(
        SocketAddr::new(lab.kernel_addr(Family::V4), BARRIER_PORT),
        None,
    )?;
    let v6 = sockopt::listener(
        SocketAddr::new(lab.kernel_addr(Family::V6), BARRIER_PORT),
        Some(true),
    )?;
    Ok((v4, v6))
}

impl Barrier {
    /// Opens the barrier listeners in the lab's namespace.
    pub fn open(lab: &Lab) -> std::io::Result<Barrier> {
        Ok(Barrier {
            listeners: Some(barrier_listeners(lab)?),
            next_port: 61000,
            sent: 0,
        })
    }

    /// Counts one barrier, first opening the listeners afresh when they
    /// have answered [`BARRIER_REUSE`] (see there).
    fn next(&mut self, lab: &Lab) -> std::io::Result<()> {
        if self.sent >= BARRIER_REUSE || self.listeners.is_none() {
            // The old ones go first: the new ones bind the same port.
            self.listeners = None;
            self.listeners = Some(barrier_listeners(lab)?);
            self.sent = 0;
        }
        self.sent += 1;
        Ok(())
    }
}

/// A reply the kernel sent on the probe's 4-tuple.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The IP packet.
    pub packet: Vec<u8>,
    /// Its addresses.
    pub addrs: AddrPair,
    /// The TCP segment.
    pub segment: Vec<u8>,
    /// TCP flags.
    pub flags: TcpFlags,
    /// Acknowledgement number.
    pub ack: SeqNumber,
    /// Sequence number.
    pub seq: SeqNumber,
}

/// Everything observed about one probe.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// Replies on the probe's 4-tuple, in arrival order.
    pub replies: Vec<Reply>,
    /// Changes of the `TCPMD5*`/`TCPAO*` counters.
    pub auth_counters: BTreeMap<String, i64>,
    /// Every `TcpExt` counter change, for the report.
    pub all_counters: BTreeMap<String, i64>,
    /// `tcp:tcp_hash_*` events, or `None` when tracing is unavailable.
    pub trace: Option<Vec<String>>,
    /// Whether the barrier came back (the probe is known to be processed).
    pub barrier_seen: bool,
    /// Time from injection to the barrier's reply.
    pub elapsed: Duration,
}

/// Whether `packet` is a TCP segment from `from` to `to`.
fn is_on(packet: &[u8], from: SocketAddr, to: SocketAddr) -> bool {
    IpSegment::parse(packet).is_ok_and(|located| {
        let tcp = located.tcp();
        located.addrs.src() == from.ip()
            && located.addrs.dst() == to.ip()
            && tcp.src_port() == from.port()
            && tcp.dst_port() == to.port()
    })
}

/// Injects `probe`, then a barrier SYN, and waits for the barrier's SYN-ACK,
/// collecting every reply to `probe` (matched on the full 4-tuple).
pub fn exchange(
    lab: &mut Lab,
    barrier: &mut Barrier,
    probe: &SegmentSpec,
) -> Result<Observation, Error> {
    let (before, trace_before) = match lab.take_counters_after_exchange() {
        Some(kept) => kept,
        None => (
            lab.counter_snapshot()
                .map_err(Error::harness("reading TcpExt counters"))?,
            match lab.trace() {
                Some(t) => Some(t.count().map_err(Error::Trace)?),
                None => None,
            },
        ),
    };
    let family = probe.tcp.addrs.family();
    let peer = SocketAddr::new(probe.tcp.addrs.src(), probe.tcp.src_port);
    let kernel = SocketAddr::new(probe.tcp.addrs.dst(), probe.tcp.dst_port);
    barrier
        .next(lab)
        .map_err(Error::io("reopening the barrier listeners"))?;
    barrier.next_port = barrier.next_port.wrapping_add(1).max(61000);
    let barrier_isn = 0x0bad_0000 | u32::from(barrier.next_port);
    let barrier_peer = SocketAddr::new(lab.peer_addr(family), barrier.next_port);
    let barrier_kernel = SocketAddr::new(lab.kernel_addr(family), BARRIER_PORT);
    let barrier_syn = SegmentSpec::syn(
        barrier_peer.ip(),
        barrier_kernel.ip(),
        barrier_peer.port(),
        BARRIER_PORT,
        barrier_isn,
    );

    lab.drain_queued()
        .map_err(Error::harness("draining the peer socket"))?;
    let started = Instant::now();
    lab.send_ip(&probe.packet())
        .map_err(Error::harness("injecting the probe"))?;
    lab.send_ip(&barrier_syn.packet())
        .map_err(Error::harness("injecting the barrier"))?;

    let mut obs = Observation::default();
    let deadline = started + BARRIER_TIMEOUT;
    while !obs.barrier_seen {
        let mut keep = |p: &[u8]| is_on(p, kernel, peer) || is_on(p, barrier_kernel, barrier_peer);
        let Some(packet) = lab
            .recv_ip(deadline, &mut keep)
            .map_err(Error::harness("receiving replies"))?
        else {
            break;
        };
        let Some(r) = reply_from(&packet) else {
            continue;
        };
        if is_on(&packet, barrier_kernel, barrier_peer) {
            if r.flags.contains(TcpFlags::SYN | TcpFlags::ACK)
                && r.ack == SeqNumber(barrier_isn) + 1
            {
                obs.barrier_seen = true;
            }
        } else {
            obs.replies.push(r);
        }
    }
    obs.elapsed = started.elapsed();
    let after = lab
        .counter_snapshot()
        .map_err(Error::harness("reading TcpExt counters"))?;
    obs.all_counters = before.delta(&after);
    obs.auth_counters = obs
        .all_counters
        .iter()
        .filter(|(name, _)| is_auth(name))
        .map(|(name, d)| (name.clone(), *d))
        .collect();
    let mut trace_after = None;
    if let (Some(t), Some(n)) = (lab.trace(), trace_before) {
        let (names, count) = t.names_since(n).map_err(Error::Trace)?;
        obs.trace = Some(names);
        trace_after = Some(count);
    }
    if obs.barrier_seen {
        lab.keep_counters_after_exchange(after, trace_after);
    }
    Ok(obs)
}

/// A kernel segment as a [`Reply`].
pub fn reply_from(packet: &[u8]) -> Option<Reply> {
    let located = IpSegment::parse(packet).ok()?;
    let tcp = TcpPacket::new_checked(located.segment).ok()?;
    Some(Reply {
        packet: packet.to_vec(),
        addrs: located.addrs,
        segment: located.segment.to_vec(),
        flags: tcp.flags(),
        ack: SeqNumber(tcp.ack_number()),
        seq: SeqNumber(tcp.seq_number()),
    })
}

/// The payload length of a kernel segment.
pub fn payload_len(reply: &Reply) -> usize {
    TcpPacket::new_checked(&reply.segment[..]).map_or(0, |t| t.payload().len())
}

/// The option kinds of a kernel segment, in order (NOPs included).
pub fn option_kinds(reply: &Reply) -> Vec<u8> {
    let Ok(tcp) = TcpPacket::new_checked(&reply.segment[..]) else {
        return vec![];
    };
    let area = tcp.options();
    let mut kinds = Vec::new();
    let mut i = 0;
    while let Some(&kind) = area.get(i) {
        kinds.push(kind);
        match kind {
            0 => break,
            1 => i += 1,
            _ => match area.get(i + 1) {
                Some(&len) if len >= 2 => i += usize::from(len),
                _ => break,
            },
        }
    }
    kinds
}
