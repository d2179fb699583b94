//! The published RFC 2385 test vectors (`vectors/`): every vector passes the
//! reference library, every file validates against `vectors/schema.json`,
//! and the crafted files are what the generator makes (tcpdump's agreement
//! with the digest vectors is `tests/tcpdump.rs`).
//!
//! Regenerate the crafted files: `cargo test --test vectors -- --ignored regenerate`.
//! Kernel vectors come from the conformance binary (`capture-vectors`).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

#[path = "vectors/decisions.rs"]
mod decisions;
#[path = "vectors/gen_decisions.rs"]
mod gen_decisions;
#[path = "vectors/gen_digest.rs"]
mod gen_digest;
#[path = "vectors/gen_keys.rs"]
mod gen_keys;
#[path = "vectors/gen_options.rs"]
mod gen_options;
#[path = "vectors/generate.rs"]
mod generate;
#[path = "vectors/live.rs"]
mod live;
#[path = "vectors/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::net::IpAddr;
use std::path::Path;

use serde_json::Value;
use tcpmd5::key_table::{KeyChange, Md5SigOption, Md5SigRequest};
use tcpmd5::verdict::{Acceptance, Verdict, VerdictId};
use tcpmd5::wire::IpSegment;
use tcpmd5::{Family, Key, Semantics, packet_verdict, segment_digest};

use support::*;
use tcpmd5_testkit::record::{receiver_table, render};

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

//= type=test
//= 2.0/digest-order
//= 2.0/verify
//= 2.0/silent-drop
//= linux/md5-notfound
#[test]
fn digest_vectors_pass_the_library() {
    let all = vectors("digest");
    assert!(!all.is_empty());
    for (file, v) in &all {
        let id = s(&v["id"]);
        let packet = unhex(s(&v["packet"]));
        let key = Key::new(&unhex(s(&v["key"]))).unwrap();
        let seg = IpSegment::parse(&packet).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(s(&v["family"]), family_id(&seg.addrs), "{id}");
        let digest = segment_digest(&seg.addrs, seg.segment, &key).unwrap();
        assert_eq!(hex(&digest), s(&v["digest"]), "{id} ({})", file.display());
        let table = receiver_table(&packet, Some(&key)).unwrap();
        for sem in Semantics::ALL {
            let got = packet_verdict(&packet, &table, 0, sem).unwrap();
            assert_eq!(
                got,
                expected_verdict(&v["expected"][sem.id()]),
                "{id} under {sem}"
            );
            if got == Verdict::Accept(Acceptance::Signed) {
                let carried = sem.scan(seg.tcp().options()).md5_digest().copied();
                assert_eq!(carried, Some(digest), "{id}");
            }
        }
        if let Some(input) = v.get("digest_input") {
            // External known-answer input: pseudo-header + fixed header.
            use md5::{Digest as _, Md5};
            let mut m = Md5::new();
            m.update(unhex(s(input)));
            m.update(key.as_bytes());
            let kat: [u8; 16] = m.finalize().into();
            assert_eq!(hex(&kat), s(&v["digest"]), "{id}");
        }
    }
}

/// The pinned table of `tests/scan_corner_cases.rs`, read from its source:
/// `name -> [rfc2385, linux-legacy, linux, linux-ao]` as `M(n)`/`A(n)`/`Ab`/`X`.
fn pinned_corner_cases() -> BTreeMap<String, Vec<String>> {
    let src = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scan_corner_cases.rs"),
    )
    .unwrap();
    let body = src.split("corner_cases! {").nth(1).unwrap();
    let mut out = BTreeMap::new();
    for line in body.lines() {
        let line = line.trim();
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        if name.starts_with("//") || !rest.trim_end().ends_with(';') {
            continue;
        }
        let cells: Vec<String> = rest
            .trim()
            .trim_end_matches(';')
            .split(',')
            .map(|c| c.trim().to_owned())
            .collect();
        assert_eq!(cells.len(), 4, "{line}");
        out.insert(name.trim().to_owned(), cells);
    }
    out
}

fn pinned_form(class: &str, offset: &Value) -> String {
    match class {
        "md5" => format!("M({})", offset),
        "ao" => format!("A({})", offset),
        "absent" => "Ab".to_owned(),
        "malformed" => "X".to_owned(),
        other => panic!("scan class {other}"),
    }
}

