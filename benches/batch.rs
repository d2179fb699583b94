//! Batch digests (`tcpmd5::batch`, every MD5 kernel this CPU runs) side by
//! side with one segment at a time (`segment_digest`) and with the md-5
//! crate hashing the same bytes, already laid out, one stream at a time.
//!
//! Benchmark ids are `<run>.batch.<shape>.n<segments>` / `<impl>`, `<run>` being `soft`
//! or `asm` as in `benches/digest.rs` (which md-5 the single stream uses),
//! and the shapes:
//! - `p64`, `p1460`, `p9000`: 1024 IPv4 segments, a 40-byte header (NOP NOP
//!   MD5) and that many payload bytes, 16-byte key;
//! - `mixed`: 1024 segments shaped like a capture of a bulk transfer: two
//!   thirds bare ACKs in 60- to 80-byte IPv4 packets (MD5, timestamps, SACK
//!   blocks), one third 1448-byte data segments, in a fixed pseudo-random
//!   order.
//!
//! Implementations: `md5_single` (md-5 over the laid-out bytes),
//! `tcpmd5_single` (`segment_digest` in a loop), `batch_<kernel>`
//! (`Batch::digests`), and for `mixed` also the receive path:
//! `verdict_single` (`packet_verdict` in a loop) and `verdict_batch`
//! (`Batch::packet_verdicts`, widest kernel). Throughput is hashed bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use md5::{Digest as _, Md5};
use tcpmd5::batch::{Batch, Kernel, KeyedSegment};
use tcpmd5::sign::sign_segment_in_place;
use tcpmd5::{AddrPair, Family, Key, KeyTable, Md5SigRequest, Semantics, packet_verdict};

const RUN: &str = if cfg!(feature = "asm") { "asm" } else { "soft" };
const BATCH: usize = 1024;
const SEMANTICS: Semantics = Semantics::Linux { tcp_ao: false };

fn addrs() -> AddrPair {
    AddrPair::V4 {
        src: Ipv4Addr::new(192, 0, 2, 1),
        dst: Ipv4Addr::new(192, 0, 2, 2),
    }
}

/// A signed segment: a header with `options_len` option bytes (NOP NOP MD5
/// first, then NOPs standing in for timestamps and SACK), `payload` bytes.
fn segment(options_len: usize, payload: usize, seq: u32, key: &Key) -> Vec<u8> {
    let header_len = 20 + options_len;
    let mut s = vec![0u8; header_len + payload];
    s[0..2].copy_from_slice(&179u16.to_be_bytes());
    s[2..4].copy_from_slice(&40000u16.to_be_bytes());
    s[4..8].copy_from_slice(&seq.to_be_bytes());
    s[12] = ((header_len / 4) as u8) << 4;
    s[13] = 0x10;
    s[20..24].copy_from_slice(&[1, 1, 19, 18]);
    s[40..header_len].fill(1);
    for (i, b) in s[header_len..].iter_mut().enumerate() {
        *b = (i * 7 % 251) as u8;
    }
    sign_segment_in_place(&addrs(), &mut s, key).unwrap();
    s
}

/// The md-5 input of `segment`: pseudo-header, fixed header with a zero
/// checksum, payload, key.
fn laid_out(segment: &[u8], key: &Key) -> Vec<u8> {
    let header_len = usize::from(segment[12] >> 4) * 4;
    let mut flat = vec![192, 0, 2, 1, 192, 0, 2, 2, 0, 6];
    flat.extend((segment.len() as u16).to_be_bytes());
    flat.extend(&segment[..16]);
    flat.extend([0, 0]);
    flat.extend(&segment[18..20]);
    flat.extend(&segment[header_len..]);
    flat.extend(key.as_bytes());
    flat
}

fn shapes(key: &Key) -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let uniform = |payload| {
        (0..BATCH)
            .map(|i| segment(20, payload, i as u32, key))
            .collect()
    };
    // A small LCG: the same capture every run.
    let mut x = 0x2545_f491_u32;
    let mut next = move || {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        x >> 8
    };
    let mixed = (0..BATCH)
        .map(|i| {
            if next() % 3 == 0 {
                segment(32, 1448, i as u32, key) // data: MD5 + timestamps
            } else {
                // ACK: MD5, maybe timestamps and SACK blocks: a 40- to
                // 60-byte segment, a 60- to 80-byte IPv4 packet.
                let options = 20 + 4 * (next() as usize % 6);
                segment(options, 0, i as u32, key)
            }
        })
        .collect();
    vec![
        ("p64", uniform(64)),
        ("p1460", uniform(1460)),
        ("p9000", uniform(9000)),
        ("mixed", mixed),
    ]
}

fn bench_batch(c: &mut Criterion) {
    let key = Key::new(b"bench-batch-key!").unwrap();
    let addrs = addrs();
    for (shape, segments) in shapes(&key) {
        let flat: Vec<Vec<u8>> = segments.iter().map(|s| laid_out(s, &key)).collect();
        let keyed: Vec<KeyedSegment<'_>> = segments
            .iter()
            .map(|s| KeyedSegment {
                addrs,
                segment: s,
                key: &key,
            })
            .collect();
        let want: Vec<[u8; 16]> = flat.iter().map(|f| Md5::digest(f).into()).collect();
        let mut g = c.benchmark_group(format!("{RUN}.batch.{shape}.n{}", segments.len()));
        g.throughput(Throughput::Bytes(
            flat.iter().map(Vec::len).sum::<usize>() as u64
        ));
        g.bench_function("md5_single", |b| {
            b.iter(|| {
                flat.iter()
                    .map(|f| <[u8; 16]>::from(Md5::digest(black_box(f))))
                    .collect::<Vec<_>>()
            })
        });
        g.bench_function("tcpmd5_single", |b| {
            b.iter(|| {
                keyed
                    .iter()
                    .map(|s| tcpmd5::segment_digest(&s.addrs, black_box(s.segment), s.key))
                    .collect::<Vec<_>>()
            })
        });
        for kernel in Kernel::ALL {
            let Ok(batch) = Batch::with_kernel(SEMANTICS, kernel) else {
                eprintln!("SKIP batch_{kernel}: this CPU cannot run it");
                continue;
            };
            let got: Vec<[u8; 16]> = batch
                .digests(&keyed)
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_eq!(got, want, "{kernel}");
            g.bench_function(format!("batch_{kernel}"), |b| {
                b.iter(|| batch.digests(black_box(&keyed)))
            });
        }
        if shape == "mixed" {
            let packets: Vec<Vec<u8>> = segments
                .iter()
                .map(|s| tcpmd5::wire::ip_packet(&addrs, s).unwrap())
                .collect();
            let mut table = KeyTable::new();
            let request = Md5SigRequest::add(addrs.src(), &key);
            table
                .apply(Family::V4, &request, &[] as &[(i32, bool)])
                .unwrap();
            let batch = Batch::new(SEMANTICS);
            assert!(
                batch
                    .packet_verdicts(&packets, &table, 0)
                    .iter()
                    .all(|v| v.unwrap().is_accept())
            );
            g.bench_function("verdict_single", |b| {
                b.iter(|| {
                    packets
                        .iter()
                        .map(|p| packet_verdict(black_box(p), &table, 0, SEMANTICS))
                        .collect::<Vec<_>>()
                })
            });
            g.bench_function("verdict_batch", |b| {
                b.iter(|| batch.packet_verdicts(black_box(&packets), &table, 0))
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = bench_batch
}
criterion_main!(benches);
