//! Resets the kernel sends, keys changing on live connections, key
//! selection among several keys, and TCP-AO options on a kernel without
//! `CONFIG_TCP_AO` reaching MD5 sockets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use tcpmd5::key_table::Md5SigRequest;
use tcpmd5::verdict::{
    Receiver, ReceiverVerdict, ResetReply, closed_port_reset, receiver_verdict, reset_listener_port,
};
use tcpmd5::wire::TcpFlags;
use tcpmd5::{Family, Key};

use super::common::{LISTEN_PORT, key, keyed_listener, keyless_listener, wrong_key};
use super::session::{Tally, connect_peer, established, predict, send_data};
use crate::case::Case;
use crate::listener::Listener;
use crate::outcome::Finding;
use crate::peer::{Auth, Peer};
use crate::segment::Signing;

fn run(f: impl FnOnce() -> Result<Finding, String>) -> Finding {
    f().unwrap_or_else(Finding::error)
}

/// A closed port on the kernel's address (nothing listens there).
const CLOSED_PORT: u16 = 4444;

/// A segment to a closed port from `src_port`, with `auth`; a listener
/// (with `key()` for the peer when `listener_key`) listens on LISTEN_PORT.
fn closed_port_case(
    name: &str,
    summary: &str,
    src_port: u16,
    listener_key: bool,
    auth: fn() -> Auth,
) -> Vec<Case> {
    Case::per_family("resets", name, summary, move |ctx, family| {
        run(|| {
            let listener = if listener_key {
                keyed_listener(ctx, family)?
            } else {
                keyless_listener(ctx, family)?
            };
            let mut t = Tally::default();
            let mut peer = Peer::new(&ctx.lab, family, src_port, CLOSED_PORT, 0x7e57_0000, None)?;
            peer.rcv_nxt = 0x1234_5678;
            let probe = peer.ack(&auth());
            let packet = probe.packet();
            let port = reset_listener_port(&packet).map_err(|e| e.to_string())?;
            let table = (port == listener.addr.port()).then_some(&listener.model);
            let want = closed_port_reset(&packet, table, 0, ctx.env.semantics)
                .map_err(|e| e.to_string())?;
            // The RST must be signed with the key the model names (or not at all).
            peer.kernel_key = match &want {
                ResetReply::Signed(k) => Some(k.clone()),
                _ => None,
            };
            let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &probe)?;
            let rsts: Vec<_> = obs
                .replies
                .iter()
                .filter(|r| r.flags.contains(TcpFlags::RST))
                .collect();
            t.expected.push(format!("{want:?}"));
            t.observed.push(format!(
                "{} RST, counters {:?}, trace {:?}",
                rsts.len(),
                obs.auth_counters,
                obs.trace
            ));
            let expect_rst = !matches!(want, ResetReply::None);
            t.check(
                rsts.len() == usize::from(expect_rst) && obs.replies.len() == rsts.len(),
                format!(
                    "{} replies ({} RST), model {want:?}",
                    obs.replies.len(),
                    rsts.len()
                ),
            );
            t.check(
                rsts.iter().all(|r| r.seq == probe.tcp.ack),
                "the RST's sequence is not the segment's ACK",
            );
            Ok(t.finish(&[&peer]))
        })
    })
}

/// The kernel closes a connection with SO_LINGER 0: its RST is signed.
fn full_socket_rst() -> Vec<Case> {
    Case::per_family(
        "resets",
        "full-socket-abort",
        "close() with SO_LINGER 0 on an established connection sends an RST signed with the connection's key",
        |ctx, family| {
            run(|| {
                let (_l, mut peer, conn) = established(ctx, family, 10)?;
                let t = Tally::default();
                conn.sock
                    .set_linger(Some(Duration::ZERO))
                    .map_err(|e| e.to_string())?;
                drop(conn);
                let rst = peer.wait_for(&mut ctx.lab, &|f| f.contains(TcpFlags::RST))?;
                let mut t = t;
                t.expected.push("RST signed with the connection key".into());
                t.observed
                    .push(format!("{:?}", rst.as_ref().map(|r| r.flags)));
                t.check(rst.is_some(), "no RST after an abortive close");
                Ok(t.finish(&[&peer]))
            })
        },
    )
}

