//! Resets the kernel sends, keys changing on live connections, key
//! selection among several keys, and TCP-AO options on a kernel without
//! `CONFIG_TCP_AO` reaching MD5 sockets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use tcpmd5::key_table::Md5SigRequest;
use tcpmd5::verdict::{
    Receiver, ReceiverVerdict, ResetReply, closed_port_reset, reset_listener_port,
};
use tcpmd5::wire::{SeqNumber, TcpFlags};
use tcpmd5::{Family, Key};

use super::kit::common::{
    LISTEN_PORT, key, keyed_listener, keyless_listener, listener_with_key, wrong_key,
};
use super::kit::conn::{
    KernelConn, Step, accept_after, connect_peer, established, finish, send_data, step,
    step_expecting,
};
use crate::case::{Case, Ctx};
use crate::error::Error;
use crate::judge::evidence;
use crate::listener::Listener;
use crate::model_query::receiver_verdict;
use crate::outcome::Finding;
use crate::peer::{Auth, Peer};
use crate::record::Record;
use crate::segment::Signing;
use crate::words;

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
        let listener = listener_with_key(ctx, family, listener_key)?;
        let mut rec = Record::new();
        let mut peer = Peer::new(&ctx.lab, family, src_port, CLOSED_PORT, 0x7e57_0000, None)?;
        peer.rcv_nxt = SeqNumber(0x1234_5678);
        let probe = peer.ack(&auth());
        let packet = probe.packet();
        let port = reset_listener_port(&packet).map_err(Error::model("the probe"))?;
        let table = (port == listener.addr.port()).then_some(&listener.model);
        let want = closed_port_reset(&packet, table, 0, ctx.env.semantics)
            .map_err(Error::model("the probe"))?;
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
        rec.step(words::reset_reply(&want), words::replies(&obs.replies));
        rec.note(evidence(&obs));
        let expect_rst = !matches!(want, ResetReply::None);
        rec.check(
            rsts.len() == usize::from(expect_rst) && obs.replies.len() == rsts.len(),
            format!(
                "the kernel sent {}, the model says {}",
                words::replies(&obs.replies),
                words::reset_reply(&want)
            ),
        );
        rec.check(
            rsts.iter().all(|r| r.seq == SeqNumber(probe.tcp.ack)),
            "the RST's sequence is not the segment's ACK",
        );
        Ok(finish(rec, &[&peer]))
    })
}

/// The kernel closes a connection with SO_LINGER 0: its RST is signed.
fn full_socket_rst() -> Vec<Case> {
    Case::per_family(
        "resets",
        "full-socket-abort",
        "close() with SO_LINGER 0 on an established connection sends an RST signed with the connection's key",
        |ctx, family| {
            let (_l, mut peer, conn) = established(ctx, family, 10)?;
            let mut rec = Record::new();
            conn.sock
                .set_linger(Some(Duration::ZERO))
                .map_err(Error::io("SO_LINGER 0"))?;
            drop(conn);
            let rst = peer.wait_for(&mut ctx.lab, &|f| f.contains(TcpFlags::RST))?;
            // The peer verified it against the connection's key.
            rec.step(
                "signed RST",
                rst.as_ref().map_or("no reply".to_owned(), words::reply),
            );
            rec.check(rst.is_some(), "no RST after an abortive close");
            Ok(finish(rec, &[&peer]))
        },
    )
}

