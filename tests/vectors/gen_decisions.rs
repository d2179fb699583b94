//! The decision vectors: a segment and the socket it reaches (a listener, a
//! request socket, an established socket, a closed port, a timewait
//! socket), and what each semantics decides. Every row mirrors a
//! conformance case, which sends the same segment (same flags, options,
//! authentication and place relative to the socket's numbers) to the same
//! kind of socket; the live runs of those cases, recorded in
//! `tests/vectors/observed/decisions/` by `ci/regen/observe-decisions.sh`,
//! are each expectation's source.

use std::path::Path;

use serde_json::{Value, json};
use tcpmd5::sign::sign_packet_in_place;
use tcpmd5::verdict::{Receiver, TimeWaitState, TimeWaitSubstate};
use tcpmd5::wire::{SeqNumber, TcpFlags};
use tcpmd5::{Key, Semantics};
use tcpmd5_testkit::TcpSegmentSpec;
use tcpmd5_testkit::record::{family_id, hex};

use super::decisions::{Decision, Inputs};
use super::generate::{crafted, packet, pair};
use super::support::{RecordedRun, recorded_runs};

/// The key of the socket (or listener) for the peer.
pub(crate) const DECISION_KEY: &[u8] = b"decision-vectors";
/// A key the socket does not hold.
const OTHER_KEY: &[u8] = b"another-key";

/// The peer's and the socket's ports: the listener's is 179, the closed
/// port's 4000; a peer at 179 finds the listener for a closed-port reset.
const PEER_PORT: u16 = 41000;
const LISTEN_PORT: u16 = 179;
const CLOSED_PORT: u16 = 4000;

/// A timewait socket's receive state (the live run's numbers differ; the
/// segment sits at the same place relative to them).
const RCV_NXT: u32 = 0x0bad_cafe;
const RCV_WND: u32 = 64256;
/// The peer's `rcv_nxt` (the acknowledgement number it sends).
const PEER_ACK: u32 = 0x1234_5678;

/// How the peer authenticates the segment (as the conformance peer does).
#[derive(Debug, Clone, Copy)]
enum Auth {
    Unsigned,
    Signed,
    WrongKey,
    /// Signed, then a payload bit (or without payload, a digest bit) flipped.
    Corrupted,
    /// An MD5 option with an all-zero digest.
    ZeroDigest,
    /// A second MD5 option after the signed one.
    Duplicate,
    /// Only a TCP-AO option (the conformance peer's).
    AoOnly,
}

/// Where the segment's sequence number is.
#[derive(Debug, Clone, Copy)]
enum Seq {
    At(u32),
    /// The timewait socket's `rcv_nxt` plus this.
    RcvNxt(i32),
    /// The timewait socket's window end plus this.
    WindowEnd(i32),
}

/// One vector (per family).
#[derive(Debug, Clone, Copy)]
struct Row {
    /// The id after `decisions/<decision>/`.
    name: &'static str,
    comment: &'static str,
    decision: Decision,
    /// Whether the socket holds the key for the peer.
    keyed: bool,
    flags: TcpFlags,
    seq: Seq,
    payload: &'static [u8],
    auth: Auth,
    /// The conformance cases (without `/ipv4`, `/ipv6`) sending it.
    cases: &'static [&'static str],
}

fn tw(substate: TimeWaitSubstate) -> Decision {
    Decision::TimeWait(TimeWaitState {
        substate,
        rcv_nxt: SeqNumber(RCV_NXT),
        rcv_wnd: RCV_WND,
    })
}

