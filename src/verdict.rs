//! The receiver's decision on one segment, named the way Linux names it.

use core::fmt;

use subtle::ConstantTimeEq;

use crate::checksum::Checksums;
use crate::digest::{DigestError, segment_digest};
use crate::key_table::KeyTable;
use crate::scan::{AuthScan, Semantics};
use crate::wire::{IpSegment, TcpPacket, WireError};
use crate::{AddrPair, Key};

/// Why an accepted segment was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Acceptance {
    /// No key for the peer and no MD5 option.
    Unsigned,
    /// A key for the peer and a digest that verifies.
    Signed,
    /// A TCP-AO option on a kernel without `CONFIG_TCP_AO`: the AO check is
    /// compiled out and the MD5 check is never reached.
    AoNotChecked,
}

/// Why a segment is dropped (Linux `enum skb_drop_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Malformed or duplicate authentication options (Linux >= 6.7).
    AuthHeader,
    /// A key exists for the peer but the segment carries no MD5 option.
    Md5NotFound,
    /// The segment carries an MD5 option but there is no key for the peer.
    Md5Unexpected,
    /// The digest does not verify.
    Md5Failure,
    /// A TCP-AO option reached a socket without AO keys (`CONFIG_TCP_AO=y`).
    AoUnexpected,
    /// The IPv4 header checksum is wrong (`ip_rcv_core`, see
    /// [`crate::checksum`]). Seen live on 6.18: `IpExt:InCsumErrors` and
    /// `Ip:InHdrErrors` +1, no `TCPMD5*` counter.
    IpChecksum,
    /// The TCP checksum is wrong (`tcp_v{4,6}_rcv`, see [`crate::checksum`]).
    /// Seen live on 6.18, both families: `Tcp:InCsumErrors` and `Tcp:InErrs`
    /// +1, no `TCPMD5*` counter.
    TcpChecksum,
}

impl DropReason {
    /// Every reason.
    pub const ALL: [DropReason; 7] = [
        DropReason::AuthHeader,
        DropReason::Md5NotFound,
        DropReason::Md5Unexpected,
        DropReason::Md5Failure,
        DropReason::AoUnexpected,
        DropReason::IpChecksum,
        DropReason::TcpChecksum,
    ];

    /// The kernel's name (`SKB_DROP_REASON_` omitted).
    pub fn kernel_name(self) -> &'static str {
        match self {
            DropReason::AuthHeader => "TCP_AUTH_HDR",
            DropReason::Md5NotFound => "TCP_MD5NOTFOUND",
            DropReason::Md5Unexpected => "TCP_MD5UNEXPECTED",
            DropReason::Md5Failure => "TCP_MD5FAILURE",
            DropReason::AoUnexpected => "TCP_AOUNEXPECTED",
            DropReason::IpChecksum => "IP_CSUM",
            DropReason::TcpChecksum => "TCP_CSUM",
        }
    }

    /// The counter the drop increments, if any: a `TcpExt` counter of
    /// `/proc/net/netstat` by its name, another group's as `Group:Name`.
    pub fn counter(self) -> Option<&'static str> {
        match self {
            DropReason::AuthHeader => None,
            DropReason::Md5NotFound => Some("TCPMD5NotFound"),
            DropReason::Md5Unexpected => Some("TCPMD5Unexpected"),
            DropReason::Md5Failure => Some("TCPMD5Failure"),
            DropReason::AoUnexpected => Some("TCPAOKeyNotFound"),
            DropReason::IpChecksum => Some("IpExt:InCsumErrors"),
            DropReason::TcpChecksum => Some("Tcp:InCsumErrors"),
        }
    }

    /// The `tcp:` tracepoint the drop fires (Linux >= 6.11), if modelled.
    pub fn tracepoint(self) -> Option<&'static str> {
        match self {
            DropReason::AuthHeader => Some("tcp_hash_bad_header"),
            DropReason::Md5NotFound => Some("tcp_hash_md5_required"),
            DropReason::Md5Unexpected => Some("tcp_hash_md5_unexpected"),
            DropReason::Md5Failure => Some("tcp_hash_md5_mismatch"),
            DropReason::AoUnexpected | DropReason::IpChecksum | DropReason::TcpChecksum => None,
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kernel_name())
    }
}

