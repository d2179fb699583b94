//! One generated differential case: where the segment goes, what it is,
//! its option area, the receiver's key, how it is signed and corrupted.
//!
//! Built on [`tcpmd5_testkit::strategies`]: the base segment (sequence
//! number, window, urgent pointer, flag bits, payload up to the MSS) comes
//! from `segment_with`, option areas from its option grammar
//! ([`super::options`]), keys from `key_any` (1 to 80 bytes, NULs
//! included).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use tcpmd5::key_table::Md5SigRequest;
use tcpmd5::{Family, Key};
use tcpmd5_testkit::TcpSegmentSpec;
use tcpmd5_testkit::strategies::{MSS_PAYLOAD, key_any, segment_with};

use super::options::{OptionArea, option_area_layout_any};

/// The largest payload generated: the MSS of a 1500-byte IPv4 link. Each
/// case trims it so the packet fits the lab's 1500-byte MTU.
pub const MAX_PAYLOAD: usize = MSS_PAYLOAD;

/// What an established-connection segment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SegmentKind {
    /// Data (ACK, maybe PSH).
    Data,
    /// A pure ACK.
    Ack,
    /// RST (with or without ACK).
    Rst,
    /// FIN ACK, maybe with data.
    Fin,
}

/// Where the segment's sequence number lies relative to the kernel's
/// `rcv_nxt` and receive window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// Exactly `rcv_nxt`.
    Exact,
    /// Inside the window, 1 to 4096 past `rcv_nxt`. Data accepted there
    /// waits in the out-of-order queue, so the connection is replaced
    /// after it.
    Ahead(u16),
    /// A gigabyte below `rcv_nxt`: out of window.
    Below,
    /// A gigabyte above `rcv_nxt`: out of window.
    Above,
}

impl Place {
    /// The sequence number for a kernel expecting `rcv_nxt`.
    pub fn seq(self, rcv_nxt: u32) -> u32 {
        const FAR: u32 = 0x4000_0000;
        match self {
            Place::Exact => rcv_nxt,
            Place::Ahead(n) => rcv_nxt.wrapping_add(1 + u32::from(n % 4096)),
            Place::Below => rcv_nxt.wrapping_sub(FAR),
            Place::Above => rcv_nxt.wrapping_add(FAR),
        }
    }

    /// `exact`, `in-window` or `out-of-window`.
    pub fn name(self) -> &'static str {
        match self {
            Place::Exact => "exact",
            Place::Ahead(_) => "in-window",
            Place::Below | Place::Above => "out-of-window",
        }
    }
}

/// Which socket the segment is sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A SYN to a listener.
    Listener,
    /// A segment on an established connection.
    Established(SegmentKind, Place),
}

impl Target {
    /// The kind, for the summary (`listener syn`, `established rst exact`).
    pub fn kind(self) -> String {
        match self {
            Target::Listener => "listener syn".to_owned(),
            Target::Established(k, p) => {
                let k = match k {
                    SegmentKind::Data => "data",
                    SegmentKind::Ack => "ack",
                    SegmentKind::Rst => "rst",
                    SegmentKind::Fin => "fin",
                };
                format!("established {k} {}", p.name())
            }
        }
    }
}

/// Which addresses the receiver's key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    /// The peer's address (`TCP_MD5SIG`).
    Peer,
    /// A prefix holding the peer's address (`TCP_MD5SIG_EXT` with
    /// `FLAG_PREFIX`): /8 to /31 over IPv4, /64 to /127 over IPv6, chosen
    /// by this number.
    Prefix(u8),
    /// Another address only: the peer itself has no key.
    Elsewhere,
}

impl KeyScope {
    /// The `(add, delete)` requests of `key` in this scope for `peer`.
    pub fn requests(self, peer: IpAddr, key: &Key) -> (Md5SigRequest, Md5SigRequest) {
        match self {
            KeyScope::Peer => (Md5SigRequest::add(peer, key), Md5SigRequest::delete(peer)),
            KeyScope::Prefix(n) => {
                let len = match peer {
                    IpAddr::V4(_) => 8 + n % 24,
                    IpAddr::V6(_) => 64 + n % 64,
                };
                (
                    Md5SigRequest::add(peer, key).with_prefix(len),
                    Md5SigRequest::delete(peer).with_prefix(len),
                )
            }
            KeyScope::Elsewhere => {
                let other = elsewhere(peer);
                (Md5SigRequest::add(other, key), Md5SigRequest::delete(other))
            }
        }
    }

    /// `peer`, `prefix` or `elsewhere`.
    pub fn name(self) -> &'static str {
        match self {
            KeyScope::Peer => "peer",
            KeyScope::Prefix(_) => "prefix",
            KeyScope::Elsewhere => "elsewhere",
        }
    }
}

/// An address in no prefix of at least /8 (IPv4) or /64 (IPv6) with `peer`.
pub(crate) fn elsewhere(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(a) => {
            let [x, ..] = a.octets();
            IpAddr::V4(Ipv4Addr::new(x ^ 0x80, 0, 2, 7))
        }
        IpAddr::V6(a) => {
            let mut o = a.octets();
            if let Some(b) = o.get_mut(7) {
                *b ^= 0x80;
            }
            IpAddr::V6(Ipv6Addr::from(o))
        }
    }
}

