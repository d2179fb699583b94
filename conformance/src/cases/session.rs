//! Whole connections with a userspace peer ([`crate::peer`]): the third ACK
//! of the handshake, data and resets on an established connection, closing
//! in both directions and TIME-WAIT (the cases of the timewait socket are
//! rows of [`super::timewait`]), and the kernel as a client.
//!
//! The verdict on every injected segment comes from the model
//! (`packet_verdict` with the receiving socket's key table); its witnesses
//! are the counters and tracepoints ([`crate::judge::witnesses`]); its
//! effect is read from the application (accept, read, connect) after the
//! barrier, and from the kernel's certain answer on the connection
//! ([`Peer::certain_ack`]). Every segment the kernel sends is verified.

use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};
use tcpmd5::key_table::{KeyTable, Md5SigRequest};
use tcpmd5::wire::TcpFlags;
use tcpmd5::{Family, Key};

use super::common::{LISTEN_PORT, key, keyed_listener, wrong_key};
use super::conn::{
    KernelConn, Tally, established, isn, kernel_fin, predict, rst_effect, run, send_data,
    signed_data_after,
};
use super::timewait;
use crate::case::{Case, Ctx};
use crate::exchange::option_kinds;
use crate::peer::{Auth, Peer};

/// Third ACK of the handshake signed with `third`.
fn third_ack(name: &str, summary: &str, third: fn() -> Auth) -> Vec<Case> {
    Case::per_family("session-handshake", name, summary, move |ctx, family| {
        run(|| {
            let listener = keyed_listener(ctx, family)?;
            let mut peer = Peer::new(&ctx.lab, family, 41001, LISTEN_PORT, isn(1), Some(key()))?;
            let mut t = Tally::default();
            peer.syn_to_listener(&mut ctx.lab, &mut ctx.barrier, &Auth::Signed(key()))?;
            let probe = peer.ack(&third());
            let expected = predict(&probe, &listener.model, ctx.env.semantics)?;
            let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &probe)?;
            t.verdict("third ACK", &obs, expected);
            let accepted = listener.accept()?;
            t.check(
                accepted.is_some() == expected.is_accept(),
                format!(
                    "accept() {} a connection, the model says {}",
                    if accepted.is_some() {
                        "returned"
                    } else {
                        "did not return"
                    },
                    expected.name()
                ),
            );
            if !expected.is_accept() {
                // Still in SYN-RECV: the signed third ACK completes it.
                let ack = peer.ack(&Auth::Signed(key()));
                let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &ack)?;
                t.verdict(
                    "signed third ACK after",
                    &obs,
                    predict(&ack, &listener.model, ctx.env.semantics)?,
                );
                t.check(
                    listener.accept()?.is_some(),
                    "the signed third ACK after the dropped one did not complete the handshake",
                );
            }
            Ok(t.finish(&[&peer]))
        })
    })
}

fn data_case(name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    Case::per_family("session-established", name, summary, move |ctx, family| {
        run(|| {
            let (_l, mut peer, conn) = established(ctx, family, 2)?;
            let mut t = Tally::default();
            send_data(
                ctx,
                &mut t,
                "data",
                &mut peer,
                &conn,
                b"BGP UPDATE 1",
                &auth(),
            )?;
            signed_data_after(ctx, &mut t, &mut peer, &conn, b"BGP KEEPALIVE")?;
            Ok(t.finish(&[&peer]))
        })
    })
}

/// An RST at `offset` from the kernel's `rcv_nxt` with `auth`.
fn rst_case(name: &str, summary: &str, offset: u32, auth: fn() -> Auth) -> Vec<Case> {
    Case::per_family("session-established", name, summary, move |ctx, family| {
        run(|| {
            let (_l, mut peer, conn) = established(ctx, family, 3)?;
            let mut t = Tally::default();
            let probe = peer.rst(offset, &auth());
            let expected = predict(&probe, &conn.model, ctx.env.semantics)?;
            let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &probe)?;
            t.verdict("RST", &obs, expected);
            let reset = expected.is_accept() && offset == 0;
            rst_effect(ctx, &mut t, &mut peer, &conn, reset)?;
            Ok(t.finish(&[&peer]))
        })
    })
}

