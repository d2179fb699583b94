//! `batch`: a batch of 1 to 300 segments of mixed lengths, keys and
//! families through [`Batch`] with every MD5 kernel this CPU runs (scalar,
//! AVX2, AVX-512), held to the one-at-a-time code: `digests` to
//! `segment_digest`, `verify_segments` to `verify_segment`,
//! `verdicts_at_sockets` and `segment_verdicts` to `packet_verdict_with`.
//! The single-stream digest is held to RFC 2385 by `sign_verify`; this
//! target holds the multi-lane kernels (intrinsics Miri cannot run) and
//! their scheduler to it.
//!
//! Input: `[control, count lo, count hi, descriptors]` (control: the
//! semantics in bits 0-1, bit 2 verify checksums), then `descriptors
//! % 16 + 1` descriptors of [`DESCRIPTOR_LEN`] bytes, then a pool of bytes.
//! Segment `i` follows descriptor `i % n` and is the pool read cyclically
//! from offset `i * 31`, so one pool gives segments of every length.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Once;

use tcpmd5::batch::{
    Batch, Kernel, KeyedSegment, PacketAtSocket, ReceivedSegment, SegmentAtSocket,
};
use tcpmd5::sign::sign_segment_at;
use tcpmd5::wire::{IpSegment, ip_packet};
use tcpmd5::{
    AddrPair, Checksums, Family, Key, KeyTable, Md5SigRequest, Semantics, packet_verdict_with,
    segment_digest, verify_segment,
};
// Descriptor flag bits: the layout the seed generator writes.
use tcpmd5_testkit::fuzz_input::batch_flag as flag;

/// Bytes of one descriptor: `[flags, key length, length lo, length hi]`.
pub const DESCRIPTOR_LEN: usize = 4;

/// The largest batch (a few hundred fill the lanes several times over).
pub const MAX_BATCH: usize = 300;

/// Segment lengths are taken modulo this: up to 64 blocks, past `-max_len`.
const MAX_SEGMENT: usize = 4096;

/// A batch ends before its segments pass this many bytes (it keeps its
/// first): an input costs milliseconds, not a second, and the replay test
/// (every seed of every target through this one, unoptimised) stays short.
const MAX_BATCH_BYTES: usize = 64 * 1024;

/// One segment of the batch and what its receiver holds.
struct Item {
    addrs: AddrPair,
    segment: Vec<u8>,
    key: Key,
    receiver_has_key: bool,
}

/// The entry point.
pub fn run(data: &[u8]) {
    let Some(([control, count_lo, count_hi, descriptors], rest)) = data.split_first_chunk::<4>()
    else {
        return;
    };
    let n = usize::from(*descriptors % 16) + 1;
    let Some((table, pool)) = rest.split_at_checked(n * DESCRIPTOR_LEN) else {
        return;
    };
    let (descriptors, _) = table.as_chunks::<DESCRIPTOR_LEN>();
    if pool.is_empty() {
        return;
    }
    let count = usize::from(u16::from_le_bytes([*count_lo, *count_hi])) % MAX_BATCH + 1;
    let semantics = Semantics::ALL[usize::from(*control % 4)];
    let checksums = if control & 4 != 0 {
        Checksums::Verify
    } else {
        Checksums::Skip
    };
    let mut items: Vec<Item> = Vec::with_capacity(count);
    let mut bytes = 0;
    for i in 0..count {
        let it = item(i, descriptors[i % n], pool);
        bytes += it.segment.len();
        if bytes > MAX_BATCH_BYTES && !items.is_empty() {
            break;
        }
        items.push(it);
    }
    let kernels: Vec<Kernel> = Kernel::ALL
        .into_iter()
        .filter(|k| k.is_supported())
        .collect();
    assert!(kernels.contains(&Kernel::Scalar), "scalar runs everywhere");
    static ANNOUNCED: Once = Once::new();
    ANNOUNCED.call_once(|| {
        let names: Vec<&str> = kernels.iter().map(|k| k.name()).collect();
        eprintln!(
            "batch: MD5 kernels held to segment_digest on this CPU: {}",
            names.join(", ")
        );
    });
    for kernel in kernels {
        let batch = Batch::with_kernel(semantics, kernel).expect("supported");
        assert_eq!(batch.kernel(), kernel);
        assert_eq!(batch.semantics(), semantics);
        check(&batch, &items, checksums);
    }
}