/// How the segment is signed.
#[derive(Clone)]
pub enum Sign {
    /// Not at all (an MD5 option keeps its zero digest).
    None,
    /// With the key the receiver holds (unsigned if it holds none).
    ReceiverKey,
    /// With another key.
    Other(Key),
}

impl fmt::Debug for Sign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sign::None => f.write_str("None"),
            Sign::ReceiverKey => f.write_str("ReceiverKey"),
            Sign::Other(k) => write!(f, "Other({k:?})"),
        }
    }
}

/// Which of the bits a flip may touch is flipped: `n` choices are spread
/// evenly over the `u64` range, so a value picks the same relative place
/// whatever `n` is (as `proptest::sample::Index` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitChoice(pub u64);

impl BitChoice {
    /// The chosen index among `n` choices (`0` when there are none).
    pub fn among(self, n: usize) -> usize {
        let scaled = (u128::from(self.0) * n as u128) >> 64;
        usize::try_from(scaled).unwrap_or(0)
    }
}

/// One generated case (keys appear only as their length in `Debug`).
#[derive(Debug, Clone)]
pub struct Input {
    /// Where it goes.
    pub target: Target,
    /// The shared generator's segment: its sequence number, window, urgent
    /// pointer, flag bits and payload are used; addresses, ports, options
    /// and the rest are set by the case.
    pub base: TcpSegmentSpec,
    /// Whether a SYN or an RST carries the payload (data and FIN always
    /// do, a pure ACK never).
    pub keep_payload: bool,
    /// The option area.
    pub area: OptionArea,
    /// The key the receiving socket holds, if any.
    pub receiver_key: Option<Key>,
    /// Which addresses it is for.
    pub key_scope: KeyScope,
    /// How the segment is signed.
    pub sign: Sign,
    /// One bit flipped after signing, chosen among the bits that do not
    /// change what the segment is (see `flippable`).
    pub flip: Option<BitChoice>,
    /// Whether the TCP checksum is left wrong (only generated when
    /// [`Generator::bad_checksums`] is on).
    pub bad_checksum: bool,
}

/// What the generator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generator {
    /// Weight of established-connection cases against listener SYNs (of 8).
    pub established_weight: u32,
    /// Also corrupt TCP checksums (1 case in 8). The model decides where
    /// the kernel drops them: before the MD5 check up to 76 TCP bytes,
    /// after it beyond (`tcpmd5::checksum`); the witness is `Tcp:
    /// InCsumErrors`.
    pub bad_checksums: bool,
}

impl Default for Generator {
    fn default() -> Generator {
        Generator {
            established_weight: 5,
            bad_checksums: true,
        }
    }
}

pub(crate) fn target_any(established_weight: u32) -> BoxedStrategy<Target> {
    let place = prop_oneof![
        3 => Just(Place::Exact),
        1 => any::<u16>().prop_map(Place::Ahead),
        1 => Just(Place::Below),
        1 => Just(Place::Above),
    ];
    let established = prop_oneof![
        4 => place.clone().prop_map(|p| Target::Established(SegmentKind::Data, p)),
        2 => place.clone().prop_map(|p| Target::Established(SegmentKind::Ack, p)),
        2 => place.clone().prop_map(|p| Target::Established(SegmentKind::Rst, p)),
        1 => place.prop_map(|p| Target::Established(SegmentKind::Fin, p)),
    ];
    prop_oneof![
        8u32.saturating_sub(established_weight) => Just(Target::Listener),
        established_weight => established,
    ]
    .boxed()
}

/// Any case of `family`.
pub fn input_with(family: Family, generator: Generator) -> BoxedStrategy<Input> {
    let sign = prop_oneof![
        1 => Just(Sign::None),
        4 => Just(Sign::ReceiverKey),
        1 => key_any().prop_map(Sign::Other),
    ];
    let bad_checksum = if generator.bad_checksums {
        proptest::bool::weighted(0.125).boxed()
    } else {
        Just(false).boxed()
    };
    (
        target_any(generator.established_weight),
        segment_with(family, MAX_PAYLOAD),
        proptest::bool::weighted(0.3),
        option_area_layout_any(),
        proptest::option::weighted(0.75, key_any()),
        prop_oneof![
            6 => Just(KeyScope::Peer),
            2 => any::<u8>().prop_map(KeyScope::Prefix),
            1 => Just(KeyScope::Elsewhere),
        ],
        sign,
        proptest::option::weighted(0.4, any::<u64>().prop_map(BitChoice)),
        bad_checksum,
    )
        .prop_map(
            |(
                target,
                base,
                keep_payload,
                area,
                receiver_key,
                key_scope,
                sign,
                flip,
                bad_checksum,
            )| Input {
                target,
                base,
                keep_payload,
                area,
                receiver_key,
                key_scope,
                sign,
                flip,
                bad_checksum,
            },
        )
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bit_choice_is_always_one_of_the_choices() {
        for n in [1usize, 2, 7, 100, 12_000] {
            assert_eq!(BitChoice(0).among(n), 0);
            assert_eq!(BitChoice(u64::MAX).among(n), n - 1);
            assert_eq!(BitChoice(1 << 63).among(n), n / 2);
        }
        assert_eq!(BitChoice(u64::MAX).among(0), 0);
    }
}
