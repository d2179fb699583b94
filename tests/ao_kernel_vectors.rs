//! The TCP-AO vectors the kernel signed (`vectors/ao/linux-*-tcp-ao.json`,
//! written by `ci/regen/ao-vectors.sh`): every claim of every vector
//! checked by the reference library — the KeyIDs and MAC the option
//! carries, the traffic key from the ISNs (and from the segment itself for
//! SYN and SYN-ACK, and as the client's view derives it), the MAC over the
//! packet, the receive decision at the socket it was sent to — and every
//! vector altered in any of those fails the same check.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

// The vector reader shared with tests/vectors.rs; not all of it is used here.
#[allow(dead_code, unused_imports)]
#[path = "vectors/support.rs"]
mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use tcpmd5::ao::{
    Algorithm, AoSocket, AoSocketState, AoVerdict, Endpoints, FlowIsns, MasterKey, Mkt, MktTable,
    OptionCoverage, SegmentAo, TrafficKeys, derive_traffic_key, receive, segment_context,
    verify_segment_mac,
};
use tcpmd5::wire::IpSegment;
use tcpmd5::wire::checksum::tcp_checksum;
use tcpmd5::wire::tcp::TcpFlags;

use support::{hex, unhex, vectors};

/// Every `ao` vector the kernel signed.
fn kernel_vectors() -> Vec<Value> {
    vectors("ao")
        .into_iter()
        .map(|(_, v)| v)
        .filter(|v| v["provenance"]["kind"] == "kernel")
        .collect()
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("no {name}"))
}

fn string<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    field(v, name)?
        .as_str()
        .ok_or_else(|| format!("{name} is not a string"))
}

fn number<T: TryFrom<u64>>(v: &Value, name: &str) -> Result<T, String> {
    field(v, name)?
        .as_u64()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("{name} out of range"))
}

fn bytes(v: &Value, name: &str) -> Result<Vec<u8>, String> {
    tcpmd5_testkit::record::unhex(string(v, name)?).ok_or_else(|| format!("{name} is not hex"))
}

/// Checks every claim of one kernel vector with the model; `Err` names the
/// first that does not hold.
fn check(v: &Value) -> Result<(), String> {
    let packet = bytes(v, "packet")?;
    let seg = IpSegment::parse(&packet).map_err(|e| format!("packet: {e}"))?;
    let tcp = seg.tcp();
    if !tcp.verify_checksum(&seg.addrs) {
        return Err("the TCP checksum does not verify".into());
    }
    let alg = Algorithm::from_name(string(v, "algorithm")?).ok_or("unknown algorithm")?;
    let master = MasterKey::new(&bytes(v, "master_key")?).map_err(|e| e.to_string())?;
    let coverage = match string(v, "options")? {
        "included" => OptionCoverage::Included,
        "excluded" => OptionCoverage::Excluded,
        other => return Err(format!("options {other:?}")),
    };
    let (src_isn, dst_isn, sne): (u32, u32, u32) = (
        number(v, "src_isn")?,
        number(v, "dst_isn")?,
        number(v, "sne")?,
    );
    let kind = string(v, "segment")?;

    // The flags say the kind.
    let flags = tcp.flags();
    let from_flags = if flags.contains(TcpFlags::RST) {
        "rst"
    } else if flags.contains(TcpFlags::SYN | TcpFlags::ACK) {
        "syn-ack"
    } else if flags.contains(TcpFlags::SYN) {
        "syn"
    } else if flags.contains(TcpFlags::FIN) {
        "fin"
    } else if tcp.payload().is_empty() {
        "ack"
    } else {
        "data"
    };
    if from_flags != kind {
        return Err(format!("segment {kind}, the flags say {from_flags}"));
    }

    // The option carries the KeyIDs and the MAC.
    let ao = SegmentAo::find(seg.segment).map_err(|e| format!("AO option: {e}"))?;
    let carried = (
        ao.option.key_id(),
        ao.option.rnext_key_id(),
        hex(ao.option.mac()),
    );
    let claimed = (
        number(v, "key_id")?,
        number(v, "rnext_key_id")?,
        string(v, "mac")?.to_owned(),
    );
    if carried != claimed {
        return Err(format!(
            "the option carries {carried:?}, the vector {claimed:?}"
        ));
    }

    // The traffic key: from the vector's ISNs, from the segment where it
    // carries them, and as the client's four keys.
    let isns = FlowIsns { src_isn, dst_isn };
    let ctx = segment_context(&seg.addrs, seg.segment, Some(isns)).ok_or("no KDF context")?;
    if matches!(kind, "syn" | "syn-ack")
        && segment_context(&seg.addrs, seg.segment, None) != Some(ctx)
    {
        return Err("the ISNs are not the ones the segment carries".into());
    }
    let key = derive_traffic_key(alg, &master, &ctx).map_err(|e| e.to_string())?;
    if hex(key.as_bytes()) != string(v, "traffic_key")? {
        return Err(format!(
            "traffic key: the model derives {}",
            hex(key.as_bytes())
        ));
    }
    let (sport, dport) = (tcp.src_port(), tcp.dst_port());
    let sent_by_client = |addrs| Endpoints {
        addrs,
        local_port: sport,
        remote_port: dport,
    };
    let client_view = match string(v, "traffic_key_kind")? {
        "send-syn" => {
            TrafficKeys::derive(alg, &master, &sent_by_client(seg.addrs), src_isn, 0)
                .map_err(|e| e.to_string())?
                .send_syn
        }
        "send-other" => {
            TrafficKeys::derive(alg, &master, &sent_by_client(seg.addrs), src_isn, dst_isn)
                .map_err(|e| e.to_string())?
                .send_other
        }
        "receive-other" => {
            let ends = Endpoints {
                addrs: seg.addrs.reversed(),
                local_port: dport,
                remote_port: sport,
            };
            TrafficKeys::derive(alg, &master, &ends, dst_isn, src_isn)
                .map_err(|e| e.to_string())?
                .receive_other
        }
        other => {
            return Err(format!(
                "traffic_key_kind {other:?} in a two-socket capture"
            ));
        }
    };
    if client_view != key {
        return Err("the client's view derives another key".into());
    }

    // The MAC over the packet.
    if !verify_segment_mac(&key, &seg.addrs, seg.segment, sne, coverage)
        .map_err(|e| e.to_string())?
    {
        return Err("the model's MAC differs".into());
    }

    // The receiver accepts it, in the state it was in.
    let (key_id, rnext) = (claimed.0, claimed.1);
    let mut table = MktTable::new();
    table.add(Mkt {
        coverage,
        mac_len: u8::try_from(ao.option.mac().len()).map_err(|e| e.to_string())?,
        ..Mkt::new(seg.addrs.src(), rnext, key_id, alg, master)
    });
    let state = match kind {
        "syn" => AoSocketState::Listen,
        "syn-ack" => AoSocketState::Handshake {
            local_isn: dst_isn,
            remote_isn: 0,
        },
        _ => AoSocketState::Established {
            local_isn: dst_isn,
            remote_isn: src_isn,
            rcv_nxt: tcp.seq_number(),
            rcv_sne: sne,
            current_send_id: rnext,
        },
    };
    let socket = AoSocket {
        mkts: Some(&table),
        md5_key: false,
        state,
        l3index: 0,
    };
    let got = receive(&socket, &seg.addrs, seg.segment).map_err(|e| e.to_string())?;
    if got.verdict != (AoVerdict::Signed { key_id }) {
        return Err(format!("the receiver's verdict is {:?}", got.verdict));
    }
    Ok(())
}

