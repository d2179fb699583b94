//! The connection kit of the cases: a kernel socket and the model of its
//! keys, a connection established with a userspace peer, and the steps the
//! session, state and key cases share: one [`step`] (predict the model's
//! verdict, exchange, record it), sending data, an RST's effect, the
//! kernel's FIN. It uses nothing of the case files.

use std::io::Read as _;
use std::net::IpAddr;
use std::os::fd::AsFd;

use socket2::Socket;
use tcpmd5::key_table::{KeyChange, KeyTable, Md5SigRequest};
use tcpmd5::wire::{SeqNumber, TcpFlags};
use tcpmd5::{DropReason, Family, Semantics, Verdict};

use crate::model_query::packet_verdict;

use super::common::{LISTEN_PORT, key, keyed_listener, wrong_key};
use crate::case::Ctx;
use crate::error::Error;
use crate::exchange::{Observation, Reply};
use crate::harness::sockopt;
use crate::judge::{Observed, evidence, observe_witnesses, witnesses};
use crate::listener::{Listener, agreed};
use crate::outcome::{Behaviour, Finding};
use crate::peer::{Auth, Peer};
use crate::record::{Record, Role};
use crate::segment::SegmentSpec;
use crate::words;

/// A kernel socket of a connection and the model of its keys.
#[derive(Debug)]
pub(in crate::cases) struct KernelConn {
    /// The socket (non-blocking).
    pub sock: Socket,
    /// Its family.
    pub family: Family,
    /// The model of its key table.
    pub model: KeyTable,
    /// The devices the model knows (ifindex, is L3 master).
    pub devices: Vec<(i32, bool)>,
}

impl KernelConn {
    /// Makes `request` on the socket and the model; both must agree.
    pub(in crate::cases) fn apply(&mut self, request: &Md5SigRequest) -> Result<KeyChange, Error> {
        let kernel = sockopt::set_md5sig(self.sock.as_fd(), request);
        let model = self
            .model
            .apply(self.family, request, self.devices.as_slice());
        agreed(request, kernel, model)
    }

    /// An accepted socket with the key table it inherits from `listener`.
    pub(in crate::cases) fn from_accepted(
        sock: Socket,
        listener: &Listener,
        peer: IpAddr,
    ) -> KernelConn {
        KernelConn {
            sock,
            family: listener.family,
            model: listener.child_model(peer),
            devices: listener.devices().to_vec(),
        }
    }

    /// Bytes readable now (`Ok(None)`: would block; `Ok(Some(empty))`: EOF).
    pub(in crate::cases) fn read_now(&self) -> Result<Option<Vec<u8>>, std::io::Error> {
        let mut buf = [0u8; 4096];
        match (&self.sock).read(&mut buf) {
            Ok(n) => Ok(Some(buf.get(..n).unwrap_or(&[]).to_vec())),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The socket's TCP state (`tcpi_state` of `TCP_INFO`).
    pub(in crate::cases) fn state(&self) -> Result<u8, Error> {
        sockopt::tcp_state(self.sock.as_fd()).map_err(Error::errno("TCP_INFO"))
    }

    /// Requires the socket to be in `want`.
    pub(in crate::cases) fn check_state(
        &self,
        rec: &mut Record,
        want: u8,
        when: &str,
    ) -> Result<(), Error> {
        let got = self.state()?;
        rec.check(
            got == want,
            format!(
                "{when}: the socket is in {}, want {}",
                words::tcp_state(got),
                words::tcp_state(want)
            ),
        );
        rec.note(format!("{when}: socket in {}", words::tcp_state(got)));
        Ok(())
    }
}

/// The model's verdict on `probe` at a socket whose keys are `table`.
pub(in crate::cases) fn predict(
    probe: &SegmentSpec,
    table: &KeyTable,
    semantics: Semantics,
) -> Result<Verdict, Error> {
    packet_verdict(&probe.packet(), table, 0, semantics).map_err(Error::model("the probe"))
}

/// One step of a case: its name in notes and problems, and its role.
#[derive(Debug, Clone, Copy)]
pub(in crate::cases) struct Step<'a> {
    /// What the step sends (`third ACK`, `signed data after`).
    pub name: &'a str,
    /// On the case line or not.
    pub role: Role,
}

impl Step<'_> {
    /// A step the case is about.
    pub(in crate::cases) fn probe(name: &str) -> Step<'_> {
        Step {
            name,
            role: Role::Probe,
        }
    }

    /// A setup or control step.
    pub(in crate::cases) fn setup(name: &str) -> Step<'_> {
        Step {
            name,
            role: Role::Setup,
        }
    }
}

