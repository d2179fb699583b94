//! proptest generators for addresses, keys, option areas and segments
//! (etherparse style: `*_any()` for anything, `*_with(..)` when constrained).
//!
//! Option areas come from the option grammar ([`option_any`],
//! [`option_area_any`]): MD5, TCP-AO, MSS, window scale, SACK-permitted,
//! SACK, timestamps and unknown kinds, each with its right length or a wrong
//! one, NOP and EOL anywhere, areas up to the full 40 bytes. The plain
//! generators ([`plain_options_with`], [`segment_with`]) stay for tests that
//! need room for an MD5 option to be inserted.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use tcpmd5::wire::TcpFlags;
use tcpmd5::{AddrPair, Family, Key};

use crate::TcpSegmentSpec;
use crate::options::{
    AO, EOL, MD5, MSS, NOP, SACK, SACK_PERMITTED, TIMESTAMPS, WINDOW_SCALE, ao, md5, md5_with_len,
};

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

/// The largest option area.
pub const MAX_OPTION_AREA: usize = 40;

/// One option from the grammar, its length right or wrong, as bytes (an
/// option with a wrong length may claim more bytes than follow it).
pub fn option_any() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        5 => md5_option_any(),
        2 => ao_option_any(),
        3 => plain_option_any(),
        2 => wrong_length_option_any(),
        1 => Just(vec![NOP]),
        1 => Just(vec![EOL]),
    ]
    .boxed()
}

/// An MD5 option: mostly well formed (length 18, any digest), else with a
/// length from 0 to 40.
pub fn md5_option_any() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        4 => any::<[u8; 16]>().prop_map(md5),
        1 => (0u8..=40).prop_map(md5_with_len),
    ]
    .boxed()
}

/// A TCP-AO option: length 4 to 40 (a MAC of 0 to 36 bytes), or a length
/// under the 4-byte minimum.
pub fn ao_option_any() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        4 => (4u8..=40).prop_map(ao),
        1 => (0u8..4).prop_map(|len| vec![AO, len]),
    ]
    .boxed()
}

/// A known or unknown kind with a length byte that is wrong for it (under
/// 2, not its fixed length, not 2 + 8n for SACK), followed by up to 8 bytes.
pub fn wrong_length_option_any() -> BoxedStrategy<Vec<u8>> {
    let fixed = vec![
        (MSS, 4u8),
        (WINDOW_SCALE, 3),
        (SACK_PERMITTED, 2),
        (TIMESTAMPS, 10),
        (MD5, 18),
    ];
    let kind_len = prop_oneof![
        (proptest::sample::select(fixed), 0u8..=40)
            .prop_filter("not the right length", |((_, right), len)| len != right)
            .prop_map(|((kind, _), len)| (kind, len)),
        (Just(SACK), 0u8..=40).prop_filter("not 2 + 8n", |(_, len)| *len < 2 || (len - 2) % 8 != 0),
        (30u8..=253, 0u8..2),
    ];
    (kind_len, proptest::collection::vec(any::<u8>(), 0..=8))
        .prop_map(|((kind, len), body)| {
            let mut o = vec![kind, len];
            o.extend(body);
            o
        })
        .boxed()
}

/// An option area from the grammar: options concatenated, cut or padded
/// (with NOPs, or EOL and zeros) to a multiple of 4 up to 40 bytes; a
/// quarter of the areas are the full 40 bytes.
pub fn option_area_any() -> BoxedStrategy<Vec<u8>> {
    (
        prop_oneof![
            1 => Just(MAX_OPTION_AREA),
            3 => (0usize..=9).prop_map(|words| words * 4),
        ],
        proptest::collection::vec(option_any(), 0..8),
        any::<bool>(),
    )
        .prop_map(|(len, opts, eol_pad)| {
            let mut area: Vec<u8> = opts.concat();
            area.truncate(len);
            // EOL and zeros after it (EOL is 0), or NOPs.
            area.resize(len, if eol_pad { EOL } else { NOP });
            area
        })
        .boxed()
}

/// Any segment of the given family with an option area from the grammar
/// and up to `max_payload` bytes of payload.
pub fn segment_from_grammar_with(
    family: Family,
    max_payload: usize,
) -> BoxedStrategy<TcpSegmentSpec> {
    (segment_with(family, max_payload), option_area_any())
        .prop_map(|(mut spec, options)| {
            spec.options = options;
            spec
        })
        .boxed()
}

/// The MSS payloads are drawn up to (Ethernet, IPv4).
pub const MSS_PAYLOAD: usize = 1460;

/// Any segment of either family with an option area from the grammar and a
/// payload up to an MSS.
pub fn segment_from_grammar_any() -> BoxedStrategy<TcpSegmentSpec> {
    prop_oneof![
        segment_from_grammar_with(Family::V4, MSS_PAYLOAD),
        segment_from_grammar_with(Family::V6, MSS_PAYLOAD)
    ]
    .boxed()
}
