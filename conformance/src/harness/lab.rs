//! One conformance case's private network: a fresh namespace with a veth pair,
//! the kernel on one end and the suite's raw frames on the other.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use tcpmd5::Family;

use super::capture::PeerPort;
use super::counter_files::{CounterFiles, CounterSnapshot};
use super::counters::TcpExtCounters;
use super::error::HarnessError;
use super::link::{self, Mac};
use super::netns::NetNs;
use super::offload;
use super::sysctl;
use super::trace::{DROP_EVENTS, TraceSession};

/// The kernel's end of the veth.
pub const KERNEL_IF: &str = "vk";
/// The suite's end of the veth (no addresses, IPv6 off: the kernel never
/// answers for the peer).
pub const PEER_IF: &str = "vp";
/// The kernel's IPv4 address.
pub const KERNEL_V4: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
/// The default peer's IPv4 address.
pub const PEER_V4: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);
/// The kernel's IPv6 address.
pub const KERNEL_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 1);
/// The default peer's IPv6 address.
pub const PEER_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 2);
/// Prefix lengths of the lab subnets.
pub const PREFIX_V4: u8 = 24;
/// Prefix lengths of the lab subnets.
pub const PREFIX_V6: u8 = 64;
/// The peer's MAC (locally administered), set on `vp` so the kernel's replies
/// reach the AF_PACKET socket.
pub const PEER_MAC: Mac = [0x02, 0x00, 0x00, 0x00, 0x99, 0x02];

const ETHERTYPE_V4: u16 = 0x0800;
const ETHERTYPE_V6: u16 = 0x86dd;
/// Bound on waiting for the veth to come up.
const LINK_UP_TIMEOUT: Duration = Duration::from_secs(5);

/// A lab bound to the thread that made it (not `Send`). Dropping it closes
/// its sockets and returns the thread to its previous namespace.
#[derive(Debug)]
pub struct Lab {
    // Field order is drop order: everything in the namespace first, the
    // namespace membership last.
    port: PeerPort,
    counter_files: CounterFiles,
    /// Whether an exchange may start from the snapshot the previous one
    /// ended with ([`Lab::chain_counters`]).
    chain_counters: bool,
    /// That snapshot, and the count of trace events then, while the peer
    /// has sent nothing since.
    counters_after_exchange: Option<(CounterSnapshot, Option<usize>)>,
    trace: Option<TraceSession>,
    trace_unavailable: Option<String>,
    cookie: u64,
    kernel_ifindex: u32,
    peer_ifindex: u32,
    kernel_mac: Mac,
    setup_time: Duration,
    netns: NetNs,
}