/// Predicts the model's verdict on `probe` at a socket whose keys are
/// `table`, sends it, and records the verdict.
pub(in crate::cases) fn step(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    peer: &mut Peer,
    step: Step<'_>,
    probe: &SegmentSpec,
    table: &KeyTable,
) -> Result<(Verdict, Observation), Error> {
    let expected = predict(probe, table, ctx.env.semantics)?;
    let obs = step_expecting(ctx, rec, peer, step, probe, expected)?;
    Ok((expected, obs))
}

/// Sends `probe` and records the verdict `expected` (from a receiver's own
/// model: a request socket, a timewait socket).
pub(in crate::cases) fn step_expecting(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    peer: &mut Peer,
    step: Step<'_>,
    probe: &SegmentSpec,
    expected: Verdict,
) -> Result<Observation, Error> {
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, probe)?;
    record_verdict(rec, peer, step, &obs, expected);
    Ok(obs)
}

/// Records a step's verdict: its witnesses, silence when dropped (a
/// retransmission of the kernel's own FIN is not a reply), and the observed
/// verdict next to the expected one.
pub(in crate::cases) fn record_verdict(
    rec: &mut Record,
    peer: &Peer,
    step: Step<'_>,
    obs: &Observation,
    expected: Verdict,
) {
    let name = step.name;
    let mut found = Record::new();
    witnesses(obs, expected, &mut found);
    let retransmit =
        |r: &&Reply| r.flags.contains(TcpFlags::FIN) && Some(r.seq) == peer.kernel_fin_seq;
    let replies = obs.replies.iter().filter(|r| !retransmit(r)).count();
    if replies < obs.replies.len() {
        found.note("the kernel retransmitted its FIN (verified)");
    }
    if !expected.is_accept() && replies > 0 {
        found.problem(format!("{replies} replies to a segment the model drops"));
    }
    let observed = match observe_witnesses(obs) {
        // No counter and no tracepoints: an acceptance and a TCP_AUTH_HDR
        // drop look alike; the case's effect checks (delivery, state, the
        // certain answer) decide, so the line marks the verdict inferred.
        Observed::Other(_)
            if obs.trace.is_none()
                && obs.auth_counters.is_empty()
                && (expected.is_accept() || expected == Verdict::Drop(DropReason::AuthHeader)) =>
        {
            found.note("no tracepoints: verdict inferred from the effect");
            Behaviour::Inferred(expected.id())
        }
        seen => seen.behaviour(),
    };
    found.note(format!(
        "model {}, kernel {observed}; {}",
        words::verdict(expected),
        evidence(obs)
    ));
    rec.absorb_step(name, &found);
    if step.role == Role::Probe {
        rec.step(expected.id(), observed);
    }
}

/// The finding, with each peer's verification of every kernel segment.
pub(in crate::cases) fn finish(mut rec: Record, peers: &[&Peer]) -> Finding {
    for p in peers {
        rec.absorb(&p.record);
        rec.note(format!(
            "{} kernel segments on {} verified by the reference library",
            p.verified,
            p.peer()
        ));
    }
    rec.finish()
}

/// `accept()` on `listener` after `what`, required to return a connection
/// exactly when the model accepts (`model_accepts`).
pub(crate) fn accept_after(
    rec: &mut Record,
    listener: &Listener,
    what: &str,
    model_accepts: bool,
) -> Result<Option<Socket>, Error> {
    let sock = listener.accept()?;
    rec.check(
        sock.is_some() == model_accepts,
        format!(
            "accept() after {what} {}, the model says {}",
            if sock.is_some() {
                "returned a connection"
            } else {
                "found nothing"
            },
            if model_accepts { "accept" } else { "drop" }
        ),
    );
    Ok(sock)
}

