//! The `tcpmd5` binary's interface end to end: bad input (one line, exit 2),
//! a closed stdout, explain's JSON schema and human output, a capture's
//! frame, and jobs that do not change the output.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;
use serde_json::Value;
use tcpmd5_cli::link::LinkType;

/// One line on stderr, naming `what`, exit 2, no panic, nothing on stdout.
fn bad_input(args: &[&str], what: &str) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(what), "{args:?}: {err:?} should name {what:?}");
    assert!(!err.contains("panicked"));
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = TempDir::new("bad");
    let good = signed(&v4(), SECRET.as_bytes());
    let path = dir.path("t.pcap");
    write_pcap(
        &path,
        LinkType::Raw,
        &[
            (good.clone(), good.len() as u32),
            (good.clone(), good.len() as u32),
        ],
    );
    let bytes = std::fs::read(&path).unwrap();
    let truncated = dir.path("truncated.pcap");
    std::fs::write(&truncated, &bytes[..bytes.len() - 7]).unwrap();
    let second_record = 24 + 16 + good.len();
    bad_input(
        &["verify", truncated.to_str().unwrap()],
        &format!("truncated.pcap: byte {second_record}: truncated"),
    );
    // What was read before the damage is summed up first (exit 2 still).
    let out = run(&[
        "verify",
        truncated.to_str().unwrap(),
        "--key",
        "192.0.2.0/24=x",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("total: 1 frames"), "{text}");
    assert!(
        text.contains(&format!("damaged at byte {second_record}")),
        "{text}"
    );
    let mut unknown = bytes.clone();
    unknown[20..24].copy_from_slice(&147u32.to_le_bytes());
    let unknown_path = dir.path("unknown.pcap");
    std::fs::write(&unknown_path, &unknown).unwrap();
    bad_input(
        &["verify", unknown_path.to_str().unwrap()],
        "unknown.pcap: byte 0: unsupported link type 147",
    );
    let garbage = dir.path("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture at all, really").unwrap();
    bad_input(
        &["verify", garbage.to_str().unwrap()],
        "garbage.pcap: byte 0: not a pcap",
    );
    let empty = dir.path("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    bad_input(&["verify", empty.to_str().unwrap()], "empty.pcap");
    bad_input(&["verify", "/nonexistent/x.pcap"], "/nonexistent/x.pcap");
    bad_input(&["explain", "450"], "odd number of hex digits");
    bad_input(&["explain", "zz"], "not a hex digit");
    bad_input(&["explain", "4500", "--key", "10.0.0.1/40=x"], "--key #1");
    bad_input(&["explain", "4500", "--key", "10.0.0.1"], "SCOPE=SECRET");
    bad_input(
        &["explain", "4500", "--key", "10.0.0.1=hex:abc"],
        "odd number",
    );
    bad_input(&["explain", "4500", "--key", "10.0.0.1=hex:"], "1 to 80");
    let keys = dir.path("keys.txt");
    std::fs::write(&keys, "# peers\n10.0.0.1=ok\n\nnot-an-address=x\n").unwrap();
    bad_input(
        &["explain", "4500", "--keys", keys.to_str().unwrap()],
        "keys.txt:4",
    );
    bad_input(
        &[
            "explain",
            "--capture",
            path.to_str().unwrap(),
            "--frame",
            "9",
        ],
        "has 2 frames",
    );
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    let dir = TempDir::new("pipe");
    let good = signed(&v4(), SECRET.as_bytes());
    let frames: Vec<(Vec<u8>, u32)> = (0..20_000)
        .map(|_| (good.clone(), good.len() as u32))
        .collect();
    let path = dir.path("big.pcap");
    write_pcap(&path, LinkType::Raw, &frames);
    let mut child = Command::new(BIN)
        .args([
            "verify",
            path.to_str().unwrap(),
            "--key",
            &format!("192.0.2.2={SECRET}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn explain_json_follows_its_schema() {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/explain.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut ao = vec![29u8, 16, 1, 1];
    ao.extend([0xa5; 12]);
    ao.extend([1, 1, 1, 1]);
    let packets = [
        signed(&v4(), SECRET.as_bytes()),
        signed(&v6(), b"wrong"),
        packet(&v4(), &ao, b""),
        packet(
            &v6(),
            &[19, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            b"",
        ),
        packet(&v4(), &[], b""),
    ];
    for p in packets {
        for state in ["listener", "syn-recv", "time-wait"] {
            let mut args = vec![
                "explain".to_owned(),
                tcpmd5_cli::hex::encode(&p),
                "--format".into(),
                "json".into(),
                "--state".into(),
                state.into(),
            ];
            args.extend(key_args());
            let out = Command::new(BIN).args(&args).output().unwrap();
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&v)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{errors:?}\n{v}");
        }
    }
    // The schema's verdict ids are exactly the tool's.
    let ids: Vec<&str> = schema["$defs"]["verdict_id"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut want: Vec<String> = vec!["accept".into()];
    want.extend(tcpmd5::DropReason::ALL.map(|r| tcpmd5::Verdict::Drop(r).id().to_string()));
    assert_eq!(ids, want);
    // A request socket's AO mismatch is the kernel's TCP_AOFAILURE: no
    // spelling of its own.
    let mismatch = tcpmd5::verdict::ReceiverVerdict::AoRequestMismatch.id();
    assert!(ids.contains(&mismatch.as_str()), "{mismatch}");
}

#[test]
fn human_output_reads_well() {
    let p = signed(&v4(), b"peer-uses-this");
    let mut args = vec!["explain".to_owned(), tcpmd5_cli::hex::encode(&p)];
    args.extend(key_args());
    let out = Command::new(BIN).args(&args).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "1 checksum",
        "2 options",
        "kind  19 MD5 signature len 18",
        "3 key",
        "192.0.2.0/24 (--key #1)",
        "MISMATCH",
        "drop:TCP_MD5FAILURE",
        "tcp:tcp_hash_md5_mismatch",
        "TCPMD5Failure",
        "=> all four released semantics agree",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let _ = std::io::stdout().flush();
}

#[test]
fn explain_a_frame_of_a_capture() {
    let dir = TempDir::new("frame");
    let frames: Vec<(Vec<u8>, u32)> = [packet(&v4(), &[], b""), signed(&v6(), b"other")]
        .into_iter()
        .map(whole)
        .collect();
    let path = dir.path("f.pcap");
    write_pcap(&path, LinkType::Raw, &frames);
    let mut args = vec![
        "explain".to_owned(),
        "--capture".into(),
        path.display().to_string(),
        "--frame".into(),
        "2".into(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(key_args());
    let out = Command::new(BIN).args(&args).output().unwrap();
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["packet"]["family"], "ipv6");
    assert_eq!(e["verdicts"]["linux"]["verdict"], "drop:TCP_MD5FAILURE");
    assert_eq!(e["key"]["chosen"], "[2001:db8::/64]:179 (--key #2)");
    assert_eq!(e["verdicts"]["linux"]["digest"]["matches"], false);
}

/// Chunks judged on one thread or several give the same output, in
/// capture order, and the same exit status: a capture of several chunks
/// mixing valid, wrongly signed, unsigned, IPv6 and bad-checksum segments.
#[test]
fn jobs_do_not_change_the_output() {
    let dir = TempDir::new("jobs");
    let frames: Vec<(Vec<u8>, u32)> = (0..1000)
        .map(|i| {
            let p = match i % 5 {
                0 => signed(&v4(), SECRET.as_bytes()),
                1 => signed(&v4(), b"wrong secret"),
                2 => packet(&v4(), &[], b"unsigned"),
                3 => signed(&v6(), SECRET.as_bytes()),
                _ => {
                    let mut p = signed(&v4(), SECRET.as_bytes());
                    p[20 + 16] ^= 0xff;
                    p
                }
            };
            let len = p.len() as u32;
            (p, len)
        })
        .collect();
    let path = dir.path("jobs.pcap");
    write_pcap(&path, LinkType::Raw, &frames);
    // Signed: valid or invalid; the 200 unsigned ones are dropped apart
    // (`unsigned_dropped`): the counts add up.
    for (mode, valid, invalid) in [("note", 600, 200), ("strict", 400, 400)] {
        for format in ["human", "json"] {
            let outputs: Vec<Output> = ["1", "2", "3"]
                .iter()
                .map(|jobs| {
                    let mut args = vec![
                        "verify".to_owned(),
                        path.display().to_string(),
                        "--checksum".into(),
                        mode.into(),
                        "--format".into(),
                        format.into(),
                        "--jobs".into(),
                        (*jobs).into(),
                    ];
                    args.extend(key_args());
                    Command::new(BIN).args(&args).output().unwrap()
                })
                .collect();
            for o in &outputs[1..] {
                assert_eq!(o.stdout, outputs[0].stdout, "{mode} {format}");
                assert_eq!(o.status.code(), Some(1), "{mode} {format}");
            }
            let text = String::from_utf8_lossy(&outputs[0].stdout);
            let want = format!("{valid} valid, {invalid} invalid");
            let got = match format {
                "human" => text
                    .lines()
                    .any(|l| l.starts_with("total:") && l.contains(&want)),
                _ => {
                    let records = json_lines(&outputs[0]);
                    let totals = &records.last().unwrap()["summary"]["totals"];
                    totals["valid"] == valid && totals["invalid"] == invalid
                }
            };
            assert!(got, "{mode} {format}: want {want}");
            if format == "json" {
                let frames: Vec<u64> = json_lines(&outputs[0])
                    .iter()
                    .filter_map(|r| r["frame"].as_u64())
                    .collect();
                assert_eq!(frames, (1..=1000).collect::<Vec<u64>>(), "capture order");
            }
        }
    }
}
