//! The option-area corner cases of RFC 2385 receivers, as data.
//!
//! Each layout is an option area (a multiple of 4 bytes, at most 40) whose
//! MD5 digest bytes are zero placeholders: a sender fills them with
//! `tcpmd5::sign::sign_segment_in_place`, which writes into the first
//! well-formed MD5 option even where a receiver would never look (after an
//! EOL, after a malformed option). The unit tests pin each layout's scan
//! result under every `tcpmd5::Semantics`; the conformance suite sends each
//! to the live kernel; the vectors publish them.

/// One option-area layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionLayout {
    /// Stable identifier (snake case).
    pub name: &'static str,
    /// What the layout exercises.
    pub summary: &'static str,
    /// The option area.
    pub area: Vec<u8>,
}

use crate::options::{EOL, NOP, ao, cat, md5_placeholder as md5};

/// Every corner case of the kernel's option parsers
/// (`tcp_parse_md5sig_option`, `tcp_do_parse_auth_options`) and of a strict
/// RFC reading, and the common layouts MD5 appears in next to MSS, window
/// scale, SACK-permitted and timestamps.
pub fn corner_cases() -> Vec<OptionLayout> {
    let d = md5();
    let mut len17 = vec![19, 17];
    len17.extend([0u8; 15]);
    let mut len19 = vec![19, 19];
    len19.extend([0u8; 17]);
    let ts: &[u8] = &[8, 10, 0, 0, 0, 1, 0, 0, 0, 0];
    let sack: &[u8] = &[5, 10, 0, 0, 0, 1, 0, 0, 0, 2];
    let mss: &[u8] = &crate::options::mss_1460();
    let l = |name, summary, area: Vec<u8>| OptionLayout {
        name,
        summary,
        area,
    };
    vec![
        l(
            "md5_bare",
            "MD5 first, EOL padding after",
            cat(&[&d, &[EOL, EOL]]),
        ),
        l(
            "linux_layout",
            "NOP NOP MD5: the layout Linux sends",
            cat(&[&[NOP, NOP], &d]),
        ),
        l(
            "md5_odd_offset",
            "MD5 at an odd offset",
            cat(&[&[NOP], &d, &[NOP]]),
        ),
        l(
            "md5_after_eol",
            "EOL before the MD5 option",
            cat(&[&[EOL, NOP], &d]),
        ),
        l(
            "md5_eol_garbage",
            "MD5, then EOL, then a malformed option",
            cat(&[&[NOP, NOP], &d, &[EOL, 8, 0, NOP]]),
        ),
        l(
            "md5_eol_garbage_ao_window",
            "MD5, EOL, and 8 more bytes (inside AO's 5-byte minimum)",
            cat(&[&[NOP, NOP], &d, &[EOL, 8, 0, NOP, NOP, NOP, NOP, NOP]]),
        ),
        l(
            "md5_len17",
            "MD5 with length 17",
            cat(&[&len17, &[NOP, NOP, NOP]]),
        ),
        l(
            "md5_len17_leading_nops",
            "three NOPs, then MD5 with length 17 (fewer than 18 bytes left)",
            cat(&[&[NOP, NOP, NOP], &len17]),
        ),
        l("md5_len19", "MD5 with length 19", cat(&[&len19, &[NOP]])),
        l(
            "md5_len_beyond_area",
            "MD5 whose length runs past the option area",
            cat(&[&[19, 40], &[0u8; 18]]),
        ),
        l(
            "len0_before_md5",
            "an option of length 0 before MD5",
            cat(&[&[8, 0, NOP, NOP], &d, &[NOP, NOP]]),
        ),
        l(
            "len1_before_md5",
            "an option of length 1 before MD5",
            cat(&[&[8, 1, NOP, NOP], &d, &[NOP, NOP]]),
        ),
        l(
            "two_md5",
            "two MD5 options",
            cat(&[&[NOP, NOP], &d, &[NOP, NOP], &d]),
        ),
        l(
            "md5_then_bad_md5",
            "MD5, then a second MD5 of length 17",
            cat(&[&[NOP, NOP], &d, &len17, &[NOP, NOP, NOP]]),
        ),
        l(
            "md5_then_ao",
            "MD5, then TCP-AO (kind 29) in the last 8 bytes",
            cat(&[&[NOP, NOP], &d, &ao(6), &[NOP, NOP]]),
        ),
        l("ao_then_md5", "TCP-AO, then MD5", cat(&[&ao(6), &d])),
        l(
            "ao_only",
            "TCP-AO alone",
            cat(&[&ao(16), &[NOP, NOP, NOP, NOP]]),
        ),
        l(
            "ao_len4",
            "TCP-AO of length 4 (no MAC)",
            cat(&[&ao(4), &[NOP; 16]]),
        ),
        l(
            "md5_short_tail_garbage",
            "MD5, then 4 bytes with a length-0 option",
            cat(&[&[NOP, NOP], &d, &[8, 0, NOP, NOP]]),
        ),
        l(
            "md5_tail_garbage_ao_window",
            "MD5, then 8 bytes with a length-0 option",
            cat(&[&[NOP, NOP], &d, &[8, 0, NOP, NOP, NOP, NOP, NOP, NOP]]),
        ),
        l(
            "md5_then_short_md5_tail",
            "MD5, then a 4-byte tail holding kind 19 length 2",
            cat(&[&[NOP, NOP], &d, &[NOP, 19, 2, NOP]]),
        ),
        l(
            "md5_truncated_by_doff",
            "NOP NOP and an MD5 option cut short by the data offset",
            cat(&[&[NOP, NOP, 19, 18], &[0u8; 12]]),
        ),
        l("mss_only", "MSS alone: no MD5", mss.to_vec()),
        l("empty", "no options at all", vec![]),
        l("eol_only", "only EOL bytes", vec![EOL; 4]),
        l("nops_only", "only NOP bytes", vec![NOP; 20]),
        l(
            "one_byte_tail",
            "19 NOPs and a lone MSS kind byte at the end",
            cat(&[&[NOP; 19], &[2]]),
        ),
        l(
            "nop_run_before_md5",
            "20 NOPs, then MD5",
            cat(&[&[NOP; 20], &d, &[NOP, NOP]]),
        ),
        l(
            "mss_then_md5",
            "MSS before MD5",
            cat(&[mss, &[NOP, NOP], &d]),
        ),
        l(
            "md5_then_mss",
            "MD5 before MSS",
            cat(&[&[NOP, NOP], &d, mss]),
        ),
        l(
            "ws_sackperm_md5",
            "window scale and SACK-permitted before MD5",
            cat(&[&[3, 3, 7, 4, 2, NOP], &d]),
        ),
        l(
            "ts_then_md5",
            "timestamps before MD5",
            cat(&[&[NOP, NOP], ts, &[NOP, NOP], &d]),
        ),
        l(
            "md5_then_ts",
            "MD5 before timestamps",
            cat(&[&[NOP, NOP], &d, &[NOP, NOP], ts]),
        ),
        l(
            "linux_syn",
            "MD5, MSS, SACK-permitted, window scale (a Linux SYN with a key)",
            cat(&[&[NOP, NOP], &d, mss, &[NOP, NOP, 4, 2], &[NOP, 3, 3, 7]]),
        ),
        l(
            "sack_then_md5",
            "a SACK block before MD5",
            cat(&[&[NOP, NOP], sack, &[NOP, NOP], &d]),
        ),
        l(
            "unknown_kind_before_md5",
            "an unknown kind (254) before MD5",
            cat(&[&[254, 4, 0xde, 0xad], &[NOP, NOP], &d]),
        ),
        l(
            "eol_len2_before_md5",
            "EOL, then a byte that reads as length 2, then MD5",
            cat(&[&[EOL, 2], &d]),
        ),
        l(
            "nop_eol_before_md5",
            "NOP, EOL, then MD5",
            cat(&[&[NOP, EOL], &d]),
        ),
        l(
            "nops2_eol_before_md5",
            "two NOPs, EOL (third byte), NOP, then MD5",
            cat(&[&[NOP, NOP, EOL, NOP], &d, &[NOP, NOP]]),
        ),
        l(
            "nops3_eol_before_md5",
            "three NOPs, EOL (fourth byte), then MD5",
            cat(&[&[NOP, NOP, NOP, EOL], &d, &[NOP, NOP]]),
        ),
        l(
            "md5_remaining_17",
            "three NOPs, then MD5 of length 18 with 17 bytes left",
            cat(&[&[NOP, NOP, NOP, 19, 18], &[0u8; 15]]),
        ),
        l(
            "len2_before_md5",
            "an option of length 2 (the shortest valid) before MD5",
            cat(&[&[8, 2, NOP, NOP], &d, &[NOP, NOP]]),
        ),
        l(
            "len18_before_md5",
            "an option of length 18 before MD5",
            cat(&[&[8, 18], &[0u8; 16], &d, &[NOP, NOP, NOP, NOP]]),
        ),
        l(
            "len19_before_md5",
            "an option of length 19 before MD5 (at an odd offset)",
            cat(&[&[8, 19], &[0u8; 17], &d, &[NOP, NOP, NOP]]),
        ),
        l(
            "nops17_before_md5",
            "17 NOPs, then MD5",
            cat(&[&[NOP; 17], &d, &[NOP]]),
        ),
        l(
            "nops18_before_md5",
            "18 NOPs, then MD5",
            cat(&[&[NOP; 18], &d]),
        ),
        l(
            "nops19_before_md5",
            "19 NOPs, then MD5",
            cat(&[&[NOP; 19], &d, &[NOP, NOP, NOP]]),
        ),
        l(
            "sackperm_len3_before_md5",
            "SACK-permitted with a wrong length (3) before MD5",
            cat(&[&[4, 3, 0, NOP], &d, &[NOP, NOP]]),
        ),
    ]
}

/// The layout named `name`.
pub fn layout(name: &str) -> Option<OptionLayout> {
    corner_cases().into_iter().find(|l| l.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_fit_a_tcp_header() {
        let all = corner_cases();
        for l in &all {
            assert!(l.area.len() <= 40, "{}", l.name);
            assert!(
                l.area.len().is_multiple_of(4),
                "{} is {} bytes",
                l.name,
                l.area.len()
            );
        }
        let mut names: Vec<_> = all.iter().map(|l| l.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "names are unique");
    }
}