//= type=test
//= 3.0/option-syntax
//= linux/md5-unexpected
//= linux/md5-notfound
//= linux/auth-hdr-drop
//= linux/ao-unchecked
#[test]
fn option_vectors_pass_the_library_and_the_pinned_table() {
    let pinned = pinned_corner_cases();
    assert!(pinned.len() >= 37, "pinned table: {} rows", pinned.len());
    let all = vectors("options");
    let mut layouts_seen = std::collections::BTreeSet::new();
    for (_, v) in &all {
        let id = s(&v["id"]);
        let area = unhex(s(&v["area"]));
        let name = s(&v["layout"]);
        layouts_seen.insert(name.to_owned());
        let lib = tcpmd5_testkit::layouts::layout(name)
            .unwrap_or_else(|| panic!("{id}: no layout {name}"));
        assert_eq!(
            lib.area, area,
            "{id}: area differs from tcpmd5_testkit::layouts"
        );
        let packet = unhex(s(&v["packet"]));
        let seg = IpSegment::parse(&packet).unwrap();
        // The packet carries the layout, with a digest where a sender writes one.
        let mut carried = seg.tcp().options().to_vec();
        if let Some(at) = tcpmd5::sign::locate_md5_option(&carried) {
            carried[at + 2..at + 18].fill(0);
        }
        assert_eq!(carried, area, "{id}: packet's option area");
        let key = v["receiver_key"]
            .as_str()
            .map(|k| Key::new(&unhex(k)).unwrap());
        let table = receiver_table(&packet, key.as_ref()).unwrap();
        let row = pinned
            .get(name)
            .unwrap_or_else(|| panic!("{name} not pinned"));
        for sem in Semantics::known() {
            let e = &v["expected"][sem.id()];
            // The pinned table's column: the fix scans as `linux` does.
            let i = Semantics::ALL
                .iter()
                .position(|s| *s == sem.released_base())
                .unwrap();
            let source = s(&e["source"]["kind"]);
            assert_eq!(
                source == "rfc",
                sem == Semantics::Rfc2385,
                "{id} under {sem}: source {source}"
            );
            let (class, offset) = scan_class(sem.scan(&area));
            assert_eq!(class, s(&e["scan"]), "{id} under {sem}");
            assert_eq!(
                offset.map(Value::from).unwrap_or(Value::Null),
                e["offset"],
                "{id} under {sem}"
            );
            assert_eq!(
                pinned_form(class, &e["offset"]),
                row[i],
                "{id} under {sem}: pinned table"
            );
            let got = packet_verdict(&packet, &table, 0, sem).unwrap();
            assert_eq!(got, expected_verdict(e), "{id} under {sem}");
        }
    }
    for l in tcpmd5_testkit::layouts::corner_cases() {
        assert!(
            layouts_seen.contains(l.name),
            "no vector for layout {}",
            l.name
        );
    }
}

/// A request as written in a key vector.
fn request_from(v: &Value) -> Md5SigRequest {
    let addr: IpAddr = s(&v["addr"]).parse().unwrap();
    let key_bytes = unhex(s(&v["key"]));
    let mut key = [0u8; 80];
    key[..key_bytes.len()].copy_from_slice(&key_bytes);
    let mut r = Md5SigRequest::delete(addr);
    r.option = match s(&v["option"]) {
        "TCP_MD5SIG" => Md5SigOption::Md5Sig,
        "TCP_MD5SIG_EXT" => Md5SigOption::Md5SigExt,
        o => panic!("option {o}"),
    };
    r.sa_family = v["sa_family"].as_u64().unwrap() as u16;
    r.flags = v["flags"].as_u64().unwrap() as u8;
    r.prefixlen = v["prefixlen"].as_u64().unwrap() as u8;
    r.keylen = v["keylen"].as_u64().unwrap() as u16;
    r.ifindex = v["ifindex"].as_i64().unwrap() as i32;
    r.key = key;
    r.optlen = v["optlen"].as_u64().unwrap() as usize;
    r
}

