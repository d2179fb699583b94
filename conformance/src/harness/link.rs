//! Interface, address and neighbour set-up over rtnetlink, synchronously.
//!
//! Each call opens its own `NETLINK_ROUTE` socket: a netlink socket belongs to
//! the namespace of the thread that created it, so a cached one would outlive
//! a lab and talk to the wrong namespace.

use std::net::IpAddr;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST, NetlinkHeader,
    NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope,
};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, InfoVrf, LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State,
};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteType};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use super::errno::Errno;
use super::error::HarnessError;

/// A MAC address.
pub type Mac = [u8; 6];

/// Administrative and operational state of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkStatus {
    /// `IFF_UP` is set.
    pub admin_up: bool,
    /// `IFF_LOWER_UP` is set (carrier).
    pub lower_up: bool,
    /// `IFLA_OPERSTATE` is `IF_OPER_UP`.
    pub oper_up: bool,
}

/// A synchronous rtnetlink connection in the calling thread's namespace.
#[derive(Debug)]
pub struct Rtnl {
    sock: Socket,
    seq: u32,
}

impl Rtnl {
    /// Opens a route socket in the calling thread's current namespace.
    pub fn open() -> Result<Rtnl, HarnessError> {
        let mut sock = Socket::new(NETLINK_ROUTE)
            .map_err(|e| HarnessError::io("socket(NETLINK_ROUTE)", &e))?;
        sock.bind_auto()
            .map_err(|e| HarnessError::io("bind(netlink)", &e))?;
        sock.connect(&SocketAddr::new(0, 0))
            .map_err(|e| HarnessError::io("connect(netlink)", &e))?;
        Ok(Rtnl { sock, seq: 0 })
    }

    /// Sends one request with `NLM_F_ACK` and returns the messages answered
    /// before the acknowledgement; a negative ack becomes `HarnessError::Netlink`.
    pub fn request(
        &mut self,
        op: &str,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Vec<RouteNetlinkMessage>, HarnessError> {
        self.seq = self.seq.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        header.sequence_number = self.seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(msg));
        packet.finalize();
        let mut buf = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.sock
            .send(&buf, 0)
            .map_err(|e| HarnessError::io(format!("netlink send {op}"), &e))?;

        let mut answers = Vec::new();
        loop {
            let (data, _) = self
                .sock
                .recv_from_full()
                .map_err(|e| HarnessError::io(format!("netlink recv {op}"), &e))?;
            let mut rest: &[u8] = &data;
            while !rest.is_empty() {
                let msg =
                    NetlinkMessage::<RouteNetlinkMessage>::deserialize(rest).map_err(|e| {
                        HarnessError::Protocol {
                            op: op.to_owned(),
                            detail: e.to_string(),
                        }
                    })?;
                let len = (msg.header.length as usize + 3) & !3;
                rest = rest.get(len.max(1)..).unwrap_or(&[]);
                if msg.header.sequence_number != self.seq {
                    continue;
                }
                match msg.payload {
                    NetlinkPayload::Error(e) => {
                        return match e.code {
                            None => Ok(answers),
                            Some(code) => Err(HarnessError::Netlink {
                                op: op.to_owned(),
                                errno: Errno(-code.get()),
                            }),
                        };
                    }
                    NetlinkPayload::Done(_) => return Ok(answers),
                    NetlinkPayload::InnerMessage(m) => answers.push(m),
                    _ => {}
                }
            }
        }
    }

    fn get_link(&mut self, op: &str, msg: LinkMessage) -> Result<LinkMessage, HarnessError> {
        let answers = self.request(op, RouteNetlinkMessage::GetLink(msg), 0)?;
        answers
            .into_iter()
            .find_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(l),
                _ => None,
            })
            .ok_or_else(|| HarnessError::Protocol {
                op: op.to_owned(),
                detail: "no RTM_NEWLINK in the answer".to_owned(),
            })
    }

    fn link_by_index(&mut self, ifindex: u32) -> Result<LinkMessage, HarnessError> {
        let mut msg = LinkMessage::default();
        msg.header.index = ifindex;
        self.get_link(&format!("get link {ifindex}"), msg)
    }
}

