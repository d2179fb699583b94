//! The TCP-AO check of one segment with the AO keys given, shared by
//! `explain` and `verify`: the receiver (the segment's destination) holds
//! every AO key, and decides as Linux does (`tcpmd5::ao::receive`). Which
//! check failed is said in a sentence; a check that needs the flow's ISNs
//! (any segment but a SYN or SYN-ACK) is never guessed: without them the
//! segment is `unchecked`, with the reason.

use std::fmt;

use serde::{Serialize, Serializer};
use tcpmd5::AddrPair;
use tcpmd5::ao::{
    AoLocation, AoOutcome, AoSocket, AoSocketState, AoVerdict, FlowIsns, MktTable, RnextRequest,
    locate, lookup_address,
};
use tcpmd5::wire::{TcpFlags, TcpPacket};

use crate::assess::drop_sentence;
use crate::hex;
use crate::keys::AoKeySpec;

/// What the AO check found: the receiver's verdict, or that it could not
/// be checked. Serialised as its id only at output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AoResult {
    /// The receiver's verdict.
    Checked(AoVerdict),
    /// Not checked (the ISNs are unknown, the segment unreadable).
    Unchecked,
}

impl AoResult {
    /// The id: the verdict id (`accept`, `drop:TCP_AOFAILURE`, …), or
    /// `unchecked`, or `md5` (an MD5 option: the MD5 check decides).
    pub fn id(self) -> String {
        match self {
            AoResult::Checked(AoVerdict::Md5) => "md5".to_owned(),
            AoResult::Checked(v) => v
                .verdict()
                .map_or_else(|| "unchecked".to_owned(), |v| v.id().to_string()),
            AoResult::Unchecked => "unchecked".to_owned(),
        }
    }
}

impl fmt::Display for AoResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

impl Serialize for AoResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id())
    }
}

/// The AO check of a segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AoCheck {
    /// The verdict (its id in JSON).
    pub verdict: AoResult,
    /// The key rotation the sender asked for (RNextKeyID), if any.
    #[serde(skip)]
    pub rnext_request: Option<RnextRequest>,
    /// The KeyID and RNextKeyID the option carries.
    pub key_id: Option<u8>,
    /// The RNextKeyID.
    pub rnext_key_id: Option<u8>,
    /// The MAC carried (hex).
    pub mac: Option<String>,
    /// The AO key whose RecvID is the KeyID, by label.
    pub key: Option<String>,
    /// The ISNs the traffic key was derived from, and where they came from.
    pub isns: Option<String>,
    /// The sequence number extension the MAC was computed with, and where
    /// it came from (established segments only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sne: Option<String>,
    /// The counter the kernel moves.
    pub counter: Option<&'static str>,
    /// The tracepoint it fires.
    pub tracepoint: Option<&'static str>,
    /// Which check passed or failed, in a sentence.
    pub reason: String,
}

impl AoCheck {
    /// A check that has learnt nothing of the segment yet.
    fn new(verdict: AoResult, reason: String) -> AoCheck {
        AoCheck {
            verdict,
            rnext_request: None,
            key_id: None,
            rnext_key_id: None,
            mac: None,
            key: None,
            isns: None,
            sne: None,
            counter: None,
            tracepoint: None,
            reason,
        }
    }

    /// Whether the segment was dropped by an AO check.
    pub fn dropped(&self) -> bool {
        matches!(self.verdict, AoResult::Checked(AoVerdict::Drop(_)))
    }
}

/// A segment's sequence number extension and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sne {
    /// Tracked through a capture, or given (`--sne`).
    Known(u32, &'static str),
    /// Not known: 0 is assumed, and a MAC that fails under the assumption
    /// is left unchecked (another SNE may verify it).
    AssumedZero,
}

