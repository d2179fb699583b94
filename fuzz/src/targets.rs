//! The body of each fuzz target. A target file only forwards to one of these.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use tcpmd5::key_table::{AF_INET, AF_INET6, KeyChange, KeyTable, Md5SigOption, Md5SigRequest};
use tcpmd5::scan::{Absence, AuthScan};
use tcpmd5::sign::{locate_md5_option, sign_segment_into, sign_segment_to_vec, SignError};
use tcpmd5::wire::{
    IpSegment, Ipv4Packet, Ipv4Repr, Ipv6Packet, TcpFlags, TcpOption, TcpOptions, TcpPacket,
    TcpRepr,
};
use tcpmd5::{
    Acceptance, AddrPair, Checksums, DropReason, Family, Key, Semantics, Verdict, packet_verdict_with,
    segment_digest, verify_segment,
};

use crate::digest_model::rfc2385_digest;
use crate::key_model::{ModelKey, ModelResult, ModelTable};
use crate::scan_model::{Outcome, classify, model_scan};

/// `inner` is a sub-slice of `outer` (same memory, inside its bounds).
fn assert_within(outer: &[u8], inner: &[u8], what: &str) {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    assert!(
        inner.is_empty() || (i >= o && i + inner.len() <= o + outer.len()),
        "{what}: span {}..{} outside buffer of {}",
        i.wrapping_sub(o),
        i.wrapping_sub(o) + inner.len(),
        outer.len()
    );
}

// ---------------------------------------------------------------- parse_packet

/// Any bytes through the IPv4, IPv6 and TCP views and the option iterator.
pub fn parse_packet(data: &[u8]) {
    if let Ok(ip) = Ipv4Packet::new_checked(data) {
        let hl = ip.header_len();
        let total = usize::from(ip.total_len());
        assert!((20..=60).contains(&hl) && hl <= total && total <= data.len());
        assert_within(data, ip.options(), "ipv4 options");
        assert_within(data, ip.payload(), "ipv4 payload");
        assert_eq!(ip.options().len(), hl - 20);
        assert_eq!(ip.payload().len(), total - hl);
        let repr = Ipv4Repr::parse(&ip);
        let mut buf = [0u8; 60];
        let n = repr.emit(&mut buf).expect("a parsed IPv4 header emits");
        assert_eq!(n, hl);
        let again = Ipv4Packet::new_unchecked(&buf[..n]);
        assert_eq!(again.src_addr(), ip.src_addr());
        assert_eq!(again.dst_addr(), ip.dst_addr());
        assert_eq!(again.protocol(), ip.protocol());
        assert!(again.verify_checksum());
    }
    if let Ok(ip) = Ipv6Packet::new_checked(data) {
        let payload = ip.payload();
        assert_within(data, payload, "ipv6 payload");
        assert_eq!(payload.len(), usize::from(ip.payload_len()));
        if let Ok(upper) = ip.upper_layer() {
            assert!(upper.offset <= payload.len(), "upper layer past payload");
        }
    }
    if let Ok(located) = IpSegment::parse(data) {
        assert_within(data, located.segment, "ip segment");
        let at = located.segment.as_ptr() as usize - data.as_ptr() as usize;
        if !located.segment.is_empty() {
            assert_eq!(at, located.tcp_offset);
        }
        assert!(located.tcp_offset + located.segment.len() <= data.len());
        assert!(
            TcpPacket::new_checked(located.segment).is_ok(),
            "IpSegment::parse accepted a segment the TCP view rejects"
        );
        check_tcp(&located.addrs, located.segment);
    }
    let addrs = AddrPair::V4 {
        src: Ipv4Addr::new(10, 0, 0, 1),
        dst: Ipv4Addr::new(10, 0, 0, 2),
    };
    check_tcp(&addrs, data);
    check_options(data);
}

