//! Captures end to end: every link type, IPv6 extension headers, pcapng
//! interfaces, what cannot be checked, the AO bypass, sign -> verify (and
//! tcpdump reading what sign wrote).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::net::Ipv4Addr;
use std::process::Command;

use common::*;
use pcap_parser::ToVec;
use serde_json::Value;
use tcpmd5::wire::Ipv4Packet;
use tcpmd5::{AddrPair, Key};
use tcpmd5_cli::link::LinkType;

#[test]
fn every_link_type_both_families_and_extension_headers() {
    let dir = TempDir::new("links");
    let packets = [
        signed(&v4(), SECRET.as_bytes()),
        signed(&v6(), SECRET.as_bytes()),
        tcpmd5::sign::sign_packet_to_vec(
            &with_hop_by_hop(&packet(&v6(), &[], b"x")),
            &Key::new(SECRET.as_bytes()).unwrap(),
        )
        .unwrap(),
    ];
    let links = [
        LinkType::Ethernet,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::Raw,
        LinkType::Null,
        LinkType::Loop,
    ];
    for link in links {
        let frames: Vec<(Vec<u8>, u32)> = packets
            .iter()
            .map(|p| {
                let mut f = link_header(link, p);
                f.extend(p);
                let n = f.len() as u32;
                (f, n)
            })
            .collect();
        let path = dir.path(&format!("{}.pcap", link.number()));
        write_pcap(&path, link, &frames);
        let (records, out) = verify(&path, &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{link}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(records.len(), 4, "{link}");
        for r in &records[..3] {
            assert_eq!(r["status"], "valid", "{link}: {r}");
            assert_eq!(r["verdict"], "accept");
        }
        assert_eq!(records[3]["summary"]["totals"]["valid"], 3);
    }
    // 802.1Q and QinQ.
    let frames: Vec<(Vec<u8>, u32)> = [
        vlan(&[0x8100], &packets[0]),
        vlan(&[0x88a8, 0x8100], &packets[1]),
    ]
    .into_iter()
    .map(whole)
    .collect();
    let path = dir.path("vlan.pcap");
    write_pcap(&path, LinkType::Ethernet, &frames);
    let (records, out) = verify(&path, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        records[..2].iter().all(|r| r["status"] == "valid"),
        "{records:?}"
    );
}

#[test]
fn pcapng_with_two_interfaces() {
    use pcap_parser::pcapng::{EnhancedPacketBlock, InterfaceDescriptionBlock, SectionHeaderBlock};
    let dir = TempDir::new("pcapng");
    let mut file = Vec::new();
    let mut shb = SectionHeaderBlock {
        block_type: 0,
        block_len1: 0,
        bom: 0x1a2b_3c4d,
        major_version: 1,
        minor_version: 0,
        section_len: -1,
        options: vec![],
        block_len2: 0,
    };
    file.extend(shb.to_vec().unwrap());
    for link in [1, 101] {
        let mut idb = InterfaceDescriptionBlock {
            block_type: 0,
            block_len1: 0,
            linktype: pcap_parser::Linktype(link),
            reserved: 0,
            snaplen: 0,
            options: vec![],
            block_len2: 0,
            if_tsresol: 6,
            if_tsoffset: 0,
        };
        file.extend(idb.to_vec().unwrap());
    }
    let p4 = signed(&v4(), SECRET.as_bytes());
    let mut eth = link_header(LinkType::Ethernet, &p4);
    eth.extend(&p4);
    let p6 = signed(&v6(), b"not the key");
    for (if_id, data) in [(0u32, eth), (1, p6)] {
        let mut epb = EnhancedPacketBlock {
            block_type: 0,
            block_len1: 0,
            if_id,
            ts_high: 0,
            ts_low: 5,
            caplen: data.len() as u32,
            origlen: data.len() as u32,
            data: &data,
            options: vec![],
            block_len2: 0,
        };
        file.extend(epb.to_vec().unwrap());
    }
    let path = dir.path("two.pcapng");
    std::fs::write(&path, &file).unwrap();
    let (records, out) = verify(&path, &[]);
    assert_eq!(records[0]["status"], "valid", "{records:?}");
    assert_eq!(records[1]["status"], "invalid");
    assert_eq!(records[1]["verdict"], "drop:TCP_MD5FAILURE");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failing segment fails the run"
    );
}

