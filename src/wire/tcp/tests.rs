//! The TCP view's fields, bit for bit against the header layout of RFC 9293
//! §3.1 (Figure 1), and the representation's bounds.

use super::*;
use core::net::Ipv4Addr;

fn addrs() -> AddrPair {
    AddrPair::V4 {
        src: Ipv4Addr::new(10, 99, 0, 2),
        dst: Ipv4Addr::new(10, 99, 0, 1),
    }
}

#[test]
fn emit_parse_round_trip() {
    let repr = TcpRepr {
        src_port: 40000,
        dst_port: 179,
        seq: 0x01020304,
        ack: 0,
        flags: TcpFlags::SYN,
        window: 65535,
        urgent: 0,
        options: &[2, 4, 5, 0xb4],
        payload: b"hello",
    };
    let mut buf = [0u8; 64];
    let n = repr.emit(&addrs(), &mut buf).unwrap();
    let packet = TcpPacket::new_checked(&buf[..n]).unwrap();
    assert!(packet.verify_checksum(&addrs()));
    assert_eq!(TcpRepr::parse(&packet), repr);
    assert_eq!(packet.payload(), b"hello");
}

#[test]
fn a_computed_zero_checksum_verifies_as_0xffff_and_a_complement_does_not() {
    let repr = TcpRepr {
        src_port: 40000,
        dst_port: 179,
        seq: 7,
        ack: 9,
        flags: TcpFlags::ACK,
        window: 502,
        urgent: 0,
        options: &[],
        payload: b"",
    };
    let mut buf = [0u8; 20];
    repr.emit(&addrs(), &mut buf).unwrap();
    // The urgent pointer that makes the computed checksum 0 (the kernel
    // then sends 0xffff, as a syncookie SYN-ACK in the differential did).
    let urgent = (0..=u16::MAX)
        .find(|u| {
            buf[18..20].copy_from_slice(&u.to_be_bytes());
            checksum::tcp_checksum(&addrs(), &buf) == 0
        })
        .unwrap();
    buf[18..20].copy_from_slice(&urgent.to_be_bytes());
    for (carried, ok) in [(0x0000, true), (0xffff, true), (0x0001, false)] {
        buf[16..18].copy_from_slice(&u16::to_be_bytes(carried));
        let packet = TcpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.verify_checksum(&addrs()), ok, "{carried:#06x}");
    }
    // Any other right checksum: its bitwise complement is wrong.
    repr.emit(&addrs(), &mut buf).unwrap();
    let right = TcpPacket::new_checked(&buf[..]).unwrap().checksum();
    buf[16..18].copy_from_slice(&(!right).to_be_bytes());
    assert!(
        !TcpPacket::new_checked(&buf[..])
            .unwrap()
            .verify_checksum(&addrs())
    );
}

#[test]
fn checked_rejects_bad_offsets() {
    let mut seg = [0u8; 20];
    seg[12] = 0x40;
    assert!(matches!(
        TcpPacket::new_checked(&seg[..]),
        Err(WireError::BadHeaderLen { actual_len: 16, .. })
    ));
    seg[12] = 0x60;
    assert!(matches!(
        TcpPacket::new_checked(&seg[..]),
        Err(WireError::BadHeaderLen { actual_len: 24, .. })
    ));
    assert!(matches!(
        TcpPacket::new_checked(&seg[..10]),
        Err(WireError::Truncated { .. })
    ));
}

#[test]
fn flags_display() {
    assert_eq!((TcpFlags::SYN | TcpFlags::ACK).to_string(), "[S.]");
}

/// A segment laid out by hand from RFC 9293 §3.1 (Figure 1): every field
/// distinct and neither 0 nor 1, one reserved bit set (0x100: the bit
/// below the data offset), an MSS option and three bytes of data.
const SEGMENT: [u8; 27] = [
    0x9c, 0x40, // source port 40000
    0x00, 0xb3, // destination port 179
    0x01, 0x02, 0x03, 0x04, // sequence number
    0x0a, 0x0b, 0x0c, 0x0d, // acknowledgement number
    0x61, 0x18, // data offset 6, reserved 0b0001, ACK PSH
    0x72, 0x10, // window
    0xbe, 0xef, // checksum
    0x01, 0x02, // urgent pointer
    2, 4, 0x05, 0xb4, // MSS 1460 (RFC 9293 §3.2)
    b'a', b'b', b'c',
];