//= type=test
//= 4.0/key-config
//= linux/md5-keys-parse
//= linux/md5-key-lookup
#[test]
fn key_vectors_pass_the_library() {
    let all = vectors("keys");
    assert!(!all.is_empty());
    for (_, v) in &all {
        let id = s(&v["id"]);
        let socket = match s(&v["socket_family"]) {
            "ipv4" => Family::V4,
            _ => Family::V6,
        };
        let devices: Vec<(i32, bool)> = v["l3_devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["ifindex"].as_i64().unwrap() as i32,
                    d["l3_master"].as_bool().unwrap(),
                )
            })
            .collect();
        let mut table = tcpmd5::KeyTable::new();
        for (i, r) in v["requests"].as_array().unwrap().iter().enumerate() {
            let req = request_from(r);
            // The request round-trips through the vector format.
            assert_eq!(
                gen_keys::request_json(&req, s(&r["expected"])),
                *r,
                "{id} request {i}"
            );
            let got = match table.apply(socket, &req, devices.as_slice()) {
                Ok(KeyChange::Added) => "added",
                Ok(KeyChange::Replaced) => "replaced",
                Ok(KeyChange::Deleted) => "deleted",
                Err(e) => e.errno_name(),
            };
            assert_eq!(got, s(&r["expected"]), "{id} request {i}");
        }
        for l in v["lookups"].as_array().unwrap() {
            let peer: IpAddr = s(&l["peer"]).parse().unwrap();
            let got = table
                .lookup(peer, l["l3index"].as_i64().unwrap() as i32)
                .map(|e| Value::String(hex(e.key.as_bytes())))
                .unwrap_or(Value::Null);
            assert_eq!(got, l["expected_key"], "{id} lookup {peer}");
        }
    }
}

