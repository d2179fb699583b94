//! A wire view of inet_diag's `INET_DIAG_MD5SIG` attribute: the socket's
//! MD5 keys as an array of `struct tcp_diag_md5sig` (family, prefix
//! length, key length, address, key; 100 bytes each). The kernel reports
//! no ifindex/L3 domain here (seen on 6.18: 100-byte entries), so a VRF
//! key is shown by the socket's bound device instead. Parsed without
//! trusting the bytes: a wrong size or length is an error, never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tcpmd5::{Key, MAX_KEY_LEN};

/// `struct tcp_diag_md5sig`'s size.
pub const ENTRY_LEN: usize = 4 + 16 + MAX_KEY_LEN;

/// One key as the kernel holds it on a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketKey {
    /// The peer address (or prefix) the key applies to.
    pub addr: IpAddr,
    /// The prefix length.
    pub prefixlen: u8,
    /// The key (its `Debug` shows the length only).
    pub key: Key,
}

/// An attribute that is not an array of keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Md5SigAttrError {
    /// The length is not a multiple of an entry's.
    #[error("INET_DIAG_MD5SIG of {0} bytes is not a whole number of {ENTRY_LEN}-byte keys")]
    Length(usize),
    /// An entry's family is neither AF_INET nor AF_INET6.
    #[error("INET_DIAG_MD5SIG key #{index}: unknown address family {family}")]
    Family {
        /// The entry (from 0).
        index: usize,
        /// The family byte.
        family: u8,
    },
    /// An entry's key length is 0 or over 80.
    #[error("INET_DIAG_MD5SIG key #{index}: key length {len} is not 1..={MAX_KEY_LEN}")]
    KeyLength {
        /// The entry (from 0).
        index: usize,
        /// The length field.
        len: u16,
    },
}

/// The keys in an `INET_DIAG_MD5SIG` attribute's value.
pub fn parse(value: &[u8]) -> Result<Vec<SocketKey>, Md5SigAttrError> {
    if !value.len().is_multiple_of(ENTRY_LEN) {
        return Err(Md5SigAttrError::Length(value.len()));
    }
    value
        .chunks_exact(ENTRY_LEN)
        .enumerate()
        .map(|(index, entry)| parse_entry(index, entry))
        .collect()
}

fn parse_entry(index: usize, entry: &[u8]) -> Result<SocketKey, Md5SigAttrError> {
    let byte = |at: usize| entry.get(at).copied().unwrap_or(0);
    let family = byte(0);
    let prefixlen = byte(1);
    let len = u16::from_ne_bytes([byte(2), byte(3)]);
    let mut addr16 = [0u8; 16];
    if let Some(raw) = entry.get(4..20) {
        addr16.copy_from_slice(raw);
    }
    let addr = match i32::from(family) {
        libc::AF_INET => IpAddr::V4(Ipv4Addr::new(addr16[0], addr16[1], addr16[2], addr16[3])),
        libc::AF_INET6 => IpAddr::V6(Ipv6Addr::from(addr16)),
        _ => return Err(Md5SigAttrError::Family { index, family }),
    };
    let key = entry
        .get(20..20 + usize::from(len))
        .and_then(|bytes| Key::new(bytes).ok())
        .ok_or(Md5SigAttrError::KeyLength { index, len })?;
    Ok(SocketKey {
        addr,
        prefixlen,
        key,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn entry(family: u8, prefix: u8, addr: &[u8], key: &[u8]) -> Vec<u8> {
        let mut e = vec![family, prefix];
        e.extend_from_slice(&(key.len() as u16).to_ne_bytes());
        let mut a = [0u8; 16];
        a[..addr.len()].copy_from_slice(addr);
        e.extend_from_slice(&a);
        let mut k = [0u8; 80];
        k[..key.len()].copy_from_slice(key);
        e.extend_from_slice(&k);
        e
    }

    #[test]
    fn keys_of_both_families() {
        let mut v = entry(2, 24, &[10, 0, 0, 0], b"pw");
        v.extend(entry(10, 128, &Ipv6Addr::LOCALHOST.octets(), &[0; 80]));
        let keys = parse(&v).unwrap();
        assert_eq!(keys[0].addr, IpAddr::from([10, 0, 0, 0]));
        assert_eq!(
            (keys[0].prefixlen, keys[0].key.as_bytes()),
            (24, &b"pw"[..])
        );
        assert_eq!(keys[1].addr, IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(keys[1].key.len(), 80);
        assert!(parse(&[]).unwrap().is_empty());
    }

    #[test]
    fn malformed() {
        let good = entry(2, 32, &[10, 0, 0, 1], b"k");
        assert_eq!(parse(&good[..99]), Err(Md5SigAttrError::Length(99)));
        let mut bad = good.clone();
        bad[0] = 7;
        assert!(matches!(parse(&bad), Err(Md5SigAttrError::Family { .. })));
        for len in [0u16, 81, 65535] {
            let mut bad = good.clone();
            bad[2..4].copy_from_slice(&len.to_ne_bytes());
            assert!(
                matches!(parse(&bad), Err(Md5SigAttrError::KeyLength { .. })),
                "{len}"
            );
        }
    }

    #[test]
    fn debug_shows_no_key() {
        let keys = parse(&entry(2, 32, &[10, 0, 0, 1], b"sekrit")).unwrap();
        assert!(!format!("{keys:?}").contains("sekrit"));
    }
}
