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
use tcpmd5_witness::tcp_state::number;

use super::kit::common::{LISTEN_PORT, key, keyed_listener};
use super::kit::conn::{
    DATA_VARIANTS, KernelConn, Step, Variant, accept_after, acknowledges_all_sent, corrupted,
    established, finish, isn, kernel_fin, other_key, rst_effect, send_data, signed,
    signed_data_after, step, unsigned,
};
use crate::case::{Case, Ctx};
use crate::error::Error;
use crate::exchange::option_kinds;
use crate::peer::{Auth, Peer};
use crate::record::Record;
use crate::words;

/// Third ACK of the handshake signed with `third`.
fn third_ack(name: &str, summary: &str, third: fn() -> Auth) -> Vec<Case> {
    Case::per_family("session-handshake", name, summary, move |ctx, family| {
        let listener = keyed_listener(ctx, family)?;
        let mut peer = Peer::new(&ctx.lab, family, 41001, LISTEN_PORT, isn(1), Some(key()))?;
        let mut rec = Record::new();
        peer.syn_to_listener(&mut ctx.lab, &mut ctx.barrier, &Auth::Signed(key()))?;
        let probe = peer.ack(&third());
        let table = &listener.model;
        let at = Step::probe("third ACK");
        let (expected, _) = step(ctx, &mut rec, &mut peer, at, &probe, table)?;
        accept_after(&mut rec, &listener, "the third ACK", expected.is_accept())?;
        if !expected.is_accept() {
            // Still in SYN-RECV: the signed third ACK completes it.
            let ack = peer.ack(&Auth::Signed(key()));
            let after = Step::setup("signed third ACK after");
            step(ctx, &mut rec, &mut peer, after, &ack, &listener.model)?;
            rec.check(
                listener.accept()?.is_some(),
                "the signed third ACK after the dropped one did not complete the handshake",
            );
        }
        Ok(finish(rec, &[&peer]))
    })
}

fn data_case(name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    Case::per_family("session-established", name, summary, move |ctx, family| {
        let (_l, mut peer, conn) = established(ctx, family, 2)?;
        let mut rec = Record::new();
        let data = Step::probe("data");
        let update = b"BGP UPDATE 1";
        send_data(ctx, &mut rec, data, &mut peer, &conn, update, &auth())?;
        signed_data_after(ctx, &mut rec, &mut peer, &conn, b"BGP KEEPALIVE")?;
        Ok(finish(rec, &[&peer]))
    })
}

/// An RST at `offset` from the kernel's `rcv_nxt` with `auth`.
fn rst_case(name: &str, summary: &str, offset: u32, auth: fn() -> Auth) -> Vec<Case> {
    Case::per_family("session-established", name, summary, move |ctx, family| {
        let (_l, mut peer, conn) = established(ctx, family, 3)?;
        let mut rec = Record::new();
        let probe = peer.rst(offset, &auth());
        let at = Step::probe("RST");
        let (expected, _) = step(ctx, &mut rec, &mut peer, at, &probe, &conn.model)?;
        let reset = expected.is_accept() && offset == 0;
        rst_effect(ctx, &mut rec, &mut peer, &conn, reset)?;
        Ok(finish(rec, &[&peer]))
    })
}

/// The peer closes first: its FIN with `auth`.
fn peer_fin_case(name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    Case::per_family("session-close", name, summary, move |ctx, family| {
        let (_l, mut peer, conn) = established(ctx, family, 4)?;
        let mut rec = Record::new();
        let probe = peer.fin(&auth());
        let at = Step::probe("peer FIN");
        let (expected, _) = step(ctx, &mut rec, &mut peer, at, &probe, &conn.model)?;
        let read = conn.read_now();
        if expected.is_accept() {
            peer.sent(1);
            rec.check(
                matches!(&read, Ok(Some(b)) if b.is_empty()),
                format!("the application sees {}, not EOF", words::read(&read)),
            );
        } else {
            rec.check(
                matches!(read, Ok(None)),
                format!(
                    "the application sees {} after a dropped FIN",
                    words::read(&read)
                ),
            );
        }
        acknowledges_all_sent(ctx, &mut rec, &mut peer, "after the FIN")?;
        if expected.is_accept() {
            last_ack(ctx, &mut rec, &mut peer, &conn)?;
        }
        Ok(finish(rec, &[&peer]))
    })
}

