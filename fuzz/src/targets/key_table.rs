//! `key_table`: a sequence of `setsockopt(TCP_MD5SIG[_EXT])` requests and
//! lookups on one socket, through `KeyTable` and the flat-list model of the
//! kernel's key list in [`crate::key_model`]: same result or errno, same
//! entries in the same order, same lookups.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use tcpmd5::Family;
use tcpmd5::key_table::{AF_INET, AF_INET6, KeyChange, KeyTable, Md5SigOption, Md5SigRequest};

use super::context::{assert_context, assert_no_key};
use crate::key_model::{ModelResult, ModelTable};

/// The namespace's devices: 5 and 7 are VRFs.
pub const DEVICES: &[(i32, bool)] = &[(1, false), (2, false), (5, true), (7, true)];

const V4_POOL: [[u8; 4]; 6] = [
    [10, 0, 0, 1],
    [10, 0, 0, 2],
    [10, 0, 1, 1],
    [10, 128, 0, 1],
    [192, 168, 0, 1],
    [0, 0, 0, 0],
];
const V6_POOL: [u16; 5] = [0xfd00, 0xfd01, 0xfe80, 0x2001, 0];

/// An address, mostly from small pools so keys collide.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum AddrSel {
    /// IPv4 from the pool.
    V4(u8),
    /// IPv6 from the pool.
    V6(u8, u8),
    /// IPv4-mapped IPv6 from the v4 pool.
    Mapped(u8),
    /// Any IPv4.
    AnyV4([u8; 4]),
    /// Any IPv6.
    AnyV6([u8; 16]),
}

impl AddrSel {
    pub(crate) fn addr(self) -> IpAddr {
        match self {
            AddrSel::V4(i) => IpAddr::V4(V4_POOL[usize::from(i) % V4_POOL.len()].into()),
            AddrSel::V6(i, low) => IpAddr::V6(Ipv6Addr::new(
                V6_POOL[usize::from(i) % V6_POOL.len()],
                0,
                0,
                0,
                0,
                0,
                0,
                u16::from(low % 4),
            )),
            AddrSel::Mapped(i) => {
                IpAddr::V6(Ipv4Addr::from(V4_POOL[usize::from(i) % V4_POOL.len()]).to_ipv6_mapped())
            }
            AddrSel::AnyV4(a) => IpAddr::V4(a.into()),
            AddrSel::AnyV6(a) => IpAddr::V6(a.into()),
        }
    }
}

/// One `setsockopt(TCP_MD5SIG[_EXT])`.
#[derive(Debug, Arbitrary)]
pub struct RequestSpec {
    ext: bool,
    family: u8,
    addr: AddrSel,
    flags: u8,
    prefixlen: u8,
    keylen: u8,
    ifindex: u8,
    key_fill: u8,
    optlen: u8,
}

/// One step of a key table session.
#[derive(Debug, Arbitrary)]
pub enum KeyOp {
    /// A request.
    Apply(RequestSpec),
    /// A lookup.
    Lookup(AddrSel, u8),
}

/// A socket family and a sequence of operations.
#[derive(Debug, Arbitrary)]
pub struct KeyTableInput {
    v6_socket: bool,
    ops: Vec<KeyOp>,
}

const L3_POOL: [i32; 5] = [0, 5, 7, 1, 9];

impl RequestSpec {
    pub(crate) fn request(&self) -> Md5SigRequest {
        let addr = self.addr.addr();
        let sa_family = match self.family % 8 {
            0..=4 => match addr {
                IpAddr::V4(_) => AF_INET,
                IpAddr::V6(_) => AF_INET6,
            },
            5 => AF_INET,
            6 => AF_INET6,
            _ => u16::from(self.family),
        };
        let prefixlen = if self.prefixlen & 0x80 == 0 {
            self.prefixlen % 33
        } else {
            self.prefixlen
        };
        let keylen = match self.keylen % 8 {
            0 => 0,
            7 => 80 + u16::from(self.keylen / 8 % 4),
            _ => 1 + u16::from(self.keylen) % 80,
        };
        let ifindex = match self.ifindex % 8 {
            0 => 0,
            1 => 1,
            2 | 3 => 5,
            4 => 7,
            5 => 9,
            6 => -1,
            _ => i32::from(self.ifindex),
        };
        let mut key = [0u8; 80];
        for (i, b) in key.iter_mut().enumerate() {
            *b = self.key_fill.wrapping_add(i as u8);
        }
        Md5SigRequest {
            option: if self.ext {
                Md5SigOption::Md5SigExt
            } else {
                Md5SigOption::Md5Sig
            },
            sa_family,
            addr,
            flags: self.flags & 0x7,
            prefixlen,
            keylen,
            ifindex,
            key,
            optlen: match self.optlen % 16 {
                0 => 215,
                1 => 0,
                2 => 300,
                _ => 216,
            },
        }
    }
}

fn compare_lookup(table: &KeyTable, model: &ModelTable, peer: IpAddr, l3index: i32) {
    let lib = table.lookup(peer, l3index);
    let want = model.lookup(peer, l3index);
    match (lib, want) {
        (None, None) => {}
        (Some(l), Some(m)) if m.matches(l) => {}
        _ => panic!("lookup({peer}, l3 {l3index}): library {lib:?}, model {want:?}"),
    }
}

/// The entry point: add, replace, delete and look up against the model.
pub fn run(input: &KeyTableInput) {
    let socket = if input.v6_socket {
        Family::V6
    } else {
        Family::V4
    };
    let mut table = KeyTable::new();
    let mut model = ModelTable::default();
    for op in input.ops.iter().take(64) {
        match op {
            KeyOp::Apply(spec) => {
                let req = spec.request();
                let got = table.apply(socket, &req, DEVICES);
                let want = model.apply(socket, &req, DEVICES);
                let same = matches!(
                    (got, want),
                    (Ok(KeyChange::Added), ModelResult::Added)
                        | (Ok(KeyChange::Replaced), ModelResult::Replaced)
                        | (Ok(KeyChange::Deleted), ModelResult::Deleted)
                );
                let same = same
                    || match got {
                        Err(e) => {
                            (e.errno_name() == "EINVAL" && want == ModelResult::Einval)
                                || (e.errno_name() == "ENOENT" && want == ModelResult::Enoent)
                        }
                        Ok(_) => false,
                    };
                assert!(same, "{req:?} on {socket}: library {got:?}, model {want:?}");
                if let Err(e) = got {
                    assert_context(&e);
                    let errno = (e.errno(), e.errno_name());
                    assert!(matches!(errno, (22, "EINVAL") | (2, "ENOENT")), "{errno:?}");
                }
                let keylen = usize::from(req.keylen).min(80);
                assert_no_key(&format!("{req:?} {table:?}"), &req.key[..keylen]);
                let lib_entries = table.entries();
                assert_eq!(lib_entries.len(), model.keys.len(), "table sizes differ");
                for (l, m) in lib_entries.iter().zip(model.keys.iter().rev()) {
                    assert!(m.matches(l), "entries differ: {l:?} vs {m:?}");
                }
                for l3 in [0, 5, 7] {
                    compare_lookup(&table, &model, req.addr, l3);
                }
            }
            KeyOp::Lookup(addr, l3) => {
                let l3index = L3_POOL[usize::from(*l3) % L3_POOL.len()];
                compare_lookup(&table, &model, addr.addr(), l3index);
            }
        }
    }
}
