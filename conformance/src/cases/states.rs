//! Connection states between the handshake and TIME-WAIT that the session
//! cases pass through without probing: FIN-WAIT-1 and FIN-WAIT-2 of an
//! accepted socket that closed its sending side (`shutdown(SHUT_WR)`), and a
//! request socket (SYN-RECV) receiving an RST before the third ACK.
//!
//! As in [`super::session`], the verdict on every injected segment comes
//! from the model (the socket's or the listener's key table), its effect is
//! read from the application, `TCP_INFO` and a certain answer, and every
//! kernel segment (the FIN included) is verified by the reference library.

use tcpmd5::verdict::{Receiver, ReceiverVerdict, receiver_verdict};
use tcpmd5::wire::TcpFlags;
use tcpmd5::{Family, Verdict};

use super::common::{LISTEN_PORT, key, keyed_listener, wrong_key};
use super::conn::{
    KernelConn, Tally, established, expect_kernel_fin, kernel_fin, predict, rst_effect, run,
    send_data, signed_data_after,
};
use crate::case::{Case, Ctx};
use crate::harness::sockopt;
use crate::listener::Listener;
use crate::peer::{Auth, Peer};

/// `tcpi_state` of FIN-WAIT-1.
const TCP_FIN_WAIT1: u8 = 4;
/// `tcpi_state` of FIN-WAIT-2.
const TCP_FIN_WAIT2: u8 = 5;
/// `tcpi_state` of CLOSE.
const TCP_CLOSE: u8 = 7;

/// Which FIN-WAIT state the kernel socket is brought into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FinWait {
    /// The kernel's FIN is sent and not acknowledged.
    One,
    /// The kernel's FIN is acknowledged by a signed ACK.
    Two,
}

impl FinWait {
    fn name(self) -> &'static str {
        match self {
            FinWait::One => "fin-wait-1",
            FinWait::Two => "fin-wait-2",
        }
    }

    fn tcpi_state(self) -> u8 {
        match self {
            FinWait::One => TCP_FIN_WAIT1,
            FinWait::Two => TCP_FIN_WAIT2,
        }
    }
}

/// Requires the kernel socket to be in `want` (`TCP_INFO`).
fn check_state(t: &mut Tally, conn: &KernelConn, want: u8, when: &str) {
    let got = sockopt::tcp_state(std::os::fd::AsFd::as_fd(&conn.sock));
    t.check(
        got == Ok(want),
        format!("{when}: tcpi_state {got:?}, want {want}"),
    );
}

/// An accepted socket with `key()` for the peer, in FIN-WAIT-1 or -2 after
/// `shutdown(SHUT_WR)`. In FIN-WAIT-1 the peer keeps acknowledging only up
/// to the kernel's FIN, so every later segment leaves the state as it is.
fn fin_wait(
    ctx: &mut Ctx<'_>,
    family: Family,
    salt: u16,
    state: FinWait,
    t: &mut Tally,
) -> Result<(Listener, Peer, KernelConn), String> {
    let (listener, mut peer, conn) = established(ctx, family, salt)?;
    let fin = kernel_fin(ctx, &mut peer, &conn)?;
    expect_kernel_fin(t, &peer, &fin, "shutdown(SHUT_WR)");
    if state == FinWait::Two {
        peer.rcv_nxt = fin.seq.wrapping_add(1);
        let ack = peer.ack(&Auth::Signed(key()));
        let e = predict(&ack, &conn.model, ctx.env.semantics)?;
        let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &ack)?;
        t.verdict("signed ACK of the kernel's FIN", &obs, e);
    }
    check_state(t, &conn, state.tcpi_state(), "after the setup");
    Ok((listener, peer, conn))
}

/// Data with `auth` in FIN-WAIT-1/2, then signed data.
fn data_case(state: FinWait, name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    let id = format!("{}-{name}", state.name());
    let summary = format!("{}: {summary}", state.name().to_uppercase());
    Case::per_family("session-finwait", &id, &summary, move |ctx, family| {
        run(|| {
            let mut t = Tally::default();
            let (_l, mut peer, conn) = fin_wait(ctx, family, 31, state, &mut t)?;
            send_data(ctx, &mut t, "data", &mut peer, &conn, b"UPDATE", &auth())?;
            signed_data_after(ctx, &mut t, &mut peer, &conn, b"KEEPALIVE")?;
            check_state(&mut t, &conn, state.tcpi_state(), "at the end");
            Ok(t.finish(&[&peer]))
        })
    })
}

/// An in-window RST with `auth` in FIN-WAIT-1/2.
fn rst_case(state: FinWait, name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    let id = format!("{}-{name}", state.name());
    let summary = format!("{}: {summary}", state.name().to_uppercase());
    Case::per_family("session-finwait", &id, &summary, move |ctx, family| {
        run(|| {
            let mut t = Tally::default();
            let (_l, mut peer, conn) = fin_wait(ctx, family, 32, state, &mut t)?;
            let probe = peer.rst(0, &auth());
            let expected = predict(&probe, &conn.model, ctx.env.semantics)?;
            let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &probe)?;
            t.verdict("RST", &obs, expected);
            rst_effect(ctx, &mut t, &mut peer, &conn, expected.is_accept())?;
            if expected.is_accept() {
                check_state(&mut t, &conn, TCP_CLOSE, "after the RST");
                // Certain answer: the signed probe reaches the keyed
                // listener, which answers with a signed RST.
                let (ack, obs) = peer.certain_ack(&mut ctx.lab, &mut ctx.barrier)?;
                t.check(
                    ack.is_none() && obs.replies.iter().any(|r| r.flags.contains(TcpFlags::RST)),
                    format!(
                        "after the RST the connection still answers ({} replies)",
                        obs.replies.len()
                    ),
                );
            } else {
                check_state(&mut t, &conn, state.tcpi_state(), "at the end");
            }
            Ok(t.finish(&[&peer]))
        })
    })
}

