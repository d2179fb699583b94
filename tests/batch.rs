//! The batch path (`tcpmd5::batch`) gives what the one-at-a-time path gives,
//! through every MD5 kernel (forced, whatever the CPU prefers): the digest
//! and the verdict under every semantics of every digest vector and every
//! option vector, and of random segments with random lengths, option areas
//! and keys; packet verdicts with the checksum stage verified and skipped,
//! over each vector also with a wrong TCP checksum and (IPv4) a wrong header
//! checksum. A kernel this CPU lacks is skipped with the reason printed.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value;
use tcpmd5::batch::{
    Batch, Kernel, KeyedSegment, PacketAtSocket, ReceivedSegment, SegmentAtSocket,
};
use tcpmd5::wire::checksum::tcp_checksum;
use tcpmd5::wire::{IpSegment, TcpPacket, ip_packet};
use tcpmd5::{
    AddrPair, Checksums, Family, Key, KeyTable, Md5SigRequest, Semantics, packet_verdict,
    packet_verdict_with, segment_digest, verify_segment,
};

/// Both modes of the checksum stage.
const CHECKSUMS: [Checksums; 2] = [Checksums::Verify, Checksums::Skip];

/// One batch per semantics for every kernel this CPU runs.
fn batches(semantics: Semantics) -> Vec<Batch> {
    Kernel::ALL
        .into_iter()
        .filter_map(|k| match Batch::with_kernel(semantics, k) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("SKIP kernel {k}: {e}");
                None
            }
        })
        .collect()
}

fn unhex(s: &str) -> Vec<u8> {
    tcpmd5_testkit::record::unhex(s).expect("hex")
}

/// `(packet, receiver key)` of every vector in `vectors/<group>/*.json`.
fn vectors(group: &str, key_field: &str) -> Vec<(String, Vec<u8>, Option<Key>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("vectors")
        .join(group);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let v: Value = serde_json::from_str(&fs::read_to_string(&f).unwrap()).unwrap();
        for x in v["vectors"].as_array().unwrap() {
            let key = x[key_field].as_str().map(|k| Key::new(&unhex(k)).unwrap());
            out.push((
                x["id"].as_str().unwrap().to_owned(),
                unhex(x["packet"].as_str().unwrap()),
                key,
            ));
        }
    }
    assert!(!out.is_empty(), "no vectors in {}", dir.display());
    with_bad_checksums(out)
}

/// `cases`, and each again with a wrong TCP checksum and, for IPv4, a wrong
/// header checksum (the checksum stage drops them, or skips them).
fn with_bad_checksums(
    cases: Vec<(String, Vec<u8>, Option<Key>)>,
) -> Vec<(String, Vec<u8>, Option<Key>)> {
    let mut out = Vec::with_capacity(cases.len() * 3);
    for (id, packet, key) in cases {
        let located = IpSegment::parse(&packet).unwrap_or_else(|e| panic!("{id}: {e}"));
        let mut bad_tcp = packet.clone();
        bad_tcp[located.tcp_offset + 16] ^= 0x5a;
        out.push((format!("{id} (bad TCP checksum)"), bad_tcp, key.clone()));
        if matches!(located.addrs, AddrPair::V4 { .. }) {
            let mut bad_ip = packet.clone();
            bad_ip[10] ^= 0x01;
            out.push((
                format!("{id} (bad IPv4 header checksum)"),
                bad_ip,
                key.clone(),
            ));
        }
        out.push((id, packet, key));
    }
    out
}

/// Gives the receiver `key` for the packet's source.
fn add_key(table: &mut KeyTable, packet: &[u8], key: Option<&Key>) {
    if let Some(key) = key {
        let src = IpSegment::parse(packet).unwrap().addrs.src();
        let request = Md5SigRequest::add(src, key);
        table
            .apply(Family::of(&src), &request, &[] as &[(i32, bool)])
            .unwrap();
    }
}

