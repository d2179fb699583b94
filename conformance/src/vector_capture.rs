//! Captures RFC 2385 test vectors from the live kernel: segments the kernel
//! signs itself (SYN, SYN-ACK, handshake ACK, data, FIN, the ACK entering
//! TIME-WAIT, the TIME-WAIT socket's ACK, RST), on IPv4 and IPv6, under keys
//! of 1, 16, 79 and 80 bytes and binary keys with NUL bytes.
//!
//! The peer end of the lab is the suite's userspace TCP peer: it completes each
//! handshake with segments signed by the reference library, orders every
//! segment it sends with the barrier, and verifies every kernel segment it
//! sees (a failure is reported as a disagreement). Every captured packet becomes a digest vector
//! (`vectors/digest/kernel-<uname -r>.json`, schema `vectors/schema.json`)
//! with provenance `{"kind": "kernel", "kernel": "<uname -r>"}`; its expected
//! digest and verdicts come from the library, and a kernel segment that the
//! library does not verify is reported in [`CaptureSummary::disagreements`]
//! (and still written, with the library's verdict).
//!
//! Big payloads (beyond one 1500-byte MTU segment) are covered by crafted
//! vectors: the harness has no MTU setter.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::io::Write as _;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use socket2::{Domain, Protocol, Socket, Type};
use tcpmd5::key_table::{FLAG_IFINDEX, Md5SigOption};
use tcpmd5::vector_keys::{VectorKey, vector_keys};
use tcpmd5::wire::IpSegment;
use tcpmd5::wire::tcp::TcpFlags;
use tcpmd5::{Family, KeyTable, Md5SigRequest, Semantics, packet_verdict};

use crate::exchange::payload_len;
use crate::exchange::{Barrier, Reply};
use crate::harness::sockopt;
use crate::harness::{HarnessError, Lab, privilege, system};
use crate::listener::Listener;
use crate::peer::{Auth, Peer};
use crate::segment::SegmentSpec;

/// What [`capture`] wrote.
#[derive(Debug, Clone, Default)]
pub struct CaptureSummary {
    /// `uname -r` of the kernel the vectors came from.
    pub kernel: String,
    /// The file written.
    pub file: PathBuf,
    /// Vectors written.
    pub vectors: usize,
    /// Vectors per segment kind (`syn`, `syn-ack`, `ack`, `data`, ...).
    pub by_segment: BTreeMap<String, usize>,
    /// Vectors per family and key name.
    pub by_family_key: BTreeMap<String, usize>,
    /// Segments the scenarios expected but the kernel did not send.
    pub missing: Vec<String>,
    /// Kernel-signed segments the library does not accept under RFC 2385
    /// (should be empty).
    pub disagreements: Vec<String>,
    /// Kernel segments the peer verified as it saw them (each captured
    /// vector's segment among them).
    pub peer_verified: usize,
    /// Key-vector requests (`keys/*.json`) replayed on a live socket.
    pub key_requests_checked: usize,
    /// Key-vector requests skipped (VRF-bound: the lab has no VRF).
    pub key_requests_skipped: usize,
    /// Key-vector requests whose live result differs from the vector.
    pub key_request_mismatches: Vec<String>,
}

impl fmt::Display for CaptureSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "kernel {}: {} vectors -> {}",
            self.kernel,
            self.vectors,
            self.file.display()
        )?;
        writeln!(f, "by segment: {:?}", self.by_segment)?;
        writeln!(f, "by family/key: {:?}", self.by_family_key)?;
        if !self.missing.is_empty() {
            writeln!(f, "missing ({}): {:?}", self.missing.len(), self.missing)?;
        }
        writeln!(
            f,
            "library disagreements: {} {:?}",
            self.disagreements.len(),
            self.disagreements
        )?;
        writeln!(
            f,
            "kernel segments verified by the peer: {}",
            self.peer_verified
        )?;
        write!(
            f,
            "key requests replayed live: {} checked, {} skipped (VRF), mismatches: {:?}",
            self.key_requests_checked, self.key_requests_skipped, self.key_request_mismatches
        )
    }
}

