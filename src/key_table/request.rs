//! `struct tcp_md5sig`, the argument of `TCP_MD5SIG` / `TCP_MD5SIG_EXT`:
//! built field by field ([`Md5SigRequest`]) and read back from raw bytes the
//! way the kernel reads them ([`RawMd5Sig`]).

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::InvalidRequest;
use crate::Key;
use crate::key::MAX_KEY_LEN;

/// `TCP_MD5SIG` socket option number.
pub const TCP_MD5SIG: i32 = 14;
/// `TCP_MD5SIG_EXT` socket option number.
pub const TCP_MD5SIG_EXT: i32 = 32;
/// `tcpm_flags`: `tcpm_prefixlen` is valid.
pub const FLAG_PREFIX: u8 = 0x1;
/// `tcpm_flags`: `tcpm_ifindex` is valid.
pub const FLAG_IFINDEX: u8 = 0x2;
/// `sizeof(struct tcp_md5sig)`.
pub const TCP_MD5SIG_LEN: usize = 216;
/// `AF_INET`.
pub const AF_INET: u16 = 2;
/// `AF_INET6`.
pub const AF_INET6: u16 = 10;

mod field {
    use core::ops::Range;
    // Offsets in `struct tcp_md5sig` (x86-64 layout, checked against libc).
    pub(super) const FAMILY: Range<usize> = 0..2;
    pub(super) const SIN_ADDR: Range<usize> = 4..8;
    pub(super) const SIN6_ADDR: Range<usize> = 8..24;
    pub(super) const FLAGS: usize = 128;
    pub(super) const PREFIXLEN: usize = 129;
    pub(super) const KEYLEN: Range<usize> = 130..132;
    pub(super) const IFINDEX: Range<usize> = 132..136;
    pub(super) const KEY: Range<usize> = 136..216;
}

/// Which socket option a request is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Md5SigOption {
    /// `TCP_MD5SIG`: flags, prefix and ifindex are ignored.
    Md5Sig,
    /// `TCP_MD5SIG_EXT`: honours `FLAG_PREFIX` and `FLAG_IFINDEX`.
    Md5SigExt,
}

impl Md5SigOption {
    /// The option number.
    pub fn optname(self) -> i32 {
        match self {
            Md5SigOption::Md5Sig => TCP_MD5SIG,
            Md5SigOption::Md5SigExt => TCP_MD5SIG_EXT,
        }
    }
}

/// A `struct tcp_md5sig`, field by field. Its [`Md5SigRequest::to_bytes`]
/// is what goes to `setsockopt`; the fields may be inconsistent on purpose
/// (a family that does not match the address, a key length over 80).
#[derive(Clone, PartialEq, Eq)]
pub struct Md5SigRequest {
    /// The option the request is made with.
    pub option: Md5SigOption,
    /// `sa_family` of `tcpm_addr`, written as given.
    pub sa_family: u16,
    /// The address, encoded as `sockaddr_in` or `sockaddr_in6` by its type.
    pub addr: IpAddr,
    /// `tcpm_flags`.
    pub flags: u8,
    /// `tcpm_prefixlen`.
    pub prefixlen: u8,
    /// `tcpm_keylen` (0 deletes).
    pub keylen: u16,
    /// `tcpm_ifindex`.
    pub ifindex: i32,
    /// `tcpm_key`.
    pub key: [u8; MAX_KEY_LEN],
    /// The `optlen` passed to `setsockopt` (216 unless testing short ones).
    pub optlen: usize,
}

impl fmt::Debug for Md5SigRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Md5SigRequest")
            .field("option", &self.option)
            .field("sa_family", &self.sa_family)
            .field("addr", &self.addr)
            .field("flags", &self.flags)
            .field("prefixlen", &self.prefixlen)
            .field("keylen", &self.keylen)
            .field("ifindex", &self.ifindex)
            .field("optlen", &self.optlen)
            .finish_non_exhaustive()
    }
}

fn family_of(addr: &IpAddr) -> u16 {
    match addr {
        IpAddr::V4(_) => AF_INET,
        IpAddr::V6(_) => AF_INET6,
    }
}

impl Md5SigRequest {
    /// Adds (or replaces) the key for one address with `TCP_MD5SIG`.
    pub fn add(addr: IpAddr, key: &Key) -> Md5SigRequest {
        let mut request = Md5SigRequest::delete(addr);
        if let Some(dst) = request.key.get_mut(..key.len()) {
            dst.copy_from_slice(key.as_bytes());
        }
        request.keylen = key.len() as u16;
        request
    }

    /// Deletes the key for one address (`tcpm_keylen` 0).
    pub fn delete(addr: IpAddr) -> Md5SigRequest {
        Md5SigRequest {
            option: Md5SigOption::Md5Sig,
            sa_family: family_of(&addr),
            addr,
            flags: 0,
            prefixlen: 0,
            keylen: 0,
            ifindex: 0,
            key: [0; MAX_KEY_LEN],
            optlen: TCP_MD5SIG_LEN,
        }
    }

