//! A TCP-AO connection placed where traffic cannot bring one: the kernel's
//! socket is made in `TCP_REPAIR` mode (as CRIU restores a connection)
//! with its sequence numbers chosen (`TCP_QUEUE_SEQ`), its MKTs added, a
//! `connect()` that sends no SYN, the ISNs and SNEs written with
//! `TCP_AO_REPAIR` and the window with `TCP_REPAIR_WINDOW`; the peer takes
//! the other end with the same numbers.

use std::net::SocketAddr;
use std::os::fd::AsFd;

use socket2::{Domain, Protocol, Socket, Type};
use tcpmd5::Family;
use tcpmd5::ao::{Mkt, MktTable};
use tcpmd5::key_table::KeyTable;
use tcpmd5::wire::SeqNumber;

use super::ao::{AoConn, ao_peer_at};
use super::conn::KernelConn;
use crate::case::Ctx;
use crate::error::Error;
use crate::harness::ao_sockopt::{self, AoAddKey, AoRepair};
use crate::harness::sockopt::setsockopt_tcp;
use crate::peer::Peer;

/// `TCP_RECV_QUEUE` and `TCP_SEND_QUEUE` of `TCP_REPAIR_QUEUE`.
const RECV_QUEUE: i32 = 1;
const SEND_QUEUE: i32 = 2;
/// `TCP_REPAIR_OFF_NO_WP`.
const REPAIR_OFF_NO_WINDOW_PROBE: i32 = -1;
/// The window both ends offer.
const WINDOW: u32 = 64240;

fn set(sock: &Socket, name: libc::c_int, what: &str, value: &[u8]) -> Result<(), Error> {
    setsockopt_tcp(sock.as_fd(), name, value).map_err(Error::errno(what.to_owned()))
}

/// The kernel's socket to the peer with ISN `kernel_isn` (the peer's
/// `peer_isn`), holding `keys`, established without a handshake; the AO
/// peer at the other end (signing with KeyID `ids.0`, asking for `ids.1`).
pub(in crate::cases) fn repaired(
    ctx: &Ctx<'_>,
    family: Family,
    salt: u16,
    keys: &[Mkt],
    ids: (u8, u8),
    (kernel_isn, peer_isn): (u32, u32),
) -> Result<(Peer, AoConn), Error> {
    let mut peer = ao_peer_at(ctx, family, salt, keys, ids, SeqNumber(peer_isn))?;
    let local = SocketAddr::new(ctx.lab.kernel_addr(family), 46000 + salt);
    peer.kernel_port = local.port();
    let sock = Socket::new(
        Domain::for_address(local),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(Error::io("socket for the repaired connection"))?;
    set(
        &sock,
        libc::TCP_REPAIR,
        "TCP_REPAIR on",
        &1i32.to_ne_bytes(),
    )?;
    sock.bind(&local.into())
        .map_err(Error::io(format!("bind {local}")))?;
    for (queue, seq, what) in [
        (
            SEND_QUEUE,
            kernel_isn.wrapping_add(1),
            "TCP_QUEUE_SEQ (send)",
        ),
        (
            RECV_QUEUE,
            peer_isn.wrapping_add(1),
            "TCP_QUEUE_SEQ (receive)",
        ),
    ] {
        set(
            &sock,
            libc::TCP_REPAIR_QUEUE,
            "TCP_REPAIR_QUEUE",
            &queue.to_ne_bytes(),
        )?;
        set(&sock, libc::TCP_QUEUE_SEQ, what, &seq.to_ne_bytes())?;
    }
    let mut mkts = MktTable::new();
    for k in keys {
        ao_sockopt::add_key(sock.as_fd(), &AoAddKey::for_mkt(k))
            .map_err(Error::errno("TCP_AO_ADD_KEY on the repaired socket"))?;
        mkts.add(k.clone());
    }
    let remote = peer.peer();
    sock.connect(&remote.into())
        .map_err(Error::io(format!("connect {remote} in repair mode")))?;
    let repair = AoRepair {
        snt_isn: kernel_isn,
        rcv_isn: peer_isn,
        snd_sne: 0,
        rcv_sne: 0,
    };
    ao_sockopt::set_repair(sock.as_fd(), &repair).map_err(Error::errno("TCP_AO_REPAIR set"))?;
    // struct tcp_repair_window: snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup.
    let window: Vec<u8> = [
        peer_isn.wrapping_add(1),
        WINDOW,
        WINDOW,
        WINDOW,
        peer_isn.wrapping_add(1),
    ]
    .iter()
    .flat_map(|v| v.to_ne_bytes())
    .collect();
    set(&sock, libc::TCP_REPAIR_WINDOW, "TCP_REPAIR_WINDOW", &window)?;
    set(
        &sock,
        libc::TCP_REPAIR,
        "TCP_REPAIR off",
        &REPAIR_OFF_NO_WINDOW_PROBE.to_ne_bytes(),
    )?;
    sock.set_nonblocking(true)
        .map_err(Error::io("O_NONBLOCK on the repaired socket"))?;
    peer.snd_nxt = peer.isn + 1;
    peer.sent(0);
    peer.rcv_nxt = SeqNumber(kernel_isn.wrapping_add(1));
    if let Some(ao) = peer.ao.as_mut() {
        ao.set_remote_isn(kernel_isn);
    }
    let conn = KernelConn {
        sock,
        family,
        model: KeyTable::new(),
        devices: Vec::new(),
    };
    Ok((
        peer,
        AoConn {
            conn,
            mkts,
            kernel_isn,
        },
    ))
}
