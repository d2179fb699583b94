//! The model's verdict on an AO case: [`tcpmd5::ao::receive`] at the
//! receiving socket, and for an MD5-signed segment the MD5 check it hands
//! over to ([`tcpmd5::packet_verdict`] with the socket's MD5 keys: none).
//! With it, the witnesses the kernel must leave: exactly the counter the
//! decision names (`TCPAOGood` on an accepted AO segment), exactly the
//! drop tracepoint it names, and nothing else.

use std::collections::BTreeMap;

use tcpmd5::ao::{AoOutcome, AoSocket, AoVerdict, RnextRequest, receive};
use tcpmd5::key_table::KeyTable;
use tcpmd5::verdict::{Acceptance, DropReason, Verdict};
use tcpmd5::{AddrPair, Semantics, packet_verdict};

use crate::error::Error;

/// What the model says of one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Expected {
    /// The verdict.
    pub verdict: Verdict,
    /// `TcpExt` counters that must move, by how much (no other may).
    pub counters: BTreeMap<String, i64>,
    /// The drop tracepoints that must fire (no other may).
    pub tracepoints: Vec<String>,
    /// The key rotation an accepted segment asks for.
    pub rnext: Option<RnextRequest>,
    /// Whether the segment was accepted AO-signed.
    pub signed: bool,
}

impl Expected {
    /// The verdict's id (`accept`, `drop:TCP_AOFAILURE`).
    pub(super) fn id(&self) -> String {
        self.verdict.id().to_string()
    }
}

/// The model's decision on `packet` (an IP packet; `segment` its TCP part)
/// from `addrs.src()` at `socket`.
pub(super) fn expected(
    socket: &AoSocket<'_>,
    addrs: &AddrPair,
    segment: &[u8],
    packet: &[u8],
) -> Result<Expected, Error> {
    let outcome: AoOutcome = receive(socket, addrs, segment)
        .map_err(|e| Error::NotSeen(format!("the model cannot read the probe: {e}")))?;
    let mut counters = BTreeMap::new();
    let mut tracepoints = Vec::new();
    let verdict = match outcome.verdict {
        AoVerdict::Md5 => {
            let v = packet_verdict(
                packet,
                &KeyTable::new(),
                0,
                Semantics::Linux { tcp_ao: true },
            )
            .map_err(Error::model("the probe"))?;
            if let Verdict::Drop(r) = v {
                counters.extend(r.counter().map(|c| (c.to_owned(), 1)));
                tracepoints.extend(r.tracepoint().map(str::to_owned));
            }
            v
        }
        AoVerdict::Drop(other @ (DropReason::TcpFlags | DropReason::TcpClose)) => {
            // Neither moves a counter nor fires a tcp: tracepoint, so the
            // witnesses could not tell them from a silent accept.
            return Err(Error::NotSeen(format!(
                "the generator made a segment the AO path drops for a reason that is not authentication ({})",
                other.verdict_id()
            )));
        }
        v => {
            counters.extend(outcome.counter.map(|c| (c.to_owned(), 1)));
            tracepoints.extend(outcome.tracepoint.map(str::to_owned));
            v.verdict().unwrap_or(Verdict::Accept(Acceptance::Unsigned))
        }
    };
    Ok(Expected {
        verdict,
        counters,
        tracepoints,
        rnext: outcome.rnext_request,
        signed: matches!(outcome.verdict, AoVerdict::Signed { .. }),
    })
}

/// The problems of the witnesses: counters (`moved`, every `TCPMD5*`,
/// `TCPAO*` and checksum counter that changed) and tracepoints (`None`:
/// tracing unavailable) against `want`.
pub(super) fn witness_problems(
    want: &Expected,
    moved: &BTreeMap<String, i64>,
    trace: Option<&[String]>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if moved != &want.counters {
        problems.push(format!(
            "counters moved {}, model {}",
            pairs(moved),
            pairs(&want.counters)
        ));
    }
    if let Some(events) = trace
        && events != want.tracepoints.as_slice()
    {
        problems.push(format!(
            "tracepoints [{}], model [{}]",
            events.join(", "),
            want.tracepoints.join(", ")
        ));
    }
    problems
}

fn pairs(m: &BTreeMap<String, i64>) -> String {
    if m.is_empty() {
        return "none".to_owned();
    }
    m.iter()
        .map(|(k, v)| format!("{k} {v:+}"))
        .collect::<Vec<_>>()
        .join(", ")
}
