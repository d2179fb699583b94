//! The checksum stage: a segment whose IPv4 header or TCP checksum is wrong
//! is dropped before any MD5 logic, signed or not (`tcpmd5::checksum`). The
//! witnesses: no reply, the checksum counter (`Tcp:InCsumErrors` or
//! `IpExt:InCsumErrors`) moves by one and no `TCPMD5*` counter moves, no
//! `tcp_hash_*` tracepoint fires. At a closed port and at a TIME-WAIT socket
//! (which checks no signature) the checksum stage comes first too: no reset,
//! no ACK.

use tcpmd5::verdict::{Receiver, ReceiverVerdict, ResetReply, closed_port_reset, receiver_verdict};
use tcpmd5::wire::TcpFlags;
use tcpmd5::{DropReason, Family, Verdict};

use super::closing::time_wait;
use super::common::{key, keyed_listener, keyless_listener, probe, signed_syn, syn, wrong_key};
use super::conn::{Step, established, finish, step_expecting};
use crate::case::{Case, Ctx};
use crate::error::Error;
use crate::peer::Auth;
use crate::record::Record;
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
pub(super) fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = rows()
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
        .collect();
    cases.extend(closed_port());
    cases.extend(time_wait_fin());
    cases
}