/// Every row, one a line.
#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use Auth::*;
    use TimeWaitSubstate::{FinWait2, TimeWait};
    let (syn, ack, fin, rst, psh) = (
        TcpFlags::SYN,
        TcpFlags::ACK,
        TcpFlags::FIN,
        TcpFlags::RST,
        TcpFlags::PSH,
    );
    let listener = Decision::Receiver(Receiver::Socket);
    let established = Decision::Receiver(Receiver::Socket);
    let request = Decision::Receiver(Receiver::RequestSock);
    let closed = |l: Option<bool>| Decision::ClosedPort { listener: l };
    let row = |name, comment, decision, keyed, flags, seq, payload, auth, cases| Row {
        name,
        comment,
        decision,
        keyed,
        flags,
        seq,
        payload,
        auth,
        cases,
    };
    let s0 = Seq::At(0x7e57_0000);
    let data: &[u8] = b"UPDATE";
    vec![
        // Listeners (SYNs).
        row("listener-keyed-syn-signed", "a SYN signed with the key, to a listener holding it", listener, true, syn, s0, &[], Signed, &["listener-key/syn-signed"]),
        row("listener-keyed-syn-unsigned", "an unsigned SYN to a listener holding a key for the peer", listener, true, syn, s0, &[], Unsigned, &["listener-key/syn-unsigned"]),
        row("listener-keyed-syn-wrong-key", "a SYN signed with another key", listener, true, syn, s0, &[], WrongKey, &["listener-key/syn-wrong-key"]),
        row("listener-keyed-syn-zero-digest", "a SYN whose MD5 option carries an all-zero digest", listener, true, syn, s0, &[], ZeroDigest, &["listener-key/syn-zero-digest"]),
        row("listener-keyless-syn-unsigned", "an unsigned SYN to a listener without keys", listener, false, syn, s0, &[], Unsigned, &["listener-nokey/syn-unsigned"]),
        row("listener-keyless-syn-signed", "a signed SYN to a listener without keys", listener, false, syn, s0, &[], Signed, &["listener-nokey/syn-signed"]),
        row("listener-keyless-syn-zero-digest", "a SYN with a zeroed MD5 digest to a listener without keys", listener, false, syn, s0, &[], ZeroDigest, &["listener-nokey/syn-zero-digest"]),
        // Request sockets (SYN-RECV).
        row("request-third-ack-signed", "a signed third ACK to the request socket", request, true, ack, s0, &[], Signed, &["session-handshake/third-ack-signed"]),
        row("request-third-ack-unsigned", "an unsigned third ACK to the request socket", request, true, ack, s0, &[], Unsigned, &["session-handshake/third-ack-unsigned"]),
        row("request-third-ack-wrong-key", "a third ACK signed with another key", request, true, ack, s0, &[], WrongKey, &["session-handshake/third-ack-wrong-key"]),
        row("request-third-ack-corrupted", "a third ACK whose digest was corrupted", request, true, ack, s0, &[], Corrupted, &["session-handshake/third-ack-corrupted"]),
        row("request-rst-signed", "a signed in-window RST to the request socket", request, true, rst | ack, s0, &[], Signed, &["session-handshake/syn-recv-rst-signed"]),
        row("request-rst-unsigned", "an unsigned in-window RST to the request socket", request, true, rst | ack, s0, &[], Unsigned, &["session-handshake/syn-recv-rst-unsigned"]),
        row("request-rst-wrong-key", "an in-window RST signed with another key to the request socket", request, true, rst | ack, s0, &[], WrongKey, &["session-handshake/syn-recv-rst-wrong-key"]),
        // Established sockets.
        row("established-data-signed", "signed data", established, true, psh | ack, s0, data, Signed, &["session-established/data-signed"]),
        row("established-data-unsigned", "unsigned data", established, true, psh | ack, s0, data, Unsigned, &["session-established/data-unsigned"]),
        row("established-data-wrong-key", "data signed with another key", established, true, psh | ack, s0, data, WrongKey, &["session-established/data-wrong-key"]),
        row("established-data-corrupted", "signed data with a payload bit flipped", established, true, psh | ack, s0, data, Corrupted, &["session-established/data-corrupted"]),
        row("established-data-ao-only", "data with only a TCP-AO option injected into an MD5 session (the AO bypass)", established, true, psh | ack, s0, data, AoOnly, &["ao-bypass/data-on-md5-session"]),
        // Closed ports.
        row("signed-listener-on-src-port", "a signed ACK to a closed port from the port a keyed listener uses (the listener is found by the segment's source port)", closed(Some(true)), true, ack, s0, &[], Signed, &["resets/closed-port-signed-listener-on-src-port"]),
        row("signed-other-src-port", "a signed ACK to a closed port from a port no listener uses", closed(None), false, ack, s0, &[], Signed, &["resets/closed-port-signed-other-src-port"]),
        row("wrong-key", "an ACK signed with another key to a closed port (a keyed listener on the source port)", closed(Some(true)), true, ack, s0, &[], WrongKey, &["resets/closed-port-wrong-key"]),
        row("unsigned", "an unsigned ACK to a closed port (a keyed listener on the source port)", closed(Some(true)), true, ack, s0, &[], Unsigned, &["resets/closed-port-unsigned"]),
        row("duplicate-md5", "a signed ACK with a second MD5 option to a closed port (a keyed listener on the source port)", closed(Some(true)), true, ack, s0, &[], Duplicate, &["resets/closed-port-duplicate-md5"]),
        row("duplicate-md5-keyless-listener", "a signed ACK with a second MD5 option to a closed port (a keyless listener on the source port)", closed(Some(false)), false, ack, s0, &[], Duplicate, &["resets/closed-port-duplicate-md5-keyless-listener"]),
        row("ao-only", "an ACK with only a TCP-AO option to a closed port (a keyed listener on the source port)", closed(Some(true)), true, ack, s0, &[], AoOnly, &["resets/closed-port-ao-only"]),
        row("ao-only-keyless-listener", "an ACK with only a TCP-AO option to a closed port (a keyless listener on the source port)", closed(Some(false)), false, ack, s0, &[], AoOnly, &["resets/closed-port-ao-only-keyless-listener"]),
        // A listener's answer to an ACK (the certain answer once a timewait
        // or request socket is gone).
        row("signed-ack", "a signed ACK to a keyed listener with no connection for it", Decision::ListenerReset, true, ack, s0, b"k", Signed, &["listener-ack/signed", "session-finwait/orphan-fin-wait-2-unsigned-data", "session-finwait/orphan-fin-wait-2-syn-at-rcv-nxt", "session-handshake/syn-recv-rst-signed"]),
        row("unsigned-ack", "an unsigned ACK to a listener holding a key for the peer", Decision::ListenerReset, true, ack, s0, &[], Unsigned, &["listener-ack/unsigned"]),
        row("wrong-key-ack", "an ACK signed with another key to a keyed listener", Decision::ListenerReset, true, ack, s0, &[], WrongKey, &["listener-ack/wrong-key"]),
        row("rst-signed", "a signed RST to a keyed listener (passes the check; a listener discards an RST)", Decision::ListenerReset, true, rst | ack, s0, &[], Signed, &["listener-ack/rst-signed"]),
        row("keyless-unsigned-ack", "an unsigned ACK to a listener without keys", Decision::ListenerReset, false, ack, s0, &[], Unsigned, &["listener-ack/keyless-unsigned"]),
        // TIME-WAIT (the kernel closed first; rcv_nxt follows the peer's FIN).
        row("time-wait-signed-fin", "a signed retransmitted FIN", tw(TimeWait), true, fin | ack, Seq::RcvNxt(-1), &[], Signed, &["session-close/time-wait-signed-fin"]),
        row("time-wait-unsigned-fin", "an unsigned retransmitted FIN", tw(TimeWait), true, fin | ack, Seq::RcvNxt(-1), &[], Unsigned, &["session-close/time-wait-unsigned-fin"]),
        row("time-wait-wrong-key-fin", "a retransmitted FIN signed with another key", tw(TimeWait), true, fin | ack, Seq::RcvNxt(-1), &[], WrongKey, &["session-close/time-wait-wrong-key-fin"]),
        row("time-wait-unsigned-rst", "an unsigned RST at rcv_nxt", tw(TimeWait), true, rst | ack, Seq::RcvNxt(0), &[], Unsigned, &["session-close/time-wait-unsigned-rst"]),
        row("time-wait-signed-rst", "a signed RST at rcv_nxt", tw(TimeWait), true, rst | ack, Seq::RcvNxt(0), &[], Signed, &["session-close/time-wait-signed-rst"]),
        row("time-wait-syn-at-rcv-nxt", "an unsigned SYN at rcv_nxt (not after it: no reopening)", tw(TimeWait), true, syn, Seq::RcvNxt(0), &[], Unsigned, &["session-close/time-wait-syn-at-rcv-nxt"]),
        // The orphaned FIN-WAIT-2 (a timewait socket too).
        row("orphan-fin-wait-2-signed-fin", "the peer's signed FIN", tw(FinWait2), true, fin | ack, Seq::RcvNxt(0), &[], Signed, &["session-finwait/orphan-fin-wait-2-signed-fin"]),
        row("orphan-fin-wait-2-unsigned-fin", "the peer's unsigned FIN", tw(FinWait2), true, fin | ack, Seq::RcvNxt(0), &[], Unsigned, &["session-finwait/orphan-fin-wait-2-unsigned-fin"]),
        row("orphan-fin-wait-2-wrong-key-fin", "a FIN signed with another key", tw(FinWait2), true, fin | ack, Seq::RcvNxt(0), &[], WrongKey, &["session-finwait/orphan-fin-wait-2-wrong-key-fin"]),
        row("orphan-fin-wait-2-unsigned-data", "unsigned data at rcv_nxt", tw(FinWait2), true, psh | ack, Seq::RcvNxt(0), data, Unsigned, &["session-finwait/orphan-fin-wait-2-unsigned-data"]),
        row("orphan-fin-wait-2-unsigned-rst", "an unsigned RST at rcv_nxt", tw(FinWait2), true, rst | ack, Seq::RcvNxt(0), &[], Unsigned, &["session-finwait/orphan-fin-wait-2-unsigned-rst"]),
        row("orphan-fin-wait-2-unsigned-rst-in-window", "an unsigned RST 1000 bytes into the window", tw(FinWait2), true, rst | ack, Seq::RcvNxt(1000), &[], Unsigned, &["session-finwait/orphan-fin-wait-2-unsigned-rst-in-window"]),
        row("orphan-fin-wait-2-data-ending-at-rcv-nxt", "one unsigned byte at rcv_nxt - 1 (ends where the window starts)", tw(FinWait2), true, psh | ack, Seq::RcvNxt(-1), b"x", Unsigned, &["session-finwait/orphan-fin-wait-2-data-ending-at-rcv-nxt"]),
        row("orphan-fin-wait-2-data-last-in-window", "one unsigned byte at the window's last number", tw(FinWait2), true, psh | ack, Seq::WindowEnd(-1), b"x", Unsigned, &["session-finwait/orphan-fin-wait-2-data-last-in-window"]),
        row("orphan-fin-wait-2-data-at-window-end", "one unsigned byte exactly at the window's end", tw(FinWait2), true, psh | ack, Seq::WindowEnd(0), b"x", Unsigned, &["session-finwait/orphan-fin-wait-2-data-at-window-end"]),
        row("orphan-fin-wait-2-syn-at-rcv-nxt", "an unsigned SYN at rcv_nxt", tw(FinWait2), true, syn, Seq::RcvNxt(0), &[], Unsigned, &["session-finwait/orphan-fin-wait-2-syn-at-rcv-nxt"]),
        row("orphan-fin-wait-2-syn-below-rcv-nxt", "an unsigned SYN with one byte at rcv_nxt - 1", tw(FinWait2), true, syn, Seq::RcvNxt(-1), b"x", Unsigned, &["session-finwait/orphan-fin-wait-2-syn-below-rcv-nxt"]),
    ]
}

