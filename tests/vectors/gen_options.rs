//! The crafted option vectors: every option-layout corner case x family x
//! receiver key.

use serde_json::{Value, json};
use tcpmd5::sign::{SignError, sign_packet_in_place};
use tcpmd5::wire::TcpFlags;
use tcpmd5::{Key, Semantics};
use tcpmd5_testkit::layouts::corner_cases;
use tcpmd5_testkit::record::{family_id, hex, receiver_table, scan_class, verdict_fields};

use super::generate::{crafted, packet, pair, payload, seg};
use super::live::{observations, source};

/// The key option vectors are signed with.
pub(crate) const OPT_KEY: &[u8] = b"option-vectors";

/// Option-layout vectors: every corner case x family x receiver key.
pub(crate) fn crafted_options() -> Vec<Value> {
    let mut out = Vec::new();
    let key = Key::new(OPT_KEY).expect("key");
    let observed = observations();
    for l in corner_cases() {
        for v6 in [false, true] {
            let a = pair(v6, false);
            let mut s = seg(a, (45000, 179), 0x0badcafe, 0x0defaced, TcpFlags(0x018));
            s.options = l.area.clone();
            s.payload = payload(8, 0x33);
            let mut p = packet(&s, &[]);
            // Layouts without a locatable MD5 option stay unsigned.
            match sign_packet_in_place(&mut p, &key) {
                Ok(_) | Err(SignError::NoMd5Option) => {}
                Err(e) => panic!("{}: {e}", l.name),
            }
            for with_key in [true, false] {
                let mut expected = serde_json::Map::new();
                let receiver = with_key.then_some(&key);
                let table = receiver_table(&p, receiver).expect("receiver table");
                for sem in Semantics::known() {
                    let v = tcpmd5::packet_verdict(&p, &table, 0, sem).expect("verdict");
                    let (class, offset) = scan_class(sem.scan(&l.area));
                    let mut e = verdict_fields(v);
                    e.insert("scan".to_owned(), class.into());
                    e.insert("offset".to_owned(), offset.into());
                    let family = family_id(&a);
                    e.insert(
                        "source".to_owned(),
                        source(&observed, sem, l.name, with_key, family),
                    );
                    expected.insert(sem.id().to_owned(), Value::Object(e));
                }
                out.push(json!({
                    "id": format!("options/{}-{}-{}", l.name, if v6 { "v6" } else { "v4" }, if with_key { "key" } else { "nokey" }),
                    "comment": format!("{} ({}, receiver {})", l.summary, if v6 { "IPv6" } else { "IPv4" }, if with_key { "holds the signing key" } else { "holds no key" }),
                    "provenance": crafted(),
                    "layout": l.name,
                    "family": family_id(&a),
                    "area": hex(&l.area),
                    "packet": hex(&p),
                    "receiver_key": if with_key { Value::String(hex(OPT_KEY)) } else { Value::Null },
                    "expected": expected,
                }));
            }
        }
    }
    out
}
