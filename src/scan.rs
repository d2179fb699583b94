//! How a receiver finds the authentication option in a TCP option area.
//!
//! Three readings exist in the field and they disagree on malformed input,
//! which is exactly where a peer's segments get dropped or let through:
//!
//! - [`Semantics::Rfc2385`]: a strict reading of the RFC and RFC 9293 option
//!   rules. Every option is examined; any malformed option is an error.
//! - [`Semantics::LinuxLegacy`]: Linux before 6.7 (`tcp_parse_md5sig_option`).
//!   Errors mean "no option": the segment counts as unsigned.
//! - [`Semantics::Linux`]: Linux 6.7 and later (`tcp_do_parse_auth_options`).
//!   Errors drop the segment; the scan stops once fewer than a minimum number
//!   of bytes remain, and that minimum depends on `CONFIG_TCP_AO`.

use core::fmt;

use crate::wire::tcp_option::{MD5_OPTION_LEN, kind};

/// Which receiver's reading of the option area to model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Semantics {
    /// A strict reading of RFC 2385 (and RFC 9293 for option syntax).
    Rfc2385,
    /// Linux before 6.7.
    LinuxLegacy,
    /// Linux 6.7 and later.
    Linux {
        /// Whether the kernel was built with `CONFIG_TCP_AO`: the scan then
        /// continues while at least 5 bytes remain instead of 18, and
        /// AO options are verified instead of ignored.
        tcp_ao: bool,
    },
    /// Linux 6.7 and later without `CONFIG_TCP_AO`, with the proposed fix of
    /// the AO bypass (`docs/advisories/ao-bypass-fix.patch`): the option
    /// scan is that of [`Semantics::Linux`], but a TCP-AO option no longer
    /// exempts a segment from the MD5 check; it counts as "no MD5 option".
    LinuxAoBypassFixed,
}

impl Semantics {
    /// Every semantics of a released kernel (and the RFC), for tables,
    /// vectors and property tests.
    pub const ALL: [Semantics; 4] = [
        Semantics::Rfc2385,
        Semantics::LinuxLegacy,
        Semantics::Linux { tcp_ao: false },
        Semantics::Linux { tcp_ao: true },
    ];

    /// Semantics of proposed kernel fixes: no released kernel has them, so
    /// no kernel is probed as one; a run is held to one with `--semantics`.
    pub const PROPOSED: [Semantics; 1] = [Semantics::LinuxAoBypassFixed];

    /// A stable identifier (`rfc2385`, `linux-legacy`, `linux`, `linux-ao`,
    /// `linux-ao-bypass-fixed`).
    pub fn id(self) -> &'static str {
        match self {
            Semantics::Rfc2385 => "rfc2385",
            Semantics::LinuxLegacy => "linux-legacy",
            Semantics::Linux { tcp_ao: false } => "linux",
            Semantics::Linux { tcp_ao: true } => "linux-ao",
            Semantics::LinuxAoBypassFixed => "linux-ao-bypass-fixed",
        }
    }

    /// The released semantics a proposed one patches (itself for a released
    /// one). They differ only on segments carrying a TCP-AO option.
    pub fn released_base(self) -> Semantics {
        match self {
            Semantics::LinuxAoBypassFixed => Semantics::Linux { tcp_ao: false },
            released => released,
        }
    }

    /// Every semantics the model knows: the released ones ([`Semantics::ALL`])
    /// then the proposed ones ([`Semantics::PROPOSED`]).
    pub fn known() -> impl Iterator<Item = Semantics> {
        Semantics::ALL.into_iter().chain(Semantics::PROPOSED)
    }

    /// The semantics named by [`Semantics::id`].
    pub fn from_id(id: &str) -> Option<Semantics> {
        Semantics::known().find(|s| s.id() == id)
    }

    /// The semantics a Linux kernel of this version uses (`tcp_ao`: whether
    /// it was built with `CONFIG_TCP_AO`, which exists from 6.7).
    pub fn for_linux_version(major: u32, minor: u32, tcp_ao: bool) -> Semantics {
        if (major, minor) >= (6, 7) {
            Semantics::Linux { tcp_ao }
        } else {
            Semantics::LinuxLegacy
        }
    }

    /// Scans an option area (the bytes between the fixed TCP header and
    /// `doff*4`).
    pub fn scan(self, area: &[u8]) -> AuthScan<'_> {
        match self {
            Semantics::Rfc2385 => scan_rfc2385(area),
            Semantics::LinuxLegacy => scan_linux_legacy(area),
            Semantics::Linux { tcp_ao } => scan_linux(area, if tcp_ao { 5 } else { 18 }),
            Semantics::LinuxAoBypassFixed => scan_linux(area, 18),
        }
    }
}

