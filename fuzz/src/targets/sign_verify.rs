//! `sign_verify`: a structured segment is signed, then verified, then changed
//! one bit at a time. Signing must give a segment every semantics accepts;
//! a flipped address, header, payload, key or digest bit must fail; option
//! bytes and the checksum are never hashed; the digest equals the RFC 2385
//! digest of [`crate::digest_model`].

use core::net::{Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use tcpmd5::scan::AuthScan;
use tcpmd5::sign::{
    SignError, insert_md5_option, locate_md5_option, refresh_checksum, sign_packet_in_place,
    sign_packet_into, sign_packet_to_vec, sign_segment_at, sign_segment_in_place,
    sign_segment_into, sign_segment_to_vec,
};
use tcpmd5::wire::{IpSegment, TcpFlags, TcpOption, TcpPacket, TcpRepr, ip_packet};
use tcpmd5::{
    Acceptance, AddrPair, DigestError, DropReason, Key, SegmentHasher, Semantics, Verdict,
    segment_digest, verify_segment,
};

use super::context::{assert_context, assert_no_key};

use crate::digest_model::rfc2385_digest;
use crate::scan_model::{Outcome, classify};

/// A well-formed option that is neither MD5 nor AO.
#[derive(Debug, Arbitrary)]
pub enum CleanOption {
    /// NOP.
    Nop,
    /// MSS.
    Mss(u16),
    /// Window scale.
    WindowScale(u8),
    /// SACK permitted.
    SackPermitted,
    /// SACK with 1..=4 blocks.
    Sack(u8, [u8; 8]),
    /// Timestamps.
    Timestamps(u32, u32),
    /// Any other kind (0, 1, 19 and 29 are mapped to 254).
    Other(u8, Vec<u8>),
}

/// The options of the segment before signing.
#[derive(Debug, Arbitrary)]
pub enum OptionsSpec {
    /// Well-formed options, NOP-padded.
    Clean(Vec<CleanOption>),
    /// Any bytes, EOL-padded to a multiple of 4 (at most 40).
    Raw(Vec<u8>),
}

/// A segment, its addresses and key, and which bits to flip.
#[derive(Debug, Arbitrary)]
pub struct SignInput {
    v6: bool,
    src4: [u8; 4],
    dst4: [u8; 4],
    src6: [u8; 16],
    dst6: [u8; 16],
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: u32,
    flags: u16,
    window: u16,
    urgent: u16,
    options: OptionsSpec,
    payload: Vec<u8>,
    key: Vec<u8>,
    addr_bit: u16,
    header_bit: u8,
    payload_bit: u16,
    key_bit: u16,
    option_pos: u8,
    option_xor: u8,
}

/// Builds the option area; returns it and the ranges of option data bytes
/// (not kind or length bytes), which a scan never looks at.
fn build_options(spec: &OptionsSpec) -> (Vec<u8>, Vec<core::ops::Range<usize>>) {
    let mut area = Vec::new();
    let mut data = Vec::new();
    match spec {
        OptionsSpec::Clean(list) => {
            for opt in list {
                let mut buf = [0u8; 40];
                let emitted = match opt {
                    CleanOption::Nop => TcpOption::NoOperation.emit(&mut buf),
                    CleanOption::Mss(v) => TcpOption::MaxSegmentSize(*v).emit(&mut buf),
                    CleanOption::WindowScale(v) => TcpOption::WindowScale(*v).emit(&mut buf),
                    CleanOption::SackPermitted => TcpOption::SackPermitted.emit(&mut buf),
                    CleanOption::Sack(n, block) => {
                        let blocks: Vec<u8> = block
                            .iter()
                            .copied()
                            .cycle()
                            .take(8 * (1 + usize::from(n % 4)))
                            .collect();
                        TcpOption::Sack(&blocks).emit(&mut buf)
                    }
                    CleanOption::Timestamps(a, b) => TcpOption::Timestamps {
                        tsval: *a,
                        tsecr: *b,
                    }
                    .emit(&mut buf),
                    CleanOption::Other(kind, d) => {
                        let kind = if matches!(kind, 0 | 1 | 19 | 29) {
                            254
                        } else {
                            *kind
                        };
                        let d = &d[..d.len().min(36)];
                        TcpOption::Unknown { kind, data: d }.emit(&mut buf)
                    }
                };
                let Some(n) = emitted else { continue };
                if area.len() + n > 40 {
                    break;
                }
                if n > 2 {
                    data.push(area.len() + 2..area.len() + n);
                }
                area.extend_from_slice(&buf[..n]);
            }
            while area.len() % 4 != 0 {
                area.push(1);
            }
        }
        OptionsSpec::Raw(bytes) => {
            area.extend_from_slice(&bytes[..bytes.len().min(40)]);
            while area.len() % 4 != 0 {
                area.push(0);
            }
        }
    }
    (area, data)
}

fn flip_addr(addrs: &AddrPair, bit: u16) -> AddrPair {
    match *addrs {
        AddrPair::V4 { src, dst } => {
            let (mut s, mut d) = (src.octets(), dst.octets());
            let i = usize::from(bit % 64);
            let target = if i < 32 { &mut s } else { &mut d };
            target[(i % 32) / 8] ^= 1 << (i % 8);
            AddrPair::V4 {
                src: s.into(),
                dst: d.into(),
            }
        }
        AddrPair::V6 { src, dst } => {
            let (mut s, mut d) = (src.octets(), dst.octets());
            let i = usize::from(bit % 256);
            let target = if i < 128 { &mut s } else { &mut d };
            target[(i % 128) / 8] ^= 1 << (i % 8);
            AddrPair::V6 {
                src: s.into(),
                dst: d.into(),
            }
        }
    }
}

/// The other ways to sign and to digest give the same bytes as
/// `sign_segment_to_vec`: in place, at a given offset, after inserting the
/// option by hand, whole IP packets, and the streaming digest fed in pieces.
fn check_entry_points(
    input: &SignInput,
    addrs: &AddrPair,
    segment: &[u8],
    signed: &[u8],
    key: &Key,
) {
    let digest = segment_digest(addrs, signed, key).expect("digest");
    // The streaming digest, cut at two points chosen by the input.
    let cut1 = usize::from(input.option_pos) % (signed.len() + 1);
    let cut2 = cut1 + usize::from(input.payload_bit) % (signed.len() - cut1 + 1);
    let mut hasher = SegmentHasher::new(addrs, signed.len()).expect("hasher");
    for piece in [&signed[..cut1], &signed[cut1..cut2], &signed[cut2..]] {
        hasher.update(piece);
    }
    assert_eq!(
        hasher.finalize(key),
        Ok(digest),
        "streamed digest, cuts {cut1} {cut2}"
    );
    let mut short = SegmentHasher::new(addrs, signed.len()).expect("hasher");
    short.update(&signed[..cut1]);
    if cut1 < signed.len() {
        let e = short.finalize(key).expect_err("a short feed fails");
        assert!(matches!(e, DigestError::LengthMismatch { .. }), "{e:?}");
        assert_context(&e);
    }
    // Re-signing the signed segment in place, and at the option's offset,
    // after scribbling over the digest and the checksum.
    let at = locate_md5_option(&signed[20..usize::from(signed[12] >> 4) * 4]).expect("md5");
    let mut again = signed.to_vec();
    again[20 + at + 2..20 + at + 18].fill(input.option_xor);
    again[16] ^= 0x55;
    assert_eq!(sign_segment_in_place(addrs, &mut again, key), Ok(digest));
    assert_eq!(again, signed, "sign_segment_in_place");
    again[20 + at + 2] ^= 1;
    assert_eq!(sign_segment_at(addrs, &mut again, key, at), Ok(digest));
    assert_eq!(again, signed, "sign_segment_at");
    // An offset whose digest would end past the option area is refused.
    let header_len = usize::from(signed[12] >> 4) * 4;
    let past = header_len - 20 - 17 + usize::from(input.header_bit) % 8;
    assert_eq!(
        sign_segment_at(addrs, &mut again, key, past),
        Err(SignError::NoMd5Option)
    );
    // A data offset below 5 or past the end is no segment to digest.
    let mut bad = signed.to_vec();
    bad[12] = (bad[12] & 0x0f)
        | if input.header_bit & 1 == 0 {
            0x40
        } else {
            0xf0
        };
    if bad[12] >> 4 < 5 || usize::from(bad[12] >> 4) * 4 > bad.len() {
        let e = segment_digest(addrs, &bad, key).expect_err("bad data offset");
        assert_context(&e);
        let mut hasher = SegmentHasher::new(addrs, bad.len()).expect("hasher");
        hasher.update(&bad);
        assert_eq!(hasher.finalize(key), Err(e));
    }
    // refresh_checksum gives the checksum signing wrote.
    again[16] ^= 0xff;
    refresh_checksum(addrs, &mut again);
    assert_eq!(again, signed, "refresh_checksum");
    // Inserting the option then signing in place is sign_segment_into.
    let mut out = vec![0u8; segment.len() + 20];
    let n = insert_md5_option(segment, &mut out).expect("room, as signing found");
    out.truncate(n);
    assert_eq!(sign_segment_in_place(addrs, &mut out, key), Ok(digest));
    assert_eq!(out, signed, "insert_md5_option + sign_segment_in_place");
    // A buffer one byte short is refused with its size.
    let mut small = vec![0u8; signed.len() - 1];
    let e = sign_segment_into(addrs, segment, key, &mut small).expect_err("too small");
    assert!(matches!(e, SignError::BufferTooSmall { .. }), "{e:?}");
    assert_context(&e);
    // The same segment in an IP packet: signing the packet signs the segment.
    if let Ok(packet) = ip_packet(addrs, segment) {
        match sign_packet_to_vec(&packet, key) {
            Ok(signed_packet) => {
                let located = IpSegment::parse(&signed_packet).expect("signed packet parses");
                assert_eq!(located.addrs, *addrs);
                assert_eq!(located.segment, signed, "sign_packet_to_vec");
                let mut into = vec![0u8; signed_packet.len()];
                assert_eq!(
                    sign_packet_into(&packet, key, &mut into),
                    Ok(signed_packet.len())
                );
                assert_eq!(into, signed_packet, "sign_packet_into");
                let mut in_place = signed_packet.clone();
                let end = in_place.len();
                in_place[end - signed.len() + 16] ^= 0xff;
                assert_eq!(sign_packet_in_place(&mut in_place, key), Ok(digest));
                assert_eq!(in_place, signed_packet, "sign_packet_in_place");
            }
            // Past 65535 bytes (IPv4 total length, IPv6 payload length).
            Err(e) => {
                assert!(matches!(e, SignError::Wire(_)), "{e:?}");
                assert_context(&e);
            }
        }
        if existing_md5(segment).is_none() {
            let mut unsigned = packet;
            let e = sign_packet_in_place(&mut unsigned, key).expect_err("no option to fill");
            assert_eq!(e, SignError::NoMd5Option);
            assert_context(&e);
        }
    }
}

fn existing_md5(segment: &[u8]) -> Option<usize> {
    TcpPacket::new_checked(segment)
        .ok()
        .and_then(|t| locate_md5_option(t.options()))
}

/// The entry point: sign, verify, flip.
pub fn run(input: &SignInput) {
    let addrs = if input.v6 {
        AddrPair::V6 {
            src: Ipv6Addr::from(input.src6),
            dst: Ipv6Addr::from(input.dst6),
        }
    } else {
        AddrPair::V4 {
            src: Ipv4Addr::from(input.src4),
            dst: Ipv4Addr::from(input.dst4),
        }
    };
    // Keys: 1 to 80 bytes, else an error naming the length.
    match Key::new(&input.key) {
        Ok(k) => {
            assert!((1..=80).contains(&input.key.len()));
            assert_eq!(
                (k.as_bytes(), k.len(), k.is_empty()),
                (&input.key[..], input.key.len(), false)
            );
        }
        Err(e) => {
            assert!(input.key.is_empty() || input.key.len() > 80);
            assert_context(&e);
        }
    }
    assert_eq!(
        Key::from_array(b"tcpmd5 fixed key"),
        Key::new(b"tcpmd5 fixed key").expect("16 bytes")
    );
    let key_bytes: &[u8] = if input.key.is_empty() {
        &[0]
    } else {
        &input.key[..input.key.len().min(80)]
    };
    let key = Key::new(key_bytes).expect("1..=80 bytes");
    let (options, data_ranges) = build_options(&input.options);
    let payload = &input.payload[..input.payload.len().min(1500)];
    let repr = TcpRepr {
        src_port: input.src_port,
        dst_port: input.dst_port,
        seq: input.seq,
        ack: input.ack,
        flags: TcpFlags(input.flags & 0x0fff),
        window: input.window,
        urgent: input.urgent,
        options: &options,
        payload,
    };
    let mut segment = vec![0u8; repr.segment_len()];
    repr.emit(&addrs, &mut segment)
        .expect("options are 4-aligned and at most 40 bytes");
    let clean = matches!(input.options, OptionsSpec::Clean(_));
    let existing = locate_md5_option(&options);

    assert_no_key(&format!("{key:?}"), key.as_bytes());
    let signed = match sign_segment_to_vec(&addrs, &segment, &key) {
        Ok(s) => s,
        Err(e @ SignError::OptionSpace { needed, .. }) => {
            assert!(existing.is_none() && needed > 40 && options.len() + 20 == needed);
            assert_context(&e);
            return;
        }
        Err(e) => panic!("signing a well-formed segment failed: {e}"),
    };
    check_entry_points(input, &addrs, &segment, &signed, &key);
    if existing.is_none() {
        assert!(options.len() <= 20, "signed with no room");
        assert_eq!(signed.len(), segment.len() + 20);
    } else {
        assert_eq!(signed.len(), segment.len());
    }
    // The two signing entry points agree.
    let mut out = vec![0u8; segment.len() + 20];
    let n = sign_segment_into(&addrs, &segment, &key, &mut out).expect("signs like to_vec");
    assert_eq!(&out[..n], &signed[..]);

    let tcp = TcpPacket::new_checked(&signed[..]).expect("signed segment parses");
    assert!(
        tcp.verify_checksum(&addrs),
        "signed segment has a bad checksum"
    );
    let area = tcp.options();
    let at = locate_md5_option(area).expect("signed segment carries an MD5 option");
    if existing.is_none() {
        assert_eq!(at, 2);
        assert_eq!(&area[..4], &[1, 1, 19, 18]);
    }
    let digest = segment_digest(&addrs, &signed, &key).expect("digest");
    assert_eq!(
        Some(digest),
        rfc2385_digest(&addrs, &signed, key.as_bytes()),
        "digest differs from RFC 2385"
    );
    assert_eq!(&area[at + 2..at + 18], &digest[..]);

    // Option bytes are never hashed.
    let opt_len = area.len();
    if opt_len > 0 {
        let pos = 20 + usize::from(input.option_pos) % opt_len;
        let mut other = signed.clone();
        other[pos] ^= input.option_xor | 1;
        assert_eq!(
            segment_digest(&addrs, &other, &key),
            Ok(digest),
            "option byte {pos} hashed"
        );
    }

    for semantics in Semantics::ALL {
        let scan = semantics.scan(area);
        let verdict = verify_segment(&addrs, &signed, Some(&key), semantics).expect("parses");
        if clean && existing.is_none() {
            assert_eq!(
                classify(&scan),
                Outcome::Md5(2),
                "{semantics}: Linux layout not found"
            );
        }
        match scan {
            AuthScan::Md5 {
                offset,
                digest: carried,
            } => {
                let want = if *carried == digest {
                    Verdict::Accept(Acceptance::Signed)
                } else {
                    Verdict::Drop(DropReason::Md5Failure)
                };
                assert_eq!(verdict, want, "{semantics}");
                if offset != at {
                    continue;
                }
            }
            _ => continue,
        }
        assert_eq!(verdict, Verdict::Accept(Acceptance::Signed), "{semantics}");
        let failure = Ok(Verdict::Drop(DropReason::Md5Failure));

        // Pseudo-header address.
        let moved = flip_addr(&addrs, input.addr_bit);
        assert_eq!(
            verify_segment(&moved, &signed, Some(&key), semantics),
            failure,
            "address bit"
        );

        // Fixed header, checksum bytes excluded.
        let bit = usize::from(input.header_bit) % 144;
        let byte = if bit / 8 < 16 {
            bit / 8
        } else {
            18 + (bit / 8 - 16)
        };
        let mut hdr = signed.clone();
        hdr[byte] ^= 1 << (bit % 8);
        let got = verify_segment(&addrs, &hdr, Some(&key), semantics);
        if byte == 12 && bit % 8 >= 4 {
            // The data offset moves the options: anything but acceptance.
            assert_ne!(
                got,
                Ok(Verdict::Accept(Acceptance::Signed)),
                "data offset bit"
            );
        } else {
            assert_eq!(got, failure, "header byte {byte}");
        }

        // The checksum is not hashed.
        let mut sum = signed.clone();
        sum[16] ^= 0xff;
        sum[17] ^= input.header_bit;
        assert_eq!(
            verify_segment(&addrs, &sum, Some(&key), semantics),
            Ok(Verdict::Accept(Acceptance::Signed)),
            "checksum hashed"
        );

        // Payload.
        let payload_start = tcp.header_len();
        let payload_len = signed.len() - payload_start;
        if payload_len > 0 {
            let bit = usize::from(input.payload_bit) % (payload_len * 8);
            let mut p = signed.clone();
            p[payload_start + bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                verify_segment(&addrs, &p, Some(&key), semantics),
                failure,
                "payload bit"
            );
        }

        // Key bytes and key length.
        let bit = usize::from(input.key_bit) % (key.len() * 8);
        let mut k = key.as_bytes().to_vec();
        k[bit / 8] ^= 1 << (bit % 8);
        let other_key = Key::new(&k).expect("same length");
        assert_eq!(
            verify_segment(&addrs, &signed, Some(&other_key), semantics),
            failure,
            "key bit"
        );
        let mut k = key.as_bytes().to_vec();
        if k.len() < 80 {
            k.push(input.option_xor);
        } else {
            k.pop();
        }
        let other_key = Key::new(&k).expect("1..=80");
        assert_eq!(
            verify_segment(&addrs, &signed, Some(&other_key), semantics),
            failure,
            "key length"
        );

        // The carried digest itself.
        let mut d = signed.clone();
        d[20 + at + 2 + usize::from(input.option_pos) % 16] ^= input.option_xor | 1;
        assert_eq!(
            verify_segment(&addrs, &d, Some(&key), semantics),
            failure,
            "carried digest"
        );

        // Data bytes of other options change nothing.
        if clean && existing.is_none() && !data_ranges.is_empty() {
            let r = &data_ranges[usize::from(input.option_pos) % data_ranges.len()];
            let pos = 20 + 20 + r.start + usize::from(input.option_xor) % r.len();
            let mut o = signed.clone();
            o[pos] ^= input.option_xor | 1;
            assert_eq!(
                verify_segment(&addrs, &o, Some(&key), semantics),
                Ok(Verdict::Accept(Acceptance::Signed)),
                "option data byte {pos}"
            );
        }
    }
}
