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

use std::io::Read as _;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;

use socket2::{Domain, Protocol, Socket, Type};
use tcpmd5::key_table::{KeyChange, KeyTable, KeyTableError, Md5SigRequest};
use tcpmd5::verdict::TimeWaitSubstate;
use tcpmd5::wire::TcpFlags;
use tcpmd5::{Family, Key, Semantics, Verdict, packet_verdict};

use super::common::{LISTEN_PORT, key, keyed_listener, wrong_key};
use super::timewait::{self, TwSock};
use crate::case::{Case, Ctx};
use crate::exchange::{Observation, Reply};
use crate::harness::{Errno, sockopt};
use crate::judge::witnesses;
use crate::listener::Listener;
use crate::outcome::Finding;
use crate::peer::{Auth, Peer, option_kinds};
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
    devices: Vec<(i32, bool)>,
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
        self.expected.push(format!("{step}: {}", expected.id()));
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
fn isn(salt: u32) -> u32 {
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

fn run(f: impl FnOnce() -> Result<Finding, String>) -> Finding {
    f().unwrap_or_else(Finding::error)
}

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
                    expected.id()
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

/// The kernel closes first (`shutdown(SHUT_WR)`), the peer's signed FIN
/// acknowledges its FIN, the descriptor is closed: a TIME-WAIT socket.
pub(super) fn time_wait(
    ctx: &mut Ctx<'_>,
    t: &mut Tally,
    conn: Established,
) -> Result<TwSock, String> {
    let (listener, mut peer, conn) = conn;
    let fin = kernel_fin(ctx, &mut peer, &conn)?;
    expect_kernel_fin(t, &peer, &fin, "shutdown(SHUT_WR)");
    peer.rcv_nxt = fin.seq.wrapping_add(1);
    // The peer's FIN acknowledging the kernel's: FIN-WAIT-1 -> TIME-WAIT.
    let probe = peer.fin(&Auth::Signed(key()));
    let expected = predict(&probe, &conn.model, ctx.env.semantics)?;
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &probe)?;
    t.verdict("peer FIN in FIN-WAIT", &obs, expected);
    if expected.is_accept() {
        peer.sent(1);
    }
    let ack = obs
        .replies
        .iter()
        .find(|r| r.flags == TcpFlags::ACK && r.ack == peer.snd_nxt)
        .cloned()
        .ok_or("no ACK of the peer's FIN entering TIME-WAIT")?;
    let keys = conn.model.clone();
    drop(conn);
    TwSock::new(listener, peer, keys, TimeWaitSubstate::TimeWait, &ack)
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
                    expected.id()
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
