//! The keys the user gives and who holds them: a router's own table
//! (`--router FILE`, or a `host` section of a key file: the kernel looks a
//! key up for the sender in the *receiver's* table), or shared keys
//! (`--key SCOPE=SECRET`, key-file lines outside a section: both ends hold
//! them). `SCOPE=` with no secret says "no key for these peers". A key is
//! named by its scope and where it was given, never by its bytes.

use std::fmt;
use std::net::IpAddr;

use tcpmd5::Key;

mod ao;
mod file;
mod ring;
mod scope;

pub use ao::{AoKeySpec, parse_ao_key, read_ao_key_lines};
pub use file::read_key_file;
pub use ring::{Choice, KeyRing, Lookup, TableId};
pub use scope::{KeyScope, parse_scope, parse_secret};

/// One key the user gave, or one "no key for these peers".
#[derive(Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// The peers it applies to.
    pub scope: KeyScope,
    /// Where it was given (`--key #2`, `keys.txt:7`, `bird-A.conf:12`).
    pub origin: String,
    /// The router whose table holds it (an index into
    /// [`KeyRing::holders`]); `None`: shared, both ends hold it.
    pub holder: Option<usize>,
    label: String,
    key: Option<Key>,
}

impl KeySpec {
    /// A key (or, with `key: None`, no key) for `scope`.
    pub fn new(scope: KeyScope, origin: String, key: Option<Key>) -> KeySpec {
        KeySpec {
            label: format!("{scope} ({origin})"),
            scope,
            origin,
            holder: None,
            key,
        }
    }

    /// The key bytes, for the digest only (`None`: no key for the scope).
    pub fn key(&self) -> Option<&Key> {
        self.key.as_ref()
    }

    /// How output names the key: its scope and where it was given.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// Never the secret: its length only.
impl fmt::Debug for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySpec")
            .field("scope", &self.scope)
            .field("origin", &self.origin)
            .field("holder", &self.holder)
            .field("key_len", &self.key.as_ref().map(Key::len))
            .finish()
    }
}

/// Parses `SCOPE=SECRET`, or `SCOPE=` (no key for the scope).
pub fn parse_key(text: &str, origin: String) -> Result<KeySpec, String> {
    let (scope, secret) = text.split_once('=').ok_or_else(|| {
        "expected SCOPE=SECRET (e.g. 10.0.0.0/24=secret), or SCOPE= for no key".to_owned()
    })?;
    // The text before `=` is never quoted: written `SECRET=SCOPE`, it is
    // the secret. Its length and the line's origin locate the mistake.
    let scope = parse_scope(scope.trim()).map_err(|_| {
        format!(
            "the {} characters before '=' are not a scope (ADDR, ADDR/LEN, \
             ADDR:PORT, [V6]:PORT); write SCOPE=SECRET, scope first",
            scope.chars().count()
        )
    })?;
    let key = match secret {
        "" => None,
        s => Some(parse_secret(s)?),
    };
    Ok(KeySpec::new(scope, origin, key))
}

/// A router whose own key table was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// How output names it (a file's stem, or a host section's name).
    pub name: String,
    /// Where its table came from (`bird-A.conf (BIRD 2)`, `keys.txt:4`).
    pub source: String,
    /// Its own addresses (`local`, `update-source`, a host line); when
    /// empty, they are taken from the capture's flows.
    pub addrs: Vec<IpAddr>,
}

impl KeyRing {
    /// What was read, one line per router and one for the shared keys:
    /// scopes and origins, never the bytes.
    pub fn describe(&self) -> Vec<String> {
        let entries = |holder: Option<usize>| {
            self.specs()
                .iter()
                .filter(|s| s.holder == holder)
                .map(|s| match s.key() {
                    Some(_) => s.label().to_owned(),
                    None => format!("no key for {}", s.label()),
                })
                .collect::<Vec<_>>()
        };
        let mut out = Vec::new();
        for (i, h) in self.holders().iter().enumerate() {
            let addrs = if h.addrs.is_empty() {
                "own addresses from the capture's flows".to_owned()
            } else {
                let a: Vec<String> = h.addrs.iter().map(IpAddr::to_string).collect();
                format!("own addresses {}", a.join(", "))
            };
            let keys = entries(Some(i));
            out.push(format!(
                "router {} ({}): {addrs}; {}",
                h.name,
                h.source,
                if keys.is_empty() {
                    "no keys".to_owned()
                } else {
                    format!("keys: {}", keys.join(", "))
                }
            ));
        }
        let shared = entries(None);
        if !shared.is_empty() && !self.holders().is_empty() {
            out.push(format!(
                "shared keys (both ends hold them): {}",
                shared.join(", ")
            ));
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        let s = |t: &str| parse_scope(t).map(|s| s.to_string());
        assert_eq!(s("10.0.0.0/24").unwrap(), "10.0.0.0/24");
        assert_eq!(s("10.0.0.1:179").unwrap(), "10.0.0.1:179");
        assert_eq!(s("10.0.0.0/8:179").unwrap(), "10.0.0.0/8:179");
        assert_eq!(s("2001:db8::1").unwrap(), "2001:db8::1");
        assert_eq!(s("[2001:db8::1]:179").unwrap(), "[2001:db8::1]:179");
        assert_eq!(s("[2001:db8::/32]:179").unwrap(), "[2001:db8::/32]:179");
        assert_eq!(s("2001:db8::/32").unwrap(), "2001:db8::/32");
        for bad in [
            "10.0.0.0/33",
            "10.0.0.1:x",
            "[::1",
            "host",
            "::1/129",
            "[::1]x",
        ] {
            assert!(parse_scope(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets() {
        assert_eq!(parse_secret("hex:00ff").unwrap().as_bytes(), &[0, 0xff]);
        assert_eq!(parse_secret("a=b").unwrap().as_bytes(), b"a=b");
        assert!(parse_secret("").is_err());
        assert!(parse_secret("hex:0").is_err());
        assert!(parse_secret(&"x".repeat(81)).is_err());
        assert!(parse_secret(&format!("hex:{}", "00".repeat(80))).is_ok());
        assert_eq!(parse_key("10.0.0.1=", "x".into()).unwrap().key(), None);
    }

    #[test]
    fn debug_hides_the_secret() {
        let spec = parse_key("10.0.0.1=hunter2-secret", "--key #1".into()).unwrap();
        let dbg = format!("{spec:?} {:?}", KeyRing::new(vec![spec.clone()]));
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(!dbg.contains(&crate::hex::encode(b"hunter2")), "{dbg}");
    }
}
