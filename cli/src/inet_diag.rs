//! Every TCP socket of the calling thread's network namespace, with its MD5
//! keys, from `NETLINK_SOCK_DIAG` (what `ss -tie` reads). The kernel adds
//! `INET_DIAG_MD5SIG` only for a requester with `CAP_NET_ADMIN`, and says
//! nothing when it leaves it out: the caller must know the capability
//! (see [`crate::capability`]) before it calls a socket keyless.

use std::net::{IpAddr, SocketAddr};

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload, Nla,
};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP};
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags, nlas};
use netlink_sys::{Socket, SocketAddr as NetlinkAddr, protocols::NETLINK_SOCK_DIAG};

use crate::md5sig_attr::{self, SocketKey};
use tcpmd5_witness::tcp_state::TcpState;

/// `INET_DIAG_MD5SIG`.
const INET_DIAG_MD5SIG: u16 = 18;

/// One TCP socket.
#[derive(Debug, Clone)]
pub struct DiagSocket {
    /// Its state.
    pub state: TcpState,
    /// Local address and port (unspecified for a wildcard listener).
    pub local: SocketAddr,
    /// Remote address and port (unspecified for a listener).
    pub remote: SocketAddr,
    /// The device it is bound to (`SO_BINDTODEVICE`, a VRF), 0 for none.
    pub bound_ifindex: u32,
    /// Its inode, to find the owning process.
    pub inode: u32,
    /// Its MD5 keys (empty: none, or not readable without `CAP_NET_ADMIN`).
    pub md5_keys: Vec<SocketKey>,
}

/// A dump that failed.
#[derive(Debug, thiserror::Error)]
pub enum DiagError {
    /// The netlink socket failed.
    #[error("sock_diag {op}: {source}")]
    Socket {
        /// What was being done.
        op: &'static str,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The kernel answered with an error.
    #[error("sock_diag dump: {0}")]
    Kernel(std::io::Error),
    /// An answer could not be decoded.
    #[error("sock_diag answer: {0}")]
    Decode(String),
    /// A socket's MD5 attribute could not be decoded.
    #[error("socket {local} -> {remote}: {source}")]
    Md5Sig {
        /// Its local end.
        local: SocketAddr,
        /// Its remote end.
        remote: SocketAddr,
        /// What was wrong.
        source: md5sig_attr::Md5SigAttrError,
    },
}

fn sock_err(op: &'static str) -> impl FnOnce(std::io::Error) -> DiagError {
    move |source| DiagError::Socket { op, source }
}

/// Every TCP socket of both families.
pub fn tcp_sockets() -> Result<Vec<DiagSocket>, DiagError> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG).map_err(sock_err("socket"))?;
    socket.bind_auto().map_err(sock_err("bind"))?;
    socket
        .connect(&NetlinkAddr::new(0, 0))
        .map_err(sock_err("connect"))?;
    let mut out = Vec::new();
    for family in [AF_INET, AF_INET6] {
        dump(&socket, family, &mut out)?;
    }
    Ok(out)
}

fn dump(socket: &Socket, family: u8, out: &mut Vec<DiagSocket>) -> Result<(), DiagError> {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let mut request = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            // The kernel adds the MD5 keys (an "aux" attribute) only to
            // answers that carry INET_DIAG_INFO (seen on 6.18).
            extensions: ExtensionFlags::INFO,
            states: StateFlags::all(),
            socket_id: if family == AF_INET {
                SocketId::new_v4()
            } else {
                SocketId::new_v6()
            },
        })
        .into(),
    );
    request.finalize();
    let mut buf = vec![0u8; request.buffer_len()];
    request.serialize(&mut buf);
    socket.send(&buf, 0).map_err(sock_err("send"))?;
    loop {
        let (data, _) = socket.recv_from_full().map_err(sock_err("recv"))?;
        if data.is_empty() {
            return Err(DiagError::Decode(
                "the dump ended without NLMSG_DONE".into(),
            ));
        }
        let mut rest = data.as_slice();
        while !rest.is_empty() {
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(rest)
                .map_err(|e| DiagError::Decode(e.to_string()))?;
            let len = usize::try_from(message.header.length).unwrap_or(0);
            match message.payload {
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(e) => {
                    return Err(DiagError::Kernel(e.to_io()));
                }
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(r)) => {
                    out.push(socket_of(&r)?);
                }
                _ => {}
            }
            // Messages are 4-byte aligned.
            let step = len.div_ceil(4) * 4;
            if step == 0 {
                return Err(DiagError::Decode("a message of length 0".into()));
            }
            rest = rest.get(step..).unwrap_or_default();
        }
    }
}

fn socket_of(r: &netlink_packet_sock_diag::inet::InetResponse) -> Result<DiagSocket, DiagError> {
    let id = &r.header.socket_id;
    let local = SocketAddr::new(unmap(id.source_address), id.source_port);
    let remote = SocketAddr::new(unmap(id.destination_address), id.destination_port);
    let mut md5_keys = Vec::new();
    for nla in &r.nlas {
        if let nlas::Nla::Other(attr) = nla
            && attr.kind() == INET_DIAG_MD5SIG
        {
            let mut value = vec![0u8; attr.value_len()];
            attr.emit_value(&mut value);
            let keys = md5sig_attr::parse(&value);
            // The copy held key bytes: cleared before it is freed.
            value.fill(0);
            md5_keys = keys.map_err(|source| DiagError::Md5Sig {
                local,
                remote,
                source,
            })?;
        }
    }
    Ok(DiagSocket {
        state: TcpState::from_kernel(r.header.state),
        local,
        remote,
        bound_ifindex: id.interface_id,
        inode: r.header.inode,
        md5_keys,
    })
}

/// A v4-mapped IPv6 address as the IPv4 address it is (a dual-stack
/// socket's view of an IPv4 peer).
pub fn unmap(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}