impl fmt::Display for Semantics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Semantics::Rfc2385 => "RFC 2385 (strict)",
            Semantics::LinuxLegacy => "Linux < 6.7 (tcp_parse_md5sig_option)",
            Semantics::Linux { tcp_ao: false } => {
                "Linux >= 6.7 (tcp_do_parse_auth_options, CONFIG_TCP_AO=n)"
            }
            Semantics::Linux { tcp_ao: true } => {
                "Linux >= 6.7 (tcp_do_parse_auth_options, CONFIG_TCP_AO=y)"
            }
            Semantics::LinuxAoBypassFixed => {
                "Linux >= 6.7 (tcp_do_parse_auth_options, CONFIG_TCP_AO=n, AO bypass fixed)"
            }
        })
    }
}

/// The result of scanning an option area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScan<'a> {
    /// An MD5 option.
    Md5 {
        /// The digest it carries.
        digest: &'a [u8; 16],
        /// Offset of the option's kind byte in the area.
        offset: usize,
    },
    /// A TCP-AO option (kind 29), seen only by [`Semantics::Linux`].
    Ao {
        /// Offset of the option's kind byte in the area.
        offset: usize,
        /// Its length byte.
        len: u8,
    },
    /// No authentication option: the segment counts as unsigned.
    Absent(Absence),
    /// The option area is malformed: the segment is dropped before any
    /// key is looked at.
    Malformed(Malformation),
}

impl AuthScan<'_> {
    /// The MD5 digest, if one was found.
    pub fn md5_digest(&self) -> Option<&[u8; 16]> {
        match self {
            AuthScan::Md5 { digest, .. } => Some(digest),
            _ => None,
        }
    }
}

/// Why no authentication option was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absence {
    /// The whole area was examined and holds none.
    NoOption,
    /// An end-of-list option came first.
    EndOfList {
        /// Its offset.
        offset: usize,
    },
    /// Fewer bytes remained than the scan's minimum, so the rest was never
    /// examined (Linux shortcuts; `remaining` may be the whole area).
    ShortTail {
        /// Offset where the scan stopped.
        offset: usize,
        /// Bytes left there.
        remaining: usize,
    },
    /// Linux before 6.7 gives up on a malformed option and treats the
    /// segment as unsigned.
    IgnoredMalformed(Malformation),
}

/// What is wrong with an option area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformation {
    /// A length byte below 2 or beyond the remaining area, or missing.
    BadLength {
        /// The option's kind.
        kind: u8,
        /// Offset of its kind byte.
        offset: usize,
        /// Its length byte (`None` if the area ends before it).
        len: Option<u8>,
        /// Bytes left from the kind byte.
        remaining: usize,
    },
    /// An MD5 option whose length is not 18.
    Md5Length {
        /// Offset of its kind byte.
        offset: usize,
        /// Its length byte.
        len: u8,
    },
    /// An AO option too short to hold its header (length 4 or less).
    AoLength {
        /// Offset of its kind byte.
        offset: usize,
        /// Its length byte.
        len: u8,
    },
    /// A second authentication option (MD5 twice, or MD5 and AO).
    Duplicate {
        /// Kind of the first.
        first: u8,
        /// Kind of the second.
        second: u8,
        /// Offset of the second.
        offset: usize,
    },
}