#[test]
fn every_kernel_signed_vector_verifies() {
    let all = kernel_vectors();
    assert!(all.len() >= 100, "{} kernel vectors", all.len());
    for v in &all {
        if let Err(e) = check(v) {
            panic!("{}: {e}", v["id"]);
        }
    }
}

/// The file keeps what the capture promises (`vectors/README.md`): both
/// families, both algorithms, options covered and excluded, every segment
/// kind, a CMAC master key of odd length, KeyIDs that differ (0 and
/// non-zero), a MAC longer than 12 bytes, kernel and configuration named.
#[test]
fn the_kernel_vectors_cover_what_they_promise() {
    let all = kernel_vectors();
    let set = |name: &str| -> BTreeSet<String> {
        all.iter()
            .map(|v| v[name].as_str().unwrap().to_owned())
            .collect()
    };
    let combos: BTreeSet<(String, String, String)> = all
        .iter()
        .map(|v| {
            let s = |n: &str| v[n].as_str().unwrap().to_owned();
            (s("family"), s("algorithm"), s("options"))
        })
        .collect();
    assert_eq!(combos.len(), 8, "{combos:?}");
    assert_eq!(
        set("segment"),
        ["ack", "data", "fin", "rst", "syn", "syn-ack"]
            .map(str::to_owned)
            .into()
    );
    assert!(
        all.iter().any(|v| v["algorithm"] == "aes-cmac"
            && v["master_key"].as_str().unwrap().len() / 2 % 2 == 1)
    );
    assert!(all.iter().any(|v| {
        let (k, r) = (
            v["key_id"].as_u64().unwrap(),
            v["rnext_key_id"].as_u64().unwrap(),
        );
        k != 0 && r != 0 && k != r
    }));
    assert!(all.iter().any(|v| v["key_id"] == 0));
    assert!(all.iter().any(|v| v["mac"].as_str().unwrap().len() > 24));
    for v in &all {
        let p = &v["provenance"];
        assert!(
            p["kernel"].as_str().is_some_and(|k| !k.is_empty()),
            "{}",
            v["id"]
        );
        assert!(
            p["config_sha256"].as_str().is_some_and(|c| c.len() == 64),
            "{}",
            v["id"]
        );
    }
}