/// The receiver's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Passed on to TCP.
    Accept(Acceptance),
    /// Dropped silently: no RST, no ACK.
    Drop(DropReason),
}

impl Verdict {
    /// Whether the segment is accepted.
    pub fn is_accept(self) -> bool {
        matches!(self, Verdict::Accept(_))
    }

    /// A short stable name (`accept`, `drop:TCP_MD5FAILURE`).
    pub fn name(self) -> String {
        match self {
            Verdict::Accept(_) => "accept".to_owned(),
            Verdict::Drop(r) => format!("drop:{}", r.kernel_name()),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accept(Acceptance::Unsigned) => f.write_str("accept (unsigned)"),
            Verdict::Accept(Acceptance::Signed) => f.write_str("accept (digest verified)"),
            Verdict::Accept(Acceptance::AoNotChecked) => {
                f.write_str("accept (AO option, not checked)")
            }
            Verdict::Drop(r) => write!(f, "drop {r}"),
        }
    }
}

/// The decision for a scanned segment, given the receiver's key for its
/// source (if any). `segment` is the whole TCP segment, for the digest.
///
/// This is `tcp_inbound_hash` (>= 6.7) and `tcp_inbound_md5_hash` (< 6.7).
pub fn decide(
    addrs: &AddrPair,
    segment: &[u8],
    scan: AuthScan<'_>,
    key: Option<&Key>,
    semantics: Semantics,
) -> Result<Verdict, DigestError> {
    let verdict = match scan {
        AuthScan::Malformed(_) => Verdict::Drop(DropReason::AuthHeader),
        AuthScan::Ao { .. } => match semantics {
            Semantics::Linux { tcp_ao: true } => Verdict::Drop(DropReason::AoUnexpected),
            _ => Verdict::Accept(Acceptance::AoNotChecked),
        },
        //= https://www.rfc-editor.org/rfc/rfc2385#section-2.0
        //# Upon receiving a signed segment, the receiver must validate it by
        //# calculating its own digest from the same data (using its own key)
        //# and comparing the two digest.  A failing comparison must result in
        //# the segment being dropped and must not produce any response back
        //# to the sender.
        AuthScan::Absent(_) => match key {
            Some(_) => Verdict::Drop(DropReason::Md5NotFound),
            None => Verdict::Accept(Acceptance::Unsigned),
        },
        AuthScan::Md5 { digest, .. } => match key {
            None => Verdict::Drop(DropReason::Md5Unexpected),
            Some(key) => {
                let expected = segment_digest(addrs, segment, key)?;
                if bool::from(expected.ct_eq(digest)) {
                    Verdict::Accept(Acceptance::Signed)
                } else {
                    Verdict::Drop(DropReason::Md5Failure)
                }
            }
        },
    };
    Ok(verdict)
}

/// Verifies one TCP segment against the receiver's key for its source.
pub fn verify_segment(
    addrs: &AddrPair,
    segment: &[u8],
    key: Option<&Key>,
    semantics: Semantics,
) -> Result<Verdict, WireError> {
    let packet = TcpPacket::new_checked(segment)?;
    let scan = semantics.scan(packet.options());
    // The header was checked above, so the digest cannot fail on it; a
    // segment too long for an IPv4 pseudo-header cannot verify.
    Ok(decide(addrs, segment, scan, key, semantics)
        .unwrap_or(Verdict::Drop(DropReason::Md5Failure)))
}

/// The kernel's decision for a whole IP packet arriving at a socket whose
/// keys are `table`, on an interface in L3 domain `l3index` (0 outside VRFs).
pub fn packet_verdict(
    packet: &[u8],
    table: &KeyTable,
    l3index: i32,
    semantics: Semantics,
) -> Result<Verdict, WireError> {
    packet_verdict_with(packet, table, l3index, semantics, Checksums::Verify)
}

