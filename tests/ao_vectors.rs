//! RFC 9235's TCP-AO vectors (`vectors/ao/rfc9235.json`): every traffic key and every
//! MAC reproduced by the reference library, the receive decision accepting
//! each segment at the socket it was meant for, and rejecting it altered.

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

use serde_json::Value;
use tcpmd5::ao::{
    Algorithm, AoSocket, AoSocketState, AoVerdict, Endpoints, FlowIsns, KdfContext, MasterKey, Mkt,
    MktTable, OptionCoverage, SegmentAo, TrafficKeys, derive_traffic_key, receive, segment_context,
    segment_mac, verify_segment_mac,
};
use tcpmd5::verdict::DropReason;
use tcpmd5::wire::IpSegment;
use tcpmd5::wire::checksum::{checksum, tcp_checksum};

use support::{hex, unhex, vectors};

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn u32_of(v: &Value) -> u32 {
    u32::try_from(v.as_u64().unwrap()).unwrap()
}

struct Case {
    id: String,
    packet: Vec<u8>,
    alg: Algorithm,
    master: MasterKey,
    coverage: OptionCoverage,
    key_id: u8,
    rnext: u8,
    src_isn: u32,
    dst_isn: u32,
    sne: u32,
    traffic_key: String,
    mac: String,
    segment_kind: String,
}

/// RFC 9235's vectors (the kernel-captured ones are
/// `tests/ao_kernel_vectors.rs`'s).
fn cases() -> Vec<Case> {
    vectors("ao")
        .into_iter()
        .filter(|(f, _)| f.file_name().is_some_and(|n| n == "rfc9235.json"))
        .map(|(_, v)| Case {
            id: s(&v["id"]).to_owned(),
            packet: unhex(s(&v["packet"])),
            alg: Algorithm::from_name(s(&v["algorithm"])).unwrap(),
            master: MasterKey::new(&unhex(s(&v["master_key"]))).unwrap(),
            coverage: match s(&v["options"]) {
                "included" => OptionCoverage::Included,
                _ => OptionCoverage::Excluded,
            },
            key_id: u8::try_from(v["key_id"].as_u64().unwrap()).unwrap(),
            rnext: u8::try_from(v["rnext_key_id"].as_u64().unwrap()).unwrap(),
            src_isn: u32_of(&v["src_isn"]),
            dst_isn: u32_of(&v["dst_isn"]),
            sne: u32_of(&v["sne"]),
            traffic_key: s(&v["traffic_key"]).to_owned(),
            mac: s(&v["mac"]).to_owned(),
            segment_kind: s(&v["segment"]).to_owned(),
        })
        .collect()
}

/// Every section of RFC 9235 (§4.1 to §7.2), four segments each.
#[test]
fn every_rfc9235_vector_is_there() {
    let ids: Vec<String> = cases().into_iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 32);
    for sec in ["4.1", "4.2", "5.1", "5.2", "6.1", "6.2", "7.1", "7.2"] {
        for n in 1..=4 {
            assert!(ids.contains(&format!("rfc9235/{sec}.{n}")), "{sec}.{n}");
        }
    }
}

#[test]
fn traffic_keys_and_macs_match_the_rfc() {
    for c in cases() {
        let seg = IpSegment::parse(&c.packet).unwrap_or_else(|e| panic!("{}: {e}", c.id));
        let ao = SegmentAo::find(seg.segment).unwrap();
        assert_eq!(
            (ao.option.key_id(), ao.option.rnext_key_id()),
            (c.key_id, c.rnext),
            "{}",
            c.id
        );
        assert_eq!(
            hex(ao.option.mac()),
            c.mac,
            "{}: the MAC the packet carries",
            c.id
        );
        // The context from the vector's ISNs, and from the segment itself
        // where it carries them (SYN, SYN-ACK).
        let isns = FlowIsns {
            src_isn: c.src_isn,
            dst_isn: c.dst_isn,
        };
        let ctx = segment_context(&seg.addrs, seg.segment, Some(isns)).unwrap();
        let tcp = seg.tcp();
        assert_eq!(
            ctx,
            KdfContext::new(
                &seg.addrs,
                tcp.src_port(),
                tcp.dst_port(),
                c.src_isn,
                c.dst_isn
            ),
            "{}",
            c.id
        );
        let from_wire = segment_context(&seg.addrs, seg.segment, None);
        match c.segment_kind.as_str() {
            "syn" | "syn-ack" => assert_eq!(from_wire, Some(ctx), "{}", c.id),
            _ => assert_eq!(from_wire, None, "{}: ISNs are never guessed", c.id),
        }
        let key = derive_traffic_key(c.alg, &c.master, &ctx).unwrap();
        assert_eq!(hex(key.as_bytes()), c.traffic_key, "{}: traffic key", c.id);
        let mac = segment_mac(&key, &seg.addrs, seg.segment, c.sne, c.coverage).unwrap();
        assert_eq!(hex(mac.as_bytes()), c.mac, "{}: MAC", c.id);
        assert!(verify_segment_mac(&key, &seg.addrs, seg.segment, c.sne, c.coverage).unwrap());
        // The other coverage, another SNE: another MAC.
        let other = match c.coverage {
            OptionCoverage::Included => OptionCoverage::Excluded,
            OptionCoverage::Excluded => OptionCoverage::Included,
        };
        assert!(
            !verify_segment_mac(&key, &seg.addrs, seg.segment, c.sne, other).unwrap(),
            "{}",
            c.id
        );
        assert!(!verify_segment_mac(&key, &seg.addrs, seg.segment, c.sne + 1, c.coverage).unwrap());
    }
}