/// The peer closes first: its FIN with `auth`.
fn peer_fin_case(name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    Case::per_family("session-close", name, summary, move |ctx, family| {
        run(|| {
            let (_l, mut peer, conn) = established(ctx, family, 4)?;
            let mut t = Tally::default();
            let probe = peer.fin(&auth());
            let expected = predict(&probe, &conn.model, ctx.env.semantics)?;
            let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &probe)?;
            t.verdict("peer FIN", &obs, expected);
            let read = conn.read_now();
            if expected.is_accept() {
                peer.sent(1);
                t.check(
                    matches!(&read, Ok(Some(b)) if b.is_empty()),
                    format!("the application sees {read:?}, not EOF"),
                );
            } else {
                t.check(
                    matches!(read, Ok(None)),
                    format!("the application sees {read:?} after a dropped FIN"),
                );
            }
            let (ack, _) = peer.certain_ack(&mut ctx.lab, &mut ctx.barrier)?;
            t.check(
                ack.as_ref().is_some_and(|a| a.ack == peer.snd_nxt),
                format!(
                    "certain ACK {:?}, peer snd_nxt {:#x}",
                    ack.map(|a| a.ack),
                    peer.snd_nxt
                ),
            );
            if expected.is_accept() {
                // CLOSE-WAIT -> LAST-ACK: the kernel's FIN, signed.
                let fin = kernel_fin(ctx, &mut peer, &conn)?;
                peer.rcv_nxt = fin.seq.wrapping_add(1);
                // An unsigned ACK of it is dropped; the kernel stays in LAST-ACK.
                let bad = peer.ack(&Auth::Unsigned);
                let e = predict(&bad, &conn.model, ctx.env.semantics)?;
                let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &bad)?;
                t.verdict("unsigned ACK in LAST-ACK", &obs, e);
                let good = peer.ack(&Auth::Signed(key()));
                let e = predict(&good, &conn.model, ctx.env.semantics)?;
                let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &good)?;
                t.verdict("signed ACK in LAST-ACK", &obs, e);
                t.notes.push("kernel FIN in LAST-ACK verified".into());
            }
            Ok(t.finish(&[&peer]))
        })
    })
}

/// A non-blocking client socket with `key` for the peer, connecting.
fn client(
    ctx: &mut Ctx<'_>,
    family: Family,
    peer_port: u16,
    key: &Key,
) -> Result<(Socket, KernelConn, Peer), String> {
    let kernel = ctx.lab.kernel_addr(family);
    let peer_ip = ctx.lab.peer_addr(family);
    let sock = Socket::new(
        Domain::for_address(SocketAddr::new(kernel, 0)),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(|e| e.to_string())?;
    sock.bind(&SocketAddr::new(kernel, 0).into())
        .map_err(|e| e.to_string())?;
    let kport = sock
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map_or(0, |a| a.port());
    let dup = sock.try_clone().map_err(|e| e.to_string())?;
    let mut conn = KernelConn {
        sock: dup,
        family,
        model: KeyTable::new(),
        devices: vec![],
    };
    conn.apply(&Md5SigRequest::add(peer_ip, key))?;
    sock.set_nonblocking(true).map_err(|e| e.to_string())?;
    ctx.lab.drain().map_err(|e| e.to_string())?;
    match sock.connect(&SocketAddr::new(peer_ip, peer_port).into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(format!("connect: {e}")),
    }
    let peer = Peer::new(
        &ctx.lab,
        family,
        peer_port,
        kport,
        isn(9),
        Some(key.clone()),
    )?;
    Ok((sock, conn, peer))
}

fn client_case(name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    Case::per_family("client", name, summary, move |ctx, family| {
        run(|| {
            let mut t = Tally::default();
            let (sock, conn, mut peer) = client(ctx, family, 42179, &key())?;
            let Some(syn) = peer.wait_for(&mut ctx.lab, &|f| f == TcpFlags::SYN)? else {
                return Err("no SYN after connect()".into());
            };
            let kinds = option_kinds(&syn);
            t.notes.push(format!("kernel SYN option kinds {kinds:?}"));
            // Facts §5: no timestamps in a SYN with a key.
            t.check(
                !kinds.contains(&8),
                format!("the kernel's SYN carries timestamps: {kinds:?}"),
            );
            peer.rcv_nxt = syn.seq.wrapping_add(1);
            let probe = peer.syn_ack(&auth());
            let expected = predict(&probe, &conn.model, ctx.env.semantics)?;
            let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &probe)?;
            t.verdict("SYN-ACK", &obs, expected);
            let connected = sock.peer_addr().is_ok();
            t.check(
                connected == expected.is_accept(),
                format!(
                    "connect() {} complete; model {}",
                    if connected { "did" } else { "did not" },
                    expected.name()
                ),
            );
            if connected {
                t.check(
                    obs.replies
                        .iter()
                        .any(|r| r.flags == TcpFlags::ACK && r.ack == peer.isn.wrapping_add(1)),
                    "no ACK of the SYN-ACK",
                );
            } else {
                // The signed SYN-ACK still completes it.
                let good = peer.syn_ack(&Auth::Signed(key()));
                let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &good)?;
                t.verdict(
                    "signed SYN-ACK after",
                    &obs,
                    predict(&good, &conn.model, ctx.env.semantics)?,
                );
                t.check(
                    sock.peer_addr().is_ok(),
                    "the signed SYN-ACK after did not complete connect()",
                );
            }
            Ok(t.finish(&[&peer]))
        })
    })
}