/// [`packet_verdict`], with the checksum stage verified or skipped.
pub fn packet_verdict_with(
    packet: &[u8],
    table: &KeyTable,
    l3index: i32,
    semantics: Semantics,
    checksums: Checksums,
) -> Result<Verdict, WireError> {
    let located = IpSegment::parse(packet)?;
    if let Some(reason) = checksums.drop_reason(packet, &located) {
        return Ok(Verdict::Drop(reason));
    }
    let key = table
        .lookup(located.addrs.src(), l3index)
        .map(|entry| &entry.key);
    verify_segment(&located.addrs, located.segment, key, semantics)
}

/// The kind of socket a segment reaches, as far as the MD5 check cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Receiver {
    /// A listener or a full socket: checked (`tcp_inbound_hash`).
    Socket,
    /// A request socket (SYN-RECV): checked like a socket, and then
    /// `tcp_check_req` drops any segment whose use of TCP-AO differs from
    /// the request's. Without `CONFIG_TCP_AO` no request uses AO, so a
    /// segment with an AO option is dropped there (counter `TCPAOBad`, which
    /// is not compiled out), although the same segment passes everywhere else.
    RequestSock,
    /// A timewait-type socket (`inet_timewait_sock`), in either substate
    /// (see [`TimeWaitSubstate`]): TIME-WAIT proper, or the FIN-WAIT-2 of an
    /// orphaned socket (`close()`d, its FIN acknowledged), which
    /// `tcp_rcv_state_process` replaces by a timewait socket whenever
    /// `tcp_fin_time` is at most 60 s (the default). `tcp_v{4,6}_rcv` jumps
    /// to `do_time_wait` before the check, so the segment is never verified
    /// (seen live on 6.18 in both substates: unsigned and wrongly signed
    /// FINs are ACKed, an unsigned RST kills it). What TCP then does is
    /// [`timewait_action`].
    TimeWait,
}

/// The decision of a particular receiver (see [`Receiver`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiverVerdict {
    /// The authentication check ran: its verdict.
    Checked(Verdict),
    /// No check at all (TIME-WAIT): the segment goes on to TCP.
    NotChecked,
    /// Passed the check but dropped by `tcp_check_req` for a TCP-AO option
    /// the request did not negotiate (`TCPAOBad` +1, no reply).
    AoRequestMismatch,
}

impl ReceiverVerdict {
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
        Receiver::RequestSock => {
            let v = packet_verdict(packet, table, l3index, semantics)?;
            Ok(match v {
                Verdict::Accept(Acceptance::AoNotChecked) => ReceiverVerdict::AoRequestMismatch,
                other => ReceiverVerdict::Checked(other),
            })
        }
    }
}

#[cfg(test)]
mod receiver_tests {
    use super::*;
    use crate::wire::{TcpFlags, TcpRepr};
    use core::net::Ipv4Addr;

    fn packet(options: &[u8]) -> Vec<u8> {
        let (src, dst) = (Ipv4Addr::new(10, 99, 0, 2), Ipv4Addr::new(10, 99, 0, 1));
        packet_for(&AddrPair::V4 { src, dst }, options)
    }

    /// An ACK from `addrs.src()` port 179 to port 4444 with `options`.
    pub(super) fn packet_for(addrs: &AddrPair, options: &[u8]) -> Vec<u8> {
        let repr = TcpRepr {
            src_port: 179,
            dst_port: 4444,
            seq: 3,
            ack: 4,
            flags: TcpFlags::ACK,
            window: 5,
            urgent: 0,
            options,
            payload: &[],
        };
        repr.to_vec(addrs)
            .and_then(|tcp| crate::wire::ip_packet(addrs, &tcp))
            .unwrap_or_default()
    }

