//! A key's fingerprint: 32 bits that tell whether two routers hold the same
//! key for the same peering, without showing it.
//!
//! The salt is the **peering**, not a constant: the two addresses of the
//! session in a canonical order (lower first), so both routers, each seeing
//! itself as local, compute the same salt; a prefix key (10.0.0.0/24) is
//! salted with its prefix, which routers sharing a subnet key share. A
//! constant salt would make every fingerprint an unsalted hash of the key
//! alone: one precomputed dictionary would crack them all, and equal keys
//! would be linkable across unrelated sessions. With the peering as salt a
//! guess must be hashed again for each peering; PBKDF2-HMAC-SHA256 with
//! [`ITERATIONS`] rounds makes each guess cost tens of milliseconds, and
//! keeping 32 bits of the result means a large dictionary leaves many
//! candidates standing (2^40 guesses match ~256 times) while two different
//! keys match by chance once in 4 billion. A short, guessable password is
//! still guessable: the fingerprint protects keys, not bad passwords.

use std::fmt;
use std::net::IpAddr;

use tcpmd5::Key;

/// PBKDF2 rounds: ~30 ms per key on a 2020s core (release build).
pub const ITERATIONS: u32 = 100_000;
/// Where the salt starts: a new scheme gets a new label, never a reused one.
const LABEL: &str = "tcpmd5 key fingerprint v1";

/// What a fingerprint is salted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Salt {
    /// A session between two addresses (any order).
    Peering(IpAddr, IpAddr),
    /// A prefix key, by its network and length.
    Prefix(IpAddr, u8),
}

impl Salt {
    /// The salt of a session between `a` and `b`.
    pub fn peering(a: IpAddr, b: IpAddr) -> Salt {
        if a <= b {
            Salt::Peering(a, b)
        } else {
            Salt::Peering(b, a)
        }
    }
}

impl Salt {
    /// The salt of a prefix key: the network (the address masked to
    /// `len` bits, as the kernel matches it; it stores the address as
    /// given) and the length, so `10.0.0.5/24` and `10.0.0.0/24` holding
    /// one password share a fingerprint.
    pub fn prefix(addr: IpAddr, len: u8) -> Salt {
        let network = tcpmd5::prefix::network(addr, len);
        Salt::Prefix(network, len)
    }
}

impl fmt::Display for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Salt::Peering(a, b) => write!(f, "peering {a} {b}"),
            Salt::Prefix(n, len) => write!(f, "prefix {n}/{len}"),
        }
    }
}

/// A fingerprint: 8 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 4]);

impl Fingerprint {
    /// The fingerprint of `key` salted with `salt`.
    pub fn of(key: &Key, salt: &Salt) -> Fingerprint {
        let salt = format!("{LABEL}\0{salt}");
        let mut out = [0u8; 4];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(key.as_bytes(), salt.as_bytes(), ITERATIONS, &mut out);
        Fingerprint(out)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn both_ends_agree_and_salts_separate() {
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let key = Key::new(b"Peer-Pass-2026").unwrap();
        let here = Fingerprint::of(&key, &Salt::peering(a, b));
        assert_eq!(here, Fingerprint::of(&key, &Salt::peering(b, a)));
        let other = Fingerprint::of(&Key::new(b"Peer-Pass-2O26").unwrap(), &Salt::peering(a, b));
        assert_ne!(here, other);
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        assert_ne!(here, Fingerprint::of(&key, &Salt::peering(a, c)));
        assert_eq!(here.to_string().len(), 8);
        assert!(!here.to_string().contains("Peer"));
    }

    #[test]
    fn a_prefix_salt_is_its_network() {
        let key = Key::new(b"Subnet-Pass").unwrap();
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        let given = Salt::prefix(ip("10.0.0.5"), 24);
        assert_eq!(given, Salt::prefix(ip("10.0.0.0"), 24));
        assert_eq!(given.to_string(), "prefix 10.0.0.0/24");
        assert_eq!(
            Fingerprint::of(&key, &given),
            Fingerprint::of(&key, &Salt::prefix(ip("10.0.0.0"), 24))
        );
        assert_eq!(
            Salt::prefix(ip("2001:db8::77"), 64).to_string(),
            "prefix 2001:db8::/64"
        );
        assert_eq!(
            Salt::prefix(ip("10.1.2.3"), 0).to_string(),
            "prefix 0.0.0.0/0"
        );
    }
}
