//! The checksum stage: a segment whose IPv4 header or TCP checksum is wrong
//! is dropped before any MD5 logic, signed or not (`tcpmd5::checksum`). The
//! witnesses: no reply, the checksum counter (`Tcp:InCsumErrors` or
//! `IpExt:InCsumErrors`) moves by one and no `TCPMD5*` counter moves, no
//! `tcp_hash_*` tracepoint fires.

use tcpmd5::Family;

use super::common::{key, keyed_listener, probe, signed_syn, syn, wrong_key};
use crate::case::{Case, Ctx};
use crate::segment::{ChecksumFault, SegmentSpec};

/// The SYN a row sends, before its checksum is broken.
type SynBuilder = fn(&Ctx<'_>, Family) -> SegmentSpec;

/// One case of the table.
#[derive(Clone, Copy)]
struct Row {
    name: &'static str,
    summary: &'static str,
    fault: ChecksumFault,
    families: &'static [Family],
    build: SynBuilder,
}

const BOTH: &[Family] = &[Family::V4, Family::V6];
const V4: &[Family] = &[Family::V4];

fn rows() -> [Row; 5] {
    [
        Row {
            name: "bad-tcp-csum-signed",
            summary: "a correctly signed SYN with a wrong TCP checksum, to a keyed listener",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| signed_syn(ctx, f, 21, &key()),
        },
        Row {
            name: "bad-tcp-csum-unsigned",
            summary: "an unsigned SYN with a wrong TCP checksum, to a keyed listener (no TCPMD5NotFound)",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| syn(ctx, f, 22),
        },
        Row {
            name: "bad-tcp-csum-wrong-key",
            summary: "a SYN signed with the wrong key and a wrong TCP checksum (no TCPMD5Failure)",
            fault: ChecksumFault::Tcp,
            families: BOTH,
            build: |ctx, f| signed_syn(ctx, f, 23, &wrong_key()),
        },
        Row {
            name: "bad-ip-csum-signed",
            summary: "a correctly signed SYN with a wrong IPv4 header checksum",
            fault: ChecksumFault::Ipv4Header,
            families: V4,
            build: |ctx, f| signed_syn(ctx, f, 24, &key()),
        },
        Row {
            name: "bad-ip-csum-unsigned",
            summary: "an unsigned SYN with a wrong IPv4 header checksum (no TCPMD5NotFound)",
            fault: ChecksumFault::Ipv4Header,
            families: V4,
            build: |ctx, f| syn(ctx, f, 25),
        },
    ]
}

/// Cases of this area.
pub(super) fn cases() -> Vec<Case> {
    rows()
        .into_iter()
        .flat_map(|row| {
            Case::per_family("checksum", row.name, row.summary, move |ctx, family| {
                let listener = keyed_listener(ctx, family)?;
                let mut spec = (row.build)(ctx, family);
                spec.checksum_fault = Some(row.fault);
                Ok(probe(ctx, &listener, &spec))
            })
            .into_iter()
            .filter(move |case| case.family.is_some_and(|f| row.families.contains(&f)))
        })
        .collect()
}
