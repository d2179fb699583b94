//! TCP-AO (RFC 5925, algorithms RFC 5926) on a kernel with `CONFIG_TCP_AO`,
//! held to the model: the peer signs every segment with
//! [`tcpmd5::ao::sign_segment`] (traffic keys from the ISNs it observes,
//! SNE tracked), every kernel segment is verified by the model, and every
//! probe's verdict is [`tcpmd5::ao::receive`]'s for the socket's state and
//! MKTs, witnessed by the `TcpExt` counters (`TCPAOGood`, `TCPAOBad`,
//! `TCPAOKeyNotFound`, `TCPAORequired`), the drop tracepoints and the
//! socket's `TCP_AO_INFO` counters. One Row table, run per family.
//!
//! The kernel's keys are asymmetric (SendID 10, RecvID 20; a second key
//! 11/21) so that a peer mirroring them wrongly could not pass. Kernels
//! without TCP-AO skip every case (`Need::TcpAo`).

use std::io::Write as _;
use std::net::IpAddr;
use std::os::fd::AsFd;

use tcpmd5::Family;
use tcpmd5::ao::{Algorithm, AoVerdict, MasterKey, Mkt, OptionCoverage};
use tcpmd5::wire::{SeqNumber, TcpFlags};

use super::kit::ao::{
    AoConn, AoListener, ao_auth, ao_handshake, ao_peer, ao_peer_at, ao_step, check_socket_counters,
    predict,
};
use super::kit::common::{LISTEN_PORT, key, other_peer};
use super::kit::conn::{Step, acknowledges_all_sent, finish, isn, record_verdict};
use crate::ao_peer::AoSign;
use crate::case::{Case, Ctx, Need};
use crate::error::Error;
use crate::exchange::payload_len;
use crate::harness::ao_sockopt::{self, AoRepair};
use crate::harness::sockopt;
use crate::peer::{Auth, Peer};
use crate::record::{Record, Role};
use crate::words;

/// The kernel's first key: SendID 10, RecvID 20.
const K1: (u8, u8) = (10, 20);
/// The kernel's second key: SendID 11, RecvID 21.
const K2: (u8, u8) = (11, 21);
/// A KeyID no kernel key has.
const UNKNOWN_ID: u8 = 77;
/// `TCP_REPAIR_OFF_NO_WP`: repair off without a window probe.
const REPAIR_OFF_NO_WINDOW_PROBE: i32 = -1;

/// How a probe on the established connection is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProbeAuth {
    /// With the peer's current key.
    Signed,
    /// A MAC bit flipped after signing.
    WrongMac,
    /// With a key whose KeyID the kernel has no key for.
    UnknownKeyId,
    /// No AO option.
    Unsigned,
}

/// What a case does.
#[derive(Debug, Clone, Copy)]
enum Scenario {
    /// The handshake (SYN, SYN-ACK, third ACK) and data both ways.
    Handshake(Algorithm, OptionCoverage),
    /// Data on the established connection.
    Data(ProbeAuth),
    /// An in-window RST on the established connection.
    Rst(ProbeAuth),
    /// An unsigned SYN at a listener with `ao_required` and no key for the peer.
    RequiredUnsignedSyn,
    /// The peer's RNextKeyID makes the kernel switch its current key.
    Rotation,
    /// The peer's sequence numbers wrap; the kernel's SNE read and set
    /// through `TCP_AO_REPAIR`.
    SneWrap,
    /// An AO key for the peer and an MD5 key for another peer on one listener.
    Md5AndAo,
    /// A retransmitted FIN reaching TIME-WAIT.
    TimeWait,
}

/// One case.
#[derive(Debug, Clone, Copy)]
struct Row {
    name: &'static str,
    summary: &'static str,
    salt: u16,
    scenario: Scenario,
}