/// Why a capture failed.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// No privilege for network namespaces.
    #[error("{0}")]
    Privilege(#[from] privilege::Unsupported),
    /// The lab or a raw socket failed.
    #[error("harness: {0}")]
    Harness(#[from] HarnessError),
    /// A socket call or the output file failed.
    #[error("{op}: {err}")]
    Io {
        /// What was being done.
        op: String,
        /// The error.
        err: std::io::Error,
    },
    /// The peer's exchange with the kernel failed.
    #[error("peer: {}", .0.chain())]
    Peer(#[source] crate::error::Error),
    /// The kernel has no TCP_MD5SIG.
    #[error("kernel without CONFIG_TCP_MD5SIG")]
    NoMd5,
}

fn io(op: impl Into<String>) -> impl FnOnce(std::io::Error) -> CaptureError {
    let op = op.into();
    move |err| CaptureError::Io { op, err }
}

/// A kernel release as it may appear in ids and file names
/// (`[a-z0-9._-]`, anything else becomes `-`).
fn id_safe(release: &str) -> String {
    release
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The peer's end of one scenario: a [`Peer`] driven over the lab with the
/// barrier, which verifies every kernel segment it sees with the reference
/// library; [`Wire::recv`] hands out each new kernel segment once
/// (retransmissions are skipped).
struct Wire<'a> {
    lab: &'a mut Lab,
    barrier: &'a mut Barrier,
    peer: Peer,
    /// The peer's authentication: signed with the scenario's key.
    signed: Auth,
    /// Kernel segments that came back during the last exchange.
    pending: VecDeque<Reply>,
    seen: BTreeSet<(u32, u32, u16, usize)>,
}

impl<'a> Wire<'a> {
    fn new(lab: &'a mut Lab, barrier: &'a mut Barrier, peer: Peer) -> Wire<'a> {
        let signed = Auth::with(peer.kernel_key.as_ref());
        Wire {
            lab,
            barrier,
            peer,
            signed,
            pending: VecDeque::new(),
            seen: BTreeSet::new(),
        }
    }

    /// Sends `probe` (then the barrier); keeps the kernel's replies.
    fn send(&mut self, probe: &SegmentSpec) -> Result<(), CaptureError> {
        let obs = self
            .peer
            .exchange(self.lab, self.barrier, probe)
            .map_err(CaptureError::Peer)?;
        self.pending.extend(obs.replies);
        Ok(())
    }

    /// The next new kernel segment whose flags satisfy `want`, or `None`
    /// when none comes in time.
    fn recv(&mut self, want: &dyn Fn(TcpFlags) -> bool) -> Result<Option<Reply>, CaptureError> {
        while let Some(r) = self.pending.pop_front() {
            if want(r.flags) && self.fresh(&r) {
                return Ok(Some(r));
            }
        }
        loop {
            let got = self
                .peer
                .wait_for(self.lab, want)
                .map_err(CaptureError::Peer)?;
            match got {
                None => return Ok(None),
                Some(r) if self.fresh(&r) => return Ok(Some(r)),
                Some(_) => {}
            }
        }
    }

    fn fresh(&mut self, r: &Reply) -> bool {
        self.seen
            .insert((r.seq.0, r.ack.0, r.flags.0, payload_len(r)))
    }

    /// Records the data segments of one write of `size` bytes.
    fn data(
        &mut self,
        sink: &mut Sink,
        at: &mut Step<'_>,
        size: usize,
        comment: &str,
    ) -> Result<bool, CaptureError> {
        let mut got = 0;
        while got < size {
            let want = |f: TcpFlags| f.contains(TcpFlags::ACK) && !f.contains(TcpFlags::FIN);
            let Some(d) = self.recv(&want)? else {
                sink.summary.missing.push(at.tag(&format!("data {size}")));
                return Ok(false);
            };
            let len = payload_len(&d);
            if len == 0 {
                continue;
            }
            got += len;
            self.peer.rcv_nxt = d.seq.add_len(len);
            at.push(sink, "data", comment, &d.packet);
        }
        let ack = self.peer.ack(&self.signed);
        self.send(&ack)?;
        Ok(true)
    }

    /// Reports the kernel segments the peer could not verify.
    fn report(&self, sink: &mut Sink, tag: &str) {
        sink.summary.peer_verified += self.peer.verified;
        sink.summary.disagreements.extend(
            self.peer
                .record
                .problems()
                .iter()
                .map(|p| format!("{tag}: peer verification: {p}")),
        );
    }
}

/// Where a scenario is: family, role, key and the next step number.
struct Step<'k> {
    family: Family,
    role: &'static str,
    key: &'k VectorKey,
    n: usize,
}

