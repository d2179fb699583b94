//! One generated TCP-AO differential case: the receiving socket's master
//! key tuples (one to three, each for the peer, a prefix holding it, or
//! another address; either algorithm; options covered or excluded; MAC
//! lengths of 4 to 16 bytes), whether AO is required, which key the peer
//! signs with, and how the segment's authentication is formed: correct,
//! a MAC bit or a segment bit flipped, another secret, another key's or an
//! unknown KeyID, a MAC of another length, unsigned, AO and MD5 together,
//! MD5 alone, two AO options, an AO option too short for a MAC or running
//! past the area; and its RNextKeyID (the current key, another key's, or
//! one no key has). The segment itself (SYN to a listener, or data, ACK,
//! RST, FIN on an established connection) comes from the MD5 share's
//! generator ([`super::super::input`]).

use std::net::IpAddr;

use proptest::prelude::*;
use tcpmd5::Family;
use tcpmd5::ao::{Algorithm, MasterKey, Mkt, OptionCoverage};
use tcpmd5_testkit::TcpSegmentSpec;
use tcpmd5_testkit::strategies::{plain_option_any, segment_with};

use super::super::input::{BitChoice, KeyScope, MAX_PAYLOAD, Target, elsewhere, target_any};

/// The KeyIDs keys are given: `sndid` `SEND_IDS[i]`, `rcvid` `RECV_IDS[i]`
/// for the `i`th key, so no two keys of a socket share one (the kernel
/// refuses overlapping ids with `EEXIST`).
const SEND_IDS: [u8; 3] = [1, 7, 200];
const RECV_IDS: [u8; 3] = [2, 9, 100];
/// KeyIDs no generated key has.
const UNKNOWN_IDS: [u8; 4] = [0, 3, 101, 255];

/// One MKT of the receiving socket.
#[derive(Clone)]
pub struct AoKeySpec {
    /// Which addresses it is for.
    pub scope: KeyScope,
    /// Its algorithm.
    pub algorithm: Algorithm,
    /// The secret (1 to 80 bytes).
    pub secret: MasterKey,
    /// Whether options other than AO are covered.
    pub coverage: OptionCoverage,
    /// The MAC length (`maclen`).
    pub mac_len: u8,
}

impl std::fmt::Debug for AoKeySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {:?} maclen {} (secret {} bytes)",
            self.scope.name(),
            self.algorithm.short_id(),
            self.coverage,
            self.mac_len,
            self.secret.as_bytes().len()
        )
    }
}

/// The `(address, prefix length)` a key in `scope` is installed for.
pub fn scope_prefix(scope: KeyScope, peer: IpAddr) -> (IpAddr, u8) {
    let full = if peer.is_ipv4() { 32 } else { 128 };
    match scope {
        KeyScope::Peer => (peer, full),
        KeyScope::Prefix(n) => {
            let len = if peer.is_ipv4() {
                8 + n % 24
            } else {
                64 + n % 64
            };
            (tcpmd5::prefix::network(peer, len), len)
        }
        KeyScope::Elsewhere => (elsewhere(peer), full),
    }
}

impl AoKeySpec {
    /// The MKT of the `index`th key for `peer`.
    pub fn mkt(&self, index: usize, peer: IpAddr) -> Mkt {
        let (addr, prefix) = scope_prefix(self.scope, peer);
        Mkt {
            prefix,
            coverage: self.coverage,
            mac_len: self.mac_len,
            ..Mkt::new(
                addr,
                SEND_IDS.get(index).copied().unwrap_or(0),
                RECV_IDS.get(index).copied().unwrap_or(0),
                self.algorithm,
                self.secret.clone(),
            )
        }
    }
}