const ROWS: &[Row] = &[
    Row {
        name: "handshake-hmac-sha1",
        summary: "an HMAC-SHA-1-96 handshake and data both ways verify; the child's current key is the SYN's RNextKeyID",
        salt: 1,
        scenario: Scenario::Handshake(Algorithm::HmacSha1, OptionCoverage::Included),
    },
    Row {
        name: "handshake-aes-cmac",
        summary: "an AES-128-CMAC-96 handshake (21-byte master key, shortened by the KDF) and data both ways verify",
        salt: 2,
        scenario: Scenario::Handshake(Algorithm::AesCmac, OptionCoverage::Included),
    },
    Row {
        name: "options-excluded",
        summary: "with TCP_AO_KEYF_EXCLUDE_OPT the MACs of the SYN, SYN-ACK (MSS, ...) and data cover the AO option alone",
        salt: 3,
        scenario: Scenario::Handshake(Algorithm::HmacSha1, OptionCoverage::Excluded),
    },
    Row {
        name: "data-wrong-mac",
        summary: "data with a MAC bit flipped is dropped (TCPAOBad, tcp_ao_mismatch) and not delivered",
        salt: 4,
        scenario: Scenario::Data(ProbeAuth::WrongMac),
    },
    Row {
        name: "data-unknown-keyid",
        summary: "data signed with a KeyID no MKT has is dropped (TCPAOKeyNotFound, tcp_ao_key_not_found)",
        salt: 5,
        scenario: Scenario::Data(ProbeAuth::UnknownKeyId),
    },
    Row {
        name: "data-unsigned",
        summary: "unsigned data on an AO connection is dropped (TCPAORequired, tcp_hash_ao_required)",
        salt: 6,
        scenario: Scenario::Data(ProbeAuth::Unsigned),
    },
    Row {
        name: "required-unsigned-syn",
        summary: "TCP_AO_INFO ao_required: an unsigned SYN from a peer no MKT covers is dropped (TCPAORequired)",
        salt: 7,
        scenario: Scenario::RequiredUnsignedSyn,
    },
    Row {
        name: "key-rotation",
        summary: "the peer's RNextKeyID switches the kernel's current key (TCP_AO_INFO before/after, KeyID of its next segment)",
        salt: 8,
        scenario: Scenario::Rotation,
    },
    Row {
        name: "sne-wrap",
        summary: "data across the peer's 2^32 wrap verifies with SNE 1; TCP_AO_REPAIR reads the kernel's SNEs and sets its send SNE",
        salt: 9,
        scenario: Scenario::SneWrap,
    },
    Row {
        name: "rst-signed",
        summary: "an AO-signed in-window RST resets the connection (ECONNRESET)",
        salt: 10,
        scenario: Scenario::Rst(ProbeAuth::Signed),
    },
    Row {
        name: "rst-unsigned",
        summary: "an unsigned in-window RST is dropped (TCPAORequired); the connection lives on",
        salt: 11,
        scenario: Scenario::Rst(ProbeAuth::Unsigned),
    },
    Row {
        name: "rst-wrong-mac",
        summary: "an in-window RST with a wrong MAC is dropped (TCPAOBad); the connection lives on",
        salt: 12,
        scenario: Scenario::Rst(ProbeAuth::WrongMac),
    },
    Row {
        name: "md5-and-ao-listener",
        summary: "one listener: an AO handshake from the peer its MKT covers, an MD5 handshake from another peer",
        salt: 13,
        scenario: Scenario::Md5AndAo,
    },
    Row {
        name: "time-wait-fin",
        summary: "an AO-signed retransmitted FIN reaching TIME-WAIT is answered by an AO-signed ACK the model verifies",
        salt: 14,
        scenario: Scenario::TimeWait,
    },
];

/// Every TCP-AO case.
pub(super) fn cases() -> Vec<Case> {
    ROWS.iter()
        .flat_map(|row| {
            Case::per_family("tcp-ao", row.name, row.summary, move |ctx, family| {
                run_row(ctx, family, row)
            })
        })
        .map(|c| c.with_need(Need::TcpAo))
        .collect()
}