impl fmt::Display for Malformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformation::BadLength {
                kind,
                offset,
                len: Some(len),
                remaining,
            } => write!(
                f,
                "option kind {kind} at offset {offset}: length {len} (must be 2..={remaining})"
            ),
            Malformation::BadLength {
                kind,
                offset,
                len: None,
                ..
            } => write!(
                f,
                "option kind {kind} at offset {offset}: length byte missing"
            ),
            Malformation::Md5Length { offset, len } => {
                write!(
                    f,
                    "MD5 option at offset {offset}: length {len}, expected 18"
                )
            }
            Malformation::AoLength { offset, len } => {
                write!(
                    f,
                    "AO option at offset {offset}: length {len}, expected > 4"
                )
            }
            Malformation::Duplicate {
                first,
                second,
                offset,
            } => write!(
                f,
                "second authentication option (kind {second} at offset {offset}) after kind {first}"
            ),
        }
    }
}

impl fmt::Display for Absence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Absence::NoOption => f.write_str("no MD5 option"),
            Absence::EndOfList { offset } => write!(f, "end-of-list at offset {offset} first"),
            Absence::ShortTail { offset, remaining } => write!(
                f,
                "scan stopped at offset {offset} with {remaining} bytes left"
            ),
            Absence::IgnoredMalformed(m) => write!(f, "malformed, ignored: {m}"),
        }
    }
}

fn md5_at(area: &[u8], offset: usize) -> Option<&[u8; 16]> {
    area.get(offset + 2..offset + MD5_OPTION_LEN)
        .and_then(|d| <&[u8; 16]>::try_from(d).ok())
}

/// The length byte of the option whose kind byte is at `offset`, checked by
/// the rule all three readings share: at least 2 and within the `remaining`
/// bytes. A missing length byte (one byte left) fails it too.
fn option_len(
    area: &[u8],
    opcode: u8,
    offset: usize,
    remaining: usize,
) -> Result<(u8, usize), Malformation> {
    let len = area.get(offset + 1).copied();
    let size = usize::from(len.unwrap_or(0));
    match len {
        Some(len) if (2..=remaining).contains(&size) => Ok((len, size)),
        _ => Err(Malformation::BadLength {
            kind: opcode,
            offset,
            len,
            remaining,
        }),
    }
}

/// Linux >= 6.7, `tcp_do_parse_auth_options`: scan while at least `minlen`
/// bytes remain; EOL ends it (keeping what was found); errors drop.
//= linux/auth-hdr-drop
fn scan_linux(area: &[u8], minlen: usize) -> AuthScan<'_> {
    let mut offset = 0usize;
    let mut found: Option<(u8, usize, u8)> = None; // (kind, offset, len)
    let finish = |found: Option<(u8, usize, u8)>, absent: Absence| match found {
        Some((kind::MD5, at, _)) => match md5_at(area, at) {
            Some(digest) => AuthScan::Md5 { digest, offset: at },
            None => AuthScan::Absent(absent),
        },
        Some((_, at, len)) => AuthScan::Ao { offset: at, len },
        None => AuthScan::Absent(absent),
    };
    loop {
        let remaining = area.len().saturating_sub(offset);
        if remaining < minlen {
            let absence = if remaining == 0 {
                Absence::NoOption
            } else {
                Absence::ShortTail { offset, remaining }
            };
            return finish(found, absence);
        }
        let Some(&opcode) = area.get(offset) else {
            return finish(found, Absence::NoOption);
        };
        match opcode {
            kind::EOL => return finish(found, Absence::EndOfList { offset }),
            kind::NOP => {
                offset += 1;
                continue;
            }
            _ => {}
        }
        // minlen >= 5 guarantees the length byte is inside the area.
        let (len, size) = match option_len(area, opcode, offset, remaining) {
            Ok(l) => l,
            Err(m) => return AuthScan::Malformed(m),
        };
        if opcode == kind::MD5 || opcode == kind::AO {
            if opcode == kind::MD5 && size != MD5_OPTION_LEN {
                return AuthScan::Malformed(Malformation::Md5Length { offset, len });
            }
            if opcode == kind::AO && size <= 4 {
                return AuthScan::Malformed(Malformation::AoLength { offset, len });
            }
            if let Some((first, _, _)) = found {
                return AuthScan::Malformed(Malformation::Duplicate {
                    first,
                    second: opcode,
                    offset,
                });
            }
            found = Some((opcode, offset, len));
        }
        offset += size;
    }
}

