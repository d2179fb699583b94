//! TCP-AO in the tool: `explain` and `verify` with `--ao-key` over RFC
//! 9235's §4.1 connection (SYN, SYN-ACK, a data segment each way): which
//! check passes or fails, ISNs from the captured handshake and never
//! guessed without it, and MD5-only output unchanged by the AO code.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;
use tcpmd5::AddrPair;
use tcpmd5_cli::link::LinkType;

const CLIENT_KEY: &str = "10.11.12.13=61:84:hmac-sha1:testvector";
const SERVER_KEY: &str = "172.27.28.29=84:61:hmac-sha1:testvector";

/// RFC 9235 §4.1's four packets, from `vectors/ao/rfc9235.json`, with
/// their TCP checksums refilled (as published, RFC 9235's IPv4 checksums
/// are wrong: a receiver would drop the segments before any AO check).
fn rfc9235_4_1() -> Vec<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/ao/rfc9235.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["id"].as_str().unwrap().starts_with("rfc9235/4.1."))
        .map(|v| {
            let mut p = tcpmd5_cli::hex::decode(v["packet"].as_str().unwrap()).unwrap();
            let seg = tcpmd5::wire::IpSegment::parse(&p).unwrap();
            let (at, addrs) = (seg.tcp_offset, seg.addrs);
            let sum = tcpmd5::wire::checksum::tcp_checksum(&addrs, seg.segment);
            p[at + 16..at + 18].copy_from_slice(&sum.to_be_bytes());
            p
        })
        .collect()
}