/// The master key of the kernel's keys: 21 bytes (for AES-128-CMAC not
/// 16, so the KDF shortens it first, RFC 5926 §3.1.2).
fn secret() -> Result<MasterKey, Error> {
    MasterKey::new(b"tcpmd5-ao-conformance").map_err(Error::MasterKey)
}

/// A kernel key for `peer` with `(SendID, RecvID)`.
fn kernel_key(
    peer: IpAddr,
    (send_id, recv_id): (u8, u8),
    alg: Algorithm,
    coverage: OptionCoverage,
) -> Result<Mkt, Error> {
    Ok(Mkt {
        coverage,
        ..Mkt::new(peer, send_id, recv_id, alg, secret()?)
    })
}

fn run_row(ctx: &mut Ctx<'_>, family: Family, row: &Row) -> Result<crate::outcome::Finding, Error> {
    let mut rec = Record::new();
    let peer = match row.scenario {
        Scenario::Handshake(alg, coverage) => {
            handshake(ctx, &mut rec, family, row.salt, alg, coverage)?
        }
        Scenario::Data(auth) => data(ctx, &mut rec, family, row.salt, auth)?,
        Scenario::Rst(auth) => rst(ctx, &mut rec, family, row.salt, auth)?,
        Scenario::RequiredUnsignedSyn => required_unsigned_syn(ctx, &mut rec, family, row.salt)?,
        Scenario::Rotation => rotation(ctx, &mut rec, family, row.salt)?,
        Scenario::SneWrap => sne_wrap(ctx, &mut rec, family, row.salt)?,
        Scenario::Md5AndAo => return md5_and_ao(ctx, rec, family, row.salt),
        Scenario::TimeWait => time_wait(ctx, &mut rec, family, row.salt)?,
    };
    Ok(finish(rec, &[&peer]))
}

/// A listener holding `keys` for the peer, the AO peer mirroring them
/// (signing with KeyID = `K1`'s RecvID, asking for `K1`'s SendID), and the
/// accepted connection; the handshake's steps have `role`.
fn established(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
    keys: &[Mkt],
    peer_isn: Option<SeqNumber>,
    role: Role,
) -> Result<(AoListener, Peer, AoConn), Error> {
    let mut listener = AoListener::open(ctx, family)?;
    for k in keys {
        listener.add(k)?;
    }
    let ids = (K1.1, K1.0);
    let mut peer = match peer_isn {
        Some(isn) => ao_peer_at(ctx, family, salt, keys, ids, isn)?,
        None => ao_peer(ctx, family, salt, keys, ids)?,
    };
    let (conn, _) = ao_handshake(ctx, rec, &listener, &mut peer, role)?;
    Ok((listener, peer, conn))
}

/// The kernel's keys for the default peer: `K1` (and `K2` when `two`).
fn default_keys(ctx: &Ctx<'_>, family: Family, two: bool) -> Result<Vec<Mkt>, Error> {
    let peer = ctx.lab.peer_addr(family);
    let mut keys = vec![kernel_key(
        peer,
        K1,
        Algorithm::HmacSha1,
        OptionCoverage::Included,
    )?];
    if two {
        keys.push(kernel_key(
            peer,
            K2,
            Algorithm::HmacSha1,
            OptionCoverage::Included,
        )?);
    }
    Ok(keys)
}

/// The authentication of a probe.
fn probe_auth(peer: &Peer, auth: ProbeAuth) -> Result<Auth, Error> {
    let sign = match peer.default_auth() {
        Auth::AoMac(s) => s,
        other => {
            return Err(Error::Unmodelled(format!(
                "the peer signs {}",
                other.name()
            )));
        }
    };
    Ok(match auth {
        ProbeAuth::Signed => Auth::AoMac(sign),
        ProbeAuth::WrongMac => Auth::AoMac(AoSign {
            corrupt: true,
            ..sign
        }),
        ProbeAuth::UnknownKeyId => Auth::AoMac(AoSign {
            mkt: Mkt {
                send_id: UNKNOWN_ID,
                ..sign.mkt
            },
            ..sign
        }),
        ProbeAuth::Unsigned => Auth::Unsigned,
    })
}