/// The packets themselves: lengths and IPv4 header checksums are right;
/// the TCP checksum verifies in all 16 IPv6 packets and in none of the 16
/// IPv4 ones (as published: not a partial offload checksum either). The
/// MAC input zeroes the checksum, so the MACs are unaffected, but a kernel
/// drops those IPv4 packets as `TCP_CSUM` before any AO check: replay them
/// with the checksum refilled.
#[test]
fn packet_bytes_as_published() {
    let mut bad_v4 = 0;
    for c in cases() {
        let seg = IpSegment::parse(&c.packet).unwrap();
        let v4 = c.packet[0] >> 4 == 4;
        if v4 {
            assert_eq!(
                checksum(&c.packet[..20]),
                0,
                "{}: IPv4 header checksum",
                c.id
            );
        }
        let tcp_ok = seg.tcp().verify_checksum(&seg.addrs);
        assert_eq!(tcp_ok, !v4, "{}: TCP checksum", c.id);
        bad_v4 += usize::from(!tcp_ok);
        // Refilled, the MAC still verifies (it never covers the checksum).
        let mut fixed = seg.segment.to_vec();
        let sum = tcp_checksum(&seg.addrs, &fixed);
        fixed[16..18].copy_from_slice(&sum.to_be_bytes());
        let key = derive_traffic_key(
            c.alg,
            &c.master,
            &segment_context(
                &seg.addrs,
                &fixed,
                Some(FlowIsns {
                    src_isn: c.src_isn,
                    dst_isn: c.dst_isn,
                }),
            )
            .unwrap(),
        )
        .unwrap();
        assert!(verify_segment_mac(&key, &seg.addrs, &fixed, c.sne, c.coverage).unwrap());
    }
    assert_eq!(bad_v4, 16);
}

/// Each segment is accepted by the socket it was meant for, in the state it
/// arrives in, and altered or keyed otherwise it is dropped for the reason
/// Linux gives.
#[test]
fn the_receive_decision_accepts_each_segment_and_names_each_failure() {
    for c in cases() {
        let seg = IpSegment::parse(&c.packet).unwrap();
        let peer = seg.addrs.src();
        let mkt = Mkt {
            coverage: c.coverage,
            ..Mkt::new(peer, c.rnext, c.key_id, c.alg, c.master.clone())
        };
        let mut table = MktTable::new();
        table.add(mkt.clone());
        let state = match c.segment_kind.as_str() {
            "syn" => AoSocketState::Listen,
            "syn-ack" => AoSocketState::Handshake {
                local_isn: c.dst_isn,
                remote_isn: 0,
            },
            _ => AoSocketState::Established {
                local_isn: c.dst_isn,
                remote_isn: c.src_isn,
                rcv_nxt: seg.tcp().seq_number(),
                rcv_sne: 0,
                current_send_id: c.rnext,
            },
        };
        let socket = AoSocket {
            mkts: Some(&table),
            md5_key: false,
            state,
            l3index: 0,
        };
        let got = receive(&socket, &seg.addrs, seg.segment).unwrap();
        assert_eq!(
            got.verdict,
            AoVerdict::Signed { key_id: c.key_id },
            "{}",
            c.id
        );
        assert_eq!(got.counter, Some("TCPAOGood"));
        assert_eq!(got.rnext_request, None, "{}", c.id);

        // One payload or header bit flipped: TCP_AOFAILURE.
        let mut bad = seg.segment.to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let got = receive(&socket, &seg.addrs, &bad).unwrap();
        assert_eq!(
            got.verdict,
            AoVerdict::Drop(DropReason::AoFailure),
            "{}",
            c.id
        );
        assert_eq!(
            (got.counter, got.tracepoint),
            (Some("TCPAOBad"), Some("tcp_ao_mismatch"))
        );

        // The segment received by the socket holding `mkts` instead.
        let received_with = |mkts: Option<&MktTable>| {
            receive(&AoSocket { mkts, ..socket }, &seg.addrs, seg.segment).unwrap()
        };

        // No MKT with that rcvid: TCP_AOKEYNOTFOUND.
        let mut other = MktTable::new();
        other.add(Mkt {
            recv_id: c.key_id.wrapping_add(1),
            ..mkt.clone()
        });
        let got = received_with(Some(&other));
        assert_eq!(
            got.verdict,
            AoVerdict::Drop(DropReason::AoKeyNotFound),
            "{}",
            c.id
        );

        // A socket without AO keys: TCP_AOUNEXPECTED.
        let got = received_with(None);
        assert_eq!(got.verdict, AoVerdict::Drop(DropReason::AoUnexpected));
        // Linux counts and traces it as a KeyID it has no key for.
        assert_eq!(
            (got.counter, got.tracepoint),
            (Some("TCPAOKeyNotFound"), Some("tcp_ao_key_not_found"))
        );

        // An MKT with a 16-byte MAC: the option's 12 bytes are the wrong length.
        let mut long = MktTable::new();
        long.add(Mkt {
            mac_len: 16,
            ..mkt.clone()
        });
        let got = received_with(Some(&long));
        assert_eq!(got.verdict, AoVerdict::Drop(DropReason::AoFailure));
        assert_eq!(got.tracepoint, Some("tcp_ao_wrong_maclen"));

        // The wrong secret: TCP_AOFAILURE.
        let mut wrong = MktTable::new();
        wrong.add(Mkt {
            secret: MasterKey::new(b"testvectoR").unwrap(),
            ..mkt
        });
        let got = received_with(Some(&wrong));
        assert_eq!(
            got.verdict,
            AoVerdict::Drop(DropReason::AoFailure),
            "{}",
            c.id
        );
    }
}

