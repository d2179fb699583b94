//! Errors of the wire views, with the context a reader needs to find the bad byte.

use core::fmt;

/// The protocol layer an error was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// The IPv4 header.
    Ipv4,
    /// The IPv6 fixed header.
    Ipv6,
    /// An IPv6 extension header.
    Ipv6Extension,
    /// The TCP header.
    Tcp,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Ipv4 => "IPv4 header",
            Layer::Ipv6 => "IPv6 header",
            Layer::Ipv6Extension => "IPv6 extension header",
            Layer::Tcp => "TCP header",
        })
    }
}

/// Why bytes could not be viewed as a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// Fewer bytes than the header (or a length field) requires.
    Truncated {
        /// Where.
        layer: Layer,
        /// Bytes required.
        expected_len: usize,
        /// Bytes present.
        actual_len: usize,
    },
    /// The version nibble is not the one of the layer.
    BadVersion {
        /// Where.
        layer: Layer,
        /// The version the layer requires.
        expected: u8,
        /// The version found.
        actual: u8,
    },
    /// A header length field is below the minimum or beyond its packet.
    BadHeaderLen {
        /// Where.
        layer: Layer,
        /// The minimum header length.
        min_len: usize,
        /// The header length the field claims.
        actual_len: usize,
    },
    /// The IPv4 total length is shorter than its own header.
    BadTotalLen {
        /// The header length.
        header_len: usize,
        /// The total length field.
        total_len: usize,
    },
    /// The packet does not carry TCP.
    NotTcp {
        /// The protocol or final next-header value found.
        protocol: u8,
    },
    /// A fragment: RFC 2385 digests are computed over whole segments only.
    Fragmented,
    /// A version byte that is neither 4 nor 6.
    UnknownVersion {
        /// The version nibble.
        version: u8,
    },
    /// More IPv6 extension headers than the walk allows (a loop guard).
    TooManyExtensionHeaders {
        /// The limit.
        limit: usize,
    },
    /// A length does not fit its field (e.g. an IPv4 segment over 65535 bytes).
    LengthOverflow {
        /// Where.
        layer: Layer,
        /// The length that did not fit.
        len: usize,
    },
    /// The destination buffer of an emit is too small.
    BufferTooSmall {
        /// Bytes needed.
        expected_len: usize,
        /// Bytes available.
        actual_len: usize,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated {
                layer,
                expected_len,
                actual_len,
            } => write!(
                f,
                "{layer} truncated: need {expected_len} bytes, have {actual_len}"
            ),
            WireError::BadVersion {
                layer,
                expected,
                actual,
            } => write!(f, "{layer}: version {actual}, expected {expected}"),
            WireError::BadHeaderLen {
                layer,
                min_len,
                actual_len,
            } => write!(
                f,
                "{layer}: header length {actual_len} invalid (minimum {min_len}, or beyond the packet)"
            ),
            WireError::BadTotalLen {
                header_len,
                total_len,
            } => write!(
                f,
                "IPv4 total length {total_len} is shorter than its header ({header_len})"
            ),
            WireError::NotTcp { protocol } => write!(f, "not TCP (protocol {protocol})"),
            WireError::Fragmented => f.write_str("IP fragment: only whole segments can be checked"),
            WireError::UnknownVersion { version } => write!(f, "unknown IP version {version}"),
            WireError::TooManyExtensionHeaders { limit } => {
                write!(f, "more than {limit} IPv6 extension headers")
            }
            WireError::LengthOverflow { layer, len } => {
                write!(f, "{layer}: length {len} does not fit its field")
            }
            WireError::BufferTooSmall {
                expected_len,
                actual_len,
            } => write!(
                f,
                "output buffer too small: need {expected_len} bytes, have {actual_len}"
            ),
        }
    }
}

impl std::error::Error for WireError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_layer_and_the_lengths() {
        let cases = [
            (
                WireError::Truncated {
                    layer: Layer::Ipv6Extension,
                    expected_len: 48,
                    actual_len: 44,
                },
                "IPv6 extension header truncated: need 48 bytes, have 44",
            ),
            (
                WireError::BadVersion {
                    layer: Layer::Ipv4,
                    expected: 4,
                    actual: 6,
                },
                "IPv4 header: version 6, expected 4",
            ),
            (
                WireError::BadHeaderLen {
                    layer: Layer::Tcp,
                    min_len: 20,
                    actual_len: 16,
                },
                "TCP header: header length 16 invalid (minimum 20, or beyond the packet)",
            ),
            (
                WireError::LengthOverflow {
                    layer: Layer::Ipv6,
                    len: 65536,
                },
                "IPv6 header: length 65536 does not fit its field",
            ),
            (
                WireError::BadTotalLen {
                    header_len: 24,
                    total_len: 23,
                },
                "IPv4 total length 23 is shorter than its header (24)",
            ),
            (WireError::NotTcp { protocol: 17 }, "not TCP (protocol 17)"),
            (
                WireError::Fragmented,
                "IP fragment: only whole segments can be checked",
            ),
            (
                WireError::UnknownVersion { version: 5 },
                "unknown IP version 5",
            ),
            (
                WireError::TooManyExtensionHeaders { limit: 16 },
                "more than 16 IPv6 extension headers",
            ),
            (
                WireError::BufferTooSmall {
                    expected_len: 24,
                    actual_len: 23,
                },
                "output buffer too small: need 24 bytes, have 23",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }
}
