//! A naive model of the kernel's MD5 key list (`tcp_v4_parse_md5_keys`,
//! `tcp_v6_parse_md5_keys`, `tcp_md5_do_add`, `tcp_md5_do_del`,
//! `tcp_md5_do_lookup_exact`, `__tcp_md5_do_lookup`), written as a flat list
//! in insertion order (oldest first), the opposite of the library's.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tcpmd5::Family;
use tcpmd5::key_table::{
    AF_INET, AF_INET6, FLAG_IFINDEX, FLAG_PREFIX, KeyEntry, Md5SigOption, Md5SigRequest,
    TCP_MD5SIG_LEN,
};

/// What a request did, or its errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelResult {
    /// Returned 0 after adding a key.
    Added,
    /// Returned 0 after overwriting a key.
    Replaced,
    /// Returned 0 after deleting a key.
    Deleted,
    /// `-EINVAL`.
    Einval,
    /// `-ENOENT`.
    Enoent,
}

/// One key, as `struct tcp_md5sig_key` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelKey {
    /// `AF_INET` or `AF_INET6`.
    pub family: u16,
    /// `key->addr`, unmasked (a v4 key holds an `Ipv4Addr`).
    pub addr: IpAddr,
    /// `key->prefixlen`.
    pub prefixlen: u8,
    /// `key->l3index`.
    pub l3index: i32,
    /// `key->flags & TCP_MD5SIG_FLAG_IFINDEX`.
    pub ifindex_flag: bool,
    /// The key bytes.
    pub key: Vec<u8>,
    /// Insertion sequence number (larger is newer).
    pub seq: u64,
}

/// The device list of the namespace: `(ifindex, is_l3_master)`.
pub type Devices = [(i32, bool)];

/// The keys of one socket.
#[derive(Debug, Clone, Default)]
pub struct ModelTable {
    /// Oldest first.
    pub keys: Vec<ModelKey>,
    next_seq: u64,
}

pub(crate) fn v4_mapped(a: &Ipv6Addr) -> Option<Ipv4Addr> {
    let o = a.octets();
    if o[..10].iter().all(|&b| b == 0) && o[10] == 0xff && o[11] == 0xff {
        Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]))
    } else {
        None
    }
}

/// The first `bits` bits of two byte strings are equal.
pub(crate) fn prefix_equal(a: &[u8], b: &[u8], bits: u32) -> bool {
    (0..bits as usize).all(|i| {
        let (byte, bit) = (i / 8, 7 - (i % 8));
        match (a.get(byte), b.get(byte)) {
            (Some(x), Some(y)) => (x >> bit) & 1 == (y >> bit) & 1,
            _ => false,
        }
    })
}

