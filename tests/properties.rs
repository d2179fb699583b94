//! Property tests of the whole library (run by `cargo test`).
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use proptest::prelude::*;

use tcpmd5::digest::{SegmentHasher, segment_digest};
use tcpmd5::key_table::{KeyTable, Md5SigRequest};
use tcpmd5::scan::AuthScan;
use tcpmd5::sign::{
    LINUX_MD5_ALIGNED_LEN, SignError, locate_md5_option, sign_packet_to_vec, sign_segment_to_vec,
};
use tcpmd5::verdict::{Acceptance, DropReason, Verdict, packet_verdict, verify_segment};
use tcpmd5::wire::{
    IpSegment, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr, TcpOption, TcpPacket, TcpRepr,
};
use tcpmd5::{AddrPair, Family, Key, Semantics};
use tcpmd5_testkit::TcpSegmentSpec;
use tcpmd5_testkit::strategies::{
    MAX_OPTION_AREA, addr_pair_any, key_any, segment_any, segment_from_grammar_any,
};

const SIGNED: Verdict = Verdict::Accept(Acceptance::Signed);
const FAILURE: Verdict = Verdict::Drop(DropReason::Md5Failure);

fn flip_addr_bit(addrs: &AddrPair, bit: usize) -> AddrPair {
    match *addrs {
        AddrPair::V4 { src, dst } => {
            let mut b = [src.octets(), dst.octets()].concat();
            let i = bit % (b.len() * 8);
            b[i / 8] ^= 1 << (i % 8);
            AddrPair::V4 {
                src: <[u8; 4]>::try_from(&b[..4]).unwrap().into(),
                dst: <[u8; 4]>::try_from(&b[4..]).unwrap().into(),
            }
        }
        AddrPair::V6 { src, dst } => {
            let mut b = [src.octets(), dst.octets()].concat();
            let i = bit % (b.len() * 8);
            b[i / 8] ^= 1 << (i % 8);
            AddrPair::V6 {
                src: <[u8; 16]>::try_from(&b[..16]).unwrap().into(),
                dst: <[u8; 16]>::try_from(&b[16..]).unwrap().into(),
            }
        }
    }
}

