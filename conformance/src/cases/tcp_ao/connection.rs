//! The cases on an established AO connection and its handshake: data
//! (signed, wrong MAC, unknown KeyID, unsigned), RSTs, key rotation and
//! the SNE across a wrap.

use std::os::fd::AsFd;
use tcpmd5::Family;
use tcpmd5::ao::{Algorithm, OptionCoverage};
use tcpmd5::wire::SeqNumber;

use super::super::kit::ao::{ao_auth, ao_step, check_socket_counters};
use super::super::kit::ao_steps::{
    ProbeAuth, ao_auth_of, kernel_data, probe_auth, repair, send_data, signed_data_after,
};
use super::super::kit::conn::Step;
use super::{K1, K2, default_keys, established, kernel_key};
use crate::case::Ctx;
use crate::error::Error;
use crate::harness::ao_sockopt::{self, AoRepair};
use crate::peer::{Auth, Peer};
use crate::record::{Record, Role};
use crate::words;

pub(super) fn handshake(
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
    // (Linux tcp_ao_copy_all_matching, measured).
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
    conn.check_listed_keys(rec)?;
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

pub(super) fn data(
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
    signed_data_after(ctx, rec, &mut peer, &conn)?;
    Ok(peer)
}

pub(super) fn rst(
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
        signed_data_after(ctx, rec, &mut peer, &conn)?;
    }
    Ok(peer)
}

pub(super) fn rotation(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
) -> Result<Peer, Error> {
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
    conn.check_listed_keys(rec)?;
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

pub(super) fn sne_wrap(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
) -> Result<Peer, Error> {
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