fn check_tcp(addrs: &AddrPair, seg: &[u8]) {
    let Ok(tcp) = TcpPacket::new_checked(seg) else {
        return;
    };
    let hl = tcp.header_len();
    assert!((20..=60).contains(&hl) && hl <= seg.len());
    assert_within(seg, tcp.options(), "tcp options");
    assert_within(seg, tcp.payload(), "tcp payload");
    assert_eq!(tcp.options(), &seg[20..hl]);
    assert_eq!(tcp.payload(), &seg[hl..]);
    // The representation re-emits the same bytes, checksum aside.
    let repr = TcpRepr::parse(&tcp);
    let mut out = vec![0u8; seg.len()];
    let n = repr.emit(addrs, &mut out).expect("a parsed TCP header emits");
    assert_eq!(n, seg.len());
    assert_eq!(&out[..16], &seg[..16]);
    assert_eq!(&out[18..], &seg[18..]);
    assert!(TcpPacket::new_unchecked(&out[..]).verify_checksum(addrs));
    check_options(tcp.options());
}

fn check_options(area: &[u8]) {
    let mut expected_at = 0usize;
    let mut count = 0usize;
    let mut failed = false;
    for item in TcpOptions::new(area) {
        count += 1;
        assert!(count <= area.len(), "option iterator does not terminate");
        assert!(!failed, "option iterator yields after an error");
        match item {
            Ok((at, option)) => {
                assert_eq!(at, expected_at, "options are not contiguous");
                let len = option.buffer_len();
                assert!(at < area.len() && at + len <= area.len(), "option past the area");
                let mut buf = [0u8; 256];
                assert_eq!(option.emit(&mut buf), Some(len));
                assert_eq!(&buf[..len], &area[at..at + len], "option does not re-emit");
                match option {
                    TcpOption::Sack(d) | TcpOption::Unknown { data: d, .. } => {
                        assert_within(area, d, "option data")
                    }
                    TcpOption::Md5Signature(d) => assert_within(area, &d[..], "md5 digest"),
                    TcpOption::Authentication { mac, .. } => assert_within(area, mac, "ao mac"),
                    _ => {}
                }
                let (rest, again) = TcpOption::parse(&area[at..]).expect("re-parse");
                assert_eq!(again, option);
                assert_eq!(rest.len(), area.len() - at - len);
                expected_at = at + len;
            }
            Err(_) => failed = true,
        }
    }
}

// ------------------------------------------------------------------- auth_scan

/// The option scan under every semantics, against the literal models.
pub fn auth_scan(area: &[u8]) {
    for semantics in Semantics::ALL {
        let scan = semantics.scan(area);
        let got = classify(&scan);
        let want = model_scan(semantics, area);
        assert_eq!(got, want, "{semantics}: library {scan:?}, model {want:?}, area {area:02x?}");
        match scan {
            AuthScan::Md5 { digest, offset } => {
                assert_eq!(area.get(offset..offset + 2), Some(&[19u8, 18][..]));
                assert_eq!(&area[offset + 2..offset + 18], &digest[..]);
                assert_within(area, &digest[..], "md5 digest");
            }
            AuthScan::Ao { offset, len } => {
                assert!(matches!(semantics, Semantics::Linux { .. }), "AO seen by {semantics}");
                assert_eq!(area.get(offset..offset + 2), Some(&[29u8, len][..]));
                assert!(offset + usize::from(len) <= area.len());
            }
            AuthScan::Absent(Absence::ShortTail { offset, remaining }) => {
                assert_eq!(offset + remaining, area.len());
            }
            AuthScan::Absent(Absence::EndOfList { offset }) => {
                assert_eq!(area.get(offset), Some(&0));
            }
            AuthScan::Malformed(_) => {
                assert_ne!(semantics, Semantics::LinuxLegacy, "legacy never drops");
            }
            AuthScan::Absent(_) => {}
        }
    }
}

// ----------------------------------------------------------------- sign_verify

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
                        let blocks: Vec<u8> =
                            block.iter().copied().cycle().take(8 * (1 + usize::from(n % 4))).collect();
                        TcpOption::Sack(&blocks).emit(&mut buf)
                    }
                    CleanOption::Timestamps(a, b) => {
                        TcpOption::Timestamps { tsval: *a, tsecr: *b }.emit(&mut buf)
                    }
                    CleanOption::Other(kind, d) => {
                        let kind = if matches!(kind, 0 | 1 | 19 | 29) { 254 } else { *kind };
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
            AddrPair::V4 { src: s.into(), dst: d.into() }
        }
        AddrPair::V6 { src, dst } => {
            let (mut s, mut d) = (src.octets(), dst.octets());
            let i = usize::from(bit % 256);
            let target = if i < 128 { &mut s } else { &mut d };
            target[(i % 128) / 8] ^= 1 << (i % 8);
            AddrPair::V6 { src: s.into(), dst: d.into() }
        }
    }
}

