//! The reset a listener sends for a segment that is not a SYN.

use super::{ResetReply, packet_verdict};
use crate::key_table::KeyTable;
use crate::scan::Semantics;
use crate::wire::{IpSegment, TcpFlags, TcpPacket, WireError};

/// What a listener answers to `packet` (a segment for a connection it does
/// not have, such as one whose timewait socket is gone): nothing unless
/// the authentication check passes it; then, in `tcp_rcv_state_process`'s
/// LISTEN branch, a segment with ACK set is answered by a reset
/// (`tcp_v{4,6}_send_reset` with the listener, a full socket, which signs
/// it with the listener's key for the segment's source), an RST is
/// discarded, and a SYN without ACK gets a SYN-ACK, not a reset.
//= linux/listener-ack-reset
pub fn listener_reset(
    packet: &[u8],
    listener: &KeyTable,
    l3index: i32,
    semantics: Semantics,
) -> Result<ResetReply, WireError> {
    if !packet_verdict(packet, listener, l3index, semantics)?.is_accept() {
        return Ok(ResetReply::None);
    }
    let located = IpSegment::parse(packet)?;
    let flags = TcpPacket::new_checked(located.segment)?.flags();
    if flags.contains(TcpFlags::RST) || !flags.contains(TcpFlags::ACK) {
        return Ok(ResetReply::None);
    }
    Ok(match listener.lookup(located.addrs.src(), l3index) {
        Some(entry) => ResetReply::Signed(entry.key.clone()),
        None => ResetReply::Unsigned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Key;
    use crate::sign::sign_packet_in_place;
    use crate::verdict::test_packet::{keyed_table, pairs, segment};

    const MD5: [u8; 20] = [1, 1, 19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    // Regression (live, 6.18, both families, the session-close/time-wait-*
    // cases whose timewait socket is gone): a signed ACK to the port of a
    // keyed listener is answered by an RST signed with the listener's key.
    //= type=test
    //= linux/listener-ack-reset
    #[test]
    fn an_ack_that_passes_the_check_is_reset_with_the_listeners_key() {
        let key = Key::from_array(b"listener");
        let s = Semantics::Linux { tcp_ao: false };
        for addrs in pairs() {
            let keyed = keyed_table(&addrs, &key);
            let signed = |flags: TcpFlags, k: &Key| {
                let mut p = segment(&addrs, flags, 9, &MD5, &[]);
                sign_packet_in_place(&mut p, k).expect("the MD5 option is signed");
                p
            };
            let r = |p: &[u8], t: &KeyTable| listener_reset(p, t, 0, s);
            assert_eq!(
                r(&signed(TcpFlags::ACK, &key), &keyed),
                Ok(ResetReply::Signed(key.clone()))
            );
            let wrong = Key::from_array(b"other");
            assert_eq!(
                r(&signed(TcpFlags::ACK, &wrong), &keyed),
                Ok(ResetReply::None)
            );
            let rst = TcpFlags::RST | TcpFlags::ACK;
            assert_eq!(r(&signed(rst, &key), &keyed), Ok(ResetReply::None));
            assert_eq!(
                r(&signed(TcpFlags::SYN, &key), &keyed),
                Ok(ResetReply::None)
            );
            let unsigned = segment(&addrs, TcpFlags::ACK, 9, &[], &[]);
            assert_eq!(r(&unsigned, &keyed), Ok(ResetReply::None));
            assert_eq!(r(&unsigned, &KeyTable::new()), Ok(ResetReply::Unsigned));
        }
    }
}