    // Regression (live, 6.18, CONFIG_TCP_AO=n): an AO option in a 20-byte
    // area passes an MD5 socket, is dropped by a request socket (TCPAOBad),
    // and TIME-WAIT checks nothing.
    #[test]
    fn ao_option_per_receiver() {
        let mut ao = vec![29u8, 16, 1, 2];
        ao.extend([0xa5; 12]);
        ao.extend([1, 1, 1, 1]);
        let p = packet(&ao);
        let mut t = KeyTable::new();
        let peer = core::net::IpAddr::V4(Ipv4Addr::new(10, 99, 0, 2));
        let key = Key::new(b"k").unwrap_or_else(|_| Key::from_array(b"k"));
        let _ = t.apply(
            crate::Family::V4,
            &crate::Md5SigRequest::add(peer, &key),
            &[] as &[(i32, bool)],
        );
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
            receiver_verdict(&packet(&[]), &t, 0, s, Receiver::TimeWait),
            Ok(ReceiverVerdict::NotChecked)
        );
    }
}

/// The substate of a timewait-type socket (`tw_substate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeWaitSubstate {
    /// An orphaned FIN-WAIT-2: the local FIN is acknowledged, the peer's is
    /// still to come.
    FinWait2,
    /// TIME-WAIT proper: both FINs exchanged.
    TimeWait,
}

/// What a timewait-type socket does with a segment that reached it
/// (`tcp_timewait_state_process`, no MD5 check before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeWaitAction {
    /// `TCP_TW_ACK`: an ACK of `tw_rcv_nxt` (signed with the key the
    /// timewait socket copied from the connection). `enters_time_wait`:
    /// the peer's FIN moved FIN-WAIT-2 to TIME-WAIT.
    Ack {
        /// FIN-WAIT-2 -> TIME-WAIT.
        enters_time_wait: bool,
    },
    /// `TCP_TW_RST`: a reset as for a closed port (`tcp_v{4,6}_send_reset`
    /// with a socket that is not full: see [`closed_port_reset`]), and the
    /// timewait socket is gone.
    ResetAndKill,
    /// Killed without a reply (an in-window RST; in TIME-WAIT only with
    /// `tcp_rfc1337 = 0`).
    Kill,
    /// `TCP_TW_SYN`: a new SYN in TIME-WAIT, handed to a listener.
    Reopen,
    /// Nothing: a duplicate ACK, or an RST TIME-WAIT ignores.
    Ignore,
}

impl TimeWaitAction {
    /// Whether the timewait socket still exists afterwards.
    pub fn survives(self) -> bool {
        !matches!(
            self,
            TimeWaitAction::ResetAndKill | TimeWaitAction::Kill | TimeWaitAction::Reopen
        )
    }
}

/// The timewait socket's receive state: `tw_rcv_nxt`, `tw_rcv_wnd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeWaitState {
    /// The substate.
    pub substate: TimeWaitSubstate,
    /// Next sequence number expected from the peer.
    pub rcv_nxt: u32,
    /// The receive window when the socket became a timewait socket.
    pub rcv_wnd: u32,
}

fn seq_before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `tcp_in_window`: whether `[seq, end_seq)` touches `[s_win, e_win]`.
fn tcp_in_window(seq: u32, end_seq: u32, s_win: u32, e_win: u32) -> bool {
    if seq == s_win {
        return true;
    }
    if seq_before(s_win, end_seq) && seq_before(seq, e_win) {
        return true;
    }
    seq == e_win && seq == end_seq
}