fn exercise_views(bytes: &[u8]) {
    if let Ok(p) = Ipv4Packet::new_checked(bytes) {
        let _ = (p.src_addr(), p.payload().len(), p.verify_checksum());
        let _ = Ipv4Repr::parse(&p);
    }
    if let Ok(p) = Ipv6Packet::new_checked(bytes) {
        let _ = (p.upper_layer(), p.payload().len(), Ipv6Repr::parse(&p));
    }
    if let Ok(t) = TcpPacket::new_checked(bytes) {
        let _ = (t.payload().len(), TcpRepr::parse(&t));
        let mut steps = 0;
        for item in t.option_iter() {
            steps += 1;
            assert!(steps <= 40, "option iteration must terminate");
            if let Ok((offset, option)) = item {
                assert!(offset + option.buffer_len() <= t.options().len());
            }
        }
    }
    for semantics in Semantics::ALL {
        match semantics.scan(bytes) {
            AuthScan::Md5 { offset, .. } => assert!(offset + 18 <= bytes.len()),
            AuthScan::Ao { offset, len } => assert!(offset + usize::from(len) <= bytes.len()),
            _ => {}
        }
    }
    if let Ok(located) = IpSegment::parse(bytes) {
        assert!(located.tcp_offset + located.segment.len() <= bytes.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// Any bytes: no view, scan, verdict or signer panics, and every span
    /// they hand out lies inside the buffer.
    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
        exercise_views(&bytes);
        let mut table = KeyTable::new();
        let key = Key::new(b"k").unwrap();
        for peer in ["10.99.0.2", "fd00:99::2"] {
            let req = Md5SigRequest::add(peer.parse().unwrap(), &key).with_prefix(0);
            let family = if peer.contains(':') { Family::V6 } else { Family::V4 };
            table.apply(family, &req, &[] as &[(i32, bool)]).unwrap();
        }
        for semantics in Semantics::ALL {
            let _ = packet_verdict(&bytes, &table, 0, semantics);
        }
        let _ = sign_packet_to_vec(&bytes, &key);
    }

    /// Any bytes behind a plausible IPv4 or IPv6 + TCP header prefix.
    #[test]
    fn plausible_headers_never_panic(
        v6 in any::<bool>(),
        doff in 0u8..16,
        tail in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let mut bytes = if v6 { vec![0x60, 0, 0, 0, 0, 0, 6, 64] } else { vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 6, 0, 0] };
        bytes.resize(if v6 { 40 } else { 20 }, 7);
        let total = bytes.len() + 20 + tail.len();
        if v6 { bytes[4..6].copy_from_slice(&((total - 40) as u16).to_be_bytes()) } else { bytes[2..4].copy_from_slice(&(total as u16).to_be_bytes()) }
        let mut tcp = [0u8; 20];
        tcp[12] = doff << 4;
        bytes.extend(tcp);
        bytes.extend(tail);
        exercise_views(&bytes);
        let key = Key::new(b"k").unwrap();
        let _ = sign_packet_to_vec(&bytes, &key);
        for semantics in Semantics::ALL {
            let _ = packet_verdict(&bytes, &KeyTable::new(), 0, semantics);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    //= type=test
    //= 2.0/verify
    /// verify(sign(s)) accepts, under every semantics.
    #[test]
    fn verify_accepts_what_sign_produces(spec in segment_any(), key in key_any()) {
        let signed = sign_segment_to_vec(&spec.addrs, &spec.to_bytes().unwrap(), &key).unwrap();
        prop_assert_eq!(signed.len(), spec.to_bytes().unwrap().len() + LINUX_MD5_ALIGNED_LEN);
        prop_assert!(TcpPacket::new_checked(&signed[..]).unwrap().verify_checksum(&spec.addrs));
        for semantics in Semantics::ALL {
            prop_assert_eq!(verify_segment(&spec.addrs, &signed, Some(&key), semantics), Ok(SIGNED), "{}", semantics);
            prop_assert_eq!(
                verify_segment(&spec.addrs, &signed, None, semantics),
                Ok(Verdict::Drop(DropReason::Md5Unexpected))
            );
            prop_assert_eq!(
                verify_segment(&spec.addrs, &spec.to_bytes().unwrap(), Some(&key), semantics),
                Ok(Verdict::Drop(DropReason::Md5NotFound))
            );
        }
    }

    /// Signing meets option areas from the grammar (existing MD5 options,
    /// AO, malformed options, full 40-byte areas): it fills the first MD5
    /// option a sender would fill, inserts one where there is room, and
    /// refuses only when there is none; under every semantics the result
    /// verifies exactly when the receiver finds the option that was filled.
    //= type=test
    //= 2.0/verify
    //= linux/md5-option-layout
    #[test]
    fn signing_meets_every_option_area(spec in segment_from_grammar_any(), key in key_any()) {
        let segment = spec.to_bytes().unwrap();
        let Some((signed, filled)) = signed_and_filled(&spec, &key) else {
            prop_assert!(locate_md5_option(&spec.options).is_none());
            prop_assert!(spec.options.len() + LINUX_MD5_ALIGNED_LEN > MAX_OPTION_AREA);
            return Ok(());
        };
        prop_assert!(signed.len() == segment.len() || signed.len() == segment.len() + LINUX_MD5_ALIGNED_LEN);
        for semantics in Semantics::ALL {
            let found = finds(semantics, &signed, filled);
            let verdict = verify_segment(&spec.addrs, &signed, Some(&key), semantics);
            prop_assert_eq!(verdict == Ok(SIGNED), found, "{} {:?}", semantics, verdict);
            if found {
                prop_assert_eq!(
                    verify_segment(&spec.addrs, &signed, None, semantics),
                    Ok(Verdict::Drop(DropReason::Md5Unexpected))
                );
            }
        }
    }

    /// Any single bit flip in the hashed pseudo-header addresses, the fixed
    /// header (checksum and data offset aside), the payload or the key makes
    /// the digest fail, under every semantics that finds the option, for
    /// segments with any option area.
    //= type=test
    //= 2.0/digest-order
    //= 2.0/silent-drop
    #[test]
    fn any_hashed_bit_flip_fails(spec in segment_from_grammar_any(), key in key_any(), pick in any::<usize>(), bit in 0u8..8) {
        let Some((signed, filled)) = signed_and_filled(&spec, &key) else {
            return Ok(());
        };
        let payload_start = TcpPacket::new_checked(&signed[..]).unwrap().header_len();
        let mut hashed: Vec<usize> = (0..20).filter(|&i| i != 16 && i != 17 && i != 12).collect();
        hashed.extend(payload_start..signed.len());
        let choice = pick % (hashed.len() + 3);
        let (addrs, corrupt, key) = if choice < hashed.len() {
            let mut corrupt = signed.clone();
            corrupt[hashed[choice]] ^= 1 << bit;
            (spec.addrs, corrupt, key)
        } else if choice == hashed.len() {
            let mut corrupt = signed.clone();
            corrupt[12] ^= 1 << (bit % 4); // reserved bits of byte 12 are hashed
            (spec.addrs, corrupt, key)
        } else if choice == hashed.len() + 1 {
            (flip_addr_bit(&spec.addrs, pick / 7), signed.clone(), key)
        } else {
            let mut k = key.as_bytes().to_vec();
            let i = pick / 7 % k.len();
            k[i] ^= 1 << bit;
            (spec.addrs, signed.clone(), Key::new(&k).unwrap())
        };
        for semantics in Semantics::ALL {
            if finds(semantics, &signed, filled) {
                prop_assert_eq!(verify_segment(&addrs, &corrupt, Some(&key), semantics), Ok(FAILURE), "{}", semantics);
            }
        }
    }

    /// Removing the last payload byte (the pseudo-header length changes)
    /// never verifies, and a data offset change is never accepted.
    #[test]
    fn length_and_offset_changes_never_accept(spec in segment_any(), key in key_any(), doff in 5u8..16) {
        let signed = sign_segment_to_vec(&spec.addrs, &spec.to_bytes().unwrap(), &key).unwrap();
        for semantics in Semantics::ALL {
            if signed.len() > payload_start(&signed) {
                let shorter = &signed[..signed.len() - 1];
                prop_assert_eq!(verify_segment(&spec.addrs, shorter, Some(&key), semantics), Ok(FAILURE));
            }
            let mut moved = signed.clone();
            if moved[12] >> 4 != doff {
                moved[12] = (doff << 4) | (moved[12] & 0x0f);
                let verdict = verify_segment(&spec.addrs, &moved, Some(&key), semantics);
                prop_assert!(!matches!(verdict, Ok(Verdict::Accept(_))), "{:?}", verdict);
            }
        }
    }

    /// Bytes of other options are not hashed: changing them never changes
    /// the digest.
    //= type=test
    //= 2.0/options-not-hashed
    #[test]
    fn other_option_bytes_do_not_change_the_digest(spec in segment_any(), key in key_any(), noise in any::<u8>(), pick in any::<usize>()) {
        let signed = sign_segment_to_vec(&spec.addrs, &spec.to_bytes().unwrap(), &key).unwrap();
        let base = segment_digest(&spec.addrs, &signed, &key).unwrap();
        // The Linux layout puts MD5 in option bytes 0..20; the rest are others'.
        let others: Vec<usize> = (20 + LINUX_MD5_ALIGNED_LEN..payload_start(&signed)).collect();
        prop_assume!(!others.is_empty());
        let mut changed = signed.clone();
        changed[others[pick % others.len()]] = noise;
        prop_assert_eq!(segment_digest(&spec.addrs, &changed, &key).unwrap(), base);
    }

    /// Streaming the segment in arbitrary chunks equals the one-shot digest.
    #[test]
    fn chunked_digest_equals_one_shot(spec in segment_any(), key in key_any(), cuts in proptest::collection::vec(1usize..64, 1..40)) {
        let bytes = spec.to_bytes().unwrap();
        let one_shot = segment_digest(&spec.addrs, &bytes, &key).unwrap();
        let mut hasher = SegmentHasher::new(&spec.addrs, bytes.len()).unwrap();
        let mut rest = &bytes[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() { break; }
            let (now, later) = rest.split_at((*cut).min(rest.len()));
            hasher.update(now);
            rest = later;
        }
        prop_assert_eq!(hasher.finalize(&key).unwrap(), one_shot);
    }

    /// Whole packets: signing an IPv4/IPv6 packet fixes lengths and
    /// checksums, and the verdict of the signed packet is Signed.
    #[test]
    fn signed_packets_verify(spec in segment_any(), key in key_any()) {
        let segment = spec.to_bytes().unwrap();
        let packet = ip_packet(&spec.addrs, &segment);
        let signed = sign_packet_to_vec(&packet, &key).unwrap();
        let located = IpSegment::parse(&signed).unwrap();
        prop_assert_eq!(located.segment.len(), segment.len() + LINUX_MD5_ALIGNED_LEN);
        if let Ok(v4) = Ipv4Packet::new_checked(&signed[..]) {
            prop_assert!(v4.verify_checksum());
        }
        let mut table = KeyTable::new();
        table.apply(spec.addrs.family(), &Md5SigRequest::add(spec.addrs.src(), &key), &[] as &[(i32, bool)]).unwrap();
        for semantics in Semantics::ALL {
            prop_assert_eq!(packet_verdict(&signed, &table, 0, semantics), Ok(SIGNED));
        }
    }

    /// emit(parse(x)) == x for well-formed segments, IP headers and options.
    #[test]
    fn emit_parse_round_trips(spec in segment_any()) {
        let bytes = spec.to_bytes().unwrap();
        let view = TcpPacket::new_checked(&bytes[..]).unwrap();
        let repr = TcpRepr::parse(&view);
        let mut out = vec![0u8; bytes.len()];
        prop_assert_eq!(repr.emit(&spec.addrs, &mut out), Ok(bytes.len()));
        prop_assert_eq!(&out, &bytes);

        let packet = ip_packet(&spec.addrs, &bytes);
        let mut again = vec![0u8; packet.len()];
        match spec.addrs.family() {
            Family::V4 => {
                let p = Ipv4Packet::new_checked(&packet[..]).unwrap();
                let n = Ipv4Repr::parse(&p).emit(&mut again).unwrap();
                prop_assert_eq!(&again[..n], &packet[..n]);
            }
            Family::V6 => {
                let p = Ipv6Packet::new_checked(&packet[..]).unwrap();
                let n = Ipv6Repr::parse(&p).emit(&mut again).unwrap();
                prop_assert_eq!(&again[..n], &packet[..n]);
            }
        }
        let mut rest = view.options();
        while !rest.is_empty() {
            let (after, option) = TcpOption::parse(rest).unwrap();
            let mut buf = [0u8; 40];
            let n = option.emit(&mut buf).unwrap();
            prop_assert_eq!(&buf[..n], &rest[..rest.len() - after.len()]);
            rest = after;
        }
    }
}

/// `spec` signed with `key`, and the offset of the MD5 option the signer
/// filled; `None` when there is no room to insert one.
fn signed_and_filled(spec: &TcpSegmentSpec, key: &Key) -> Option<(Vec<u8>, usize)> {
    match sign_segment_to_vec(&spec.addrs, &spec.to_bytes().unwrap(), key) {
        Ok(signed) => {
            let options = TcpPacket::new_checked(&signed[..])
                .unwrap()
                .options()
                .to_vec();
            let filled = locate_md5_option(&options).expect("a signed segment has an MD5 option");
            Some((signed, filled))
        }
        Err(SignError::OptionSpace { .. }) => None,
        Err(e) => panic!("signing {spec:?}: {e}"),
    }
}

/// Whether a receiver with `semantics` finds the MD5 option at `filled`.
fn finds(semantics: Semantics, segment: &[u8], filled: usize) -> bool {
    let options = TcpPacket::new_checked(segment).unwrap().options().to_vec();
    matches!(semantics.scan(&options), AuthScan::Md5 { offset, .. } if offset == filled)
}

fn payload_start(segment: &[u8]) -> usize {
    TcpPacket::new_checked(segment).unwrap().header_len()
}

/// Wraps a segment in a minimal IP header of its family.
fn ip_packet(addrs: &AddrPair, segment: &[u8]) -> Vec<u8> {
    tcpmd5::wire::ip_packet(addrs, segment).unwrap()
}

#[test]
fn addr_pair_strategy_covers_both_families() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let families: std::collections::BTreeSet<_> = (0..64)
        .map(|_| {
            addr_pair_any()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .family()
        })
        .collect();
    assert_eq!(families.len(), 2);
}

proptest! {
    /// The proposed AO-bypass fix changes exactly one verdict: where `linux`
    /// accepts a TCP-AO option unchecked, a keyed receiver now drops it
    /// (TCP_MD5NOTFOUND) and a keyless one takes it as unsigned; every other
    /// segment gets the same verdict.
    //= type=test
    //= linux/ao-bypass-fixed
    #[test]
    fn the_ao_bypass_fix_changes_only_the_bypass(
        spec in segment_from_grammar_any(),
        key in key_any(),
        keyed in any::<bool>(),
    ) {
        let segment = spec.to_bytes().unwrap();
        let key = keyed.then_some(&key);
        let linux = verify_segment(&spec.addrs, &segment, key, Semantics::Linux { tcp_ao: false });
        let fixed = verify_segment(&spec.addrs, &segment, key, Semantics::LinuxAoBypassFixed);
        match linux {
            Ok(Verdict::Accept(Acceptance::AoNotChecked)) => {
                let want = if keyed {
                    Verdict::Drop(DropReason::Md5NotFound)
                } else {
                    Verdict::Accept(Acceptance::Unsigned)
                };
                prop_assert_eq!(fixed, Ok(want));
            }
            other => prop_assert_eq!(fixed, other),
        }
    }
}