/// The MD5 option as Linux lays it out (NOP NOP first), digest zero.
const MD5_PLACEHOLDER: [u8; 20] = [1, 1, 19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// The conformance peer's TCP-AO option (KeyID 1, RNextKeyID 2, a 12-byte
/// MAC) and its padding.
const AO_OPTION: [u8; 20] = [
    29, 16, 1, 2, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 1, 1, 1,
    1,
];
/// MSS 1460, which the peer's SYNs carry.
const MSS_OPTION: [u8; 4] = [2, 4, 0x05, 0xb4];

/// The row's packet over IPv4 or IPv6.
fn build(row: &Row, v6: bool) -> Vec<u8> {
    let addrs = pair(v6, false);
    let dst_port = match row.decision {
        Decision::ClosedPort { .. } => CLOSED_PORT,
        _ => LISTEN_PORT,
    };
    let src_port = match row.decision {
        Decision::ClosedPort {
            listener: Some(_), ..
        } => LISTEN_PORT,
        _ => PEER_PORT,
    };
    let seq = match row.seq {
        Seq::At(n) => n,
        Seq::RcvNxt(d) => RCV_NXT.wrapping_add_signed(d),
        Seq::WindowEnd(d) => RCV_NXT.wrapping_add(RCV_WND).wrapping_add_signed(d),
    };
    let ack = if row.flags.contains(TcpFlags::ACK) {
        PEER_ACK
    } else {
        0
    };
    let mut options = match row.auth {
        Auth::Unsigned => Vec::new(),
        Auth::AoOnly => AO_OPTION.to_vec(),
        Auth::Duplicate => [MD5_PLACEHOLDER, MD5_PLACEHOLDER].concat(),
        _ => MD5_PLACEHOLDER.to_vec(),
    };
    if row.flags.contains(TcpFlags::SYN) && options.len() + MSS_OPTION.len() <= 40 {
        options.extend(MSS_OPTION);
    }
    let spec = TcpSegmentSpec {
        seq,
        ack,
        window: 64240,
        options,
        payload: row.payload.to_vec(),
        ..TcpSegmentSpec::new(addrs, (src_port, dst_port), row.flags)
    };
    let mut p = packet(&spec, &[]);
    let key = |k: &[u8]| Key::new(k).expect("key");
    match row.auth {
        Auth::Unsigned | Auth::AoOnly | Auth::ZeroDigest => {}
        Auth::Signed | Auth::Duplicate => {
            sign_packet_in_place(&mut p, &key(DECISION_KEY)).expect("signed");
        }
        Auth::WrongKey => {
            sign_packet_in_place(&mut p, &key(OTHER_KEY)).expect("signed");
        }
        Auth::Corrupted => {
            sign_packet_in_place(&mut p, &key(DECISION_KEY)).expect("signed");
            let located = tcpmd5::wire::IpSegment::parse(&p).expect("parses");
            let (tcp, addrs) = (located.tcp_offset, located.addrs);
            // A payload bit if there is a payload, else a digest bit (the
            // conformance peer's choice); the checksum is refilled.
            let at = if row.payload.is_empty() {
                tcp + 20 + 4 + 5
            } else {
                p.len() - row.payload.len()
            };
            if let Some(b) = p.get_mut(at) {
                *b ^= 1 << 2;
            }
            if let Some(seg) = p.get_mut(tcp..) {
                tcpmd5::sign::refresh_checksum(&addrs, seg);
            }
        }
    }
    p
}

fn runs() -> Vec<RecordedRun> {
    recorded_runs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/observed/decisions"))
}

/// Where `rfc2385`'s expectation comes from, per decision; `reaches_tcp`:
/// whether the segment passes the check and goes on to TCP.
fn rfc_source(decision: Decision, reaches_tcp: bool) -> Value {
    match decision {
        Decision::Receiver(_) => {
            json!({"kind": "rfc", "cite": "RFC 2385 section 2.0 (every segment of a protected connection carries the digest; the receiver recomputes it with its own key and drops a segment that fails, sending nothing back) and section 3.0 (kind 19, length 18); RFC 9293 section 3.1 for the option list"})
        }
        Decision::ListenerReset => {
            json!({"kind": "model", "reason": "RFC 2385 section 2.0 gives the check (the verdict); what a listener answers to an ACK is RFC 9293 section 3.10.7.2 (a reset), which RFC 2385 does not say how to sign: the model's Linux reply stands, not confirmed by any kernel held to rfc2385"})
        }
        Decision::ClosedPort { .. } => {
            json!({"kind": "model", "reason": "RFC 2385 section 4.1 only says that a keyed receiver ignores a connectionless reset; what a port without a connection sends is not its subject: the model's Linux reply stands, not confirmed by any kernel held to rfc2385"})
        }
        Decision::TimeWait(_) if reaches_tcp => {
            json!({"kind": "model", "reason": "RFC 2385 section 2.0 gives the check, which this segment passes; what the timewait socket then does (action and reply) is TCP's, not RFC 2385's: the model's Linux timewait processing (tcp_timewait_state_process, RFC 9293 section 3.10.7.4), not confirmed by any kernel held to rfc2385"})
        }
        Decision::TimeWait(_) => {
            json!({"kind": "rfc", "cite": "RFC 2385 section 2.0 (every segment of a protected connection carries the digest and the receiver checks it, with no exception for TIME-WAIT: a segment that fails is dropped and nothing is sent back)"})
        }
    }
}

/// The source of `semantics`' expectation for a row's cases over `family`.
/// A recorded run of a kernel judged against `semantics` in which a case
/// did not pass (or report the known defect the model predicts, XFAIL) is
/// a disagreement: the kernel wins, generation stops until the model is
/// fixed.
fn source(
    runs: &[RecordedRun],
    semantics: Semantics,
    row: &Row,
    family: &str,
    reaches_tcp: bool,
) -> Value {
    if semantics == Semantics::Rfc2385 {
        return rfc_source(row.decision, reaches_tcp);
    }
    let cases: Vec<String> = row.cases.iter().map(|c| format!("{c}/{family}")).collect();
    let mut seen = Vec::new();
    for run in runs.iter().filter(|r| r.semantics == semantics.id()) {
        let statuses: Vec<Option<&String>> = cases.iter().map(|c| run.cases.get(c)).collect();
        if statuses.iter().all(Option::is_none) {
            continue;
        }
        for (c, s) in cases.iter().zip(&statuses) {
            match s.map(String::as_str) {
                Some("pass" | "xfail") => {}
                None => panic!(
                    "{c} did not run on {} ({}), which ran the row's other cases: record that kernel again (ci/regen/observe-decisions.sh)",
                    run.kernel, run.semantics
                ),
                other => panic!(
                    "{c} on {} ({}): {other:?}; the kernel disagrees with the model",
                    run.kernel, run.semantics
                ),
            }
        }
        let status = if statuses.iter().any(|s| s.is_some_and(|s| s == "xfail")) {
            "xfail"
        } else {
            "pass"
        };
        seen.push(
            json!({"kernel": run.kernel, "date": run.date, "script": run.script, "status": status}),
        );
    }
    if seen.is_empty() {
        json!({"kind": "model", "reason": format!(
            "derived from the model, not yet confirmed on a live kernel: no run of a {} kernel recorded (ci/regen/observe-decisions.sh on one)",
            semantics.id()
        )})
    } else {
        json!({"kind": "live", "runs": seen, "cases": cases})
    }
}

/// Every decision vector.
pub(crate) fn crafted_decisions() -> Vec<Value> {
    let runs = runs();
    let mut out = Vec::new();
    for row in rows() {
        for v6 in [false, true] {
            let p = build(&row, v6);
            let family = family_id(&pair(v6, false));
            let inputs = Inputs {
                decision: row.decision,
                key: row.keyed.then(|| Key::new(DECISION_KEY).expect("key")),
                packet: p,
            };
            let (decision, socket) = inputs.socket_fields();
            let mut expected = serde_json::Map::new();
            for s in Semantics::known() {
                let mut e = inputs.expected(s);
                let reaches_tcp = e.get("verdict").and_then(Value::as_str) == Some("accept");
                e.insert(
                    "source".to_owned(),
                    source(&runs, s, &row, family, reaches_tcp),
                );
                expected.insert(s.id().to_owned(), Value::Object(e));
            }
            out.push(json!({
                "id": format!("decisions/{decision}/{}/{family}", row.name),
                "comment": row.comment,
                "provenance": crafted(),
                "decision": decision,
                "family": family,
                "socket": socket,
                "packet": hex(&inputs.packet),
                "cases": row.cases.iter().map(|c| format!("{c}/{family}")).collect::<Vec<_>>(),
                "expected": expected,
            }));
        }
    }
    out
}
