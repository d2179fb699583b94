//! The connection kit of the cases: a kernel socket and the model of its
//! keys, a connection established with a userspace peer, and the steps the
//! session, state and key cases share (predict a verdict, send data, an
//! RST's effect, the kernel's FIN). It uses nothing of the case files.

use std::io::Read as _;
use std::net::IpAddr;
use std::os::fd::AsFd;

use socket2::Socket;
use tcpmd5::key_table::{KeyChange, KeyTable, KeyTableError, Md5SigRequest};
use tcpmd5::wire::TcpFlags;
use tcpmd5::{Family, Semantics, Verdict, packet_verdict};

use super::common::{LISTEN_PORT, key, keyed_listener};
use crate::case::Ctx;
use crate::exchange::{Observation, Reply};
use crate::harness::{Errno, sockopt};
use crate::judge::witnesses;
use crate::listener::Listener;
use crate::outcome::Finding;
use crate::peer::{Auth, Peer};
use crate::segment::SegmentSpec;

/// A kernel socket of a connection and the model of its keys.
#[derive(Debug)]
pub struct KernelConn {
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
    pub fn apply(&mut self, request: &Md5SigRequest) -> Result<KeyChange, String> {
        let kernel = sockopt::set_md5sig(self.sock.as_fd(), request);
        let model = self
            .model
            .apply(self.family, request, self.devices.as_slice());
        match (kernel, model) {
            (Ok(()), Ok(c)) => Ok(c),
            (k, m) => Err(format!(
                "{request:?} on a connected socket: kernel {:?}, model {:?}",
                k.map_err(|e: Errno| e.name()),
                m.map_err(|e: KeyTableError| e.errno_name())
            )),
        }
    }

    /// An accepted socket with the key table it inherits from `listener`.
    pub fn from_accepted(sock: Socket, listener: &Listener, peer: IpAddr) -> KernelConn {
        KernelConn {
            sock,
            family: listener.family,
            model: listener.child_model(peer),
            devices: listener.devices().to_vec(),
        }
    }

