//! TCP-AO keys (RFC 5925 MKTs) next to MD5 keys on one Linux socket
//! (`CONFIG_TCP_AO`): the kernel refuses a key of one kind for a peer that
//! a key of the other kind already covers, with `EKEYREJECTED`.
//!
//! - `TCP_AO_ADD_KEY` (`tcp_ao_add_cmd`): rejected when an MD5 key matches
//!   the AO key's address in any L3 domain (`tcp_md5_do_lookup_any_l3index`;
//!   an MD5 prefix covering it counts).
//! - `TCP_MD5SIG(_EXT)` adding a key (`tcp_v4_parse_md5_keys`,
//!   `tcp_v6_parse_md5_keys` via `tcp_ao_required`): rejected when an AO key
//!   matches the MD5 key's address (an AO prefix covering it counts).
//!   Deleting an MD5 key is never rejected.
//!
//! Only keys without VRF binding are modelled (`TCP_AO_KEYF_IFINDEX` and
//! `TCP_MD5SIG_FLAG_IFINDEX` narrow both lookups to one L3 domain).

use core::net::IpAddr;

use crate::Family;
use crate::key_table::{KeyTable, Md5SigRequest};

/// The errno both option paths answer with on an overlap.
pub const EKEYREJECTED: i32 = 129;

/// An AO key's peer scope (its secret and IDs do not decide overlaps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AoPeer {
    /// The peer address (the network address for a prefix).
    pub addr: IpAddr,
    /// The prefix length (32 or 128 for one peer).
    pub prefix: u8,
}

impl AoPeer {
    fn covers(&self, addr: &IpAddr) -> bool {
        crate::prefix::contains(self.addr, self.prefix, *addr)
    }
}

/// The AO keys of one socket, as far as overlaps with MD5 keys go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AoKeyTable {
    peers: Vec<AoPeer>,
}

impl AoKeyTable {
    /// An empty table.
    pub fn new() -> AoKeyTable {
        AoKeyTable::default()
    }

    /// `TCP_AO_ADD_KEY` for `peer` on a socket whose MD5 keys are `md5`:
    /// `Err(EKEYREJECTED)` when an MD5 key covers the peer.
    pub fn add(&mut self, peer: AoPeer, md5: &KeyTable) -> Result<(), i32> {
        if md5.matches_any_l3index(peer.addr) {
            return Err(EKEYREJECTED);
        }
        self.peers.push(peer);
        Ok(())
    }

    /// Whether an AO key covers `addr` (`tcp_ao_do_lookup` with any L3
    /// index). A v4-mapped `addr` is looked up as IPv4.
    pub fn covers(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        self.peers
            .iter()
            .any(|p| Family::of(&p.addr) == Family::of(&addr) && p.covers(&addr))
    }

    /// The check `TCP_MD5SIG(_EXT)` makes before the MD5 table sees
    /// `request`: `Err(EKEYREJECTED)` when an AO key covers its address.
    pub fn check_md5(&self, request: &Md5SigRequest) -> Result<(), i32> {
        if request.keylen != 0 && self.covers(request.addr) {
            return Err(EKEYREJECTED);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Key;
    use core::net::Ipv4Addr;

    fn v4(d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 99, 0, d))
    }

    #[test]
    fn an_md5_key_blocks_an_ao_key_for_its_peer_and_prefix() {
        let mut md5 = KeyTable::new();
        let devices: &[(i32, bool)] = &[];
        md5.apply(
            Family::V4,
            &Md5SigRequest::add(v4(0), &Key::from_array(b"k")).with_prefix(24),
            devices,
        )
        .expect("md5 key");
        let mut ao = AoKeyTable::new();
        assert_eq!(
            ao.add(
                AoPeer {
                    addr: v4(2),
                    prefix: 32
                },
                &md5
            ),
            Err(EKEYREJECTED)
        );
        assert_eq!(
            ao.add(
                AoPeer {
                    addr: IpAddr::V4(Ipv4Addr::new(10, 98, 0, 2)),
                    prefix: 32
                },
                &md5
            ),
            Ok(())
        );
    }

    #[test]
    fn an_ao_key_blocks_md5_keys_it_covers_but_not_deletes() {
        let mut ao = AoKeyTable::new();
        ao.add(
            AoPeer {
                addr: v4(0),
                prefix: 24,
            },
            &KeyTable::new(),
        )
        .expect("ao key");
        let add = Md5SigRequest::add(v4(2), &Key::from_array(b"k"));
        assert_eq!(ao.check_md5(&add), Err(EKEYREJECTED));
        assert_eq!(ao.check_md5(&Md5SigRequest::delete(v4(2))), Ok(()));
        assert_eq!(
            ao.check_md5(&Md5SigRequest::add(
                IpAddr::V4(Ipv4Addr::new(10, 98, 0, 2)),
                &Key::from_array(b"k")
            )),
            Ok(())
        );
    }
}
