//! The decision vectors' model side: a record's inputs (the socket and the
//! packet, read back from the record itself) and what the model expects of
//! them under one semantics. The generator writes these expectations and the
//! checker recomputes them from the record alone, so a record that does not
//! say what the model says fails, and so does a model that changed.

use serde_json::{Map, Value, json};
use tcpmd5::key_table::KeyTable;
use tcpmd5::verdict::{
    DropReason, Receiver, ReceiverVerdict, TimeWaitState, TimeWaitSubstate, closed_port_reset,
    listener_reset, receiver_verdict, timewait_action,
};
use tcpmd5::wire::SeqNumber;
use tcpmd5::{Key, Semantics, Verdict, packet_verdict};
use tcpmd5_testkit::record::{receiver_table, unhex};

/// The decision a record pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The authentication check of a socket (`receiver_verdict`).
    Receiver(Receiver),
    /// The reply of a port without a socket (`closed_port_reset`);
    /// `listener`: the listener on the segment's source port, keyed or
    /// not, if any.
    ClosedPort { listener: Option<bool> },
    /// A listener's reply to a segment that is not a SYN (`listener_reset`).
    ListenerReset,
    /// A timewait-type socket (`receiver_verdict` with
    /// `Receiver::TimeWait`, then `timewait_action`).
    TimeWait(TimeWaitState),
}

/// `socket`, `request-sock`, `timewait`: a receiver as the vectors write it.
pub(crate) fn receiver_id(r: Receiver) -> &'static str {
    match r {
        Receiver::Socket => "socket",
        Receiver::RequestSock => "request-sock",
        Receiver::TimeWait => "timewait",
    }
}

/// `time-wait`, `fin-wait-2`.
pub(crate) fn substate_id(s: TimeWaitSubstate) -> &'static str {
    match s {
        TimeWaitSubstate::TimeWait => "time-wait",
        TimeWaitSubstate::FinWait2 => "fin-wait-2",
    }
}

/// One record's inputs.
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    /// The decision.
    pub decision: Decision,
    /// The key the socket (or the listener) holds for the packet's source.
    pub key: Option<Key>,
    /// The whole IP packet.
    pub packet: Vec<u8>,
}

impl Inputs {
    /// The `decision` and `socket` fields of a record.
    pub(crate) fn socket_fields(&self) -> (&'static str, Value) {
        let key = self.key.as_ref().map(|k| hex(k.as_bytes()));
        match self.decision {
            Decision::Receiver(r) => ("receiver", json!({"receiver": receiver_id(r), "key": key})),
            Decision::ClosedPort { listener } => (
                "closed-port",
                json!({"listener": listener.map(|k| if k { "keyed" } else { "keyless" }), "key": key}),
            ),
            Decision::ListenerReset => ("listener-reset", json!({"key": key})),
            Decision::TimeWait(s) => (
                "timewait",
                json!({
                    "substate": substate_id(s.substate),
                    "rcv_nxt": s.rcv_nxt.0,
                    "rcv_wnd": s.rcv_wnd,
                    "tcp_rfc1337": false,
                    "key": key,
                }),
            ),
        }
    }

    /// Reads a record's inputs back; `Err` names what is missing.
    pub(crate) fn read(record: &Value) -> Result<Inputs, String> {
        let socket = &record["socket"];
        let str_field = |v: &Value, k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("no {k}"))
        };
        let key = match &socket["key"] {
            Value::Null => None,
            Value::String(h) => Some(
                unhex(h)
                    .and_then(|b| Key::new(&b).ok())
                    .ok_or_else(|| format!("bad key {h}"))?,
            ),
            other => return Err(format!("bad key {other}")),
        };
        let decision = match str_field(record, "decision")?.as_str() {
            "receiver" => Decision::Receiver(match str_field(socket, "receiver")?.as_str() {
                "socket" => Receiver::Socket,
                "request-sock" => Receiver::RequestSock,
                "timewait" => Receiver::TimeWait,
                other => return Err(format!("unknown receiver {other}")),
            }),
            "closed-port" => Decision::ClosedPort {
                listener: match &socket["listener"] {
                    Value::Null => None,
                    v if v == "keyed" => Some(true),
                    v if v == "keyless" => Some(false),
                    other => return Err(format!("unknown listener {other}")),
                },
            },
            "listener-reset" => Decision::ListenerReset,
            "timewait" => {
                let number = |k: &str| {
                    socket[k]
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| format!("no {k}"))
                };
                if socket["tcp_rfc1337"] != false {
                    return Err("only tcp_rfc1337 = 0 is recorded".to_owned());
                }
                Decision::TimeWait(TimeWaitState {
                    substate: match str_field(socket, "substate")?.as_str() {
                        "time-wait" => TimeWaitSubstate::TimeWait,
                        "fin-wait-2" => TimeWaitSubstate::FinWait2,
                        other => return Err(format!("unknown substate {other}")),
                    },
                    rcv_nxt: SeqNumber(number("rcv_nxt")?),
                    rcv_wnd: number("rcv_wnd")?,
                })
            }
            other => return Err(format!("unknown decision {other}")),
        };
        let packet = unhex(&str_field(record, "packet")?).ok_or("bad packet hex")?;
        Ok(Inputs {
            decision,
            key,
            packet,
        })
    }

    /// The key table of the socket, or of the listener.
    fn table(&self) -> KeyTable {
        receiver_table(&self.packet, self.key.as_ref()).expect("the record's key table")
    }

    /// What the model expects under `semantics`: `verdict` (and
    /// `acceptance`), `drop_reason`, `counter`, `tracepoint`, and for the
    /// decisions that answer, `reply` (and `action` at a timewait socket).
    pub(crate) fn expected(&self, semantics: Semantics) -> Map<String, Value> {
        let p = &self.packet;
        let mut m = Map::new();
        match self.decision {
            Decision::Receiver(r) => {
                let v = receiver_verdict(p, &self.table(), 0, semantics, r).expect("parses");
                receiver_fields(&mut m, v, semantics);
            }
            Decision::ClosedPort { listener } => {
                // No socket: no authentication check runs.
                for k in ["verdict", "drop_reason", "counter", "tracepoint"] {
                    m.insert(k.to_owned(), Value::Null);
                }
                let table =
                    listener.map(|keyed| if keyed { self.table() } else { KeyTable::new() });
                let reply = closed_port_reset(p, table.as_ref(), 0, semantics).expect("parses");
                m.insert("reply".to_owned(), reply.id().into());
            }
            Decision::ListenerReset => {
                let table = self.table();
                let v = packet_verdict(p, &table, 0, semantics).expect("parses");
                receiver_fields(&mut m, ReceiverVerdict::Checked(v), semantics);
                let reply = listener_reset(p, &table, 0, semantics).expect("parses");
                m.insert("reply".to_owned(), reply.id().into());
            }
            Decision::TimeWait(state) => {
                let table = self.table();
                let v =
                    receiver_verdict(p, &table, 0, semantics, Receiver::TimeWait).expect("parses");
                receiver_fields(&mut m, v, semantics);
                let (action, reply) = if v.is_accept() {
                    let a = timewait_action(p, state, false).expect("parses");
                    (Value::from(a.id()), timewait_reply(p, a, &table, semantics))
                } else {
                    (Value::Null, "none")
                };
                m.insert("action".to_owned(), action);
                m.insert("reply".to_owned(), reply.into());
            }
        }
        m
    }
}

