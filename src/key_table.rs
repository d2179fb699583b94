//! The per-socket key table of `TCP_MD5SIG` / `TCP_MD5SIG_EXT`, as Linux
//! keeps it (`tcp_v4_parse_md5_keys`, `tcp_v6_parse_md5_keys`,
//! `tcp_md5_do_add`, `tcp_md5_do_del`, `__tcp_md5_do_lookup`).
//!
//! Requests are the raw bytes of `struct tcp_md5sig`, read the way the
//! kernel reads them, so the same bytes can be handed to `setsockopt` and to
//! this model and the answers compared.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::key::MAX_KEY_LEN;
use crate::{Family, Key};

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
    pub const FAMILY: Range<usize> = 0..2;
    pub const SIN_ADDR: Range<usize> = 4..8;
    pub const SIN6_ADDR: Range<usize> = 8..24;
    pub const FLAGS: usize = 128;
    pub const PREFIXLEN: usize = 129;
    pub const KEYLEN: Range<usize> = 130..132;
    pub const IFINDEX: Range<usize> = 132..136;
    pub const KEY: Range<usize> = 136..216;
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
        let mut bytes = [0u8; MAX_KEY_LEN];
        if let Some(dst) = bytes.get_mut(..key.len()) {
            dst.copy_from_slice(key.as_bytes());
        }
        Md5SigRequest {
            option: Md5SigOption::Md5Sig,
            sa_family: family_of(&addr),
            addr,
            flags: 0,
            prefixlen: 0,
            keylen: key.len() as u16,
            ifindex: 0,
            key: bytes,
            optlen: TCP_MD5SIG_LEN,
        }
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

/// Why the kernel refuses a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyTableError {
    /// `EINVAL`, with the check that failed.
    Invalid(InvalidRequest),
    /// `ENOENT`: deleting a key that does not exist.
    NoSuchKey,
}

/// Which check of the request failed with `EINVAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvalidRequest {
    /// `optlen` shorter than `struct tcp_md5sig`.
    ShortOptlen {
        /// The length required.
        expected_len: usize,
        /// The length given.
        actual_len: usize,
    },
    /// `sa_family` is not the socket's family.
    WrongFamily {
        /// The socket's family.
        expected: u16,
        /// The family given.
        actual: u16,
    },
    /// `tcpm_keylen` above 80.
    KeyTooLong {
        /// The length given.
        keylen: u16,
    },
    /// `tcpm_prefixlen` beyond the address (32, 128, or 32 for v4-mapped).
    PrefixTooLong {
        /// The prefix length given.
        prefixlen: u8,
        /// The largest allowed.
        max: u8,
    },
    /// `FLAG_IFINDEX` with an ifindex that is not an L3 master (VRF) device.
    NotL3Master {
        /// The ifindex given.
        ifindex: i32,
    },
}

impl KeyTableError {
    /// The errno number (Linux, x86-64).
    pub fn errno(self) -> i32 {
        match self {
            KeyTableError::Invalid(_) => 22,
            KeyTableError::NoSuchKey => 2,
        }
    }

    /// The errno name.
    pub fn errno_name(self) -> &'static str {
        match self {
            KeyTableError::Invalid(_) => "EINVAL",
            KeyTableError::NoSuchKey => "ENOENT",
        }
    }
}

impl fmt::Display for KeyTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyTableError::NoSuchKey => f.write_str("ENOENT: no such key to delete"),
            KeyTableError::Invalid(why) => {
                f.write_str("EINVAL: ")?;
                match why {
                    InvalidRequest::ShortOptlen {
                        expected_len,
                        actual_len,
                    } => write!(f, "optlen {actual_len} < {expected_len}"),
                    InvalidRequest::WrongFamily { expected, actual } => {
                        write!(f, "address family {actual}, socket is {expected}")
                    }
                    InvalidRequest::KeyTooLong { keylen } => {
                        write!(f, "key length {keylen} > {MAX_KEY_LEN}")
                    }
                    InvalidRequest::PrefixTooLong { prefixlen, max } => {
                        write!(f, "prefix length {prefixlen} > {max}")
                    }
                    InvalidRequest::NotL3Master { ifindex } => {
                        write!(f, "ifindex {ifindex} is not an L3 master device")
                    }
                }
            }
        }
    }
}

