//! Literal transcriptions of the three option scans, kept as close to the
//! C as Rust allows: an `int length` counting down, a `ptr` walking up.
//!
//! These are the oracle of the `auth_scan` target; do not "simplify" them
//! into the library's shape.

use tcpmd5::Semantics;
use tcpmd5::scan::AuthScan;

const TCPOPT_EOL: u8 = 0;
const TCPOPT_NOP: u8 = 1;
const TCPOPT_MD5SIG: u8 = 19;
const TCPOPT_AO: u8 = 29;
const TCPOLEN_MD5SIG: i32 = 18;
/// `sizeof(struct tcp_ao_hdr)`: kind, length, keyid, rnext_keyid.
const TCP_AO_HDR_LEN: i32 = 4;

/// What a scan decided, reduced to what the verdict depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An MD5 option whose kind byte is at this offset of the area.
    Md5(usize),
    /// An AO option at this offset, with this length byte.
    Ao(usize, u8),
    /// No option: the segment counts as unsigned.
    Absent,
    /// Malformed options: the segment is dropped (offset of the option the
    /// scan failed on).
    Malformed(usize),
}

/// The outcome of the library's scan.
pub fn classify(scan: &AuthScan<'_>) -> Outcome {
    use tcpmd5::scan::Malformation as M;
    match *scan {
        AuthScan::Md5 { offset, .. } => Outcome::Md5(offset),
        AuthScan::Ao { offset, len } => Outcome::Ao(offset, len),
        AuthScan::Absent(_) => Outcome::Absent,
        AuthScan::Malformed(m) => Outcome::Malformed(match m {
            M::BadLength { offset, .. }
            | M::Md5Length { offset, .. }
            | M::AoLength { offset, .. }
            | M::Duplicate { offset, .. } => offset,
        }),
    }
}

/// The model's outcome under `semantics`.
pub fn model_scan(semantics: Semantics, area: &[u8]) -> Outcome {
    match semantics {
        Semantics::Rfc2385 => rfc2385_strict(area),
        Semantics::LinuxLegacy => tcp_parse_md5sig_option(area),
        Semantics::Linux { tcp_ao } => {
            // minlen = TCPOLEN_MD5SIG, or sizeof(struct tcp_ao_hdr) + 1
            // when IS_ENABLED(CONFIG_TCP_AO).
            let minlen = if tcp_ao {
                TCP_AO_HDR_LEN + 1
            } else {
                TCPOLEN_MD5SIG
            };
            tcp_do_parse_auth_options(area, minlen)
        }
        // The proposed fix changes what an AO option means, not the parse.
        Semantics::LinuxAoBypassFixed => tcp_do_parse_auth_options(area, TCPOLEN_MD5SIG),
    }
}

/// `*ptr` where the kernel may read past the option area: `None` there
/// (the byte is whatever follows in the skb, unknown to the model).
fn deref(area: &[u8], ptr: usize) -> Option<u8> {
    area.get(ptr).copied()
}

/// Linux < 6.7, net/ipv4/tcp_input.c:
///
/// ```c
/// int length = (th->doff << 2) - sizeof(*th);
/// const u8 *ptr = (const u8 *)(th + 1);
/// if (length < TCPOLEN_MD5SIG)
///     return NULL;
/// while (length > 0) {
///     int opcode = *ptr++;
///     int opsize;
///     switch (opcode) {
///     case TCPOPT_EOL:
///         return NULL;
///     case TCPOPT_NOP:
///         length--;
///         continue;
///     default:
///         opsize = *ptr++;
///         if (opsize < 2 || opsize > length)
///             return NULL;
///         if (opcode == TCPOPT_MD5SIG)
///             return opsize == TCPOLEN_MD5SIG ? ptr : NULL;
///     }
///     ptr += opsize - 2;
///     length -= opsize;
/// }
/// return NULL;
/// ```
pub fn tcp_parse_md5sig_option(area: &[u8]) -> Outcome {
    let mut length = area.len() as i32;
    let mut ptr = 0usize;
    if length < TCPOLEN_MD5SIG {
        return Outcome::Absent;
    }
    while length > 0 {
        let Some(opcode) = deref(area, ptr) else {
            return Outcome::Absent;
        };
        ptr += 1;
        match opcode {
            TCPOPT_EOL => return Outcome::Absent,
            TCPOPT_NOP => {
                length -= 1;
                continue;
            }
            _ => {
                // With exactly one byte left this reads past the area; any
                // value there is < 2 or > length (1): "no option".
                let Some(size) = deref(area, ptr) else {
                    return Outcome::Absent;
                };
                ptr += 1;
                let opsize = i32::from(size);
                if opsize < 2 || opsize > length {
                    return Outcome::Absent;
                }
                if opcode == TCPOPT_MD5SIG {
                    return if opsize == TCPOLEN_MD5SIG {
                        Outcome::Md5(ptr - 2)
                    } else {
                        Outcome::Absent
                    };
                }
                ptr += (opsize - 2) as usize;
                length -= opsize;
            }
        }
    }
    Outcome::Absent
}

