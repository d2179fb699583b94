//! The receive decision's branches, one socket state and one failure at a
//! time, over segments signed here with the library's own signer.

use core::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::ao::{Algorithm, MasterKey, OptionCoverage, sign_segment};

const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const LOCAL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);

fn addrs() -> AddrPair {
    AddrPair::new(IpAddr::V4(PEER), IpAddr::V4(LOCAL)).unwrap()
}

fn mkt(send_id: u8, recv_id: u8) -> Mkt {
    Mkt::new(
        IpAddr::V4(PEER),
        send_id,
        recv_id,
        Algorithm::AesCmac,
        MasterKey::new(b"secret").unwrap(),
    )
}

/// A segment from PEER:5000 to LOCAL:179 with `flags` and an AO option
/// (KeyID `key_id`, RNextKeyID `rnext`), signed with `key` over ISNs
/// `(sisn, disn)` and `sne` (unsigned when `key` is `None`).
#[allow(clippy::too_many_arguments)]
fn segment(
    flags: u16,
    seq: u32,
    ack: u32,
    key_id: u8,
    rnext: u8,
    key: Option<&Mkt>,
    isns: (u32, u32),
    sne: u32,
) -> Vec<u8> {
    let mut s = vec![0u8; 20];
    s[0..2].copy_from_slice(&5000u16.to_be_bytes());
    s[2..4].copy_from_slice(&179u16.to_be_bytes());
    s[4..8].copy_from_slice(&seq.to_be_bytes());
    s[8..12].copy_from_slice(&ack.to_be_bytes());
    s.extend_from_slice(&[29, 16, key_id, rnext]);
    s.extend_from_slice(&[0; 12]);
    s[12..14].copy_from_slice(&((9u16 << 12) | flags).to_be_bytes());
    s.extend_from_slice(b"payload");
    if let Some(k) = key {
        let ctx = KdfContext::new(&addrs(), 5000, 179, isns.0, isns.1);
        let tk = derive_traffic_key(k.algorithm, &k.secret, &ctx).unwrap();
        sign_segment(&tk, &addrs(), &mut s, sne, k.coverage).unwrap();
    }
    s
}

fn unsigned(flags: u16) -> Vec<u8> {
    let mut s = vec![0u8; 20];
    s[12..14].copy_from_slice(&((5u16 << 12) | flags).to_be_bytes());
    s
}

fn table(keys: &[Mkt]) -> MktTable {
    let mut t = MktTable::new();
    for k in keys {
        t.add(k.clone());
    }
    t
}

fn run(t: Option<&MktTable>, state: AoSocketState, seg: &[u8]) -> AoOutcome {
    receive(
        &AoSocket {
            mkts: t,
            md5_key: false,
            state,
            l3index: 0,
        },
        &addrs(),
        seg,
    )
    .unwrap()
}

const SYN: u16 = 0x002;
const ACK: u16 = 0x010;
const RST: u16 = 0x004;
const PSH_ACK: u16 = 0x018;

#[test]
fn unsigned_segments() {
    let k = mkt(1, 2);
    let t = table(core::slice::from_ref(&k));
    let got = run(Some(&t), AoSocketState::Listen, &unsigned(SYN));
    assert_eq!(got.verdict, AoVerdict::Drop(DropReason::AoNotFound));
    assert_eq!(
        (got.counter, got.tracepoint),
        (Some("TCPAORequired"), Some("tcp_hash_ao_required"))
    );
    // No key covers the peer: accepted, unless AO is required.
    let other = table(&[Mkt::new(
        IpAddr::V4(Ipv4Addr::new(10, 9, 9, 9)),
        1,
        2,
        Algorithm::HmacSha1,
        MasterKey::new(b"x").unwrap(),
    )]);
    assert_eq!(
        run(Some(&other), AoSocketState::Listen, &unsigned(SYN)).verdict,
        AoVerdict::Unsigned
    );
    let mut required = other.clone();
    required.required = true;
    assert_eq!(
        run(Some(&required), AoSocketState::Listen, &unsigned(SYN)).verdict,
        AoVerdict::Drop(DropReason::AoNotFound)
    );
    assert_eq!(
        run(None, AoSocketState::Listen, &unsigned(SYN)),
        AoOutcome::plain(AoVerdict::Unsigned)
    );
    // An MD5 key for the peer and no AO key: the MD5 reason.
    let s = AoSocket {
        mkts: Some(&other),
        md5_key: true,
        state: AoSocketState::Listen,
        l3index: 0,
    };
    assert_eq!(
        receive(&s, &addrs(), &unsigned(SYN)).unwrap().verdict,
        AoVerdict::Drop(DropReason::Md5NotFound)
    );
    // AO required beats the MD5 key.
    let s = AoSocket {
        mkts: Some(&t),
        ..s
    };
    assert_eq!(
        receive(&s, &addrs(), &unsigned(SYN)).unwrap().verdict,
        AoVerdict::Drop(DropReason::AoNotFound)
    );
}