impl std::error::Error for KeyTableError {}

/// What an accepted request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyChange {
    /// A new key.
    Added,
    /// An existing key (same address, prefix, L3 binding) got new bytes.
    Replaced,
    /// A key was removed.
    Deleted,
}

/// One key of a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// The family of the peers it matches (v4-mapped requests give `V4`).
    pub family: Family,
    /// The address as given (not masked).
    pub addr: IpAddr,
    /// The prefix length (32 or 128 unless `FLAG_PREFIX`).
    pub prefixlen: u8,
    /// The L3 domain (VRF ifindex) it is bound to, 0 for none.
    pub l3index: i32,
    /// Whether `FLAG_IFINDEX` was given: such a key matches only its domain.
    pub ifindex_bound: bool,
    /// The key.
    pub key: Key,
}

impl KeyEntry {
    fn matches(&self, addr: &IpAddr, l3index: i32) -> bool {
        if self.ifindex_bound && self.l3index != l3index {
            return false;
        }
        prefix_match(&self.addr, addr, self.prefixlen)
    }
}

fn prefix_match(net: &IpAddr, addr: &IpAddr, prefixlen: u8) -> bool {
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefixlen.min(32)))
                .unwrap_or(0);
            u32::from(*n) & mask == u32::from(*a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefixlen.min(128)))
                .unwrap_or(0);
            u128::from(*n) & mask == u128::from(*a) & mask
        }
        _ => false,
    }
}

/// The interfaces of the socket's namespace, as far as key binding cares.
pub trait L3Devices {
    /// `None` if no device has this index; otherwise whether it is an L3
    /// master (a VRF).
    fn is_l3_master(&self, ifindex: i32) -> Option<bool>;
}

/// A namespace whose devices are listed as `(ifindex, is_l3_master)`.
impl L3Devices for [(i32, bool)] {
    fn is_l3_master(&self, ifindex: i32) -> Option<bool> {
        self.iter().find(|(i, _)| *i == ifindex).map(|(_, m)| *m)
    }
}

/// The keys of one socket, newest first (the kernel adds at the list head,
/// so among equally good matches the newest wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyTable {
    entries: Vec<KeyEntry>,
}

impl KeyTable {
    /// An empty table.
    pub fn new() -> KeyTable {
        KeyTable::default()
    }

    /// The keys, newest first.
    pub fn entries(&self) -> &[KeyEntry] {
        &self.entries
    }

