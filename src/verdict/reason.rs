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
