//! The segments the verdict tests send: one builder for all of them.

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::wire::{TcpFlags, TcpRepr};
use crate::{AddrPair, Family, Key, KeyTable, Md5SigRequest};

/// The IPv4 and IPv6 address pairs the tests use (peer -> local).
pub(super) fn pairs() -> [AddrPair; 2] {
    [
        AddrPair::V4 {
            src: Ipv4Addr::new(10, 99, 0, 2),
            dst: Ipv4Addr::new(10, 99, 0, 1),
        },
        AddrPair::V6 {
            src: Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 2),
            dst: Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 1),
        },
    ]
}

/// A receiver's table holding `key` for the peer `addrs.src()`.
pub(super) fn keyed_table(addrs: &AddrPair, key: &Key) -> KeyTable {
    let mut table = KeyTable::new();
    table
        .apply(
            Family::of(&addrs.src()),
            &Md5SigRequest::add(addrs.src(), key),
            &[] as &[(i32, bool)],
        )
        .expect("the key is added");
    table
}

/// A segment from `addrs.src()` port 179 to port 4444 (ack 7, window 5).
pub(super) fn segment(
    addrs: &AddrPair,
    flags: TcpFlags,
    seq: u32,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let repr = TcpRepr {
        src_port: 179,
        dst_port: 4444,
        seq,
        ack: 7,
        flags,
        window: 5,
        urgent: 0,
        options,
        payload,
    };
    repr.to_vec(addrs)
        .and_then(|tcp| crate::wire::ip_packet(addrs, &tcp))
        .expect("test segment builds")
}

/// An ACK (seq 3) from `addrs.src()` with `options`.
pub(super) fn ack_with(addrs: &AddrPair, options: &[u8]) -> Vec<u8> {
    segment(addrs, TcpFlags::ACK, 3, options, &[])
}

/// A TCP-AO option (key id 1/2, 12-byte MAC) and a NOP word: 20 bytes.
pub(super) fn ao_area() -> Vec<u8> {
    let mut ao = vec![29u8, 16, 1, 2];
    ao.extend([0xa5; 12]);
    ao.extend([1, 1, 1, 1]);
    ao
}

/// An ACK (seq 3) from `addrs.src()` signed with `key` (NOP NOP MD5, as
/// Linux lays it out).
pub(super) fn signed_ack(addrs: &AddrPair, key: &Key) -> Vec<u8> {
    let mut area = [0u8; 20];
    area[..4].copy_from_slice(&[1, 1, 19, 18]);
    let mut p = ack_with(addrs, &area);
    crate::sign::sign_packet_in_place(&mut p, key).expect("the MD5 option is signed");
    p
}
