//! `receiver`: one packet as each kind of receiver sees it. The same key
//! prefix as `verdict` (see [`super::keyed`]), one byte of TIME-WAIT and
//! listener control, then an IP packet:
//!
//! - a full socket and a request socket (`receiver_verdict`) against the
//!   verdict recomputed from the models (checksum stage included), with the request socket's drop of an
//!   AO option it did not negotiate;
//! - a timewait socket in either substate (`timewait_action`) against the
//!   transcription of `tcp_timewait_state_process` in
//!   [`crate::timewait_model`], with `rcv_nxt` near the packet's sequence
//!   number so the window tests are reached;
//! - a listener (`listener_reset`) against the model verdict and key;
//! - `SeqNumber` arithmetic on the packet's sequence number and `rcv_nxt`
//!   against `u32` arithmetic and the kernel's `before()`;
//! - a closed port (`closed_port_reset`, `reset_listener_port`) against the
//!   reset recomputed from the model scan, the model key and the RFC 2385
//!   digest.

use tcpmd5::verdict::{
    Receiver, ReceiverVerdict, ResetReply, TimeWaitAction, TimeWaitState, TimeWaitSubstate,
    closed_port_reset, listener_reset, receiver_verdict, reset_listener_port, timewait_action,
};
use tcpmd5::wire::{IpSegment, SeqNumber};
use tcpmd5::{Acceptance, DropReason, Family, Semantics, Verdict};

use tcpmd5_testkit::fuzz_input::RECEIVER_CONTROL_LEN;

use super::keyed::{PREFIX_LEN, keyed, model_verdict};
use crate::checksum_model::{BREAK, Bad, bad_checksum};
use crate::digest_model::rfc2385_digest;
use crate::scan_model::{Outcome, model_scan};
use crate::timewait_model::{Seg, TwResult, tcp_timewait_state_process};

/// Bytes before the packet: the key prefix, then `[control, delta hi,
/// delta lo, window]`. Control bits: 1 FIN-WAIT-2 (else TIME-WAIT),
/// 2 `tcp_rfc1337`, 4 a listener for the closed-port reset. `rcv_nxt` is the
/// packet's sequence number plus the signed 16-bit delta.
pub const CONTROL_LEN: usize = PREFIX_LEN + RECEIVER_CONTROL_LEN;

const WINDOWS: [u32; 5] = [0, 1, 1000, 65535, 1 << 30];

