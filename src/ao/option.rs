//! The TCP-AO option (RFC 5925 §2.2): kind 29, length, KeyID, RNextKeyID,
//! MAC. A view over the option's bytes that never panics.
//!
//! Where it sits is decided the way Linux with `CONFIG_TCP_AO` decides it
//! ([`crate::Semantics::Linux`], `tcp_do_parse_auth_options`): one AO
//! option at most, never next to an MD5 option, and a length above 4 (a
//! MAC of at least one byte); anything else is malformed and the segment is
//! dropped as `TCP_AUTH_HDR` before a key is looked at.

use core::fmt;

use crate::Semantics;
use crate::scan::{AuthScan, Malformation};
use crate::wire::tcp_option::kind;

/// The AO option's fixed part: kind, length, KeyID, RNextKeyID.
pub const AO_HEADER_LEN: usize = 4;

/// A TCP-AO option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AoOption<'a> {
    key_id: u8,
    rnext_key_id: u8,
    mac: &'a [u8],
}

/// Why bytes are not a TCP-AO option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AoOptionError {
    /// The first byte is not kind 29.
    NotAo {
        /// The kind found (`None` for no byte at all).
        kind: Option<u8>,
    },
    /// The length byte is 4 or less: no room for a MAC.
    TooShort {
        /// The length byte (`None` if missing).
        len: Option<u8>,
    },
    /// The length byte runs past the bytes given.
    Truncated {
        /// The length byte.
        len: u8,
        /// The bytes available from the kind byte.
        available: usize,
    },
}

impl fmt::Display for AoOptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AoOptionError::NotAo { kind: Some(k) } => {
                write!(f, "option kind {k} is not TCP-AO (29)")
            }
            AoOptionError::NotAo { kind: None } => f.write_str("no option bytes"),
            AoOptionError::TooShort { len: Some(l) } => {
                write!(
                    f,
                    "TCP-AO option length {l} leaves no room for a MAC (needs 5 or more)"
                )
            }
            AoOptionError::TooShort { len: None } => {
                f.write_str("TCP-AO option without a length byte")
            }
            AoOptionError::Truncated { len, available } => write!(
                f,
                "TCP-AO option length {len} runs past the {available} bytes left"
            ),
        }
    }
}

impl std::error::Error for AoOptionError {}

impl<'a> AoOption<'a> {
    /// The option starting at `bytes[0]` (its kind byte); bytes after its
    /// length are ignored.
    pub fn parse(bytes: &'a [u8]) -> Result<AoOption<'a>, AoOptionError> {
        let k = bytes.first().copied();
        if k != Some(kind::AO) {
            return Err(AoOptionError::NotAo { kind: k });
        }
        let len = bytes.get(1).copied();
        let Some(len) = len.filter(|&l| usize::from(l) > AO_HEADER_LEN) else {
            return Err(AoOptionError::TooShort { len });
        };
        let option = bytes
            .get(..usize::from(len))
            .ok_or(AoOptionError::Truncated {
                len,
                available: bytes.len(),
            })?;
        match option {
            [_, _, key_id, rnext_key_id, mac @ ..] => Ok(AoOption {
                key_id: *key_id,
                rnext_key_id: *rnext_key_id,
                mac,
            }),
            _ => Err(AoOptionError::TooShort { len: Some(len) }),
        }
    }

    /// The sender's KeyID: the `SendID` of the MKT that signed the segment,
    /// which the receiver matches against its MKTs' `RecvID`.
    pub fn key_id(&self) -> u8 {
        self.key_id
    }

    /// The KeyID the sender wants to receive with (its next `RecvID`).
    pub fn rnext_key_id(&self) -> u8 {
        self.rnext_key_id
    }

    /// The MAC the option carries (length byte less 4).
    pub fn mac(&self) -> &'a [u8] {
        self.mac
    }

    /// The option's length byte.
    pub fn len(&self) -> usize {
        AO_HEADER_LEN + self.mac.len()
    }

