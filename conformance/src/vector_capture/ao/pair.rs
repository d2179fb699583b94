//! Two kernel ends of one veth, each in a throwaway network namespace of
//! its own (so their segments cross the veth instead of `lo`), with a
//! packet socket on each end capturing what that end receives.
//!
//! Every step runs on a short-lived thread inside the namespace it
//! configures ([`run_inside`]); the sockets it opens stay in that
//! namespace and are driven from the calling thread. The namespaces die
//! with the last socket and fd that refers to them.

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use tcpmd5::Family;
use tcpmd5_witness::netns::run_inside;

use crate::harness::capture::PeerPort;
use crate::harness::lab::{wait_local, wait_oper_up};
use crate::harness::netns::NetNs;
use crate::harness::{HarnessError, link, offload, sysctl};

/// The server's end of the veth.
const SERVER_IF: &str = "aos";
/// The client's end.
const CLIENT_IF: &str = "aoc";
/// The server's addresses.
const SERVER_V4: Ipv4Addr = Ipv4Addr::new(10, 98, 0, 1);
const SERVER_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x98, 0, 0, 0, 0, 0, 1);
/// The client's addresses.
const CLIENT_V4: Ipv4Addr = Ipv4Addr::new(10, 98, 0, 2);
const CLIENT_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x98, 0, 0, 0, 0, 0, 2);
const ETHERTYPE_V4: [u8; 2] = [0x08, 0x00];
const ETHERTYPE_V6: [u8; 2] = [0x86, 0xdd];

/// Which end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// Connects.
    Client,
    /// Listens.
    Server,
}

/// The two namespaces, their veth ends and a capture port on each.
pub(super) struct VethPair {
    server_ns: File,
    client_ns: File,
    /// Receives what the client sends (bound to the server's end).
    from_client: PeerPort,
    /// Receives what the server sends (bound to the client's end).
    from_server: PeerPort,
}

impl std::fmt::Debug for VethPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VethPair").finish_non_exhaustive()
    }
}

/// A fresh namespace, held by an fd (no thread stays in it).
fn fresh_namespace() -> Result<File, HarnessError> {
    inside(None, || {
        let _ns = NetNs::enter_fresh()?;
        File::open("/proc/thread-self/ns/net")
            .map_err(|e| HarnessError::io("open /proc/thread-self/ns/net", &e))
    })
}

/// Runs `body` on a thread inside `ns` (the caller's namespace for `None`).
fn inside<T: Send>(
    ns: Option<&File>,
    body: impl FnOnce() -> Result<T, HarnessError> + Send,
) -> Result<T, HarnessError> {
    run_inside(ns, body).map_err(|e| HarnessError::Unsupported(format!("namespace thread: {e}")))?
}

/// Brings up one end: loopback, addresses, a permanent neighbour entry for
/// the other end (no ARP/NDP), real checksums in what it sends.
fn configure(
    name: &str,
    own: (Ipv4Addr, Ipv6Addr),
    other: (Ipv4Addr, Ipv6Addr),
    other_mac: link::Mac,
) -> Result<u32, HarnessError> {
    link::set_up(link::ifindex("lo")?)?;
    let index = link::ifindex(name)?;
    for (key, value) in [
        ("accept_dad", "0"),
        ("router_solicitations", "0"),
        ("accept_ra", "0"),
    ] {
        sysctl::write(&format!("net/ipv6/conf/{name}/{key}"), value)?;
    }
    offload::disable_tx_checksum(name)?;
    link::add_address(index, IpAddr::V4(own.0), 24)?;
    link::add_address(index, IpAddr::V6(own.1), 64)?;
    link::set_up(index)?;
    link::add_neighbour(index, IpAddr::V4(other.0), other_mac)?;
    link::add_neighbour(index, IpAddr::V6(other.1), other_mac)?;
    Ok(index)
}

impl VethPair {
    /// Builds both namespaces and the veth between them.
    pub(super) fn new() -> Result<VethPair, HarnessError> {
        let server_ns = fresh_namespace()?;
        let client_ns = fresh_namespace()?;
        let client_fd = client_ns
            .try_clone()
            .map_err(|e| HarnessError::io("dup namespace fd", &e))?;
        let server_mac = inside(Some(&server_ns), move || {
            link::create_veth(SERVER_IF, CLIENT_IF)?;
            link::move_to_namespace(link::ifindex(CLIENT_IF)?, &client_fd)?;
            link::mac(link::ifindex(SERVER_IF)?)
        })?;
        let (client_mac, from_server) = inside(Some(&client_ns), move || {
            let index = link::ifindex(CLIENT_IF)?;
            let mac = link::mac(index)?;
            configure(
                CLIENT_IF,
                (CLIENT_V4, CLIENT_V6),
                (SERVER_V4, SERVER_V6),
                server_mac,
            )?;
            Ok((mac, PeerPort::open(index, CLIENT_IF, mac)?))
        })?;
        let from_client = inside(Some(&server_ns), move || {
            let index = configure(
                SERVER_IF,
                (SERVER_V4, SERVER_V6),
                (CLIENT_V4, CLIENT_V6),
                client_mac,
            )?;
            wait_oper_up(&[index])?;
            wait_local(&[IpAddr::V4(SERVER_V4), IpAddr::V6(SERVER_V6)])?;
            PeerPort::open(index, SERVER_IF, server_mac)
        })?;
        inside(Some(&client_ns), || {
            wait_oper_up(&[link::ifindex(CLIENT_IF)?])?;
            wait_local(&[IpAddr::V4(CLIENT_V4), IpAddr::V6(CLIENT_V6)])
        })?;
        Ok(VethPair {
            server_ns,
            client_ns,
            from_client,
            from_server,
        })
    }

    /// The address of `end` in `family`.
    pub(super) fn addr(end: End, family: Family) -> IpAddr {
        match (end, family) {
            (End::Server, Family::V4) => IpAddr::V4(SERVER_V4),
            (End::Server, Family::V6) => IpAddr::V6(SERVER_V6),
            (End::Client, Family::V4) => IpAddr::V4(CLIENT_V4),
            (End::Client, Family::V6) => IpAddr::V6(CLIENT_V6),
        }
    }

    /// Runs `body` on a thread inside `end`'s namespace: a socket it
    /// opens belongs to that end.
    pub(super) fn inside<T: Send>(
        &self,
        end: End,
        body: impl FnOnce() -> Result<T, HarnessError> + Send,
    ) -> Result<T, HarnessError> {
        let ns = match end {
            End::Server => &self.server_ns,
            End::Client => &self.client_ns,
        };
        inside(Some(ns), body)
    }

    /// Every IP packet each end received until `quiet` passes without one:
    /// `(sender, packet)`, in the order each port saw them.
    pub(super) fn received(
        &mut self,
        quiet: Duration,
    ) -> Result<Vec<(End, Vec<u8>)>, HarnessError> {
        let mut out = Vec::new();
        for (sender, port) in [
            (End::Client, &mut self.from_client),
            (End::Server, &mut self.from_server),
        ] {
            while let Some(frame) = port.recv_frame(Instant::now() + quiet)? {
                let (Some(ethertype), Some(packet)) = (frame.get(12..14), frame.get(14..)) else {
                    continue;
                };
                if ethertype == ETHERTYPE_V4 || ethertype == ETHERTYPE_V6 {
                    out.push((sender, packet.to_vec()));
                }
            }
        }
        Ok(out)
    }
}