/// Every way in: digests, segment verdicts and packet verdicts of `cases`
/// (`(label, packet, receiver key)`), all in one batch (so that lanes mix
/// lengths), against the one-at-a-time functions. Returns the comparisons.
fn check_all(cases: &[(String, Vec<u8>, Option<Key>)]) -> usize {
    let located: Vec<IpSegment<'_>> = cases
        .iter()
        .map(|(id, p, _)| IpSegment::parse(p).unwrap_or_else(|e| panic!("{id}: {e}")))
        .collect();
    let mut checked = 0;
    for semantics in Semantics::ALL {
        for batch in batches(semantics) {
            let what = format!("kernel {} under {semantics}", batch.kernel());
            let keyed: Vec<KeyedSegment<'_>> = located
                .iter()
                .zip(cases)
                .filter_map(|(l, (_, _, key))| {
                    Some(KeyedSegment {
                        addrs: l.addrs,
                        segment: l.segment,
                        key: key.as_ref()?,
                    })
                })
                .collect();
            for (s, got) in keyed.iter().zip(batch.digests(&keyed)) {
                assert_eq!(got, segment_digest(&s.addrs, s.segment, s.key), "{what}");
                checked += 1;
            }
            let received: Vec<ReceivedSegment<'_>> = located
                .iter()
                .zip(cases)
                .map(|(l, (_, _, key))| ReceivedSegment {
                    addrs: l.addrs,
                    segment: l.segment,
                    key: key.as_ref(),
                })
                .collect();
            let verdicts = batch.verify_segments(&received);
            assert_eq!(verdicts.len(), cases.len());
            for ((s, got), (id, _, _)) in received.iter().zip(verdicts).zip(cases) {
                let want = verify_segment(&s.addrs, s.segment, s.key, semantics);
                assert_eq!(got, want, "{id}: {what}");
                checked += 1;
            }
            // Packet verdicts: one table per distinct receiver key, so group
            // the cases by key and batch each group.
            let mut groups: Vec<(Option<&Key>, Vec<usize>)> = Vec::new();
            for (i, (_, _, key)) in cases.iter().enumerate() {
                match groups.iter_mut().find(|(k, _)| *k == key.as_ref()) {
                    Some((_, members)) => members.push(i),
                    None => groups.push((key.as_ref(), vec![i])),
                }
            }
            for (key, members) in groups {
                let packets: Vec<&[u8]> = members.iter().map(|&i| cases[i].1.as_slice()).collect();
                let mut table = KeyTable::new();
                for p in &packets {
                    add_key(&mut table, p, key);
                }
                for ((p, got), &i) in packets
                    .iter()
                    .zip(batch.packet_verdicts(&packets, &table, 0))
                    .zip(&members)
                {
                    let want = packet_verdict(p, &table, 0, semantics);
                    assert_eq!(got, want, "{}: {what}", cases[i].0);
                    checked += 1;
                }
                for checksums in CHECKSUMS {
                    for ((p, got), &i) in packets
                        .iter()
                        .zip(batch.packet_verdicts_with(&packets, &table, 0, checksums))
                        .zip(&members)
                    {
                        let want = packet_verdict_with(p, &table, 0, semantics, checksums);
                        assert_eq!(got, want, "{}: {what}, {checksums:?}", cases[i].0);
                        checked += 1;
                    }
                }
            }
        }
    }
    checked
}

/// A caller can share one `Batch` between threads (or copy it to each).
#[test]
fn batch_is_send_sync_copy() {
    fn check<T: Send + Sync + Copy>() {}
    check::<Batch>();
    println!(
        "widest kernel here: {}",
        Batch::new(Semantics::Rfc2385).kernel()
    );
}

#[test]
fn digest_vectors_through_every_kernel() {
    let cases = vectors("digest", "key");
    let n = check_all(&cases);
    println!("{} digest vectors, {n} comparisons", cases.len());
}

#[test]
fn option_vectors_through_every_kernel() {
    let cases = vectors("options", "receiver_key");
    let n = check_all(&cases);
    println!("{} option vectors, {n} comparisons", cases.len());
}