/// Sends `payload` with `auth` on the established connection: the model's
/// verdict, the socket's `TCP_AO_INFO` counters, delivery, and the
/// kernel's acknowledgement (a certain answer). Returns the model's
/// outcome and the current key before and after.
fn send_data(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    step: Step<'_>,
    peer: &mut Peer,
    conn: &AoConn,
    payload: &[u8],
    auth: &Auth,
) -> Result<(tcpmd5::ao::AoOutcome, Option<u8>, Option<u8>), Error> {
    let before = conn.info()?;
    let current = before.current_key.unwrap_or_default();
    let probe = peer.data(payload, auth);
    let socket = conn.socket(peer, current);
    let (outcome, _) = ao_step(ctx, rec, peer, step, &probe, &socket)?;
    let after = conn.info()?;
    check_socket_counters(
        rec,
        step.name,
        &before.counters,
        &after.counters,
        outcome.counter,
    );
    let got = conn.conn.read_now();
    let accepted = outcome.verdict.verdict().is_some_and(|v| v.is_accept());
    if accepted {
        peer.sent(payload.len());
        rec.check(
            matches!(&got, Ok(Some(b)) if b.as_slice() == payload),
            format!("{}: the application read {}", step.name, words::read(&got)),
        );
    } else {
        rec.check(
            matches!(got, Ok(None)),
            format!(
                "{}: the application read {} from a dropped segment",
                step.name,
                words::read(&got)
            ),
        );
    }
    acknowledges_all_sent(ctx, rec, peer, step.name)?;
    Ok((outcome, before.current_key, after.current_key))
}

/// The kernel writes `payload`: its data segment, verified by the model,
/// then the peer's AO-signed ACK of it.
fn kernel_data(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    peer: &mut Peer,
    conn: &AoConn,
    payload: &[u8],
) -> Result<(), Error> {
    (&conn.conn.sock)
        .write_all(payload)
        .map_err(Error::io("write on the accepted socket"))?;
    let data = peer
        .wait_for(&mut ctx.lab, &|f| f.contains(TcpFlags::PSH))?
        .ok_or_else(|| Error::NotSeen("no data segment after write()".to_owned()))?;
    rec.check(
        data.seq == peer.rcv_nxt && payload_len(&data) == payload.len(),
        format!(
            "the kernel's data at {:#x} ({} bytes), expected {:#x} ({} bytes)",
            data.seq,
            payload_len(&data),
            peer.rcv_nxt,
            payload.len()
        ),
    );
    peer.rcv_nxt = peer.rcv_nxt.add_len(payload.len());
    let current = conn.info()?.current_key.unwrap_or_default();
    let ack = peer.ack(&peer.default_auth());
    ao_step(
        ctx,
        rec,
        peer,
        Step::setup("ACK of the kernel's data"),
        &ack,
        &conn.socket(peer, current),
    )?;
    Ok(())
}

