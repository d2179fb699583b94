//! ICMP errors toward a TCP-AO connection (RFC 5925 §7.8): by default the
//! "hard errors" that could reset it are ignored, since ICMP cannot be
//! authenticated. Linux (`tcp_ao_ignore_icmp`) ignores them in the
//! synchronized states of a socket with AO keys unless `TCP_AO_INFO`'s
//! `accept_icmps` is set, and counts each in `TCPAODroppedIcmps`.
//!
//! Hard errors: ICMPv4 destination unreachable (type 3) with code 2
//! (protocol), 3 (port) or 4 (fragmentation needed); ICMPv6 destination
//! unreachable (type 1) with code 1 (administratively prohibited) or 4
//! (port). Before the connection is synchronized (listener, request
//! socket, `SYN_SENT`, `SYN_RECV`) nothing is ignored.

use crate::Family;

/// The counter an ignored ICMP error moves.
pub const DROPPED_ICMPS_COUNTER: &str = "TCPAODroppedIcmps";

/// Whether the connection an ICMP error is for is synchronized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronized {
    /// Listener, request socket, `SYN_SENT`, `SYN_RECV`.
    No,
    /// `ESTABLISHED` and every state after it, `TIME-WAIT` included.
    Yes,
}

/// Whether an ICMP error of `icmp_type`/`code` is a hard error in `family`.
pub fn is_hard_error(family: Family, icmp_type: u8, code: u8) -> bool {
    match family {
        Family::V4 => icmp_type == 3 && (2..=4).contains(&code),
        Family::V6 => icmp_type == 1 && (code == 1 || code == 4),
    }
}

/// Whether the kernel ignores the ICMP error (and counts it in
/// [`DROPPED_ICMPS_COUNTER`]). `accept_icmps` is `None` for a socket
/// without AO keys (no `tcp_ao_info`).
pub fn ignores_icmp(
    family: Family,
    icmp_type: u8,
    code: u8,
    state: Synchronized,
    accept_icmps: Option<bool>,
) -> bool {
    is_hard_error(family, icmp_type, code)
        && state == Synchronized::Yes
        && accept_icmps == Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_errors_by_family() {
        let v4: Vec<u8> = (0..=15)
            .filter(|&c| is_hard_error(Family::V4, 3, c))
            .collect();
        assert_eq!(v4, [2, 3, 4]);
        let v6: Vec<u8> = (0..=7)
            .filter(|&c| is_hard_error(Family::V6, 1, c))
            .collect();
        assert_eq!(v6, [1, 4]);
        assert!(!is_hard_error(Family::V4, 1, 3));
        assert!(!is_hard_error(Family::V6, 3, 4));
        assert!(!is_hard_error(Family::V4, 11, 0));
    }

    #[test]
    fn only_synchronized_ao_sockets_without_accept_icmps() {
        let yes = Synchronized::Yes;
        assert!(ignores_icmp(Family::V4, 3, 3, yes, Some(false)));
        assert!(ignores_icmp(Family::V6, 1, 4, yes, Some(false)));
        assert!(!ignores_icmp(Family::V4, 3, 3, yes, Some(true)));
        assert!(!ignores_icmp(Family::V4, 3, 3, yes, None));
        assert!(!ignores_icmp(
            Family::V4,
            3,
            3,
            Synchronized::No,
            Some(false)
        ));
        assert!(!ignores_icmp(Family::V4, 3, 1, yes, Some(false)));
        assert_eq!(DROPPED_ICMPS_COUNTER, "TCPAODroppedIcmps");
    }
}
