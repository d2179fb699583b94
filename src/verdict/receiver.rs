//! Which sockets run the authentication check, and what the request socket
//! adds to it.

use super::{Acceptance, DropReason, Verdict, packet_verdict};
use crate::checksum::Checksums;
use crate::key_table::KeyTable;
use crate::scan::{AuthScan, Semantics};
use crate::wire::{IpSegment, TcpPacket, WireError};

/// The kind of socket a segment reaches, as far as the MD5 check cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Receiver {
    /// A listener or a full socket: checked (`tcp_inbound_hash`).
    Socket,
    /// A request socket (SYN-RECV): checked like a socket, except that
    /// `tcp_inbound_hash` first drops any segment whose use of TCP-AO differs
    /// from the request's. Without `CONFIG_TCP_AO` no request uses AO, so a
    /// segment with an AO option is dropped there (`TCP_AOFAILURE`, counter
    /// `TCPAOBad`), although the same segment passes everywhere else.
    RequestSock,
    /// A timewait-type socket (`inet_timewait_sock`), in either substate
    /// (see [`TimeWaitSubstate`](super::TimeWaitSubstate)): TIME-WAIT proper, or the FIN-WAIT-2 of an
    /// orphaned socket (`close()`d, its FIN acknowledged), which
    /// `tcp_rcv_state_process` replaces by a timewait socket whenever
    /// `tcp_fin_time` is at most 60 s (the default). `tcp_v{4,6}_rcv` jumps
    /// to `do_time_wait` before the check, so the segment is never verified
    /// (seen live on 6.18 in both substates: unsigned and wrongly signed
    /// FINs are ACKed, an unsigned RST kills it). What TCP then does is
    /// [`timewait_action`](super::timewait_action). Under
    /// [`Semantics::Rfc2385`] a timewait socket is still part of a protected
    /// connection, and checks like any socket.
    TimeWait,
}

/// The decision of a particular receiver (see [`Receiver`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiverVerdict {
    /// The authentication check ran: its verdict.
    Checked(Verdict),
    /// No check at all (Linux's TIME-WAIT path): the segment goes on to TCP.
    NotChecked,
    /// Dropped by `tcp_inbound_hash`'s request check for a TCP-AO option the
    /// request did not negotiate (`TCP_AOFAILURE`, `TCPAOBad` +1, no reply).
    AoRequestMismatch,
}

impl ReceiverVerdict {
    /// The counter the decision increments, if any, spelled as
    /// [`DropReason::counter`](super::DropReason::counter): the drop
    /// reason's, also for a request socket's AO mismatch (`TCPAOBad`, which
    /// is counted even without `CONFIG_TCP_AO`).
    pub fn counter(self) -> Option<&'static str> {
        match self {
            ReceiverVerdict::Checked(Verdict::Drop(reason)) => reason.counter(),
            ReceiverVerdict::Checked(Verdict::Accept(_)) | ReceiverVerdict::NotChecked => None,
            ReceiverVerdict::AoRequestMismatch => DropReason::AoFailure.counter(),
        }
    }

    /// The kernel's drop reason, if the segment is dropped.
    pub fn drop_reason(self) -> Option<DropReason> {
        match self {
            ReceiverVerdict::Checked(Verdict::Drop(reason)) => Some(reason),
            ReceiverVerdict::Checked(Verdict::Accept(_)) | ReceiverVerdict::NotChecked => None,
            ReceiverVerdict::AoRequestMismatch => Some(DropReason::AoFailure),
        }
    }

    /// The `tcp:` tracepoint the drop fires, if any: the drop reason's, and
    /// for a request socket's AO mismatch `tcp_ao_handshake_failure` (not
    /// the MAC mismatch's `tcp_ao_mismatch`; seen live on 6.18 without
    /// `CONFIG_TCP_AO`, case ao-bypass/handshake-and-data).
    pub fn tracepoint(self) -> Option<&'static str> {
        match self {
            ReceiverVerdict::AoRequestMismatch => Some("tcp_ao_handshake_failure"),
            other => other.drop_reason().and_then(DropReason::tracepoint),
        }
    }

    /// The stable id: [`VerdictId`](super::VerdictId)'s spelling for a
    /// checked verdict, `accept` for a receiver that checks nothing, and
    /// the kernel's drop reason, `drop:TCP_AOFAILURE`, for a request socket's
    /// AO mismatch (whose tracepoint is `tcp_ao_handshake_failure`).
    pub fn id(self) -> String {
        match self {
            ReceiverVerdict::Checked(v) => v.id().to_string(),
            ReceiverVerdict::NotChecked => super::VerdictId::Accept.to_string(),
            ReceiverVerdict::AoRequestMismatch => {
                Verdict::Drop(DropReason::AoFailure).id().to_string()
            }
        }
    }

    /// Whether TCP goes on to process the segment.
    pub fn is_accept(self) -> bool {
        match self {
            ReceiverVerdict::Checked(v) => v.is_accept(),
            ReceiverVerdict::NotChecked => true,
            ReceiverVerdict::AoRequestMismatch => false,
        }
    }
}