#[test]
fn malformed_md5_and_unreadable() {
    let t = table(&[mkt(1, 2)]);
    let mut md5 = vec![0u8; 20];
    md5.extend_from_slice(&[1, 1, 19, 18]);
    md5.extend_from_slice(&[0; 16]);
    md5[12] = 10 << 4;
    assert_eq!(
        run(Some(&t), AoSocketState::Listen, &md5).verdict,
        AoVerdict::Md5
    );
    let mut both = md5.clone();
    both.truncate(40);
    both.extend_from_slice(&[29, 5, 1, 2, 0, 1, 1, 1]);
    both[12] = 12 << 4;
    let got = run(Some(&t), AoSocketState::Listen, &both);
    assert_eq!(got.verdict, AoVerdict::Drop(DropReason::AuthHeader));
    assert_eq!(
        (got.counter, got.tracepoint),
        (None, Some("tcp_hash_bad_header"))
    );
    assert!(
        receive(
            &AoSocket {
                mkts: Some(&t),
                md5_key: false,
                state: AoSocketState::Listen,
                l3index: 0
            },
            &addrs(),
            &[0; 10]
        )
        .is_err()
    );
    assert_eq!(AoVerdict::Md5.verdict(), None);
    assert_eq!(
        AoVerdict::Drop(DropReason::TcpClose).verdict(),
        Some(Verdict::Drop(DropReason::TcpClose))
    );
    assert_eq!(
        AoVerdict::Unsigned.verdict(),
        Some(Verdict::Accept(Acceptance::Unsigned))
    );
}

#[test]
fn listener_and_request_socket() {
    let k = mkt(1, 2);
    let t = table(core::slice::from_ref(&k));
    // A SYN: its own ISN and 0.
    let syn = segment(SYN, 100, 0, 2, 1, Some(&k), (100, 0), 0);
    let got = run(Some(&t), AoSocketState::Listen, &syn);
    assert_eq!(got.verdict, AoVerdict::Signed { key_id: 2 });
    assert_eq!(got.counter, Some("TCPAOGood"));
    // A KeyID no MKT has as RecvID (its SendID does not count).
    let got = run(
        Some(&t),
        AoSocketState::Listen,
        &segment(SYN, 100, 0, 1, 1, Some(&k), (100, 0), 0),
    );
    assert_eq!(got.verdict, AoVerdict::Drop(DropReason::AoKeyNotFound));
    assert_eq!(
        (got.counter, got.tracepoint),
        (Some("TCPAOKeyNotFound"), Some("tcp_ao_key_not_found"))
    );
    // No AO keys at all.
    assert_eq!(
        run(None, AoSocketState::Listen, &syn).verdict,
        AoVerdict::Drop(DropReason::AoUnexpected)
    );
    // The third ACK at the request socket: the ISNs it holds, SNE 0.
    let req = AoSocketState::Request {
        used_ao: true,
        remote_isn: 100,
        local_isn: 900,
    };
    let ack = segment(ACK, 101, 901, 2, 1, Some(&k), (100, 900), 0);
    assert_eq!(
        run(Some(&t), req, &ack).verdict,
        AoVerdict::Signed { key_id: 2 }
    );
    // A later segment at the request socket (data after the third ACK):
    // still the ISNs it holds, not its own sequence number less one.
    let later = segment(PSH_ACK, 160, 901, 2, 1, Some(&k), (100, 900), 0);
    assert_eq!(
        run(Some(&t), req, &later).verdict,
        AoVerdict::Signed { key_id: 2 }
    );
    let as_cookie = segment(PSH_ACK, 160, 901, 2, 1, Some(&k), (159, 900), 0);
    assert_eq!(
        run(Some(&t), req, &as_cookie).verdict,
        AoVerdict::Drop(DropReason::AoFailure)
    );
    let swapped = segment(ACK, 101, 901, 2, 1, Some(&k), (900, 100), 0);
    assert_eq!(
        run(Some(&t), req, &swapped).verdict,
        AoVerdict::Drop(DropReason::AoFailure)
    );
    // AO on one handshake segment and not the other.
    let plain = AoSocketState::Request {
        used_ao: false,
        remote_isn: 100,
        local_isn: 900,
    };
    let got = run(Some(&t), plain, &ack);
    assert_eq!(got.verdict, AoVerdict::Drop(DropReason::AoFailure));
    assert_eq!(
        (got.counter, got.tracepoint),
        (Some("TCPAOBad"), Some("tcp_ao_handshake_failure"))
    );
    assert_eq!(
        run(Some(&t), req, &unsigned(ACK)).tracepoint,
        Some("tcp_ao_handshake_failure")
    );
    // A listener without a request socket: an ACK is a syncookie's, its
    // ISNs one below its sequence and acknowledgement numbers.
    let cookie = segment(ACK, 101, 901, 2, 1, Some(&k), (100, 900), 0);
    assert_eq!(
        run(Some(&t), AoSocketState::Listen, &cookie).verdict,
        AoVerdict::Signed { key_id: 2 }
    );
    // Neither SYN nor ACK: the ISNs cannot be known.
    let rst = segment(RST, 101, 0, 2, 1, Some(&k), (100, 900), 0);
    // tcp_inbound_ao_hash: SKB_DROP_REASON_TCP_FLAGS, no counter and no
    // `tcp:` tracepoint.
    let got = run(Some(&t), AoSocketState::Listen, &rst);
    assert_eq!(got.verdict, AoVerdict::Drop(DropReason::TcpFlags));
    assert_eq!((got.counter, got.tracepoint), (None, None));
    // A SYN-ACK at a listener is keyed as a SYN.
    let synack = segment(SYN | ACK, 100, 7, 2, 1, Some(&k), (100, 0), 0);
    assert_eq!(
        run(Some(&t), AoSocketState::Listen, &synack).verdict,
        AoVerdict::Signed { key_id: 2 }
    );
}

