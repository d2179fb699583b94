//! Every option-layout corner case (`tcpmd5_testkit::layouts`) under every
//! `Semantics`: one named test per case and semantics.
//!
//! The proposed `linux-ao-bypass-fixed` scans as `linux` does.
//!
//! Expectations: `M(n)` MD5 found with its kind byte at offset n, `A(n)` AO
//! found at n, `Ab` no option (segment counts as unsigned), `X` malformed
//! (dropped with TCP_AUTH_HDR before any key is looked at).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use tcpmd5::Semantics;
use tcpmd5::scan::AuthScan;
use tcpmd5_testkit::layouts::layout;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum E {
    M(usize),
    A(usize),
    Ab,
    X,
}
use E::*;

fn classify(scan: AuthScan<'_>) -> E {
    match scan {
        AuthScan::Md5 { offset, .. } => M(offset),
        AuthScan::Ao { offset, .. } => A(offset),
        AuthScan::Absent(_) => Ab,
        AuthScan::Malformed(_) => X,
    }
}

fn check(name: &str, semantics: Semantics, expected: E) {
    let l = layout(name).unwrap_or_else(|| panic!("no layout {name}"));
    let got = classify(semantics.scan(&l.area));
    assert_eq!(
        got,
        expected,
        "{name} under {semantics}: {:?}",
        semantics.scan(&l.area)
    );
}

macro_rules! corner_cases {
    ($($name:ident: $rfc:expr, $legacy:expr, $linux:expr, $linux_ao:expr;)*) => {
        $(
            mod $name {
                use super::*;
                #[test]
                fn rfc2385() { check(stringify!($name), Semantics::Rfc2385, $rfc) }
                #[test]
                fn linux_legacy() { check(stringify!($name), Semantics::LinuxLegacy, $legacy) }
                #[test]
                fn linux() { check(stringify!($name), Semantics::Linux { tcp_ao: false }, $linux) }
                #[test]
                fn linux_ao() { check(stringify!($name), Semantics::Linux { tcp_ao: true }, $linux_ao) }
                // The AO-bypass fix changes the decision, not the scan.
                #[test]
                fn linux_ao_bypass_fixed() { check(stringify!($name), Semantics::LinuxAoBypassFixed, $linux) }
            }
        )*

        #[test]
        fn every_layout_has_expectations() {
            let named = [$(stringify!($name)),*];
            for l in tcpmd5_testkit::layouts::corner_cases() {
                assert!(named.contains(&l.name), "layout {} has no row here", l.name);
            }
        }
    };
}

#[rustfmt::skip]
//= type=test
//= 3.0/option-syntax
//= 9293-3.1/option-list
//= linux/parse-legacy
//= linux/auth-hdr-drop
corner_cases! {
    //                          Rfc2385 Legacy Linux Linux+AO
    md5_bare:                   M(0), M(0),  M(0),  M(0);
    linux_layout:               M(2), M(2),  M(2),  M(2);
    md5_odd_offset:             M(1), M(1),  M(1),  M(1);
    md5_after_eol:              Ab,   Ab,    Ab,    Ab;
    md5_eol_garbage:            M(2), M(2),  M(2),  M(2);
    md5_eol_garbage_ao_window:  M(2), M(2),  M(2),  M(2);
    md5_len17:                  X,    Ab,    X,     X;
    md5_len17_leading_nops:     X,    Ab,    Ab,    X;
    md5_len19:                  X,    Ab,    X,     X;
    md5_len_beyond_area:        X,    Ab,    X,     X;
    len0_before_md5:            X,    Ab,    X,     X;
    len1_before_md5:            X,    Ab,    X,     X;
    two_md5:                    X,    M(2),  X,     X;
    md5_then_bad_md5:           X,    M(2),  X,     X;
    md5_then_ao:                M(2), M(2),  M(2),  X;
    ao_then_md5:                M(6), M(6),  X,     X;
    ao_only:                    Ab,   Ab,    A(0),  A(0);
    ao_len4:                    Ab,   Ab,    X,     X;
    md5_short_tail_garbage:     X,    M(2),  M(2),  M(2);
    md5_tail_garbage_ao_window: X,    M(2),  M(2),  X;
    md5_then_short_md5_tail:    X,    M(2),  M(2),  M(2);
    md5_truncated_by_doff:      X,    Ab,    Ab,    X;
    mss_only:                   Ab,   Ab,    Ab,    Ab;
    empty:                      Ab,   Ab,    Ab,    Ab;
    eol_only:                   Ab,   Ab,    Ab,    Ab;
    nops_only:                  Ab,   Ab,    Ab,    Ab;
    one_byte_tail:              X,    Ab,    Ab,    Ab;
    nop_run_before_md5:         M(20), M(20), M(20), M(20);
    mss_then_md5:               M(6), M(6),  M(6),  M(6);
    md5_then_mss:               M(2), M(2),  M(2),  M(2);
    ws_sackperm_md5:            M(6), M(6),  M(6),  M(6);
    ts_then_md5:                M(14), M(14), M(14), M(14);
    md5_then_ts:                M(2), M(2),  M(2),  M(2);
    linux_syn:                  M(2), M(2),  M(2),  M(2);
    sack_then_md5:              M(14), M(14), M(14), M(14);
    unknown_kind_before_md5:    M(6), M(6),  M(6),  M(6);
    sackperm_len3_before_md5:   M(4), M(4),  M(4),  M(4);
    eol_len2_before_md5:        Ab,   Ab,    Ab,    Ab;
    nop_eol_before_md5:         Ab,   Ab,    Ab,    Ab;
    nops2_eol_before_md5:       Ab,   Ab,    Ab,    Ab;
    nops3_eol_before_md5:       Ab,   Ab,    Ab,    Ab;
    md5_remaining_17:           X,    Ab,    Ab,    X;
    len2_before_md5:            M(4), M(4),  M(4),  M(4);
    len18_before_md5:           M(18), M(18), M(18), M(18);
    len19_before_md5:           M(19), M(19), M(19), M(19);
    nops17_before_md5:          M(17), M(17), M(17), M(17);
    nops18_before_md5:          M(18), M(18), M(18), M(18);
    nops19_before_md5:          M(19), M(19), M(19), M(19);
}