/// Keys replaced, deleted and added on established connections.
fn key_change_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(Case::per_family(
        "key-change",
        "replace",
        "replacing the key on an established socket: the old key is refused, the new one accepted, the kernel signs with the new one",
        |ctx, family| {
            let (_l, mut peer, mut conn) = established(ctx, family, 11)?;
            let mut rec = Record::new();
            let new = Key::from_array(b"tcpmd5-rotated-key");
            conn.apply(&Md5SigRequest::add(peer.addrs.src(), &new))?;
            peer.kernel_key = Some(new.clone());
            let (old_key, new_key) = (Step::probe("old key"), Step::probe("new key"));
            send_data(ctx, &mut rec, old_key, &mut peer, &conn, b"old", &Auth::Signed(key()))?;
            send_data(ctx, &mut rec, new_key, &mut peer, &conn, b"new", &Auth::Signed(new))?;
            Ok(finish(rec, &[&peer]))
        },
    ));
    cases.extend(Case::per_family(
        "key-change",
        "delete",
        "deleting the key of an established socket: signed data is refused, unsigned accepted, the kernel stops signing",
        |ctx, family| {
            let (_l, mut peer, mut conn) = established(ctx, family, 12)?;
            let mut rec = Record::new();
            conn.apply(&Md5SigRequest::delete(peer.addrs.src()))?;
            peer.kernel_key = None;
            let (signed, unsigned) = (Step::probe("signed"), Step::probe("unsigned"));
            send_data(ctx, &mut rec, signed, &mut peer, &conn, b"signed", &Auth::Signed(key()))?;
            send_data(ctx, &mut rec, unsigned, &mut peer, &conn, b"unsigned", &Auth::Unsigned)?;
            Ok(finish(rec, &[&peer]))
        },
    ));
    cases.extend(Case::per_family(
        "key-change",
        "add-to-unsigned",
        "adding a key to a connection established without one: unsigned data is refused, signed accepted, the kernel signs",
        |ctx, family| {
            let listener = keyless_listener(ctx, family)?;
            let mut peer = Peer::new(&ctx.lab, family, 41013, LISTEN_PORT, 0x1313_0000, None)?;
            let mut conn = connect_peer(ctx, &listener, &mut peer, &Auth::Unsigned)?;
            let mut rec = Record::new();
            let before = Step::probe("unsigned before");
            send_data(ctx, &mut rec, before, &mut peer, &conn, b"before", &Auth::Unsigned)?;
            conn.apply(&Md5SigRequest::add(peer.addrs.src(), &key()))?;
            peer.kernel_key = Some(key());
            let (unsigned, signed) = (Step::probe("unsigned after"), Step::probe("signed after"));
            send_data(ctx, &mut rec, unsigned, &mut peer, &conn, b"after", &Auth::Unsigned)?;
            send_data(ctx, &mut rec, signed, &mut peer, &conn, b"signed", &Auth::Signed(key()))?;
            Ok(finish(rec, &[&peer]))
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
        let mut listener: Listener = keyless_listener(ctx, family)?;
        for r in setup(family) {
            listener.must_apply(&r)?;
        }
        let mut findings = Vec::new();
        for (i, k) in tries().into_iter().enumerate() {
            let mut probe = super::kit::common::signed_syn(ctx, family, 20 + i as u32, &k);
            probe.signing = Signing::Key(k);
            findings.push(super::kit::common::probe(ctx, &listener, &probe));
        }
        Ok(Finding::all(findings))
    })
}

fn k(name: &'static [u8]) -> Key {
    Key::new(name).unwrap_or_else(|_| key())
}

//= type=test
//= 4.0/key-config
//= linux/md5-key-lookup
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
//= type=test
//= linux/ao-unchecked
//= linux/request-sock-ao
fn ao_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(Case::per_family(
        "ao-bypass",
        "handshake-and-data",
        "AO-only SYN, third ACK and data to an MD5 listener: does a whole connection bypass MD5?",
        ao_handshake_and_data,
    ));
    cases.extend(Case::per_family(
        "ao-bypass",
        "data-on-md5-session",
        "AO-only data injected into an established MD5 session",
        |ctx, family| {
            let (_l, mut peer, conn) = established(ctx, family, 21)?;
            let mut rec = Record::new();
            let data = Step::probe("AO data");
            if send_data(ctx, &mut rec, data, &mut peer, &conn, b"FORGED", &Auth::Ao)? {
                rec.note("MD5 BYPASS: AO-only data delivered into an MD5 session");
            }
            Ok(finish(rec, &[&peer]))
        },
    ));
    cases.extend(Case::per_family(
        "ao-bypass",
        "short-ao-data-on-md5-session",
        "AO-only data whose 16-byte option area is too short for the kernel's scan: treated as unsigned",
        |ctx, family| {
            let (_l, mut peer, conn) = established(ctx, family, 23)?;
            let mut rec = Record::new();
            let data = Step::probe("short AO data");
            send_data(ctx, &mut rec, data, &mut peer, &conn, b"FORGED", &Auth::AoShort)?;
            Ok(finish(rec, &[&peer]))
        },
    ));
    cases.extend(Case::per_family(
        "ao-bypass",
        "rst-on-md5-session",
        "an AO-only in-window RST to an established MD5 session",
        |ctx, family| {
            let (_l, mut peer, conn) = established(ctx, family, 22)?;
            let mut rec = Record::new();
            let rst = peer.rst(0, &Auth::Ao);
            let at = Step::probe("AO RST");
            let (e, _) = step(ctx, &mut rec, &mut peer, at, &rst, &conn.model)?;
            let read = conn.read_now();
            let reset = read.as_ref().err().and_then(std::io::Error::raw_os_error)
                == Some(libc::ECONNRESET);
            rec.check(
                reset == e.is_accept(),
                format!(
                    "after the AO RST the application sees {}",
                    words::read(&read)
                ),
            );
            if reset {
                rec.note("MD5 BYPASS: an AO-only RST reset an MD5 session");
            }
            Ok(finish(rec, &[&peer]))
        },
    ));
    cases
}