/// A segment to the kernel's full socket after it is gone (the port still
/// has the keyed listener): the listener answers an ACK with a signed RST.
fn key_change_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(Case::per_family(
        "key-change",
        "replace",
        "replacing the key on an established socket: the old key is refused, the new one accepted, the kernel signs with the new one",
        |ctx, family| {
            run(|| {
                let (_l, mut peer, mut conn) = established(ctx, family, 11)?;
                let mut t = Tally::default();
                let new = Key::from_array(b"tcpmd5-rotated-key");
                conn.apply(&Md5SigRequest::add(peer.addrs.src(), &new))?;
                peer.kernel_key = Some(new.clone());
                send_data(ctx, &mut t, "old key", &mut peer, &conn, b"old", &Auth::Signed(key()))?;
                send_data(ctx, &mut t, "new key", &mut peer, &conn, b"new", &Auth::Signed(new))?;
                Ok(t.finish(&[&peer]))
            })
        },
    ));
    cases.extend(Case::per_family(
        "key-change",
        "delete",
        "deleting the key of an established socket: signed data is refused, unsigned accepted, the kernel stops signing",
        |ctx, family| {
            run(|| {
                let (_l, mut peer, mut conn) = established(ctx, family, 12)?;
                let mut t = Tally::default();
                conn.apply(&Md5SigRequest::delete(peer.addrs.src()))?;
                peer.kernel_key = None;
                send_data(ctx, &mut t, "signed", &mut peer, &conn, b"signed", &Auth::Signed(key()))?;
                send_data(ctx, &mut t, "unsigned", &mut peer, &conn, b"unsigned", &Auth::Unsigned)?;
                Ok(t.finish(&[&peer]))
            })
        },
    ));
    cases.extend(Case::per_family(
        "key-change",
        "add-to-unsigned",
        "adding a key to a connection established without one: unsigned data is refused, signed accepted, the kernel signs",
        |ctx, family| {
            run(|| {
                let listener = keyless_listener(ctx, family)?;
                let mut peer = Peer::new(&ctx.lab, family, 41013, LISTEN_PORT, 0x1313_0000, None)?;
                let mut conn = connect_peer(ctx, &listener, &mut peer, &Auth::Unsigned)?;
                let mut t = Tally::default();
                send_data(ctx, &mut t, "unsigned before", &mut peer, &conn, b"before", &Auth::Unsigned)?;
                conn.apply(&Md5SigRequest::add(peer.addrs.src(), &key()))?;
                peer.kernel_key = Some(key());
                send_data(ctx, &mut t, "unsigned after", &mut peer, &conn, b"after", &Auth::Unsigned)?;
                send_data(ctx, &mut t, "signed after", &mut peer, &conn, b"signed", &Auth::Signed(key()))?;
                Ok(t.finish(&[&peer]))
            })
        },
    ));
    cases
}

fn net(family: Family, low: u8) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::new(10, 99, 0, low)),
        Family::V6 => IpAddr::V6(Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, u16::from(low))),
    }
}

fn wide(family: Family) -> (IpAddr, u8) {
    match family {
        Family::V4 => (IpAddr::V4(Ipv4Addr::new(10, 99, 0, 0)), 16),
        Family::V6 => (
            IpAddr::V6(Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 0)),
            48,
        ),
    }
}

fn narrow_len(family: Family) -> u8 {
    match family {
        Family::V4 => 24,
        Family::V6 => 64,
    }
}

/// Installs `requests` on a keyless listener, then sends signed SYNs with
/// each of `tries` and holds each verdict against the model.
fn selection_case(
    name: &str,
    summary: &str,
    setup: fn(Family) -> Vec<Md5SigRequest>,
    tries: fn() -> Vec<Key>,
) -> Vec<Case> {
    Case::per_family("key-selection", name, summary, move |ctx, family| {
        run(|| {
            let mut listener: Listener = keyless_listener(ctx, family)?;
            for r in setup(family) {
                listener.must_apply(&r)?;
            }
            let mut findings = Vec::new();
            for (i, k) in tries().into_iter().enumerate() {
                let mut probe = super::common::signed_syn(ctx, family, 20 + i as u32, &k);
                probe.signing = Signing::Key(k);
                findings.push(listener.probe(ctx, &probe));
            }
            Ok(Finding::all(findings))
        })
    })
}

fn k(name: &'static [u8]) -> Key {
    Key::new(name).unwrap_or_else(|_| key())
}

