//! How a segment finds its key, as the receiving kernel looks it up for
//! the sender: in the receiving router's table when one was given (its
//! own addresses, or the capture's flows, say which router receives),
//! else among the shared keys (for the sender, else for the destination:
//! the keyed host's own segments, signed with the key both ends hold).
//! Longest prefix, then the newest; a "no key" entry wins like a key.

use std::collections::HashMap;
use std::net::IpAddr;

use tcpmd5::Family;
use tcpmd5::key_table::{KeyTable, Md5SigRequest};

use super::{Holder, KeySpec};

/// The receiver's table as the library's verdict takes it: the one key
/// the receiver's lookup found for the sender, or none. Ids are cheap to
/// keep per flow while the tables are borrowed together (a batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableId {
    /// No key for the sender.
    Empty,
    /// Key `index` for `sender`.
    Sender(IpAddr, usize),
}

/// Whose table the key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The receiving router's own table (an index into
    /// [`KeyRing::holders`]), looked up for the sender.
    Receiver(usize),
    /// The shared keys, looked up for the sender.
    Sender,
    /// No shared key covers the sender (the keyed host's own segments):
    /// looked up for the destination, the key both ends hold.
    Destination,
}

/// What the receiver's lookup found for a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// The key's position among the keys given; `None`: the receiver holds
    /// no key for the sender (a router's table without one, or `SCOPE=`).
    pub index: Option<usize>,
    /// Where it was looked up.
    pub lookup: Lookup,
    /// The address it was looked up for.
    pub peer: IpAddr,
}

/// A segment's source, destination and ports.
type Endpoints = (IpAddr, IpAddr, u16, u16);

/// Every key given, in order (later = newer), who holds it, and the lookup.
#[derive(Debug, Default)]
pub struct KeyRing {
    specs: Vec<KeySpec>,
    holders: Vec<Holder>,
    /// One-key tables by (sender, key index).
    sender_tables: HashMap<(IpAddr, usize), KeyTable>,
    empty: KeyTable,
    /// The last two segments' endpoints and their choice: a capture's
    /// segments come in runs of one connection, both ways.
    last_choices: [Option<(Endpoints, Option<Choice>)>; 2],
    next_choice: usize,
}

impl Clone for KeyRing {
    /// The keys and holders (tables are built again on use).
    fn clone(&self) -> Self {
        KeyRing::with_holders(self.specs.clone(), self.holders.clone())
    }
}

impl KeyRing {
    /// A ring of shared keys (later = newer).
    pub fn new(specs: Vec<KeySpec>) -> KeyRing {
        KeyRing::with_holders(specs, Vec::new())
    }

