//! TCP options, parsed one at a time as `(rest, option)`.
//!
//! This is the generic reading of RFC 9293: EOL ends the list, NOP is one
//! byte, every other kind has a length byte of at least 2 that must fit.
//! Unknown kinds are kept as [`TcpOption::Unknown`]. How the *kernel* looks
//! for the MD5 option differs from this and is modelled in [`crate::scan`].

use core::fmt;

/// Option kinds this crate names.
pub mod kind {
    /// End of option list.
    pub const EOL: u8 = 0;
    /// No-operation.
    pub const NOP: u8 = 1;
    /// Maximum segment size.
    pub const MSS: u8 = 2;
    /// Window scale.
    pub const WINDOW_SCALE: u8 = 3;
    /// SACK permitted.
    pub const SACK_PERMITTED: u8 = 4;
    /// SACK blocks.
    pub const SACK: u8 = 5;
    /// Timestamps.
    pub const TIMESTAMPS: u8 = 8;
    /// MD5 signature (RFC 2385).
    pub const MD5: u8 = 19;
    /// TCP Authentication Option (RFC 5925).
    pub const AO: u8 = 29;
}

/// Length of the MD5 signature option (kind, length, 16-byte digest).
pub const MD5_OPTION_LEN: usize = 18;

/// One TCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// Kind 0: end of the option list.
    EndOfList,
    /// Kind 1: padding.
    NoOperation,
    /// Kind 2.
    MaxSegmentSize(u16),
    /// Kind 3: the shift count.
    WindowScale(u8),
    /// Kind 4.
    SackPermitted,
    /// Kind 5: SACK blocks, 8 bytes each (left and right edge).
    Sack(&'a [u8]),
    /// Kind 8.
    Timestamps {
        /// TSval.
        tsval: u32,
        /// TSecr.
        tsecr: u32,
    },
    /// Kind 19: the RFC 2385 digest.
    Md5Signature(&'a [u8; 16]),
    /// Kind 29: the RFC 5925 authentication option.
    Authentication {
        /// KeyID.
        key_id: u8,
        /// RNextKeyID.
        rnext_key_id: u8,
        /// The MAC.
        mac: &'a [u8],
    },
    /// Any other kind, kept as is.
    Unknown {
        /// The kind byte.
        kind: u8,
        /// The bytes after the length byte.
        data: &'a [u8],
    },
}

/// Why an option could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionError {
    /// The option runs past the end of the option area.
    Truncated {
        /// The kind byte.
        kind: u8,
        /// Bytes the option needs.
        expected_len: usize,
        /// Bytes left in the area.
        actual_len: usize,
    },
    /// The length byte is wrong for the kind.
    BadLength {
        /// The kind byte.
        kind: u8,
        /// The length the kind requires (the minimum, for variable kinds).
        expected_len: usize,
        /// The length byte found.
        actual_len: usize,
    },
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionError::Truncated {
                kind,
                expected_len,
                actual_len,
            } => write!(
                f,
                "option kind {kind} truncated: needs {expected_len} bytes, {actual_len} left"
            ),
            OptionError::BadLength {
                kind,
                expected_len,
                actual_len,
            } => write!(
                f,
                "option kind {kind}: length {actual_len}, expected {expected_len}"
            ),
        }
    }
}

impl std::error::Error for OptionError {}