/// How the segment's authentication is formed.
#[derive(Debug, Clone)]
pub enum AoAuth {
    /// Signed with the signing key, its `rcvid` as KeyID.
    Signed,
    /// Signed, then one bit of the MAC flipped.
    MacBitFlipped(BitChoice),
    /// Signed, then one bit of the segment flipped (see `Flippable`).
    SegmentBitFlipped(BitChoice),
    /// Signed with another secret.
    OtherSecret(MasterKey),
    /// Signed with the signing key but carrying another key's KeyID (its
    /// own when it is the socket's only key).
    KeyIdOfAnother(BitChoice),
    /// Signed with the signing key but carrying a KeyID no key has.
    UnknownKeyId(BitChoice),
    /// A MAC of another length (4 to 16 bytes), computed for that length.
    MacLen(u8),
    /// No AO option.
    Unsigned,
    /// Signed, and an MD5 option (zero digest) in the area too.
    WithMd5,
    /// An MD5 option (zero digest) and no AO option.
    Md5Only,
    /// Signed, and the AO option twice.
    Duplicated,
    /// An AO option of length 2 to 4: no room for a MAC.
    TooShort(u8),
    /// An AO option whose length runs past the option area.
    Overrun,
}

impl AoAuth {
    /// A short name for the kind of a case.
    pub fn name(&self) -> &'static str {
        match self {
            AoAuth::Signed => "signed",
            AoAuth::MacBitFlipped(_) => "mac-bit",
            AoAuth::SegmentBitFlipped(_) => "segment-bit",
            AoAuth::OtherSecret(_) => "other-secret",
            AoAuth::KeyIdOfAnother(_) => "other-keyid",
            AoAuth::UnknownKeyId(_) => "unknown-keyid",
            AoAuth::MacLen(_) => "mac-length",
            AoAuth::Unsigned => "unsigned",
            AoAuth::WithMd5 => "ao+md5",
            AoAuth::Md5Only => "md5-only",
            AoAuth::Duplicated => "two-ao",
            AoAuth::TooShort(_) => "ao-too-short",
            AoAuth::Overrun => "ao-overrun",
        }
    }
}

/// Which RNextKeyID the segment carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rnext {
    /// The signing key's `sndid`: no rotation asked.
    Current,
    /// Another key's `sndid` (the signing key's if there is no other).
    OtherKey(BitChoice),
    /// A KeyID no key has as `sndid`.
    Unknown(BitChoice),
}

/// One generated AO case.
#[derive(Debug, Clone)]
pub struct AoInput {
    /// Where it goes.
    pub target: Target,
    /// The shared generator's segment (numbers, flags, payload).
    pub base: TcpSegmentSpec,
    /// Whether a SYN or an RST carries the payload.
    pub keep_payload: bool,
    /// The receiving socket's MKTs (1 to 3), oldest first.
    pub keys: Vec<AoKeySpec>,
    /// The key the peer signs with (an index into `keys`).
    pub signer: BitChoice,
    /// `TCP_AO_INFO`'s `ao_required` on the receiving socket.
    pub required: bool,
    /// How the segment is authenticated.
    pub auth: AoAuth,
    /// Its RNextKeyID.
    pub rnext: Rnext,
    /// Other options (well-formed, not MD5 or AO), cut to fit.
    pub others: Vec<Vec<u8>>,
    /// Whether the AO option comes after the others rather than first.
    pub ao_last: bool,
}

impl AoInput {
    /// The index of the signing key; on an established connection one that
    /// covers the peer (the handshake is signed with it).
    pub fn signer_index(&self) -> usize {
        let n = self.keys.len();
        let i = self.signer.among(n);
        if matches!(self.target, Target::Listener) {
            return i;
        }
        (0..n)
            .map(|k| (i + k) % n)
            .find(|&k| {
                self.keys
                    .get(k)
                    .is_some_and(|s| s.scope != KeyScope::Elsewhere)
            })
            .unwrap_or(i)
    }

    /// The case kind for the report (`ao listener syn`, `ao established
    /// rst exact`); how it is authenticated is [`AoAuth::name`].
    pub fn kind(&self) -> String {
        format!("ao {}", self.target.kind())
    }