#[test]
fn every_field_is_read_where_rfc_9293_puts_it() {
    let p = TcpPacket::new_checked(&SEGMENT[..]).unwrap();
    assert_eq!(p.src_port(), 40000);
    assert_eq!(p.dst_port(), 179);
    assert_eq!(p.seq_number(), 0x0102_0304);
    assert_eq!(p.ack_number(), 0x0a0b_0c0d);
    assert_eq!(p.header_len(), 24);
    assert_eq!(p.flags(), TcpFlags(0x118));
    assert_eq!(p.window(), 0x7210);
    assert_eq!(p.checksum(), 0xbeef);
    assert_eq!(p.urgent(), 0x0102);
    assert_eq!(p.options(), &[2, 4, 0x05, 0xb4]);
    assert_eq!(
        p.option_iter()
            .map(|o| o.map(|(_, option)| option))
            .collect::<Vec<_>>(),
        [Ok(crate::wire::TcpOption::MaxSegmentSize(1460))]
    );
    assert_eq!(p.payload(), b"abc");
    assert_eq!(p.as_bytes(), &SEGMENT[..]);
    assert_eq!(p.into_inner(), &SEGMENT[..]);
    let repr = TcpRepr::parse(&TcpPacket::new_checked(&SEGMENT[..]).unwrap());
    assert_eq!(
        repr,
        TcpRepr {
            src_port: 40000,
            dst_port: 179,
            seq: 0x0102_0304,
            ack: 0x0a0b_0c0d,
            flags: TcpFlags(0x118),
            window: 0x7210,
            urgent: 0x0102,
            options: &[2, 4, 0x05, 0xb4],
            payload: b"abc",
        }
    );
    assert_eq!((repr.header_len(), repr.segment_len()), (24, 27));
}

#[test]
fn every_setter_writes_where_rfc_9293_puts_it() {
    let mut buf = [0u8; 27];
    let mut p = TcpPacket::new_unchecked(&mut buf[..]);
    p.set_src_port(40000);
    p.set_dst_port(179);
    p.set_seq_number(0x0102_0304);
    p.set_ack_number(0x0a0b_0c0d);
    // Flags first, then the offset: each setter keeps the other's bits.
    p.set_flags(TcpFlags(0x118));
    p.set_header_len(24);
    p.set_window(0x7210);
    p.set_checksum(0xbeef);
    p.set_urgent(0x0102);
    p.options_mut().copy_from_slice(&[2, 4, 0x05, 0xb4]);
    p.payload_mut().copy_from_slice(b"abc");
    assert_eq!(p.as_bytes_mut(), &SEGMENT[..]);
    assert_eq!(buf, SEGMENT);
}

#[test]
fn header_length_setter_rounds_down_and_stops_at_fifteen_words() {
    let mut buf = SEGMENT;
    let mut p = TcpPacket::new_unchecked(&mut buf[..]);
    for (len, doff) in [(23, 5), (61, 15), (1000, 15), (24, 6)] {
        p.set_header_len(len);
        assert_eq!(p.header_len(), doff * 4, "{len}");
        assert_eq!(p.flags(), TcpFlags(0x118), "{len}");
    }
    p.set_flags(TcpFlags(0xfff));
    assert_eq!((p.header_len(), p.flags()), (24, TcpFlags(0xfff)));
    // The flags field is 12 bits: more cannot reach the data offset.
    p.set_flags(TcpFlags(0xf002));
    assert_eq!((p.header_len(), p.flags()), (24, TcpFlags::SYN));
}