/// What a timewait-type socket in `state` does with `packet`
/// (`tcp_timewait_state_process` on Linux 6.x, without timestamps: a
/// connection with an MD5 key negotiates none with a Linux peer, so PAWS
/// never rejects). `rfc1337` is `net.ipv4.tcp_rfc1337`. An out-of-window
/// segment is answered by an ACK; the kernel may rate-limit that ACK for a
/// segment without data (`tcp_oow_rate_limited`), which this model ignores.
///
/// In FIN-WAIT-2 any RST whose sequence number is in the window kills the
/// socket (no RFC 5961 exact-match check), and new data (not a FIN at
/// `rcv_nxt`) is answered by a reset.
pub fn timewait_action(
    packet: &[u8],
    state: TimeWaitState,
    rfc1337: bool,
) -> Result<TimeWaitAction, WireError> {
    use crate::wire::TcpFlags;
    let located = IpSegment::parse(packet)?;
    let tcp = TcpPacket::new_checked(located.segment)?;
    let flags = tcp.flags();
    let (syn, fin, rst, ack) = (
        flags.contains(TcpFlags::SYN),
        flags.contains(TcpFlags::FIN),
        flags.contains(TcpFlags::RST),
        flags.contains(TcpFlags::ACK),
    );
    let seq = tcp.seq_number();
    let len = u32::try_from(tcp.payload().len()).unwrap_or(u32::MAX);
    let end_seq = seq
        .wrapping_add(len)
        .wrapping_add(u32::from(syn))
        .wrapping_add(u32::from(fin));
    let rcv_nxt = state.rcv_nxt;
    Ok(match state.substate {
        TimeWaitSubstate::FinWait2 => {
            if !tcp_in_window(seq, end_seq, rcv_nxt, rcv_nxt.wrapping_add(state.rcv_wnd)) {
                // tcp_timewait_check_oow_rate_limit, for an RST too.
                TimeWaitAction::Ack {
                    enters_time_wait: false,
                }
            } else if rst {
                TimeWaitAction::Kill
            } else if syn && !seq_before(seq, rcv_nxt) {
                TimeWaitAction::ResetAndKill
            } else if !ack || !seq_before(rcv_nxt, end_seq) || end_seq == seq {
                TimeWaitAction::Ignore
            } else if !fin || end_seq != rcv_nxt.wrapping_add(1) {
                TimeWaitAction::ResetAndKill
            } else {
                TimeWaitAction::Ack {
                    enters_time_wait: true,
                }
            }
        }
        TimeWaitSubstate::TimeWait => {
            if seq == rcv_nxt && (seq == end_seq || rst) {
                match (rst, rfc1337) {
                    (true, false) => TimeWaitAction::Kill,
                    _ => TimeWaitAction::Ignore,
                }
            } else if syn && !rst && !ack && seq_before(rcv_nxt, seq) {
                TimeWaitAction::Reopen
            } else if rst {
                TimeWaitAction::Ignore
            } else {
                TimeWaitAction::Ack {
                    enters_time_wait: false,
                }
            }
        }
    })
}

#[cfg(test)]
mod timewait_tests {
    use super::receiver_tests::packet_for;
    use super::*;
    use crate::wire::{TcpFlags, TcpRepr};
    use core::net::Ipv4Addr;

    fn seg(flags: TcpFlags, seq: u32, payload: &[u8]) -> Vec<u8> {
        let addrs = AddrPair::V4 {
            src: Ipv4Addr::new(10, 99, 0, 2),
            dst: Ipv4Addr::new(10, 99, 0, 1),
        };
        let repr = TcpRepr {
            src_port: 179,
            dst_port: 4444,
            seq,
            ack: 7,
            flags,
            window: 5,
            urgent: 0,
            options: &[],
            payload,
        };
        repr.to_vec(&addrs)
            .and_then(|tcp| crate::wire::ip_packet(&addrs, &tcp))
            .unwrap_or_else(|_| packet_for(&addrs, &[]))
    }

