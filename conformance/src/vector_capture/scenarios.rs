//! The capture scenarios: the kernel as client and as server.

use std::io::Write as _;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tcpmd5::wire::tcp::TcpFlags;
use tcpmd5::{Family, Md5SigRequest};
use tcpmd5_testkit::vector_keys::VectorKey;

use super::error::CaptureError;
use super::error::io;
use super::sink::Sink;
use super::wire::{Step, Wire};
use crate::exchange::Barrier;
use crate::exchange::payload_len;
use crate::harness::Lab;
use crate::harness::sockopt;
use crate::listener::Listener;
use crate::peer::Peer;

/// Kernel as client: SYN, handshake ACK, data (1 and 1460 bytes, the latter
/// split by the MSS), FIN, the ACK of the peer's FIN (entering TIME-WAIT)
/// and the TIME-WAIT socket's ACK of a retransmitted FIN.
pub(super) fn client(
    lab: &mut Lab,
    barrier: &mut Barrier,
    sink: &mut Sink,
    family: Family,
    key: &VectorKey,
    peer_port: u16,
) -> Result<(), CaptureError> {
    let (kernel, peer) = (lab.kernel_addr(family), lab.peer_addr(family));
    let k = key.key.clone();
    let sock = Socket::new(
        Domain::for_address(SocketAddr::new(kernel, 0)),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(io("socket"))?;
    sockopt::set_md5sig(sock.as_fd(), &Md5SigRequest::add(peer, &k))
        .map_err(|e| io("setsockopt(TCP_MD5SIG)")(std::io::Error::from_raw_os_error(e.0)))?;
    sock.set_tcp_nodelay(true).map_err(io("TCP_NODELAY"))?;
    sock.bind(&SocketAddr::new(kernel, 0).into())
        .map_err(io("bind"))?;
    let kernel_port = sock
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map_or(0, |a| a.port());
    sock.set_nonblocking(true).map_err(io("nonblocking"))?;
    lab.drain()?;
    match sock.connect(&SocketAddr::new(peer, peer_port).into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(io("connect")(e)),
    }
    let peer = Peer::new(lab, family, peer_port, kernel_port, 0x5eed_0000, Some(k))
        .map_err(CaptureError::Peer)?;
    let mut w = Wire::new(lab, barrier, peer);
    let mut at = Step {
        family,
        role: "client",
        key,
        n: 0,
    };
    let done = client_steps(&mut w, sink, &mut at, sock);
    w.report(sink, &at.tag("all"));
    done
}

fn client_steps(
    w: &mut Wire<'_>,
    sink: &mut Sink,
    at: &mut Step<'_>,
    sock: Socket,
) -> Result<(), CaptureError> {
    let Some(syn) = w.recv(&|f| f.contains(TcpFlags::SYN) && !f.contains(TcpFlags::ACK))? else {
        sink.summary.missing.push(at.tag("syn"));
        return Ok(());
    };
    at.push(
        sink,
        "syn",
        "the kernel's SYN from connect() on a socket with a key",
        &syn.packet,
    );
    w.peer.rcv_nxt = syn.seq + 1;
    let synack = w.peer.syn_ack(&w.signed);
    w.send(&synack)?;
    w.peer.snd_nxt = w.peer.isn + 1;
    let Some(ack) = w.recv(&|f| f == TcpFlags::ACK)? else {
        sink.summary.missing.push(at.tag("ack"));
        return Ok(());
    };
    at.push(
        sink,
        "ack",
        "the kernel's handshake ACK (answering the peer's signed SYN-ACK)",
        &ack.packet,
    );
    for size in [1usize, 1460] {
        let data: Vec<u8> = (0..size)
            .map(|i| (i as u8).wrapping_mul(7).wrapping_add(size as u8))
            .collect();
        (&sock).write_all(&data).map_err(io("write"))?;
        let comment = format!("a data segment of the kernel's {size}-byte write");
        if !w.data(sink, at, size, &comment)? {
            return Ok(());
        }
    }
    sock.shutdown(Shutdown::Write).map_err(io("shutdown"))?;
    let Some(fin) = w.recv(&|f| f.contains(TcpFlags::FIN))? else {
        sink.summary.missing.push(at.tag("fin"));
        return Ok(());
    };
    at.push(
        sink,
        "fin",
        "the kernel's FIN after shutdown(SHUT_WR)",
        &fin.packet,
    );
    w.peer.rcv_nxt = fin.seq.add_len(payload_len(&fin)) + 1;
    let peer_fin = w.peer.fin(&w.signed);
    w.send(&peer_fin)?;
    w.peer.sent(1);
    let Some(last) = w.recv(&|f| f == TcpFlags::ACK)? else {
        sink.summary.missing.push(at.tag("ack of FIN"));
        return Ok(());
    };
    at.push(
        sink,
        "ack",
        "the kernel's ACK of the peer's FIN, entering TIME-WAIT",
        &last.packet,
    );
    drop(sock);
    // A retransmitted FIN reaches the TIME-WAIT socket, which ACKs it again
    // (signed with the key copied into the timewait sock).
    w.seen.clear();
    w.send(&peer_fin)?;
    match w.recv(&|f| f == TcpFlags::ACK)? {
        Some(tw) => at.push(
            sink,
            "time-wait-ack",
            "the TIME-WAIT socket's ACK of a retransmitted FIN",
            &tw.packet,
        ),
        None => sink.summary.missing.push(at.tag("time-wait ack")),
    }
    Ok(())
}

/// Kernel as server: SYN-ACK to a signed SYN, data (536 bytes), then RST
/// from close() with SO_LINGER 0.
pub(super) fn server(
    lab: &mut Lab,
    barrier: &mut Barrier,
    sink: &mut Sink,
    family: Family,
    key: &VectorKey,
    kernel_port: u16,
    peer_port: u16,
) -> Result<(), CaptureError> {
    let k = key.key.clone();
    let mut listener =
        Listener::open(lab, family, kernel_port, false).map_err(CaptureError::Peer)?;
    listener
        .add_key(lab.peer_addr(family), &k)
        .map_err(CaptureError::Peer)?;
    lab.drain()?;
    let peer = Peer::new(lab, family, peer_port, kernel_port, 0x0c1e_0000, Some(k))
        .map_err(CaptureError::Peer)?;
    let mut w = Wire::new(lab, barrier, peer);
    let mut at = Step {
        family,
        role: "server",
        key,
        n: 0,
    };
    let done = server_steps(&mut w, sink, &mut at, &listener);
    w.report(sink, &at.tag("all"));
    done
}

fn server_steps(
    w: &mut Wire<'_>,
    sink: &mut Sink,
    at: &mut Step<'_>,
    listener: &Listener,
) -> Result<(), CaptureError> {
    let synack = match w.peer.syn_to_listener(w.lab, w.barrier, &w.signed) {
        Ok(r) => r,
        Err(e) => {
            sink.summary.missing.push(at.tag(&format!("syn-ack: {e}")));
            return Ok(());
        }
    };
    w.fresh(&synack);
    at.push(
        sink,
        "syn-ack",
        "the listener's SYN-ACK to the peer's signed SYN",
        &synack.packet,
    );
    let third = w.peer.ack(&w.signed);
    w.send(&third)?;
    // The barrier is back: the handshake is complete if it is going to be.
    let Some(conn) = listener.accept().map_err(CaptureError::Peer)? else {
        sink.summary.missing.push(at.tag("accept"));
        return Ok(());
    };
    conn.set_tcp_nodelay(true).map_err(io("TCP_NODELAY"))?;
    let data: Vec<u8> = (0..536u32).map(|i| (i % 251) as u8).collect();
    (&conn).write_all(&data).map_err(io("write"))?;
    let comment = "a data segment of the accepted socket's 536-byte write";
    if !w.data(sink, at, data.len(), comment)? {
        return Ok(());
    }
    // The ACK of the data has been processed (barrier): the RST's sequence
    // is final.
    conn.set_linger(Some(Duration::ZERO))
        .map_err(io("SO_LINGER"))?;
    drop(conn);
    match w.recv(&|f| f.contains(TcpFlags::RST))? {
        Some(rst) => at.push(
            sink,
            "rst",
            "the kernel's RST from close() with SO_LINGER 0",
            &rst.packet,
        ),
        None => sink.summary.missing.push(at.tag("rst")),
    }
    Ok(())
}