/// Linux >= 6.7, `tcp_do_parse_auth_options`:
///
/// ```c
/// while (length >= minlen) {
///     int opcode = *ptr++;
///     int opsize;
///     switch (opcode) {
///     case TCPOPT_EOL:
///         return 0;
///     case TCPOPT_NOP:
///         length--;
///         continue;
///     default:
///         if (length < 2)
///             return -EINVAL;
///         opsize = *ptr++;
///         if (opsize < 2 || opsize > length)
///             return -EINVAL;
///         if (opcode == TCPOPT_MD5SIG) {
///             if (opsize != TCPOLEN_MD5SIG)
///                 return -EINVAL;
///             if (unlikely(*md5_hash || *ao_hash))
///                 return -EEXIST;
///             *md5_hash = ptr;
///         } else if (opcode == TCPOPT_AO) {
///             if (opsize <= sizeof(struct tcp_ao_hdr))
///                 return -EINVAL;
///             if (unlikely(*md5_hash || *ao_hash))
///                 return -EEXIST;
///             *ao_hash = ptr;
///         }
///     }
///     ptr += opsize - 2;
///     length -= opsize;
/// }
/// return 0;
/// ```
pub fn tcp_do_parse_auth_options(area: &[u8], minlen: i32) -> Outcome {
    let mut length = area.len() as i32;
    let mut ptr = 0usize;
    let mut md5_hash: Option<usize> = None;
    let mut ao_hash: Option<(usize, u8)> = None;
    let done = |md5: Option<usize>, ao: Option<(usize, u8)>| match (md5, ao) {
        (Some(at), None) => Outcome::Md5(at),
        (None, Some((at, len))) => Outcome::Ao(at, len),
        _ => Outcome::Absent,
    };
    while length >= minlen {
        let start = ptr;
        let Some(opcode) = deref(area, ptr) else {
            unreachable!("length >= minlen > 0 keeps ptr inside the area");
        };
        ptr += 1;
        let opsize: i32;
        match opcode {
            TCPOPT_EOL => return done(md5_hash, ao_hash),
            TCPOPT_NOP => {
                length -= 1;
                continue;
            }
            _ => {
                if length < 2 {
                    return Outcome::Malformed(start);
                }
                let Some(size) = deref(area, ptr) else {
                    unreachable!("length >= 2 keeps the length byte inside");
                };
                ptr += 1;
                opsize = i32::from(size);
                if opsize < 2 || opsize > length {
                    return Outcome::Malformed(start);
                }
                if opcode == TCPOPT_MD5SIG {
                    if opsize != TCPOLEN_MD5SIG {
                        return Outcome::Malformed(start);
                    }
                    if md5_hash.is_some() || ao_hash.is_some() {
                        return Outcome::Malformed(start);
                    }
                    md5_hash = Some(start);
                } else if opcode == TCPOPT_AO {
                    if opsize <= TCP_AO_HDR_LEN {
                        return Outcome::Malformed(start);
                    }
                    if md5_hash.is_some() || ao_hash.is_some() {
                        return Outcome::Malformed(start);
                    }
                    ao_hash = Some((start, size));
                }
            }
        }
        ptr += (opsize - 2) as usize;
        length -= opsize;
    }
    done(md5_hash, ao_hash)
}

/// RFC 2385 read strictly with RFC 9293's option syntax: every option up to
/// EOL (or the end) is examined; a length byte that is missing, below 2 or
/// past the end is an error; an MD5 option must be 18 bytes and appear at
/// most once; kind 29 means nothing to RFC 2385 and is skipped like any
/// unknown option.
pub fn rfc2385_strict(area: &[u8]) -> Outcome {
    let mut i = 0usize;
    let mut md5: Option<usize> = None;
    while i < area.len() {
        let kind = area[i];
        if kind == TCPOPT_EOL {
            break;
        }
        if kind == TCPOPT_NOP {
            i += 1;
            continue;
        }
        if i + 1 >= area.len() {
            return Outcome::Malformed(i);
        }
        let len = usize::from(area[i + 1]);
        if len < 2 || i + len > area.len() {
            return Outcome::Malformed(i);
        }
        if kind == TCPOPT_MD5SIG {
            if len != 18 || md5.is_some() {
                return Outcome::Malformed(i);
            }
            md5 = Some(i);
        }
        i += len;
    }
    match md5 {
        Some(at) => Outcome::Md5(at),
        None => Outcome::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md5_opt() -> Vec<u8> {
        let mut v = vec![19, 18];
        v.extend([0xaa; 16]);
        v
    }

    #[test]
    fn linux_layout_found_everywhere() {
        let mut area = vec![1, 1];
        area.extend(md5_opt());
        for s in Semantics::ALL {
            assert_eq!(model_scan(s, &area), Outcome::Md5(2), "{s}");
        }
    }

    #[test]
    fn legacy_one_byte_tail_is_absent() {
        let mut area = vec![1; 17];
        area.push(7);
        assert_eq!(tcp_parse_md5sig_option(&area), Outcome::Absent);
        assert_eq!(tcp_do_parse_auth_options(&area, 5), Outcome::Absent);
        let short = [1, 8, 10, 0, 0, 0];
        assert_eq!(tcp_do_parse_auth_options(&short, 5), Outcome::Malformed(1));
        assert_eq!(tcp_do_parse_auth_options(&area, 18), Outcome::Absent);
    }

    #[test]
    fn duplicates() {
        let mut area = md5_opt();
        area.extend(md5_opt());
        assert_eq!(tcp_parse_md5sig_option(&area), Outcome::Md5(0));
        assert_eq!(tcp_do_parse_auth_options(&area, 18), Outcome::Malformed(18));
        assert_eq!(rfc2385_strict(&area), Outcome::Malformed(18));
    }
}
