//! The receiver's decision on one segment, named the way Linux names it.

use core::fmt;

use subtle::ConstantTimeEq;

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
}

impl DropReason {
    /// Every reason.
    pub const ALL: [DropReason; 5] = [
        DropReason::AuthHeader,
        DropReason::Md5NotFound,
        DropReason::Md5Unexpected,
        DropReason::Md5Failure,
        DropReason::AoUnexpected,
    ];

    /// The kernel's name (`SKB_DROP_REASON_` omitted).
    pub fn kernel_name(self) -> &'static str {
        match self {
            DropReason::AuthHeader => "TCP_AUTH_HDR",
            DropReason::Md5NotFound => "TCP_MD5NOTFOUND",
            DropReason::Md5Unexpected => "TCP_MD5UNEXPECTED",
            DropReason::Md5Failure => "TCP_MD5FAILURE",
            DropReason::AoUnexpected => "TCP_AOUNEXPECTED",
        }
    }

    /// The `TcpExt` counter in `/proc/net/netstat` the drop increments, if any.
    pub fn counter(self) -> Option<&'static str> {
        match self {
            DropReason::AuthHeader => None,
            DropReason::Md5NotFound => Some("TCPMD5NotFound"),
            DropReason::Md5Unexpected => Some("TCPMD5Unexpected"),
            DropReason::Md5Failure => Some("TCPMD5Failure"),
            DropReason::AoUnexpected => Some("TCPAOKeyNotFound"),
        }
    }

    /// The `tcp:` tracepoint the drop fires (Linux >= 6.11), if modelled.
    pub fn tracepoint(self) -> Option<&'static str> {
        match self {
            DropReason::AuthHeader => Some("tcp_hash_bad_header"),
            DropReason::Md5NotFound => Some("tcp_hash_md5_required"),
            DropReason::Md5Unexpected => Some("tcp_hash_md5_unexpected"),
            DropReason::Md5Failure => Some("tcp_hash_md5_mismatch"),
            DropReason::AoUnexpected => None,
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
    let located = IpSegment::parse(packet)?;
    let key = table
        .lookup(located.addrs.src(), l3index)
        .map(|entry| &entry.key);
    verify_segment(&located.addrs, located.segment, key, semantics)
}

/// The kind of socket a segment reaches, as far as the MD5 check cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Receiver {
    /// A listener, a request socket (SYN-RECV) or a full socket: checked
    /// (`tcp_inbound_hash` in `tcp_v4_rcv`/`tcp_v6_rcv`).
    Socket,
    /// A TIME-WAIT socket: `tcp_v4_rcv` jumps to `do_time_wait` before the
    /// check, so the segment is never verified.
    TimeWait,
}

/// The kernel's decision for a packet reaching `receiver`: `None` when the
/// receiver does not check authentication at all (TIME-WAIT), otherwise
/// [`packet_verdict`].
pub fn receiver_verdict(
    packet: &[u8],
    table: &KeyTable,
    l3index: i32,
    semantics: Semantics,
    receiver: Receiver,
) -> Result<Option<Verdict>, WireError> {
    match receiver {
        Receiver::TimeWait => {
            IpSegment::parse(packet)?;
            Ok(None)
        }
        Receiver::Socket => packet_verdict(packet, table, l3index, semantics).map(Some),
    }
}