    /// A ring of keys, some held by `holders` (see [`KeySpec::holder`]).
    pub fn with_holders(specs: Vec<KeySpec>, holders: Vec<Holder>) -> KeyRing {
        KeyRing {
            specs,
            holders,
            ..KeyRing::default()
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

    /// The routers whose tables were given.
    pub fn holders(&self) -> &[Holder] {
        &self.holders
    }

    /// Whether no key (and no router) was given.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty() && self.holders.is_empty()
    }

    /// The best entry of `holder`'s table (or the shared keys) for `peer`
    /// on ports `a`, `b`: the longest prefix, then the newest.
    fn best(&self, holder: Option<usize>, peer: IpAddr, a: u16, b: u16) -> Option<usize> {
        self.specs
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.holder == holder && s.scope.contains(peer) && s.scope.port_matches(a, b)
            })
            .max_by_key(|(i, s)| (s.scope.prefixlen, *i))
            .map(|(i, _)| i)
    }

    /// The router that receives at `addr` a segment from `peer`: the one
    /// with `addr` among its addresses, else the only router without
    /// addresses whose table has an entry for `peer` (taken from the flow).
    pub fn owner(&self, addr: IpAddr, peer: IpAddr) -> Option<usize> {
        if let Some(i) = self.holders.iter().position(|h| h.addrs.contains(&addr)) {
            return Some(i);
        }
        let mut inferred = self.holders.iter().enumerate().filter(|(i, h)| {
            h.addrs.is_empty()
                && self
                    .specs
                    .iter()
                    .any(|s| s.holder == Some(*i) && s.scope.contains(peer))
        });
        match (inferred.next(), inferred.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    }

    /// The receiver's key for a segment from `src` to `dst` between ports
    /// `sport` and `dport`; `None` when no table given covers the receiver.
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
        let choice = self.lookup(src, dst, sport, dport);
        if let Some(slot) = self.last_choices.get_mut(self.next_choice) {
            *slot = Some((endpoints, choice));
        }
        self.next_choice = (self.next_choice + 1) % 2;
        choice
    }

    /// [`KeyRing::choose`] without the cache.
    pub fn lookup(&self, src: IpAddr, dst: IpAddr, sport: u16, dport: u16) -> Option<Choice> {
        if let Some(r) = self.owner(dst, src) {
            let best = self.best(Some(r), src, sport, dport);
            return Some(Choice {
                index: best.filter(|&i| self.specs.get(i).is_some_and(|s| s.key().is_some())),
                lookup: Lookup::Receiver(r),
                peer: src,
            });
        }
        let (index, lookup, peer) = match (
            self.best(None, src, sport, dport),
            self.best(None, dst, sport, dport),
        ) {
            (Some(i), _) => (i, Lookup::Sender, src),
            (None, Some(i)) => (i, Lookup::Destination, dst),
            (None, None) => return None,
        };
        Some(Choice {
            index: self.specs.get(index).and_then(|s| s.key()).map(|_| index),
            lookup,
            peer,
        })
    }

    /// The key the *sender* of a segment from `src` to `dst` holds for
    /// `dst` (what it signs with), when its table is known.
    pub fn senders_key(&self, src: IpAddr, dst: IpAddr, sport: u16, dport: u16) -> Option<usize> {
        self.lookup(dst, src, dport, sport).and_then(|c| c.index)
    }

    /// The receiver's table for a segment from `sender` with `choice`.
    pub fn table_id(&mut self, sender: IpAddr, choice: Option<Choice>) -> TableId {
        let Some(index) = choice.and_then(|c| c.index) else {
            return TableId::Empty;
        };
        let specs = &self.specs;
        self.sender_tables
            .entry((sender, index))
            .or_insert_with(|| {
                let mut table = KeyTable::new();
                if let Some(key) = specs.get(index).and_then(KeySpec::key) {
                    // A full-length address: every request is valid.
                    let _ = table.apply(
                        Family::of(&sender),
                        &Md5SigRequest::add(sender, key),
                        &[] as &[(i32, bool)],
                    );
                }
                table
            });
        TableId::Sender(sender, index)
    }

    /// A table [`KeyRing::table_id`] named.
    pub fn table_of(&self, id: TableId) -> &KeyTable {
        match id {
            TableId::Empty => &self.empty,
            // Every id was handed out with its table built.
            TableId::Sender(sender, index) => self
                .sender_tables
                .get(&(sender, index))
                .unwrap_or(&self.empty),
        }
    }

    /// Every key (not "no key") whose scope covers `peer` and the ports,
    /// whoever holds it, in order given.
    pub fn candidates(&self, peer: IpAddr, a: u16, b: u16) -> Vec<&KeySpec> {
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        self.specs
            .iter()
            .filter(|s| s.key().is_some() && s.scope.contains(peer) && s.scope.port_matches(a, b))
            .collect()
    }

    /// How output names the router at `addr` (its name, else the address).
    pub fn name_of(&self, addr: IpAddr, peer: IpAddr) -> String {
        match self.owner(addr, peer).and_then(|i| self.holders.get(i)) {
            Some(h) => h.name.clone(),
            None => addr.to_string(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::parse_key;
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn longest_prefix_then_newest_then_destination() {
        let k = |t: &str, o: &str| parse_key(t, o.into()).unwrap();
        let mut ring = KeyRing::new(vec![
            k("10.0.0.0/8=wide", "a"),
            k("10.1.0.0/16=narrow", "b"),
            k("10.1.0.0/16=newer", "c"),
            k("10.2.0.1:179=bgp", "d"),
            k("10.3.0.1=", "e"),
        ]);
        let mut origin = |s: &str, d: &str, sp: u16| {
            let c = ring.choose(ip(s), ip(d), sp, 2).unwrap();
            (
                c.index.map(|i| ring.spec(i).unwrap().origin.clone()),
                c.lookup,
            )
        };
        assert_eq!(
            origin("10.1.2.3", "192.0.2.1", 1),
            (Some("c".into()), Lookup::Sender)
        );
        assert_eq!(origin("10.2.0.1", "192.0.2.1", 179).0.unwrap(), "d");
        assert_eq!(origin("10.2.0.1", "192.0.2.1", 178).0.unwrap(), "a");
        assert_eq!(
            origin("192.0.2.1", "10.1.0.9", 1),
            (Some("c".into()), Lookup::Destination)
        );
        assert_eq!(origin("10.3.0.1", "192.0.2.1", 1), (None, Lookup::Sender));
        assert_eq!(ring.candidates(ip("10.1.2.3"), 1, 2).len(), 3);
        assert!(
            ring.choose(ip("192.0.2.1"), ip("192.0.2.2"), 1, 2)
                .is_none()
        );
    }

    #[test]
    fn the_receivers_table_decides() {
        let mut a = parse_key("10.0.0.2=pw", "a.conf:3".into()).unwrap();
        a.holder = Some(0);
        let holders = vec![
            Holder {
                name: "A".into(),
                source: "a.conf".into(),
                addrs: vec![ip("10.0.0.1")],
            },
            Holder {
                name: "B".into(),
                source: "b.conf".into(),
                addrs: Vec::new(),
            },
        ];
        let mut b = parse_key("10.0.0.1=", "b.conf:5".into()).unwrap();
        b.holder = Some(1);
        let ring = KeyRing::with_holders(vec![a, b], holders);
        // B receives A's segments: B has no key for A.
        let to_b = ring
            .lookup(ip("10.0.0.1"), ip("10.0.0.2"), 40000, 179)
            .unwrap();
        assert_eq!((to_b.index, to_b.lookup), (None, Lookup::Receiver(1)));
        // A receives B's: A's key.
        let to_a = ring
            .lookup(ip("10.0.0.2"), ip("10.0.0.1"), 179, 40000)
            .unwrap();
        assert_eq!((to_a.index, to_a.lookup), (Some(0), Lookup::Receiver(0)));
        assert_eq!(
            ring.senders_key(ip("10.0.0.1"), ip("10.0.0.2"), 40000, 179),
            Some(0)
        );
        assert_eq!(ring.name_of(ip("10.0.0.2"), ip("10.0.0.1")), "B");
    }
}
