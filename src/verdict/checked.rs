//! The authentication check: `tcp_inbound_hash` on one segment.

use core::fmt;

use subtle::ConstantTimeEq;

use super::{DropReason, VerdictId};
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

impl Acceptance {
    /// Every kind of acceptance.
    pub const ALL: [Acceptance; 3] = [
        Acceptance::Unsigned,
        Acceptance::Signed,
        Acceptance::AoNotChecked,
    ];

    /// The stable id (`unsigned`, `signed`, `ao-not-checked`).
    pub fn id(self) -> &'static str {
        match self {
            Acceptance::Unsigned => "unsigned",
            Acceptance::Signed => "signed",
            Acceptance::AoNotChecked => "ao-not-checked",
        }
    }

    /// The acceptance named by [`Acceptance::id`].
    pub fn from_id(id: &str) -> Option<Acceptance> {
        Acceptance::ALL.into_iter().find(|a| a.id() == id)
    }
}

impl fmt::Display for Acceptance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
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

    /// The verdict's stable id (`accept`, `drop:TCP_MD5FAILURE`); an accept's
    /// kind is [`Verdict::acceptance`].
    pub fn id(self) -> VerdictId {
        match self {
            Verdict::Accept(_) => VerdictId::Accept,
            Verdict::Drop(r) => VerdictId::Drop(r),
        }
    }

    /// Why the segment was accepted, if it was.
    pub fn acceptance(self) -> Option<Acceptance> {
        match self {
            Verdict::Accept(a) => Some(a),
            Verdict::Drop(_) => None,
        }
    }
}

