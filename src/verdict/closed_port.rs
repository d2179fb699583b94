//! The reset for a segment no socket takes (a closed port).

use super::{Acceptance, Verdict, verify_segment};
use crate::Key;
use crate::checksum::Checksums;
use crate::key_table::KeyTable;
use crate::scan::{AuthScan, Semantics};
use crate::wire::{IpSegment, TcpPacket, WireError};

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

impl ResetReply {
    /// The stable id (`none`, `unsigned-rst`, `signed-rst`), as the decision
    /// vectors write it.
    pub fn id(&self) -> &'static str {
        match self {
            ResetReply::None => "none",
            ResetReply::Unsigned => "unsigned-rst",
            ResetReply::Signed(_) => "signed-rst",
        }
    }
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
/// (see [`reset_listener_port`](super::reset_listener_port)), `None` if there is none.
//= linux/closed-port-reset
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
            (
                Semantics::Linux { tcp_ao: false } | Semantics::LinuxAoBypassFixed,
                crate::Family::V6,
            ) => ResetReply::Unsigned,
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
mod tests {
    use super::*;
    use core::net::IpAddr;

    use crate::AddrPair;

    use crate::verdict::test_packet::{ack_with as packet, ao_area, pairs, segment};

    fn listener(addrs: &AddrPair, key: &Key) -> KeyTable {
        let mut t = KeyTable::new();
        let src: IpAddr = addrs.src();
        t.apply(
            crate::Family::of(&src),
            &crate::Md5SigRequest::add(src, key),
            &[] as &[(i32, bool)],
        )
        .expect("the listener key is added");
        t
    }

    // The ids the decision vectors and the reports write.
    #[test]
    fn reset_replies_name_themselves() {
        let replies = [
            (ResetReply::None, "none"),
            (ResetReply::Unsigned, "unsigned-rst"),
            (ResetReply::Signed(Key::from_array(b"k")), "signed-rst"),
        ];
        for (reply, id) in replies {
            assert_eq!(reply.id(), id);
        }
    }

    // Regression (live, 6.18, CONFIG_TCP_AO=n, conformance cases
    // resets/closed-port-ao-only* and closed-port-duplicate-md5*): an
    // AO-only ACK to a closed port gets no RST over IPv4 and an unsigned RST
    // over IPv6; a signed ACK with a duplicate MD5 option gets none, with or
    // without a listener key for the source. The model said "none" for both.
    //= type=test
    //= linux/closed-port-reset
    #[test]
    fn malformed_and_ao_at_a_closed_port() {
        let key = Key::from_array(b"tcpmd5-conformance");
        let s = Semantics::Linux { tcp_ao: false };
        let ao = ao_area();
        let mut dup = vec![1u8, 1, 19, 18];
        dup.extend([0; 16]);
        dup.extend(dup.clone());
        for addrs in pairs() {
            let table = listener(&addrs, &key);
            let mut signed_dup = packet(&addrs, &dup);
            // The sender fills the first MD5 option; the receiver sees two.
            crate::sign::sign_packet_in_place(&mut signed_dup, &key)
                .expect("the first MD5 option is signed");
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

    // The reply to a signed segment at a closed port: signed with the
    // listener's key when the digest verifies with it, nothing when it does
    // not or no listener holds a key; an unsigned segment gets an unsigned
    // RST; an RST, or a segment with a bad checksum, gets nothing.
    //= type=test
    //= linux/closed-port-reset
    #[test]
    fn signed_unsigned_reset_and_bad_checksum() {
        let key = Key::from_array(b"closed-port");
        let wrong = Key::from_array(b"not the key");
        let md5 = [
            1u8, 1, 19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        for s in Semantics::known() {
            for addrs in pairs() {
                let table = listener(&addrs, &key);
                let signed = |k: &Key, flags| {
                    let mut p = segment(&addrs, flags, 3, &md5, &[]);
                    crate::sign::sign_packet_in_place(&mut p, k).expect("signed");
                    p
                };
                let r = |p: &[u8], l| closed_port_reset(p, l, 0, s);
                let ack = crate::wire::TcpFlags::ACK;
                let rst = crate::wire::TcpFlags::RST | ack;
                assert_eq!(
                    r(&signed(&key, ack), Some(&table)),
                    Ok(ResetReply::Signed(key.clone())),
                    "{s}"
                );
                assert_eq!(
                    r(&signed(&wrong, ack), Some(&table)),
                    Ok(ResetReply::None),
                    "{s}"
                );
                assert_eq!(r(&signed(&key, ack), None), Ok(ResetReply::None), "{s}");
                assert_eq!(
                    r(&signed(&key, rst), Some(&table)),
                    Ok(ResetReply::None),
                    "{s}"
                );
                let unsigned = packet(&addrs, &[]);
                assert_eq!(r(&unsigned, None), Ok(ResetReply::Unsigned), "{s}");
                assert_eq!(
                    r(&segment(&addrs, rst, 3, &[], &[]), None),
                    Ok(ResetReply::None),
                    "{s}"
                );
                let mut bad = unsigned.clone();
                let at = IpSegment::parse(&bad).expect("parses").tcp_offset + 16;
                bad[at] ^= 0xff;
                assert_eq!(r(&bad, None), Ok(ResetReply::None), "{s}");
                assert_eq!(reset_listener_port(&unsigned), Ok(179));
            }
        }
    }
}