/// Cases of the session areas.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(third_ack(
        "third-ack-signed",
        "a signed third ACK completes the handshake: accept() returns the connection",
        || Auth::Signed(key()),
    ));
    cases.extend(third_ack(
        "third-ack-unsigned",
        "an unsigned third ACK is dropped; accept() returns nothing",
        || Auth::Unsigned,
    ));
    cases.extend(third_ack(
        "third-ack-wrong-key",
        "a third ACK signed with another key is dropped",
        || Auth::Signed(wrong_key()),
    ));
    cases.extend(third_ack(
        "third-ack-corrupted",
        "a third ACK whose digest was corrupted is dropped",
        || Auth::Corrupted(key()),
    ));

    cases.extend(data_case(
        "data-signed",
        "signed data is delivered and acknowledged by a signed ACK",
        || Auth::Signed(key()),
    ));
    cases.extend(data_case(
        "data-unsigned",
        "unsigned data is not delivered",
        || Auth::Unsigned,
    ));
    cases.extend(data_case(
        "data-wrong-key",
        "data signed with another key is not delivered",
        || Auth::Signed(wrong_key()),
    ));
    cases.extend(data_case(
        "data-corrupted",
        "signed data with a payload bit flipped is not delivered",
        || Auth::Corrupted(key()),
    ));
    cases.extend(rst_case(
        "rst-signed-in-window",
        "a signed RST at rcv_nxt resets the connection (ECONNRESET)",
        0,
        || Auth::Signed(key()),
    ));
    cases.extend(rst_case(
        "rst-unsigned-in-window",
        "an unsigned RST at rcv_nxt is ignored; the connection still carries data",
        0,
        || Auth::Unsigned,
    ));
    cases.extend(rst_case(
        "rst-unsigned-out-of-window",
        "an unsigned RST far out of window is ignored",
        0x4000_0000,
        || Auth::Unsigned,
    ));
    cases.extend(rst_case(
        "rst-wrong-key-in-window",
        "an in-window RST signed with another key is ignored",
        0,
        || Auth::Signed(wrong_key()),
    ));
    cases.extend(rst_case(
        "rst-corrupted-in-window",
        "an in-window RST with a corrupted digest is ignored",
        0,
        || Auth::Corrupted(key()),
    ));
    cases.extend(rst_case(
        "rst-wrong-key-out-of-window",
        "an out-of-window RST signed with another key is ignored",
        0x4000_0000,
        || Auth::Signed(wrong_key()),
    ));

    cases.extend(peer_fin_case("peer-fin-signed", "the peer's signed FIN: EOF, CLOSE-WAIT, the kernel's signed FIN, LAST-ACK closed by a signed ACK only", || Auth::Signed(key())));
    cases.extend(peer_fin_case(
        "peer-fin-unsigned",
        "the peer's unsigned FIN is dropped: no EOF",
        || Auth::Unsigned,
    ));
    cases.extend(peer_fin_case(
        "peer-fin-corrupted",
        "the peer's FIN with a corrupted digest is dropped",
        || Auth::Corrupted(key()),
    ));
    cases.extend(timewait::cases(timewait::Setup::TimeWait));

    cases.extend(client_case(
        "syn-ack-signed",
        "connect() with a key: the SYN is signed (no timestamps); a signed SYN-ACK establishes",
        || Auth::Signed(key()),
    ));
    cases.extend(client_case(
        "syn-ack-unsigned",
        "an unsigned SYN-ACK is dropped; connect() does not complete",
        || Auth::Unsigned,
    ));
    cases.extend(client_case(
        "syn-ack-wrong-key",
        "a SYN-ACK signed with another key is dropped",
        || Auth::Signed(wrong_key()),
    ));
    cases.extend(client_case(
        "syn-ack-corrupted",
        "a SYN-ACK with a corrupted digest is dropped",
        || Auth::Corrupted(key()),
    ));
    cases
}
