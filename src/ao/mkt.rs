//! Master key tuples (RFC 5925 §3.1) as a Linux socket holds them
//! (`TCP_AO_ADD_KEY`), and the lookup the receive path makes.
//!
//! Linux keeps a socket's MKTs in a list, newest first, and the first one
//! that matches wins (`__tcp_ao_do_lookup`): there is no longest-prefix
//! rule as for MD5 keys. A key matches a peer when the families agree, the
//! peer is inside the key's prefix, the key's L3 domain is the segment's
//! when the key is bound to one (`TCP_AO_KEYF_IFINDEX`), and the KeyIDs
//! asked for (if any) are the key's.

use core::net::IpAddr;

use super::algorithm::Algorithm;
use super::mac_input::OptionCoverage;
use super::master_key::MasterKey;

/// One MKT. `Debug` never shows the secret (see [`MasterKey`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mkt {
    /// The peer address (the network address for a prefix).
    pub peer: IpAddr,
    /// The prefix length (32 or 128 for one peer, 0 for any).
    pub prefix: u8,
    /// The L3 domain the key is bound to (`TCP_AO_KEYF_IFINDEX`), if any.
    pub l3index: Option<i32>,
    /// The KeyID this end sends (`sndid`).
    pub send_id: u8,
    /// The KeyID this end expects in received segments (`rcvid`).
    pub recv_id: u8,
    /// The KDF and MAC.
    pub algorithm: Algorithm,
    /// The secret.
    pub secret: MasterKey,
    /// Whether options other than TCP-AO are covered.
    pub coverage: OptionCoverage,
    /// The MAC length (`maclen`; 12 for the RFC algorithms).
    pub mac_len: u8,
}

impl Mkt {
    /// An MKT for one peer with the RFC's MAC length and options covered.
    pub fn new(
        peer: IpAddr,
        send_id: u8,
        recv_id: u8,
        algorithm: Algorithm,
        secret: MasterKey,
    ) -> Mkt {
        Mkt {
            peer,
            prefix: if peer.is_ipv4() { 32 } else { 128 },
            l3index: None,
            send_id,
            recv_id,
            algorithm,
            secret,
            coverage: OptionCoverage::Included,
            mac_len: 12,
        }
    }

    /// Whether this key covers `addr` in L3 domain `l3index`.
    pub fn covers(&self, addr: IpAddr, l3index: i32) -> bool {
        if self.l3index.is_some_and(|i| i != l3index) {
            return false;
        }
        crate::prefix::contains(self.peer, self.prefix, addr)
    }
}

/// The peer address as Linux's MKT lookup compares it: an IPv4-mapped
/// IPv6 address as the IPv4 address it maps (a dual-stack socket's IPv4
/// peer is found by an IPv4 key).
pub fn lookup_address(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// A socket's MKTs (its `tcp_ao_info`), and whether AO is required.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MktTable {
    /// Newest first, as Linux lists them.
    keys: Vec<Mkt>,
    /// `TCP_AO_INFO`'s `ao_required`: unsigned segments are dropped even
    /// from peers no key covers.
    pub required: bool,
}

impl MktTable {
    /// An empty table.
    pub fn new() -> MktTable {
        MktTable::default()
    }

    /// Adds `key` (it becomes the first one looked at).
    pub fn add(&mut self, key: Mkt) {
        self.keys.insert(0, key);
    }

    /// The keys, newest first.
    pub fn keys(&self) -> &[Mkt] {
        &self.keys
    }

    /// The first key that covers `addr` in `l3index`, with `send_id` and
    /// `recv_id` where given (`tcp_ao_do_lookup`; `None` is the kernel's
    /// -1, "any").
    pub fn lookup(
        &self,
        addr: IpAddr,
        l3index: i32,
        send_id: Option<u8>,
        recv_id: Option<u8>,
    ) -> Option<&Mkt> {
        let addr = lookup_address(addr);
        self.keys.iter().find(|k| {
            send_id.is_none_or(|id| id == k.send_id)
                && recv_id.is_none_or(|id| id == k.recv_id)
                && k.covers(addr, l3index)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn key(peer: IpAddr, prefix: u8, send_id: u8, recv_id: u8) -> Mkt {
        Mkt {
            prefix,
            ..Mkt::new(
                peer,
                send_id,
                recv_id,
                Algorithm::HmacSha1,
                MasterKey::new(b"k").unwrap(),
            )
        }
    }

    #[test]
    fn first_match_wins_not_the_longest_prefix() {
        let net = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0));
        let host = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let mut t = MktTable::new();
        t.add(key(host, 32, 1, 1));
        t.add(key(net, 8, 2, 2));
        assert_eq!(t.lookup(host, 0, None, None).map(|k| k.send_id), Some(2));
        assert_eq!(t.lookup(host, 0, None, Some(1)).map(|k| k.send_id), Some(1));
        assert_eq!(t.lookup(host, 0, Some(1), Some(2)), None);
        assert_eq!(
            t.lookup(IpAddr::V4(Ipv4Addr::new(11, 0, 0, 2)), 0, None, None),
            None
        );
        assert_eq!(t.keys().len(), 2);
    }

    #[test]
    fn families_mapped_addresses_prefix_zero_and_l3_domains() {
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let mut t = MktTable::new();
        t.add(key(v4, 32, 1, 1));
        assert!(
            t.lookup(
                IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped()),
                0,
                None,
                None
            )
            .is_some()
        );
        assert!(
            t.lookup(IpAddr::V6(Ipv6Addr::LOCALHOST), 0, None, None)
                .is_none()
        );
        let any = key(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0, 9, 9);
        assert!(any.covers(IpAddr::V6(Ipv6Addr::LOCALHOST), 0));
        assert!(!any.covers(v4, 0));
        let bound = Mkt {
            l3index: Some(5),
            ..key(v4, 32, 1, 1)
        };
        assert!(bound.covers(v4, 5));
        assert!(!bound.covers(v4, 0));
        assert!(key(v4, 32, 1, 1).covers(v4, 5));
        assert!(!format!("{bound:?}").contains("107"));
    }
}