/// The kernel's decision for a packet reaching `receiver`.
pub fn receiver_verdict(
    packet: &[u8],
    table: &KeyTable,
    l3index: i32,
    semantics: Semantics,
    receiver: Receiver,
) -> Result<ReceiverVerdict, WireError> {
    match receiver {
        // RFC 2385 section 2.0 makes no exception for TIME-WAIT: every
        // segment of the connection carries the digest and is checked.
        //= 2.0/every-segment
        Receiver::TimeWait if semantics == Semantics::Rfc2385 => {
            packet_verdict(packet, table, l3index, semantics).map(ReceiverVerdict::Checked)
        }
        //= linux/timewait-unchecked
        Receiver::TimeWait => {
            let located = IpSegment::parse(packet)?;
            Ok(match Checksums::Verify.drop_reason(packet, &located) {
                Some(reason) => ReceiverVerdict::Checked(Verdict::Drop(reason)),
                None => ReceiverVerdict::NotChecked,
            })
        }
        Receiver::Socket => {
            packet_verdict(packet, table, l3index, semantics).map(ReceiverVerdict::Checked)
        }
        //= linux/request-sock-ao
        Receiver::RequestSock => {
            let v = packet_verdict(packet, table, l3index, semantics)?;
            Ok(match v {
                Verdict::Accept(Acceptance::AoNotChecked) => ReceiverVerdict::AoRequestMismatch,
                // The request check precedes the MD5 check in
                // `tcp_inbound_hash`, which the fix leaves alone.
                Verdict::Accept(_) | Verdict::Drop(DropReason::Md5NotFound)
                    if semantics == Semantics::LinuxAoBypassFixed
                        && carries_ao(packet, semantics)? =>
                {
                    ReceiverVerdict::AoRequestMismatch
                }
                other => ReceiverVerdict::Checked(other),
            })
        }
    }
}

