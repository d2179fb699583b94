//! `explain` gives, for every layout in `vectors/options/` and every digest
//! vector, the verdict the vector records, under each semantics. Most
//! vectors go through the library entry point (hundreds of packets); a
//! sample goes through the binary too.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use tcpmd5::Semantics;
use tcpmd5::wire::IpSegment;
use tcpmd5_cli::args::ReceiverState;
use tcpmd5_cli::assess::ChecksumMode;
use tcpmd5_cli::explain::{Explanation, Request, explain};
use tcpmd5_cli::keys::{KeyRing, parse_key};
use tcpmd5_cli::link::LinkType;
use tcpmd5_cli::segment::{Located, locate};

fn vectors(group: &str) -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors")
        .join(group);
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for f in files {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        for vector in v["vectors"].as_array().unwrap() {
            out.push((f.display().to_string(), vector.clone()));
        }
    }
    out
}

fn unhex(s: &str) -> Vec<u8> {
    tcpmd5_cli::hex::decode(s).unwrap()
}

/// The `--key` argument giving the receiver `key_hex` for the packet's source.
fn key_arg(packet: &[u8], key_hex: Option<&str>) -> Option<String> {
    let src = IpSegment::parse(packet).unwrap().addrs.src();
    key_hex.map(|k| format!("{src}=hex:{k}"))
}

/// An explained verdict as the vector files record it: the verdict id and,
/// for an accept, its kind.
fn recorded(want: &Value) -> (String, Option<String>) {
    (
        want["verdict"].as_str().unwrap().to_owned(),
        want["acceptance"].as_str().map(str::to_owned),
    )
}

fn vector_id(e: &Explanation, s: Semantics) -> (String, Option<String>) {
    let v = &e.verdicts[s.id()];
    (v.verdict.clone(), v.acceptance.map(str::to_owned))
}

fn explain_packet(packet: &[u8], key: Option<String>) -> Explanation {
    let specs = key
        .map(|k| vec![parse_key(&k, "--key #1".into()).unwrap()])
        .unwrap_or_default();
    let mut ring = KeyRing::new(specs);
    let Located::Tcp(segment) = locate(LinkType::Raw, packet, packet.len() as u32) else {
        panic!("not a TCP segment");
    };
    explain(
        &Request {
            segment,
            state: ReceiverState::Listener,
            checksum: ChecksumMode::Strict,
            semantics: tcpmd5::Semantics::Linux { tcp_ao: false },
        },
        &mut ring,
    )
}

#[test]
fn option_vectors() {
    let all = vectors("options");
    assert!(all.len() >= 100, "{} option vectors", all.len());
    for (file, v) in &all {
        let packet = unhex(v["packet"].as_str().unwrap());
        let e = explain_packet(&packet, key_arg(&packet, v["receiver_key"].as_str()));
        for s in Semantics::ALL {
            let want = &v["expected"][s.id()];
            assert_eq!(
                vector_id(&e, s),
                recorded(want),
                "{file} {} {}",
                v["id"],
                s.id()
            );
            assert_eq!(
                e.verdicts[s.id()].scan,
                want["scan"].as_str().unwrap(),
                "{} {}",
                v["id"],
                s.id()
            );
            if let Some(off) = want["offset"].as_u64() {
                assert_eq!(
                    e.verdicts[s.id()].option_offset,
                    Some(off as usize),
                    "{}",
                    v["id"]
                );
            }
        }
    }
}

#[test]
fn digest_vectors() {
    let all = vectors("digest");
    assert!(all.len() >= 100, "{} digest vectors", all.len());
    for (file, v) in &all {
        let packet = unhex(v["packet"].as_str().unwrap());
        let e = explain_packet(&packet, key_arg(&packet, v["key"].as_str()));
        for s in Semantics::ALL {
            assert_eq!(
                vector_id(&e, s),
                recorded(&v["expected"][s.id()]),
                "{file} {} {}",
                v["id"],
                s.id()
            );
        }
        // The digest step shows the vector's digest as the expected one.
        if let (Some(d), Some(want)) = (&e.verdicts["linux"].digest, v["digest"].as_str()) {
            assert_eq!(d.expected, want, "{}", v["id"]);
        }
    }
}

#[test]
fn binary_agrees_on_a_sample() {
    let bin = env!("CARGO_BIN_EXE_tcpmd5");
    for (_, v) in vectors("options").iter().step_by(37) {
        let packet_hex = v["packet"].as_str().unwrap();
        let packet = unhex(packet_hex);
        let mut cmd = Command::new(bin);
        cmd.args(["explain", packet_hex, "--format", "json"]);
        if let Some(k) = key_arg(&packet, v["receiver_key"].as_str()) {
            cmd.arg("--key").arg(k);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        for s in Semantics::ALL {
            let g = &got["verdicts"][s.id()];
            assert_eq!(recorded(g), recorded(&v["expected"][s.id()]), "{}", v["id"]);
        }
    }
}