fn handshake(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
    alg: Algorithm,
    coverage: OptionCoverage,
) -> Result<Peer, Error> {
    let keys = vec![kernel_key(ctx.lab.peer_addr(family), K1, alg, coverage)?];
    let (_listener, mut peer, conn) =
        established(ctx, rec, family, salt, &keys, None, Role::Probe)?;
    // The child's current key is the one whose SendID the SYN's RNextKeyID
    // names, its RNext key the one whose RecvID the SYN's KeyID names
    // (RFC 5925 §7.5.2; Linux tcp_ao_copy_all_matching).
    let info = conn.info()?;
    rec.check(
        info.current_key == Some(K1.0) && info.rnext == Some(K1.1),
        format!(
            "TCP_AO_INFO of the child: current {:?}, rnext {:?}; want {:?}, {:?}",
            info.current_key,
            info.rnext,
            Some(K1.0),
            Some(K1.1)
        ),
    );
    let signed = peer.default_auth();
    send_data(
        ctx,
        rec,
        Step::probe("data"),
        &mut peer,
        &conn,
        b"OPEN",
        &signed,
    )?;
    kernel_data(ctx, rec, &mut peer, &conn, b"KEEPALIVE")?;
    if coverage == OptionCoverage::Excluded {
        rec.note("the MACs exclude the options (TCP_AO_KEYF_EXCLUDE_OPT)");
    }
    Ok(peer)
}

fn data(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
    auth: ProbeAuth,
) -> Result<Peer, Error> {
    let keys = default_keys(ctx, family, false)?;
    let (_listener, mut peer, conn) =
        established(ctx, rec, family, salt, &keys, None, Role::Setup)?;
    let probe = probe_auth(&peer, auth)?;
    send_data(
        ctx,
        rec,
        Step::probe("data"),
        &mut peer,
        &conn,
        b"UPDATE",
        &probe,
    )?;
    let signed = peer.default_auth();
    send_data(
        ctx,
        rec,
        Step::setup("signed data after"),
        &mut peer,
        &conn,
        b"still here",
        &signed,
    )?;
    Ok(peer)
}

fn rst(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
    auth: ProbeAuth,
) -> Result<Peer, Error> {
    let keys = default_keys(ctx, family, false)?;
    let (_listener, mut peer, conn) =
        established(ctx, rec, family, salt, &keys, None, Role::Setup)?;
    let before = conn.info()?;
    let probe = peer.rst(0, &probe_auth(&peer, auth)?);
    let socket = conn.socket(&peer, before.current_key.unwrap_or_default());
    let (outcome, _) = ao_step(ctx, rec, &mut peer, Step::probe("RST"), &probe, &socket)?;
    let reset = outcome.verdict.verdict().is_some_and(|v| v.is_accept());
    let read = conn.conn.read_now();
    if reset {
        let errno = read.as_ref().err().and_then(std::io::Error::raw_os_error);
        rec.check(
            errno == Some(libc::ECONNRESET),
            format!(
                "the application sees {}, not ECONNRESET",
                words::read(&read)
            ),
        );
    } else {
        let after = conn.info()?;
        check_socket_counters(
            rec,
            "RST",
            &before.counters,
            &after.counters,
            outcome.counter,
        );
        rec.check(
            matches!(read, Ok(None)),
            format!(
                "the application sees {} after a dropped RST",
                words::read(&read)
            ),
        );
        let signed = peer.default_auth();
        send_data(
            ctx,
            rec,
            Step::setup("signed data after"),
            &mut peer,
            &conn,
            b"still here",
            &signed,
        )?;
    }
    Ok(peer)
}

fn required_unsigned_syn(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
) -> Result<Peer, Error> {
    let mut listener = AoListener::open(ctx, family)?;
    let other = other_peer(family);
    listener.add(&kernel_key(
        other,
        K1,
        Algorithm::HmacSha1,
        OptionCoverage::Included,
    )?)?;
    listener.require_ao()?;
    let before = listener.info()?;
    rec.check(
        before.ao_required,
        "TCP_AO_INFO of the listener does not report ao_required",
    );
    let mut peer = Peer::new(
        &ctx.lab,
        family,
        42000 + salt,
        LISTEN_PORT,
        isn(u32::from(salt)),
        None,
    )?;
    let syn = peer.syn(&Auth::Unsigned);
    let socket = listener.socket(peer.addrs.src(), tcpmd5::ao::AoSocketState::Listen);
    let (outcome, _) = ao_step(
        ctx,
        rec,
        &mut peer,
        Step::probe("unsigned SYN"),
        &syn,
        &socket,
    )?;
    let after = listener.info()?;
    check_socket_counters(
        rec,
        "unsigned SYN",
        &before.counters,
        &after.counters,
        outcome.counter,
    );
    Ok(peer)
}