    /// Bytes readable now (`Ok(None)`: would block; `Ok(Some(empty))`: EOF).
    pub fn read_now(&self) -> Result<Option<Vec<u8>>, std::io::Error> {
        let mut buf = [0u8; 4096];
        match (&self.sock).read(&mut buf) {
            Ok(n) => Ok(Some(buf.get(..n).unwrap_or(&[]).to_vec())),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The model's verdict on `probe` at a socket whose keys are `table`.
pub fn predict(
    probe: &SegmentSpec,
    table: &KeyTable,
    semantics: Semantics,
) -> Result<Verdict, String> {
    packet_verdict(&probe.packet(), table, 0, semantics)
        .map_err(|e| format!("the model cannot read the probe: {e}"))
}

/// What a case collects: problems (any fails it) and notes.
#[derive(Debug, Default)]
pub struct Tally {
    /// Disagreements.
    pub problems: Vec<String>,
    /// Evidence.
    pub notes: Vec<String>,
    /// What the model predicted, step by step.
    pub expected: Vec<String>,
    /// What the kernel did, step by step.
    pub observed: Vec<String>,
    /// The sequence number of a FIN the kernel may retransmit while the
    /// case runs (FIN-WAIT-1): such a retransmission is not a reply.
    pub fin_retransmit: Option<u32>,
}

impl Tally {
    /// Records a verdict's witnesses and whether the probe was silent when dropped.
    pub fn verdict(&mut self, step: &str, obs: &Observation, expected: Verdict) {
        let mut problems = Vec::new();
        witnesses(obs, expected, &mut problems, &mut self.notes);
        let retransmit = |r: &&crate::exchange::Reply| {
            r.flags.contains(TcpFlags::FIN) && Some(r.seq) == self.fin_retransmit
        };
        let replies = obs.replies.iter().filter(|r| !retransmit(r)).count();
        if replies < obs.replies.len() {
            self.notes.push(format!(
                "{step}: the kernel retransmitted its FIN (verified)"
            ));
        }
        if !expected.is_accept() && replies > 0 {
            problems.push(format!("{replies} replies to a segment the model drops"));
        }
        self.expected.push(format!("{step}: {}", expected.name()));
        self.observed.push(format!(
            "{step}: counters {:?}, trace {:?}, {} replies",
            obs.auth_counters,
            obs.trace,
            obs.replies.len()
        ));
        self.problems
            .extend(problems.into_iter().map(|p| format!("{step}: {p}")));
    }

    /// Requires `ok`.
    pub fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            self.problems.push(what.into());
        }
    }

    /// The finding, with the peer's verification of every kernel segment.
    pub fn finish(mut self, peers: &[&Peer]) -> Finding {
        for p in peers {
            self.problems.extend(p.checks.problems.iter().cloned());
            self.notes.push(format!(
                "{} kernel segments on {} verified by the reference library",
                p.checks.verified,
                p.peer()
            ));
        }
        Finding::compare(
            self.expected.join("; "),
            self.observed.join("; "),
            self.problems,
            self.notes,
        )
    }
}

/// An ISN per case and step, so segments of different steps never match.
pub fn isn(salt: u32) -> u32 {
    0x1500_0000u32.wrapping_add(salt.wrapping_mul(0x0101_0101))
}

/// A keyed listener, the peer, and the accepted connection.
pub type Established = (Listener, Peer, KernelConn);

/// Established: a listener with `key()` for the peer, a signed handshake,
/// the accepted socket (non-blocking) with the model it inherits.
pub fn established(ctx: &mut Ctx<'_>, family: Family, salt: u16) -> Result<Established, String> {
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
pub fn connect_peer(
    ctx: &mut Ctx<'_>,
    listener: &Listener,
    peer: &mut Peer,
    auth: &Auth,
) -> Result<KernelConn, String> {
    let obs = peer.handshake(&mut ctx.lab, &mut ctx.barrier, auth, auth)?;
    if !obs.auth_counters.is_empty() {
        return Err(format!("third ACK counted {:?}", obs.auth_counters));
    }
    let sock = listener
        .accept()?
        .ok_or("the handshake completed but accept() found nothing")?;
    sock.set_nonblocking(true).map_err(|e| e.to_string())?;
    Ok(KernelConn::from_accepted(sock, listener, peer.addrs.src()))
}

/// Sends `payload` with `auth` on an established connection and checks
/// verdict, delivery and the kernel's acknowledgement.
pub fn send_data(
    ctx: &mut Ctx<'_>,
    t: &mut Tally,
    step: &str,
    peer: &mut Peer,
    conn: &KernelConn,
    payload: &[u8],
    auth: &Auth,
) -> Result<bool, String> {
    let probe = peer.data(payload, auth);
    let expected = predict(&probe, &conn.model, ctx.env.semantics)?;
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &probe)?;
    t.verdict(step, &obs, expected);
    let got = conn.read_now().map_err(|e| format!("{step}: read: {e}"))?;
    let accepted = expected.is_accept();
    if accepted {
        peer.sent(payload.len());
        t.check(
            got.as_deref() == Some(payload),
            format!("{step}: the application read {got:?}, not the data"),
        );
    } else {
        t.check(
            got.is_none(),
            format!("{step}: the application read {got:?} from a dropped segment"),
        );
    }
    let (ack, _) = peer.certain_ack(&mut ctx.lab, &mut ctx.barrier)?;
    match ack {
        Some(a) => t.check(
            a.ack == peer.snd_nxt,
            format!(
                "{step}: the kernel acknowledges {:#x}, the peer has sent up to {:#x}",
                a.ack, peer.snd_nxt
            ),
        ),
        None => t
            .problems
            .push(format!("{step}: no ACK to the certain-answer probe")),
    }
    if accepted {
        t.notes.push(format!(
            "{step}: delivered and acknowledged by a verified ACK"
        ));
    }
    Ok(accepted)
}

/// Signed data after a probe: the connection still carries data.
pub fn signed_data_after(
    ctx: &mut Ctx<'_>,
    t: &mut Tally,
    peer: &mut Peer,
    conn: &KernelConn,
    payload: &[u8],
) -> Result<bool, String> {
    let signed = Auth::Signed(key());
    send_data(ctx, t, "signed data after", peer, conn, payload, &signed)
}

/// The effect of an RST on the application: ECONNRESET when `reset`, else
/// nothing to read and the connection still carries signed data.
pub fn rst_effect(
    ctx: &mut Ctx<'_>,
    t: &mut Tally,
    peer: &mut Peer,
    conn: &KernelConn,
    reset: bool,
) -> Result<(), String> {
    let read = conn.read_now();
    if reset {
        let errno = read.as_ref().err().and_then(std::io::Error::raw_os_error);
        t.check(
            errno == Some(libc::ECONNRESET),
            format!("the application sees {read:?}, not ECONNRESET"),
        );
        t.notes
            .push("the in-window RST reset the connection (ECONNRESET)".into());
    } else {
        t.check(
            matches!(read, Ok(None)),
            format!("the application sees {read:?} after an ignored RST"),
        );
        signed_data_after(ctx, t, peer, conn, b"still here")?;
    }
    Ok(())
}

/// A case body's result: a harness error becomes the finding.
pub fn run(f: impl FnOnce() -> Result<Finding, String>) -> Finding {
    f().unwrap_or_else(Finding::error)
}
/// `shutdown(SHUT_WR)` on the kernel socket: its FIN, verified by `peer`.
pub fn kernel_fin(
    ctx: &mut Ctx<'_>,
    peer: &mut Peer,
    conn: &KernelConn,
) -> Result<crate::exchange::Reply, String> {
    conn.sock
        .shutdown(std::net::Shutdown::Write)
        .map_err(|e| e.to_string())?;
    peer.wait_for(&mut ctx.lab, &|f| f.contains(TcpFlags::FIN))?
        .ok_or_else(|| "no FIN from the kernel after shutdown()".into())
}

/// Requires the kernel's FIN (sent after `after`) at the peer's `rcv_nxt`,
/// and lets the tally recognise its retransmissions.
pub fn expect_kernel_fin(t: &mut Tally, peer: &Peer, fin: &Reply, after: &str) {
    t.check(
        fin.seq == peer.rcv_nxt,
        format!(
            "the kernel's FIN at {:#x}, expected {:#x}",
            fin.seq, peer.rcv_nxt
        ),
    );
    t.fin_retransmit = Some(fin.seq);
    t.notes
        .push(format!("the kernel's FIN after {after} verified"));
}
