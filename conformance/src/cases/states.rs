//! Connection states between the handshake and TIME-WAIT that the session
//! cases pass through without probing: FIN-WAIT-1 and FIN-WAIT-2 of an
//! accepted socket that closed its sending side (`shutdown(SHUT_WR)`), and a
//! request socket (SYN-RECV) receiving an RST before the third ACK.
//!
//! As in [`super::session`], the verdict on every injected segment comes
//! from the model (the socket's or the listener's key table), its effect is
//! read from the application, `TCP_INFO` and a certain answer, and every
//! kernel segment (the FIN included) is verified by the reference library.

use tcpmd5::verdict::{Receiver, ReceiverVerdict};

use crate::model_query::receiver_verdict;
use tcpmd5::wire::TcpFlags;
use tcpmd5::{Family, Verdict};
use tcpmd5_witness::tcp_state::number;

use super::kit::common::{LISTEN_PORT, key, keyed_listener};
use super::kit::conn::{
    DATA_VARIANTS, KernelConn, Step, Variant, corrupted, established, expect_kernel_fin, finish,
    kernel_fin, other_key, rst_effect, send_data, signed, signed_data_after, step, step_expecting,
    unsigned,
};
use crate::case::{Case, Ctx};
use crate::error::Error;
use crate::listener::Listener;
use crate::peer::{Auth, Peer};
use crate::record::Record;
use crate::words;

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
            FinWait::One => number::FIN_WAIT1,
            FinWait::Two => number::FIN_WAIT2,
        }
    }
}

/// An accepted socket with `key()` for the peer, in FIN-WAIT-1 or -2 after
/// `shutdown(SHUT_WR)`. In FIN-WAIT-1 the peer keeps acknowledging only up
/// to the kernel's FIN, so every later segment leaves the state as it is.
fn fin_wait(
    ctx: &mut Ctx<'_>,
    family: Family,
    salt: u16,
    state: FinWait,
    rec: &mut Record,
) -> Result<(Listener, Peer, KernelConn), Error> {
    let (listener, mut peer, conn) = established(ctx, family, salt)?;
    let fin = kernel_fin(ctx, &mut peer, &conn)?;
    expect_kernel_fin(rec, &mut peer, &fin, "shutdown(SHUT_WR)");
    if state == FinWait::Two {
        peer.rcv_nxt = fin.seq + 1;
        let ack = peer.ack(&Auth::Signed(key()));
        let at = Step::setup("signed ACK of the kernel's FIN");
        step(ctx, rec, &mut peer, at, &ack, &conn.model)?;
    }
    conn.check_state(rec, state.tcpi_state(), "after the setup")?;
    Ok((listener, peer, conn))
}

/// Data with `auth` in FIN-WAIT-1/2, then signed data.
fn data_case(state: FinWait, name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    let id = format!("{}-{name}", state.name());
    let summary = format!("{}: {summary}", state.name().to_uppercase());
    Case::per_family("session-finwait", &id, &summary, move |ctx, family| {
        let mut rec = Record::new();
        let (_l, mut peer, conn) = fin_wait(ctx, family, 31, state, &mut rec)?;
        let data = Step::probe("data");
        send_data(ctx, &mut rec, data, &mut peer, &conn, b"UPDATE", &auth())?;
        signed_data_after(ctx, &mut rec, &mut peer, &conn, b"KEEPALIVE")?;
        conn.check_state(&mut rec, state.tcpi_state(), "at the end")?;
        Ok(finish(rec, &[&peer]))
    })
}

/// An in-window RST with `auth` in FIN-WAIT-1/2.
fn rst_case(state: FinWait, name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    let id = format!("{}-{name}", state.name());
    let summary = format!("{}: {summary}", state.name().to_uppercase());
    Case::per_family("session-finwait", &id, &summary, move |ctx, family| {
        let mut rec = Record::new();
        let (_l, mut peer, conn) = fin_wait(ctx, family, 32, state, &mut rec)?;
        let probe = peer.rst(0, &auth());
        let at = Step::probe("RST");
        let (expected, _) = step(ctx, &mut rec, &mut peer, at, &probe, &conn.model)?;
        rst_effect(ctx, &mut rec, &mut peer, &conn, expected.is_accept())?;
        if expected.is_accept() {
            conn.check_state(&mut rec, number::CLOSE, "after the RST")?;
            // Certain answer: the signed probe reaches the keyed
            // listener, which answers with a signed RST.
            let (ack, obs) = peer.certain_ack(&mut ctx.lab, &mut ctx.barrier)?;
            rec.check(
                ack.is_none() && obs.replies.iter().any(|r| r.flags.contains(TcpFlags::RST)),
                format!(
                    "after the RST the connection still answers: {}",
                    words::replies(&obs.replies)
                ),
            );
        } else {
            conn.check_state(&mut rec, state.tcpi_state(), "at the end")?;
        }
        Ok(finish(rec, &[&peer]))
    })
}

