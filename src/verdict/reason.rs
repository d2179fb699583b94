//! Why a segment is dropped: the kernel's name, counter and tracepoint in one
//! place.

use core::fmt;

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
    /// A TCP-AO option reached a socket without AO keys (`CONFIG_TCP_AO=y`):
    /// an MD5-only session's, say. Its witnesses are those of
    /// [`DropReason::AoKeyNotFound`]; only the socket's keys tell them apart.
    AoUnexpected,
    /// An unsigned segment from a peer an AO key covers, or to a socket
    /// with `TCP_AO_REQUIRED` (`tcp_ao_required`; see [`crate::ao`]).
    AoNotFound,
    /// A TCP-AO option whose KeyID no MKT for the peer has as `rcvid`.
    AoKeyNotFound,
    /// A TCP-AO option whose MAC is wrong or of the wrong length, or AO
    /// used on one segment of a handshake and not on another.
    AoFailure,
    /// The IPv4 header checksum is wrong (`ip_rcv_core`, see
    /// [`crate::checksum`]). Seen live on 6.18: `IpExt:InCsumErrors` and
    /// `Ip:InHdrErrors` +1, no `TCPMD5*` counter.
    IpChecksum,
    /// The TCP checksum is wrong: before the MD5 check in a segment of at
    /// most 76 bytes (`skb_checksum_init`), after it passed in a longer one
    /// (`tcp_checksum_complete`; see [`crate::checksum`]). Seen live on
    /// 6.18, both families: `Tcp:InCsumErrors` and `Tcp:InErrs` +1, no
    /// `TCPMD5*` counter.
    TcpChecksum,
    /// A TCP-AO-signed segment at a listener without a request socket that
    /// is neither a SYN nor an ACK: no ISNs to key its MAC with
    /// (`tcp_inbound_ao_hash`, after the MKT was found; no counter, no
    /// `tcp:` tracepoint). See [`crate::ao::receive`].
    TcpFlags,
    /// A TCP-AO-signed segment at a closed socket (`tcp_inbound_ao_hash`,
    /// before any MKT is looked up; no counter, no `tcp:` tracepoint).
    TcpClose,
}

impl DropReason {
    /// Every reason.
    pub const ALL: [DropReason; 12] = [
        DropReason::AuthHeader,
        DropReason::Md5NotFound,
        DropReason::Md5Unexpected,
        DropReason::Md5Failure,
        DropReason::AoUnexpected,
        DropReason::AoNotFound,
        DropReason::AoKeyNotFound,
        DropReason::AoFailure,
        DropReason::IpChecksum,
        DropReason::TcpChecksum,
        DropReason::TcpFlags,
        DropReason::TcpClose,
    ];