/// The batch folds the XOR of the computed and carried digests to 64 bits
/// before comparing: a digest wrong in its first half only, its second half
/// only, or in both by the same bits must still be dropped, as one at a
/// time.
#[test]
fn a_digest_wrong_in_either_half_or_both_alike_is_dropped() {
    let mut cases = Vec::new();
    for (id, packet, key) in vectors("digest", "key") {
        let located = IpSegment::parse(&packet).unwrap();
        let Ok(tcp) = TcpPacket::new_checked(located.segment) else {
            continue;
        };
        let scan = Semantics::Linux { tcp_ao: false }.scan(tcp.options());
        let Some(digest) = scan.md5_digest() else {
            continue;
        };
        let at = located.tcp_offset
            + located
                .segment
                .windows(16)
                .position(|w| w == digest.as_slice())
                .unwrap();
        for (what, flips) in [
            ("first half", &[0][..]),
            ("second half", &[8][..]),
            ("both halves alike", &[0, 8][..]),
        ] {
            let mut wrong = packet.clone();
            for f in flips {
                wrong[at + f] ^= 0x01;
            }
            cases.push((
                format!("{id} (digest wrong in its {what})"),
                wrong,
                key.clone(),
            ));
        }
        if cases.len() >= 12 {
            break;
        }
    }
    assert_eq!(cases.len(), 12);
    check_all(&cases);
}

#[test]
fn bad_headers_and_oversized_ipv4_segments_match() {
    let addrs = AddrPair::V4 {
        src: [10, 0, 0, 1].into(),
        dst: [10, 0, 0, 2].into(),
    };
    let key = Key::new(b"k").unwrap();
    // A 40-byte header with NOP NOP MD5, then a payload past 65535 bytes.
    let mut huge = vec![0u8; 40 + 65_600];
    huge[12] = 0xa0;
    huge[20..24].copy_from_slice(&[1, 1, 19, 18]);
    let short = [0u8; 19];
    let mut bad_doff = [0u8; 20];
    bad_doff[12] = 0x60;
    let segments: [&[u8]; 3] = [&huge, &short, &bad_doff];
    for semantics in Semantics::ALL {
        for batch in batches(semantics) {
            let received: Vec<ReceivedSegment<'_>> = segments
                .iter()
                .map(|s| ReceivedSegment {
                    addrs,
                    segment: s,
                    key: Some(&key),
                })
                .collect();
            for (s, got) in segments.iter().zip(batch.verify_segments(&received)) {
                assert_eq!(got, verify_segment(&addrs, s, Some(&key), semantics));
            }
            let keyed: Vec<KeyedSegment<'_>> = segments
                .iter()
                .map(|s| KeyedSegment {
                    addrs,
                    segment: s,
                    key: &key,
                })
                .collect();
            for (s, got) in segments.iter().zip(batch.digests(&keyed)) {
                assert!(got.is_err());
                assert_eq!(got, segment_digest(&addrs, s, &key));
            }
        }
    }
}

/// Option areas: none, the Linux layout, MD5 among other options, TCP-AO,
/// and random bytes (mostly malformed).
fn option_area() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(vec![]),
        Just([&[1u8, 1, 19, 18][..], &[0; 16]].concat()),
        Just([&[19u8, 18][..], &[0; 16], &[1, 1, 4, 2]].concat()),
        Just([&[2u8, 4, 5, 180][..], &[1, 1, 19, 18], &[0; 16]].concat()),
        Just([&[29u8, 16, 1, 2][..], &[0xa5; 12]].concat()),
        prop::collection::vec(any::<u8>(), 0..=10).prop_map(|w| {
            let mut a = w;
            a.resize(a.len().div_ceil(4) * 4, 0);
            a
        }),
    ]
}

fn addr_pair() -> impl Strategy<Value = AddrPair> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<[u8; 4]>()).prop_map(|(s, d)| AddrPair::V4 {
            src: s.into(),
            dst: d.into()
        }),
        (any::<[u8; 16]>(), any::<[u8; 16]>()).prop_map(|(s, d)| AddrPair::V6 {
            src: s.into(),
            dst: d.into()
        }),
    ]
}