    /// Applies a request given as `setsockopt` would receive it, on a socket
    /// of family `socket`.
    pub fn apply_raw<D: L3Devices + ?Sized>(
        &mut self,
        socket: Family,
        option: Md5SigOption,
        optval: &[u8],
        devices: &D,
    ) -> Result<KeyChange, KeyTableError> {
        let invalid = |why| Err(KeyTableError::Invalid(why));
        let Some(cmd) = optval.get(..TCP_MD5SIG_LEN) else {
            return invalid(InvalidRequest::ShortOptlen {
                expected_len: TCP_MD5SIG_LEN,
                actual_len: optval.len(),
            });
        };
        let ne16 = |r: core::ops::Range<usize>| match cmd.get(r) {
            Some(&[a, b]) => u16::from_ne_bytes([a, b]),
            _ => 0,
        };
        let sa_family = ne16(field::FAMILY);
        let flags = cmd.get(field::FLAGS).copied().unwrap_or(0);
        let raw_prefix = cmd.get(field::PREFIXLEN).copied().unwrap_or(0);
        let keylen = ne16(field::KEYLEN);
        let ifindex = match cmd.get(field::IFINDEX) {
            Some(&[a, b, c, d]) => i32::from_ne_bytes([a, b, c, d]),
            _ => 0,
        };
        let ext = option == Md5SigOption::Md5SigExt;
        let (family, addr, prefixlen) = match socket {
            Family::V4 => {
                if sa_family != AF_INET {
                    return invalid(InvalidRequest::WrongFamily {
                        expected: AF_INET,
                        actual: sa_family,
                    });
                }
                let addr = match cmd.get(field::SIN_ADDR) {
                    Some(&[a, b, c, d]) => Ipv4Addr::new(a, b, c, d),
                    _ => Ipv4Addr::UNSPECIFIED,
                };
                let mut prefixlen = 32;
                if ext && flags & FLAG_PREFIX != 0 {
                    if raw_prefix > 32 {
                        return invalid(InvalidRequest::PrefixTooLong {
                            prefixlen: raw_prefix,
                            max: 32,
                        });
                    }
                    prefixlen = raw_prefix;
                }
                (Family::V4, IpAddr::V4(addr), prefixlen)
            }
            Family::V6 => {
                if sa_family != AF_INET6 {
                    return invalid(InvalidRequest::WrongFamily {
                        expected: AF_INET6,
                        actual: sa_family,
                    });
                }
                let addr = cmd
                    .get(field::SIN6_ADDR)
                    .and_then(|s| <[u8; 16]>::try_from(s).ok())
                    .map_or(Ipv6Addr::UNSPECIFIED, Ipv6Addr::from);
                let mapped = addr.to_ipv4_mapped();
                let max = if mapped.is_some() { 32 } else { 128 };
                let mut prefixlen = max;
                if ext && flags & FLAG_PREFIX != 0 {
                    if raw_prefix > 128 || raw_prefix > max {
                        return invalid(InvalidRequest::PrefixTooLong {
                            prefixlen: raw_prefix,
                            max,
                        });
                    }
                    prefixlen = raw_prefix;
                }
                match mapped {
                    Some(v4) => (Family::V4, IpAddr::V4(v4), prefixlen),
                    None => (Family::V6, IpAddr::V6(addr), prefixlen),
                }
            }
        };
        // The flag is kept whatever the option: only the ifindex lookup
        // needs TCP_MD5SIG_EXT and a non-zero index.
        let ifindex_bound = flags & FLAG_IFINDEX != 0;
        let mut l3index = 0;
        if ext && ifindex != 0 && ifindex_bound {
            match devices.is_l3_master(ifindex) {
                Some(true) => l3index = ifindex,
                _ => return invalid(InvalidRequest::NotL3Master { ifindex }),
            }
        }
        let position = self.entries.iter().position(|e| {
            e.family == family
                && e.ifindex_bound == ifindex_bound
                && e.l3index == l3index
                && e.addr == addr
                && e.prefixlen == prefixlen
        });
        if keylen == 0 {
            return match position {
                Some(i) => {
                    self.entries.remove(i);
                    Ok(KeyChange::Deleted)
                }
                None => Err(KeyTableError::NoSuchKey),
            };
        }
        if usize::from(keylen) > MAX_KEY_LEN {
            return invalid(InvalidRequest::KeyTooLong { keylen });
        }
        let key_bytes = cmd
            .get(field::KEY)
            .and_then(|k| k.get(..usize::from(keylen)))
            .unwrap_or(&[]);
        let key = Key::new(key_bytes)
            .map_err(|_| KeyTableError::Invalid(InvalidRequest::KeyTooLong { keylen }))?;
        match position.and_then(|i| self.entries.get_mut(i)) {
            Some(entry) => {
                entry.key = key;
                Ok(KeyChange::Replaced)
            }
            None => {
                self.entries.insert(
                    0,
                    KeyEntry {
                        family,
                        addr,
                        prefixlen,
                        l3index,
                        ifindex_bound,
                        key,
                    },
                );
                Ok(KeyChange::Added)
            }
        }
    }

    /// Applies a request built with [`Md5SigRequest`].
    pub fn apply<D: L3Devices + ?Sized>(
        &mut self,
        socket: Family,
        request: &Md5SigRequest,
        devices: &D,
    ) -> Result<KeyChange, KeyTableError> {
        let bytes = request.to_bytes();
        let optval = bytes
            .get(..request.optlen.min(TCP_MD5SIG_LEN))
            .unwrap_or(&[]);
        self.apply_raw(socket, request.option, optval, devices)
    }