/// Whether `semantics`' scan of the packet's option area finds a TCP-AO
/// option (the `aoh` of `tcp_inbound_hash`).
fn carries_ao(packet: &[u8], semantics: Semantics) -> Result<bool, WireError> {
    let located = IpSegment::parse(packet)?;
    let tcp = TcpPacket::new_checked(located.segment)?;
    Ok(matches!(semantics.scan(tcp.options()), AuthScan::Ao { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::test_packet::{ack_with, ao_area, pairs};
    use crate::{Key, Md5SigRequest};

    // Regression (live, 6.18, CONFIG_TCP_AO=n): an AO option in a 20-byte
    // area passes an MD5 socket, is dropped by a request socket (TCPAOBad),
    // and Linux's TIME-WAIT checks nothing.
    //= type=test
    //= linux/ao-unchecked
    //= linux/request-sock-ao
    //= linux/timewait-unchecked
    #[test]
    fn ao_option_per_receiver() {
        let [addrs, _] = pairs();
        let p = ack_with(&addrs, &ao_area());
        let mut t = KeyTable::new();
        let peer = addrs.src();
        let key = Key::from_array(b"k");
        t.apply(
            crate::Family::V4,
            &Md5SigRequest::add(peer, &key),
            &[] as &[(i32, bool)],
        )
        .expect("the key is added");
        let s = Semantics::Linux { tcp_ao: false };
        assert_eq!(
            receiver_verdict(&p, &t, 0, s, Receiver::Socket),
            Ok(ReceiverVerdict::Checked(Verdict::Accept(
                Acceptance::AoNotChecked
            )))
        );
        assert_eq!(
            receiver_verdict(&p, &t, 0, s, Receiver::RequestSock),
            Ok(ReceiverVerdict::AoRequestMismatch)
        );
        assert_eq!(
            ReceiverVerdict::AoRequestMismatch.counter(),
            Some("TCPAOBad")
        );
        assert_eq!(
            receiver_verdict(&ack_with(&addrs, &[]), &t, 0, s, Receiver::TimeWait),
            Ok(ReceiverVerdict::NotChecked)
        );
    }

    // The proposed fix: a keyed socket drops the AO-only segment as
    // unsigned; the request socket's TCPAOBad drop comes first, as before.
    //= type=test
    //= linux/ao-bypass-fixed
    //= linux/request-sock-ao
    #[test]
    fn ao_option_per_receiver_with_the_fix() {
        let [addrs, _] = pairs();
        let p = ack_with(&addrs, &ao_area());
        let mut t = KeyTable::new();
        let s = Semantics::LinuxAoBypassFixed;
        assert_eq!(
            receiver_verdict(&p, &t, 0, s, Receiver::Socket),
            Ok(ReceiverVerdict::Checked(Verdict::Accept(
                Acceptance::Unsigned
            )))
        );
        assert_eq!(
            receiver_verdict(&p, &t, 0, s, Receiver::RequestSock),
            Ok(ReceiverVerdict::AoRequestMismatch)
        );
        t.apply(
            crate::Family::V4,
            &Md5SigRequest::add(addrs.src(), &Key::from_array(b"k")),
            &[] as &[(i32, bool)],
        )
        .expect("the key is added");
        assert_eq!(
            receiver_verdict(&p, &t, 0, s, Receiver::Socket),
            Ok(ReceiverVerdict::Checked(Verdict::Drop(
                DropReason::Md5NotFound
            )))
        );
        assert_eq!(
            receiver_verdict(&p, &t, 0, s, Receiver::RequestSock),
            Ok(ReceiverVerdict::AoRequestMismatch)
        );
    }

    #[test]
    fn each_receiver_verdict_says_whether_tcp_goes_on() {
        let rows = [
            (
                ReceiverVerdict::Checked(Verdict::Accept(Acceptance::Signed)),
                true,
                "accept",
                None,
                None,
            ),
            (
                ReceiverVerdict::Checked(Verdict::Drop(DropReason::Md5Failure)),
                false,
                "drop:TCP_MD5FAILURE",
                Some("TCPMD5Failure"),
                Some("tcp_hash_md5_mismatch"),
            ),
            (ReceiverVerdict::NotChecked, true, "accept", None, None),
            (
                ReceiverVerdict::AoRequestMismatch,
                false,
                "drop:TCP_AOFAILURE",
                Some("TCPAOBad"),
                Some("tcp_ao_handshake_failure"),
            ),
        ];
        for (v, accept, id, counter, tracepoint) in rows {
            assert_eq!(v.is_accept(), accept, "{v:?}");
            assert_eq!(v.id(), id, "{v:?}");
            assert_eq!(v.counter(), counter, "{v:?}");
            assert_eq!(v.tracepoint(), tracepoint, "{v:?}");
            assert_eq!(
                v.drop_reason().map(|r| Verdict::Drop(r).id().to_string()),
                (!accept).then(|| id.to_owned()),
                "{v:?}"
            );
        }
    }

    // Without an AO option a request socket decides like any socket, under
    // the fix too: only a segment carrying TCP-AO meets the request socket's
    // AO mismatch.
    //= type=test
    //= linux/request-sock-ao
    #[test]
    fn request_socket_without_ao_is_checked_like_a_socket() {
        let [addrs, _] = pairs();
        let unsigned = ack_with(&addrs, &[]);
        let keyed = crate::verdict::test_packet::keyed_table(&addrs, &Key::from_array(b"k"));
        let keyless = KeyTable::new();
        for s in Semantics::known() {
            for (table, want) in [
                (&keyed, Verdict::Drop(DropReason::Md5NotFound)),
                (&keyless, Verdict::Accept(Acceptance::Unsigned)),
            ] {
                for r in [Receiver::Socket, Receiver::RequestSock] {
                    assert_eq!(
                        receiver_verdict(&unsigned, table, 0, s, r),
                        Ok(ReceiverVerdict::Checked(want)),
                        "{s} {r:?}"
                    );
                }
            }
        }
    }

    // A strict reading of RFC 2385 checks a timewait socket like any
    // other (unsigned, wrongly signed and correctly signed FINs); every
    // Linux generation checks none of them.
    //= type=test
    //= 2.0/every-segment
    //= type=test
    //= linux/timewait-unchecked
    #[test]
    fn timewait_checks_only_under_rfc2385() {
        let [addrs, _] = pairs();
        let key = Key::from_array(b"k");
        let table = crate::verdict::test_packet::keyed_table(&addrs, &key);
        let unsigned = ack_with(&addrs, &[]);
        let signed = crate::verdict::test_packet::signed_ack(&addrs, &key);
        let wrong = crate::verdict::test_packet::signed_ack(&addrs, &Key::from_array(b"other"));
        for s in Semantics::known() {
            let tw = |p: &[u8]| receiver_verdict(p, &table, 0, s, Receiver::TimeWait);
            if s == Semantics::Rfc2385 {
                let drop = |r| Ok(ReceiverVerdict::Checked(Verdict::Drop(r)));
                assert_eq!(tw(&unsigned), drop(DropReason::Md5NotFound));
                assert_eq!(tw(&wrong), drop(DropReason::Md5Failure));
                assert_eq!(
                    tw(&signed),
                    Ok(ReceiverVerdict::Checked(Verdict::Accept(
                        Acceptance::Signed
                    )))
                );
            } else {
                for p in [&unsigned, &wrong, &signed] {
                    assert_eq!(tw(p), Ok(ReceiverVerdict::NotChecked), "{s}");
                }
            }
        }
    }

    // Linux's TIME-WAIT checks no signature, but a bad checksum drops the
    // segment before TCP sees it.
    //= type=test
    //= linux/timewait-unchecked
    #[test]
    fn timewait_drops_a_bad_checksum() {
        let [addrs, _] = pairs();
        let mut p = ack_with(&addrs, &[]);
        let at = IpSegment::parse(&p).expect("the packet parses").tcp_offset + 16;
        p[at] ^= 0xff;
        assert_eq!(
            receiver_verdict(
                &p,
                &KeyTable::new(),
                0,
                Semantics::Linux { tcp_ao: false },
                Receiver::TimeWait
            ),
            Ok(ReceiverVerdict::Checked(Verdict::Drop(
                DropReason::TcpChecksum
            )))
        );
    }
}