/// AO-only SYN, third ACK and data to a keyed listener.
fn ao_handshake_and_data(ctx: &mut Ctx<'_>, family: Family) -> Result<Finding, Error> {
    let listener = keyed_listener(ctx, family)?;
    let mut peer = Peer::new(
        &ctx.lab,
        family,
        41020,
        LISTEN_PORT,
        0xa0a0_0000,
        Some(key()),
    )?;
    let mut rec = Record::new();
    let syn = peer.syn(&Auth::Ao);
    let at = Step::probe("AO SYN");
    let (e, obs) = step(ctx, &mut rec, &mut peer, at, &syn, &listener.model)?;
    let Some(synack) = obs
        .replies
        .iter()
        .find(|r| r.flags.contains(TcpFlags::SYN | TcpFlags::ACK))
    else {
        rec.check(!e.is_accept(), "no SYN-ACK to an AO SYN the model accepts");
        return Ok(finish(rec, &[&peer]));
    };
    peer.snd_nxt = peer.isn + 1;
    peer.rcv_nxt = synack.seq + 1;
    let ack = peer.ack(&Auth::Ao);
    let semantics = ctx.env.semantics;
    let rv = receiver_verdict(
        &ack.packet(),
        &listener.model,
        0,
        semantics,
        Receiver::RequestSock,
    )
    .map_err(Error::model("the third ACK"))?;
    match rv {
        ReceiverVerdict::Checked(v) => {
            let at = Step::probe("AO third ACK");
            step_expecting(ctx, &mut rec, &mut peer, at, &ack, v)?;
        }
        other => {
            let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &ack)?;
            // The model's counter and tracepoint (where tracing works), and
            // no reply: the drop is silent.
            let want: std::collections::BTreeMap<String, i64> = other
                .counter()
                .map(|c| (c.to_owned(), 1))
                .into_iter()
                .collect();
            let traced_as_modelled = obs
                .trace
                .as_ref()
                .is_none_or(|t| t.iter().map(String::as_str).eq(other.tracepoint()));
            let as_modelled =
                obs.auth_counters == want && traced_as_modelled && obs.replies.is_empty();
            let seen = if as_modelled {
                words::receiver_verdict(other)
            } else {
                format!(
                    "{}; {}; tracepoints: {}",
                    words::replies(&obs.replies),
                    words::counters(&obs.auth_counters),
                    obs.trace
                        .as_ref()
                        .map_or("not traced".to_owned(), |t| words::tracepoints(t))
                )
            };
            rec.step(words::receiver_verdict(other), seen.clone());
            rec.note(format!("AO third ACK: {}", evidence(&obs)));
            rec.check(
                as_modelled,
                format!(
                    "AO third ACK: kernel {seen}, model {} ({}, no reply)",
                    words::receiver_verdict(other),
                    words::counters(&want)
                ),
            );
        }
    }
    let sock = accept_after(&mut rec, &listener, "the AO third ACK", rv.is_accept())?;
    let Some(sock) = sock else {
        return Ok(finish(rec, &[&peer]));
    };
    sock.set_nonblocking(true)
        .map_err(Error::io("O_NONBLOCK on the accepted socket"))?;
    let conn = KernelConn::from_accepted(sock, &listener, peer.addrs.src());
    let data = Step::probe("AO data");
    let forged = b"FORGED UPDATE";
    send_data(ctx, &mut rec, data, &mut peer, &conn, forged, &Auth::Ao)?;
    rec.note("MD5 BYPASS: a connection to an MD5 listener was established and carried data with TCP-AO options instead of MD5");
    Ok(finish(rec, &[&peer]))
}

/// Cases of these areas.
//= type=test
//= linux/closed-port-reset
pub(super) fn cases() -> Vec<Case> {
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