impl Lab {
    /// Builds the lab on the calling thread.
    pub fn new() -> Result<Lab, HarnessError> {
        let started = Instant::now();
        let netns = NetNs::enter_fresh()?;
        // From here on, an early return drops `netns` and leaves again.
        link::set_up(link::ifindex("lo")?)?;
        link::create_veth(KERNEL_IF, PEER_IF)?;
        let kernel_ifindex = link::ifindex(KERNEL_IF)?;
        let peer_ifindex = link::ifindex(PEER_IF)?;

        sysctl::write(&format!("net/ipv6/conf/{PEER_IF}/disable_ipv6"), "1")?;
        for (key, value) in [
            ("accept_dad", "0"),
            ("dad_transmits", "0"),
            ("router_solicitations", "0"),
            ("accept_ra", "0"),
        ] {
            sysctl::write(&format!("net/ipv6/conf/{KERNEL_IF}/{key}"), value)?;
        }
        // Real checksums and wire-sized segments in what the peer captures.
        offload::disable_tx_checksum(KERNEL_IF)?;
        link::set_mac(peer_ifindex, PEER_MAC)?;
        link::add_address(kernel_ifindex, IpAddr::V4(KERNEL_V4), PREFIX_V4)?;
        link::add_address(kernel_ifindex, IpAddr::V6(KERNEL_V6), PREFIX_V6)?;
        link::set_up(peer_ifindex)?;
        link::set_up(kernel_ifindex)?;
        link::add_neighbour(kernel_ifindex, IpAddr::V4(PEER_V4), PEER_MAC)?;
        link::add_neighbour(kernel_ifindex, IpAddr::V6(PEER_V6), PEER_MAC)?;
        wait_oper_up(&[kernel_ifindex, peer_ifindex])?;
        wait_local(&[IpAddr::V4(KERNEL_V4), IpAddr::V6(KERNEL_V6)])?;
        let kernel_mac = link::mac(kernel_ifindex)?;
        let port = PeerPort::open(peer_ifindex, PEER_IF, PEER_MAC)?;
        let counter_files = CounterFiles::open()?;

        let cookie = netns.cookie()?;
        // The TCP-AO events too: an AO segment at an MD5 socket fires one.
        let (trace, trace_unavailable) = match TraceSession::start_with(cookie, &DROP_EVENTS) {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(e.reason)),
        };
        Ok(Lab {
            port,
            counter_files,
            chain_counters: false,
            counters_after_exchange: None,
            trace,
            trace_unavailable,
            cookie,
            kernel_ifindex,
            peer_ifindex,
            kernel_mac,
            setup_time: started.elapsed(),
            netns,
        })
    }

    /// The kernel's address in `family`.
    pub fn kernel_addr(&self, family: Family) -> IpAddr {
        match family {
            Family::V4 => IpAddr::V4(KERNEL_V4),
            Family::V6 => IpAddr::V6(KERNEL_V6),
        }
    }

    /// The default peer's address in `family`.
    pub fn peer_addr(&self, family: Family) -> IpAddr {
        match family {
            Family::V4 => IpAddr::V4(PEER_V4),
            Family::V6 => IpAddr::V6(PEER_V6),
        }
    }

    /// Makes another peer address (in the lab subnet, e.g. 10.99.0.200 or
    /// fd00:99::c8) reachable: the kernel will send its replies to the peer MAC.
    pub fn add_peer(&mut self, ip: IpAddr) -> Result<(), HarnessError> {
        link::add_neighbour(self.kernel_ifindex, ip, PEER_MAC)
    }

    /// Puts every address on the link, not only the lab subnets: the
    /// kernel gets an address in each of a few prefixes covering both
    /// address spaces, so it answers a peer of any address that
    /// [`Lab::add_peer`] made known (the more specific lab subnets still
    /// win). IPv4 makes no prefix route for a network in 0.0.0.0/8, so
    /// those prefixes start at 1.0.0.0/8.
    pub fn add_onlink_everywhere(&mut self) -> Result<(), HarnessError> {
        let v4 = [
            (1u32, 8u8),
            (2, 7),
            (4, 6),
            (8, 5),
            (16, 4),
            (32, 3),
            (64, 2),
            (128, 1),
        ]
        .map(|(first, len)| {
            // The last address but one of the prefix.
            let host = (first << 24) | (u32::MAX >> len);
            (IpAddr::V4(Ipv4Addr::from(host - 1)), len)
        });
        let v6 = [
            (
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 0xfe)),
                1,
            ),
            (
                IpAddr::V6(Ipv6Addr::new(0xfdff, 0xffff, 0, 0, 0, 0, 0, 0xfe)),
                1,
            ),
        ];
        for (ip, len) in v4.into_iter().chain(v6) {
            link::add_address(self.kernel_ifindex, ip, len)?;
        }
        let added: Vec<IpAddr> = v4.into_iter().chain(v6).map(|(ip, _)| ip).collect();
        wait_local(&added)
    }

    /// Index of `vk`, for `TCP_MD5SIG_FLAG_IFINDEX` cases.
    pub fn kernel_ifindex(&self) -> u32 {
        self.kernel_ifindex
    }

    /// Index of `vp`.
    pub fn peer_ifindex(&self) -> u32 {
        self.peer_ifindex
    }

    /// MAC of `vk` (destination of frames the peer sends).
    pub fn kernel_mac(&self) -> Mac {
        self.kernel_mac
    }

    /// MAC of `vp` (source of frames the peer sends).
    pub fn peer_mac(&self) -> Mac {
        PEER_MAC
    }

    /// Sends an IP packet from the peer to the kernel, in an Ethernet II frame
    /// whose ethertype follows the IP version nibble.
    pub fn send_ip(&mut self, ip_packet: &[u8]) -> Result<(), HarnessError> {
        let ethertype = match ip_packet.first().map(|b| b >> 4) {
            Some(4) => ETHERTYPE_V4,
            Some(6) => ETHERTYPE_V6,
            other => {
                return Err(HarnessError::Unsupported(format!(
                    "send_ip: IP version {other:?}"
                )));
            }
        };
        let mut frame = Vec::with_capacity(14 + ip_packet.len());
        frame.extend_from_slice(&self.kernel_mac);
        frame.extend_from_slice(&PEER_MAC);
        frame.extend_from_slice(&ethertype.to_be_bytes());
        frame.extend_from_slice(ip_packet);
        // The kernel may count this frame: the next exchange reads afresh.
        self.counters_after_exchange = None;
        self.port.send_frame(&frame)
    }

    /// The next IP packet the kernel sends towards the peer that `filter`
    /// accepts, or `None` at `deadline`. Frames the peer sent itself, non-IP
    /// frames and rejected packets are skipped.
    pub fn recv_ip(
        &mut self,
        deadline: Instant,
        filter: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<Option<Vec<u8>>, HarnessError> {
        while let Some(frame) = self.port.recv_frame(deadline)? {
            let (Some(src), Some(ethertype), Some(payload)) =
                (frame.get(6..12), frame.get(12..14), frame.get(14..))
            else {
                continue;
            };
            if src == PEER_MAC.as_slice() {
                continue; // our own transmission, seen by the packet socket
            }
            if ethertype != ETHERTYPE_V4.to_be_bytes() && ethertype != ETHERTYPE_V6.to_be_bytes() {
                continue;
            }
            if filter(payload) {
                return Ok(Some(payload.to_vec()));
            }
        }
        Ok(None)
    }

    /// Forgets frames captured so far (e.g. the kernel's IPv6 MLD reports
    /// after link-up, or leftovers of a previous step).
    pub fn drain(&mut self) -> Result<usize, HarnessError> {
        self.port.drain()
    }

    /// Forgets the frames captured so far without waiting for more (what
    /// each probe needs: anything later is told apart by its 4-tuple).
    pub fn drain_queued(&mut self) -> Result<usize, HarnessError> {
        self.port.drain_queued()
    }

    /// The namespace's TcpExt counters (from files opened in it).
    pub fn counters(&self) -> Result<TcpExtCounters, HarnessError> {
        self.counter_files.read()
    }

    /// A snapshot of the namespace's counters by position (cheaper to take
    /// and compare than [`Lab::counters`]).
    pub fn counter_snapshot(&self) -> Result<CounterSnapshot, HarnessError> {
        self.counter_files.snapshot()
    }

    /// Lets each exchange take the counter snapshot and trace event count
    /// the previous one ended with as its own starting point, instead of
    /// reading them again, while the peer sent nothing in between
    /// ([`Lab::send_ip`] forgets them). The authentication and checksum
    /// counters and the `tcp_hash_*` tracepoints move only for segments
    /// the kernel receives, and in a lab where only the peer talks to the
    /// kernel (the differential) every one of them comes from the peer, so
    /// their deltas are the same; a counter the kernel's timers move
    /// between two exchanges (a retransmission) shows in the later one's
    /// `TcpExt` changes instead of in none.
    pub fn chain_counters(&mut self) {
        self.chain_counters = true;
    }

    /// The snapshot and trace event count the last exchange ended with, if
    /// the peer sent nothing since and [`Lab::chain_counters`] allows it
    /// (taken: used once).
    pub fn take_counters_after_exchange(&mut self) -> Option<(CounterSnapshot, Option<usize>)> {
        self.counters_after_exchange.take()
    }

    /// Keeps `snapshot` and the trace event count `trace`, taken at the end
    /// of an exchange, for the next one (where [`Lab::chain_counters`]
    /// allows it).
    pub fn keep_counters_after_exchange(
        &mut self,
        snapshot: CounterSnapshot,
        trace: Option<usize>,
    ) {
        if self.chain_counters {
            self.counters_after_exchange = Some((snapshot, trace));
        }
    }

    /// The trace session, if tracing is available.
    pub fn trace(&self) -> Option<&TraceSession> {
        self.trace.as_ref()
    }

    /// Why there is no trace session.
    pub fn trace_unavailable_reason(&self) -> Option<&str> {
        self.trace_unavailable.as_deref()
    }

    /// The namespace cookie (`net_cookie` in tracepoints).
    pub fn cookie(&self) -> u64 {
        self.cookie
    }

    /// The namespace's inode.
    pub fn netns_inode(&self) -> u64 {
        self.netns.inode()
    }

    /// How long `new` took.
    pub fn setup_time(&self) -> Duration {
        self.setup_time
    }
}