fn rotation(ctx: &mut Ctx<'_>, rec: &mut Record, family: Family, salt: u16) -> Result<Peer, Error> {
    let keys = default_keys(ctx, family, true)?;
    let (_listener, mut peer, conn) =
        established(ctx, rec, family, salt, &keys, None, Role::Setup)?;
    // Signed with K1 (KeyID K1.1), asking the kernel to send with K2; the
    // peer's later segments (the certain-answer probe too) keep asking for
    // K2: Linux switches its current key on every segment whose
    // RNextKeyID differs from it, back again if asked.
    let ask = ao_auth(&peer, K1.1, K2.0)?;
    if let (Some(ao), Auth::AoMac(s)) = (peer.ao.as_mut(), &ask) {
        ao.sign = s.clone();
    }
    let (outcome, before, after) = send_data(
        ctx,
        rec,
        Step::probe("RNextKeyID"),
        &mut peer,
        &conn,
        b"ROTATE",
        &ask,
    )?;
    let want_after = match outcome.rnext_request {
        Some(r) if r.switched => Some(r.requested),
        _ => before,
    };
    rec.check(
        before == Some(K1.0) && after == want_after,
        format!(
            "TCP_AO_INFO current key {before:?} -> {after:?}; the model says {:?} -> {want_after:?}",
            Some(K1.0)
        ),
    );
    rec.note(format!(
        "model: {:?}; TCP_AO_INFO current key {before:?} -> {after:?}",
        outcome.rnext_request
    ));
    // The kernel's answer to the certain-answer probe was signed with the
    // new key: its KeyID is K2's SendID.
    let last = peer.ao.as_ref().and_then(|a| a.last_kernel_ids);
    rec.check(
        last.map(|(id, _)| id) == want_after,
        format!("the kernel's last segment carried KeyIDs {last:?}, want KeyID {want_after:?}"),
    );
    // The peer moves to K2 as well: still accepted.
    if let Some(ao) = peer.ao.as_mut()
        && let Auth::AoMac(s) = ao_auth_of(&ao.mkts, K2.1, K2.0)?
    {
        ao.sign = s;
    }
    let k2 = peer.default_auth();
    send_data(
        ctx,
        rec,
        Step::probe("data with K2"),
        &mut peer,
        &conn,
        b"NEW KEY",
        &k2,
    )?;
    Ok(peer)
}

/// The AO signing with the key of `mkts` whose SendID is `key_id`.
fn ao_auth_of(mkts: &[Mkt], key_id: u8, rnext: u8) -> Result<Auth, Error> {
    let mkt = mkts
        .iter()
        .find(|k| k.send_id == key_id)
        .cloned()
        .ok_or_else(|| Error::Unmodelled(format!("the peer holds no key with SendID {key_id}")))?;
    Ok(Auth::AoMac(AoSign {
        mkt,
        rnext,
        corrupt: false,
    }))
}

/// `TCP_REPAIR` on (1) or off without a window probe.
fn repair(conn: &AoConn, on: bool) -> Result<(), Error> {
    let value: i32 = if on { 1 } else { REPAIR_OFF_NO_WINDOW_PROBE };
    sockopt::setsockopt_tcp(
        conn.conn.sock.as_fd(),
        libc::TCP_REPAIR,
        &value.to_ne_bytes(),
    )
    .map_err(Error::errno(format!("TCP_REPAIR {value}")))
}