    /// Never true: a parsed option carries a MAC of at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Where the AO option of a TCP option area is, as Linux finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AoLocation<'a> {
    /// One AO option, at `offset` in the area.
    Ao {
        /// Offset of its kind byte in the option area.
        offset: usize,
        /// The option.
        option: AoOption<'a>,
    },
    /// An MD5 option and no AO option.
    Md5 {
        /// Offset of its kind byte in the option area.
        offset: usize,
    },
    /// No authentication option: the segment is unsigned.
    Unsigned,
}

/// The authentication option of `area` (bytes 20..doff*4 of a TCP header)
/// as Linux 6.7+ with `CONFIG_TCP_AO` reads it; `Err` where it drops the
/// segment as `TCP_AUTH_HDR` (malformed, MD5 and AO, two of either).
pub fn locate(area: &[u8]) -> Result<AoLocation<'_>, Malformation> {
    match (Semantics::Linux { tcp_ao: true }).scan(area) {
        AuthScan::Ao { offset, len } => {
            let option = area
                .get(offset..)
                .and_then(|b| AoOption::parse(b).ok())
                .ok_or(Malformation::AoLength { offset, len })?;
            Ok(AoLocation::Ao { offset, option })
        }
        AuthScan::Md5 { offset, .. } => Ok(AoLocation::Md5 { offset }),
        AuthScan::Absent(_) => Ok(AoLocation::Unsigned),
        AuthScan::Malformed(m) => Err(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_fields() {
        let bytes = [29, 16, 61, 84, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xaa];
        let o = AoOption::parse(&bytes).unwrap();
        assert_eq!((o.key_id(), o.rnext_key_id()), (61, 84));
        assert_eq!(o.mac(), &bytes[4..16]);
        assert_eq!(o.len(), 16);
        assert!(!o.is_empty());
    }

    #[test]
    fn rejects_what_is_not_an_ao_option() {
        assert_eq!(
            AoOption::parse(&[]),
            Err(AoOptionError::NotAo { kind: None })
        );
        assert_eq!(
            AoOption::parse(&[19, 18]),
            Err(AoOptionError::NotAo { kind: Some(19) })
        );
        assert_eq!(
            AoOption::parse(&[29]),
            Err(AoOptionError::TooShort { len: None })
        );
        assert_eq!(
            AoOption::parse(&[29, 4, 1, 2]),
            Err(AoOptionError::TooShort { len: Some(4) })
        );
        assert_eq!(
            AoOption::parse(&[29, 6, 1, 2, 3]),
            Err(AoOptionError::Truncated {
                len: 6,
                available: 5
            })
        );
        let one = AoOption::parse(&[29, 5, 1, 2, 3]).unwrap();
        assert_eq!(one.mac(), &[3]);
        assert_eq!(one.len(), 5);
        for e in [
            AoOptionError::NotAo { kind: None },
            AoOptionError::TooShort { len: Some(4) },
            AoOptionError::Truncated {
                len: 6,
                available: 5,
            },
        ] {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn locates_as_linux_does() {
        // NOP NOP AO(16) after MSS.
        let mut area = vec![2, 4, 5, 0xb4, 1, 1, 29, 16, 3, 4];
        area.extend([0u8; 12]);
        match locate(&area).unwrap() {
            AoLocation::Ao { offset, option } => {
                assert_eq!(offset, 6);
                assert_eq!(option.key_id(), 3);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(locate(&[1, 1, 1, 1]).unwrap(), AoLocation::Unsigned);
        let mut md5 = vec![1, 1, 19, 18];
        md5.extend([0u8; 16]);
        assert_eq!(locate(&md5).unwrap(), AoLocation::Md5 { offset: 2 });
        // MD5 and AO together, and two AO options: malformed.
        let mut both = md5.clone();
        both.extend([29, 5, 1, 1, 0, 0, 0, 0]);
        assert!(matches!(locate(&both), Err(Malformation::Duplicate { .. })));
        let two = [29, 5, 1, 1, 0, 29, 5, 1, 1, 0, 0, 0];
        assert!(matches!(locate(&two), Err(Malformation::Duplicate { .. })));
        assert!(matches!(
            locate(&[29, 4, 1, 1, 0, 0]),
            Err(Malformation::AoLength { .. })
        ));
    }
}
