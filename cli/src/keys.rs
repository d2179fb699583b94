//! The keys the user gives (`--key SCOPE=SECRET`, `--keys FILE`) and how a
//! segment finds its key: as the receiving kernel looks it up for the
//! segment's sender (longest prefix, then the newest), through the library's
//! [`KeyTable`]. A key is named by its scope and where it was given, never
//! by its bytes.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use tcpmd5::key_table::{KeyEntry, KeyTable, Md5SigRequest};
use tcpmd5::{Family, Key, MAX_KEY_LEN};

use crate::error::CliError;
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
        match (self.addr, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefixlen.min(32)))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefixlen.min(128)))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
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

/// One key the user gave.
#[derive(Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// The peers it applies to.
    pub scope: KeyScope,
    /// Where it was given (`--key #2`, `keys.txt:7`).
    pub origin: String,
    label: String,
    key: Key,
}

impl KeySpec {
    /// The key bytes, for the digest only.
    pub fn key(&self) -> &Key {
        &self.key
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
            .field("key_len", &self.key.len())
            .finish()
    }
}

/// Parses `SCOPE=SECRET`.
pub fn parse_key(text: &str, origin: String) -> Result<KeySpec, String> {
    let (scope, secret) = text
        .split_once('=')
        .ok_or_else(|| "expected SCOPE=SECRET (e.g. 10.0.0.0/24=secret)".to_owned())?;
    let scope = parse_scope(scope.trim())?;
    Ok(KeySpec {
        label: format!("{scope} ({origin})"),
        scope,
        origin,
        key: parse_secret(secret)?,
    })
}

/// The ports of a connection as far as key scopes tell them apart.
type PortClass = (Option<u16>, Option<u16>);

/// One of a [`KeyRing`]'s key tables: ids are cheap to keep per segment
/// while the tables are borrowed together (a batch of segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableId {
    /// The keys in scope for a port class.
    Ports(usize),
    /// One key for one sender no key covers.
    Sender(IpAddr, usize),
}

/// How a key was found for a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Looked up for the sender, as the receiving kernel does.
    Sender,
    /// No key covers the sender (the keyed host's own segments): looked up
    /// for the destination, as the sending kernel signs.
    Destination,
}

/// The key chosen for a segment (see [`KeyRing::spec`] and
/// [`KeyRing::candidates`] for it and the competition it won).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// Its position among the keys given.
    pub index: usize,
    /// How it was looked up.
    pub lookup: Lookup,
    /// The address it was looked up for.
    pub peer: IpAddr,
}

/// Every key given, in order (later = newer), and the lookup.
#[derive(Debug, Default)]
pub struct KeyRing {
    specs: Vec<KeySpec>,
    /// Key tables by the ports of a connection that some scope names (a
    /// handful: searched in order).
    tables: Vec<(PortClass, KeyTable)>,
    /// One-key tables for senders no key covers: (sender, key index).
    sender_tables: HashMap<(IpAddr, usize), KeyTable>,
    empty: KeyTable,
    /// The last two segments' endpoints and what [`KeyRing::choose`] found
    /// for them: a capture's segments come in runs of one connection, both
    /// ways. `next_choice` is the slot to replace.
    last_choices: [Option<(Endpoints, Option<Choice>)>; 2],
    next_choice: usize,
    /// The last ports [`KeyRing::table_id`] was asked for (in either order:
    /// the table is the same), and its answer.
    last_table: Option<((u16, u16), TableId)>,
}

/// A segment's source, destination and ports.
type Endpoints = (IpAddr, IpAddr, u16, u16);

impl KeyRing {
    /// The keys of `--key` arguments and `--keys` files (files first, then
    /// the arguments, each in order: an argument overrides a file line for
    /// the same scope, as a later `setsockopt` does).
    pub fn load(args: &[String], files: &[std::path::PathBuf]) -> Result<KeyRing, CliError> {
        let mut specs = Vec::new();
        for path in files {
            specs.extend(read_key_file(path)?);
        }
        for (i, arg) in args.iter().enumerate() {
            let origin = format!("--key #{}", i + 1);
            let spec = parse_key(arg, origin.clone()).map_err(|detail| {
                // Name the argument by its scope only: the secret stays out.
                let scope = arg.split_once('=').map_or("", |(s, _)| s);
                CliError::argument(format!("{origin} {scope}=…"), detail)
            })?;
            specs.push(spec);
        }
        Ok(KeyRing::new(specs))
    }

