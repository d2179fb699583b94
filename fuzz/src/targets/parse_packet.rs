//! `parse_packet`: any bytes through the IPv4, IPv6 and TCP views and the
//! option iterator. The views must never panic, every span they hand out must
//! lie inside the buffer, and what they parse must re-emit byte for byte.

use core::net::Ipv4Addr;

use tcpmd5::wire::{
    IpSegment, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr, TcpFlags, TcpOption, TcpOptions,
    TcpPacket, TcpRepr, ip_packet,
};
use tcpmd5::{AddrPair, Family};

use super::context::assert_context;
use super::spans::assert_within;

/// The entry point: `data` is tried as an IPv4 packet, an IPv6 packet, an IP
/// packet carrying TCP, a bare TCP segment and a bare option area.
pub fn run(data: &[u8]) {
    if let Err(e) = Ipv4Packet::new_checked(data) {
        assert_context(&e);
    }
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
        assert_eq!(again.checksum(), u16::from_be_bytes([buf[10], buf[11]]));
        assert_eq!(ip.checksum(), u16::from_be_bytes([data[10], data[11]]));
        assert_eq!(again.ident(), ip.ident());
        assert_eq!(again.flags_frag(), ip.flags_frag());
        assert_eq!(again.is_fragment(), ip.is_fragment());
        // The setters write what the getters read, and the filled checksum
        // verifies.
        let mut copy = data[..total].to_vec();
        let mut view = Ipv4Packet::new_unchecked(&mut copy[..]);
        view.set_total_len(ip.total_len());
        view.fill_checksum();
        assert!(view.verify_checksum());
        assert_eq!(view.payload_mut().len(), total - hl);
        let copy = view.into_inner();
        assert_eq!(copy[..10], data[..10], "IPv4 setters");
        assert_eq!(copy[12..total], data[12..total], "IPv4 setters");
    }
    if let Err(e) = Ipv6Packet::new_checked(data) {
        assert_context(&e);
    }
    if let Ok(ip) = Ipv6Packet::new_checked(data) {
        // The fixed header re-emits byte for byte.
        let mut fixed = [0u8; 40];
        assert_eq!(Ipv6Repr::parse(&ip).emit(&mut fixed), Ok(40));
        assert_eq!(fixed[..], data[..40], "IPv6 header does not re-emit");
        let mut copy = data.to_vec();
        let mut view = Ipv6Packet::new_unchecked(&mut copy[..]);
        view.set_payload_len(ip.payload_len());
        assert_eq!(view.into_inner(), data, "set_payload_len");
        if let Err(e) = ip.upper_layer() {
            assert_context(&e);
        }
        let payload = ip.payload();
        assert_within(data, payload, "ipv6 payload");
        assert_eq!(payload.len(), usize::from(ip.payload_len()));
        if let Ok(upper) = ip.upper_layer() {
            assert!(upper.offset <= payload.len(), "upper layer past payload");
        }
    }
    match IpSegment::parse(data) {
        Err(e) => assert_context(&e),
        Ok(located) => check_located(data, &located),
    }
    let addrs = AddrPair::V4 {
        src: Ipv4Addr::new(10, 0, 0, 1),
        dst: Ipv4Addr::new(10, 0, 0, 2),
    };
    check_tcp(&addrs, data);
    check_options(data);
}

/// A packet `IpSegment::parse` accepted.
fn check_located(data: &[u8], located: &IpSegment<'_>) {
    {
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
    // The addresses: a pair of one family, reversible, printable.
    let addrs = located.addrs;
    let (src, dst) = (addrs.src(), addrs.dst());
    assert_eq!(AddrPair::new(src, dst), Ok(addrs));
    assert_eq!(addrs.reversed().src(), dst);
    assert_eq!(addrs.reversed().reversed(), addrs);
    assert_eq!(addrs.family(), Family::of(&src));
    assert_eq!(addrs.family(), Family::of(&dst));
    let other = match addrs.family() {
        Family::V4 => core::net::IpAddr::V6(core::net::Ipv6Addr::LOCALHOST),
        Family::V6 => core::net::IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let mixed = AddrPair::new(src, other).expect_err("mixed families");
    assert!(!mixed.to_string().is_empty());
    let shown = addrs.to_string();
    assert!(
        shown.contains(&src.to_string()) && shown.contains(&dst.to_string()),
        "{shown}"
    );
    assert!(!addrs.family().name().is_empty());
    assert_eq!(addrs.family().to_string(), addrs.family().name());
    // Rewrapped in a minimal IP header, the same segment between the same
    // addresses comes back.
    let rewrapped = ip_packet(&addrs, located.segment).expect("a parsed segment rewraps");
    let again = IpSegment::parse(&rewrapped).expect("a rewrapped segment parses");
    assert_eq!(again.addrs, addrs);
    assert_eq!(again.segment, located.segment);
}

fn check_tcp(addrs: &AddrPair, seg: &[u8]) {
    let tcp = match TcpPacket::new_checked(seg) {
        Ok(tcp) => tcp,
        Err(e) => return assert_context(&e),
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
    let n = repr
        .emit(addrs, &mut out)
        .expect("a parsed TCP header emits");
    assert_eq!(n, seg.len());
    assert_eq!(&out[..16], &seg[..16]);
    assert_eq!(&out[18..], &seg[18..]);
    assert!(TcpPacket::new_unchecked(&out[..]).verify_checksum(addrs));
    check_options(tcp.options());
    assert_eq!(
        tcp.option_iter().count(),
        TcpOptions::new(tcp.options()).count()
    );
    // Every setter writes what its getter reads, and nothing else.
    let mut copy = seg.to_vec();
    let mut view = TcpPacket::new_unchecked(&mut copy[..]);
    view.set_src_port(tcp.src_port());
    view.set_dst_port(tcp.dst_port());
    view.set_seq_number(tcp.seq_number());
    view.set_ack_number(tcp.ack_number());
    view.set_flags(tcp.flags());
    view.set_header_len(hl);
    view.set_window(tcp.window());
    view.set_urgent(tcp.urgent());
    view.set_checksum(tcp.checksum());
    assert_eq!(view.options_mut().len(), hl - 20);
    assert_eq!(view.payload_mut().len(), seg.len() - hl);
    assert_eq!(view.as_bytes_mut(), seg, "a setter changed other bytes");
    assert_eq!(TcpPacket::new_unchecked(seg).into_inner(), seg);
    let both = TcpFlags::SYN | TcpFlags::ACK;
    assert!(both.contains(TcpFlags::SYN) && both.contains(TcpFlags::ACK));
    view.set_seq_number(!tcp.seq_number());
    view.set_flags(TcpFlags(!tcp.flags().0 & 0x0fff));
    assert_eq!(view.seq_number(), !tcp.seq_number());
    assert_eq!(view.flags().0, !tcp.flags().0 & 0x0fff);
    assert_eq!(view.header_len(), hl, "set_flags moved the data offset");
    view.fill_checksum(addrs);
    assert!(view.verify_checksum(addrs));
    let shown = tcp.flags().to_string();
    assert!(shown.starts_with('[') && shown.ends_with(']'), "{shown}");
    assert_eq!(format!("{:?}", tcp.flags()), shown);
}

fn check_options(area: &[u8]) {
    if let Err(e) = TcpOption::parse(&area[..0]) {
        assert_context(&e);
    } else {
        panic!("an empty buffer parsed as an option");
    }
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
                assert!(
                    at < area.len() && at + len <= area.len(),
                    "option past the area"
                );
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
            Err(e) => {
                assert_context(&e);
                failed = true;
            }
        }
    }
}