/// An in-window RST with `auth` to a request socket, after its SYN-ACK and
/// before the third ACK; then the signed third ACK. The request survives
/// exactly when the model drops the RST.
fn syn_recv_rst(name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    Case::per_family("session-handshake", name, summary, move |ctx, family| {
        run(|| {
            let listener = keyed_listener(ctx, family)?;
            let mut peer = Peer::new(
                &ctx.lab,
                family,
                41033,
                LISTEN_PORT,
                0x1533_0000,
                Some(key()),
            )?;
            let mut t = Tally::default();
            peer.syn_to_listener(&mut ctx.lab, &mut ctx.barrier, &Auth::Signed(key()))?;
            let rst = peer.rst(0, &auth());
            let expected = request_verdict(&rst.packet(), &listener, ctx)?;
            let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &rst)?;
            t.verdict("RST to SYN-RECV", &obs, expected);
            let ack = peer.ack(&Auth::Signed(key()));
            let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &ack)?;
            let completed = listener.accept()?.is_some();
            let refused = obs.replies.iter().any(|r| r.flags.contains(TcpFlags::RST));
            t.check(
                completed != refused,
                format!(
                    "no certain answer to the third ACK: accept() {completed}, {} replies",
                    obs.replies.len()
                ),
            );
            t.check(
                completed != expected.is_accept(),
                format!(
                    "the request {} the RST; the model says {}",
                    if completed { "survived" } else { "died of" },
                    expected.name()
                ),
            );
            t.expected.push(format!(
                "third ACK: {}",
                if expected.is_accept() {
                    "refused (RST)"
                } else {
                    "completes the handshake"
                }
            ));
            t.observed.push(format!(
                "third ACK: {}",
                if completed {
                    "handshake completed"
                } else {
                    "refused"
                }
            ));
            t.notes.push(format!(
                "the request socket {} the {} RST",
                if completed {
                    "survived"
                } else {
                    "was dropped by"
                },
                auth().name()
            ));
            Ok(t.finish(&[&peer]))
        })
    })
}

/// The model's verdict for `packet` at the listener's request socket.
fn request_verdict(packet: &[u8], listener: &Listener, ctx: &Ctx<'_>) -> Result<Verdict, String> {
    match receiver_verdict(
        packet,
        &listener.model,
        0,
        ctx.env.semantics,
        Receiver::RequestSock,
    ) {
        Ok(ReceiverVerdict::Checked(v)) => Ok(v),
        other => Err(format!(
            "the model's verdict at a request socket: {other:?}"
        )),
    }
}

/// Cases of these states.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for state in [FinWait::One, FinWait::Two] {
        cases.extend(data_case(
            state,
            "data-signed",
            "signed data is delivered and acknowledged by a signed ACK",
            || Auth::Signed(key()),
        ));
        cases.extend(data_case(
            state,
            "data-unsigned",
            "unsigned data is not delivered",
            || Auth::Unsigned,
        ));
        cases.extend(data_case(
            state,
            "data-wrong-key",
            "data signed with another key is not delivered",
            || Auth::Signed(wrong_key()),
        ));
        cases.extend(data_case(
            state,
            "data-corrupted",
            "signed data with a payload bit flipped is not delivered",
            || Auth::Corrupted(key()),
        ));
        cases.extend(rst_case(
            state,
            "rst-signed",
            "a signed in-window RST resets the socket",
            || Auth::Signed(key()),
        ));
        cases.extend(rst_case(
            state,
            "rst-unsigned",
            "an unsigned in-window RST is ignored; signed data is still delivered",
            || Auth::Unsigned,
        ));
        cases.extend(rst_case(
            state,
            "rst-wrong-key",
            "an in-window RST signed with another key is ignored",
            || Auth::Signed(wrong_key()),
        ));
        cases.extend(rst_case(
            state,
            "rst-corrupted",
            "an in-window RST with a corrupted digest is ignored",
            || Auth::Corrupted(key()),
        ));
    }
    cases.extend(syn_recv_rst(
        "syn-recv-rst-unsigned",
        "an unsigned in-window RST to a request socket is dropped: the signed third ACK still completes the handshake",
        || Auth::Unsigned,
    ));
    cases.extend(syn_recv_rst(
        "syn-recv-rst-wrong-key",
        "an in-window RST signed with another key to a request socket is dropped",
        || Auth::Signed(wrong_key()),
    ));
    cases.extend(syn_recv_rst(
        "syn-recv-rst-signed",
        "a signed in-window RST drops the request socket: the signed third ACK is refused with a signed RST",
        || Auth::Signed(key()),
    ));
    cases
}