    /// The MKTs for `peer`, oldest first. On an established connection
    /// the signing key covers the peer (one for another address is made
    /// the peer's): the handshake is signed with it.
    pub fn mkts(&self, peer: IpAddr) -> Vec<Mkt> {
        let signer = self.signer_index();
        let established = matches!(self.target, Target::Established(..));
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                if established && i == signer && k.scope == KeyScope::Elsewhere {
                    AoKeySpec {
                        scope: KeyScope::Peer,
                        ..k.clone()
                    }
                    .mkt(i, peer)
                } else {
                    k.mkt(i, peer)
                }
            })
            .collect()
    }

    /// The KeyID unknown to every key, as chosen.
    pub fn unknown_id(choice: BitChoice) -> u8 {
        UNKNOWN_IDS
            .get(choice.among(UNKNOWN_IDS.len()))
            .copied()
            .unwrap_or(0)
    }
}

fn secret_any() -> BoxedStrategy<MasterKey> {
    proptest::collection::vec(any::<u8>(), 1..=80)
        .prop_filter_map("master key length", |b| MasterKey::new(&b).ok())
        .boxed()
}

fn key_spec_any() -> BoxedStrategy<AoKeySpec> {
    (
        prop_oneof![
            6 => Just(KeyScope::Peer),
            2 => any::<u8>().prop_map(KeyScope::Prefix),
            1 => Just(KeyScope::Elsewhere),
        ],
        prop_oneof![Just(Algorithm::HmacSha1), Just(Algorithm::AesCmac)],
        secret_any(),
        proptest::bool::weighted(0.25).prop_map(|x| {
            if x {
                OptionCoverage::Excluded
            } else {
                OptionCoverage::Included
            }
        }),
        prop_oneof![6 => Just(12u8), 1 => 4u8..=16],
    )
        .prop_map(|(scope, algorithm, secret, coverage, mac_len)| AoKeySpec {
            scope,
            algorithm,
            secret,
            coverage,
            mac_len,
        })
        .boxed()
}

fn auth_any() -> BoxedStrategy<AoAuth> {
    let bit = || any::<u64>().prop_map(BitChoice);
    prop_oneof![
        8 => Just(AoAuth::Signed),
        2 => bit().prop_map(AoAuth::MacBitFlipped),
        2 => bit().prop_map(AoAuth::SegmentBitFlipped),
        1 => secret_any().prop_map(AoAuth::OtherSecret),
        2 => bit().prop_map(AoAuth::KeyIdOfAnother),
        2 => bit().prop_map(AoAuth::UnknownKeyId),
        1 => (4u8..=16).prop_map(AoAuth::MacLen),
        2 => Just(AoAuth::Unsigned),
        1 => Just(AoAuth::WithMd5),
        1 => Just(AoAuth::Md5Only),
        1 => Just(AoAuth::Duplicated),
        1 => (2u8..=4).prop_map(AoAuth::TooShort),
        1 => Just(AoAuth::Overrun),
    ]
    .boxed()
}

/// Any AO case of `family` (`established_weight` of 8 go to established
/// connections, as in the MD5 share).
pub fn ao_input_with(family: Family, established_weight: u32) -> BoxedStrategy<AoInput> {
    let bit = || any::<u64>().prop_map(BitChoice);
    let rnext = prop_oneof![
        6 => Just(Rnext::Current),
        2 => bit().prop_map(Rnext::OtherKey),
        1 => bit().prop_map(Rnext::Unknown),
    ];
    (
        target_any(established_weight),
        segment_with(family, MAX_PAYLOAD),
        proptest::bool::weighted(0.3),
        proptest::collection::vec(key_spec_any(), 1..=3),
        bit(),
        proptest::bool::weighted(0.2),
        auth_any(),
        rnext,
        proptest::collection::vec(plain_option_any(), 0..3),
        proptest::bool::weighted(0.25),
    )
        .prop_map(
            |(target, base, keep_payload, keys, signer, required, auth, rnext, others, ao_last)| {
                AoInput {
                    target,
                    base,
                    keep_payload,
                    keys,
                    signer,
                    required,
                    auth,
                    rnext,
                    others,
                    ao_last,
                }
            },
        )
        .boxed()
}