/// Segment `i` as its descriptor says.
fn item(i: usize, [flags, key_len, len_lo, len_hi]: [u8; DESCRIPTOR_LEN], pool: &[u8]) -> Item {
    let stride = usize::from(flags >> flag::STRIDE_SHIFT);
    let len = (usize::from(u16::from_le_bytes([len_lo, len_hi])) + i * stride) % MAX_SEGMENT;
    let cyclic = |start: usize, len: usize| -> Vec<u8> {
        pool.iter()
            .cycle()
            .skip(start % pool.len())
            .take(len)
            .copied()
            .collect()
    };
    let mut segment = cyclic(i * 31, len);
    let key = Key::new(&cyclic(i * 17 + 5, usize::from(key_len) % 80 + 1)).expect("1..=80");
    let [hi, lo] = u16::try_from(i).expect("< 300").to_be_bytes();
    let addrs = if flags & flag::V6 != 0 {
        AddrPair::V6 {
            src: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, u16::from(hi), u16::from(lo)),
            dst: Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, 1),
        }
    } else {
        AddrPair::V4 {
            src: Ipv4Addr::new(10, 1, hi, lo),
            dst: Ipv4Addr::new(10, 2, 0, 1),
        }
    };
    if flags & flag::MD5_HEADER != 0
        && let Some(header) = segment.get_mut(12..40)
    {
        header[0] = 10 << 4 | (header[0] & 0x0f);
        header[8..12].copy_from_slice(&[1, 1, 19, 18]);
        if flags & flag::SIGN != 0 {
            sign_segment_at(&addrs, &mut segment, &key, 2).expect("an MD5 option at 2");
        }
    }
    if flags & flag::FLIP != 0 && !segment.is_empty() {
        let bit = (i * 131 + usize::from(len_lo)) % (segment.len() * 8);
        segment[bit / 8] ^= 1 << (bit % 8);
    }
    Item {
        addrs,
        segment,
        key,
        receiver_has_key: flags & flag::NO_KEY == 0,
    }
}

/// Every batch entry point against its one-at-a-time counterpart.
fn check(batch: &Batch, items: &[Item], checksums: Checksums) {
    let kernel = batch.kernel();
    let semantics = batch.semantics();

    let keyed: Vec<KeyedSegment<'_>> = items
        .iter()
        .map(|it| KeyedSegment {
            addrs: it.addrs,
            segment: &it.segment,
            key: &it.key,
        })
        .collect();
    let digests = batch.digests(&keyed);
    assert_eq!(digests.len(), items.len());
    for (i, (got, it)) in digests.iter().zip(items).enumerate() {
        let want = segment_digest(&it.addrs, &it.segment, &it.key);
        assert_eq!(
            *got,
            want,
            "{kernel}: digest of segment {i} of {} ({} bytes)",
            items.len(),
            it.segment.len()
        );
    }

    let received: Vec<ReceivedSegment<'_>> = items
        .iter()
        .map(|it| ReceivedSegment {
            addrs: it.addrs,
            segment: &it.segment,
            key: it.receiver_has_key.then_some(&it.key),
        })
        .collect();
    for (i, (got, r)) in batch
        .verify_segments(&received)
        .into_iter()
        .zip(&received)
        .enumerate()
    {
        let want = verify_segment(&r.addrs, r.segment, r.key, semantics);
        assert_eq!(got, want, "{kernel} {semantics}: verify_segments[{i}]");
    }

    // Whole packets, each at a socket holding (or not) its key.
    let packets: Vec<(Vec<u8>, KeyTable)> = items
        .iter()
        .filter_map(|it| {
            let packet = ip_packet(&it.addrs, &it.segment).ok()?;
            let mut table = KeyTable::new();
            if it.receiver_has_key {
                let src: IpAddr = it.addrs.src();
                table
                    .apply(
                        Family::of(&src),
                        &Md5SigRequest::add(src, &it.key),
                        &[] as &[(i32, bool)],
                    )
                    .expect("one key for one peer");
            }
            Some((packet, table))
        })
        .collect();
    let at_sockets: Vec<PacketAtSocket<'_>> = packets
        .iter()
        .map(|(packet, table)| PacketAtSocket {
            packet,
            table,
            l3index: 0,
        })
        .collect();
    let one_at_a_time: Vec<_> = at_sockets
        .iter()
        .map(|p| packet_verdict_with(p.packet, p.table, p.l3index, semantics, checksums))
        .collect();
    assert_eq!(
        batch.verdicts_at_sockets(&at_sockets, checksums),
        one_at_a_time,
        "{kernel} {semantics}: verdicts_at_sockets"
    );
    let located: Vec<SegmentAtSocket<'_>> = at_sockets
        .iter()
        .filter_map(|p| {
            IpSegment::parse(p.packet)
                .ok()
                .map(|located| SegmentAtSocket {
                    packet: p.packet,
                    located,
                    table: p.table,
                    l3index: p.l3index,
                })
        })
        .collect();
    let one_at_a_time: Vec<_> = located
        .iter()
        .map(|s| packet_verdict_with(s.packet, s.table, s.l3index, semantics, checksums))
        .collect();
    assert_eq!(
        batch.segment_verdicts(&located, checksums),
        one_at_a_time,
        "{kernel} {semantics}: segment_verdicts"
    );
    // One table for every packet: the public entry point over a capture.
    if let Some((_, table)) = packets.first() {
        let packets: Vec<&[u8]> = packets.iter().map(|(p, _)| &p[..]).collect();
        let want: Vec<_> = packets
            .iter()
            .map(|p| packet_verdict_with(p, table, 0, semantics, checksums))
            .collect();
        assert_eq!(
            batch.packet_verdicts_with(&packets, table, 0, checksums),
            want,
            "{kernel} {semantics}: packet_verdicts_with"
        );
        if checksums == Checksums::Verify {
            assert_eq!(batch.packet_verdicts(&packets, table, 0), want);
        }
    }
}
