//! The scans' edges, pinned exactly (the variant and its fields, not only
//! the verdict class), so that each bound and each arm of the three
//! readings is held by a test that needs no kernel.

use super::*;
use crate::wire::tcp_option::kind::{AO, EOL, MD5, NOP};

const LINUX: Semantics = Semantics::Linux { tcp_ao: false };
const LINUX_AO: Semantics = Semantics::Linux { tcp_ao: true };

/// An MD5 option (length 18) whose digest is `fill` repeated.
fn md5(fill: u8) -> Vec<u8> {
    let mut o = vec![MD5, 18];
    o.extend([fill; 16]);
    o
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn ids_round_trip_for_every_known_semantics() {
    let known: Vec<Semantics> = Semantics::known().collect();
    assert_eq!(
        known.iter().map(|s| s.id()).collect::<Vec<_>>(),
        [
            "rfc2385",
            "linux-legacy",
            "linux",
            "linux-ao",
            "linux-ao-bypass-fixed"
        ]
    );
    for s in &known {
        assert_eq!(Semantics::from_id(s.id()), Some(*s));
    }
    assert_eq!(Semantics::from_id("linux-6.1"), None);
    assert_eq!(Semantics::from_id(""), None);
}

#[test]
fn released_base_of_the_fix_is_linux_without_ao() {
    assert_eq!(Semantics::LinuxAoBypassFixed.released_base(), LINUX);
    for s in Semantics::ALL {
        assert_eq!(s.released_base(), s);
    }
}

// The parser rework landed in 6.7: 6.6 and older parse the legacy way,
// whatever `tcp_ao` says (CONFIG_TCP_AO does not exist there).
//= type=test
//= linux/parse-legacy
#[test]
fn kernel_version_selects_the_parser() {
    let v = Semantics::for_linux_version;
    assert_eq!(v(6, 6, false), Semantics::LinuxLegacy);
    assert_eq!(v(6, 6, true), Semantics::LinuxLegacy);
    assert_eq!(v(6, 1, false), Semantics::LinuxLegacy);
    assert_eq!(v(5, 15, false), Semantics::LinuxLegacy);
    assert_eq!(v(6, 7, false), LINUX);
    assert_eq!(v(6, 7, true), LINUX_AO);
    assert_eq!(v(6, 18, false), LINUX);
    assert_eq!(v(7, 0, true), LINUX_AO);
}

#[test]
fn every_semantics_names_itself_distinctly() {
    let names: Vec<String> = Semantics::known().map(|s| s.to_string()).collect();
    for (i, n) in names.iter().enumerate() {
        assert!(n.starts_with("RFC 2385") || n.starts_with("Linux"), "{n}");
        assert!(!names[..i].contains(n), "{n} twice");
    }
    assert_eq!(
        Semantics::LinuxLegacy.to_string(),
        "Linux < 6.7 (tcp_parse_md5sig_option)"
    );
}

#[test]
fn malformations_and_absences_say_what_and_where() {
    let cases: [(String, &str); 9] = [
        (
            Malformation::BadLength {
                kind: 8,
                offset: 2,
                len: Some(20),
                remaining: 18,
            }
            .to_string(),
            "option kind 8 at offset 2: length 20 (must be 2..=18)",
        ),
        (
            Malformation::BadLength {
                kind: 2,
                offset: 19,
                len: None,
                remaining: 1,
            }
            .to_string(),
            "option kind 2 at offset 19: length byte missing",
        ),
        (
            Malformation::Md5Length { offset: 0, len: 17 }.to_string(),
            "MD5 option at offset 0: length 17, expected 18",
        ),
        (
            Malformation::AoLength { offset: 0, len: 4 }.to_string(),
            "AO option at offset 0: length 4, expected > 4",
        ),
        (
            Malformation::Duplicate {
                first: 19,
                second: 29,
                offset: 20,
            }
            .to_string(),
            "second authentication option (kind 29 at offset 20) after kind 19",
        ),
        (Absence::NoOption.to_string(), "no MD5 option"),
        (
            Absence::EndOfList { offset: 3 }.to_string(),
            "end-of-list at offset 3 first",
        ),
        (
            Absence::ShortTail {
                offset: 4,
                remaining: 16,
            }
            .to_string(),
            "scan stopped at offset 4 with 16 bytes left",
        ),
        (
            Absence::IgnoredMalformed(Malformation::Md5Length { offset: 2, len: 19 }).to_string(),
            "malformed, ignored: MD5 option at offset 2: length 19, expected 18",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

// `tcp_parse_md5sig_option` looks at nothing under 18 bytes: an area of
// exactly 18 bytes (a bare MD5 option) is scanned, one of 16 holding the
// start of an MD5 option is not.
//= type=test
//= linux/parse-legacy
#[test]
fn legacy_scans_from_exactly_18_bytes() {
    let bare = md5(0xab);
    assert_eq!(
        Semantics::LinuxLegacy.scan(&bare),
        AuthScan::Md5 {
            digest: &[0xab; 16],
            offset: 0
        }
    );
    let short = cat(&[&[NOP, NOP], &md5(0)[..14]]);
    assert_eq!(
        Semantics::LinuxLegacy.scan(&short),
        AuthScan::Absent(Absence::ShortTail {
            offset: 0,
            remaining: 16
        })
    );
    assert_eq!(
        Semantics::LinuxLegacy.scan(&md5(1)[..17]),
        AuthScan::Absent(Absence::ShortTail {
            offset: 0,
            remaining: 17
        })
    );
    assert_eq!(
        Semantics::LinuxLegacy.scan(&[]),
        AuthScan::Absent(Absence::ShortTail {
            offset: 0,
            remaining: 0
        })
    );
}

// The length check measures what remains from the option's kind byte, not
// the whole area: kind 8 of length 20 at offset 2 of a 20-byte area runs
// two bytes past it.
#[test]
fn legacy_length_is_checked_against_the_bytes_left() {
    let mut area = vec![NOP, NOP, 8, 20];
    area.extend([0; 16]);
    assert_eq!(
        Semantics::LinuxLegacy.scan(&area),
        AuthScan::Absent(Absence::IgnoredMalformed(Malformation::BadLength {
            kind: 8,
            offset: 2,
            len: Some(20),
            remaining: 18,
        }))
    );
    // An MD5 option of length 18 with 16 bytes left.
    let late = cat(&[&[NOP, NOP, NOP, NOP], &md5(0)[..16]]);
    assert_eq!(
        Semantics::LinuxLegacy.scan(&late),
        AuthScan::Absent(Absence::IgnoredMalformed(Malformation::BadLength {
            kind: MD5,
            offset: 4,
            len: Some(18),
            remaining: 16,
        }))
    );
}

// An MD5 option of another length that fits (17 or 18 bytes after its
// length byte): the legacy parser takes only length 18, so the segment is
// unsigned (`tcp_parse_md5sig_option` returns NULL for any other length).
//= type=test
//= linux/parse-legacy
#[test]
fn legacy_takes_only_an_md5_option_of_length_18() {
    for len in [19u8, 20] {
        let mut area = vec![MD5, len];
        area.extend(vec![0xa5; usize::from(len) - 2]);
        assert_eq!(
            Semantics::LinuxLegacy.scan(&area),
            AuthScan::Absent(Absence::IgnoredMalformed(Malformation::Md5Length {
                offset: 0,
                len
            })),
            "length {len}"
        );
    }
}

// EOL ends every reading, also when the byte after it looks like a valid
// length: `EOL, 2, MD5` is unsigned everywhere (a scan treating EOL as an
// ordinary option would skip two bytes and find the MD5 option).
//= type=test
//= 9293-3.1/option-list
//= linux/parse-legacy
#[test]
fn eol_then_a_plausible_length_ends_the_scan() {
    let area = cat(&[&[EOL, 2], &md5(7)]);
    for s in Semantics::known() {
        assert_eq!(
            s.scan(&area),
            AuthScan::Absent(Absence::EndOfList { offset: 0 }),
            "{s}"
        );
    }
}

// EOL at each offset of `NOP NOP MD5 NOP NOP`: before the MD5 option
// (0, 1, or in place of its kind byte, 2) it hides it from every reading;
// in its length byte (3) the option is malformed; in the digest (4..20) it
// is a digest byte; after the option (20, 21) the scan ends with the MD5
// option found.
//= type=test
//= 9293-3.1/option-list
#[test]
fn eol_at_each_position() {
    for at in 0..22 {
        let mut area = cat(&[&[NOP, NOP], &md5(3), &[NOP, NOP]]);
        area[at] = EOL;
        for s in Semantics::known() {
            let got = s.scan(&area);
            match at {
                0..=2 => assert_eq!(
                    got,
                    AuthScan::Absent(Absence::EndOfList { offset: at }),
                    "{s} EOL at {at}"
                ),
                3 => assert_eq!(got.md5_digest(), None, "{s} EOL at {at}"),
                _ => assert_eq!(
                    got.md5_digest()
                        .map(|d| d.iter().filter(|&&b| b == EOL).count()),
                    Some(usize::from(at < 20)),
                    "{s} EOL at {at}"
                ),
            }
        }
    }
}

// The rework's scan stops when fewer than `minlen` bytes remain (18, or 5
// with CONFIG_TCP_AO), and says where; an area consumed exactly says
// "no option".
//= type=test
//= linux/auth-hdr-drop
#[test]
fn linux_short_tail_bounds() {
    let area = cat(&[&md5(9), &[NOP, NOP]]);
    // 2 bytes left after the MD5 option: under both minimums.
    for s in [LINUX, LINUX_AO, Semantics::LinuxAoBypassFixed] {
        assert_eq!(
            s.scan(&area),
            AuthScan::Md5 {
                digest: &[9; 16],
                offset: 0
            },
            "{s}"
        );
    }
    // 17 NOPs: short for linux, scanned (and empty) for linux-ao.
    let nops = [NOP; 17];
    assert_eq!(
        LINUX.scan(&nops),
        AuthScan::Absent(Absence::ShortTail {
            offset: 0,
            remaining: 17
        })
    );
    assert_eq!(
        LINUX_AO.scan(&nops),
        AuthScan::Absent(Absence::ShortTail {
            offset: 13,
            remaining: 4
        })
    );
    // Exactly 18 and exactly 5 bytes are scanned.
    assert_eq!(
        LINUX.scan(&[NOP; 18]),
        AuthScan::Absent(Absence::ShortTail {
            offset: 1,
            remaining: 17
        })
    );
    assert_eq!(
        LINUX_AO.scan(&[NOP; 5]),
        AuthScan::Absent(Absence::ShortTail {
            offset: 1,
            remaining: 4
        })
    );
    assert_eq!(LINUX.scan(&[]), AuthScan::Absent(Absence::NoOption));
    assert_eq!(
        LINUX_AO.scan(&md5(1)),
        AuthScan::Md5 {
            digest: &[1; 16],
            offset: 0
        }
    );
    // An AO option of length 5 is the shortest one with a header.
    let ao5 = cat(&[&[AO, 5, 1, 2, 0], &[NOP; 15]]);
    assert_eq!(LINUX_AO.scan(&ao5), AuthScan::Ao { offset: 0, len: 5 });
    let ao4 = cat(&[&[AO, 4, 1, 2], &[NOP; 16]]);
    assert_eq!(
        LINUX_AO.scan(&ao4),
        AuthScan::Malformed(Malformation::AoLength { offset: 0, len: 4 })
    );
}

// The option length byte at each boundary, in front of an MD5 option:
// 0 and 1 are errors (dropped by the strict and reworked readings, ignored
// by the legacy one), 2 is the smallest valid length, 18 and 19 reach or
// pass the area's end.
#[test]
fn option_lengths_at_the_boundaries() {
    let area = |len: u8| cat(&[&[8, len, NOP, NOP], &md5(5), &[NOP, NOP]]);
    for len in [0u8, 1] {
        let bad = Malformation::BadLength {
            kind: 8,
            offset: 0,
            len: Some(len),
            remaining: 24,
        };
        assert_eq!(
            Semantics::Rfc2385.scan(&area(len)),
            AuthScan::Malformed(bad)
        );
        assert_eq!(LINUX.scan(&area(len)), AuthScan::Malformed(bad));
        assert_eq!(
            Semantics::LinuxLegacy.scan(&area(len)),
            AuthScan::Absent(Absence::IgnoredMalformed(bad))
        );
    }
    for s in Semantics::known() {
        assert_eq!(s.scan(&area(2)).md5_digest(), Some(&[5; 16]), "{s}");
    }
    // Length 24 takes the whole area: no MD5 option left to see.
    for s in Semantics::known() {
        assert_eq!(
            s.scan(&area(24)),
            AuthScan::Absent(Absence::NoOption),
            "{s}"
        );
    }
    let past = Malformation::BadLength {
        kind: 8,
        offset: 0,
        len: Some(25),
        remaining: 24,
    };
    assert_eq!(
        Semantics::Rfc2385.scan(&area(25)),
        AuthScan::Malformed(past)
    );
}

// The strict reading: a second MD5 option is an error wherever it is, and
// the first one's digest is what a single one carries.
//= type=test
//= 3.0/option-syntax
#[test]
fn rfc2385_edges() {
    let two = cat(&[&md5(1), &md5(2)]);
    assert_eq!(
        Semantics::Rfc2385.scan(&two),
        AuthScan::Malformed(Malformation::Duplicate {
            first: MD5,
            second: MD5,
            offset: 18
        })
    );
    let one = cat(&[&[NOP], &md5(4), &[NOP]]);
    assert_eq!(
        Semantics::Rfc2385.scan(&one),
        AuthScan::Md5 {
            digest: &[4; 16],
            offset: 1
        }
    );
    assert_eq!(
        Semantics::Rfc2385.scan(&[]),
        AuthScan::Absent(Absence::NoOption)
    );
    // A lone kind byte at the end: its length byte is missing.
    assert_eq!(
        Semantics::Rfc2385.scan(&[NOP, NOP, NOP, 2]),
        AuthScan::Malformed(Malformation::BadLength {
            kind: 2,
            offset: 3,
            len: None,
            remaining: 1
        })
    );
}