    /// Whether any key matches `addr` in some L3 domain (the kernel's
    /// `tcp_md5_do_lookup_any_l3index`). A v4-mapped `addr` is looked up as
    /// IPv4.
    pub fn matches_any_l3index(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        let family = Family::of(&addr);
        self.entries
            .iter()
            .any(|e| e.family == family && prefix_match(&e.addr, &addr, e.prefixlen))
    }

    /// The key the kernel uses for a segment from `peer` arriving in L3
    /// domain `l3index`: keys of the other family never match; a key bound to
    /// a domain beats one that is not; then the longest prefix; then the
    /// newest. A v4-mapped `peer` is looked up as IPv4.
    pub fn lookup(&self, peer: IpAddr, l3index: i32) -> Option<&KeyEntry> {
        let peer = match peer {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        let family = Family::of(&peer);
        let mut best: Option<&KeyEntry> = None;
        for entry in &self.entries {
            if entry.family != family || !entry.matches(&peer, l3index) {
                continue;
            }
            let better = match best {
                None => true,
                Some(old) if old.l3index != 0 && entry.l3index == 0 => false,
                Some(old) if old.l3index == 0 && entry.l3index != 0 => true,
                Some(old) => old.prefixlen < entry.prefixlen,
            };
            if better {
                best = Some(entry);
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_DEVICES: &[(i32, bool)] = &[(1, false), (2, false)];

    fn key(b: &[u8]) -> Key {
        Key::new(b).unwrap()
    }

    fn v4(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn add_replace_delete() {
        let mut t = KeyTable::new();
        let a = v4("10.0.0.2");
        assert_eq!(
            t.apply(Family::V4, &Md5SigRequest::add(a, &key(b"one")), NO_DEVICES),
            Ok(KeyChange::Added)
        );
        assert_eq!(
            t.apply(Family::V4, &Md5SigRequest::add(a, &key(b"two")), NO_DEVICES),
            Ok(KeyChange::Replaced)
        );
        assert_eq!(t.lookup(a, 0).unwrap().key, key(b"two"));
        assert_eq!(
            t.apply(Family::V4, &Md5SigRequest::delete(a), NO_DEVICES),
            Ok(KeyChange::Deleted)
        );
        assert_eq!(
            t.apply(Family::V4, &Md5SigRequest::delete(a), NO_DEVICES),
            Err(KeyTableError::NoSuchKey)
        );
    }

    #[test]
    fn invalid_requests() {
        let mut t = KeyTable::new();
        let a = v4("10.0.0.2");
        let mut short = Md5SigRequest::add(a, &key(b"k"));
        short.optlen = 215;
        assert!(matches!(
            t.apply(Family::V4, &short, NO_DEVICES),
            Err(KeyTableError::Invalid(InvalidRequest::ShortOptlen { .. }))
        ));
        let mut fam = Md5SigRequest::add(a, &key(b"k"));
        fam.sa_family = AF_INET6;
        assert!(matches!(
            t.apply(Family::V4, &fam, NO_DEVICES),
            Err(KeyTableError::Invalid(InvalidRequest::WrongFamily { .. }))
        ));
        let mut long = Md5SigRequest::add(a, &key(b"k"));
        long.keylen = 81;
        assert!(matches!(
            t.apply(Family::V4, &long, NO_DEVICES),
            Err(KeyTableError::Invalid(InvalidRequest::KeyTooLong {
                keylen: 81
            }))
        ));
        let p = Md5SigRequest::add(a, &key(b"k")).with_prefix(33);
        assert!(matches!(
            t.apply(Family::V4, &p, NO_DEVICES),
            Err(KeyTableError::Invalid(InvalidRequest::PrefixTooLong {
                prefixlen: 33,
                max: 32
            }))
        ));
        let p6 = Md5SigRequest::add("fd00::2".parse().unwrap(), &key(b"k")).with_prefix(129);
        assert!(matches!(
            t.apply(Family::V6, &p6, NO_DEVICES),
            Err(KeyTableError::Invalid(InvalidRequest::PrefixTooLong {
                prefixlen: 129,
                max: 128
            }))
        ));
        let dev = Md5SigRequest::add(a, &key(b"k")).with_ifindex(2);
        assert!(matches!(
            t.apply(Family::V4, &dev, NO_DEVICES),
            Err(KeyTableError::Invalid(InvalidRequest::NotL3Master {
                ifindex: 2
            }))
        ));
        assert!(t.entries().is_empty());
    }

    #[test]
    fn prefix_lookup_longest_then_newest() {
        let mut t = KeyTable::new();
        let net = v4("10.99.0.0");
        t.apply(
            Family::V4,
            &Md5SigRequest::add(net, &key(b"wide")).with_prefix(16),
            NO_DEVICES,
        )
        .unwrap();
        t.apply(
            Family::V4,
            &Md5SigRequest::add(net, &key(b"narrow")).with_prefix(24),
            NO_DEVICES,
        )
        .unwrap();
        assert_eq!(t.lookup(v4("10.99.0.7"), 0).unwrap().key, key(b"narrow"));
        assert_eq!(t.lookup(v4("10.99.1.7"), 0).unwrap().key, key(b"wide"));
        assert!(t.lookup(v4("10.98.0.1"), 0).is_none());
        // Same prefix length, two networks that both contain the peer: newest wins.
        t.apply(
            Family::V4,
            &Md5SigRequest::add(v4("10.99.0.128"), &key(b"newer")).with_prefix(24),
            NO_DEVICES,
        )
        .unwrap();
        assert_eq!(t.lookup(v4("10.99.0.7"), 0).unwrap().key, key(b"newer"));
    }

    #[test]
    fn v4_mapped_keys_on_v6_sockets() {
        let mut t = KeyTable::new();
        let mapped: IpAddr = "::ffff:10.99.0.2".parse().unwrap();
        t.apply(
            Family::V6,
            &Md5SigRequest::add(mapped, &key(b"m")),
            NO_DEVICES,
        )
        .unwrap();
        assert_eq!(t.entries()[0].family, Family::V4);
        assert_eq!(t.entries()[0].prefixlen, 32);
        assert!(t.lookup(v4("10.99.0.2"), 0).is_some());
        assert!(t.lookup(mapped, 0).is_some());
        let too_long = Md5SigRequest::add(mapped, &key(b"m")).with_prefix(33);
        assert!(matches!(
            t.apply(Family::V6, &too_long, NO_DEVICES),
            Err(KeyTableError::Invalid(InvalidRequest::PrefixTooLong {
                max: 32,
                ..
            }))
        ));
    }

    #[test]
    fn other_family_never_matches() {
        let mut t = KeyTable::new();
        t.apply(
            Family::V6,
            &Md5SigRequest::add("::".parse().unwrap(), &key(b"all6")).with_prefix(0),
            NO_DEVICES,
        )
        .unwrap();
        assert!(t.lookup(v4("10.0.0.1"), 0).is_none());
        assert!(t.lookup("fd00::1".parse().unwrap(), 0).is_some());
    }

    #[test]
    fn l3_bound_keys() {
        let devices: &[(i32, bool)] = &[(5, true)];
        let mut t = KeyTable::new();
        let a = v4("10.0.0.2");
        t.apply(
            Family::V4,
            &Md5SigRequest::add(a, &key(b"vrf")).with_ifindex(5),
            devices,
        )
        .unwrap();
        t.apply(
            Family::V4,
            &Md5SigRequest::add(v4("10.0.0.0"), &key(b"any")).with_prefix(8),
            devices,
        )
        .unwrap();
        assert_eq!(t.lookup(a, 5).unwrap().key, key(b"vrf"));
        assert_eq!(t.lookup(a, 0).unwrap().key, key(b"any"));
        // An unbound key matches in any domain, but a bound one wins there.
        t.apply(Family::V4, &Md5SigRequest::add(a, &key(b"plain")), devices)
            .unwrap();
        assert_eq!(t.lookup(a, 5).unwrap().key, key(b"vrf"));
        assert_eq!(t.lookup(a, 7).unwrap().key, key(b"plain"));
    }
}