#[test]
fn schema_validates_every_file() {
    let schema = load(&vectors_dir().join("schema.json"));
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    let files = vector_files();
    assert!(files.len() >= 4);
    for f in &files {
        let v = load(f);
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
    }
    // The schema's verdict ids and acceptances are the library's.
    let names: Vec<String> = schema["$defs"]["verdict_id"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| s(v).to_owned())
        .collect();
    assert_eq!(
        names,
        VerdictId::all()
            .map(|id| id.to_string())
            .collect::<Vec<_>>()
    );
    let kinds: Vec<&str> = schema["$defs"]["acceptance"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    assert_eq!(kinds, Acceptance::ALL.map(Acceptance::id));
    let sems: Vec<&str> = schema["$defs"]["per_semantics_verdict"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    assert_eq!(sems, Semantics::ALL.map(Semantics::id));
    // Option vectors carry every semantics the model knows.
    let option_sems: Vec<&str> =
        schema["$defs"]["option_vector"]["properties"]["expected"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(s)
            .collect();
    assert_eq!(
        option_sems,
        Semantics::known().map(Semantics::id).collect::<Vec<_>>()
    );
    // And the schema rejects what it should.
    let bad = serde_json::json!({"group": "digest", "description": "x", "vectors": [{"id": "x"}]});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn ids_are_unique_and_counts_met() {
    let mut ids = std::collections::BTreeSet::new();
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in vector_files() {
        let v = load(&f);
        for x in v["vectors"].as_array().unwrap() {
            assert!(
                ids.insert(s(&x["id"]).to_owned()),
                "duplicate id {}",
                x["id"]
            );
            *counts
                .entry((
                    s(&v["group"]).to_owned(),
                    s(&x["provenance"]["kind"]).to_owned(),
                ))
                .or_default() += 1;
        }
    }
    println!("vector counts (group, provenance): {counts:?}");
    let group = |g: &str| {
        counts
            .iter()
            .filter(|((gg, _), _)| gg == g)
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    assert!(
        group("digest") >= 200,
        "digest vectors: {}",
        group("digest")
    );
    assert!(
        group("options") >= 100,
        "option vectors: {}",
        group("options")
    );
    assert!(group("keys") >= 10, "key vectors: {}", group("keys"));
    assert!(counts.contains_key(&("digest".to_owned(), "external".to_owned())));
}

#[test]
fn crafted_files_match_the_generator() {
    for (path, v) in generate::files() {
        let on_disk = fs::read_to_string(vectors_dir().join(path)).unwrap_or_default();
        assert!(
            on_disk == render(&v),
            "vectors/{path} is stale: cargo test --test vectors -- --ignored regenerate"
        );
    }
}

#[test]
#[ignore = "writes vectors/: run to regenerate the crafted files"]
fn regenerate() {
    for (path, v) in generate::files() {
        let p = vectors_dir().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, render(&v)).unwrap();
        println!("wrote {}", p.display());
    }
}

/// Every decision vector says what the model says for its own inputs, under
/// every semantics; each kernel semantics' expectation comes from a live
/// run of the cases that send its segment.
//= type=test
//= linux/closed-port-reset
//= linux/listener-ack-reset
//= linux/timewait-unchecked
//= linux/timewait-state
#[test]
fn decision_vectors_match_the_model() {
    let all = vectors("decisions");
    let mut counts: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for (file, v) in &all {
        decisions::check(v).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (sem, e) in v["expected"].as_object().unwrap() {
            let kind = s(&e["source"]["kind"]).to_owned();
            if sem != Semantics::Rfc2385.id() {
                assert_eq!(kind, "live", "{} {sem}: not traced to a live run", v["id"]);
            }
            *counts
                .entry((s(&v["decision"]).to_owned(), sem.clone(), kind))
                .or_default() += 1;
        }
    }
    println!("decision vectors (decision, semantics, source): {counts:#?}");
    for d in ["receiver", "closed-port", "listener-reset", "timewait"] {
        for f in ["ipv4", "ipv6"] {
            assert!(
                all.iter()
                    .any(|(_, v)| v["decision"] == d && v["family"] == f),
                "no {d} vector over {f}"
            );
        }
    }
}

/// The checker is not blind: a record that says anything the model does not
/// (a verdict, a drop reason, a counter, a tracepoint, a reply, an action,
/// the socket it describes, a missing semantics or source) fails.
#[test]
fn a_wrong_decision_record_fails() {
    let all = vectors("decisions");
    let record = |id: &str| {
        all.iter()
            .map(|(_, v)| v)
            .find(|v| v["id"] == id)
            .unwrap_or_else(|| panic!("no vector {id}"))
            .clone()
    };
    type Edit = fn(&mut Value);
    let edits: [(&str, &str, Edit); 12] = [
        (
            "decisions/receiver/listener-keyed-syn-unsigned/ipv4",
            "verdict",
            |v| {
                v["expected"]["linux"]["verdict"] = "drop:TCP_MD5FAILURE".into();
            },
        ),
        (
            "decisions/receiver/listener-keyed-syn-unsigned/ipv4",
            "drop reason",
            |v| {
                v["expected"]["linux"]["drop_reason"] = "TCP_MD5FAILURE".into();
            },
        ),
        (
            "decisions/receiver/listener-keyed-syn-unsigned/ipv4",
            "counter",
            |v| {
                v["expected"]["linux-ao"]["counter"] = "TCPMD5Failure".into();
            },
        ),
        (
            "decisions/receiver/listener-keyed-syn-unsigned/ipv4",
            "tracepoint",
            |v| {
                v["expected"]["linux"]["tracepoint"] = Value::Null;
            },
        ),
        (
            "decisions/receiver/listener-keyed-syn-unsigned/ipv4",
            "legacy tracepoint",
            |v| {
                v["expected"]["linux-legacy"]["tracepoint"] = "tcp_hash_md5_required".into();
            },
        ),
        (
            "decisions/receiver/listener-keyed-syn-signed/ipv6",
            "socket key",
            |v| {
                v["socket"]["key"] = Value::Null;
            },
        ),
        ("decisions/closed-port/duplicate-md5/ipv4", "reply", |v| {
            let flip = if v["expected"]["linux-legacy"]["reply"] == "none" {
                "signed-rst"
            } else {
                "none"
            };
            v["expected"]["linux-legacy"]["reply"] = flip.into();
        }),
        (
            "decisions/timewait/orphan-fin-wait-2-data-at-window-end/ipv4",
            "window",
            |v| {
                let w = v["socket"]["rcv_wnd"].as_u64().unwrap();
                v["socket"]["rcv_wnd"] = (w + 1).into();
            },
        ),
        (
            "decisions/timewait/orphan-fin-wait-2-syn-at-rcv-nxt/ipv6",
            "action",
            |v| {
                v["expected"]["linux"]["action"] = "ignore".into();
            },
        ),
        (
            "decisions/timewait/time-wait-unsigned-fin/ipv4",
            "semantics",
            |v| {
                v["expected"].as_object_mut().unwrap().remove("linux-ao");
            },
        ),
        ("decisions/listener-reset/signed-ack/ipv4", "source", |v| {
            v["expected"]["linux"]["source"]["runs"] = serde_json::json!([]);
        }),
        (
            "decisions/listener-reset/signed-ack/ipv4",
            "rfc source",
            |v| {
                v["expected"]["linux"]["source"] = serde_json::json!({"kind": "rfc", "cite": "x"});
            },
        ),
    ];
    for (id, what, edit) in edits {
        let good = record(id);
        assert_eq!(decisions::check(&good), Ok(()), "{id}");
        let mut bad = good.clone();
        edit(&mut bad);
        assert_ne!(bad, good, "{id}: the {what} edit changed nothing");
        assert!(
            decisions::check(&bad).is_err(),
            "{id}: a record with a wrong {what} passes"
        );
    }
}