/// Each alteration a vector could suffer — a header bit (checksum
/// refilled), the MAC, the SNE, an ISN, the master key, the options flag,
/// the traffic key, the KeyIDs — makes `check` fail.
#[test]
fn a_corrupted_copy_fails() {
    type Alter = fn(&mut Value);
    fn bump(v: &mut Value, name: &str) {
        let n = v[name].as_u64().unwrap();
        v[name] = Value::from((n + 1) % (1 << 32));
    }
    fn flip_hex(v: &mut Value, name: &str, at: usize) {
        let mut b = unhex(v[name].as_str().unwrap());
        let i = at.min(b.len() - 1);
        b[i] ^= 0x01;
        v[name] = Value::from(hex(&b));
    }
    let alterations: [(&str, Alter); 9] = [
        ("window bit, checksum refilled", |v| {
            let mut p = unhex(v["packet"].as_str().unwrap());
            let seg = IpSegment::parse(&p).unwrap();
            let (addrs, start) = (seg.addrs, p.len() - seg.segment.len());
            p[start + 15] ^= 0x01;
            p[start + 16..start + 18].fill(0);
            let sum = tcp_checksum(&addrs, &p[start..]);
            p[start + 16..start + 18].copy_from_slice(&sum.to_be_bytes());
            v["packet"] = Value::from(hex(&p));
        }),
        ("mac", |v| flip_hex(v, "mac", 0)),
        ("sne", |v| bump(v, "sne")),
        ("src_isn", |v| bump(v, "src_isn")),
        ("master_key", |v| flip_hex(v, "master_key", usize::MAX)),
        ("options", |v| {
            let other = if v["options"] == "included" {
                "excluded"
            } else {
                "included"
            };
            v["options"] = Value::from(other);
        }),
        ("traffic_key", |v| flip_hex(v, "traffic_key", 3)),
        ("key_id", |v| bump(v, "key_id")),
        ("rnext_key_id", |v| bump(v, "rnext_key_id")),
    ];
    let all = kernel_vectors();
    assert!(!all.is_empty());
    let mut ao_alone = 0;
    for v in &all {
        for (what, alter) in &alterations {
            let mut bad = v.clone();
            alter(&mut bad);
            if *what == "options" && carries_ao_alone(v) {
                // Nothing for the flag to leave out: the same MAC.
                assert_eq!(check(&bad), Ok(()), "{}", v["id"]);
                ao_alone += 1;
                continue;
            }
            assert!(
                check(&bad).is_err(),
                "{} with {what} altered passes",
                v["id"]
            );
        }
    }
    assert!(ao_alone < all.len() / 2, "{ao_alone} of {}", all.len());
}

/// Whether the segment's only option is TCP-AO (no timestamps: the Linux
/// listener answered a SYN offering SACK without them).
fn carries_ao_alone(v: &Value) -> bool {
    let packet = unhex(v["packet"].as_str().unwrap());
    let seg = IpSegment::parse(&packet).unwrap();
    let ao = SegmentAo::find(seg.segment).unwrap();
    let header = usize::from(seg.segment[12] >> 4) * 4;
    header - 20 == ao.option.len().next_multiple_of(4)
}

/// The timestamps a Linux listener with an AO key keeps or drops: a SYN
/// offering SACK is answered without them (`tcp_synack_options`, as with
/// MD5), so the connection has none; a SYN without SACK keeps them on
/// every segment. Measured on 6.12.118 (`ci/regen/ao-vectors.sh`).
#[test]
fn the_listener_drops_timestamps_when_the_syn_offers_sack() {
    let all = kernel_vectors();
    let mut seen = [0usize; 2];
    for synack in all.iter().filter(|v| v["segment"] == "syn-ack") {
        let scenario = &synack["provenance"]["scenario"];
        let syn = all
            .iter()
            .find(|v| v["segment"] == "syn" && &v["provenance"]["scenario"] == scenario)
            .unwrap();
        let kinds = |v: &Value| {
            let packet = unhex(v["packet"].as_str().unwrap());
            let seg = IpSegment::parse(&packet).unwrap();
            let header = usize::from(seg.segment[12] >> 4) * 4;
            tcpmd5::wire::TcpOptions::new(&seg.segment[20..header])
                .filter_map(|o| o.ok().map(|(_, o)| o.kind()))
                .collect::<BTreeSet<u8>>()
        };
        let sack = kinds(syn).contains(&4);
        assert_eq!(kinds(synack).contains(&8), !sack, "{}", synack["id"]);
        for later in all.iter().filter(|v| {
            &v["provenance"]["scenario"] == scenario
                && !matches!(v["segment"].as_str(), Some("syn" | "syn-ack"))
        }) {
            assert_eq!(carries_ao_alone(later), sack, "{}", later["id"]);
        }
        seen[usize::from(sack)] += 1;
    }
    assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
}

/// Linux writes the AO option first in the option area, before MSS and the
/// rest, on every segment it signs (`tcp_options_write`); RFC 5925 sets no
/// place.
#[test]
fn linux_puts_the_ao_option_first() {
    for v in kernel_vectors() {
        let packet = unhex(v["packet"].as_str().unwrap());
        let seg = IpSegment::parse(&packet).unwrap();
        let header = usize::from(seg.segment[12] >> 4) * 4;
        let first = tcpmd5::wire::TcpOptions::new(&seg.segment[20..header])
            .next()
            .unwrap()
            .unwrap();
        assert_eq!((first.0, first.1.kind()), (0, 29), "{}", v["id"]);
    }
}