/// The reply of a timewait socket taking `action`: its ACKs are signed with
/// the key it copied from the connection; its resets are those of a closed
/// port (no listener on the segment's source port, the peer's port).
fn timewait_reply(
    packet: &[u8],
    action: tcpmd5::verdict::TimeWaitAction,
    table: &KeyTable,
    semantics: Semantics,
) -> &'static str {
    use tcpmd5::verdict::TimeWaitAction as A;
    match action {
        A::Ack { .. } => {
            let src = tcpmd5::wire::IpSegment::parse(packet)
                .expect("parses")
                .addrs
                .src();
            if table.lookup(src, 0).is_some() {
                "signed-ack"
            } else {
                "unsigned-ack"
            }
        }
        A::ResetAndKill => closed_port_reset(packet, None, 0, semantics)
            .expect("parses")
            .id(),
        A::Kill | A::Ignore | A::Reopen => "none",
    }
}

/// The verdict's fields. `counter` and `tracepoint` are a kernel's: none
/// for `rfc2385`, and no `tcp:tcp_hash_*` tracepoint before 6.11, so none
/// for `linux-legacy` (Linux before 6.7).
fn receiver_fields(m: &mut Map<String, Value>, v: ReceiverVerdict, semantics: Semantics) {
    m.insert("verdict".to_owned(), v.id().into());
    if let ReceiverVerdict::Checked(Verdict::Accept(a)) = v {
        m.insert("acceptance".to_owned(), a.id().into());
    }
    let reason = v.drop_reason();
    let kernel = semantics != Semantics::Rfc2385;
    let tracing = kernel && semantics != Semantics::LinuxLegacy;
    m.insert(
        "drop_reason".to_owned(),
        reason.map(DropReason::kernel_name).into(),
    );
    m.insert("counter".to_owned(), v.counter().filter(|_| kernel).into());
    m.insert(
        "tracepoint".to_owned(),
        v.tracepoint().filter(|_| tracing).into(),
    );
}

/// Lowercase hex.
fn hex(b: &[u8]) -> String {
    tcpmd5_testkit::record::hex(b)
}

/// Checks one record: every semantics' expectation (its `source` aside)
/// equals the model's for the record's own inputs, and each source is one
/// of the kinds the README names. `Err` says what differs.
pub(crate) fn check(record: &Value) -> Result<(), String> {
    let id = record["id"].as_str().unwrap_or("<no id>");
    let inputs = Inputs::read(record).map_err(|e| format!("{id}: {e}"))?;
    let expected = record["expected"]
        .as_object()
        .ok_or_else(|| format!("{id}: no expected"))?;
    let known: Vec<Semantics> = Semantics::known().collect();
    if expected.len() != known.len() {
        return Err(format!(
            "{id}: {} semantics, want {}",
            expected.len(),
            known.len()
        ));
    }
    for s in known {
        let mut got = expected
            .get(s.id())
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| format!("{id}: no {}", s.id()))?;
        let source = got.remove("source").unwrap_or(Value::Null);
        let want = inputs.expected(s);
        if got != want {
            return Err(format!(
                "{id} {}: the record says {}, the model {}",
                s.id(),
                Value::Object(got),
                Value::Object(want)
            ));
        }
        let kind = source["kind"].as_str().unwrap_or("");
        let ok = match kind {
            "live" => {
                source["runs"].as_array().is_some_and(|r| {
                    !r.is_empty()
                        && r.iter().all(|run| {
                            ["kernel", "date", "script", "status"]
                                .iter()
                                .all(|k| run[k].as_str().is_some_and(|v| !v.is_empty()))
                        })
                }) && source["cases"].as_array().is_some_and(|c| !c.is_empty())
            }
            "rfc" => s == Semantics::Rfc2385 && source["cite"].as_str().is_some(),
            "model" => source["reason"].as_str().is_some(),
            _ => false,
        };
        if !ok {
            return Err(format!("{id} {}: bad source {source}", s.id()));
        }
    }
    Ok(())
}