/// A random segment, signed by the sender's key where it has an MD5
/// option, maybe corrupted, and the receiver's key (the sender's, another,
/// or none).
#[derive(Debug, Clone)]
struct Case {
    addrs: AddrPair,
    segment: Vec<u8>,
    receiver_key: Option<Key>,
    /// The IP packet, its TCP checksum right or (as generated) random.
    packet: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        addr_pair(),
        any::<[u8; 20]>(),
        option_area(),
        prop_oneof![4 => 0usize..80, 2 => 0usize..1500, 1 => 0usize..9100],
        prop::collection::vec(any::<u8>(), 1..=80),
        0u8..3,
        prop::option::of(any::<prop::sample::Index>()),
        any::<bool>(),
    )
        .prop_map(
            |(addrs, header, area, payload_len, key, who, flip, fix_checksum)| {
                let mut segment = header.to_vec();
                segment[12] = (((20 + area.len()) / 4) as u8) << 4 | (segment[12] & 0x0f);
                segment.extend(&area);
                segment.extend((0..payload_len).map(|i| (i * 13 % 256) as u8));
                let sender = Key::new(&key).unwrap();
                let _unsigned = tcpmd5::sign::sign_segment_in_place(&addrs, &mut segment, &sender);
                if let Some(at) = flip {
                    let i = at.index(segment.len());
                    segment[i] ^= 0x01;
                }
                let receiver_key = match who {
                    0 => Some(sender),
                    1 => Some(Key::new(&[key[0] ^ 1]).unwrap()),
                    _ => None,
                };
                let mut packet_segment = segment.clone();
                if fix_checksum {
                    packet_segment[16..18].fill(0);
                    let sum = tcp_checksum(&addrs, &packet_segment);
                    packet_segment[16..18].copy_from_slice(&sum.to_be_bytes());
                }
                // An IPv4 segment too long for its header has no packet: an
                // empty one fails to parse on both paths alike.
                let packet = ip_packet(&addrs, &packet_segment).unwrap_or_default();
                Case {
                    addrs,
                    segment,
                    receiver_key,
                    packet,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random batches of random segments: every kernel, every semantics,
    /// the same digests and verdicts as one at a time, in order.
    #[test]
    fn random_segments_agree(cases in prop::collection::vec(case(), 0..40)) {
        for semantics in Semantics::ALL {
            let received: Vec<ReceivedSegment<'_>> = cases
                .iter()
                .map(|c| ReceivedSegment {
                    addrs: c.addrs,
                    segment: &c.segment,
                    key: c.receiver_key.as_ref(),
                })
                .collect();
            let want: Vec<_> = received
                .iter()
                .map(|s| verify_segment(&s.addrs, s.segment, s.key, semantics))
                .collect();
            let keyed: Vec<KeyedSegment<'_>> = received
                .iter()
                .filter_map(|s| Some(KeyedSegment { addrs: s.addrs, segment: s.segment, key: s.key? }))
                .collect();
            let want_digests: Vec<_> = keyed
                .iter()
                .map(|s| segment_digest(&s.addrs, s.segment, s.key))
                .collect();
            // Each packet at a socket of its own, holding the receiver key
            // for its source.
            let tables: Vec<KeyTable> = cases
                .iter()
                .map(|c| {
                    let mut table = KeyTable::new();
                    if IpSegment::parse(&c.packet).is_ok() {
                        add_key(&mut table, &c.packet, c.receiver_key.as_ref());
                    }
                    table
                })
                .collect();
            let at_sockets: Vec<PacketAtSocket<'_>> = cases
                .iter()
                .zip(&tables)
                .map(|(c, table)| PacketAtSocket { packet: &c.packet, table, l3index: 0 })
                .collect();
            for batch in batches(semantics) {
                prop_assert_eq!(&batch.verify_segments(&received), &want, "{}", batch.kernel());
                prop_assert_eq!(&batch.digests(&keyed), &want_digests, "{}", batch.kernel());
                for checksums in CHECKSUMS {
                    let want_packets: Vec<_> = at_sockets
                        .iter()
                        .map(|p| packet_verdict_with(p.packet, p.table, 0, semantics, checksums))
                        .collect();
                    prop_assert_eq!(
                        &batch.verdicts_at_sockets(&at_sockets, checksums),
                        &want_packets,
                        "{} {:?}",
                        batch.kernel(),
                        checksums
                    );
                    // The packets a caller located already (those that parse).
                    let (located, want_located): (Vec<SegmentAtSocket<'_>>, Vec<_>) = at_sockets
                        .iter()
                        .zip(&want_packets)
                        .filter_map(|(p, want)| {
                            let located = IpSegment::parse(p.packet).ok()?;
                            Some((SegmentAtSocket { packet: p.packet, located, table: p.table, l3index: 0 }, *want))
                        })
                        .unzip();
                    prop_assert_eq!(
                        &batch.segment_verdicts(&located, checksums),
                        &want_located,
                        "{} {:?} located",
                        batch.kernel(),
                        checksums
                    );
                }
            }
        }
    }
}
