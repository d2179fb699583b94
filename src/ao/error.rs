//! Why a TCP-AO traffic key or MAC cannot be computed.

use core::fmt;

use crate::scan::Malformation;

use super::algorithm::Algorithm;

/// Why a traffic key or a MAC could not be computed: the segment is at
/// fault, or (never through [`derive_traffic_key`](super::derive_traffic_key),
/// which shortens AES master keys to 16 bytes first) the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AoError {
    /// The segment is shorter than a TCP header, or its data offset is
    /// below 5 or beyond the segment.
    BadHeader {
        /// The header length the data offset claims (0 if not reached).
        header_len: usize,
        /// The segment length.
        segment_len: usize,
    },
    /// An IPv4 segment longer than the 16-bit pseudo-header length field.
    TooLong {
        /// The segment length.
        segment_len: usize,
    },
    /// The option area is malformed as Linux reads it (`TCP_AUTH_HDR`).
    Malformed(Malformation),
    /// The segment carries no TCP-AO option (unsigned, or MD5).
    NoAoOption,
    /// The option's MAC is longer than the algorithm's output.
    MacTooLong {
        /// The MAC length the option has room for.
        mac_len: usize,
        /// The algorithm's output length.
        max: usize,
    },
    /// The algorithm's PRF cannot be keyed with a key of this length
    /// (AES-128-CMAC takes 16 bytes only).
    KeyRefused {
        /// The algorithm.
        algorithm: Algorithm,
        /// The length of the key it was given.
        key_len: usize,
    },
}

impl fmt::Display for AoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AoError::BadHeader {
                header_len,
                segment_len,
            } => write!(
                f,
                "TCP header length {header_len} invalid for a {segment_len}-byte segment"
            ),
            AoError::TooLong { segment_len } => write!(
                f,
                "IPv4 segment of {segment_len} bytes does not fit the pseudo-header"
            ),
            AoError::Malformed(m) => write!(f, "malformed authentication options: {m}"),
            AoError::NoAoOption => f.write_str("the segment carries no TCP-AO option"),
            AoError::MacTooLong { mac_len, max } => write!(
                f,
                "a {mac_len}-byte MAC is longer than the algorithm's {max}-byte output"
            ),
            AoError::KeyRefused { algorithm, key_len } => write!(
                f,
                "the {algorithm} PRF cannot be keyed with a {key_len}-byte key"
            ),
        }
    }
}

impl std::error::Error for AoError {}