    /// A ring of `specs` (later = newer).
    pub fn new(specs: Vec<KeySpec>) -> KeyRing {
        KeyRing {
            specs,
            tables: Vec::new(),
            sender_tables: HashMap::new(),
            empty: KeyTable::new(),
            last_choices: [None; 2],
            next_choice: 0,
            last_table: None,
        }
    }

    /// The keys, in order.
    pub fn specs(&self) -> &[KeySpec] {
        &self.specs
    }

    /// Key `index`.
    pub fn spec(&self, index: usize) -> Option<&KeySpec> {
        self.specs.get(index)
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// The ports of a connection (`a`, `b`) as far as scopes tell them apart.
    fn port_class(&self, a: u16, b: u16) -> PortClass {
        let named = |p: u16| self.specs.iter().any(|s| s.scope.port == Some(p));
        let (a, b) = (named(a).then_some(a), named(b).then_some(b));
        if a <= b { (a, b) } else { (b, a) }
    }

    /// The library's key table of the keys in scope for ports `a`, `b`.
    pub fn table(&mut self, a: u16, b: u16) -> &KeyTable {
        let id = self.table_id(a, b);
        self.table_of(id)
    }

    /// Which table holds the keys in scope for ports `a`, `b` (built on
    /// first use), for [`KeyRing::table_of`].
    pub fn table_id(&mut self, a: u16, b: u16) -> TableId {
        let ports = (a.min(b), a.max(b));
        if let Some((last, id)) = self.last_table
            && last == ports
        {
            return id;
        }
        let id = self.table_id_anew(a, b);
        self.last_table = Some((ports, id));
        id
    }

    fn table_id_anew(&mut self, a: u16, b: u16) -> TableId {
        let class = self.port_class(a, b);
        match self.tables.iter().position(|(c, _)| *c == class) {
            Some(at) => TableId::Ports(at),
            None => {
                let table = self.build_table(class, a, b);
                self.tables.push((class, table));
                TableId::Ports(self.tables.len() - 1)
            }
        }
    }

    /// A table [`KeyRing::table_id`] or [`KeyRing::sender_table_id`] named.
    pub fn table_of(&self, id: TableId) -> &KeyTable {
        let table = match id {
            TableId::Ports(at) => self.tables.get(at).map(|(_, t)| t),
            TableId::Sender(sender, index) => self.sender_tables.get(&(sender, index)),
        };
        // Every id was handed out with its table built.
        table.unwrap_or(&self.empty)
    }

    fn build_table(&self, class: PortClass, a: u16, b: u16) -> KeyTable {
        let specs = &self.specs;
        {
            let mut table = KeyTable::new();
            for spec in specs
                .iter()
                .filter(|s| s.scope.port_matches(a, b) && class_admits(class, s))
            {
                let family = Family::of(&spec.scope.addr);
                let request = Md5SigRequest::add(spec.scope.addr, &spec.key)
                    .with_prefix(spec.scope.prefixlen);
                // Scopes are checked when parsed: every request is valid.
                let _ = table.apply(family, &request, &[] as &[(i32, bool)]);
            }
            table
        }
    }

    /// The spec behind a table entry: the newest with its address and prefix.
    fn spec_of(&self, entry: &KeyEntry, a: u16, b: u16) -> Option<usize> {
        self.specs.iter().rposition(|s| {
            s.scope.addr == entry.addr
                && s.scope.prefixlen == entry.prefixlen
                && s.scope.port_matches(a, b)
        })
    }

    /// The table a receiver holding key `index` for `sender` (and no other)
    /// has: how a segment from an address no key covers is judged.
    pub fn sender_table(&mut self, sender: IpAddr, index: usize) -> &KeyTable {
        let id = self.sender_table_id(sender, index);
        self.table_of(id)
    }

    /// [`KeyRing::sender_table`], built on first use, as a [`TableId`].
    pub fn sender_table_id(&mut self, sender: IpAddr, index: usize) -> TableId {
        let specs = &self.specs;
        self.sender_tables
            .entry((sender, index))
            .or_insert_with(|| {
                let mut table = KeyTable::new();
                if let Some(spec) = specs.get(index) {
                    let _ = table.apply(
                        Family::of(&sender),
                        &Md5SigRequest::add(sender, &spec.key),
                        &[] as &[(i32, bool)],
                    );
                }
                table
            });
        TableId::Sender(sender, index)
    }

    /// The key for a segment from `src` to `dst` between ports `sport` and
    /// `dport`: the receiver's lookup for the sender, else the sender's for
    /// the destination.
    pub fn choose(&mut self, src: IpAddr, dst: IpAddr, sport: u16, dport: u16) -> Option<Choice> {
        let endpoints = (src, dst, sport, dport);
        if let Some((_, choice)) = self
            .last_choices
            .iter()
            .flatten()
            .find(|(e, _)| *e == endpoints)
        {
            return *choice;
        }
        let choice = self.choose_anew(src, dst, sport, dport);
        if let Some(slot) = self.last_choices.get_mut(self.next_choice) {
            *slot = Some((endpoints, choice));
        }
        self.next_choice = (self.next_choice + 1) % 2;
        choice
    }

    fn choose_anew(&mut self, src: IpAddr, dst: IpAddr, sport: u16, dport: u16) -> Option<Choice> {
        let (by_src, by_dst) = {
            let table = self.table(sport, dport);
            (table.lookup(src, 0).cloned(), table.lookup(dst, 0).cloned())
        };
        let (entry, lookup, peer) = match (by_src, by_dst) {
            (Some(e), _) => (e, Lookup::Sender, src),
            (None, Some(e)) => (e, Lookup::Destination, dst),
            (None, None) => return None,
        };
        let index = self.spec_of(&entry, sport, dport)?;
        Some(Choice {
            index,
            lookup,
            peer,
        })
    }

    /// Every key whose scope covers `peer` and the ports, in order given.
    pub fn candidates(&self, peer: IpAddr, a: u16, b: u16) -> Vec<&KeySpec> {
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        self.specs
            .iter()
            .filter(|s| s.scope.contains(peer) && s.scope.port_matches(a, b))
            .collect()
    }
}

/// Whether a spec belongs in the table of a port class: a port-restricted
/// key only where its port is one of the class's.
fn class_admits(class: PortClass, spec: &KeySpec) -> bool {
    match spec.scope.port {
        None => true,
        Some(p) => class.0 == Some(p) || class.1 == Some(p),
    }
}

/// Reads a key file: one `SCOPE=SECRET` per line; blank lines and lines
/// starting with `#` are skipped (a `#` inside a secret is part of it).
pub fn read_key_file(path: &Path) -> Result<Vec<KeySpec>, CliError> {
    let text = std::fs::read(path).map_err(|e| CliError::file(path, &e))?;
    let text = String::from_utf8(text).map_err(|e| CliError::KeyFile {
        path: path.display().to_string(),
        line: 1 + e
            .as_bytes()
            .get(..e.utf8_error().valid_up_to())
            .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count()),
        detail: "not UTF-8 text (give binary secrets as hex:…)".to_owned(),
    })?;
    let mut specs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let origin = format!("{}:{}", path.display(), i + 1);
        let spec = parse_key(trimmed.trim_end_matches('\r'), origin).map_err(|detail| {
            CliError::KeyFile {
                path: path.display().to_string(),
                line: i + 1,
                detail,
            }
        })?;
        specs.push(spec);
    }
    Ok(specs)
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
    }

    #[test]
    fn debug_hides_the_secret() {
        let spec = parse_key("10.0.0.1=hunter2-secret", "--key #1".into()).unwrap();
        let dbg = format!("{spec:?} {:?}", KeyRing::new(vec![spec.clone()]));
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(!dbg.contains(&hex::encode(b"hunter2")), "{dbg}");
    }

    #[test]
    fn longest_prefix_then_newest_then_destination() {
        let k = |t: &str, o: &str| parse_key(t, o.into()).unwrap();
        let mut ring = KeyRing::new(vec![
            k("10.0.0.0/8=wide", "a"),
            k("10.1.0.0/16=narrow", "b"),
            k("10.1.0.0/16=newer", "c"),
            k("10.2.0.1:179=bgp", "d"),
        ]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let mut origin = |s: &str, d: &str, sp: u16| {
            let c = ring.choose(ip(s), ip(d), sp, 2).unwrap();
            (ring.spec(c.index).unwrap().origin.clone(), c.lookup)
        };
        assert_eq!(
            origin("10.1.2.3", "192.0.2.1", 1),
            ("c".into(), Lookup::Sender)
        );
        assert_eq!(origin("10.2.0.1", "192.0.2.1", 179).0, "d");
        assert_eq!(origin("10.2.0.1", "192.0.2.1", 178).0, "a");
        assert_eq!(
            origin("192.0.2.1", "10.1.0.9", 1),
            ("c".into(), Lookup::Destination)
        );
        assert_eq!(ring.candidates(ip("10.1.2.3"), 1, 2).len(), 3);
        assert!(
            ring.choose(ip("192.0.2.1"), ip("192.0.2.2"), 1, 2)
                .is_none()
        );
    }
}