/// A segment signed with the key the kernel holds for the peer.
pub(crate) fn signed() -> Auth {
    Auth::Signed(key())
}

/// A segment without an MD5 option.
pub(crate) fn unsigned() -> Auth {
    Auth::Unsigned
}

/// A segment signed with another key.
pub(crate) fn other_key() -> Auth {
    Auth::Signed(wrong_key())
}

/// A signed segment with a bit flipped after signing.
pub(crate) fn corrupted() -> Auth {
    Auth::Corrupted(key())
}

/// One row of a case table: the case name, its summary, and how the peer
/// authenticates the segment the case is about.
pub(crate) type Variant = (&'static str, &'static str, fn() -> Auth);

/// Data authenticated the four ways, with the case names and summaries the
/// established and FIN-WAIT areas share.
pub(crate) const DATA_VARIANTS: [Variant; 4] = [
    (
        "data-signed",
        "signed data is delivered and acknowledged by a signed ACK",
        signed,
    ),
    ("data-unsigned", "unsigned data is not delivered", unsigned),
    (
        "data-wrong-key",
        "data signed with another key is not delivered",
        other_key,
    ),
    (
        "data-corrupted",
        "signed data with a payload bit flipped is not delivered",
        corrupted,
    ),
];

/// An ISN per case and step, so segments of different steps never match.
pub(in crate::cases) fn isn(salt: u32) -> SeqNumber {
    SeqNumber(0x1500_0000) + salt.wrapping_mul(0x0101_0101)
}

/// A keyed listener, the peer, and the accepted connection.
pub(in crate::cases) type Established = (Listener, Peer, KernelConn);

/// Established: a listener with `key()` for the peer, a signed handshake,
/// the accepted socket (non-blocking) with the model it inherits.
pub(in crate::cases) fn established(
    ctx: &mut Ctx<'_>,
    family: Family,
    salt: u16,
) -> Result<Established, Error> {
    let listener = keyed_listener(ctx, family)?;
    let peer_addr = ctx.lab.peer_addr(family);
    let mut peer = Peer::new(
        &ctx.lab,
        family,
        41000 + salt,
        LISTEN_PORT,
        isn(u32::from(salt)),
        listener.key_for(peer_addr),
    )?;
    let signed = Auth::with(peer.kernel_key.as_ref());
    connect_peer(ctx, &listener, &mut peer, &signed).map(|c| (listener, peer, c))
}

/// Completes a handshake (SYN and third ACK with `auth`) and accepts.
pub(in crate::cases) fn connect_peer(
    ctx: &mut Ctx<'_>,
    listener: &Listener,
    peer: &mut Peer,
    auth: &Auth,
) -> Result<KernelConn, Error> {
    let obs = peer.handshake(&mut ctx.lab, &mut ctx.barrier, auth, auth)?;
    if !obs.auth_counters.is_empty() {
        return Err(Error::NotSeen(format!(
            "the third ACK of the setup was counted: {}",
            words::counters(&obs.auth_counters)
        )));
    }
    let sock = listener.accept()?.ok_or_else(|| {
        Error::NotSeen("the handshake completed but accept() found nothing".to_owned())
    })?;
    sock.set_nonblocking(true)
        .map_err(Error::io("O_NONBLOCK on the accepted socket"))?;
    Ok(KernelConn::from_accepted(sock, listener, peer.addrs.src()))
}

/// Checks with a certain-answer probe that the kernel acknowledges exactly
/// what the peer has sent: a dropped segment left `rcv_nxt` alone, an
/// accepted one moved it. `what` names the step in a problem.
pub(in crate::cases) fn acknowledges_all_sent(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    peer: &mut Peer,
    what: &str,
) -> Result<(), Error> {
    let (ack, _) = peer.certain_ack(&mut ctx.lab, &mut ctx.barrier)?;
    match ack {
        Some(a) => rec.check(
            a.ack == peer.snd_nxt,
            format!(
                "{what}: the kernel acknowledges {:#x}, the peer has sent up to {:#x}",
                a.ack, peer.snd_nxt
            ),
        ),
        None => rec.problem(format!("{what}: no ACK to the certain-answer probe")),
    }
    Ok(())
}