#[test]
fn handshake_states_and_closed() {
    let k = mkt(1, 2);
    let t = table(core::slice::from_ref(&k));
    let hs = AoSocketState::Handshake {
        local_isn: 900,
        remote_isn: 100,
    };
    // A SYN-ACK: its own sequence number and this end's ISN.
    let synack = segment(SYN | ACK, 555, 901, 2, 1, Some(&k), (555, 900), 0);
    assert_eq!(
        run(Some(&t), hs, &synack).verdict,
        AoVerdict::Signed { key_id: 2 }
    );
    // An RST: its own sequence number too.
    let rst = segment(RST | ACK, 555, 901, 2, 1, Some(&k), (555, 900), 0);
    assert_eq!(
        run(Some(&t), hs, &rst).verdict,
        AoVerdict::Signed { key_id: 2 }
    );
    // Anything else: the peer's ISN held.
    let ack = segment(ACK, 101, 901, 2, 1, Some(&k), (100, 900), 0);
    assert_eq!(
        run(Some(&t), hs, &ack).verdict,
        AoVerdict::Signed { key_id: 2 }
    );
    let wrong = segment(ACK, 101, 901, 2, 1, Some(&k), (101, 900), 0);
    assert_eq!(
        run(Some(&t), hs, &wrong).verdict,
        AoVerdict::Drop(DropReason::AoFailure)
    );
    // tcp_inbound_ao_hash: SKB_DROP_REASON_TCP_CLOSE, before any MKT is
    // looked up (a KeyID no MKT has drops so too); no counter, no tracepoint.
    for seg in [ack, segment(ACK, 101, 901, 9, 1, Some(&k), (100, 900), 0)] {
        let got = run(Some(&t), AoSocketState::Closed, &seg);
        assert_eq!(got.verdict, AoVerdict::Drop(DropReason::TcpClose));
        assert_eq!((got.counter, got.tracepoint), (None, None));
    }
}

