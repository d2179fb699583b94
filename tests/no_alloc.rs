//! The signing and verifying paths do no heap allocation: a counting global
//! allocator (counting only while this thread has armed it, so the test
//! harness's own threads do not interfere) must see zero allocations across
//! `sign_segment_into`, `sign_packet_into`, `sign_packet_in_place`,
//! `verify_segment` and `packet_verdict` with a prebuilt `KeyTable`.
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

use tcpmd5::sign::{sign_packet_in_place, sign_packet_into, sign_segment_into};
use tcpmd5::{
    AddrPair, Family, Key, KeyTable, Md5SigRequest, SegmentHasher, Semantics, Verdict,
    packet_verdict, segment_digest, verify_segment,
};

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

fn tcp_segment(payload: usize) -> Vec<u8> {
    let mut s = vec![0u8; 20];
    s[0..2].copy_from_slice(&179u16.to_be_bytes());
    s[2..4].copy_from_slice(&40000u16.to_be_bytes());
    s[12] = 0x50;
    s[13] = 0x18;
    s.extend((0..payload).map(|i| i as u8));
    s
}

fn ip_packet(addrs: &AddrPair, segment: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    match addrs {
        AddrPair::V4 { src, dst } => {
            p.extend([0x45, 0]);
            p.extend(((20 + segment.len()) as u16).to_be_bytes());
            p.extend([0, 0, 0x40, 0, 64, 6, 0, 0]);
            p.extend(src.octets());
            p.extend(dst.octets());
        }
        AddrPair::V6 { src, dst } => {
            p.extend([0x60, 0, 0, 0]);
            p.extend((segment.len() as u16).to_be_bytes());
            p.extend([6, 64]);
            p.extend(src.octets());
            p.extend(dst.octets());
        }
    }
    p.extend(segment);
    p
}

#[test]
fn sign_and_verify_do_not_allocate() {
    let semantics = Semantics::Linux { tcp_ao: false };
    let pairs = [
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
    ];
    for (family, addrs) in pairs {
        for key_len in [1, 16, 80] {
            let key = Key::new(&vec![b'k'; key_len]).unwrap();
            let mut table = KeyTable::new();
            let devices: &[(i32, bool)] = &[];
            table
                .apply(family, &Md5SigRequest::add(addrs.src(), &key), devices)
                .unwrap();
            for payload in [0, 1, 64, 1460, 9000] {
                let segment = tcp_segment(payload);
                let packet = ip_packet(&addrs, &segment);
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
                    "{n} allocations ({family:?}, key {key_len}, payload {payload})"
                );
                assert!(v_seg.is_accept() && v_pkt.is_accept() && v_again.is_accept());
                assert!(matches!(v_bad, Verdict::Drop(_)), "{v_bad}");
                assert!(same, "chunked digest differs");
            }
        }
    }
    // The counter works at all.
    let (n, v) = allocations_in(|| vec![0u8; 16]);
    assert!(n >= 1 && v.len() == 16);
}
