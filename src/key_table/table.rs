//! The keys of one socket and the lookup for an incoming segment
//! (`tcp_md5_do_add`, `tcp_md5_do_del`, `__tcp_md5_do_lookup`).

use core::net::IpAddr;

use super::request::{
    AF_INET, AF_INET6, FLAG_IFINDEX, FLAG_PREFIX, Md5SigOption, Md5SigRequest, RawMd5Sig,
    TCP_MD5SIG_LEN,
};
use super::{InvalidRequest, KeyTableError};
use crate::{Family, Key};

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
        crate::prefix::contains(self.addr, self.prefixlen, *addr)
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
    /// of family `socket` (`tcp_v4_parse_md5_keys`, `tcp_v6_parse_md5_keys`).
    //= linux/md5-keys-parse
    //= 4.0/key-config
    pub fn apply_raw<D: L3Devices + ?Sized>(
        &mut self,
        socket: Family,
        option: Md5SigOption,
        optval: &[u8],
        devices: &D,
    ) -> Result<KeyChange, KeyTableError> {
        let cmd = RawMd5Sig::parse(optval)?;
        let ext = option == Md5SigOption::Md5SigExt;
        let (family, addr, prefixlen) = match socket {
            Family::V4 => peer_v4(&cmd, ext)?,
            Family::V6 => peer_v6(&cmd, ext)?,
        };
        // The flag is kept whatever the option: only the ifindex lookup
        // needs TCP_MD5SIG_EXT and a non-zero index.
        let slot = Slot {
            family,
            addr,
            prefixlen,
            l3index: l3_binding(&cmd, ext, devices)?,
            ifindex_bound: cmd.flags & FLAG_IFINDEX != 0,
        };
        if cmd.keylen == 0 {
            return self.delete(&slot);
        }
        let key = cmd.key()?;
        Ok(self.add(slot, key))
    }

    /// The entry with exactly this address, prefix and binding
    /// (`tcp_md5_do_lookup_exact`).
    fn position(&self, slot: &Slot) -> Option<usize> {
        self.entries.iter().position(|e| {
            e.family == slot.family
                && e.ifindex_bound == slot.ifindex_bound
                && e.l3index == slot.l3index
                && e.addr == slot.addr
                && e.prefixlen == slot.prefixlen
        })
    }

    /// `tcp_md5_do_del`.
    fn delete(&mut self, slot: &Slot) -> Result<KeyChange, KeyTableError> {
        let i = self.position(slot).ok_or(KeyTableError::NoSuchKey)?;
        self.entries.remove(i);
        Ok(KeyChange::Deleted)
    }

    /// `tcp_md5_do_add`: replaces the key of an existing entry, or adds a
    /// new one at the head.
    fn add(&mut self, slot: Slot, key: Key) -> KeyChange {
        match self.position(&slot).and_then(|i| self.entries.get_mut(i)) {
            Some(entry) => {
                entry.key = key;
                KeyChange::Replaced
            }
            None => {
                let Slot {
                    family,
                    addr,
                    prefixlen,
                    l3index,
                    ifindex_bound,
                } = slot;
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
                KeyChange::Added
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
            .any(|e| e.family == family && crate::prefix::contains(e.addr, e.prefixlen, addr))
    }

    /// The key the kernel uses for a segment from `peer` arriving in L3
    /// domain `l3index`: keys of the other family never match; a key bound to
    /// a domain beats one that is not; then the longest prefix; then the
    /// newest. A v4-mapped `peer` is looked up as IPv4.
    //= linux/md5-key-lookup
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

/// What identifies a key in the table: everything but the key bytes.
struct Slot {
    family: Family,
    addr: IpAddr,
    prefixlen: u8,
    l3index: i32,
    ifindex_bound: bool,
}

/// The prefix length of a request: `max` unless `TCP_MD5SIG_EXT` with
/// `FLAG_PREFIX`, which may not exceed it.
fn prefixlen(cmd: &RawMd5Sig<'_>, ext: bool, max: u8) -> Result<u8, InvalidRequest> {
    if !ext || cmd.flags & FLAG_PREFIX == 0 {
        return Ok(max);
    }
    if cmd.prefixlen > max {
        return Err(InvalidRequest::PrefixTooLong {
            prefixlen: cmd.prefixlen,
            max,
        });
    }
    Ok(cmd.prefixlen)
}

/// The peer of a request on an IPv4 socket (`tcp_v4_parse_md5_keys`).
fn peer_v4(cmd: &RawMd5Sig<'_>, ext: bool) -> Result<(Family, IpAddr, u8), InvalidRequest> {
    if cmd.sa_family != AF_INET {
        return Err(InvalidRequest::WrongFamily {
            expected: AF_INET,
            actual: cmd.sa_family,
        });
    }
    Ok((
        Family::V4,
        IpAddr::V4(cmd.sin_addr()),
        prefixlen(cmd, ext, 32)?,
    ))
}

/// The peer of a request on an IPv6 socket (`tcp_v6_parse_md5_keys`): a
/// v4-mapped address is an IPv4 key, with prefixes up to 32.
fn peer_v6(cmd: &RawMd5Sig<'_>, ext: bool) -> Result<(Family, IpAddr, u8), InvalidRequest> {
    if cmd.sa_family != AF_INET6 {
        return Err(InvalidRequest::WrongFamily {
            expected: AF_INET6,
            actual: cmd.sa_family,
        });
    }
    let addr = cmd.sin6_addr();
    Ok(match addr.to_ipv4_mapped() {
        Some(v4) => (Family::V4, IpAddr::V4(v4), prefixlen(cmd, ext, 32)?),
        None => (Family::V6, IpAddr::V6(addr), prefixlen(cmd, ext, 128)?),
    })
}

/// The L3 domain a request binds its key to: `tcpm_ifindex` with
/// `TCP_MD5SIG_EXT` and `FLAG_IFINDEX`, which must name an L3 master (VRF)
/// device; 0 otherwise.
fn l3_binding<D: L3Devices + ?Sized>(
    cmd: &RawMd5Sig<'_>,
    ext: bool,
    devices: &D,
) -> Result<i32, InvalidRequest> {
    let ifindex = cmd.ifindex;
    if !ext || ifindex == 0 || cmd.flags & FLAG_IFINDEX == 0 {
        return Ok(0);
    }
    match devices.is_l3_master(ifindex) {
        Some(true) => Ok(ifindex),
        _ => Err(InvalidRequest::NotL3Master { ifindex }),
    }
}

#[cfg(test)]
mod tests;