/// At a socket without AO keys the AO decision is the one the MD5 model
/// already makes under `linux-ao`, on every option corner case and digest
/// vector: malformed options, AO options, unsigned segments with and
/// without an MD5 key agree; MD5 options go to the MD5 check in both.
#[test]
fn without_ao_keys_the_decision_is_the_md5_models_linux_ao() {
    let mut compared = 0;
    for group in ["options", "digest"] {
        for (_, v) in vectors(group) {
            let packet = unhex(s(&v["packet"]));
            let Ok(seg) = IpSegment::parse(&packet) else {
                continue;
            };
            let expected = s(&v["expected"]["linux-ao"]["verdict"]);
            if expected == "drop:IP_CSUM" || expected == "drop:TCP_CSUM" {
                continue;
            }
            let md5_key = match group {
                "options" => v["receiver_key"].as_str().is_some(),
                _ => true,
            };
            let socket = AoSocket {
                mkts: None,
                md5_key,
                state: AoSocketState::Established {
                    local_isn: 0,
                    remote_isn: 0,
                    rcv_nxt: 0,
                    rcv_sne: 0,
                    current_send_id: 0,
                },
                l3index: 0,
            };
            let got = receive(&socket, &seg.addrs, seg.segment).unwrap();
            let id = s(&v["id"]);
            match got.verdict {
                AoVerdict::Md5 => assert!(
                    matches!(
                        expected,
                        "accept" | "drop:TCP_MD5UNEXPECTED" | "drop:TCP_MD5FAILURE"
                    ),
                    "{id}: {expected}"
                ),
                other => assert_eq!(
                    other.verdict().map(|v| v.id().to_string()).as_deref(),
                    Some(expected),
                    "{id}"
                ),
            }
            compared += 1;
        }
    }
    assert!(compared > 300, "{compared}");
}

/// The four keys of the client's view (`TrafficKeys::derive`) are the
/// RFC's: its SYN's, its data's, and the server's SYN-ACK and data's.
#[test]
fn traffic_keys_of_the_clients_view() {
    let all = cases();
    for sec in all.chunks(4) {
        let [syn, synack, data, rdata] = sec else {
            panic!("four per section")
        };
        let seg = IpSegment::parse(&syn.packet).unwrap();
        let tcp = seg.tcp();
        let ends = Endpoints {
            addrs: seg.addrs,
            local_port: tcp.src_port(),
            remote_port: tcp.dst_port(),
        };
        let keys =
            TrafficKeys::derive(syn.alg, &syn.master, &ends, syn.src_isn, synack.src_isn).unwrap();
        assert_eq!(hex(keys.send_syn.as_bytes()), syn.traffic_key, "{}", syn.id);
        assert_eq!(
            hex(keys.receive_other.as_bytes()),
            synack.traffic_key,
            "{}",
            synack.id
        );
        assert_eq!(
            hex(keys.send_other.as_bytes()),
            data.traffic_key,
            "{}",
            data.id
        );
        assert_eq!(
            hex(keys.receive_other.as_bytes()),
            rdata.traffic_key,
            "{}",
            rdata.id
        );
        // The server's SYN key: its ISN and 0, from its end.
        let back = KdfContext::new(
            &seg.addrs.reversed(),
            tcp.dst_port(),
            tcp.src_port(),
            synack.src_isn,
            0,
        );
        assert_eq!(
            keys.receive_syn,
            derive_traffic_key(syn.alg, &syn.master, &back).unwrap()
        );
        assert_ne!(keys.receive_syn, keys.receive_other);
    }
}