#[test]
fn established_sne_and_rotation() {
    let k1 = mkt(1, 2);
    let k2 = Mkt {
        secret: MasterKey::new(b"next").unwrap(),
        ..mkt(3, 4)
    };
    let t = table(&[k1.clone(), k2.clone()]);
    let est = |rcv_nxt, rcv_sne| AoSocketState::Established {
        local_isn: 900,
        remote_isn: 100,
        rcv_nxt,
        rcv_sne,
        current_send_id: 1,
    };
    // Sequence numbers past the wrap carry the next SNE.
    let after_wrap = segment(PSH_ACK, 0x10, 901, 2, 1, Some(&k1), (100, 900), 1);
    assert_eq!(
        run(Some(&t), est(0xffff_fff0, 0), &after_wrap).verdict,
        AoVerdict::Signed { key_id: 2 }
    );
    let with_sne0 = segment(PSH_ACK, 0x10, 901, 2, 1, Some(&k1), (100, 900), 0);
    assert_eq!(
        run(Some(&t), est(0xffff_fff0, 0), &with_sne0).verdict,
        AoVerdict::Drop(DropReason::AoFailure)
    );
    // The other MKT, by its RecvID; the peer asks for SendID 3: switch.
    let by_k2 = segment(PSH_ACK, 200, 901, 4, 3, Some(&k2), (100, 900), 0);
    let got = run(Some(&t), est(200, 0), &by_k2);
    assert_eq!(got.verdict, AoVerdict::Signed { key_id: 4 });
    assert_eq!(
        got.rnext_request,
        Some(RnextRequest {
            requested: 3,
            switched: true
        })
    );
    // Asks for a SendID no MKT has: noted, nothing switches.
    let unknown = segment(PSH_ACK, 200, 901, 2, 9, Some(&k1), (100, 900), 0);
    let got = run(Some(&t), est(200, 0), &unknown);
    assert_eq!(
        got.rnext_request,
        Some(RnextRequest {
            requested: 9,
            switched: false
        })
    );
    // Asks for the current one: nothing to note.
    let same = segment(PSH_ACK, 200, 901, 2, 1, Some(&k1), (100, 900), 0);
    assert_eq!(run(Some(&t), est(200, 0), &same).rnext_request, None);
    // A failed segment asks for nothing.
    let bad = segment(PSH_ACK, 200, 901, 2, 3, Some(&k2), (100, 900), 0);
    let got = run(Some(&t), est(200, 0), &bad);
    assert_eq!(
        (got.verdict, got.rnext_request),
        (AoVerdict::Drop(DropReason::AoFailure), None)
    );
    // A retransmitted SYN: its own ISN, SNE 0.
    let syn = segment(SYN, 100, 0, 2, 1, Some(&k1), (100, 0), 0);
    assert_eq!(
        run(Some(&t), est(5, 7), &syn).verdict,
        AoVerdict::Signed { key_id: 2 }
    );
    // Unknown KeyID.
    let none = segment(PSH_ACK, 200, 901, 7, 1, Some(&k1), (100, 900), 0);
    assert_eq!(
        run(Some(&t), est(200, 0), &none).verdict,
        AoVerdict::Drop(DropReason::AoKeyNotFound)
    );
    // Options excluded: the MKT's flag decides which MAC is right.
    let ex = Mkt {
        coverage: OptionCoverage::Excluded,
        ..k1.clone()
    };
    let tex = table(core::slice::from_ref(&ex));
    let signed_ex = segment(PSH_ACK, 200, 901, 2, 1, Some(&ex), (100, 900), 0);
    assert_eq!(
        run(Some(&tex), est(200, 0), &signed_ex).verdict,
        AoVerdict::Signed { key_id: 2 }
    );
    assert_eq!(
        run(Some(&t), est(200, 0), &signed_ex).verdict,
        AoVerdict::Signed { key_id: 2 },
        "one AO option, no other: both coverages hash the same"
    );
}

#[test]
fn mac_length_checks() {
    let k = mkt(1, 2);
    let long = Mkt {
        mac_len: 16,
        ..k.clone()
    };
    let syn = segment(SYN, 100, 0, 2, 1, Some(&k), (100, 0), 0);
    let got = run(Some(&table(&[long])), AoSocketState::Listen, &syn);
    assert_eq!(got.verdict, AoVerdict::Drop(DropReason::AoFailure));
    assert_eq!(got.tracepoint, Some("tcp_ao_wrong_maclen"));
    // A MAC field longer than AES-CMAC's 16 bytes: no key can match it.
    let mut s = vec![0u8; 20];
    s.extend_from_slice(&[29, 22, 2, 1]);
    s.extend_from_slice(&[0; 18]);
    s.extend_from_slice(&[1, 1]);
    s[12] = 11 << 4;
    s[13] = SYN as u8;
    let huge = Mkt { mac_len: 18, ..k };
    let got = run(Some(&table(&[huge])), AoSocketState::Listen, &s);
    assert_eq!(got.verdict, AoVerdict::Drop(DropReason::AoFailure));
    assert_eq!(got.tracepoint, Some("tcp_ao_mismatch"));
}