/// Sign, verify, flip.
pub fn sign_verify(input: &SignInput) {
    let addrs = if input.v6 {
        AddrPair::V6 { src: Ipv6Addr::from(input.src6), dst: Ipv6Addr::from(input.dst6) }
    } else {
        AddrPair::V4 { src: Ipv4Addr::from(input.src4), dst: Ipv4Addr::from(input.dst4) }
    };
    let key_bytes: &[u8] = if input.key.is_empty() { &[0] } else { &input.key[..input.key.len().min(80)] };
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
    repr.emit(&addrs, &mut segment).expect("options are 4-aligned and at most 40 bytes");
    let clean = matches!(input.options, OptionsSpec::Clean(_));
    let existing = locate_md5_option(&options);

    let signed = match sign_segment_to_vec(&addrs, &segment, &key) {
        Ok(s) => s,
        Err(SignError::OptionSpace { needed, .. }) => {
            assert!(existing.is_none() && needed > 40 && options.len() + 20 == needed);
            return;
        }
        Err(e) => panic!("signing a well-formed segment failed: {e}"),
    };
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
    assert!(tcp.verify_checksum(&addrs), "signed segment has a bad checksum");
    let area = tcp.options();
    let at = locate_md5_option(area).expect("signed segment carries an MD5 option");
    if existing.is_none() {
        assert_eq!(at, 2);
        assert_eq!(&area[..4], &[1, 1, 19, 18]);
    }
    let digest = segment_digest(&addrs, &signed, &key).expect("digest");
    assert_eq!(Some(digest), rfc2385_digest(&addrs, &signed, key.as_bytes()), "digest differs from RFC 2385");
    assert_eq!(&area[at + 2..at + 18], &digest[..]);

    // Option bytes are never hashed.
    let opt_len = area.len();
    if opt_len > 0 {
        let pos = 20 + usize::from(input.option_pos) % opt_len;
        let mut other = signed.clone();
        other[pos] ^= input.option_xor | 1;
        assert_eq!(segment_digest(&addrs, &other, &key), Ok(digest), "option byte {pos} hashed");
    }

    for semantics in Semantics::ALL {
        let scan = semantics.scan(area);
        let verdict = verify_segment(&addrs, &signed, Some(&key), semantics).expect("parses");
        if clean && existing.is_none() {
            assert_eq!(classify(&scan), Outcome::Md5(2), "{semantics}: Linux layout not found");
        }
        match scan {
            AuthScan::Md5 { offset, digest: carried } => {
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
        assert_eq!(verify_segment(&moved, &signed, Some(&key), semantics), failure, "address bit");

        // Fixed header, checksum bytes excluded.
        let bit = usize::from(input.header_bit) % 144;
        let byte = if bit / 8 < 16 { bit / 8 } else { 18 + (bit / 8 - 16) };
        let mut hdr = signed.clone();
        hdr[byte] ^= 1 << (bit % 8);
        let got = verify_segment(&addrs, &hdr, Some(&key), semantics);
        if byte == 12 && bit % 8 >= 4 {
            // The data offset moves the options: anything but acceptance.
            assert_ne!(got, Ok(Verdict::Accept(Acceptance::Signed)), "data offset bit");
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
            assert_eq!(verify_segment(&addrs, &p, Some(&key), semantics), failure, "payload bit");
        }

        // Key bytes and key length.
        let bit = usize::from(input.key_bit) % (key.len() * 8);
        let mut k = key.as_bytes().to_vec();
        k[bit / 8] ^= 1 << (bit % 8);
        let other_key = Key::new(&k).expect("same length");
        assert_eq!(verify_segment(&addrs, &signed, Some(&other_key), semantics), failure, "key bit");
        let mut k = key.as_bytes().to_vec();
        if k.len() < 80 {
            k.push(input.option_xor);
        } else {
            k.pop();
        }
        let other_key = Key::new(&k).expect("1..=80");
        assert_eq!(verify_segment(&addrs, &signed, Some(&other_key), semantics), failure, "key length");

        // The carried digest itself.
        let mut d = signed.clone();
        d[20 + at + 2 + usize::from(input.option_pos) % 16] ^= input.option_xor | 1;
        assert_eq!(verify_segment(&addrs, &d, Some(&key), semantics), failure, "carried digest");

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

// ------------------------------------------------------------------- key_table

/// The namespace's devices: 5 and 7 are VRFs.
pub const DEVICES: &[(i32, bool)] = &[(1, false), (2, false), (5, true), (7, true)];

const V4_POOL: [[u8; 4]; 6] = [
    [10, 0, 0, 1],
    [10, 0, 0, 2],
    [10, 0, 1, 1],
    [10, 128, 0, 1],
    [192, 168, 0, 1],
    [0, 0, 0, 0],
];
const V6_POOL: [u16; 5] = [0xfd00, 0xfd01, 0xfe80, 0x2001, 0];

/// An address, mostly from small pools so keys collide.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum AddrSel {
    /// IPv4 from the pool.
    V4(u8),
    /// IPv6 from the pool.
    V6(u8, u8),
    /// IPv4-mapped IPv6 from the v4 pool.
    Mapped(u8),
    /// Any IPv4.
    AnyV4([u8; 4]),
    /// Any IPv6.
    AnyV6([u8; 16]),
}

impl AddrSel {
    fn addr(self) -> IpAddr {
        match self {
            AddrSel::V4(i) => IpAddr::V4(V4_POOL[usize::from(i) % V4_POOL.len()].into()),
            AddrSel::V6(i, low) => IpAddr::V6(Ipv6Addr::new(
                V6_POOL[usize::from(i) % V6_POOL.len()],
                0,
                0,
                0,
                0,
                0,
                0,
                u16::from(low % 4),
            )),
            AddrSel::Mapped(i) => {
                IpAddr::V6(Ipv4Addr::from(V4_POOL[usize::from(i) % V4_POOL.len()]).to_ipv6_mapped())
            }
            AddrSel::AnyV4(a) => IpAddr::V4(a.into()),
            AddrSel::AnyV6(a) => IpAddr::V6(a.into()),
        }
    }
}

/// One `setsockopt(TCP_MD5SIG[_EXT])`.
#[derive(Debug, Arbitrary)]
pub struct RequestSpec {
    ext: bool,
    family: u8,
    addr: AddrSel,
    flags: u8,
    prefixlen: u8,
    keylen: u8,
    ifindex: u8,
    key_fill: u8,
    optlen: u8,
}

/// One step of a key table session.
#[derive(Debug, Arbitrary)]
pub enum KeyOp {
    /// A request.
    Apply(RequestSpec),
    /// A lookup.
    Lookup(AddrSel, u8),
}

/// A socket family and a sequence of operations.
#[derive(Debug, Arbitrary)]
pub struct KeyTableInput {
    v6_socket: bool,
    ops: Vec<KeyOp>,
}

const L3_POOL: [i32; 5] = [0, 5, 7, 1, 9];

impl RequestSpec {
    fn request(&self) -> Md5SigRequest {
        let addr = self.addr.addr();
        let sa_family = match self.family % 8 {
            0..=4 => match addr {
                IpAddr::V4(_) => AF_INET,
                IpAddr::V6(_) => AF_INET6,
            },
            5 => AF_INET,
            6 => AF_INET6,
            _ => u16::from(self.family),
        };
        let prefixlen = if self.prefixlen & 0x80 == 0 { self.prefixlen % 33 } else { self.prefixlen };
        let keylen = match self.keylen % 8 {
            0 => 0,
            7 => 80 + u16::from(self.keylen / 8 % 4),
            _ => 1 + u16::from(self.keylen) % 80,
        };
        let ifindex = match self.ifindex % 8 {
            0 => 0,
            1 => 1,
            2 | 3 => 5,
            4 => 7,
            5 => 9,
            6 => -1,
            _ => i32::from(self.ifindex),
        };
        let mut key = [0u8; 80];
        for (i, b) in key.iter_mut().enumerate() {
            *b = self.key_fill.wrapping_add(i as u8);
        }
        Md5SigRequest {
            option: if self.ext { Md5SigOption::Md5SigExt } else { Md5SigOption::Md5Sig },
            sa_family,
            addr,
            flags: self.flags & 0x7,
            prefixlen,
            keylen,
            ifindex,
            key,
            optlen: match self.optlen % 16 {
                0 => 215,
                1 => 0,
                2 => 300,
                _ => 216,
            },
        }
    }
}

fn same_key(lib: &tcpmd5::key_table::KeyEntry, model: &ModelKey) -> bool {
    let family = match lib.family {
        Family::V4 => AF_INET,
        Family::V6 => AF_INET6,
    };
    family == model.family
        && lib.addr == model.addr
        && lib.prefixlen == model.prefixlen
        && lib.l3index == model.l3index
        && lib.ifindex_bound == model.ifindex_flag
        && lib.key.as_bytes() == model.key.as_slice()
}

fn compare_lookup(table: &KeyTable, model: &ModelTable, peer: IpAddr, l3index: i32) {
    let lib = table.lookup(peer, l3index);
    let want = model.lookup(peer, l3index);
    match (lib, want) {
        (None, None) => {}
        (Some(l), Some(m)) if same_key(l, m) => {}
        _ => panic!("lookup({peer}, l3 {l3index}): library {lib:?}, model {want:?}"),
    }
}

/// Add, replace, delete and look up against the model.
pub fn key_table(input: &KeyTableInput) {
    let socket = if input.v6_socket { Family::V6 } else { Family::V4 };
    let mut table = KeyTable::new();
    let mut model = ModelTable::default();
    for op in input.ops.iter().take(64) {
        match op {
            KeyOp::Apply(spec) => {
                let req = spec.request();
                let got = table.apply(socket, &req, DEVICES);
                let want = model.apply(socket, &req, DEVICES);
                let same = matches!(
                    (got, want),
                    (Ok(KeyChange::Added), ModelResult::Added)
                        | (Ok(KeyChange::Replaced), ModelResult::Replaced)
                        | (Ok(KeyChange::Deleted), ModelResult::Deleted)
                );
                let same = same
                    || match got {
                        Err(e) => {
                            (e.errno_name() == "EINVAL" && want == ModelResult::Einval)
                                || (e.errno_name() == "ENOENT" && want == ModelResult::Enoent)
                        }
                        Ok(_) => false,
                    };
                assert!(same, "{req:?} on {socket}: library {got:?}, model {want:?}");
                let lib_entries = table.entries();
                assert_eq!(lib_entries.len(), model.keys.len(), "table sizes differ");
                for (l, m) in lib_entries.iter().zip(model.keys.iter().rev()) {
                    assert!(same_key(l, m), "entries differ: {l:?} vs {m:?}");
                }
                for l3 in [0, 5, 7] {
                    compare_lookup(&table, &model, req.addr, l3);
                }
            }
            KeyOp::Lookup(addr, l3) => {
                let l3index = L3_POOL[usize::from(*l3) % L3_POOL.len()];
                compare_lookup(&table, &model, addr.addr(), l3index);
            }
        }
    }
}

// --------------------------------------------------------------------- verdict

/// Bytes of the control prefix of a `verdict` input.
pub const VERDICT_PREFIX_LEN: usize = 4;

/// `[semantics, l3 domain, key mode, key length]` then an IP packet.
/// Key mode bits: 1 exact key for the source (A), 2 a /0 key for its
/// family (B), 4 bind A to VRF 5, 8 a /0 key for the other family,
/// 16 sign the packet first (with A, or B if 32 is set).
pub fn verdict(data: &[u8]) {
    let [sem, l3, mode, klen, packet @ ..] = data else {
        return;
    };
    let semantics = Semantics::ALL[usize::from(*sem) % 4];
    let l3index = [0, 5, 7, 3][usize::from(*l3 & 3)];
    let key_len = 1 + usize::from(*klen) % 80;
    let key_a = Key::new(&b"key-A-0123456789".repeat(5)[..key_len]).expect("1..=80");
    let key_b = Key::new(&b"key-B-9876543210".repeat(5)[..key_len]).expect("1..=80");
    let devices: &[(i32, bool)] = &[(5, true), (7, false), (3, true)];

    let src = IpSegment::parse(packet).ok().map(|s| s.addrs.src());
    let family = src.map_or(Family::V4, |s| Family::of(&s));
    let socket = Family::V6;
    let mut table = KeyTable::new();
    let mut model = ModelTable::default();
    let mut add = |req: Md5SigRequest| {
        let got = table.apply(socket, &req, devices);
        let want = model.apply(socket, &req, devices);
        assert_eq!(got.is_ok(), matches!(want, ModelResult::Added | ModelResult::Replaced));
    };
    let as_v6 = |a: IpAddr| match a {
        IpAddr::V4(v4) => IpAddr::V6(v4.to_ipv6_mapped()),
        v6 => v6,
    };
    let any = |f: Family| match f {
        Family::V4 => IpAddr::V6(Ipv4Addr::UNSPECIFIED.to_ipv6_mapped()),
        Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    if mode & 2 != 0 {
        add(Md5SigRequest::add(any(family), &key_b).with_prefix(0));
    }
    if mode & 8 != 0 {
        let other = if family == Family::V4 { Family::V6 } else { Family::V4 };
        add(Md5SigRequest::add(any(other), &key_b).with_prefix(0));
    }
    if mode & 1 != 0
        && let Some(src) = src
    {
        let req = Md5SigRequest::add(as_v6(src), &key_a);
        add(if mode & 4 != 0 { req.with_ifindex(5) } else { req });
    }
    let mut packet = packet.to_vec();
    if mode & 16 != 0 {
        let key = if mode & 32 != 0 { &key_b } else { &key_a };
        if let Ok(signed) = tcpmd5::sign::sign_packet_to_vec(&packet, key) {
            packet = signed;
        }
    }

    // The MD5 stage only: random bytes rarely carry a right checksum.
    let result = packet_verdict_with(&packet, &table, l3index, semantics, Checksums::Skip);
    let Ok(located) = IpSegment::parse(&packet) else {
        assert!(result.is_err(), "verdict for an unparseable packet: {result:?}");
        return;
    };
    let verdict = result.expect("a parseable packet has a verdict");
    let entry = table.lookup(located.addrs.src(), l3index);
    let model_entry = model.lookup(located.addrs.src(), l3index);
    assert_eq!(entry.is_some(), model_entry.is_some(), "key lookup differs");
    if let (Some(l), Some(m)) = (entry, model_entry) {
        assert!(same_key(l, m), "key lookup differs: {l:?} vs {m:?}");
    }
    let tcp = located.tcp();
    let area = tcp.options();
    let scan = semantics.scan(area);
    let outcome = model_scan(semantics, area);
    assert_eq!(classify(&scan), outcome, "{semantics}: scan differs from the model");
    let expected = match outcome {
        Outcome::Malformed(_) => Verdict::Drop(DropReason::AuthHeader),
        Outcome::Ao(..) => match semantics {
            Semantics::Linux { tcp_ao: true } => Verdict::Drop(DropReason::AoUnexpected),
            _ => Verdict::Accept(Acceptance::AoNotChecked),
        },
        Outcome::Absent => match entry {
            Some(_) => Verdict::Drop(DropReason::Md5NotFound),
            None => Verdict::Accept(Acceptance::Unsigned),
        },
        Outcome::Md5(at) => match entry {
            None => Verdict::Drop(DropReason::Md5Unexpected),
            Some(e) => {
                let carried = &area[at + 2..at + 18];
                match rfc2385_digest(&located.addrs, located.segment, e.key.as_bytes()) {
                    Some(d) if d[..] == *carried => Verdict::Accept(Acceptance::Signed),
                    _ => Verdict::Drop(DropReason::Md5Failure),
                }
            }
        },
    };
    assert_eq!(verdict, expected, "{semantics}: scan {scan:?}, key {entry:?}");
    if verdict == Verdict::Accept(Acceptance::Signed) {
        let e = entry.expect("signed implies a key");
        let d = segment_digest(&located.addrs, located.segment, &e.key).expect("digest");
        assert_eq!(scan.md5_digest(), Some(&d));
    }
}
