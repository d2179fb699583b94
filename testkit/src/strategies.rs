//! proptest generators for addresses, keys, option areas and segments
//! (etherparse style: `*_any()` for anything, `*_with(..)` when constrained).
//!
//! Available to this crate's tests and, with the `proptest` feature, to other
//! crates (the conformance suite's differential test).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use tcpmd5::wire::TcpFlags;
use tcpmd5::{AddrPair, Family, Key};

use crate::TcpSegmentSpec;

/// Any address pair of the given family.
pub fn addr_pair_with(family: Family) -> BoxedStrategy<AddrPair> {
    match family {
        Family::V4 => (any::<[u8; 4]>(), any::<[u8; 4]>())
            .prop_map(|(s, d)| AddrPair::V4 {
                src: Ipv4Addr::from(s),
                dst: Ipv4Addr::from(d),
            })
            .boxed(),
        Family::V6 => (any::<[u8; 16]>(), any::<[u8; 16]>())
            .prop_map(|(s, d)| AddrPair::V6 {
                src: Ipv6Addr::from(s),
                dst: Ipv6Addr::from(d),
            })
            .boxed(),
    }
}

/// Any address pair of either family.
pub fn addr_pair_any() -> BoxedStrategy<AddrPair> {
    prop_oneof![addr_pair_with(Family::V4), addr_pair_with(Family::V6)].boxed()
}

/// Any address of either family.
pub fn ip_addr_any() -> BoxedStrategy<IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        any::<[u8; 16]>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    ]
    .boxed()
}

/// Any valid key: 1 to 80 arbitrary bytes (NUL bytes included).
pub fn key_any() -> BoxedStrategy<Key> {
    proptest::collection::vec(any::<u8>(), 1..=80)
        .prop_filter_map("key length", |b| Key::new(&b).ok())
        .boxed()
}

/// One well-formed option other than MD5, AO and EOL, as bytes.
pub fn plain_option_any() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        Just(vec![1u8]),
        any::<u16>().prop_map(|m| {
            let [a, b] = m.to_be_bytes();
            vec![2, 4, a, b]
        }),
        (0u8..=14).prop_map(|s| vec![3, 3, s]),
        Just(vec![4u8, 2]),
        (any::<u32>(), any::<u32>()).prop_map(|(v, e)| {
            let mut o = vec![8, 10];
            o.extend(v.to_be_bytes());
            o.extend(e.to_be_bytes());
            o
        }),
        any::<[u8; 8]>().prop_map(|blk| {
            let mut o = vec![5, 10];
            o.extend(blk);
            o
        }),
        (30u8..=253, proptest::collection::vec(any::<u8>(), 0..4)).prop_map(|(k, d)| {
            let mut o = vec![k, d.len() as u8 + 2];
            o.extend(d);
            o
        }),
    ]
    .boxed()
}

/// A well-formed option area of at most `max_len` bytes without MD5, AO or
/// EOL, padded with NOPs to a multiple of 4.
pub fn plain_options_with(max_len: usize) -> BoxedStrategy<Vec<u8>> {
    proptest::collection::vec(plain_option_any(), 0..6)
        .prop_map(move |opts| {
            let mut area = Vec::new();
            for o in opts {
                if area.len() + o.len() <= max_len {
                    area.extend(o);
                }
            }
            while !area.len().is_multiple_of(4) {
                if area.len() < max_len {
                    area.push(1);
                } else {
                    area.pop();
                }
            }
            area
        })
        .boxed()
}

/// Any unsigned segment of the given family whose options leave room for
/// the 20 bytes of a Linux-layout MD5 option.
pub fn segment_with(family: Family, max_payload: usize) -> BoxedStrategy<TcpSegmentSpec> {
    (
        addr_pair_with(family),
        any::<(u16, u16, u32, u32)>(),
        0u16..0x1000,
        any::<(u16, u16)>(),
        plain_options_with(20),
        proptest::collection::vec(any::<u8>(), 0..=max_payload),
    )
        .prop_map(
            |(addrs, (src_port, dst_port, seq, ack), flags, (window, urgent), options, payload)| {
                TcpSegmentSpec {
                    addrs,
                    src_port,
                    dst_port,
                    seq,
                    ack,
                    flags: TcpFlags(flags),
                    window,
                    urgent,
                    options,
                    payload,
                }
            },
        )
        .boxed()
}

/// Any unsigned segment of either family (payload up to 1500 bytes).
pub fn segment_any() -> BoxedStrategy<TcpSegmentSpec> {
    prop_oneof![
        segment_with(Family::V4, 1500),
        segment_with(Family::V6, 1500)
    ]
    .boxed()
}
