//! One AO connection between two kernel sockets: handshake, data each
//! way, the client's FIN, and the server's RST from `close()` with
//! `SO_LINGER` 0; every segment of it as the other end received it.

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::os::fd::AsFd as _;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tcpmd5::Family;
use tcpmd5::ao::{MasterKey, Mkt};
use tcpmd5::wire::IpSegment;

use super::pair::{End, VethPair};
use super::rows::Row;
use crate::harness::ao_sockopt::{AoAddKey, add_key};
use crate::harness::{HarnessError, sysctl};
use crate::vector_capture::error::{CaptureError, io};

/// What the client writes (less than one MSS: one segment).
const CLIENT_DATA: &[u8] = b"client data under TCP-AO, one segment";
/// What the server writes back.
const SERVER_DATA_LEN: usize = 120;
/// Bound on every blocking socket call (TCG is slow).
const SOCKET_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a capture port stays silent before the connection is over.
const QUIET: Duration = Duration::from_millis(400);

/// One connection's segments.
#[derive(Debug)]
pub(super) struct Connection {
    /// The client's and the server's ends (address and port).
    pub(super) client: SocketAddr,
    pub(super) server: SocketAddr,
    /// Each segment with the end that sent it, per end in arrival order.
    pub(super) packets: Vec<(End, Vec<u8>)>,
}

/// The MKT `end` holds for its peer in `row`.
pub(super) fn mkt(row: &Row, end: End, peer: IpAddr) -> Result<Mkt, CaptureError> {
    let secret = MasterKey::new(row.master_key)
        .map_err(|e| io(format!("row {}", row.name))(std::io::Error::other(e)))?;
    let (send, recv) = match end {
        End::Client => (row.client_id, row.server_id),
        End::Server => (row.server_id, row.client_id),
    };
    Ok(Mkt {
        coverage: row.coverage,
        mac_len: row.mac_len,
        ..Mkt::new(peer, send, recv, row.algorithm, secret)
    })
}

/// A TCP socket of `family` holding `key`, opened inside `end`'s namespace.
fn keyed_socket(
    pair: &VethPair,
    end: End,
    family: Family,
    key: AoAddKey,
) -> Result<Socket, CaptureError> {
    let domain = match family {
        Family::V4 => Domain::IPV4,
        Family::V6 => Domain::IPV6,
    };
    let opened = pair.inside(end, move || {
        let sock = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))
            .map_err(|e| HarnessError::io("socket", &e))?;
        add_key(sock.as_fd(), &key).map_err(|errno| HarnessError::Sys {
            op: "TCP_AO_ADD_KEY".to_owned(),
            errno,
        })?;
        Ok(sock)
    });
    match opened {
        Err(e) if e.errno().is_some_and(|e| e.0 == libc::ENOPROTOOPT) => Err(CaptureError::NoTcpAo),
        other => Ok(other?),
    }
}

/// Runs `row` over `family` with the server on `port`.
pub(super) fn run(
    pair: &mut VethPair,
    row: &Row,
    family: Family,
    port: u16,
) -> Result<Connection, CaptureError> {
    let server_ip = VethPair::addr(End::Server, family);
    let client_ip = VethPair::addr(End::Client, family);
    let server_key = AoAddKey::for_mkt(&mkt(row, End::Server, client_ip)?);
    let client_key = AoAddKey::for_mkt(&mkt(row, End::Client, server_ip)?);
    let server = SocketAddr::new(server_ip, port);

    let listener = keyed_socket(pair, End::Server, family, server_key)?;
    listener
        .bind(&server.into())
        .map_err(io(format!("bind {server}")))?;
    listener.listen(4).map_err(io("listen"))?;
    let sack = if row.client_sack { "1" } else { "0" };
    pair.inside(End::Client, move || {
        sysctl::write("net/ipv4/tcp_sack", sack)
    })?;
    let client_sock = keyed_socket(pair, End::Client, family, client_key)?;
    client_sock
        .connect_timeout(&server.into(), SOCKET_TIMEOUT)
        .map_err(io(format!("connect {server}")))?;
    let client = client_sock
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .ok_or_else(|| io("client address")(std::io::Error::other("not an inet socket")))?;
    let (conn, _) = listener.accept().map_err(io("accept"))?;
    for s in [&client_sock, &conn] {
        s.set_read_timeout(Some(SOCKET_TIMEOUT))
            .map_err(io("SO_RCVTIMEO"))?;
    }

    (&client_sock)
        .write_all(CLIENT_DATA)
        .map_err(io("client write"))?;
    let mut got = vec![0u8; CLIENT_DATA.len()];
    (&conn).read_exact(&mut got).map_err(io("server read"))?;
    let server_data: Vec<u8> = (0..SERVER_DATA_LEN).map(|i| (i * 7 + 3) as u8).collect();
    (&conn)
        .write_all(&server_data)
        .map_err(io("server write"))?;
    let mut got = vec![0u8; SERVER_DATA_LEN];
    (&client_sock)
        .read_exact(&mut got)
        .map_err(io("client read"))?;
    client_sock
        .shutdown(Shutdown::Write)
        .map_err(io("client shutdown"))?;
    let mut end = [0u8; 1];
    let n = (&conn)
        .read(&mut end)
        .map_err(io("server read of the FIN"))?;
    if n != 0 {
        return Err(io("server read of the FIN")(std::io::Error::other(
            "data instead of end of stream",
        )));
    }
    conn.set_linger(Some(Duration::ZERO))
        .map_err(io("SO_LINGER"))?;
    drop(conn);
    // The RST ends the client's half-closed socket: ECONNRESET (or end of
    // stream), either is fine.
    let _ = (&client_sock).read(&mut end);
    drop(client_sock);
    drop(listener);

    let packets = pair
        .received(QUIET)?
        .into_iter()
        .filter(|(_, p)| belongs(p, client, server))
        .collect();
    Ok(Connection {
        client,
        server,
        packets,
    })
}

/// Whether `packet` is a TCP segment between `a` and `b`.
fn belongs(packet: &[u8], a: SocketAddr, b: SocketAddr) -> bool {
    let Ok(seg) = IpSegment::parse(packet) else {
        return false;
    };
    let tcp = seg.tcp();
    let src = SocketAddr::new(seg.addrs.src(), tcp.src_port());
    let dst = SocketAddr::new(seg.addrs.dst(), tcp.dst_port());
    (src == a && dst == b) || (src == b && dst == a)
}
