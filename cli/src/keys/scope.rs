//! Key scopes (`10.0.0.0/24`, `[2001:db8::1]:179`) and secrets
//! (`text`, `hex:00ff`), as every subcommand and file takes them.

use std::fmt;
use std::net::IpAddr;

use tcpmd5::{Key, MAX_KEY_LEN};

use crate::hex;

/// The peers a key applies to: an address prefix, and optionally a port
/// that one end of the connection must use (179 for BGP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyScope {
    /// The network address (as given; bits past the prefix are ignored).
    pub addr: IpAddr,
    /// The prefix length (32 or 128 for one address).
    pub prefixlen: u8,
    /// A port either end of the connection uses, if restricted.
    pub port: Option<u16>,
}

impl KeyScope {
    fn full_len(addr: &IpAddr) -> u8 {
        match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    }

    /// Whether the scope's prefix contains `addr`.
    pub fn contains(&self, addr: IpAddr) -> bool {
        tcpmd5::prefix::contains(self.addr, self.prefixlen, addr)
    }

    /// Whether a connection between ports `a` and `b` is in scope.
    pub fn port_matches(&self, a: u16, b: u16) -> bool {
        self.port.is_none_or(|p| p == a || p == b)
    }
}

impl fmt::Display for KeyScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = self.prefixlen == KeyScope::full_len(&self.addr);
        match (self.addr, self.port, full) {
            (IpAddr::V6(a), Some(p), true) => write!(f, "[{a}]:{p}"),
            (IpAddr::V6(a), Some(p), false) => write!(f, "[{a}/{}]:{p}", self.prefixlen),
            (a, Some(p), true) => write!(f, "{a}:{p}"),
            (a, Some(p), false) => write!(f, "{a}/{}:{p}", self.prefixlen),
            (a, None, true) => write!(f, "{a}"),
            (a, None, false) => write!(f, "{a}/{}", self.prefixlen),
        }
    }
}

/// Parses `ADDR`, `ADDR/LEN`, `ADDR:PORT`, `ADDR/LEN:PORT`, `[V6]:PORT`,
/// `[V6/LEN]:PORT`.
pub fn parse_scope(text: &str) -> Result<KeyScope, String> {
    let (prefix, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| "missing ']' after an IPv6 address".to_owned())?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("expected ':PORT' after ']', found {p:?}"))?,
            ),
        };
        (inside, port)
    } else if text.matches(':').count() == 1 {
        // IPv4 with a port (an IPv6 address has at least two colons).
        let (a, p) = text.split_once(':').unwrap_or((text, ""));
        (a, Some(p))
    } else {
        (text, None)
    };
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| format!("port {p:?} is not a number 0..=65535"))
        })
        .transpose()?;
    let (addr, len) = match prefix.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (prefix, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not an IPv4 or IPv6 address"))?;
    let full = KeyScope::full_len(&addr);
    let prefixlen = match len {
        None => full,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= full => n,
            _ => return Err(format!("prefix length {l:?} is not 0..={full}")),
        },
    };
    Ok(KeyScope {
        addr,
        prefixlen,
        port,
    })
}

/// Parses a secret: `hex:0011…` (binary, NUL bytes allowed) or text.
pub fn parse_secret(text: &str) -> Result<Key, String> {
    let bytes = match text.strip_prefix("hex:") {
        Some(h) => hex::decode(h).map_err(|e| format!("hex secret: {e}"))?,
        None => text.as_bytes().to_vec(),
    };
    Key::new(&bytes).map_err(|e| {
        format!(
            "secret of {} bytes: Linux takes 1 to {MAX_KEY_LEN} ({e})",
            e.actual_len
        )
    })
}
