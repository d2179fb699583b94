//! The tool's decisions as a receiving router's: checksums offload-aware by
//! default, explain and verify deciding every frame alike, a router's own
//! table (a key file's host section) deciding, and the session's diagnosis.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::net::Ipv4Addr;
use std::process::Command;

use common::*;
use serde_json::Value;
use tcpmd5::AddrPair;
use tcpmd5_cli::link::LinkType;

#[test]
fn checksums_are_offload_aware_by_default() {
    let dir = TempDir::new("csum");
    let good = signed(&v6(), SECRET.as_bytes());
    // Neither right nor partial.
    let mut bad = good.clone();
    bad[40 + 16] ^= 0xff;
    // The partial sum TX offload leaves: the pseudo-header's, folded.
    let mut partial = good.clone();
    let tcp_len = partial.len() - 40;
    let mut sum = tcpmd5::wire::checksum::pseudo_header_sum(&v6(), tcp_len);
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    partial[40 + 16..40 + 18].copy_from_slice(&(sum as u16).to_be_bytes());
    let path = dir.path("c.pcap");
    write_pcap(
        &path,
        LinkType::Raw,
        &[
            (bad.clone(), bad.len() as u32),
            (partial.clone(), partial.len() as u32),
        ],
    );
    let (records, out) = verify(&path, &[]);
    assert_eq!(records[0]["verdict"], "drop:TCP_CSUM", "{}", records[0]);
    assert_eq!(records[1]["status"], "valid", "{}", records[1]);
    assert!(
        records[1]["notes"][0]
            .as_str()
            .unwrap()
            .contains("partial sum TX offload leaves")
    );
    assert_eq!(records[2]["summary"]["partial_checksums"], 1);
    assert_eq!(out.status.code(), Some(1));
    let (records, out) = verify(&path, &["--checksum", "note"]);
    assert_eq!(records[0]["status"], "valid");
    assert_eq!(out.status.code(), Some(0));
    let (records, out) = verify(&path, &["--checksum", "strict"]);
    assert_eq!(records[0]["verdict"], "drop:TCP_CSUM");
    assert_eq!(records[1]["verdict"], "drop:TCP_CSUM");
    assert_eq!(out.status.code(), Some(1));
    // explain: the same by default, and its decision is verify's.
    for (p, want) in [(&bad, "drop:TCP_CSUM"), (&partial, "accept")] {
        let mut args = vec![
            "explain".to_owned(),
            tcpmd5_cli::hex::encode(p),
            "--format".into(),
            "json".into(),
        ];
        args.extend(key_args());
        let e: Value =
            serde_json::from_slice(&Command::new(BIN).args(&args).output().unwrap().stdout)
                .unwrap();
        for s in ["rfc2385", "linux-legacy", "linux", "linux-ao"] {
            assert_eq!(e["verdicts"][s]["verdict"], want);
        }
        assert_eq!(e["decision"]["verdict"], want);
    }
}