/// CLOSE-WAIT -> LAST-ACK: the kernel's FIN, signed; an unsigned ACK of it
/// is dropped and leaves the socket in LAST-ACK (`TCP_INFO` after it), a
/// signed one closes it (no socket left in `/proc/net/tcp`).
fn last_ack(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    peer: &mut Peer,
    conn: &KernelConn,
) -> Result<(), Error> {
    let fin = kernel_fin(ctx, peer, conn)?;
    peer.rcv_nxt = fin.seq + 1;
    conn.check_state(rec, number::LAST_ACK, "after the kernel's FIN")?;
    let bad = peer.ack(&Auth::Unsigned);
    let at = Step::probe("unsigned ACK in LAST-ACK");
    step(ctx, rec, peer, at, &bad, &conn.model)?;
    conn.check_state(rec, number::LAST_ACK, "after the unsigned ACK")?;
    let good = peer.ack(&Auth::Signed(key()));
    let at = Step::probe("signed ACK in LAST-ACK");
    let (e, _) = step(ctx, rec, peer, at, &good, &conn.model)?;
    if e.is_accept() {
        conn.check_state(rec, number::CLOSE, "after the signed ACK")?;
    }
    rec.note("kernel FIN in LAST-ACK verified");
    Ok(())
}

/// A non-blocking client socket with `key` for the peer, connecting.
fn client(
    ctx: &mut Ctx<'_>,
    family: Family,
    peer_port: u16,
    key: &Key,
) -> Result<(Socket, KernelConn, Peer), Error> {
    let kernel = ctx.lab.kernel_addr(family);
    let peer_ip = ctx.lab.peer_addr(family);
    let sock = Socket::new(
        Domain::for_address(SocketAddr::new(kernel, 0)),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(Error::io("client socket"))?;
    sock.bind(&SocketAddr::new(kernel, 0).into())
        .map_err(Error::io("bind the client socket"))?;
    let kport = sock
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map_or(0, |a| a.port());
    let dup = sock
        .try_clone()
        .map_err(Error::io("dup the client socket"))?;
    let mut conn = KernelConn {
        sock: dup,
        family,
        model: KeyTable::new(),
        devices: vec![],
    };
    conn.apply(&Md5SigRequest::add(peer_ip, key))?;
    sock.set_nonblocking(true)
        .map_err(Error::io("O_NONBLOCK on the client socket"))?;
    ctx.lab
        .drain()
        .map_err(Error::harness("draining the peer socket"))?;
    match sock.connect(&SocketAddr::new(peer_ip, peer_port).into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(Error::io("connect")(e)),
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
        let mut rec = Record::new();
        let (sock, conn, mut peer) = client(ctx, family, 42179, &key())?;
        let Some(syn) = peer.wait_for(&mut ctx.lab, &|f| f == TcpFlags::SYN)? else {
            return Err(Error::NotSeen("no SYN after connect()".to_owned()));
        };
        let kinds = option_kinds(&syn);
        rec.note(format!(
            "kernel SYN options: {}",
            words::option_kinds(&kinds)
        ));
        // tcp_syn_options: no timestamps in a SYN with an MD5 key.
        rec.check(
            !kinds.contains(&8),
            format!(
                "the kernel's SYN carries timestamps: {}",
                words::option_kinds(&kinds)
            ),
        );
        peer.rcv_nxt = syn.seq + 1;
        let probe = peer.syn_ack(&auth());
        let at = Step::probe("SYN-ACK");
        let (expected, obs) = step(ctx, &mut rec, &mut peer, at, &probe, &conn.model)?;
        let connected = sock.peer_addr().is_ok();
        rec.check(
            connected == expected.is_accept(),
            format!(
                "connect() {} complete; the model says {}",
                if connected { "did" } else { "did not" },
                words::verdict(expected)
            ),
        );
        if connected {
            rec.check(
                obs.replies
                    .iter()
                    .any(|r| r.flags == TcpFlags::ACK && r.ack == peer.isn + 1),
                "no ACK of the SYN-ACK",
            );
        } else {
            // The signed SYN-ACK still completes it.
            let good = peer.syn_ack(&Auth::Signed(key()));
            let after = Step::setup("signed SYN-ACK after");
            step(ctx, &mut rec, &mut peer, after, &good, &conn.model)?;
            rec.check(
                sock.peer_addr().is_ok(),
                "the signed SYN-ACK after did not complete connect()",
            );
        }
        Ok(finish(rec, &[&peer]))
    })
}

