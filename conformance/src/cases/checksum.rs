//! The checksum stage and where it sits (`tcpmd5::checksum`): a bad IPv4
//! header checksum, and a bad TCP checksum in a segment of at most 76 TCP
//! bytes, drop it before any MD5 logic, signed or not; in a longer segment
//! the MD5 check comes first, and only a segment that passes it is dropped
//! for its checksum. Every row's verdict is the model's. The witnesses: no
//! reply, exactly one counter (`Tcp:InCsumErrors`, `IpExt:InCsumErrors` or
//! the MD5 drop's) moves by one, and the tracepoints agree.

use tcpmd5::Family;

use super::common::{key, keyed_listener, probe, signed_syn, syn, wrong_key};
use crate::case::{Case, Ctx};
use crate::segment::{ChecksumFault, SegmentSpec};

/// The SYN a row sends, before its payload is set and its checksum broken.
type SynBuilder = fn(&Ctx<'_>, Family) -> SegmentSpec;

/// One case of the table.
#[derive(Clone, Copy)]
struct Row {
    name: &'static str,
    summary: &'static str,
    fault: ChecksumFault,
    families: &'static [Family],
    build: SynBuilder,
    /// Payload bytes, which set the TCP length around the 76-byte break.
    payload: usize,
}

const BOTH: &[Family] = &[Family::V4, Family::V6];
const V4: &[Family] = &[Family::V4];

/// Payload that makes a signed SYN (44 header bytes) 84 TCP bytes long.
const LONG_SIGNED: usize = 40;
/// Payload that makes an unsigned SYN (24 header bytes) 84 TCP bytes long.
const LONG_UNSIGNED: usize = 60;

fn rows() -> [Row; 11] {
    [
        Row {
            name: "bad-tcp-csum-signed",
            summary: "a correctly signed SYN with a wrong TCP checksum, to a keyed listener",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| signed_syn(ctx, f, 21, &key()),
            payload: 0,
        },
        Row {
            name: "bad-tcp-csum-unsigned",
            summary: "an unsigned SYN with a wrong TCP checksum, to a keyed listener (no TCPMD5NotFound)",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| syn(ctx, f, 22),
            payload: 0,
        },
        Row {
            name: "bad-tcp-csum-wrong-key",
            summary: "a SYN signed with the wrong key and a wrong TCP checksum (no TCPMD5Failure)",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| signed_syn(ctx, f, 23, &wrong_key()),
            payload: 0,
        },
        Row {
            name: "bad-ip-csum-signed",
            summary: "a correctly signed SYN with a wrong IPv4 header checksum",
            fault: ChecksumFault::Ipv4Header,
            families: V4,
            build: |ctx, f| signed_syn(ctx, f, 24, &key()),
            payload: 0,
        },
        Row {
            name: "bad-ip-csum-unsigned",
            summary: "an unsigned SYN with a wrong IPv4 header checksum (no TCPMD5NotFound)",
            fault: ChecksumFault::Ipv4Header,
            families: V4,
            build: |ctx, f| syn(ctx, f, 25),
            payload: 0,
        },
        Row {
            name: "long-bad-tcp-csum-signed",
            summary: "an 84-byte correctly signed SYN with a wrong TCP checksum: passes the MD5 check, then dropped for its checksum",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| signed_syn(ctx, f, 26, &key()),
            payload: LONG_SIGNED,
        },
        Row {
            name: "long-bad-tcp-csum-unsigned",
            summary: "an 84-byte unsigned SYN with a wrong TCP checksum, to a keyed listener: the MD5 check comes first",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| syn(ctx, f, 27),
            payload: LONG_UNSIGNED,
        },
        Row {
            name: "long-bad-tcp-csum-wrong-key",
            summary: "an 84-byte SYN signed with the wrong key and a wrong TCP checksum: the MD5 check comes first",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| signed_syn(ctx, f, 28, &wrong_key()),
            payload: LONG_SIGNED,
        },
        Row {
            name: "bad-tcp-csum-76-bytes",
            summary: "a 76-byte unsigned SYN with a wrong TCP checksum, to a keyed listener: the longest checked at once",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| syn(ctx, f, 29),
            payload: 52,
        },
        Row {
            name: "bad-tcp-csum-77-bytes",
            summary: "a 77-byte unsigned SYN with a wrong TCP checksum, to a keyed listener: the shortest checked after the MD5 check",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| syn(ctx, f, 30),
            payload: 53,
        },
        Row {
            name: "long-bad-ip-csum-wrong-key",
            summary: "an 84-byte SYN signed with the wrong key and a wrong IPv4 header checksum: the header is checked first at any length",
            fault: ChecksumFault::Ipv4Header,
            families: V4,
            build: |ctx, f| signed_syn(ctx, f, 31, &wrong_key()),
            payload: LONG_SIGNED,
        },
    ]
}

/// Cases of this area.
//= type=test
//= linux/checksum-early
//= linux/checksum-after-auth
pub(super) fn cases() -> Vec<Case> {
    rows()
        .into_iter()
        .flat_map(|row| {
            Case::per_family("checksum", row.name, row.summary, move |ctx, family| {
                let listener = keyed_listener(ctx, family)?;
                let mut spec = (row.build)(ctx, family);
                spec.tcp.payload = vec![0x42; row.payload];
                spec.checksum_fault = Some(row.fault);
                Ok(probe(ctx, &listener, &spec))
            })
            .into_iter()
            .filter(move |case| case.family.is_some_and(|f| row.families.contains(&f)))
        })
        .collect()
}