    // Regression (live, 6.18, conformance cases
    // session-finwait/orphan-fin-wait-2-*): an orphaned FIN-WAIT-2 socket is
    // a timewait socket that checks no signature. Unsigned, wrongly signed
    // and signed FINs at rcv_nxt are ACKed and move it to TIME-WAIT;
    // unsigned in-window data is answered by an unsigned RST and kills it;
    // an unsigned RST anywhere in the window kills it silently.
    #[test]
    fn orphan_fin_wait_2() {
        let state = TimeWaitState {
            substate: TimeWaitSubstate::FinWait2,
            rcv_nxt: 1000,
            rcv_wnd: 65535,
        };
        let a = |p: Vec<u8>| timewait_action(&p, state, false);
        let fin_ack = TcpFlags::FIN | TcpFlags::ACK;
        let rst_ack = TcpFlags::RST | TcpFlags::ACK;
        assert_eq!(
            a(seg(fin_ack, 1000, &[])),
            Ok(TimeWaitAction::Ack {
                enters_time_wait: true
            })
        );
        assert_eq!(
            a(seg(TcpFlags::PSH | TcpFlags::ACK, 1000, b"x")),
            Ok(TimeWaitAction::ResetAndKill)
        );
        assert_eq!(a(seg(rst_ack, 1000, &[])), Ok(TimeWaitAction::Kill));
        assert_eq!(a(seg(rst_ack, 1000 + 4096, &[])), Ok(TimeWaitAction::Kill));
        assert_eq!(
            a(seg(rst_ack, 1000u32.wrapping_sub(1), &[])),
            Ok(TimeWaitAction::Ack {
                enters_time_wait: false
            })
        );
        assert_eq!(a(seg(TcpFlags::ACK, 1000, &[])), Ok(TimeWaitAction::Ignore));
        // One byte far below the window: an ACK (the peer's certain answer).
        assert_eq!(
            a(seg(TcpFlags::ACK, 1000u32.wrapping_sub(0x10_0000), b"k")),
            Ok(TimeWaitAction::Ack {
                enters_time_wait: false
            })
        );
        let tw = TimeWaitState {
            substate: TimeWaitSubstate::TimeWait,
            rcv_nxt: 1001,
            ..state
        };
        // The session-close/time-wait-* cases: a retransmitted FIN is
        // ACKed, an RST at rcv_nxt kills (rfc1337 = 0) or is ignored.
        assert_eq!(
            timewait_action(&seg(fin_ack, 1000, &[]), tw, false),
            Ok(TimeWaitAction::Ack {
                enters_time_wait: false
            })
        );
        assert_eq!(
            timewait_action(&seg(rst_ack, 1001, &[]), tw, false),
            Ok(TimeWaitAction::Kill)
        );
        assert_eq!(
            timewait_action(&seg(rst_ack, 1001, &[]), tw, true),
            Ok(TimeWaitAction::Ignore)
        );
        assert_eq!(
            timewait_action(&seg(TcpFlags::SYN, 5000, &[]), tw, false),
            Ok(TimeWaitAction::Reopen)
        );
        assert!(!TimeWaitAction::Kill.survives());
        assert!(TimeWaitAction::Ignore.survives());
    }
}

/// What the kernel sends back for a segment that no socket takes (a closed
/// port): `tcp_v4_send_reset` / `tcp_v6_send_reset` without a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetReply {
    /// Nothing (an incoming RST, or a signed segment that does not verify).
    None,
    /// An RST without an MD5 option.
    Unsigned,
    /// An RST signed with this key.
    Signed(Key),
}

/// The reset the kernel sends for `packet` arriving at a closed port.
///
/// An unsigned segment gets an unsigned RST; malformed authentication
/// options get none; a TCP-AO option on a kernel without `CONFIG_TCP_AO`
/// gets none over IPv4 and an unsigned RST over IPv6. For a segment carrying an MD5
/// option the kernel looks up a listener and the key it holds for the
/// segment's source, verifies the incoming digest with it, and signs the RST
/// only if it verifies; otherwise it sends nothing. `listener` is the key
/// table of the listener that lookup finds: `__inet_lookup_listener` is
/// called with the segment's destination address and its **source** port
/// (see [`reset_listener_port`]), `None` if there is none.
pub fn closed_port_reset(
    packet: &[u8],
    listener: Option<&KeyTable>,
    l3index: i32,
    semantics: Semantics,
) -> Result<ResetReply, WireError> {
    let located = IpSegment::parse(packet)?;
    let tcp = TcpPacket::new_checked(located.segment)?;
    let bad_checksum = Checksums::Verify.drop_reason(packet, &located).is_some();
    if bad_checksum || tcp.flags().contains(crate::wire::TcpFlags::RST) {
        return Ok(ResetReply::None);
    }
    Ok(match semantics.scan(tcp.options()) {
        AuthScan::Md5 { .. } => {
            let key = listener
                .and_then(|t| t.lookup(located.addrs.src(), l3index))
                .map(|e| e.key.clone());
            match key {
                Some(key)
                    if verify_segment(&located.addrs, located.segment, Some(&key), semantics)
                        == Ok(Verdict::Accept(Acceptance::Signed)) =>
                {
                    ResetReply::Signed(key)
                }
                _ => ResetReply::None,
            }
        }
        AuthScan::Absent(_) => ResetReply::Unsigned,
        // `tcp_v{4,6}_send_reset` parse the options first and return on an
        // error: no reset (seen live on 6.18, both families).
        AuthScan::Malformed(_) => ResetReply::None,
        // An AO option without CONFIG_TCP_AO: IPv4 gives up
        // (`tcp_v4_ao_sign_reset` is a stub that refuses), IPv6 ignores it
        // and sends an unsigned RST (both seen live on 6.18). With
        // CONFIG_TCP_AO `tcp_ao_prepare_reset` refuses without a socket
        // (from the source, not seen live).
        AuthScan::Ao { .. } => match (semantics, located.addrs.family()) {
            (Semantics::Linux { tcp_ao: false }, crate::Family::V6) => ResetReply::Unsigned,
            _ => ResetReply::None,
        },
    })
}