    /// The verdict id of the drop (`drop:TCP_MD5FAILURE`), as
    /// [`VerdictId`](super::VerdictId) displays it; static, for tables that
    /// compare ids without allocating.
    pub fn verdict_id(self) -> &'static str {
        match self {
            DropReason::AuthHeader => "drop:TCP_AUTH_HDR",
            DropReason::Md5NotFound => "drop:TCP_MD5NOTFOUND",
            DropReason::Md5Unexpected => "drop:TCP_MD5UNEXPECTED",
            DropReason::Md5Failure => "drop:TCP_MD5FAILURE",
            DropReason::AoUnexpected => "drop:TCP_AOUNEXPECTED",
            DropReason::AoNotFound => "drop:TCP_AONOTFOUND",
            DropReason::AoKeyNotFound => "drop:TCP_AOKEYNOTFOUND",
            DropReason::AoFailure => "drop:TCP_AOFAILURE",
            DropReason::IpChecksum => "drop:IP_CSUM",
            DropReason::TcpChecksum => "drop:TCP_CSUM",
            DropReason::TcpFlags => "drop:TCP_FLAGS",
            DropReason::TcpClose => "drop:TCP_CLOSE",
        }
    }

    /// The kernel's name (`SKB_DROP_REASON_` omitted).
    pub fn kernel_name(self) -> &'static str {
        let id = self.verdict_id();
        id.strip_prefix("drop:").unwrap_or(id)
    }

    /// The counter the drop increments, if any: a `TcpExt` counter of
    /// `/proc/net/netstat` by its name, another group's as `Group:Name`.
    pub fn counter(self) -> Option<&'static str> {
        match self {
            DropReason::AuthHeader => None,
            DropReason::Md5NotFound => Some("TCPMD5NotFound"),
            DropReason::Md5Unexpected => Some("TCPMD5Unexpected"),
            DropReason::Md5Failure => Some("TCPMD5Failure"),
            DropReason::AoUnexpected | DropReason::AoKeyNotFound => Some("TCPAOKeyNotFound"),
            DropReason::AoNotFound => Some("TCPAORequired"),
            DropReason::AoFailure => Some("TCPAOBad"),
            DropReason::IpChecksum => Some("IpExt:InCsumErrors"),
            DropReason::TcpChecksum => Some("Tcp:InCsumErrors"),
            DropReason::TcpFlags | DropReason::TcpClose => None,
        }
    }

    /// The `tcp:` tracepoint the drop fires (Linux >= 6.11), if modelled.
    pub fn tracepoint(self) -> Option<&'static str> {
        match self {
            DropReason::AuthHeader => Some("tcp_hash_bad_header"),
            DropReason::Md5NotFound => Some("tcp_hash_md5_required"),
            DropReason::Md5Unexpected => Some("tcp_hash_md5_unexpected"),
            DropReason::Md5Failure => Some("tcp_hash_md5_mismatch"),
            DropReason::AoNotFound => Some("tcp_hash_ao_required"),
            // The kernel fires the same tracepoint whether the socket has
            // no AO keys at all or none with the segment's KeyID.
            DropReason::AoUnexpected | DropReason::AoKeyNotFound => Some("tcp_ao_key_not_found"),
            DropReason::AoFailure => Some("tcp_ao_mismatch"),
            DropReason::IpChecksum
            | DropReason::TcpChecksum
            | DropReason::TcpFlags
            | DropReason::TcpClose => None,
        }
    }

    /// Every reason the tracepoint `name` may report, in [`Self::ALL`]'s
    /// order: none for a tracepoint that is no drop (`tcp_ao_rnext_request`,
    /// the SNE updates) or that the model has no reason for; one for most;
    /// two for `tcp_ao_key_not_found` ([`DropReason::AoUnexpected`],
    /// [`DropReason::AoKeyNotFound`]), which [`Self::of_tracepoint_at`]
    /// tells apart by the socket's keys. A TCP-AO failure fires one of
    /// three (wrong MAC, wrong MAC length, AO on one handshake segment only).
    pub fn of_tracepoint(name: &str) -> impl Iterator<Item = DropReason> + Clone + '_ {
        let also_failure = matches!(name, "tcp_ao_wrong_maclen" | "tcp_ao_handshake_failure");
        DropReason::ALL.into_iter().filter(move |r| {
            r.tracepoint() == Some(name) || (also_failure && *r == DropReason::AoFailure)
        })
    }

    /// Every reason that moves the counter `name`, in [`Self::ALL`]'s order
    /// (`TCPAOKeyNotFound` stands for two, as its tracepoint does).
    pub fn of_counter(name: &str) -> impl Iterator<Item = DropReason> + Clone + '_ {
        DropReason::ALL
            .into_iter()
            .filter(move |r| r.counter() == Some(name))
    }

    /// The reason the tracepoint `name` reports at a socket that has TCP-AO
    /// keys (`ao_keys`) or has none.
    pub fn of_tracepoint_at(name: &str, ao_keys: bool) -> Option<DropReason> {
        Self::of_tracepoint(name).find(|r| r.fits_ao_keys(ao_keys))
    }

    /// The reason the counter `name` reports at a socket that has TCP-AO
    /// keys (`ao_keys`) or has none.
    pub fn of_counter_at(name: &str, ao_keys: bool) -> Option<DropReason> {
        Self::of_counter(name).find(|r| r.fits_ao_keys(ao_keys))
    }

    /// Whether the drop can happen at a socket that has TCP-AO keys
    /// (`ao_keys`) or has none: only [`DropReason::AoUnexpected`] needs
    /// none, only [`DropReason::AoKeyNotFound`] needs some.
    fn fits_ao_keys(self, ao_keys: bool) -> bool {
        match self {
            DropReason::AoUnexpected => !ao_keys,
            DropReason::AoKeyNotFound => ao_keys,
            _ => true,
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kernel_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::VerdictId;

    // Only AoUnexpected needs a socket without AO keys and only
    // AoKeyNotFound one with some; the rest fit either.
    #[test]
    fn which_drops_fit_a_socket_with_or_without_ao_keys() {
        for r in DropReason::ALL {
            let (without, with) = match r {
                DropReason::AoUnexpected => (true, false),
                DropReason::AoKeyNotFound => (false, true),
                _ => (true, true),
            };
            assert_eq!(
                (r.fits_ao_keys(false), r.fits_ao_keys(true)),
                (without, with),
                "{r:?}"
            );
        }
    }

    // The witnesses a live run reads (`/proc/net/netstat`, `tcp:` trace
    // events), by the kernel's spelling: the conformance suite matches
    // these strings, so a changed one must fail here first.
    //= type=test
    //= linux/md5-notfound
    //= linux/md5-unexpected
    //= linux/auth-hdr-drop
    #[test]
    fn names_counters_and_tracepoints() {
        let table = [
            (
                DropReason::AuthHeader,
                "TCP_AUTH_HDR",
                None,
                Some("tcp_hash_bad_header"),
            ),
            (
                DropReason::Md5NotFound,
                "TCP_MD5NOTFOUND",
                Some("TCPMD5NotFound"),
                Some("tcp_hash_md5_required"),
            ),
            (
                DropReason::Md5Unexpected,
                "TCP_MD5UNEXPECTED",
                Some("TCPMD5Unexpected"),
                Some("tcp_hash_md5_unexpected"),
            ),
            (
                DropReason::Md5Failure,
                "TCP_MD5FAILURE",
                Some("TCPMD5Failure"),
                Some("tcp_hash_md5_mismatch"),
            ),
            (
                DropReason::AoUnexpected,
                "TCP_AOUNEXPECTED",
                Some("TCPAOKeyNotFound"),
                Some("tcp_ao_key_not_found"),
            ),
            (
                DropReason::AoNotFound,
                "TCP_AONOTFOUND",
                Some("TCPAORequired"),
                Some("tcp_hash_ao_required"),
            ),
            (
                DropReason::AoKeyNotFound,
                "TCP_AOKEYNOTFOUND",
                Some("TCPAOKeyNotFound"),
                Some("tcp_ao_key_not_found"),
            ),
            (
                DropReason::AoFailure,
                "TCP_AOFAILURE",
                Some("TCPAOBad"),
                Some("tcp_ao_mismatch"),
            ),
            (
                DropReason::IpChecksum,
                "IP_CSUM",
                Some("IpExt:InCsumErrors"),
                None,
            ),
            (
                DropReason::TcpChecksum,
                "TCP_CSUM",
                Some("Tcp:InCsumErrors"),
                None,
            ),
            // tcp_inbound_ao_hash returns these without a counter or a
            // `tcp:` tracepoint (only `skb:kfree_skb` names the reason).
            (DropReason::TcpFlags, "TCP_FLAGS", None, None),
            (DropReason::TcpClose, "TCP_CLOSE", None, None),
        ];
        assert_eq!(table.map(|row| row.0), DropReason::ALL);
        for (reason, name, counter, tracepoint) in table {
            assert_eq!(reason.kernel_name(), name);
            assert_eq!(reason.to_string(), name);
            assert_eq!(reason.counter(), counter, "{name}");
            assert_eq!(reason.tracepoint(), tracepoint, "{name}");
        }
    }

    #[test]
    fn one_spelling_each() {
        for r in DropReason::ALL {
            assert_eq!(r.verdict_id(), VerdictId::Drop(r).to_string());
            assert_eq!(format!("drop:{}", r.kernel_name()), r.verdict_id());
            assert!(!r.kernel_name().starts_with("drop:"));
        }
    }

    // Linux's tcp_inbound_ao_hash: an AO segment to a socket with no AO
    // keys and one whose KeyID no key has both count TCPAOKeyNotFound and
    // fire tcp_ao_key_not_found; only the drop reason differs.
    #[test]
    fn a_tracepoint_names_its_reasons() {
        for r in DropReason::ALL {
            if let Some(t) = r.tracepoint() {
                assert!(DropReason::of_tracepoint(t).any(|c| c == r), "{r}");
            }
            if let Some(c) = r.counter() {
                assert!(DropReason::of_counter(c).any(|o| o == r), "{r}");
            }
        }
        let key_not_found: Vec<_> = DropReason::of_tracepoint("tcp_ao_key_not_found").collect();
        assert_eq!(
            key_not_found,
            [DropReason::AoUnexpected, DropReason::AoKeyNotFound]
        );
        let counted: Vec<_> = DropReason::of_counter("TCPAOKeyNotFound").collect();
        assert_eq!(counted, key_not_found);
        for (ao_keys, want) in [
            (false, DropReason::AoUnexpected),
            (true, DropReason::AoKeyNotFound),
        ] {
            assert_eq!(
                DropReason::of_tracepoint_at("tcp_ao_key_not_found", ao_keys),
                Some(want)
            );
            assert_eq!(
                DropReason::of_counter_at("TCPAOKeyNotFound", ao_keys),
                Some(want)
            );
            assert_eq!(
                DropReason::of_tracepoint_at("tcp_hash_md5_mismatch", ao_keys),
                Some(DropReason::Md5Failure)
            );
        }
        // Every other tracepoint and counter stands for one reason.
        for r in DropReason::ALL {
            if let Some(t) = r.tracepoint().filter(|t| *t != "tcp_ao_key_not_found") {
                assert_eq!(DropReason::of_tracepoint(t).collect::<Vec<_>>(), [r]);
            }
            if let Some(c) = r.counter().filter(|c| *c != "TCPAOKeyNotFound") {
                assert_eq!(DropReason::of_counter(c).collect::<Vec<_>>(), [r]);
            }
        }
        for t in ["tcp_ao_wrong_maclen", "tcp_ao_handshake_failure"] {
            assert_eq!(
                DropReason::of_tracepoint(t).collect::<Vec<_>>(),
                [DropReason::AoFailure]
            );
        }
        assert_eq!(DropReason::of_tracepoint("tcp_ao_rnext_request").count(), 0);
        assert_eq!(DropReason::of_tracepoint("tcp_probe").count(), 0);
    }
}