/// The id, and for an accept its kind: `accept (signed)`,
/// `drop:TCP_MD5FAILURE`.
impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accept(a) => write!(f, "{} ({a})", self.id()),
            Verdict::Drop(_) => write!(f, "{}", self.id()),
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
        //= linux/auth-hdr-drop
        AuthScan::Malformed(_) => Verdict::Drop(DropReason::AuthHeader),
        //= linux/ao-unchecked
        AuthScan::Ao { .. } => match (semantics, key) {
            (Semantics::Linux { tcp_ao: true }, _) => Verdict::Drop(DropReason::AoUnexpected),
            //= linux/ao-bypass-fixed
            (Semantics::LinuxAoBypassFixed, Some(_)) => Verdict::Drop(DropReason::Md5NotFound),
            (Semantics::LinuxAoBypassFixed, None) => Verdict::Accept(Acceptance::Unsigned),
            _ => Verdict::Accept(Acceptance::AoNotChecked),
        },
        //= linux/md5-notfound
        AuthScan::Absent(_) => match key {
            Some(_) => Verdict::Drop(DropReason::Md5NotFound),
            None => Verdict::Accept(Acceptance::Unsigned),
        },
        AuthScan::Md5 { digest, .. } => match key {
            //= linux/md5-unexpected
            None => Verdict::Drop(DropReason::Md5Unexpected),
            //= 2.0/verify
            //= 2.0/silent-drop
            //# Upon receiving a signed segment, the receiver must validate it by
            //# calculating its own digest from the same data (using its own key)
            //# and comparing the two digest.  A failing comparison must result in
            //# the segment being dropped and must not produce any response back
            //# to the sender.
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
/// keys are `table`, on an interface in L3 domain `l3index` (0 outside VRFs),
/// with its checksums checked where the kernel checks them
/// ([`Checksums::Verify`]: a short segment's before the MD5 check, a long
/// one's after it).
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
    if let Some(reason) = checksums.before_lookup(packet, &located) {
        return Ok(Verdict::Drop(reason));
    }
    //= 4.0/key-config
    let key = table
        .lookup(located.addrs.src(), l3index)
        .map(|entry| &entry.key);
    let verdict = verify_segment(&located.addrs, located.segment, key, semantics)?;
    Ok(checksums.after_auth_verdict(&located, verdict))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::CHECKSUM_BREAK;
    use crate::sign::sign_packet_in_place;
    use crate::verdict::test_packet::{keyed_table, pairs, segment};
    use crate::wire::TcpFlags;

    /// A SYN of `tcp_len` bytes (the Linux signed layout when `key` is
    /// given), signed with `key`, its TCP checksum then broken.
    fn bad_checksum_syn(addrs: &AddrPair, tcp_len: usize, key: Option<&Key>) -> Vec<u8> {
        let md5 = [
            1u8, 1, 19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let options: &[u8] = if key.is_some() { &md5 } else { &[] };
        let payload = vec![7u8; tcp_len - 20 - options.len()];
        let mut p = segment(addrs, TcpFlags::SYN, 1, options, &payload);
        if let Some(k) = key {
            sign_packet_in_place(&mut p, k).expect("the MD5 option is signed");
        }
        let at = IpSegment::parse(&p).expect("the packet parses").tcp_offset + 16;
        p[at] ^= 0x5a;
        p
    }

    // Regression (live, 6.18, both families,
    // conformance/examples/checksum_order.rs and the checksum/long-* cases):
    // up to 76 TCP bytes a bad checksum is dropped first (Tcp:InCsumErrors),
    // signed or not; from 77 bytes the MD5 check comes first and only a
    // segment that passes it is dropped for its checksum.
    //= type=test
    //= linux/checksum-early
    //= linux/checksum-after-auth
    #[test]
    fn checksum_stage_moves_behind_the_md5_check_past_76_bytes() {
        let key = Key::from_array(b"checksum-order");
        let wrong = Key::from_array(b"another key");
        let s = Semantics::Linux { tcp_ao: false };
        for addrs in pairs() {
            let keyed = keyed_table(&addrs, &key);
            let keyless = KeyTable::new();
            let csum = Verdict::Drop(DropReason::TcpChecksum);
            for len in [40, CHECKSUM_BREAK, CHECKSUM_BREAK + 1, 1000] {
                let long = len > CHECKSUM_BREAK;
                let v = |p: &[u8], t: &KeyTable| packet_verdict(p, t, 0, s);
                let unsigned = bad_checksum_syn(&addrs, len, None);
                let wrong_key = bad_checksum_syn(&addrs, len, Some(&wrong));
                let right_key = bad_checksum_syn(&addrs, len, Some(&key));
                let (notfound, failure) = if long {
                    (
                        Verdict::Drop(DropReason::Md5NotFound),
                        Verdict::Drop(DropReason::Md5Failure),
                    )
                } else {
                    (csum, csum)
                };
                assert_eq!(v(&unsigned, &keyed), Ok(notfound), "{addrs:?} {len}");
                assert_eq!(v(&wrong_key, &keyed), Ok(failure), "{addrs:?} {len}");
                assert_eq!(v(&right_key, &keyed), Ok(csum), "{addrs:?} {len}");
                assert_eq!(v(&unsigned, &keyless), Ok(csum), "{addrs:?} {len}");
                let md5_unexpected = if long {
                    Verdict::Drop(DropReason::Md5Unexpected)
                } else {
                    csum
                };
                assert_eq!(v(&right_key, &keyless), Ok(md5_unexpected));
                assert_eq!(
                    packet_verdict_with(&right_key, &keyed, 0, s, Checksums::Skip),
                    Ok(Verdict::Accept(Acceptance::Signed))
                );
            }
        }
    }

    #[test]
    fn verdicts_and_acceptances_print_their_ids() {
        for a in Acceptance::ALL {
            assert_eq!(a.to_string(), a.id());
            assert_eq!(Acceptance::from_id(a.id()), Some(a));
            let v = Verdict::Accept(a);
            assert_eq!(v.to_string(), format!("accept ({})", a.id()));
            assert_eq!((v.is_accept(), v.acceptance()), (true, Some(a)));
        }
        assert_eq!(Acceptance::from_id("accept"), None);
        let drop = Verdict::Drop(DropReason::Md5Failure);
        assert_eq!(drop.to_string(), "drop:TCP_MD5FAILURE");
        assert_eq!((drop.is_accept(), drop.acceptance()), (false, None));
    }

    // What each semantics makes of a segment whose only authentication
    // option is TCP-AO, at a socket with and without an MD5 key for the
    // peer, as the five kernels' runs behind the decision vectors and the
    // differential show it.
    //= type=test
    //= linux/ao-unchecked
    //= linux/ao-bypass-fixed
    #[test]
    fn an_ao_only_segment_under_each_semantics() {
        use crate::verdict::test_packet::{ack_with, ao_area};
        let [addrs, _] = pairs();
        let p = ack_with(&addrs, &ao_area());
        let keyed = keyed_table(&addrs, &Key::from_array(b"k"));
        let keyless = KeyTable::new();
        let accept = Verdict::Accept;
        let drop = Verdict::Drop;
        let rows = [
            // (semantics, with the key, without)
            (
                Semantics::Rfc2385,
                drop(DropReason::Md5NotFound),
                accept(Acceptance::Unsigned),
            ),
            (
                Semantics::LinuxLegacy,
                drop(DropReason::Md5NotFound),
                accept(Acceptance::Unsigned),
            ),
            (
                Semantics::Linux { tcp_ao: false },
                accept(Acceptance::AoNotChecked),
                accept(Acceptance::AoNotChecked),
            ),
            (
                Semantics::Linux { tcp_ao: true },
                drop(DropReason::AoUnexpected),
                drop(DropReason::AoUnexpected),
            ),
            (
                Semantics::LinuxAoBypassFixed,
                drop(DropReason::Md5NotFound),
                accept(Acceptance::Unsigned),
            ),
        ];
        for (s, with_key, without) in rows {
            assert_eq!(packet_verdict(&p, &keyed, 0, s), Ok(with_key), "{s} keyed");
            assert_eq!(
                packet_verdict(&p, &keyless, 0, s),
                Ok(without),
                "{s} keyless"
            );
        }
    }
}