fn sne_wrap(ctx: &mut Ctx<'_>, rec: &mut Record, family: Family, salt: u16) -> Result<Peer, Error> {
    const CHUNK: usize = 0x100;
    let keys = default_keys(ctx, family, false)?;
    // Three chunks before the wrap, the third one across it.
    let peer_isn = SeqNumber(0u32.wrapping_sub(3 * CHUNK as u32 + 0x10));
    let (_listener, mut peer, conn) =
        established(ctx, rec, family, salt, &keys, Some(peer_isn), Role::Setup)?;
    let signed = peer.default_auth();
    for i in 0..4u8 {
        let payload = [b'a' + i; CHUNK];
        let name = format!("data {i} at {:#x}", peer.snd_nxt);
        send_data(
            ctx,
            rec,
            Step::probe(&name),
            &mut peer,
            &conn,
            &payload,
            &signed,
        )?;
    }
    let peer_sne = peer.ao.as_ref().map(|a| a.send_sne());
    rec.note(format!("the peer's SNE and sequence number: {peer_sne:?}"));
    // The kernel's own account of its SNEs and ISNs.
    repair(&conn, true)?;
    let got =
        ao_sockopt::get_repair(conn.conn.sock.as_fd()).map_err(Error::ao_sockopt("TCP_AO_REPAIR"));
    let placed = got.and_then(|r| {
        rec.check(
            r.snt_isn == conn.kernel_isn
                && r.rcv_isn == peer.isn.0
                && Some(r.rcv_sne) == peer_sne.map(|(sne, _)| sne)
                && r.snd_sne == 0,
            format!(
                "TCP_AO_REPAIR: {r:?}; want ISNs {:#x}/{:#x}, rcv_sne {:?}, snd_sne 0",
                conn.kernel_isn,
                peer.isn.0,
                peer_sne.map(|(sne, _)| sne)
            ),
        );
        // Move the kernel's send SNE on, as if its sequence numbers had
        // wrapped 7 times: its next segments must be signed with SNE 7.
        let moved = AoRepair { snd_sne: 7, ..r };
        ao_sockopt::set_repair(conn.conn.sock.as_fd(), &moved)
            .map_err(Error::errno("TCP_AO_REPAIR set"))
    });
    repair(&conn, false)?;
    placed?;
    if let Some(ao) = peer.ao.as_mut() {
        ao.shift_recv_sne(7);
    }
    kernel_data(ctx, rec, &mut peer, &conn, b"after the SNE moved")?;
    rec.note("the kernel signed with the send SNE TCP_AO_REPAIR set (7), verified by the model");
    Ok(peer)
}

fn md5_and_ao(
    ctx: &mut Ctx<'_>,
    mut rec: Record,
    family: Family,
    salt: u16,
) -> Result<crate::outcome::Finding, Error> {
    let keys = default_keys(ctx, family, false)?;
    let mut listener = AoListener::open(ctx, family)?;
    for k in &keys {
        listener.add(k)?;
    }
    let other = other_peer(family);
    ctx.lab
        .add_peer(other)
        .map_err(Error::harness("making the other peer reachable"))?;
    listener.listener.add_key(other, &key())?;
    let mut ao = ao_peer(ctx, family, salt, &keys, (K1.1, K1.0))?;
    ao_handshake(ctx, &mut rec, &listener, &mut ao, Role::Probe)?;
    let mut md5 = Peer::from_addr(
        &ctx.lab,
        family,
        other,
        43000 + salt,
        LISTEN_PORT,
        isn(u32::from(salt) + 100),
        Some(key()),
    )?;
    let signed = Auth::Signed(key());
    for (name, third) in [("MD5 SYN", false), ("MD5 third ACK", true)] {
        let probe = if third {
            md5.ack(&signed)
        } else {
            md5.syn(&signed)
        };
        let state = if third {
            tcpmd5::ao::AoSocketState::Request {
                used_ao: false,
                remote_isn: md5.isn.0,
                local_isn: md5.rcv_nxt.0.wrapping_sub(1),
            }
        } else {
            tcpmd5::ao::AoSocketState::Listen
        };
        let ao_outcome = predict(&listener.socket(other, state), &probe)?;
        rec.check(
            ao_outcome.verdict == AoVerdict::Md5,
            format!(
                "{name}: the AO model says {:?}, not the MD5 check",
                ao_outcome.verdict
            ),
        );
        let expected =
            super::kit::conn::predict(&probe, &listener.listener.model, ctx.env.semantics)?;
        let obs = md5.exchange(&mut ctx.lab, &mut ctx.barrier, &probe)?;
        record_verdict(&mut rec, &md5, Step::probe(name), &obs, expected);
        if !third {
            let synack = obs
                .replies
                .iter()
                .find(|r| r.flags.contains(TcpFlags::SYN | TcpFlags::ACK))
                .cloned()
                .ok_or_else(|| Error::NotSeen("no SYN-ACK to the MD5 SYN".to_owned()))?;
            md5.snd_nxt = md5.isn + 1;
            md5.rcv_nxt = synack.seq + 1;
        }
    }
    // The AO connection was accepted by the handshake; the MD5 one waits.
    rec.check(
        listener.listener.accept()?.is_some(),
        "accept() did not return the MD5 connection",
    );
    Ok(finish(rec, &[&ao, &md5]))
}