fn explain_json(packet: &[u8], extra: &[&str]) -> Value {
    let hex = tcpmd5_cli::hex::encode(packet);
    let mut args = vec!["explain", &hex, "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn explain_says_which_ao_check_failed() {
    let p = rfc9235_4_1();
    let ok = explain_json(&p[0], &["--ao-key", CLIENT_KEY]);
    assert_eq!(ok["ao"]["verdict"], "accept");
    assert_eq!(ok["ao"]["counter"], "TCPAOGood");
    assert_eq!(ok["ao"]["key_id"], 61);
    // Another KeyID: no MKT for it.
    let other = explain_json(
        &p[0],
        &["--ao-key", "10.11.12.13=62:84:hmac-sha1:testvector"],
    );
    assert_eq!(other["ao"]["verdict"], "drop:TCP_AOKEYNOTFOUND");
    assert_eq!(other["ao"]["tracepoint"], "tcp_ao_key_not_found");
    // Another secret: the MAC is wrong.
    let wrong = explain_json(
        &p[0],
        &["--ao-key", "10.11.12.13=61:84:hmac-sha1:testvectoR"],
    );
    assert_eq!(wrong["ao"]["verdict"], "drop:TCP_AOFAILURE");
    assert!(
        wrong["ao"]["reason"]
            .as_str()
            .unwrap()
            .contains("MAC is wrong")
    );
    // A data segment: its traffic key needs both ISNs.
    let unchecked = explain_json(&p[2], &["--ao-key", CLIENT_KEY]);
    assert_eq!(unchecked["ao"]["verdict"], "unchecked");
    assert!(
        unchecked["ao"]["reason"]
            .as_str()
            .unwrap()
            .contains("--isns")
    );
    let given = explain_json(
        &p[2],
        &["--ao-key", CLIENT_KEY, "--isns", "0xfbfbab5a:0x11c14261"],
    );
    assert_eq!(given["ao"]["verdict"], "accept");
    // Two keys with the same KeyID for the sender: the later given is the
    // newer, as a later TCP_AO_ADD_KEY heads the kernel's list.
    let old_wrong = "10.11.12.13=61:84:hmac-sha1:old";
    let later = explain_json(&p[0], &["--ao-key", old_wrong, "--ao-key", CLIENT_KEY]);
    assert_eq!(later["ao"]["verdict"], "accept");
    assert!(
        later["ao"]["key"]
            .as_str()
            .unwrap()
            .ends_with("(--ao-key #2)")
    );
    let earlier = explain_json(&p[0], &["--ao-key", CLIENT_KEY, "--ao-key", old_wrong]);
    assert_eq!(earlier["ao"]["verdict"], "drop:TCP_AOFAILURE");
    // A key for another port does not apply.
    let port = explain_json(
        &p[0],
        &["--ao-key", "10.11.12.13:80=61:84:hmac-sha1:testvector"],
    );
    assert_eq!(port["ao"]["verdict"], "drop:TCP_AOKEYNOTFOUND");
    // ISNs in decimal work as 0x-hex does; anything else is refused.
    let dec = explain_json(
        &p[2],
        &["--ao-key", CLIENT_KEY, "--isns", "4227574618:297878113"],
    );
    assert_eq!(dec["ao"]["verdict"], "accept");
    let hex = tcpmd5_cli::hex::encode(&p[2]);
    for bad in ["1", "1:x", "0x1:99999999999"] {
        let out = run(&["explain", &hex, "--ao-key", CLIENT_KEY, "--isns", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    // Without AO keys there is no AO section at all (MD5 output unchanged).
    assert!(explain_json(&p[0], &[]).get("ao").is_none());
    // An unsigned segment from a peer an AO key covers: AO is required.
    let unsigned = packet(&v4(), &[], b"x");
    let req = explain_json(&unsigned, &["--ao-key", "192.0.2.0/24=1:1:aes-cmac:k"]);
    assert_eq!(req["ao"]["verdict"], "drop:TCP_AONOTFOUND");
    assert_eq!(req["ao"]["counter"], "TCPAORequired");
}

#[test]
fn explain_human_names_the_ao_step() {
    let p = rfc9235_4_1();
    let hex = tcpmd5_cli::hex::encode(&p[1]);
    let out = run(&["explain", &hex, "--ao-key", SERVER_KEY]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("5 TCP-AO"), "{text}");
    assert!(text.contains("KeyID 84 RNextKeyID 61"), "{text}");
    assert!(
        text.contains("the TCP-AO MAC verifies with KeyID 84"),
        "{text}"
    );
    assert!(
        !text.contains("testvector"),
        "the secret never reaches output"
    );
}

/// `verify` of `frames`, written to a capture in a directory of its own
/// (`name`: tests run in parallel).
fn verify_ao(name: &str, frames: &[Vec<u8>], keys: &[&str]) -> (Value, std::process::Output) {
    let dir = TempDir::new(name);
    let path = dir.path("ao.pcap");
    let frames: Vec<(Vec<u8>, u32)> = frames.iter().cloned().map(whole).collect();
    write_pcap(&path, LinkType::Raw, &frames);
    let mut args = vec![
        "verify".to_owned(),
        path.display().to_string(),
        "--format".into(),
        "json".into(),
    ];
    for k in keys {
        args.push("--ao-key".into());
        args.push((*k).to_owned());
    }
    let out = std::process::Command::new(BIN)
        .args(&args)
        .output()
        .unwrap();
    let ao = json_lines(&out)
        .into_iter()
        .find_map(|r| r.get("ao").cloned())
        .unwrap_or_else(|| panic!("no ao record: {}", String::from_utf8_lossy(&out.stdout)));
    (ao, out)
}

#[test]
fn verify_takes_the_isns_from_the_captured_handshake() {
    let p = rfc9235_4_1();
    let (ao, out) = verify_ao("ao-verify", &p, &[CLIENT_KEY, SERVER_KEY]);
    let c = &ao["flows"]["10.11.12.13:59863 > 172.27.28.29:179"];
    let s = &ao["flows"]["172.27.28.29:179 > 10.11.12.13:59863"];
    assert_eq!(
        (c["verified"].as_u64(), s["verified"].as_u64()),
        (Some(2), Some(2)),
        "{ao:#}"
    );
    assert!(c["unchecked"].is_null() && c["dropped"].as_object().unwrap().is_empty());
    assert!(out.status.success(), "{out:?}");

    // Without the handshake: the data segments are unchecked, with why.
    let (ao, _) = verify_ao("ao-verify", &p[2..], &[CLIENT_KEY, SERVER_KEY]);
    let c = &ao["flows"]["10.11.12.13:59863 > 172.27.28.29:179"];
    assert_eq!(c["verified"], 0);
    assert_eq!(c["unchecked"]["count"], 1);
    assert!(
        c["unchecked"]["reason"]
            .as_str()
            .unwrap()
            .contains("SYN and SYN-ACK were not captured")
    );

    // The server's key wrong: its segments fail, the client's pass.
    let (ao, out) = verify_ao(
        "ao-verify",
        &p,
        &[CLIENT_KEY, "172.27.28.29=84:61:hmac-sha1:other"],
    );
    let s = &ao["flows"]["172.27.28.29:179 > 10.11.12.13:59863"];
    assert_eq!(s["dropped"]["drop:TCP_AOFAILURE"]["count"], 2);
    assert_eq!(s["dropped"]["drop:TCP_AOFAILURE"]["first_frame"], 2);
    assert_eq!(
        ao["flows"]["10.11.12.13:59863 > 172.27.28.29:179"]["verified"],
        2
    );
    assert_eq!(out.status.code(), Some(1), "failures");
}

#[test]
fn another_peers_key_never_decides_a_connections_segment() {
    let p = rfc9235_4_1();
    let isns = ["--isns", "0xfbfbab5a:0x11c14261", "--checksum", "note"];
    let mut args = vec!["--ao-key", CLIENT_KEY];
    args.extend_from_slice(&isns);
    assert_eq!(explain_json(&p[2], &args)["ao"]["verdict"], "accept");
    // A newer key with the same KeyID for another peer: the connection's
    // socket does not hold it.
    args.extend_from_slice(&["--ao-key", "192.0.2.99=61:84:hmac-sha1:otherpeer"]);
    let other = explain_json(&p[2], &args);
    assert_eq!(other["ao"]["verdict"], "accept", "{other:#}");
    // The SYN-ACK's handshake socket likewise.
    let syn_ack = explain_json(
        &p[1],
        &[
            "--ao-key",
            SERVER_KEY,
            "--ao-key",
            "192.0.2.99=84:61:hmac-sha1:otherpeer",
        ],
    );
    assert_eq!(syn_ack["ao"]["verdict"], "accept", "{syn_ack:#}");
}

/// RFC 9235 §4.1's first packet as published: its IPv4 TCP checksum is
/// wrong.
fn rfc9235_4_1_1_as_published() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/ao/rfc9235.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let v = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"].as_str().unwrap().starts_with("rfc9235/4.1.1"))
        .unwrap();
    tcpmd5_cli::hex::decode(v["packet"].as_str().unwrap()).unwrap()
}

#[test]
fn explain_makes_one_decision_checksum_then_ao() {
    // A wrong checksum drops the segment before any AO key is looked at:
    // the AO section says so too.
    let bad = rfc9235_4_1_1_as_published();
    let e = explain_json(&bad, &["--ao-key", CLIENT_KEY]);
    assert_eq!(e["decision"]["verdict"], "drop:TCP_CSUM", "{e:#}");
    assert_eq!(e["ao"]["verdict"], "drop:TCP_CSUM", "{e:#}");
    // With --checksum note the AO check runs.
    let noted = explain_json(&bad, &["--ao-key", CLIENT_KEY, "--checksum", "note"]);
    assert_eq!(noted["ao"]["verdict"], "accept", "{noted:#}");
    // Under linux-ao the decision line is the AO check with the keys given.
    let p = rfc9235_4_1();
    for (key, verdict, status) in [
        (CLIENT_KEY, "accept", "valid"),
        (
            "10.11.12.13=61:84:hmac-sha1:wrong",
            "drop:TCP_AOFAILURE",
            "invalid",
        ),
    ] {
        let e = explain_json(&p[0], &["--ao-key", key, "--semantics", "linux-ao"]);
        assert_eq!(e["ao"]["verdict"], verdict, "{e:#}");
        assert_eq!(e["decision"]["verdict"], verdict, "{e:#}");
        assert_eq!(e["decision"]["status"], status, "{e:#}");
        // The linux-ao row and the agreement line say the same.
        assert_eq!(e["verdicts"]["linux-ao"]["verdict"], verdict, "{e:#}");
        assert!(
            !e["verdicts"]["linux-ao"]["reason"]
                .as_str()
                .unwrap()
                .contains("no AO key"),
            "{e:#}"
        );
        assert!(
            e["agreement"].as_str().unwrap().contains(verdict) || verdict == "accept",
            "{e:#}"
        );
        assert!(
            !e["decision"]["reason"]
                .as_str()
                .unwrap()
                .contains("no AO key"),
            "{e:#}"
        );
    }
}

#[test]
fn verify_counts_a_rotation_request_from_the_typed_outcome() {
    let p = rfc9235_4_1();
    // The receiver's key for the client sends as 85: the client's
    // RNextKeyID 84 asks for a rotation (on its established data segment).
    let (ao, out) = verify_ao(
        "ao-rotation",
        &p,
        &["10.11.12.13=61:85:hmac-sha1:testvector", SERVER_KEY],
    );
    let c = &ao["flows"]["10.11.12.13:59863 > 172.27.28.29:179"];
    assert_eq!(c["verified"], 2, "{ao:#}");
    assert_eq!(c["rotation_requests"], 1, "{ao:#}");
    assert!(out.status.success(), "{out:?}");
    let (ao, _) = verify_ao("ao-rotation", &p, &[CLIENT_KEY, SERVER_KEY]);
    let c = &ao["flows"]["10.11.12.13:59863 > 172.27.28.29:179"];
    assert_eq!(c["rotation_requests"], 0, "{ao:#}");
}

#[test]
fn explain_says_which_sne_it_used_and_never_drops_on_an_assumed_one() {
    let p = rfc9235_4_1();
    let isns = "0xfbfbab5a:0x11c14261";
    // No capture, no --sne: SNE 0 is assumed, and said.
    let ok = explain_json(&p[2], &["--ao-key", CLIENT_KEY, "--isns", isns]);
    assert_eq!(ok["ao"]["verdict"], "accept");
    assert!(
        ok["ao"]["sne"].as_str().unwrap().contains("assuming SNE 0"),
        "{ok:#}"
    );
    // A MAC that fails only under the assumption: unchecked, with why.
    let wrong = "10.11.12.13=61:84:hmac-sha1:testvectoR";
    let assumed = explain_json(&p[2], &["--ao-key", wrong, "--isns", isns]);
    assert_eq!(assumed["ao"]["verdict"], "unchecked", "{assumed:#}");
    assert!(
        assumed["ao"]["reason"]
            .as_str()
            .unwrap()
            .contains("assuming SNE 0")
    );
    // The SNE given: a definite verdict, either way.
    let given = explain_json(&p[2], &["--ao-key", wrong, "--isns", isns, "--sne", "0"]);
    assert_eq!(given["ao"]["verdict"], "drop:TCP_AOFAILURE", "{given:#}");
    let other = explain_json(
        &p[2],
        &["--ao-key", CLIENT_KEY, "--isns", isns, "--sne", "1"],
    );
    assert_eq!(other["ao"]["verdict"], "drop:TCP_AOFAILURE", "{other:#}");
    assert!(other["ao"]["sne"].as_str().unwrap().starts_with("1 "));
    // With a capture, the SNE is tracked through it.
    let dir = TempDir::new("ao-explain-sne");
    let path = dir.path("ao.pcap");
    let frames: Vec<(Vec<u8>, u32)> = p.iter().cloned().map(whole).collect();
    write_pcap(&path, LinkType::Raw, &frames);
    let out = run(&[
        "explain",
        "--capture",
        &path.display().to_string(),
        "--frame",
        "3",
        "--ao-key",
        CLIENT_KEY,
        "--format",
        "json",
    ]);
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["ao"]["verdict"], "accept", "{e:#}");
    assert_eq!(e["ao"]["sne"], "0 (tracked through the capture)", "{e:#}");
}

/// A segment of a connection between `v4()`'s ends (the client
/// 192.0.2.2:40000, the server 192.0.2.1:179), from the client when
/// `from_client`: AO-signed (KeyID 1) with `key` over `isns` (sender's
/// first) and `sne`, or unsigned.
fn ao_segment(
    from_client: bool,
    flags: tcpmd5::wire::TcpFlags,
    (seq, ack): (u32, u32),
    key: Option<(&tcpmd5::ao::Mkt, (u32, u32), u32)>,
) -> Vec<u8> {
    use tcpmd5::ao::{KdfContext, derive_traffic_key, sign_segment};
    let (addrs, sport, dport) = if from_client {
        (v4(), 40000, 179)
    } else {
        (v4().reversed(), 179, 40000)
    };
    let mut options = vec![29, 16, 1, 1];
    options.extend_from_slice(&[0; 12]);
    let repr = tcpmd5::wire::TcpRepr {
        src_port: sport,
        dst_port: dport,
        seq,
        ack,
        flags,
        window: 512,
        urgent: 0,
        options: if key.is_some() { &options } else { &[] },
        payload: b"x",
    };
    let mut seg = repr.to_vec(&addrs).unwrap();
    if let Some((mkt, isns, sne)) = key {
        let ctx = KdfContext::new(&addrs, sport, dport, isns.0, isns.1);
        let tk = derive_traffic_key(mkt.algorithm, &mkt.secret, &ctx).unwrap();
        sign_segment(&tk, &addrs, &mut seg, sne, mkt.coverage).unwrap();
        seg[16..18].copy_from_slice(&[0, 0]);
        let sum = tcpmd5::wire::checksum::tcp_checksum(&addrs, &seg);
        seg[16..18].copy_from_slice(&sum.to_be_bytes());
    }
    tcpmd5::wire::ip_packet(&addrs, &seg).unwrap()
}

#[test]
fn verify_tracks_the_sne_of_each_connection_on_a_4_tuple() {
    use tcpmd5::wire::TcpFlags;
    let mkt = tcpmd5::ao::Mkt::new(
        v4().src(),
        1,
        1,
        tcpmd5::ao::Algorithm::AesCmac,
        tcpmd5::ao::MasterKey::new(b"secret").unwrap(),
    );
    let (syn, ack) = (TcpFlags::SYN, TcpFlags::ACK);
    // The first connection's client sequence numbers wrap (SNE 1) ...
    let (c1, s1) = (0xffff_ff00_u32, 1000_u32);
    // ... the second's, on the same 4-tuple, start again at SNE 0.
    let (c2, s2) = (0x100_u32, 5000_u32);
    let frames = vec![
        ao_segment(true, syn, (c1, 0), Some((&mkt, (c1, 0), 0))),
        ao_segment(false, syn | ack, (s1, c1 + 1), None),
        ao_segment(true, ack, (c1 + 1, s1 + 1), Some((&mkt, (c1, s1), 0))),
        ao_segment(true, ack, (0x10, s1 + 1), Some((&mkt, (c1, s1), 1))),
        ao_segment(true, syn, (c2, 0), Some((&mkt, (c2, 0), 0))),
        ao_segment(false, syn | ack, (s2, c2 + 1), None),
        ao_segment(true, ack, (c2 + 1, s2 + 1), Some((&mkt, (c2, s2), 0))),
    ];
    let (ao, _) = verify_ao("ao-sne-reset", &frames, &["192.0.2.2=1:1:aes-cmac:secret"]);
    let c = &ao["flows"]["192.0.2.2:40000 > 192.0.2.1:179"];
    assert_eq!(c["verified"], 5, "{ao:#}");
    assert!(c["dropped"].as_object().unwrap().is_empty(), "{ao:#}");
}

#[test]
fn assumptions_are_labelled_and_decide_no_definite_drop() {
    // A 16-byte MAC: every --ao-key is taken to have a 12-byte one, which
    // is an assumption, not a definite "wrong MAC length" drop.
    let mut options = vec![29, 20, 1, 1];
    options.extend_from_slice(&[0; 16]);
    let seg = syn_from_40000(&v4(), &options, 1);
    let p = tcpmd5::wire::ip_packet(&v4(), &seg).unwrap();
    let e = explain_json(&p, &["--ao-key", "192.0.2.2=1:1:aes-cmac:secret"]);
    assert_eq!(e["ao"]["verdict"], "unchecked", "{e:#}");
    assert!(
        e["ao"]["reason"].as_str().unwrap().contains("assumed"),
        "{e:#}"
    );
    // A rotation request rests on the receiver's current key, guessed.
    let p = rfc9235_4_1();
    let e = explain_json(
        &p[2],
        &[
            "--ao-key",
            "10.11.12.13=61:85:hmac-sha1:testvector",
            "--isns",
            "0xfbfbab5a:0x11c14261",
        ],
    );
    assert_eq!(e["ao"]["verdict"], "accept", "{e:#}");
    let reason = e["ao"]["reason"].as_str().unwrap();
    assert!(reason.contains("RNextKeyID"), "{e:#}");
    assert!(reason.contains("current SendID 85 is assumed"), "{e:#}");
}

/// A key's MAC length and option exclusion, given after its ALG, decide as
/// the MKT's `maclen` and `TCP_AO_KEYF_EXCLUDE_OPT` do: a SYN with an MSS
/// option and a 16-byte AES-128-CMAC MAC over the AO option only.
#[test]
fn mac_length_and_excluded_options_can_be_given() {
    let p = cmac16_excluded_syn(v4());
    let ao = |key: &str| explain_json(&p, &["--ao-key", key])["ao"].clone();

    let ok = ao("192.0.2.2=1:1:aes-cmac,maclen=16,exclude-options:secret");
    assert_eq!(ok["verdict"], "accept", "{ok:#}");
    assert_eq!(ok["counter"], "TCPAOGood", "{ok:#}");
    assert_eq!(
        ok["key"],
        "192.0.2.2 KeyID 1 RNext 1 aes-cmac,maclen=16,exclude-options (--ao-key #1)"
    );
    // The MSS option covered: another MAC.
    let covered = ao("192.0.2.2=1:1:aes-cmac,maclen=16:secret");
    assert_eq!(covered["verdict"], "drop:TCP_AOFAILURE", "{covered:#}");
    assert_eq!(covered["tracepoint"], "tcp_ao_mismatch", "{covered:#}");
    // A MAC length given is a definite drop when the MAC is another's ...
    let given = ao("192.0.2.2=1:1:aes-cmac,exclude-options,maclen=12:secret");
    assert_eq!(given["verdict"], "drop:TCP_AOFAILURE", "{given:#}");
    assert_eq!(given["tracepoint"], "tcp_ao_wrong_maclen", "{given:#}");
    assert_eq!(given["counter"], "TCPAOBad", "{given:#}");
    assert!(
        given["reason"]
            .as_str()
            .unwrap()
            .contains("16 bytes, not the AO key's 12"),
        "{given:#}"
    );
    // ... the default, an assumption: unchecked, and how to give it.
    let assumed = ao("192.0.2.2=1:1:aes-cmac,exclude-options:secret");
    assert_eq!(assumed["verdict"], "unchecked", "{assumed:#}");
    assert!(
        assumed["reason"].as_str().unwrap().contains("maclen=N"),
        "{assumed:#}"
    );
    // Out of range for the algorithm: exit 2, the secret not echoed.
    let hex = tcpmd5_cli::hex::encode(&p);
    let out = run(&[
        "explain",
        &hex,
        "--ao-key",
        "192.0.2.2=1:1:aes-cmac,maclen=20:hunter2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("maclen") && !err.contains("hunter2"), "{err}");
}

/// An IPv4 peer of a dual-stack socket arrives as an IPv4-mapped IPv6
/// address; Linux's MKT lookup finds its IPv4 key, and so must the MAC
/// length the tool reports (it once took the length of no key: "0 bytes").
#[test]
fn an_ipv4_keys_mac_length_applies_to_its_v4_mapped_address() {
    let mapped = |a: [u8; 4]| std::net::Ipv4Addr::from(a).to_ipv6_mapped();
    let addrs = AddrPair::V6 {
        src: mapped([192, 0, 2, 2]),
        dst: mapped([192, 0, 2, 1]),
    };
    let p = cmac16_excluded_syn(addrs);
    let key = "192.0.2.2=1:1:aes-cmac,exclude-options,maclen=12:secret";
    let given = explain_json(&p, &["--ao-key", key])["ao"].clone();
    assert_eq!(given["verdict"], "drop:TCP_AOFAILURE", "{given:#}");
    assert_eq!(given["tracepoint"], "tcp_ao_wrong_maclen", "{given:#}");
    assert!(
        given["reason"]
            .as_str()
            .unwrap()
            .contains("16 bytes, not the AO key's 12"),
        "{given:#}"
    );
}

/// A SYN from `addrs` with an MSS option and a 16-byte AES-128-CMAC MAC
/// over the AO option only (secret "secret", KeyID 1, RNext 1, ISN 7).
fn cmac16_excluded_syn(addrs: AddrPair) -> Vec<u8> {
    use tcpmd5::ao::{
        Algorithm, KdfContext, MasterKey, Mkt, OptionCoverage, derive_traffic_key, sign_segment,
    };
    let mut options = vec![2, 4, 5, 180, 29, 20, 1, 1];
    options.extend_from_slice(&[0; 16]);
    let mut seg = syn_from_40000(&addrs, &options, 7);
    let mkt = Mkt {
        coverage: OptionCoverage::Excluded,
        mac_len: 16,
        ..Mkt::new(
            addrs.src(),
            1,
            1,
            Algorithm::AesCmac,
            MasterKey::new(b"secret").unwrap(),
        )
    };
    let tk = derive_traffic_key(
        mkt.algorithm,
        &mkt.secret,
        &KdfContext::new(&addrs, 40000, 179, 7, 0),
    )
    .unwrap();
    sign_segment(&tk, &addrs, &mut seg, 0, mkt.coverage).unwrap();
    seg[16..18].copy_from_slice(&[0, 0]);
    let sum = tcpmd5::wire::checksum::tcp_checksum(&addrs, &seg);
    seg[16..18].copy_from_slice(&sum.to_be_bytes());
    tcpmd5::wire::ip_packet(&addrs, &seg).unwrap()
}

#[test]
fn isns_are_read_in_decimal_or_hex_and_printed_in_hex() {
    let p = rfc9235_4_1();
    let syn = explain_json(&p[0], &["--ao-key", CLIENT_KEY]);
    assert_eq!(syn["ao"]["isns"], "0xfbfbab5a, 0x00000000 (the SYN's own)");
    for isns in [
        "0xfbfbab5a:0x11c14261",
        "0XFBFBAB5A:0X11C14261",
        "4227574618:297878113",
        "4227574618:0x11c14261",
    ] {
        let e = explain_json(&p[2], &["--ao-key", CLIENT_KEY, "--isns", isns]);
        assert_eq!(e["ao"]["verdict"], "accept", "{isns}");
        assert_eq!(
            e["ao"]["isns"], "0xfbfbab5a, 0x11c14261 (given with --isns)",
            "{isns}"
        );
    }
}

/// A SYN from port 40000 to 179 with `options` and sequence number `seq`.
fn syn_from_40000(addrs: &AddrPair, options: &[u8], seq: u32) -> Vec<u8> {
    let repr = tcpmd5::wire::TcpRepr {
        src_port: 40000,
        dst_port: 179,
        seq,
        ack: 0,
        flags: tcpmd5::wire::TcpFlags::SYN,
        window: 512,
        urgent: 0,
        options,
        payload: &[],
    };
    repr.to_vec(addrs).unwrap()
}