/// An in-window RST with `auth` to a request socket, after its SYN-ACK and
/// before the third ACK; then the signed third ACK. The request survives
/// exactly when the model drops the RST.
fn syn_recv_rst(name: &str, summary: &str, auth: fn() -> Auth) -> Vec<Case> {
    Case::per_family("session-handshake", name, summary, move |ctx, family| {
        let listener = keyed_listener(ctx, family)?;
        let mut peer = Peer::new(
            &ctx.lab,
            family,
            41033,
            LISTEN_PORT,
            0x1533_0000,
            Some(key()),
        )?;
        let mut rec = Record::new();
        peer.syn_to_listener(&mut ctx.lab, &mut ctx.barrier, &Auth::Signed(key()))?;
        let rst = peer.rst(0, &auth());
        let expected = request_verdict(&rst.packet(), &listener, ctx)?;
        let at = Step::probe("RST to SYN-RECV");
        step_expecting(ctx, &mut rec, &mut peer, at, &rst, expected)?;
        let ack = peer.ack(&Auth::Signed(key()));
        let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &ack)?;
        let completed = listener.accept()?.is_some();
        let refused = obs.replies.iter().any(|r| r.flags.contains(TcpFlags::RST));
        rec.check(
            completed != refused,
            format!(
                "no certain answer to the third ACK: accept() {}, {}",
                if completed {
                    "returned it"
                } else {
                    "found nothing"
                },
                words::replies(&obs.replies)
            ),
        );
        rec.check(
            completed != expected.is_accept(),
            format!(
                "the request {} the RST; the model says {}",
                if completed { "survived" } else { "died of" },
                words::verdict(expected)
            ),
        );
        let words_of = |survived: bool| {
            if survived {
                "request kept"
            } else {
                "request dropped"
            }
        };
        rec.step(words_of(!expected.is_accept()), words_of(completed));
        rec.note(format!(
            "the request socket {} the {} RST",
            if completed {
                "survived"
            } else {
                "was dropped by"
            },
            auth().name()
        ));
        Ok(finish(rec, &[&peer]))
    })
}

/// The model's verdict for `packet` at the listener's request socket.
fn request_verdict(packet: &[u8], listener: &Listener, ctx: &Ctx<'_>) -> Result<Verdict, Error> {
    let semantics = ctx.env.semantics;
    match receiver_verdict(packet, &listener.model, 0, semantics, Receiver::RequestSock) {
        Ok(ReceiverVerdict::Checked(v)) => Ok(v),
        Ok(other) => Err(Error::Unmodelled(format!(
            "the model's verdict at a request socket: {}",
            words::receiver_verdict(other)
        ))),
        Err(e) => Err(Error::model("the probe")(e)),
    }
}

/// Builds the cases of one kind of step in a FIN-WAIT state.
type Builder = fn(FinWait, &str, &str, fn() -> Auth) -> Vec<Case>;

/// Cases of these states, in report order. One row per line: a table reads
/// better unwrapped.
#[rustfmt::skip]
pub(super) fn cases() -> Vec<Case> {
    let [data_signed, data_unsigned, data_other_key, data_corrupted] = DATA_VARIANTS;
    let per_state: [(Builder, Variant); 8] = [
        (data_case, data_signed),
        (data_case, data_unsigned),
        (data_case, data_other_key),
        (data_case, data_corrupted),
        (rst_case, ("rst-signed", "a signed in-window RST resets the socket", signed)),
        (rst_case, ("rst-unsigned", "an unsigned in-window RST is ignored; signed data is still delivered", unsigned)),
        (rst_case, ("rst-wrong-key", "an in-window RST signed with another key is ignored", other_key)),
        (rst_case, ("rst-corrupted", "an in-window RST with a corrupted digest is ignored", corrupted)),
    ];
    let syn_recv: [Variant; 3] = [
        ("syn-recv-rst-unsigned", "an unsigned in-window RST to a request socket is dropped: the signed third ACK still completes the handshake", unsigned),
        ("syn-recv-rst-wrong-key", "an in-window RST signed with another key to a request socket is dropped", other_key),
        ("syn-recv-rst-signed", "a signed in-window RST drops the request socket: the signed third ACK is refused with a signed RST", signed),
    ];
    let mut cases = Vec::new();
    for state in [FinWait::One, FinWait::Two] {
        for (builder, (name, summary, auth)) in per_state {
            cases.extend(builder(state, name, summary, auth));
        }
    }
    for (name, summary, auth) in syn_recv {
        cases.extend(syn_recv_rst(name, summary, auth));
    }
    cases
}