/// Where a segment's ISNs came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsnSource {
    /// The flow's SYN and SYN-ACK (a capture), or the command line.
    Known(FlowIsns, &'static str),
    /// Not known.
    Unknown(&'static str),
}

/// The AO check of a segment a check before it dropped (a checksum):
/// the AO keys are never looked at.
pub fn preceded_by(reason: tcpmd5::DropReason) -> AoCheck {
    AoCheck {
        counter: reason.counter(),
        tracepoint: reason.tracepoint(),
        ..AoCheck::new(
            AoResult::Checked(AoVerdict::Drop(reason)),
            format!(
                "{}: checked before any AO key is looked at",
                drop_sentence(reason)
            ),
        )
    }
}

/// The AO check of `segment` (TCP header onwards, from `addrs.src()`),
/// with `sne` its sequence number extension, and `md5_key` whether the
/// receiver holds an MD5 key for the sender.
pub fn check(
    specs: &[AoKeySpec],
    addrs: &AddrPair,
    segment: &[u8],
    isns: IsnSource,
    sne: Sne,
    md5_key: bool,
) -> AoCheck {
    let tcp = TcpPacket::new_unchecked(segment);
    let (sport, dport) = (tcp.src_port(), tcp.dst_port());
    let port_ok = |s: &&AoKeySpec| s.scope.port_matches(sport, dport);
    let mut out = AoCheck::new(AoResult::Unchecked, String::new());
    let area = tcp.options();
    let location = locate(area);
    let mut mac_len = None;
    if let Ok(AoLocation::Ao { option, .. }) = location {
        out.key_id = Some(option.key_id());
        out.rnext_key_id = Some(option.rnext_key_id());
        out.mac = Some(hex::encode(option.mac()));
        let spec = specs.iter().rev().filter(port_ok).find(|s| {
            s.mkt.recv_id == option.key_id() && s.mkt.covers(lookup_address(addrs.src()), 0)
        });
        mac_len = spec.map(|s| (option.mac().len(), s.mkt.mac_len, s.mac_len_given));
        out.key = spec.map(AoKeySpec::label);
    }
    // The receiver's current key is not known: taken to be the one the
    // sender used (its SendID, the RNEXT of that --ao-key).
    let mut assumed_send_id = None;
    let flags = tcp.flags();
    let syn = flags.contains(TcpFlags::SYN);
    let state = if syn && !flags.contains(TcpFlags::ACK) {
        out.isns = Some(format!(
            "{:#010x}, {:#010x} (the SYN's own)",
            tcp.seq_number(),
            0
        ));
        AoSocketState::Listen
    } else if syn {
        let (remote, local) = (tcp.seq_number(), tcp.ack_number().wrapping_sub(1));
        out.isns = Some(format!("{remote:#010x}, {local:#010x} (the SYN-ACK's own)"));
        AoSocketState::Handshake {
            local_isn: local,
            remote_isn: remote,
        }
    } else {
        match isns {
            IsnSource::Known(i, from) => {
                assumed_send_id = current_send_id(specs, addrs, out.key_id).or(out.rnext_key_id);
                out.isns = Some(format!("{:#010x}, {:#010x} ({from})", i.src_isn, i.dst_isn));
                out.sne = Some(match sne {
                    Sne::Known(n, from) => format!("{n} ({from})"),
                    Sne::AssumedZero => {
                        "0, assumed (no capture, no --sne): assuming SNE 0".to_owned()
                    }
                });
                AoSocketState::Established {
                    local_isn: i.dst_isn,
                    remote_isn: i.src_isn,
                    rcv_nxt: tcp.seq_number(),
                    rcv_sne: match sne {
                        Sne::Known(n, _) => n,
                        Sne::AssumedZero => 0,
                    },
                    // The receiver signs with the SendID of the key the
                    // sender used (RNEXT of that --ao-key): an RNextKeyID
                    // other than it asks for a rotation.
                    current_send_id: assumed_send_id.unwrap_or(0),
                }
            }
            IsnSource::Unknown(why) if matches!(location, Ok(AoLocation::Ao { .. })) => {
                out.verdict = AoResult::Unchecked;
                out.reason =
                    format!("the traffic key needs the ISNs of the connection, which {why}");
                return out;
            }
            // Unsigned or MD5: no traffic key needed.
            IsnSource::Unknown(_) => AoSocketState::Listen,
        }
    };
    let table = socket_keys(specs, addrs, &port_ok, &state);
    let socket = AoSocket {
        mkts: Some(&table),
        md5_key,
        state,
        l3index: 0,
    };
    let outcome = match tcpmd5::ao::receive(&socket, addrs, segment) {
        Ok(o) => o,
        Err(e) => {
            out.verdict = AoResult::Unchecked;
            out.reason = format!("the segment cannot be read: {e}");
            return out;
        }
    };
    describe(&mut out, &outcome, &location);
    if outcome.tracepoint == Some("tcp_ao_wrong_maclen") {
        let (carried, key, given) = mac_len.unwrap_or_default();
        if given {
            out.reason = format!(
                "the MAC is {carried} bytes, not the AO key's {key} (maclen={key}) (TCP_AOFAILURE, TCPAOBad)"
            );
        } else {
            // An --ao-key without maclen=N is taken to have the RFC
            // algorithms' 12-byte MAC: a key of another MAC length may hold
            // for this segment.
            out.verdict = AoResult::Unchecked;
            out.counter = None;
            out.tracepoint = None;
            out.reason = format!(
                "the MAC is {carried} bytes, not the {key} assumed for an --ao-key without maclen=N (give it after ALG: ALG,maclen=N): the AO key's MAC length decides"
            );
        }
    }
    if let (Some(r), Some(current)) = (outcome.rnext_request, assumed_send_id) {
        out.reason.push_str(&format!(
            " (the receiver's current SendID {current} is assumed: the RNEXT of the --ao-key the sender used; RNextKeyID {} differs)",
            r.requested
        ));
    }
    let assumed = sne == Sne::AssumedZero && matches!(state, AoSocketState::Established { .. });
    if assumed
        && outcome.verdict == AoVerdict::Drop(tcpmd5::DropReason::AoFailure)
        && outcome.tracepoint != Some("tcp_ao_wrong_maclen")
    {
        // The MAC covers the SNE: under another one it may verify.
        out.verdict = AoResult::Unchecked;
        out.counter = None;
        out.tracepoint = None;
        out.reason = format!(
            "the TCP-AO MAC does not verify assuming SNE 0, and the SNE is not known (give --sne N, or --capture with the connection): under SNE 0 {}",
            out.reason
        );
    }
    out
}

/// The keys the receiving socket holds, in the order given: the last one
/// added heads Linux's list (later is newer, as for MD5 keys), so among
/// keys that match alike the last given wins. A listener holds every key
/// whose port (if any) this connection uses and looks the peer up itself;
/// a connection's socket (handshake or established) holds only the keys
/// covering its peer, so another peer's key never decides its segments.
fn socket_keys(
    specs: &[AoKeySpec],
    addrs: &AddrPair,
    port_ok: &dyn Fn(&&AoKeySpec) -> bool,
    state: &AoSocketState,
) -> MktTable {
    let for_peer = !matches!(state, AoSocketState::Listen);
    let mut table = MktTable::new();
    for s in specs
        .iter()
        .filter(|s| port_ok(s))
        .filter(|s| !for_peer || s.mkt.covers(lookup_address(addrs.src()), 0))
    {
        table.add(s.mkt.clone());
    }
    table
}

/// The SendID of the AO key whose RecvID is `key_id`, for the sender.
fn current_send_id(specs: &[AoKeySpec], addrs: &AddrPair, key_id: Option<u8>) -> Option<u8> {
    let key_id = key_id?;
    specs
        .iter()
        .rev()
        .find(|s| s.mkt.recv_id == key_id && s.mkt.covers(lookup_address(addrs.src()), 0))
        .map(|s| s.mkt.send_id)
}

fn describe(
    out: &mut AoCheck,
    outcome: &AoOutcome,
    location: &Result<AoLocation<'_>, tcpmd5::scan::Malformation>,
) {
    out.counter = outcome.counter;
    out.tracepoint = outcome.tracepoint;
    let key_id = out.key_id.unwrap_or(0);
    out.verdict = AoResult::Checked(outcome.verdict);
    out.rnext_request = outcome.rnext_request;
    out.reason = match outcome.verdict {
        AoVerdict::Signed { .. } => {
            let mut s = format!("the TCP-AO MAC verifies with KeyID {key_id}");
            if let Some(r) = outcome.rnext_request {
                s.push_str(&format!(
                    "; the sender asks to be sent KeyID {} (RNextKeyID){}",
                    r.requested,
                    if r.switched { "" } else { ", which no AO key has as SendID" }
                ));
            }
            s
        }
        AoVerdict::Unsigned => "unsigned, and no AO key covers the sender".to_owned(),
        AoVerdict::Md5 => "an MD5 option: the MD5 check decides, not TCP-AO".to_owned(),
        AoVerdict::Drop(tcpmd5::DropReason::AuthHeader) => match location {
            Err(tcpmd5::scan::Malformation::Duplicate { first, second, .. }) if first != second => {
                "MD5 and TCP-AO options both present: Linux drops it before any key is looked at (TCP_AUTH_HDR)".to_owned()
            }
            Err(m) => format!("malformed authentication options: {m} (TCP_AUTH_HDR)"),
            Ok(_) => drop_sentence(tcpmd5::DropReason::AuthHeader),
        },
        AoVerdict::Drop(tcpmd5::DropReason::AoKeyNotFound) => format!(
            "no AO key for the sender has RecvID {key_id} (the segment's KeyID) (TCP_AOKEYNOTFOUND, TCPAOKeyNotFound)"
        ),
        AoVerdict::Drop(tcpmd5::DropReason::AoFailure)
            if outcome.tracepoint == Some("tcp_ao_wrong_maclen") =>
        {
            "the MAC is not as long as the AO key's MAC length (TCP_AOFAILURE, TCPAOBad)".to_owned()
        }
        AoVerdict::Drop(tcpmd5::DropReason::AoFailure) => format!(
            "the TCP-AO MAC is wrong for KeyID {key_id} (wrong secret or algorithm, options covered or not (an --ao-key covers them unless its ALG is followed by ,exclude-options), wrong ISNs, or the segment was altered) (TCP_AOFAILURE, TCPAOBad)"
        ),
        AoVerdict::Drop(tcpmd5::DropReason::AoNotFound) => {
            "unsigned, but an AO key covers the sender: TCP-AO is required (TCP_AONOTFOUND, TCPAORequired)".to_owned()
        }
        AoVerdict::Drop(r) => drop_sentence(r),
    };
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use tcpmd5::DropReason;

    use super::*;

    #[test]
    fn verdicts_are_typed_and_spelled_once_at_output() {
        let cases = [
            (
                AoResult::Checked(AoVerdict::Signed { key_id: 61 }),
                "accept",
                false,
            ),
            (AoResult::Checked(AoVerdict::Unsigned), "accept", false),
            (
                AoResult::Checked(AoVerdict::Drop(DropReason::AoFailure)),
                "drop:TCP_AOFAILURE",
                true,
            ),
            (
                AoResult::Checked(AoVerdict::Drop(DropReason::TcpFlags)),
                "drop:TCP_FLAGS",
                true,
            ),
            (AoResult::Checked(AoVerdict::Md5), "md5", false),
            (AoResult::Unchecked, "unchecked", false),
        ];
        for (verdict, id, dropped) in cases {
            let check = AoCheck {
                verdict,
                ..preceded_by(DropReason::TcpChecksum)
            };
            assert_eq!(check.verdict.id(), id);
            assert_eq!(check.dropped(), dropped, "{id}");
            assert_eq!(
                serde_json::to_value(&check)
                    .ok()
                    .map(|v| v["verdict"].clone()),
                Some(serde_json::Value::from(id))
            );
        }
    }
}