impl Step<'_> {
    fn tag(&self, what: &str) -> String {
        format!("{}/{}/{}/{what}", self.family, self.role, self.key.name)
    }

    fn push(&mut self, sink: &mut Sink, segment: &str, comment: &str, packet: &[u8]) {
        sink.push(
            self.family,
            self.role,
            self.key,
            self.n,
            segment,
            comment,
            packet,
        );
        self.n += 1;
    }
}

/// Accumulates vectors.
struct Sink {
    kernel: String,
    vectors: Vec<Value>,
    summary: CaptureSummary,
}

impl Sink {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        family: Family,
        role: &str,
        key: &VectorKey,
        step: usize,
        segment: &str,
        comment: &str,
        packet: &[u8],
    ) {
        let fam = match family {
            Family::V4 => "v4",
            Family::V6 => "v6",
        };
        let payload = IpSegment::parse(packet).map_or(0, |s| s.tcp().payload().len());
        let id = format!(
            "kernel-{}/{fam}-{role}-{}-{step:02}-{segment}-p{payload}",
            id_safe(&self.kernel),
            key.name
        );
        let k = key.key.clone();
        let Ok(seg) = IpSegment::parse(packet) else {
            self.summary
                .disagreements
                .push(format!("{id}: does not parse"));
            return;
        };
        let digest = tcpmd5::segment_digest(&seg.addrs, seg.segment, &k)
            .map(|d| hex(&d))
            .unwrap_or_default();
        let mut table = KeyTable::new();
        let src = seg.addrs.src();
        let _ = table.apply(
            Family::of(&src),
            &Md5SigRequest::add(src, &k),
            &[] as &[(i32, bool)],
        );
        let mut verdicts = serde_json::Map::new();
        for s in Semantics::ALL {
            let v = match packet_verdict(packet, &table, 0, s) {
                Ok(tcpmd5::Verdict::Accept(tcpmd5::Acceptance::Unsigned)) => {
                    "accept:unsigned".to_owned()
                }
                Ok(tcpmd5::Verdict::Accept(tcpmd5::Acceptance::Signed)) => {
                    "accept:signed".to_owned()
                }
                Ok(tcpmd5::Verdict::Accept(tcpmd5::Acceptance::AoNotChecked)) => {
                    "accept:ao-not-checked".to_owned()
                }
                Ok(tcpmd5::Verdict::Drop(r)) => format!("drop:{}", r.kernel_name()),
                Err(e) => {
                    self.summary.disagreements.push(format!("{id}: {e}"));
                    return;
                }
            };
            if s == Semantics::Rfc2385 && v != "accept:signed" {
                self.summary
                    .disagreements
                    .push(format!("{id}: library says {v}"));
            }
            verdicts.insert(s.id().to_owned(), Value::String(v));
        }
        self.vectors.push(json!({
            "id": id,
            "comment": format!("{comment}; {} ({})", key.what, if family == Family::V4 { "IPv4" } else { "IPv6" }),
            "provenance": {
                "kind": "kernel",
                "kernel": self.kernel,
                "generator": "conformance/src/vector_capture.rs",
                "scenario": role,
            },
            "family": if family == Family::V4 { "ipv4" } else { "ipv6" },
            "segment": segment,
            "packet": hex(packet),
            "key": hex(key.key.as_bytes()),
            "digest": digest,
            "verdict": Value::Object(verdicts),
        }));
        *self
            .summary
            .by_segment
            .entry(segment.to_owned())
            .or_default() += 1;
        *self
            .summary
            .by_family_key
            .entry(format!("{fam}/{}", key.name))
            .or_default() += 1;
    }
}