#[test]
fn what_cannot_be_checked_is_said() {
    let dir = TempDir::new("unchecked");
    let good = signed(&v4(), SECRET.as_bytes());
    // Cut by the snap length.
    let cut = (good[..30].to_vec(), good.len() as u32);
    // An IP fragment (MF set).
    let mut frag = good.clone();
    frag[6] |= 0x20;
    Ipv4Packet::new_unchecked(&mut frag[..]).fill_checksum();
    // Signed, from an address no key covers.
    let stranger = signed(
        &AddrPair::V4 {
            src: Ipv4Addr::new(198, 51, 100, 7),
            dst: Ipv4Addr::new(198, 51, 100, 8),
        },
        b"whatever",
    );
    let frames: Vec<(Vec<u8>, u32)> = vec![
        cut,
        (frag.clone(), frag.len() as u32),
        (stranger.clone(), stranger.len() as u32),
    ];
    let path = dir.path("u.pcap");
    write_pcap(&path, LinkType::Raw, &frames);
    let (records, out) = verify(&path, &[]);
    let ids: Vec<_> = records[..3]
        .iter()
        .map(|r| (r["status"].clone(), r["unchecked"].clone()))
        .collect();
    assert_eq!(ids[0], (Value::from("unchecked"), Value::from("snaplen")));
    assert_eq!(ids[1], (Value::from("unchecked"), Value::from("fragment")));
    assert_eq!(records[2]["status"], "unchecked");
    assert!(
        records[2]["reason"]
            .as_str()
            .unwrap()
            .contains("keys were not given")
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "unchecked is not a failure, and nothing was checked"
    );
    assert_eq!(records[3]["summary"]["nothing_checked"], true);
}

#[test]
fn ao_in_an_md5_session_is_a_bypass_attempt() {
    let dir = TempDir::new("ao");
    let mut ao = vec![29u8, 16, 1, 1];
    ao.extend([0xa5; 12]);
    ao.extend([1, 1, 1, 1]);
    let p = packet(&v4(), &ao, b"UPDATE");
    let path = dir.path("ao.pcap");
    write_pcap(&path, LinkType::Raw, &[(p.clone(), p.len() as u32)]);
    let (records, out) = verify(&path, &[]);
    assert_eq!(records[0]["status"], "bypass", "{records:?}");
    assert_eq!(records[0]["verdict"], "accept");
    assert_eq!(out.status.code(), Some(1));
    // The session's diagnosis names it.
    let session = json_lines(&out)
        .into_iter()
        .find(|r| r.get("session").is_some())
        .unwrap();
    assert_eq!(session["diagnosis"]["causes"][0]["cause"], "ao-bypass");
    assert!(
        session["diagnosis"]["summary"]
            .as_str()
            .unwrap()
            .contains("a TCP-AO option toward an MD5 session (the bypass)")
    );
    let (records, _) = verify(&path, &["--semantics", "linux-legacy"]);
    assert_eq!(records[0]["verdict"], "drop:TCP_MD5NOTFOUND");
    // explain says so for linux, and why.
    let mut args = vec![
        "explain".to_owned(),
        tcpmd5_cli::hex::encode(&p),
        "--format".into(),
        "json".into(),
    ];
    args.extend(key_args());
    let out = Command::new(BIN).args(&args).output().unwrap();
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["verdicts"]["linux"]["md5_bypassed"], true);
    assert!(
        e["verdicts"]["linux"]["reason"]
            .as_str()
            .unwrap()
            .contains("MD5 check is bypassed")
    );
    assert_eq!(
        e["verdicts"]["linux-ao"]["verdict"],
        "drop:TCP_AOUNEXPECTED"
    );
    assert_eq!(
        e["verdicts"]["linux-legacy"]["verdict"],
        "drop:TCP_MD5NOTFOUND"
    );
    assert!(
        e["agreement"]
            .as_str()
            .unwrap()
            .starts_with("they disagree")
    );
    // The proposed fix is listed, marked as such, and named where it
    // changes the released verdict.
    let fixed = &e["verdicts"]["linux-ao-bypass-fixed"];
    assert_eq!(fixed["verdict"], "drop:TCP_MD5NOTFOUND");
    assert_eq!(fixed["proposed"], true);
    assert_eq!(fixed["md5_bypassed"], false);
    assert!(
        fixed["reason"]
            .as_str()
            .unwrap()
            .contains("counts as no MD5 option")
    );
    assert_eq!(e["verdicts"]["linux"]["proposed"], false);
    assert!(
        e["agreement"].as_str().unwrap().contains(
            "the proposed fix linux-ao-bypass-fixed (Linux >= 6.7, TCP_AO=n, AO bypass fixed) -> drop:TCP_MD5NOTFOUND instead of accept (ao-not-checked)"
        ),
        "{}",
        e["agreement"]
    );
}