/// The entry point.
pub fn run(data: &[u8]) {
    let Some((prefix, rest)) = data.split_first_chunk::<PREFIX_LEN>() else {
        return;
    };
    let Some(([control, delta_hi, delta_lo, window], packet)) =
        rest.split_first_chunk::<RECEIVER_CONTROL_LEN>()
    else {
        return;
    };
    let socket = keyed(*prefix, packet);
    let (semantics, l3index) = (socket.semantics, socket.l3index);
    let packet = &socket.packet[..];
    let located = IpSegment::parse(packet);

    // Full socket, request socket, timewait socket.
    let full = receiver_verdict(packet, &socket.table, l3index, semantics, Receiver::Socket);
    let request = receiver_verdict(
        packet,
        &socket.table,
        l3index,
        semantics,
        Receiver::RequestSock,
    );
    let tw = receiver_verdict(
        packet,
        &socket.table,
        l3index,
        semantics,
        Receiver::TimeWait,
    );
    let Ok(located) = located else {
        assert!(
            full.is_err() && request.is_err() && tw.is_err(),
            "a receiver judged an unparseable packet: {full:?} {request:?} {tw:?}"
        );
        assert!(reset_listener_port(packet).is_err());
        return;
    };
    // The checksum stage (independent model): a wrong IPv4 header checksum,
    // or a wrong TCP checksum in a segment of at most 76 bytes, drops before
    // any MD5 logic; a longer one only once the MD5 check passes it.
    let bad = bad_checksum(packet, &located.addrs, located.segment);
    let expected = match bad {
        Some(Bad::Ipv4Header) => Verdict::Drop(DropReason::IpChecksum),
        Some(Bad::Tcp) if located.segment.len() <= BREAK => Verdict::Drop(DropReason::TcpChecksum),
        Some(Bad::Tcp) => match model_verdict(semantics, &located, &socket.model, l3index) {
            Verdict::Accept(_) => Verdict::Drop(DropReason::TcpChecksum),
            drop => drop,
        },
        None => model_verdict(semantics, &located, &socket.model, l3index),
    };
    // A Linux timewait socket and a closed port check the whole checksum
    // first and no signature; a strict RFC 2385 receiver checks a timewait
    // socket like any socket.
    let expected_tw = match bad {
        _ if semantics == Semantics::Rfc2385 => ReceiverVerdict::Checked(expected),
        Some(Bad::Ipv4Header) => ReceiverVerdict::Checked(Verdict::Drop(DropReason::IpChecksum)),
        Some(Bad::Tcp) => ReceiverVerdict::Checked(Verdict::Drop(DropReason::TcpChecksum)),
        None => ReceiverVerdict::NotChecked,
    };
    assert_eq!(
        full,
        Ok(ReceiverVerdict::Checked(expected)),
        "{semantics}: socket"
    );
    let expected_request = match expected {
        Verdict::Accept(Acceptance::AoNotChecked) => ReceiverVerdict::AoRequestMismatch,
        other => ReceiverVerdict::Checked(other),
    };
    assert_eq!(request, Ok(expected_request), "{semantics}: request socket");
    assert_eq!(
        tw,
        Ok(expected_tw),
        "{semantics}: timewait checks the checksums, and a signature only under rfc2385"
    );
    let request_accepts = matches!(expected_request, ReceiverVerdict::Checked(v) if v.is_accept());
    assert_eq!(request.map(ReceiverVerdict::is_accept), Ok(request_accepts));
    let tw_accepts = if semantics == Semantics::Rfc2385 {
        expected.is_accept()
    } else {
        bad.is_none()
    };
    assert_eq!(tw.map(ReceiverVerdict::is_accept), Ok(tw_accepts));

    // The timewait socket's action.
    let seg = located.segment;
    let flags = seg[13];
    let th = Seg {
        fin: flags & 0x01 != 0,
        syn: flags & 0x02 != 0,
        rst: flags & 0x04 != 0,
        ack: flags & 0x10 != 0,
        seq: u32::from_be_bytes([seg[4], seg[5], seg[6], seg[7]]),
        data_len: u32::try_from(seg.len() - usize::from(seg[12] >> 4) * 4).expect("< 64 KiB"),
    };
    let delta = i16::from_be_bytes([*delta_hi, *delta_lo]);
    let rcv_nxt = th.seq.wrapping_add_signed(i32::from(delta));
    let rcv_wnd = WINDOWS[usize::from(*window) % WINDOWS.len()];
    let (fin_wait2, rfc1337) = (control & 1 != 0, control & 2 != 0);
    let state = TimeWaitState {
        substate: if fin_wait2 {
            TimeWaitSubstate::FinWait2
        } else {
            TimeWaitSubstate::TimeWait
        },
        rcv_nxt: tcpmd5::wire::SeqNumber(rcv_nxt),
        rcv_wnd,
    };
    seq_arithmetic(th.seq, rcv_nxt, delta, th.data_len);
    let action = timewait_action(packet, state, rfc1337).expect("parseable");
    let want = tcp_timewait_state_process(th, fin_wait2, rcv_nxt, rcv_wnd, rfc1337);
    let same = matches!(
        (action, want),
        (TimeWaitAction::ResetAndKill, TwResult::Rst)
            | (TimeWaitAction::Kill, TwResult::SuccessKilled)
            | (TimeWaitAction::Reopen, TwResult::Syn)
            | (TimeWaitAction::Ignore, TwResult::Success)
    ) || matches!(
        (action, want),
        (TimeWaitAction::Ack { enters_time_wait: a }, TwResult::Ack { fin_to_time_wait: b }) if a == b
    );
    assert!(
        same,
        "{th:?} in {state:?}, rfc1337 {rfc1337}: library {action:?}, model {want:?}"
    );
    assert_eq!(
        action.survives(),
        matches!(want, TwResult::Ack { .. } | TwResult::Success)
    );

    // A closed port.
    let listener = (control & 4 != 0).then_some(&socket.table);
    let reset = closed_port_reset(packet, listener, l3index, semantics).expect("parseable");
    let tcp = located.tcp();
    let area = tcp.options();
    let want = if th.rst || bad.is_some() {
        ResetReply::None
    } else {
        match model_scan(semantics, area) {
            Outcome::Absent => ResetReply::Unsigned,
            Outcome::Malformed(_) => ResetReply::None,
            Outcome::Ao(..) => match (semantics, located.addrs.family()) {
                (Semantics::Linux { tcp_ao: false }, Family::V6) => ResetReply::Unsigned,
                _ => ResetReply::None,
            },
            Outcome::Md5(at) => {
                let tcp = located.tcp();
                let area = tcp.options();
                let key = listener
                    .and(socket.model.lookup(located.addrs.src(), l3index))
                    .filter(|k| {
                        rfc2385_digest(&located.addrs, seg, &k.key)
                            .is_some_and(|d| d[..] == area[at + 2..at + 18])
                    });
                match key {
                    Some(k) => ResetReply::Signed(tcpmd5::Key::new(&k.key).expect("1..=80")),
                    None => ResetReply::None,
                }
            }
        }
    };
    assert_eq!(reset, want, "{semantics}: closed-port reset");

    // A listener (no connection for the segment): a reset for an ACK that
    // passes the authentication check, signed with the listener's key for
    // the source; nothing for an RST or a SYN.
    let listener_want = if !expected.is_accept() || th.rst || !th.ack {
        ResetReply::None
    } else {
        match socket.model.lookup(located.addrs.src(), l3index) {
            Some(k) => ResetReply::Signed(tcpmd5::Key::new(&k.key).expect("1..=80")),
            None => ResetReply::Unsigned,
        }
    };
    assert_eq!(
        listener_reset(packet, &socket.table, l3index, semantics),
        Ok(listener_want),
        "{semantics}: listener reset"
    );
    assert_eq!(
        reset_listener_port(packet),
        Ok(u16::from_be_bytes([seg[0], seg[1]]))
    );
}

/// `SeqNumber` against `u32` arithmetic and the kernel's `before()`
/// (`(s32)(a - b) < 0`), on the packet's sequence number and `rcv_nxt`
/// (`seq + delta`).
fn seq_arithmetic(seq: u32, rcv_nxt: u32, delta: i16, data_len: u32) {
    let (s, n) = (SeqNumber::from(seq), SeqNumber(rcv_nxt));
    assert_eq!(n.since(s), i32::from(delta));
    assert_eq!(s.since(n), -i32::from(delta));
    let before = |a: u32, b: u32| (a.wrapping_sub(b) as i32) < 0;
    assert_eq!(s < n, before(seq, rcv_nxt));
    assert_eq!(s > n, before(rcv_nxt, seq));
    let mut end = s;
    end += data_len;
    assert_eq!(end, s.add_len(data_len as usize));
    assert_eq!(u32::from(end), seq.wrapping_add(data_len));
    assert_eq!(end - data_len, s);
    assert_eq!(n.to_string(), format!("{rcv_nxt:#x}"));
    assert_eq!(format!("{n:x}"), format!("{rcv_nxt:x}"));
}