fn key_selection_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(selection_case(
        "longest-prefix-wide-first",
        "a wide and a narrow prefix key (wide added first): the narrow one verifies, the wide one fails",
        |f| {
            let (n, w) = wide(f);
            vec![
                Md5SigRequest::add(n, &k(b"wide")).with_prefix(w),
                Md5SigRequest::add(n, &k(b"narrow")).with_prefix(narrow_len(f)),
            ]
        },
        || vec![k(b"narrow"), k(b"wide")],
    ));
    cases.extend(selection_case(
        "longest-prefix-narrow-first",
        "the same keys added in the other order: the longest prefix still wins",
        |f| {
            let (n, w) = wide(f);
            vec![
                Md5SigRequest::add(n, &k(b"narrow")).with_prefix(narrow_len(f)),
                Md5SigRequest::add(n, &k(b"wide")).with_prefix(w),
            ]
        },
        || vec![k(b"narrow"), k(b"wide")],
    ));
    cases.extend(selection_case(
        "exact-beats-prefix",
        "an exact (/32, /128) key added before a covering prefix key wins",
        |f| {
            let peer = net(f, 2);
            let (n, _) = wide(f);
            vec![
                Md5SigRequest::add(peer, &k(b"exact")),
                Md5SigRequest::add(n, &k(b"prefix")).with_prefix(narrow_len(f)),
            ]
        },
        || vec![k(b"exact"), k(b"prefix")],
    ));
    cases.extend(selection_case(
        "tie-newest-wins",
        "two keys with equally long prefixes that both cover the peer: the newest wins",
        |f| {
            let l = narrow_len(f);
            vec![
                Md5SigRequest::add(net(f, 0), &k(b"older")).with_prefix(l),
                Md5SigRequest::add(net(f, 128), &k(b"newer")).with_prefix(l),
            ]
        },
        || vec![k(b"newer"), k(b"older")],
    ));
    cases.extend(selection_case(
        "tie-newest-wins-reversed",
        "the same tie, added in the other order",
        |f| {
            let l = narrow_len(f);
            vec![
                Md5SigRequest::add(net(f, 128), &k(b"older")).with_prefix(l),
                Md5SigRequest::add(net(f, 0), &k(b"newer")).with_prefix(l),
            ]
        },
        || vec![k(b"newer"), k(b"older")],
    ));
    cases.extend(selection_case(
        "replace-keeps-position",
        "replacing the older of two tied keys does not make it the newest",
        |f| {
            let l = narrow_len(f);
            vec![
                Md5SigRequest::add(net(f, 0), &k(b"older")).with_prefix(l),
                Md5SigRequest::add(net(f, 128), &k(b"newer")).with_prefix(l),
                Md5SigRequest::add(net(f, 0), &k(b"older-2")).with_prefix(l),
            ]
        },
        || vec![k(b"newer"), k(b"older-2")],
    ));
    cases
}

