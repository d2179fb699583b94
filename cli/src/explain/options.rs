//! The option walk and where each semantics' scan stopped, in words.

use tcpmd5::Semantics;
use tcpmd5::scan::{Absence, AuthScan};
use tcpmd5::wire::tcp_option::kind;

use super::OptionInfo;

fn option_name(kind: u8) -> &'static str {
    match kind {
        kind::EOL => "EOL",
        kind::NOP => "NOP",
        kind::MSS => "MSS",
        kind::WINDOW_SCALE => "window scale",
        kind::SACK_PERMITTED => "SACK permitted",
        kind::SACK => "SACK",
        kind::TIMESTAMPS => "timestamps",
        kind::MD5 => "MD5 signature",
        kind::AO => "TCP-AO",
        30 => "MPTCP",
        34 => "fast open cookie",
        253 | 254 => "experimental",
        _ => "unknown",
    }
}

/// The option walk with RFC 9293 syntax: where every option is.
pub fn walk_options(area: &[u8]) -> Vec<OptionInfo> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(&kind) = area.get(at) {
        let name = option_name(kind);
        match kind {
            kind::EOL => {
                let rest = area.len() - at - 1;
                out.push(OptionInfo {
                    offset: at,
                    kind,
                    name,
                    len: None,
                    note: (rest > 0).then(|| format!("{rest} bytes after it")),
                });
                break;
            }
            kind::NOP => {
                out.push(OptionInfo {
                    offset: at,
                    kind,
                    name,
                    len: None,
                    note: None,
                });
                at += 1;
            }
            _ => {
                let len = area.get(at + 1).copied();
                let remaining = area.len() - at;
                let bad = match len {
                    None => Some("the area ends before its length byte".to_owned()),
                    Some(l) if l < 2 => Some(format!("length {l} is below 2")),
                    Some(l) if usize::from(l) > remaining => Some(format!(
                        "length {l} runs past the area ({remaining} bytes left)"
                    )),
                    _ => None,
                };
                let stop = bad.is_some();
                out.push(OptionInfo {
                    offset: at,
                    kind,
                    name,
                    len,
                    note: bad.map(|b| format!("{b}: the walk stops")),
                });
                if stop {
                    break;
                }
                at += usize::from(len.unwrap_or(2));
            }
        }
    }
    out
}

pub(super) fn scan_detail(
    s: Semantics,
    scan: &AuthScan<'_>,
    area_len: usize,
) -> (&'static str, Option<usize>, String) {
    let min = match s {
        Semantics::Linux { tcp_ao: true } => 5,
        _ => 18,
    };
    match scan {
        AuthScan::Md5 { offset, .. } => (
            "md5",
            Some(*offset),
            format!(
                "MD5 option at option offset {offset} (TCP byte {})",
                20 + offset
            ),
        ),
        AuthScan::Ao { offset, len } => (
            "ao",
            Some(*offset),
            format!("TCP-AO option (kind 29, length {len}) at option offset {offset}"),
        ),
        AuthScan::Absent(Absence::NoOption) => (
            "absent",
            None,
            format!("examined all {area_len} option bytes: no MD5 option"),
        ),
        AuthScan::Absent(Absence::EndOfList { offset }) => (
            "absent",
            None,
            format!("stopped at the EOL at option offset {offset}: what follows is never read"),
        ),
        AuthScan::Absent(Absence::ShortTail { offset, remaining }) => (
            "absent",
            None,
            format!(
                "stopped at option offset {offset}: {remaining} bytes left, fewer than the {min} the scan needs, so the rest is never read"
            ),
        ),
        AuthScan::Absent(Absence::IgnoredMalformed(m)) => (
            "absent",
            None,
            format!("gave up at a malformed option ({m}): the segment counts as unsigned"),
        ),
        AuthScan::Malformed(m) => (
            "malformed",
            None,
            format!("malformed: {m}; dropped before any key is looked at"),
        ),
    }
}