/// Linux < 6.7, `tcp_parse_md5sig_option`: nothing under 18 bytes; the first
/// MD5 option of length 18 wins; any error means "no option".
//= linux/parse-legacy
fn scan_linux_legacy(area: &[u8]) -> AuthScan<'_> {
    if area.len() < MD5_OPTION_LEN {
        return AuthScan::Absent(Absence::ShortTail {
            offset: 0,
            remaining: area.len(),
        });
    }
    let mut offset = 0usize;
    while let Some(&opcode) = area.get(offset) {
        let remaining = area.len() - offset;
        match opcode {
            kind::EOL => return AuthScan::Absent(Absence::EndOfList { offset }),
            kind::NOP => {
                offset += 1;
                continue;
            }
            _ => {}
        }
        // With one byte left the kernel reads the length from beyond the
        // option area; whatever it is, it exceeds what remains.
        let (len, size) = match option_len(area, opcode, offset, remaining) {
            Ok(l) => l,
            Err(m) => return AuthScan::Absent(Absence::IgnoredMalformed(m)),
        };
        if opcode == kind::MD5 {
            return match md5_at(area, offset) {
                Some(digest) if size == MD5_OPTION_LEN => AuthScan::Md5 { digest, offset },
                _ => AuthScan::Absent(Absence::IgnoredMalformed(Malformation::Md5Length {
                    offset,
                    len,
                })),
            };
        }
        offset += size;
    }
    AuthScan::Absent(Absence::NoOption)
}

/// A strict reading: every option up to EOL is examined; bad lengths, an MD5
/// option of the wrong length and a second MD5 option are errors. Kind 29
/// is an unknown option to RFC 2385.
fn scan_rfc2385(area: &[u8]) -> AuthScan<'_> {
    let mut offset = 0usize;
    let mut found: Option<usize> = None;
    let done = |found: Option<usize>, absent: Absence| match found
        .and_then(|at| md5_at(area, at).map(|d| (at, d)))
    {
        Some((offset, digest)) => AuthScan::Md5 { digest, offset },
        None => AuthScan::Absent(absent),
    };
    while let Some(&opcode) = area.get(offset) {
        let remaining = area.len() - offset;
        match opcode {
            //= 9293-3.1/option-list
            //# This option code indicates the end of the option list.
            kind::EOL => return done(found, Absence::EndOfList { offset }),
            kind::NOP => {
                offset += 1;
                continue;
            }
            _ => {}
        }
        let (len, size) = match option_len(area, opcode, offset, remaining) {
            Ok(l) => l,
            Err(m) => return AuthScan::Malformed(m),
        };
        if opcode == kind::MD5 {
            //= 3.0/option-syntax
            //# Kind=19 Length=18 bytes
            if size != MD5_OPTION_LEN {
                return AuthScan::Malformed(Malformation::Md5Length { offset, len });
            }
            if found.is_some() {
                return AuthScan::Malformed(Malformation::Duplicate {
                    first: kind::MD5,
                    second: kind::MD5,
                    offset,
                });
            }
            found = Some(offset);
        }
        offset += size;
    }
    done(found, Absence::NoOption)
}

#[cfg(test)]
mod tests;