#[test]
fn flags_combine_and_contain_as_bit_sets() {
    let syn_ack = TcpFlags::SYN | TcpFlags::ACK;
    assert_eq!(syn_ack, TcpFlags(0x012));
    assert_eq!(syn_ack | TcpFlags::ACK, syn_ack);
    assert_eq!(TcpFlags::SYN | TcpFlags::SYN, TcpFlags::SYN);
    assert!(syn_ack.contains(TcpFlags::SYN));
    assert!(syn_ack.contains(syn_ack));
    assert!(syn_ack.contains(TcpFlags::default()));
    assert!(!TcpFlags::SYN.contains(syn_ack));
    assert!(!syn_ack.contains(TcpFlags::FIN));
    assert_eq!(format!("{syn_ack:?}"), "[S.]");
    assert_eq!(TcpFlags(0xfff).to_string(), "[SFRP.UEW]");
    assert_eq!(TcpFlags::default().to_string(), "[]");
}

#[test]
fn accessors_of_a_short_buffer_read_zero() {
    let p = TcpPacket::new_unchecked(&SEGMENT[..3]);
    assert_eq!((p.src_port(), p.dst_port(), p.seq_number()), (40000, 0, 0));
    assert_eq!((p.header_len(), p.options()), (0, &[][..]));
}

#[test]
fn the_header_must_fit_the_buffer_exactly_or_more() {
    // Data offset 6 (24 bytes): 24 bytes are enough, 23 are not.
    assert!(TcpPacket::new_checked(&SEGMENT[..24]).is_ok());
    assert_eq!(
        TcpPacket::new_checked(&SEGMENT[..23]).err(),
        Some(WireError::BadHeaderLen {
            layer: Layer::Tcp,
            min_len: 20,
            actual_len: 24
        })
    );
    assert_eq!(
        TcpPacket::new_checked(&SEGMENT[..19]).err(),
        Some(WireError::Truncated {
            layer: Layer::Tcp,
            expected_len: 20,
            actual_len: 19
        })
    );
}

/// An ACK carrying `options` and no data.
fn with_options(options: &[u8]) -> TcpRepr<'_> {
    TcpRepr {
        src_port: 179,
        dst_port: 40000,
        seq: 1,
        ack: 2,
        flags: TcpFlags::ACK,
        window: 512,
        urgent: 0,
        options,
        payload: b"",
    }
}

#[test]
fn emit_takes_option_areas_of_whole_words_up_to_forty_bytes() {
    // RFC 9293 §3.1: the data offset counts 32-bit words, at most 15.
    let forty = [1u8; 40];
    let mut buf = [0u8; 64];
    assert_eq!(with_options(&forty).emit(&addrs(), &mut buf), Ok(60));
    let p = TcpPacket::new_checked(&buf[..60]).unwrap();
    assert_eq!((p.header_len(), p.options()), (60, &forty[..]));
    for bad in [&[1u8; 44][..], &[1u8; 3][..], &[1u8; 41][..]] {
        assert_eq!(
            with_options(bad).emit(&addrs(), &mut buf),
            Err(WireError::BadHeaderLen {
                layer: Layer::Tcp,
                min_len: 20,
                actual_len: 20 + bad.len()
            }),
            "{}",
            bad.len()
        );
    }
    assert_eq!(
        with_options(&[1; 4]).emit(&addrs(), &mut buf[..23]),
        Err(WireError::BufferTooSmall {
            expected_len: 24,
            actual_len: 23
        })
    );
}

#[test]
fn to_vec_is_emit_into_a_buffer_of_the_segment_length() {
    let repr = TcpRepr {
        payload: b"abc",
        ..with_options(&[2, 4, 0x05, 0xb4])
    };
    let mut buf = [0xaau8; 30];
    assert_eq!(repr.emit(&addrs(), &mut buf), Ok(27));
    assert_eq!(repr.to_vec(&addrs()), Ok(buf[..27].to_vec()));
    assert_eq!(buf[27..], [0xaa; 3]);
    let emitted = TcpPacket::new_checked(&buf[..27]).unwrap();
    assert!(emitted.verify_checksum(&addrs()));
    assert_eq!(TcpRepr::parse(&emitted), repr);
}