/// Brings a link administratively up.
pub fn set_up(ifindex: u32) -> Result<(), HarnessError> {
    let mut msg = LinkMessage::default();
    msg.header.index = ifindex;
    msg.header.flags = LinkFlags::Up;
    msg.header.change_mask = LinkFlags::Up;
    Rtnl::open()?.request(
        &format!("set link {ifindex} up"),
        RouteNetlinkMessage::SetLink(msg),
        0,
    )?;
    Ok(())
}

/// Sets a link's MAC address (do it while the link is down).
pub fn set_mac(ifindex: u32, mac: Mac) -> Result<(), HarnessError> {
    let mut msg = LinkMessage::default();
    msg.header.index = ifindex;
    msg.attributes.push(LinkAttribute::Address(mac.to_vec()));
    Rtnl::open()?.request(
        &format!("set link {ifindex} address"),
        RouteNetlinkMessage::SetLink(msg),
        0,
    )?;
    Ok(())
}

/// Creates a veth pair `name` <-> `peer_name` in the current namespace.
pub fn create_veth(name: &str, peer_name: &str) -> Result<(), HarnessError> {
    let mut peer = LinkMessage::default();
    peer.attributes
        .push(LinkAttribute::IfName(peer_name.to_owned()));
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
    msg.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
    ]));
    Rtnl::open()?.request(
        &format!("create veth {name}/{peer_name}"),
        RouteNetlinkMessage::NewLink(msg),
        NLM_F_CREATE | NLM_F_EXCL,
    )?;
    Ok(())
}

/// Moves a link into the network namespace `ns` refers to (it leaves the
/// current one, with its addresses and state).
pub fn move_to_namespace(ifindex: u32, ns: &std::fs::File) -> Result<(), HarnessError> {
    use std::os::fd::AsRawFd as _;
    let mut msg = LinkMessage::default();
    msg.header.index = ifindex;
    msg.attributes.push(LinkAttribute::NetNsFd(ns.as_raw_fd()));
    Rtnl::open()?.request(
        &format!("move link {ifindex} to another namespace"),
        RouteNetlinkMessage::SetLink(msg),
        0,
    )?;
    Ok(())
}

/// Creates a VRF device `name` using routing table `table` (CONFIG_NET_VRF).
pub fn create_vrf(name: &str, table: u32) -> Result<(), HarnessError> {
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
    msg.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Vrf),
        LinkInfo::Data(InfoData::Vrf(vec![InfoVrf::TableId(table)])),
    ]));
    Rtnl::open()?.request(
        &format!("create vrf {name} table {table}"),
        RouteNetlinkMessage::NewLink(msg),
        NLM_F_CREATE | NLM_F_EXCL,
    )?;
    Ok(())
}

/// Enslaves a link to an L3 master (a VRF), or releases it (`master` 0).
pub fn set_master(ifindex: u32, master: u32) -> Result<(), HarnessError> {
    let mut msg = LinkMessage::default();
    msg.header.index = ifindex;
    msg.attributes.push(LinkAttribute::Controller(master));
    Rtnl::open()?.request(
        &format!("set link {ifindex} master {master}"),
        RouteNetlinkMessage::SetLink(msg),
        0,
    )?;
    Ok(())
}

/// The index of the interface called `name` (ENODEV if there is none).
pub fn ifindex(name: &str) -> Result<u32, HarnessError> {
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
    let link = Rtnl::open()?.get_link(&format!("get link {name}"), msg)?;
    Ok(link.header.index)
}

/// The MAC address of a link.
pub fn mac(ifindex: u32) -> Result<Mac, HarnessError> {
    let link = Rtnl::open()?.link_by_index(ifindex)?;
    link.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::Address(bytes) => <Mac>::try_from(bytes.as_slice()).ok(),
            _ => None,
        })
        .ok_or_else(|| HarnessError::Protocol {
            op: format!("get link {ifindex}"),
            detail: "no 6-byte IFLA_ADDRESS".to_owned(),
        })
}