/// `explain` and `verify` decide every frame of a capture alike (the
/// same code): keyed, wrong key, unsigned, no key for the sender, a bad and
/// an offloaded checksum, a TCP-AO option, a router's own table with "no
/// key" for a peer; under two semantics.
#[test]
fn explain_and_verify_agree_on_every_frame() {
    let dir = TempDir::new("agree");
    let mut ao = vec![29u8, 16, 1, 1];
    ao.extend([0xa5; 12]);
    ao.extend([1, 1, 1, 1]);
    let mut bad_csum = signed(&v4(), SECRET.as_bytes());
    bad_csum[20 + 16] ^= 0xff;
    let stranger = AddrPair::V4 {
        src: Ipv4Addr::new(198, 51, 100, 7),
        dst: Ipv4Addr::new(198, 51, 100, 8),
    };
    let packets = [
        signed(&v4(), SECRET.as_bytes()),
        signed(&v4(), b"wrong secret"),
        packet(&v4(), &[], b"unsigned"),
        signed(&v6(), SECRET.as_bytes()),
        bad_csum,
        packet(&v4(), &ao, b"UPDATE"),
        signed(&stranger, b"whatever"),
        packet(&stranger, &[], b"plain"),
    ];
    let frames: Vec<(Vec<u8>, u32)> = packets
        .iter()
        .map(|p| (p.clone(), p.len() as u32))
        .collect();
    let path = dir.path("agree.pcap");
    write_pcap(&path, LinkType::Raw, &frames);
    // A host section: 198.51.100.8 holds no key for .7.
    let keys = dir.path("hosts.txt");
    std::fs::write(
        &keys,
        "host B 198.51.100.8\n198.51.100.7=\nhost A 198.51.100.7\n198.51.100.8=whatever\n",
    )
    .unwrap();
    let mut compared = 0;
    for semantics in ["linux", "linux-legacy"] {
        let extra = ["--semantics", semantics, "--keys", keys.to_str().unwrap()];
        let (records, _) = verify(&path, &extra);
        for r in records.iter().filter(|r| r.get("frame").is_some()) {
            let n = r["frame"].as_u64().unwrap();
            let mut args = vec![
                "explain".to_owned(),
                "--capture".into(),
                path.display().to_string(),
                "--frame".into(),
                n.to_string(),
                "--format".into(),
                "json".into(),
            ];
            args.extend(key_args());
            args.extend(extra.iter().map(|s| (*s).to_owned()));
            let out = Command::new(BIN).args(&args).output().unwrap();
            let e: Value = serde_json::from_slice(&out.stdout).unwrap();
            let d = &e["decision"];
            assert_eq!(
                (&d["status"], &d["verdict"]),
                (&r["status"], &r["verdict"]),
                "{semantics} frame {n}: verify {r}, explain {d}"
            );
            if r["status"] != "unchecked" {
                assert_eq!(e["verdicts"][semantics]["verdict"], r["verdict"], "{n}");
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 2 * packets.len());
}

/// One router's table decides: a signed segment toward a host without a
/// key for its sender is dropped (TCP_MD5UNEXPECTED), not checked with the
/// sender's key; the sessions' diagnosis says who lacks the password.
#[test]
fn the_receivers_table_decides_and_the_session_is_diagnosed() {
    let dir = TempDir::new("hosts");
    let a = Ipv4Addr::new(198, 51, 100, 7);
    let b = Ipv4Addr::new(198, 51, 100, 8);
    let a_to_b = AddrPair::V4 { src: a, dst: b };
    let b_to_a = AddrPair::V4 { src: b, dst: a };
    let packets = [signed(&a_to_b, b"only-A"), packet(&b_to_a, &[], b"plain")];
    let frames: Vec<(Vec<u8>, u32)> = packets
        .iter()
        .map(|p| (p.clone(), p.len() as u32))
        .collect();
    let path = dir.path("onesided.pcap");
    write_pcap(&path, LinkType::Raw, &frames);
    let keys = dir.path("hosts.txt");
    std::fs::write(
        &keys,
        "host A 198.51.100.7\n198.51.100.8=only-A\nhost B 198.51.100.8\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args([
            "verify",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--keys",
        ])
        .arg(&keys)
        .output()
        .unwrap();
    let records = json_lines(&out);
    assert_eq!(
        records[0]["verdict"], "drop:TCP_MD5UNEXPECTED",
        "{}",
        records[0]
    );
    assert_eq!(
        records[1]["verdict"], "drop:TCP_MD5NOTFOUND",
        "{}",
        records[1]
    );
    let d = &records[2]["diagnosis"];
    assert_eq!(records[2]["session"], "198.51.100.7 <> 198.51.100.8");
    assert!(
        d["summary"]
            .as_str()
            .unwrap()
            .contains("B has no password for A"),
        "{d}"
    );
    let totals = &records[3]["summary"]["totals"];
    assert_eq!(
        totals["signed"].as_u64().unwrap() + totals["unsigned"].as_u64().unwrap(),
        2
    );
    assert_eq!(out.status.code(), Some(1));
    // The human default: one line per session, then the totals.
    let out = Command::new(BIN)
        .args(["verify", path.to_str().unwrap(), "--keys"])
        .arg(&keys)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("#1 "), "{text}");
    assert!(text.contains("B has no password for A"), "{text}");
    // No keys at all: a warning and exit 4.
    let out = Command::new(BIN)
        .args(["verify", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stdout).contains("warning: nothing could be checked"));
}

