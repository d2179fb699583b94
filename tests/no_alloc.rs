//! The signing and verifying paths do no heap allocation: a counting global
//! allocator (counting only while this thread has armed it, so the test
//! harness's own threads do not interfere) must see zero allocations across
//! `sign_segment_into`, `sign_packet_into`, `sign_packet_in_place`,
//! `verify_segment` and `packet_verdict` with a prebuilt `KeyTable`, under
//! every semantics, and for segments carrying MD5, AO and malformed options.
#![allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicUsize, Ordering};

use tcpmd5::scan::AuthScan;
use tcpmd5::sign::{sign_packet_in_place, sign_packet_into, sign_segment_into};
use tcpmd5::verdict::{Receiver, receiver_verdict};
use tcpmd5::wire::TcpFlags;
use tcpmd5::{
    AddrPair, Family, Key, KeyTable, Md5SigRequest, SegmentHasher, Semantics, Verdict,
    packet_verdict, segment_digest, verify_segment,
};
use tcpmd5_testkit::{TcpSegmentSpec, layouts, options};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    // try_with: the allocator may run during thread teardown.
    if ARMED.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: defers to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations_in<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    ARMED.with(|a| a.set(true));
    let r = f();
    ARMED.with(|a| a.set(false));
    (ALLOCATIONS.load(Ordering::SeqCst) - before, r)
}

/// A PSH ACK from port 179 with `options` and `payload` bytes.
fn spec(addrs: &AddrPair, options: Vec<u8>, payload: usize) -> TcpSegmentSpec {
    TcpSegmentSpec {
        seq: 1,
        ack: 2,
        window: 502,
        options,
        payload: (0..payload).map(|i| i as u8).collect(),
        ..TcpSegmentSpec::new(*addrs, (179, 40000), TcpFlags::PSH | TcpFlags::ACK)
    }
}

fn pairs() -> [(Family, AddrPair); 2] {
    [
        (
            Family::V4,
            AddrPair::V4 {
                src: Ipv4Addr::new(192, 0, 2, 1),
                dst: Ipv4Addr::new(192, 0, 2, 2),
            },
        ),
        (
            Family::V6,
            AddrPair::V6 {
                src: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
                dst: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
            },
        ),
    ]
}

fn table_with(family: Family, peer: &AddrPair, key: &Key) -> KeyTable {
    let mut table = KeyTable::new();
    table
        .apply(
            family,
            &Md5SigRequest::add(peer.src(), key),
            &[] as &[(i32, bool)],
        )
        .unwrap();
    table
}