/// Sends `payload` with `auth` on an established connection and checks
/// verdict, delivery and the kernel's acknowledgement. Returns whether the
/// model accepts it.
pub(in crate::cases) fn send_data(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    at: Step<'_>,
    peer: &mut Peer,
    conn: &KernelConn,
    payload: &[u8],
    auth: &Auth,
) -> Result<bool, Error> {
    let name = at.name;
    let probe = peer.data(payload, auth);
    let (expected, _) = step(ctx, rec, peer, at, &probe, &conn.model)?;
    let got = conn.read_now();
    let accepted = expected.is_accept();
    if accepted {
        peer.sent(payload.len());
        rec.check(
            matches!(&got, Ok(Some(b)) if b.as_slice() == payload),
            format!(
                "{name}: the application read {}, not the {} bytes sent",
                words::read(&got),
                payload.len()
            ),
        );
    } else {
        rec.check(
            matches!(got, Ok(None)),
            format!(
                "{name}: the application read {} from a dropped segment",
                words::read(&got)
            ),
        );
    }
    acknowledges_all_sent(ctx, rec, peer, name)?;
    rec.note(if accepted {
        format!("{name}: delivered and acknowledged by a verified ACK")
    } else {
        format!("{name}: not delivered; rcv_nxt unchanged (certain ACK)")
    });
    Ok(accepted)
}

/// Signed data after a probe: the connection still carries data.
pub(in crate::cases) fn signed_data_after(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    peer: &mut Peer,
    conn: &KernelConn,
    payload: &[u8],
) -> Result<bool, Error> {
    let signed = Auth::Signed(key());
    send_data(
        ctx,
        rec,
        Step::setup("signed data after"),
        peer,
        conn,
        payload,
        &signed,
    )
}

/// The effect of an RST on the application: ECONNRESET when `reset`, else
/// nothing to read and the connection still carries signed data.
pub(in crate::cases) fn rst_effect(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    peer: &mut Peer,
    conn: &KernelConn,
    reset: bool,
) -> Result<(), Error> {
    let read = conn.read_now();
    if reset {
        let errno = read.as_ref().err().and_then(std::io::Error::raw_os_error);
        rec.check(
            errno == Some(libc::ECONNRESET),
            format!(
                "the application sees {}, not ECONNRESET",
                words::read(&read)
            ),
        );
        rec.note("the in-window RST reset the connection (ECONNRESET)");
    } else {
        rec.check(
            matches!(read, Ok(None)),
            format!(
                "the application sees {} after an ignored RST",
                words::read(&read)
            ),
        );
        signed_data_after(ctx, rec, peer, conn, b"still here")?;
    }
    Ok(())
}

/// `shutdown(SHUT_WR)` on the kernel socket: its FIN, verified by `peer`.
pub(in crate::cases) fn kernel_fin(
    ctx: &mut Ctx<'_>,
    peer: &mut Peer,
    conn: &KernelConn,
) -> Result<Reply, Error> {
    conn.sock
        .shutdown(std::net::Shutdown::Write)
        .map_err(Error::io("shutdown(SHUT_WR)"))?;
    peer.wait_for(&mut ctx.lab, &|f| f.contains(TcpFlags::FIN))?
        .ok_or_else(|| Error::NotSeen("no FIN from the kernel after shutdown()".to_owned()))
}

/// Requires the kernel's FIN (sent after `after`) at the peer's `rcv_nxt`,
/// and lets later steps recognise its retransmissions.
pub(in crate::cases) fn expect_kernel_fin(
    rec: &mut Record,
    peer: &mut Peer,
    fin: &Reply,
    after: &str,
) {
    rec.check(
        fin.seq == peer.rcv_nxt,
        format!(
            "the kernel's FIN at {:#x}, expected {:#x}",
            fin.seq, peer.rcv_nxt
        ),
    );
    peer.kernel_fin_seq = Some(fin.seq);
    rec.note(format!("the kernel's FIN after {after} verified"));
}