/// `--router` reads BIRD 2 and FRR configurations (format detected), says
/// what it found (scopes and origins, never the bytes), and decides as the
/// host-section form does; a file that is neither is one line, exit 2.
#[test]
fn router_configurations_are_key_tables() {
    let dir = TempDir::new("routers");
    let a = Ipv4Addr::new(198, 51, 100, 7);
    let b = Ipv4Addr::new(198, 51, 100, 8);
    let packets = [
        signed(&AddrPair::V4 { src: a, dst: b }, b"only A"),
        packet(&AddrPair::V4 { src: b, dst: a }, &[], b"plain"),
    ];
    let frames: Vec<(Vec<u8>, u32)> = packets
        .iter()
        .map(|p| (p.clone(), p.len() as u32))
        .collect();
    let path = dir.path("c.pcap");
    write_pcap(&path, LinkType::Raw, &frames);
    let bird = dir.path("a.conf");
    std::fs::write(
        &bird,
        "router id 1.1.1.1;\nprotocol bgp b {\n  local 198.51.100.7 as 65001;\n  neighbor 198.51.100.8 as 65002;\n  password \"only A\";\n}\n",
    )
    .unwrap();
    let frr = dir.path("b.conf");
    std::fs::write(
        &frr,
        "router bgp 65002\n neighbor 198.51.100.7 remote-as 65001\n neighbor 198.51.100.7 update-source 198.51.100.8\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["verify", path.to_str().unwrap(), "--router"])
        .arg(&bird)
        .arg("--router")
        .arg(&frr)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("(BIRD 2)): own addresses 198.51.100.7; keys: 198.51.100.8 ("),
        "{text}"
    );
    assert!(
        text.contains("(FRR)): own addresses 198.51.100.8; keys: no key for 198.51.100.7 ("),
        "{text}"
    );
    assert!(!text.contains("only A\""), "a secret in the output: {text}");
    assert!(text.contains("b has no password for a"), "{text}");
    assert_eq!(out.status.code(), Some(1));
    let garbage = dir.path("x.conf");
    std::fs::write(&garbage, "hostname x\n").unwrap();
    let out = Command::new(BIN)
        .args(["verify", path.to_str().unwrap(), "--router"])
        .arg(&garbage)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("x.conf:1: neither a BIRD 2"), "{err}");
}

#[test]
fn a_vrf_is_named_not_modelled_in_the_keys_read() {
    let dir = TempDir::new("vrf");
    let good = signed(&v4(), SECRET.as_bytes());
    let pcap = dir.path("v.pcap");
    write_pcap(&pcap, LinkType::Raw, &[(good.clone(), good.len() as u32)]);
    let conf = dir.path("R.conf");
    std::fs::write(
        &conf,
        "router bgp 1\n neighbor 192.0.2.2 password a\n!\nrouter bgp 1 vrf RED\n neighbor 192.0.2.9 password b\n",
    )
    .unwrap();
    let out = run(&[
        "verify",
        pcap.to_str().unwrap(),
        "--router",
        conf.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let keys = text.lines().find(|l| l.contains("router R")).unwrap();
    assert!(keys.contains("R.conf:5, VRF RED not modelled"), "{text}");
    assert!(!keys.contains("R.conf:2, VRF"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("VRFs are not modelled"), "{err}");
}