/// Admin, carrier and operational state of a link.
pub fn status(ifindex: u32) -> Result<LinkStatus, HarnessError> {
    let link = Rtnl::open()?.link_by_index(ifindex)?;
    let oper_up = link
        .attributes
        .iter()
        .any(|a| matches!(a, LinkAttribute::OperState(State::Up)));
    Ok(LinkStatus {
        admin_up: link.header.flags.contains(LinkFlags::Up),
        lower_up: link.header.flags.contains(LinkFlags::LowerUp),
        oper_up,
    })
}

fn family_of(ip: &IpAddr) -> AddressFamily {
    match ip {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

/// Adds an address; IPv6 addresses get `IFA_F_NODAD` so they are usable at once.
pub fn add_address(ifindex: u32, ip: IpAddr, prefix_len: u8) -> Result<(), HarnessError> {
    let mut msg = AddressMessage::default();
    msg.header.family = family_of(&ip);
    msg.header.prefix_len = prefix_len;
    msg.header.index = ifindex;
    msg.header.scope = AddressScope::Universe;
    msg.attributes.push(AddressAttribute::Local(ip));
    msg.attributes.push(AddressAttribute::Address(ip));
    if ip.is_ipv6() {
        msg.header.flags = AddressHeaderFlags::Nodad;
        msg.attributes
            .push(AddressAttribute::Flags(AddressFlags::Nodad));
    }
    Rtnl::open()?.request(
        &format!("add address {ip}/{prefix_len} on {ifindex}"),
        RouteNetlinkMessage::NewAddress(msg),
        NLM_F_CREATE | NLM_F_EXCL,
    )?;
    Ok(())
}

/// Adds (or replaces) a permanent neighbour entry, so the kernel never has to
/// resolve the peer with ARP/NDP.
pub fn add_neighbour(ifindex: u32, ip: IpAddr, mac: Mac) -> Result<(), HarnessError> {
    let mut msg = NeighbourMessage::default();
    msg.header.family = family_of(&ip);
    msg.header.ifindex = ifindex;
    msg.header.state = NeighbourState::Permanent;
    let dest = match ip {
        IpAddr::V4(a) => NeighbourAddress::Inet(a),
        IpAddr::V6(a) => NeighbourAddress::Inet6(a),
    };
    msg.attributes.push(NeighbourAttribute::Destination(dest));
    msg.attributes
        .push(NeighbourAttribute::LinkLayerAddress(mac.to_vec()));
    Rtnl::open()?.request(
        &format!("add neighbour {ip} on {ifindex}"),
        RouteNetlinkMessage::NewNeighbour(msg),
        NLM_F_CREATE | NLM_F_REPLACE,
    )?;
    Ok(())
}

/// Whether a route lookup for `ip` (like `ip route get`) finds a local route,
/// i.e. the kernel will accept packets addressed to it. IPv6 installs the
/// local route of a new address from a work queue, even with `IFA_F_NODAD`,
/// so an address can be listed before packets to it are accepted.
pub fn is_local(ip: IpAddr) -> Result<bool, HarnessError> {
    is_local_via(ip, None)
}

/// [`is_local`] for a lookup bound to `oif` (a VRF: `ip route get … vrf X`).
pub fn is_local_via(ip: IpAddr, oif: Option<u32>) -> Result<bool, HarnessError> {
    let mut msg = RouteMessage::default();
    if let Some(oif) = oif {
        msg.attributes.push(RouteAttribute::Oif(oif));
    }
    msg.header.address_family = family_of(&ip);
    let (dst, len) = match ip {
        IpAddr::V4(a) => (RouteAddress::Inet(a), 32),
        IpAddr::V6(a) => (RouteAddress::Inet6(a), 128),
    };
    msg.header.destination_prefix_length = len;
    msg.attributes.push(RouteAttribute::Destination(dst));
    let op = format!("get route {ip}");
    let answers = match Rtnl::open()?.request(&op, RouteNetlinkMessage::GetRoute(msg), 0) {
        Ok(a) => a,
        Err(HarnessError::Netlink { errno, .. })
            if errno.0 == libc::ENETUNREACH || errno.0 == libc::EHOSTUNREACH =>
        {
            return Ok(false);
        }
        Err(e) => return Err(e),
    };
    Ok(answers.iter().any(
        |m| matches!(m, RouteNetlinkMessage::NewRoute(r) if r.header.kind == RouteType::Local),
    ))
}