#[test]
fn sign_and_verify_do_not_allocate() {
    for semantics in Semantics::ALL {
        for (family, addrs) in pairs() {
            for key_len in [1, 16, 80] {
                let key = Key::new(&vec![b'k'; key_len]).unwrap();
                let table = table_with(family, &addrs, &key);
                for payload in [0, 1, 64, 1460, 9000] {
                    let unsigned = spec(&addrs, Vec::new(), payload);
                    let segment = unsigned.to_bytes().unwrap();
                    let packet = unsigned.to_packet().unwrap();
                    let mut seg_out = vec![0u8; segment.len() + 40];
                    let mut pkt_out = vec![0u8; packet.len() + 40];

                    let (n, r) = allocations_in(|| {
                        let seg_len = sign_segment_into(&addrs, &segment, &key, &mut seg_out)?;
                        let signed_seg = &seg_out[..seg_len];
                        let v_seg = verify_segment(&addrs, signed_seg, Some(&key), semantics)
                            .map_err(tcpmd5::sign::SignError::from)?;
                        let d1 = segment_digest(&addrs, signed_seg, &key)?;
                        let mut h = SegmentHasher::new(&addrs, signed_seg.len())?;
                        for chunk in signed_seg.chunks(7) {
                            h.update(chunk);
                        }
                        let d2 = h.finalize(&key)?;

                        let pkt_len = sign_packet_into(&packet, &key, &mut pkt_out)?;
                        let signed_pkt = &mut pkt_out[..pkt_len];
                        let v_pkt = packet_verdict(signed_pkt, &table, 0, semantics)?;
                        signed_pkt[pkt_len - 1] ^= 0xff; // re-sign after a change
                        sign_packet_in_place(signed_pkt, &key)?;
                        let v_again = packet_verdict(signed_pkt, &table, 0, semantics)?;
                        // A failing verdict must not allocate either.
                        signed_pkt[pkt_len - 1] ^= 0xff;
                        let v_bad = packet_verdict(signed_pkt, &table, 0, semantics)?;
                        Ok::<_, tcpmd5::sign::SignError>((v_seg, v_pkt, v_again, v_bad, d1 == d2))
                    });
                    let (v_seg, v_pkt, v_again, v_bad, same) = r.unwrap();
                    assert_eq!(
                        n, 0,
                        "{n} allocations ({semantics}, {family:?}, key {key_len}, payload {payload})"
                    );
                    assert!(v_seg.is_accept() && v_pkt.is_accept() && v_again.is_accept());
                    assert!(matches!(v_bad, Verdict::Drop(_)), "{v_bad}");
                    assert!(same, "chunked digest differs");
                }
            }
        }
    }
    // The counter works at all.
    let (n, v) = allocations_in(|| vec![0u8; 16]);
    assert!(n >= 1 && v.len() == 16);
}

/// Every option-area corner case (MD5 in every position, AO, malformed and
/// duplicated options, a full 40-byte area) and the common layouts next to
/// MD5, under every semantics, with and without a key at the receiver:
/// signing in place, the verdict of every receiver kind, and the scan do
/// not allocate, whatever the verdict.
#[test]
fn option_areas_do_not_allocate() {
    let key = Key::new(b"no-alloc").unwrap();
    let mut areas: Vec<Vec<u8>> = layouts::corner_cases()
        .into_iter()
        .map(|l| l.area)
        .collect();
    areas.push(options::pad_nop(options::cat(&[
        &options::mss_1460(),
        &options::ao_16(),
    ])));
    let (mut md5, mut ao, mut malformed, mut full) = (0, 0, 0, 0);
    for area in &areas {
        full += usize::from(area.len() == 40);
        for (family, addrs) in pairs() {
            let mut packet = spec(&addrs, area.clone(), 64).to_packet().unwrap();
            let keyed = table_with(family, &addrs, &key);
            let tables = [KeyTable::new(), keyed];
            for semantics in Semantics::ALL {
                match semantics.scan(area) {
                    AuthScan::Md5 { .. } => md5 += 1,
                    AuthScan::Ao { .. } => ao += 1,
                    AuthScan::Malformed(_) => malformed += 1,
                    AuthScan::Absent(_) => {}
                }
                let (n, verdicts) = allocations_in(|| {
                    // Fails (without allocating) where there is no MD5 option.
                    let signed = sign_packet_in_place(&mut packet, &key).is_ok();
                    let mut out = [None; 6];
                    for (i, table) in tables.iter().enumerate() {
                        for (j, receiver) in
                            [Receiver::Socket, Receiver::RequestSock, Receiver::TimeWait]
                                .into_iter()
                                .enumerate()
                        {
                            if let Some(slot) = out.get_mut(i * 3 + j) {
                                *slot =
                                    receiver_verdict(&packet, table, 0, semantics, receiver).ok();
                            }
                        }
                    }
                    (signed, out)
                });
                assert_eq!(
                    n, 0,
                    "{n} allocations: area {area:02x?}, {semantics}, {family:?}"
                );
                assert!(
                    verdicts.1.iter().all(Option::is_some),
                    "every receiver decides: {verdicts:?}"
                );
            }
        }
    }
    // The areas reach what the test claims.
    assert!(
        md5 > 0 && ao > 0 && malformed > 0 && full > 0,
        "{md5} {ao} {malformed} {full}"
    );
}