fn be32(b: &[u8]) -> u32 {
    match b {
        &[a, b, c, d] => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

impl<'a> TcpOption<'a> {
    /// Parses the option at the start of `buf`, returning the bytes after it.
    /// `buf` must not be empty.
    pub fn parse(buf: &'a [u8]) -> Result<(&'a [u8], TcpOption<'a>), OptionError> {
        let Some((&kind, after_kind)) = buf.split_first() else {
            return Err(OptionError::Truncated {
                kind: 0,
                expected_len: 1,
                actual_len: 0,
            });
        };
        match kind {
            kind::EOL => return Ok((after_kind, TcpOption::EndOfList)),
            kind::NOP => return Ok((after_kind, TcpOption::NoOperation)),
            _ => {}
        }
        let Some(&len_byte) = after_kind.first() else {
            return Err(OptionError::Truncated {
                kind,
                expected_len: 2,
                actual_len: buf.len(),
            });
        };
        let len = usize::from(len_byte);
        if len < 2 {
            return Err(OptionError::BadLength {
                kind,
                expected_len: 2,
                actual_len: len,
            });
        }
        let (Some(data), Some(rest)) = (buf.get(2..len), buf.get(len..)) else {
            return Err(OptionError::Truncated {
                kind,
                expected_len: len,
                actual_len: buf.len(),
            });
        };
        let exact = |want: usize| {
            if len == want {
                Ok(())
            } else {
                Err(OptionError::BadLength {
                    kind,
                    expected_len: want,
                    actual_len: len,
                })
            }
        };
        let option = match kind {
            kind::MSS => {
                exact(4)?;
                match *data {
                    [hi, lo] => TcpOption::MaxSegmentSize(u16::from_be_bytes([hi, lo])),
                    _ => TcpOption::Unknown { kind, data },
                }
            }
            kind::WINDOW_SCALE => {
                exact(3)?;
                TcpOption::WindowScale(data.first().copied().unwrap_or(0))
            }
            kind::SACK_PERMITTED => {
                exact(2)?;
                TcpOption::SackPermitted
            }
            kind::SACK => {
                if data.is_empty() || !data.len().is_multiple_of(8) {
                    return Err(OptionError::BadLength {
                        kind,
                        expected_len: 10,
                        actual_len: len,
                    });
                }
                TcpOption::Sack(data)
            }
            kind::TIMESTAMPS => {
                exact(10)?;
                let (a, b) = data.split_at(4);
                TcpOption::Timestamps {
                    tsval: be32(a),
                    tsecr: be32(b),
                }
            }
            kind::MD5 => {
                exact(MD5_OPTION_LEN)?;
                match <&[u8; 16]>::try_from(data) {
                    Ok(digest) => TcpOption::Md5Signature(digest),
                    Err(_) => TcpOption::Unknown { kind, data },
                }
            }
            kind::AO => match *data {
                [key_id, rnext_key_id, ref mac @ ..] => TcpOption::Authentication {
                    key_id,
                    rnext_key_id,
                    mac,
                },
                _ => {
                    return Err(OptionError::BadLength {
                        kind,
                        expected_len: 4,
                        actual_len: len,
                    });
                }
            },
            _ => TcpOption::Unknown { kind, data },
        };
        Ok((rest, option))
    }

    /// The kind byte.
    pub fn kind(&self) -> u8 {
        match self {
            TcpOption::EndOfList => kind::EOL,
            TcpOption::NoOperation => kind::NOP,
            TcpOption::MaxSegmentSize(_) => kind::MSS,
            TcpOption::WindowScale(_) => kind::WINDOW_SCALE,
            TcpOption::SackPermitted => kind::SACK_PERMITTED,
            TcpOption::Sack(_) => kind::SACK,
            TcpOption::Timestamps { .. } => kind::TIMESTAMPS,
            TcpOption::Md5Signature(_) => kind::MD5,
            TcpOption::Authentication { .. } => kind::AO,
            TcpOption::Unknown { kind, .. } => *kind,
        }
    }

    /// Bytes [`TcpOption::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::NoOperation => 1,
            TcpOption::MaxSegmentSize(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::Sack(d) => 2 + d.len(),
            TcpOption::Timestamps { .. } => 10,
            TcpOption::Md5Signature(_) => MD5_OPTION_LEN,
            TcpOption::Authentication { mac, .. } => 4 + mac.len(),
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Writes the option at the start of `buf`, returning the bytes written.
    /// Returns `None` if `buf` is too short or the option too long for a
    /// length byte.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let len = self.buffer_len();
        let out = buf.get_mut(..len)?;
        let len_byte = u8::try_from(len).ok()?;
        let (head, body) = out.split_at_mut(len.min(2));
        if let Some(k) = head.first_mut() {
            *k = self.kind();
        }
        if let Some(l) = head.get_mut(1) {
            *l = len_byte;
        }
        match self {
            TcpOption::EndOfList | TcpOption::NoOperation | TcpOption::SackPermitted => {}
            TcpOption::MaxSegmentSize(v) => body.copy_from_slice(&v.to_be_bytes()),
            TcpOption::WindowScale(v) => body.copy_from_slice(&[*v]),
            TcpOption::Sack(d) | TcpOption::Unknown { data: d, .. } => body.copy_from_slice(d),
            TcpOption::Timestamps { tsval, tsecr } => {
                let (a, b) = body.split_at_mut(4);
                a.copy_from_slice(&tsval.to_be_bytes());
                b.copy_from_slice(&tsecr.to_be_bytes());
            }
            TcpOption::Md5Signature(d) => body.copy_from_slice(&d[..]),
            TcpOption::Authentication {
                key_id,
                rnext_key_id,
                mac,
            } => {
                let (ids, rest) = body.split_at_mut(2);
                ids.copy_from_slice(&[*key_id, *rnext_key_id]);
                rest.copy_from_slice(mac);
            }
        }
        Some(len)
    }
}

/// Iterates over an option area. Yields each option with its offset in the
/// area; stops after EOL, at the end, or after the first error.
#[derive(Debug, Clone)]
pub struct TcpOptions<'a> {
    area: &'a [u8],
    offset: usize,
    done: bool,
}

impl<'a> TcpOptions<'a> {
    /// Iterates over `area` (the bytes between the fixed header and `doff*4`).
    pub fn new(area: &'a [u8]) -> TcpOptions<'a> {
        TcpOptions {
            area,
            offset: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for TcpOptions<'a> {
    type Item = Result<(usize, TcpOption<'a>), OptionError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.area.get(self.offset..).unwrap_or(&[]);
        if rest.is_empty() {
            self.done = true;
            return None;
        }
        match TcpOption::parse(rest) {
            Ok((after, option)) => {
                let at = self.offset;
                self.offset = self.area.len() - after.len();
                if option == TcpOption::EndOfList {
                    self.done = true;
                }
                Some(Ok((at, option)))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for TcpOptions<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    // A SACK option holds whole 8-byte blocks, at least one.
    #[test]
    fn sack_needs_whole_blocks() {
        for (len, ok) in [
            (2u8, false),
            (7, false),
            (10, true),
            (11, false),
            (18, true),
        ] {
            let mut area = vec![kind::SACK, len];
            area.resize(usize::from(len), 0);
            let got = TcpOptions::new(&area).next().map(|r| r.map(|o| o.1));
            if ok {
                assert!(
                    matches!(got, Some(Ok(TcpOption::Sack(d))) if d.len() == usize::from(len) - 2)
                );
            } else {
                assert_eq!(
                    got,
                    Some(Err(OptionError::BadLength {
                        kind: kind::SACK,
                        expected_len: 10,
                        actual_len: usize::from(len),
                    })),
                    "length {len}"
                );
            }
        }
    }

    #[test]
    fn errors_say_which_option_and_how_long() {
        let truncated = OptionError::Truncated {
            kind: 8,
            expected_len: 10,
            actual_len: 6,
        };
        assert_eq!(
            truncated.to_string(),
            "option kind 8 truncated: needs 10 bytes, 6 left"
        );
        let bad = OptionError::BadLength {
            kind: 2,
            expected_len: 4,
            actual_len: 3,
        };
        assert_eq!(bad.to_string(), "option kind 2: length 3, expected 4");
    }

    #[test]
    fn parses_common_options() {
        let area = [
            2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
        ];
        let opts: Vec<_> = TcpOptions::new(&area).map(|r| r.unwrap().1).collect();
        assert_eq!(
            opts,
            vec![
                TcpOption::MaxSegmentSize(1460),
                TcpOption::NoOperation,
                TcpOption::WindowScale(7),
                TcpOption::SackPermitted,
                TcpOption::Timestamps { tsval: 1, tsecr: 2 },
            ]
        );
    }

    #[test]
    fn md5_and_unknown_are_kept() {
        let mut area = vec![19, 18];
        area.extend(1..=16u8);
        area.extend([99, 3, 0xaa]);
        let opts: Vec<_> = TcpOptions::new(&area).map(|r| r.unwrap()).collect();
        let digest: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
        assert_eq!(opts[0], (0, TcpOption::Md5Signature(&digest)));
        assert_eq!(
            opts[1],
            (
                18,
                TcpOption::Unknown {
                    kind: 99,
                    data: &[0xaa]
                }
            )
        );
    }

    #[test]
    fn errors_carry_kind_and_lengths() {
        assert_eq!(
            TcpOption::parse(&[19, 17, 0]),
            Err(OptionError::Truncated {
                kind: 19,
                expected_len: 17,
                actual_len: 3
            })
        );
        let mut short_md5 = vec![19, 17];
        short_md5.extend([0; 15]);
        assert_eq!(
            TcpOption::parse(&short_md5),
            Err(OptionError::BadLength {
                kind: 19,
                expected_len: 18,
                actual_len: 17
            })
        );
        assert_eq!(
            TcpOption::parse(&[8, 1]),
            Err(OptionError::BadLength {
                kind: 8,
                expected_len: 2,
                actual_len: 1
            })
        );
        assert_eq!(
            TcpOption::parse(&[5]),
            Err(OptionError::Truncated {
                kind: 5,
                expected_len: 2,
                actual_len: 1
            })
        );
    }

    #[test]
    fn eol_stops_iteration() {
        let area = [1, 0, 2, 4, 5, 0xb4];
        let opts: Vec<_> = TcpOptions::new(&area).collect();
        assert_eq!(opts.len(), 2);
    }

    #[test]
    fn emit_round_trips() {
        let digest = [7u8; 16];
        let options = [
            TcpOption::MaxSegmentSize(536),
            TcpOption::WindowScale(14),
            TcpOption::SackPermitted,
            TcpOption::Sack(&[1, 2, 3, 4, 5, 6, 7, 8]),
            TcpOption::Timestamps {
                tsval: 9,
                tsecr: 10,
            },
            TcpOption::Md5Signature(&digest),
            TcpOption::Authentication {
                key_id: 1,
                rnext_key_id: 2,
                mac: &[3; 12],
            },
            TcpOption::Unknown {
                kind: 254,
                data: &[1, 2],
            },
            TcpOption::Unknown {
                kind: 253,
                data: &[1, 2, 3],
            },
            TcpOption::NoOperation,
        ];
        for option in options {
            let mut buf = [0u8; 40];
            let n = option.emit(&mut buf).unwrap();
            assert_eq!(n, option.buffer_len());
            let (rest, parsed) = TcpOption::parse(&buf[..n]).unwrap();
            assert!(rest.is_empty());
            assert_eq!(parsed, option);
        }
    }
}