/// The local port of the listener whose key signs a closed-port reset: the
/// incoming segment's source port (the kernel passes `th->source` as the
/// local port to `__inet_lookup_listener`).
pub fn reset_listener_port(packet: &[u8]) -> Result<u16, WireError> {
    let located = IpSegment::parse(packet)?;
    Ok(located.tcp().src_port())
}

#[cfg(test)]
mod closed_port_tests {
    use super::receiver_tests::packet_for as packet;
    use super::*;
    use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn pairs() -> [AddrPair; 2] {
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

    fn listener(addrs: &AddrPair, key: &Key) -> KeyTable {
        let mut t = KeyTable::new();
        let src: IpAddr = addrs.src();
        let _ = t.apply(
            crate::Family::of(&src),
            &crate::Md5SigRequest::add(src, key),
            &[] as &[(i32, bool)],
        );
        t
    }

    // Regression (live, 6.18, CONFIG_TCP_AO=n, conformance cases
    // resets/closed-port-ao-only* and closed-port-duplicate-md5*): an
    // AO-only ACK to a closed port gets no RST over IPv4 and an unsigned RST
    // over IPv6; a signed ACK with a duplicate MD5 option gets none, with or
    // without a listener key for the source. The model said "none" for both.
    #[test]
    fn malformed_and_ao_at_a_closed_port() {
        let key = Key::from_array(b"tcpmd5-conformance");
        let s = Semantics::Linux { tcp_ao: false };
        let mut ao = vec![29u8, 16, 1, 2];
        ao.extend([0xa5; 12]);
        ao.extend([1, 1, 1, 1]);
        let mut dup = vec![1u8, 1, 19, 18];
        dup.extend([0; 16]);
        dup.extend(dup.clone());
        for addrs in pairs() {
            let table = listener(&addrs, &key);
            let mut signed_dup = packet(&addrs, &dup);
            let _ = crate::sign::sign_packet_in_place(&mut signed_dup, &key);
            for l in [None, Some(&table)] {
                let ao_reply = closed_port_reset(&packet(&addrs, &ao), l, 0, s);
                let want = match addrs.family() {
                    crate::Family::V4 => ResetReply::None,
                    crate::Family::V6 => ResetReply::Unsigned,
                };
                assert_eq!(ao_reply, Ok(want), "{addrs:?}");
                assert_eq!(
                    closed_port_reset(&signed_dup, l, 0, s),
                    Ok(ResetReply::None),
                    "{addrs:?}"
                );
                assert_eq!(
                    closed_port_reset(
                        &packet(&addrs, &ao),
                        l,
                        0,
                        Semantics::Linux { tcp_ao: true }
                    ),
                    Ok(ResetReply::None)
                );
            }
        }
    }
}