/// Segments carrying a TCP-AO option and no MD5 option, to sockets holding
/// an MD5 key for the peer, on a kernel without CONFIG_TCP_AO.
fn ao_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(Case::per_family(
        "ao-bypass",
        "handshake-and-data",
        "AO-only SYN, third ACK and data to an MD5 listener: does a whole connection bypass MD5?",
        |ctx, family| {
            run(|| {
                let listener = keyed_listener(ctx, family)?;
                let mut peer = Peer::new(&ctx.lab, family, 41020, LISTEN_PORT, 0xa0a0_0000, Some(key()))?;
                let mut t = Tally::default();
                let syn = peer.syn(&Auth::Ao);
                let e = predict(&syn, &listener.model, ctx.env.semantics)?;
                let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &syn)?;
                t.verdict("AO SYN", &obs, e);
                let Some(synack) = obs
                    .replies
                    .iter()
                    .find(|r| r.flags.contains(TcpFlags::SYN | TcpFlags::ACK))
                else {
                    t.check(!e.is_accept(), "no SYN-ACK to an AO SYN the model accepts");
                    return Ok(t.finish(&[&peer]));
                };
                peer.snd_nxt = peer.isn.wrapping_add(1);
                peer.rcv_nxt = synack.seq.wrapping_add(1);
                let ack = peer.ack(&Auth::Ao);
                let rv = receiver_verdict(&ack.packet(), &listener.model, 0, ctx.env.semantics, Receiver::RequestSock)
                    .map_err(|e| e.to_string())?;
                let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &ack)?;
                match rv {
                    ReceiverVerdict::Checked(v) => t.verdict("AO third ACK", &obs, v),
                    other => {
                        t.expected.push(format!("AO third ACK: {other:?} (TCPAOBad +1, silent)"));
                        t.observed.push(format!("AO third ACK: counters {:?}, {} replies", obs.auth_counters, obs.replies.len()));
                        let want: std::collections::BTreeMap<String, i64> =
                            [("TCPAOBad".to_owned(), 1)].into_iter().collect();
                        t.check(
                            obs.auth_counters == want && obs.replies.is_empty(),
                            format!("AO third ACK: counters {:?}, {} replies; model {other:?}", obs.auth_counters, obs.replies.len()),
                        );
                    }
                }
                let sock = listener.accept()?;
                t.check(
                    sock.is_some() == rv.is_accept(),
                    format!("accept() after an AO third ACK: {}", sock.is_some()),
                );
                let Some(sock) = sock else {
                    return Ok(t.finish(&[&peer]));
                };
                sock.set_nonblocking(true).map_err(|e| e.to_string())?;
                let conn = super::session::KernelConn::from_accepted(sock, &listener, peer.addrs.src());
                send_data(ctx, &mut t, "AO data", &mut peer, &conn, b"FORGED UPDATE", &Auth::Ao)?;
                t.notes.push(
                    "MD5 BYPASS: a connection to an MD5 listener was established and carried data with TCP-AO options instead of MD5".into(),
                );
                Ok(t.finish(&[&peer]))
            })
        },
    ));
    cases.extend(Case::per_family(
        "ao-bypass",
        "data-on-md5-session",
        "AO-only data injected into an established MD5 session",
        |ctx, family| {
            run(|| {
                let (_l, mut peer, conn) = established(ctx, family, 21)?;
                let mut t = Tally::default();
                if send_data(
                    ctx,
                    &mut t,
                    "AO data",
                    &mut peer,
                    &conn,
                    b"FORGED",
                    &Auth::Ao,
                )? {
                    t.notes
                        .push("MD5 BYPASS: AO-only data delivered into an MD5 session".into());
                }
                Ok(t.finish(&[&peer]))
            })
        },
    ));
    cases.extend(Case::per_family(
        "ao-bypass",
        "short-ao-data-on-md5-session",
        "AO-only data whose 16-byte option area is too short for the kernel's scan: treated as unsigned",
        |ctx, family| {
            run(|| {
                let (_l, mut peer, conn) = established(ctx, family, 23)?;
                let mut t = Tally::default();
                send_data(ctx, &mut t, "short AO data", &mut peer, &conn, b"FORGED", &Auth::AoShort)?;
                Ok(t.finish(&[&peer]))
            })
        },
    ));
    cases.extend(Case::per_family(
        "ao-bypass",
        "rst-on-md5-session",
        "an AO-only in-window RST to an established MD5 session",
        |ctx, family| {
            run(|| {
                let (_l, mut peer, conn) = established(ctx, family, 22)?;
                let mut t = Tally::default();
                let rst = peer.rst(0, &Auth::Ao);
                let e = predict(&rst, &conn.model, ctx.env.semantics)?;
                let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &rst)?;
                t.verdict("AO RST", &obs, e);
                let read = conn.read_now();
                let reset = read.as_ref().err().and_then(std::io::Error::raw_os_error)
                    == Some(libc::ECONNRESET);
                t.check(
                    reset == e.is_accept(),
                    format!("after the AO RST the application sees {read:?}"),
                );
                if reset {
                    t.notes
                        .push("MD5 BYPASS: an AO-only RST reset an MD5 session".into());
                }
                Ok(t.finish(&[&peer]))
            })
        },
    ));
    cases
}

/// Cases of these areas.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(closed_port_case(
        "closed-port-signed-listener-on-src-port",
        "a signed ACK to a closed port from the port a keyed listener uses: a signed RST (the listener is found by the segment's source port)",
        LISTEN_PORT,
        true,
        || Auth::Signed(key()),
    ));
    cases.extend(closed_port_case(
        "closed-port-signed-other-src-port",
        "a signed ACK to a closed port from a port no listener uses: no RST",
        40444,
        true,
        || Auth::Signed(key()),
    ));
    cases.extend(closed_port_case(
        "closed-port-wrong-key",
        "an ACK signed with another key to a closed port: no RST",
        LISTEN_PORT,
        true,
        || Auth::Signed(wrong_key()),
    ));
    cases.extend(closed_port_case(
        "closed-port-unsigned",
        "an unsigned ACK to a closed port: an unsigned RST, though a listener holds a key for the peer",
        LISTEN_PORT,
        true,
        || Auth::Unsigned,
    ));
    for (listener_key, with) in [(true, ""), (false, "-keyless-listener")] {
        let listener = if listener_key {
            "a listener with a key for the peer on the source port"
        } else {
            "a keyless listener on the source port"
        };
        cases.extend(closed_port_case(
            &format!("closed-port-duplicate-md5{with}"),
            &format!("a signed ACK with a second MD5 option to a closed port ({listener})"),
            LISTEN_PORT,
            listener_key,
            || Auth::Duplicate(key()),
        ));
        cases.extend(closed_port_case(
            &format!("closed-port-ao-only{with}"),
            &format!("an ACK with only a TCP-AO option to a closed port ({listener})"),
            LISTEN_PORT,
            listener_key,
            || Auth::Ao,
        ));
    }
    cases.extend(full_socket_rst());
    cases.extend(key_change_cases());
    cases.extend(key_selection_cases());
    cases.extend(ao_cases());
    cases
}
