//! `parse_packet`: any bytes through the IPv4, IPv6 and TCP views and the
//! option iterator. The views must never panic, every span they hand out must
//! lie inside the buffer, and what they parse must re-emit byte for byte.

use core::net::Ipv4Addr;

use tcpmd5::AddrPair;
use tcpmd5::wire::{
    IpSegment, Ipv4Packet, Ipv4Repr, Ipv6Packet, TcpOption, TcpOptions, TcpPacket, TcpRepr,
};

use super::spans::assert_within;

/// The entry point: `data` is tried as an IPv4 packet, an IPv6 packet, an IP
/// packet carrying TCP, a bare TCP segment and a bare option area.
pub fn run(data: &[u8]) {
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
    let n = repr
        .emit(addrs, &mut out)
        .expect("a parsed TCP header emits");
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
            Err(_) => failed = true,
        }
    }
}