/// Kernel as client: SYN, handshake ACK, data (1 and 1460 bytes, the latter
/// split by the MSS), FIN, the ACK of the peer's FIN (entering TIME-WAIT)
/// and the TIME-WAIT socket's ACK of a retransmitted FIN.
fn client(
    lab: &mut Lab,
    barrier: &mut Barrier,
    sink: &mut Sink,
    family: Family,
    key: &VectorKey,
    peer_port: u16,
) -> Result<(), CaptureError> {
    let (kernel, peer) = (lab.kernel_addr(family), lab.peer_addr(family));
    let k = key.key.clone();
    let sock = Socket::new(
        Domain::for_address(SocketAddr::new(kernel, 0)),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(io("socket"))?;
    sockopt::set_md5sig(sock.as_fd(), &Md5SigRequest::add(peer, &k))
        .map_err(|e| io("setsockopt(TCP_MD5SIG)")(std::io::Error::from_raw_os_error(e.0)))?;
    sock.set_tcp_nodelay(true).map_err(io("TCP_NODELAY"))?;
    sock.bind(&SocketAddr::new(kernel, 0).into())
        .map_err(io("bind"))?;
    let kernel_port = sock
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map_or(0, |a| a.port());
    sock.set_nonblocking(true).map_err(io("nonblocking"))?;
    lab.drain()?;
    match sock.connect(&SocketAddr::new(peer, peer_port).into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(io("connect")(e)),
    }
    let peer = Peer::new(lab, family, peer_port, kernel_port, 0x5eed_0000, Some(k))
        .map_err(CaptureError::Peer)?;
    let mut w = Wire::new(lab, barrier, peer);
    let mut at = Step {
        family,
        role: "client",
        key,
        n: 0,
    };
    let done = client_steps(&mut w, sink, &mut at, sock);
    w.report(sink, &at.tag("all"));
    done
}

fn client_steps(
    w: &mut Wire<'_>,
    sink: &mut Sink,
    at: &mut Step<'_>,
    sock: Socket,
) -> Result<(), CaptureError> {
    let Some(syn) = w.recv(&|f| f.contains(TcpFlags::SYN) && !f.contains(TcpFlags::ACK))? else {
        sink.summary.missing.push(at.tag("syn"));
        return Ok(());
    };
    at.push(
        sink,
        "syn",
        "the kernel's SYN from connect() on a socket with a key",
        &syn.packet,
    );
    w.peer.rcv_nxt = syn.seq + 1;
    let synack = w.peer.syn_ack(&w.signed);
    w.send(&synack)?;
    w.peer.snd_nxt = w.peer.isn + 1;
    let Some(ack) = w.recv(&|f| f == TcpFlags::ACK)? else {
        sink.summary.missing.push(at.tag("ack"));
        return Ok(());
    };
    at.push(
        sink,
        "ack",
        "the kernel's handshake ACK (answering the peer's signed SYN-ACK)",
        &ack.packet,
    );
    for size in [1usize, 1460] {
        let data: Vec<u8> = (0..size)
            .map(|i| (i as u8).wrapping_mul(7).wrapping_add(size as u8))
            .collect();
        (&sock).write_all(&data).map_err(io("write"))?;
        let comment = format!("a data segment of the kernel's {size}-byte write");
        if !w.data(sink, at, size, &comment)? {
            return Ok(());
        }
    }
    sock.shutdown(Shutdown::Write).map_err(io("shutdown"))?;
    let Some(fin) = w.recv(&|f| f.contains(TcpFlags::FIN))? else {
        sink.summary.missing.push(at.tag("fin"));
        return Ok(());
    };
    at.push(
        sink,
        "fin",
        "the kernel's FIN after shutdown(SHUT_WR)",
        &fin.packet,
    );
    w.peer.rcv_nxt = fin.seq.add_len(payload_len(&fin)) + 1;
    let peer_fin = w.peer.fin(&w.signed);
    w.send(&peer_fin)?;
    w.peer.sent(1);
    let Some(last) = w.recv(&|f| f == TcpFlags::ACK)? else {
        sink.summary.missing.push(at.tag("ack of FIN"));
        return Ok(());
    };
    at.push(
        sink,
        "ack",
        "the kernel's ACK of the peer's FIN, entering TIME-WAIT",
        &last.packet,
    );
    drop(sock);
    // A retransmitted FIN reaches the TIME-WAIT socket, which ACKs it again
    // (signed with the key copied into the timewait sock).
    w.seen.clear();
    w.send(&peer_fin)?;
    match w.recv(&|f| f == TcpFlags::ACK)? {
        Some(tw) => at.push(
            sink,
            "time-wait-ack",
            "the TIME-WAIT socket's ACK of a retransmitted FIN",
            &tw.packet,
        ),
        None => sink.summary.missing.push(at.tag("time-wait ack")),
    }
    Ok(())
}

/// Kernel as server: SYN-ACK to a signed SYN, data (536 bytes), then RST
/// from close() with SO_LINGER 0.
fn server(
    lab: &mut Lab,
    barrier: &mut Barrier,
    sink: &mut Sink,
    family: Family,
    key: &VectorKey,
    kernel_port: u16,
    peer_port: u16,
) -> Result<(), CaptureError> {
    let k = key.key.clone();
    let mut listener =
        Listener::open(lab, family, kernel_port, false).map_err(CaptureError::Peer)?;
    listener
        .add_key(lab.peer_addr(family), &k)
        .map_err(CaptureError::Peer)?;
    lab.drain()?;
    let peer = Peer::new(lab, family, peer_port, kernel_port, 0x0c1e_0000, Some(k))
        .map_err(CaptureError::Peer)?;
    let mut w = Wire::new(lab, barrier, peer);
    let mut at = Step {
        family,
        role: "server",
        key,
        n: 0,
    };
    let done = server_steps(&mut w, sink, &mut at, &listener);
    w.report(sink, &at.tag("all"));
    done
}

fn server_steps(
    w: &mut Wire<'_>,
    sink: &mut Sink,
    at: &mut Step<'_>,
    listener: &Listener,
) -> Result<(), CaptureError> {
    let synack = match w.peer.syn_to_listener(w.lab, w.barrier, &w.signed) {
        Ok(r) => r,
        Err(e) => {
            sink.summary.missing.push(at.tag(&format!("syn-ack: {e}")));
            return Ok(());
        }
    };
    w.fresh(&synack);
    at.push(
        sink,
        "syn-ack",
        "the listener's SYN-ACK to the peer's signed SYN",
        &synack.packet,
    );
    let third = w.peer.ack(&w.signed);
    w.send(&third)?;
    // The barrier is back: the handshake is complete if it is going to be.
    let Some(conn) = listener.accept().map_err(CaptureError::Peer)? else {
        sink.summary.missing.push(at.tag("accept"));
        return Ok(());
    };
    conn.set_tcp_nodelay(true).map_err(io("TCP_NODELAY"))?;
    let data: Vec<u8> = (0..536u32).map(|i| (i % 251) as u8).collect();
    (&conn).write_all(&data).map_err(io("write"))?;
    let comment = "a data segment of the accepted socket's 536-byte write";
    if !w.data(sink, at, data.len(), comment)? {
        return Ok(());
    }
    // The ACK of the data has been processed (barrier): the RST's sequence
    // is final.
    conn.set_linger(Some(Duration::ZERO))
        .map_err(io("SO_LINGER"))?;
    drop(conn);
    match w.recv(&|f| f.contains(TcpFlags::RST))? {
        Some(rst) => at.push(
            sink,
            "rst",
            "the kernel's RST from close() with SO_LINGER 0",
            &rst.packet,
        ),
        None => sink.summary.missing.push(at.tag("rst")),
    }
    Ok(())
}

/// Runs every scenario in a fresh lab and writes
/// `out_dir/digest/kernel-<uname -r>.json` (`out_dir` is the `vectors/`
/// directory). Needs root or a user namespace ([`privilege::init`] is
/// called; call it first thing in `main`, while single-threaded).
pub fn capture(out_dir: &Path) -> Result<CaptureSummary, CaptureError> {
    privilege::init()?;
    if !sockopt::md5_supported().unwrap_or(false) {
        return Err(CaptureError::NoMd5);
    }
    let kernel = system::kernel_release();
    let mut sink = Sink {
        kernel: kernel.clone(),
        vectors: Vec::new(),
        summary: CaptureSummary {
            kernel: kernel.clone(),
            ..CaptureSummary::default()
        },
    };
    let mut lab = Lab::new()?;
    let mut barrier = Barrier::open(&lab).map_err(io("barrier listeners"))?;
    let mut port = 41000u16;
    for family in Family::ALL {
        for key in vector_keys() {
            port += 1;
            client(&mut lab, &mut barrier, &mut sink, family, &key, port)?;
            port += 1;
            server(
                &mut lab,
                &mut barrier,
                &mut sink,
                family,
                &key,
                port,
                port + 10000,
            )?;
        }
    }
    drop(barrier);
    check_key_vectors(out_dir, &mut sink.summary)?;
    drop(lab);
    let file = out_dir
        .join("digest")
        .join(format!("kernel-{}.json", id_safe(&kernel)));
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("mkdir {}", dir.display())))?;
    }
    let doc = json!({
        "group": "digest",
        "description": format!("Segments signed by the live Linux kernel {kernel}, captured by conformance/src/vector_capture.rs (kernel as client and as server, IPv4 and IPv6)."),
        "vectors": sink.vectors,
    });
    let mut text =
        serde_json::to_string_pretty(&doc).map_err(|e| io("json")(std::io::Error::other(e)))?;
    text.push('\n');
    std::fs::write(&file, text).map_err(io(format!("write {}", file.display())))?;
    let mut summary = sink.summary;
    summary.vectors = doc
        .get("vectors")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    summary.file = file;
    Ok(summary)
}