fn time_wait(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
) -> Result<Peer, Error> {
    let keys = default_keys(ctx, family, false)?;
    let (_listener, mut peer, conn) =
        established(ctx, rec, family, salt, &keys, None, Role::Setup)?;
    conn.conn
        .sock
        .shutdown(std::net::Shutdown::Write)
        .map_err(Error::io("shutdown(SHUT_WR)"))?;
    let fin = peer
        .wait_for(&mut ctx.lab, &|f| f.contains(TcpFlags::FIN))?
        .ok_or_else(|| Error::NotSeen("no FIN from the kernel after shutdown()".to_owned()))?;
    rec.check(
        fin.seq == peer.rcv_nxt,
        format!(
            "the kernel's FIN at {:#x}, expected {:#x}",
            fin.seq, peer.rcv_nxt
        ),
    );
    peer.kernel_fin_seq = Some(fin.seq);
    peer.rcv_nxt = fin.seq + 1;
    let current = conn.info()?.current_key.unwrap_or_default();
    let our_fin = peer.fin(&peer.default_auth());
    let socket = conn.socket(&peer, current);
    let (outcome, obs) = ao_step(
        ctx,
        rec,
        &mut peer,
        Step::setup("peer FIN"),
        &our_fin,
        &socket,
    )?;
    if outcome.verdict.verdict().is_some_and(|v| v.is_accept()) {
        peer.sent(1);
    }
    rec.check(
        obs.replies
            .iter()
            .any(|r| r.flags == TcpFlags::ACK && r.ack == peer.snd_nxt),
        "no ACK of the peer's FIN entering TIME-WAIT",
    );
    drop(conn);
    // The retransmitted FIN: the TIME-WAIT path checks no TCP-AO MAC (as
    // it checks no MD5 digest); the timewait socket answers with an ACK
    // signed with the connection's key, which the model verifies.
    let again = peer.segment(
        TcpFlags::FIN | TcpFlags::ACK,
        peer.snd_nxt - 1,
        peer.rcv_nxt,
        &[],
        &peer.default_auth(),
    );
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &again)?;
    let acked = obs
        .replies
        .iter()
        .any(|r| r.flags == TcpFlags::ACK && r.ack == peer.snd_nxt);
    rec.step(
        crate::outcome::Behaviour::Words("ACK (AO-signed)".to_owned()),
        crate::outcome::Behaviour::Words(if acked {
            "ACK (AO-signed)".to_owned()
        } else {
            crate::judge::evidence(&obs)
        }),
    );
    rec.check(
        obs.auth_counters.is_empty(),
        format!(
            "TIME-WAIT moved counters: {}",
            words::counters(&obs.auth_counters)
        ),
    );
    Ok(peer)
}