#[test]
fn sign_then_verify_and_tcpdump_reads_it() {
    let dir = TempDir::new("sign");
    let frames: Vec<(Vec<u8>, u32)> = [
        packet(&v4(), &[], b"OPEN"),
        packet(&v6(), &[2, 4, 5, 0xb4], b"KEEPALIVE"),
    ]
    .into_iter()
    .map(|p| {
        let mut f = link_header(LinkType::Ethernet, &p);
        f.extend(&p);
        let n = f.len() as u32;
        (f, n)
    })
    .collect();
    let input = dir.path("in.pcap");
    let output = dir.path("out.pcap");
    write_pcap(&input, LinkType::Ethernet, &frames);
    let (records, _) = verify(&input, &[]);
    assert!(
        records[..2]
            .iter()
            .all(|r| r["verdict"] == "drop:TCP_MD5NOTFOUND")
    );
    let mut args = vec![
        "sign".to_owned(),
        input.display().to_string(),
        "-o".into(),
        output.display().to_string(),
    ];
    args.extend(key_args());
    let out = Command::new(BIN).args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (records, out) = verify(&output, &["--checksum", "strict"]);
    assert!(
        records[..2].iter().all(|r| r["status"] == "valid"),
        "{records:?}"
    );
    assert_eq!(out.status.code(), Some(0));
    // tcpdump opens it and, with the secret, finds both digests valid.
    if let Ok(td) = Command::new("tcpdump")
        .args(["-nn", "-v", "-M", SECRET, "-r"])
        .arg(&output)
        .output()
    {
        let text = String::from_utf8_lossy(&td.stdout);
        assert!(
            td.status.success(),
            "{}",
            String::from_utf8_lossy(&td.stderr)
        );
        assert_eq!(text.matches("md5 valid").count(), 2, "{text}");
    } else {
        eprintln!("tcpdump not installed: the pcap was checked by tcpmd5 only");
    }
    // One hex packet: printed back signed.
    let hex = tcpmd5_cli::hex::encode(&packet(&v4(), &[], b""));
    let mut args = vec!["sign".to_owned(), "--hex".into(), hex];
    args.extend(key_args());
    let out = Command::new(BIN).args(&args).output().unwrap();
    let signed_hex = String::from_utf8(out.stdout).unwrap();
    let mut args = vec![
        "explain".to_owned(),
        signed_hex.trim().to_owned(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(key_args());
    let e: Value =
        serde_json::from_slice(&Command::new(BIN).args(&args).output().unwrap().stdout).unwrap();
    assert_eq!(e["verdicts"]["linux"]["acceptance"], "signed");
}
