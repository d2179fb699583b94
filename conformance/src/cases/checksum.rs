//! The checksum stage and where it sits (`tcpmd5::checksum`): a bad IPv4
//! header checksum, and a bad TCP checksum in a segment of at most 76 TCP
//! bytes, drop it before any MD5 logic, signed or not; in a longer segment
//! the MD5 check comes first, and only a segment that passes it is dropped
//! for its checksum. Every row's verdict is the model's. The witnesses: no
//! reply, exactly one counter (`Tcp:InCsumErrors`, `IpExt:InCsumErrors` or
//! the MD5 drop's) moves by one, and the tracepoints agree.
//! At a closed port and at a TIME-WAIT socket (no signature check on Linux)
//! the checksum stage comes first whatever the length: no reset, no ACK.

use tcpmd5::verdict::{Receiver, ReceiverVerdict, ResetReply, closed_port_reset};

use crate::model_query::receiver_verdict;
use tcpmd5::wire::TcpFlags;
use tcpmd5::{DropReason, Family, Verdict};

use super::kit::closing::time_wait;
use super::kit::common::{
    key, keyed_listener, keyless_listener, probe, signed_syn, syn, wrong_key,
};
use super::kit::conn::{Step, established, finish, step_expecting};
use crate::case::{Case, Ctx};
use crate::error::Error;
use crate::peer::Auth;
use crate::record::Record;
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

/// An unsigned SYN with a wrong TCP checksum to a closed port: an intact
/// one gets an RST; this one is dropped before the socket lookup.
fn closed_port() -> Vec<Case> {
    Case::per_family(
        "checksum",
        "bad-tcp-csum-closed-port",
        "an unsigned SYN with a wrong TCP checksum to a closed port gets no RST",
        |ctx, family| {
            let listener = keyless_listener(ctx, family)?;
            let mut probe = syn(ctx, family, 26);
            probe.tcp.dst_port = 4444;
            probe.checksum_fault = Some(ChecksumFault::Tcp);
            let reply = closed_port_reset(&probe.packet(), None, 0, ctx.env.semantics)
                .map_err(Error::model("the closed-port probe"))?;
            if reply != ResetReply::None {
                return Err(Error::Unmodelled(
                    "the model expects a reset from the closed port".to_owned(),
                ));
            }
            let expected = Verdict::Drop(DropReason::TcpChecksum);
            Ok(listener.probe_syn_expecting(&mut ctx.lab, &mut ctx.barrier, &probe, expected))
        },
    )
}

/// A retransmitted signed FIN with a wrong TCP checksum reaching TIME-WAIT:
/// an intact one is ACKed (`session-close/time-wait-signed-fin`), this one
/// is dropped before the TIME-WAIT path.
fn time_wait_fin() -> Vec<Case> {
    Case::per_family(
        "checksum",
        "bad-tcp-csum-time-wait",
        "a signed FIN with a wrong TCP checksum reaching TIME-WAIT gets no ACK",
        |ctx, family| {
            let mut rec = Record::new();
            let conn = established(ctx, family, 27)?;
            let mut tw = time_wait(ctx, &mut rec, conn)?;
            let peer = &tw.peer;
            let mut probe = peer.segment(
                TcpFlags::FIN | TcpFlags::ACK,
                peer.snd_nxt - 1,
                peer.rcv_nxt,
                &[],
                &Auth::Signed(key()),
            );
            probe.checksum_fault = Some(ChecksumFault::Tcp);
            let verdict = receiver_verdict(
                &probe.packet(),
                &tw.keys,
                0,
                ctx.env.semantics,
                Receiver::TimeWait,
            )
            .map_err(Error::model("the FIN"))?;
            let ReceiverVerdict::Checked(expected) = verdict else {
                return Err(Error::Unmodelled(
                    "the model lets a bad-checksum FIN reach TIME-WAIT".to_owned(),
                ));
            };
            let at = Step::probe("bad-checksum FIN at TIME-WAIT");
            step_expecting(ctx, &mut rec, &mut tw.peer, at, &probe, expected)?;
            Ok(finish(rec, &[&tw.peer]))
        },
    )
}

/// Cases of this area.
//= type=test
//= linux/checksum-early
//= linux/checksum-after-auth
pub(super) fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = rows()
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
        .collect();
    cases.extend(closed_port());
    cases.extend(time_wait_fin());
    cases
}