/// Replays the requests of every key vector (`out_dir/keys/*.json`) on a
/// fresh socket of the vector's family and compares success / errno with the
/// vector (`added`/`replaced`/`deleted` = 0). Requests binding a non-zero
/// ifindex are skipped (the lab has no VRF), and so is the rest of their
/// vector (later results depend on them).
fn check_key_vectors(out_dir: &Path, summary: &mut CaptureSummary) -> Result<(), CaptureError> {
    let dir = out_dir.join("keys");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(io(format!("read {}", path.display())))?;
        let doc: Value =
            serde_json::from_str(&text).map_err(|e| io("json")(std::io::Error::other(e)))?;
        for v in doc
            .get("vectors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = v.get("id").and_then(Value::as_str).unwrap_or("?");
            let domain = match v.get("socket_family").and_then(Value::as_str) {
                Some("ipv4") => Domain::IPV4,
                _ => Domain::IPV6,
            };
            let sock =
                Socket::new(domain, Type::STREAM, Some(Protocol::TCP)).map_err(io("socket"))?;
            let requests = v
                .get("requests")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut skipping = false;
            for (i, r) in requests.iter().enumerate() {
                let num = |k: &str| r.get(k).and_then(Value::as_i64).unwrap_or(0);
                let ifindex = num("ifindex") as i32;
                let flags = num("flags") as u8;
                if skipping || (flags & FLAG_IFINDEX != 0 && ifindex != 0) {
                    skipping = true;
                    summary.key_requests_skipped += 1;
                    continue;
                }
                let Some(addr) = r
                    .get("addr")
                    .and_then(Value::as_str)
                    .and_then(|a| a.parse::<IpAddr>().ok())
                else {
                    continue;
                };
                let key_hex = r.get("key").and_then(Value::as_str).unwrap_or("");
                let mut cmd = Md5SigRequest::delete(addr);
                for (slot, i) in cmd.key.iter_mut().zip((0..key_hex.len()).step_by(2)) {
                    *slot = key_hex
                        .get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .unwrap_or(0);
                }
                cmd.sa_family = num("sa_family") as u16;
                cmd.flags = flags;
                cmd.prefixlen = num("prefixlen") as u8;
                cmd.keylen = num("keylen") as u16;
                cmd.ifindex = ifindex;
                cmd.option = match r.get("option").and_then(Value::as_str) {
                    Some("TCP_MD5SIG_EXT") => Md5SigOption::Md5SigExt,
                    _ => Md5SigOption::Md5Sig,
                };
                cmd.optlen = num("optlen") as usize;
                let got = match sockopt::set_md5sig(sock.as_fd(), &cmd) {
                    Ok(()) => "0".to_owned(),
                    Err(e) => e.name(),
                };
                let want = match r.get("expected").and_then(Value::as_str) {
                    Some("added" | "replaced" | "deleted") => "0",
                    Some(other) => other,
                    None => "?",
                };
                summary.key_requests_checked += 1;
                if got != want {
                    summary
                        .key_request_mismatches
                        .push(format!("{id} request {i}: vector {want}, kernel {got}"));
                }
            }
        }
    }
    Ok(())
}