/// Waits until every link of `ifindexes` is up, carrier and operational state.
pub(crate) fn wait_oper_up(ifindexes: &[u32]) -> Result<(), HarnessError> {
    let deadline = Instant::now() + LINK_UP_TIMEOUT;
    let mut pause = Duration::from_micros(200);
    loop {
        let mut all_up = true;
        for &i in ifindexes {
            let s = link::status(i)?;
            all_up &= s.admin_up && s.lower_up && s.oper_up;
        }
        if all_up {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(HarnessError::Timeout(format!(
                "links {ifindexes:?} not operationally up after {LINK_UP_TIMEOUT:?}"
            )));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Waits until packets to each address would be accepted as local (see
/// [`link::is_local`]); without it a first IPv6 SYN is sometimes dropped
/// (`Ip6InAddrErrors`), seen live about 1 lab in 30.
pub(crate) fn wait_local(addrs: &[IpAddr]) -> Result<(), HarnessError> {
    let deadline = Instant::now() + LINK_UP_TIMEOUT;
    let mut pause = Duration::from_micros(100);
    for &ip in addrs {
        while !link::is_local(ip)? {
            if Instant::now() >= deadline {
                return Err(HarnessError::Timeout(format!(
                    "no local route for {ip} after {LINK_UP_TIMEOUT:?}"
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }
    Ok(())
}