    /// Makes this a `TCP_MD5SIG_EXT` request for a prefix.
    pub fn with_prefix(mut self, prefixlen: u8) -> Md5SigRequest {
        self.option = Md5SigOption::Md5SigExt;
        self.flags |= FLAG_PREFIX;
        self.prefixlen = prefixlen;
        self
    }

    /// Makes this a `TCP_MD5SIG_EXT` request bound to an interface.
    pub fn with_ifindex(mut self, ifindex: i32) -> Md5SigRequest {
        self.option = Md5SigOption::Md5SigExt;
        self.flags |= FLAG_IFINDEX;
        self.ifindex = ifindex;
        self
    }

    /// The `struct tcp_md5sig` bytes (host byte order where the kernel
    /// uses it, network order for the address).
    pub fn to_bytes(&self) -> [u8; TCP_MD5SIG_LEN] {
        let mut b = [0u8; TCP_MD5SIG_LEN];
        b[field::FAMILY].copy_from_slice(&self.sa_family.to_ne_bytes());
        match self.addr {
            IpAddr::V4(a) => b[field::SIN_ADDR].copy_from_slice(&a.octets()),
            IpAddr::V6(a) => b[field::SIN6_ADDR].copy_from_slice(&a.octets()),
        }
        b[field::FLAGS] = self.flags;
        b[field::PREFIXLEN] = self.prefixlen;
        b[field::KEYLEN].copy_from_slice(&self.keylen.to_ne_bytes());
        b[field::IFINDEX].copy_from_slice(&self.ifindex.to_ne_bytes());
        b[field::KEY].copy_from_slice(&self.key);
        b
    }
}

/// The fields of `struct tcp_md5sig` as the kernel reads them from the
/// `setsockopt` bytes (host byte order, the address in network order).
pub(super) struct RawMd5Sig<'a> {
    cmd: &'a [u8],
    /// `tcpm_addr.ss_family`.
    pub(super) sa_family: u16,
    /// `tcpm_flags`.
    pub(super) flags: u8,
    /// `tcpm_prefixlen`.
    pub(super) prefixlen: u8,
    /// `tcpm_keylen`.
    pub(super) keylen: u16,
    /// `tcpm_ifindex`.
    pub(super) ifindex: i32,
}

impl<'a> RawMd5Sig<'a> {
    /// The first `sizeof(struct tcp_md5sig)` bytes of `optval`; a shorter
    /// `optval` is `EINVAL` (`tcp_v{4,6}_parse_md5_keys`).
    pub(super) fn parse(optval: &'a [u8]) -> Result<RawMd5Sig<'a>, InvalidRequest> {
        let cmd = optval
            .get(..TCP_MD5SIG_LEN)
            .ok_or(InvalidRequest::ShortOptlen {
                expected_len: TCP_MD5SIG_LEN,
                actual_len: optval.len(),
            })?;
        let ne16 = |r: core::ops::Range<usize>| match cmd.get(r) {
            Some(&[a, b]) => u16::from_ne_bytes([a, b]),
            _ => 0,
        };
        Ok(RawMd5Sig {
            cmd,
            sa_family: ne16(field::FAMILY),
            flags: cmd.get(field::FLAGS).copied().unwrap_or(0),
            prefixlen: cmd.get(field::PREFIXLEN).copied().unwrap_or(0),
            keylen: ne16(field::KEYLEN),
            ifindex: match cmd.get(field::IFINDEX) {
                Some(&[a, b, c, d]) => i32::from_ne_bytes([a, b, c, d]),
                _ => 0,
            },
        })
    }

    /// `sin_addr` of `tcpm_addr` read as a `sockaddr_in`.
    pub(super) fn sin_addr(&self) -> Ipv4Addr {
        match self.cmd.get(field::SIN_ADDR) {
            Some(&[a, b, c, d]) => Ipv4Addr::new(a, b, c, d),
            _ => Ipv4Addr::UNSPECIFIED,
        }
    }

    /// `sin6_addr` of `tcpm_addr` read as a `sockaddr_in6`.
    pub(super) fn sin6_addr(&self) -> Ipv6Addr {
        self.cmd
            .get(field::SIN6_ADDR)
            .and_then(|s| <[u8; 16]>::try_from(s).ok())
            .map_or(Ipv6Addr::UNSPECIFIED, Ipv6Addr::from)
    }

    /// The key: the first `tcpm_keylen` bytes of `tcpm_key`; a length over
    /// 80 is `EINVAL`.
    pub(super) fn key(&self) -> Result<Key, InvalidRequest> {
        let too_long = InvalidRequest::KeyTooLong {
            keylen: self.keylen,
        };
        if usize::from(self.keylen) > MAX_KEY_LEN {
            return Err(too_long);
        }
        let bytes = self
            .cmd
            .get(field::KEY)
            .and_then(|k| k.get(..usize::from(self.keylen)))
            .unwrap_or(&[]);
        Key::new(bytes).map_err(|_| too_long)
    }
}