pub(crate) fn addr_bytes(a: &IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

impl ModelKey {
    /// Whether the library's entry `lib` holds the same key.
    pub fn matches(&self, lib: &KeyEntry) -> bool {
        let family = match lib.family {
            Family::V4 => AF_INET,
            Family::V6 => AF_INET6,
        };
        family == self.family
            && lib.addr == self.addr
            && lib.prefixlen == self.prefixlen
            && lib.l3index == self.l3index
            && lib.ifindex_bound == self.ifindex_flag
            && lib.key.as_bytes() == self.key.as_slice()
    }
}

/// The family a segment from `peer` is looked up in, and the address it is
/// looked up by (a v4-mapped IPv6 peer is an IPv4 one).
fn lookup_family(peer: IpAddr) -> (u16, IpAddr) {
    match peer {
        IpAddr::V4(a) => (AF_INET, IpAddr::V4(a)),
        IpAddr::V6(a) => match v4_mapped(&a) {
            Some(v4) => (AF_INET, IpAddr::V4(v4)),
            None => (AF_INET6, IpAddr::V6(a)),
        },
    }
}

impl ModelTable {
    /// `setsockopt(fd, IPPROTO_TCP, req.option, &req, req.optlen)` on a
    /// socket of family `socket`.
    pub fn apply(&mut self, socket: Family, req: &Md5SigRequest, devices: &Devices) -> ModelResult {
        // if (optlen < sizeof(cmd)) return -EINVAL;
        if req.optlen < TCP_MD5SIG_LEN {
            return ModelResult::Einval;
        }
        let ext = req.option == Md5SigOption::Md5SigExt;
        // What the kernel reads from the sockaddr: a sockaddr_in's address
        // is at bytes 4..8, a sockaddr_in6's at 8..24; the request encodes
        // the address by its own type and leaves the rest zero.
        let (family, addr, mut prefixlen);
        match socket {
            Family::V4 => {
                if req.sa_family != AF_INET {
                    return ModelResult::Einval;
                }
                let a = match req.addr {
                    IpAddr::V4(a) => a,
                    IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
                };
                prefixlen = 32u8;
                if ext && req.flags & FLAG_PREFIX != 0 {
                    prefixlen = req.prefixlen;
                    if prefixlen > 32 {
                        return ModelResult::Einval;
                    }
                }
                family = AF_INET;
                addr = IpAddr::V4(a);
            }
            Family::V6 => {
                if req.sa_family != AF_INET6 {
                    return ModelResult::Einval;
                }
                let a = match req.addr {
                    IpAddr::V6(a) => a,
                    IpAddr::V4(_) => Ipv6Addr::UNSPECIFIED,
                };
                let mapped = v4_mapped(&a);
                if ext && req.flags & FLAG_PREFIX != 0 {
                    prefixlen = req.prefixlen;
                    if prefixlen > 128 || (mapped.is_some() && prefixlen > 32) {
                        return ModelResult::Einval;
                    }
                } else {
                    prefixlen = if mapped.is_some() { 32 } else { 128 };
                }
                match mapped {
                    Some(v4) => {
                        family = AF_INET;
                        addr = IpAddr::V4(v4);
                    }
                    None => {
                        family = AF_INET6;
                        addr = IpAddr::V6(a);
                    }
                }
            }
        }
        let flags_ifindex = req.flags & FLAG_IFINDEX != 0;
        let mut l3index = 0;
        if ext && req.ifindex != 0 && flags_ifindex {
            let dev = devices.iter().find(|(i, _)| *i == req.ifindex);
            if let Some((i, true)) = dev {
                l3index = *i;
            }
            if dev.is_none() || l3index == 0 {
                return ModelResult::Einval;
            }
        }
        let exact = self.keys.iter().position(|k| {
            k.family == family
                && k.ifindex_flag == flags_ifindex
                && k.l3index == l3index
                && addr_bytes(&k.addr) == addr_bytes(&addr)
                && k.prefixlen == prefixlen
        });
        if req.keylen == 0 {
            return match exact {
                Some(i) => {
                    self.keys.remove(i);
                    ModelResult::Deleted
                }
                None => ModelResult::Enoent,
            };
        }
        if req.keylen > 80 {
            return ModelResult::Einval;
        }
        let key = req.key[..usize::from(req.keylen)].to_vec();
        if let Some(i) = exact {
            self.keys[i].key = key;
            return ModelResult::Replaced;
        }
        self.next_seq += 1;
        self.keys.push(ModelKey {
            family,
            addr,
            prefixlen,
            l3index,
            ifindex_flag: flags_ifindex,
            key,
            seq: self.next_seq,
        });
        ModelResult::Added
    }

    /// Whether a key matches `peer` in some L3 domain
    /// (`tcp_md5_do_lookup_any_l3index`: the lookup without its L3 test).
    pub fn matches_any_l3index(&self, peer: IpAddr) -> bool {
        let (family, peer) = lookup_family(peer);
        let peer_bytes = addr_bytes(&peer);
        self.keys.iter().any(|k| {
            k.family == family
                && prefix_equal(&addr_bytes(&k.addr), &peer_bytes, u32::from(k.prefixlen))
        })
    }

    /// The key for a segment from `peer` in L3 domain `l3index`.
    pub fn lookup(&self, peer: IpAddr, l3index: i32) -> Option<&ModelKey> {
        let (family, peer) = lookup_family(peer);
        let peer_bytes = addr_bytes(&peer);
        self.keys
            .iter()
            .filter(|k| k.family == family)
            .filter(|k| !(k.ifindex_flag && k.l3index != l3index))
            .filter(|k| prefix_equal(&addr_bytes(&k.addr), &peer_bytes, u32::from(k.prefixlen)))
            // l3-bound beats unbound, then the longest prefix, then the newest.
            .max_by_key(|k| (k.l3index != 0, k.prefixlen, k.seq))
    }
}