/// Builds the cases of one kind of step from a name, a summary and how the
/// peer authenticates the segment.
type Builder = fn(&str, &str, fn() -> Auth) -> Vec<Case>;

/// An in-window RST (at `rcv_nxt`).
fn rst_in_window(name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    rst_case(name, summary, 0, auth)
}

/// An RST far out of window.
fn rst_out_of_window(name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    rst_case(name, summary, 0x4000_0000, auth)
}

/// Builds every case of `table`, in order.
fn build(table: &[(Builder, Variant)]) -> Vec<Case> {
    table
        .iter()
        .flat_map(|&(builder, (name, summary, auth))| builder(name, summary, auth))
        .collect()
}

/// Cases of the session areas with the kernel as the server, in report order
/// (the TIME-WAIT rows that follow them live in [`super::timewait`]). One row
/// per line: a table reads better unwrapped.
#[rustfmt::skip]
pub(super) fn server_cases() -> Vec<Case> {
    let [data_signed, data_unsigned, data_other_key, data_corrupted] = DATA_VARIANTS;
    build(&[
        (third_ack, ("third-ack-signed", "a signed third ACK completes the handshake: accept() returns the connection", signed)),
        (third_ack, ("third-ack-unsigned", "an unsigned third ACK is dropped; accept() returns nothing", unsigned)),
        (third_ack, ("third-ack-wrong-key", "a third ACK signed with another key is dropped", other_key)),
        (third_ack, ("third-ack-corrupted", "a third ACK whose digest was corrupted is dropped", corrupted)),
        (data_case, data_signed),
        (data_case, data_unsigned),
        (data_case, data_other_key),
        (data_case, data_corrupted),
        (rst_in_window, ("rst-signed-in-window", "a signed RST at rcv_nxt resets the connection (ECONNRESET)", signed)),
        (rst_in_window, ("rst-unsigned-in-window", "an unsigned RST at rcv_nxt is ignored; the connection still carries data", unsigned)),
        (rst_out_of_window, ("rst-unsigned-out-of-window", "an unsigned RST far out of window is ignored", unsigned)),
        (rst_in_window, ("rst-wrong-key-in-window", "an in-window RST signed with another key is ignored", other_key)),
        (rst_in_window, ("rst-corrupted-in-window", "an in-window RST with a corrupted digest is ignored", corrupted)),
        (rst_out_of_window, ("rst-wrong-key-out-of-window", "an out-of-window RST signed with another key is ignored", other_key)),
        (peer_fin_case, ("peer-fin-signed", "the peer's signed FIN: EOF, CLOSE-WAIT, the kernel's signed FIN, LAST-ACK closed by a signed ACK only", signed)),
        (peer_fin_case, ("peer-fin-unsigned", "the peer's unsigned FIN is dropped: no EOF", unsigned)),
        (peer_fin_case, ("peer-fin-corrupted", "the peer's FIN with a corrupted digest is dropped", corrupted)),
    ])
}

/// Cases of the kernel as a client, in report order.
#[rustfmt::skip]
pub(super) fn client_cases() -> Vec<Case> {
    build(&[
        (client_case, ("syn-ack-signed", "connect() with a key: the SYN is signed (no timestamps); a signed SYN-ACK establishes", signed)),
        (client_case, ("syn-ack-unsigned", "an unsigned SYN-ACK is dropped; connect() does not complete", unsigned)),
        (client_case, ("syn-ack-wrong-key", "a SYN-ACK signed with another key is dropped", other_key)),
        (client_case, ("syn-ack-corrupted", "a SYN-ACK with a corrupted digest is dropped", corrupted)),
    ])
}
