//! A retransmitted FIN reaching the TIME-WAIT socket of an AO connection.

use tcpmd5::Family;
use tcpmd5::ao::{TimeWaitAck, timewait_ack};
use tcpmd5::key_table::KeyTable;
use tcpmd5::wire::TcpFlags;

use super::super::kit::ao::ao_step;
use super::super::kit::ao_steps::{ProbeAuth, probe_auth};
use super::super::kit::closing::timewait_verdict;
use super::super::kit::conn::{Step, record_verdict};
use super::{default_keys, established};
use crate::case::Ctx;
use crate::error::Error;
use crate::peer::Peer;
use crate::record::{Record, Role};
use crate::words;

pub(super) fn time_wait(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
    auth: ProbeAuth,
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
    let mkts = conn.mkts.clone();
    drop(conn);
    // The retransmitted FIN, unchecked; the timewait socket's ACK is
    // signed as the model says (`timewait_ack`: the key the FIN's
    // RNextKeyID names, unsigned for an unsigned FIN) and verified.
    let again = peer.segment(
        TcpFlags::FIN | TcpFlags::ACK,
        peer.snd_nxt - 1,
        peer.rcv_nxt,
        &[],
        &probe_auth(&peer, auth)?,
    );
    let expected = timewait_verdict(ctx, &again, &KeyTable::new())?;
    let signer = timewait_ack(&mkts, &again.segment())
        .map_err(|e| Error::Unmodelled(format!("the model cannot read the FIN: {e}")))?;
    rec.note(format!("the model's TIME-WAIT ACK: {signer:?}"));
    if let Some(ao) = peer.ao.as_mut() {
        ao.unsigned_expected = signer == TimeWaitAck::Unsigned;
        ao.last_kernel_ids = None;
    }
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, &again);
    if let Some(ao) = peer.ao.as_mut() {
        ao.unsigned_expected = false;
    }
    let obs = obs?;
    record_verdict(rec, &peer, Step::probe("retransmitted FIN"), &obs, expected);
    if let TimeWaitAck::Signed(k) = signer {
        let ids = peer.ao.as_ref().and_then(|a| a.last_kernel_ids);
        rec.check(
            ids.map(|(id, _)| id) == Some(k.send_id),
            format!(
                "the TIME-WAIT ACK carried KeyIDs {ids:?}, the model says KeyID {}",
                k.send_id
            ),
        );
    }
    let acked = obs
        .replies
        .iter()
        .any(|r| r.flags == TcpFlags::ACK && r.ack == peer.snd_nxt);
    rec.check(
        acked == (expected.is_accept() && signer != TimeWaitAck::NoAck),
        format!(
            "TIME-WAIT answered {}; the model {}",
            words::replies_detail(&obs.replies),
            if expected.is_accept() {
                "accepts: an ACK of the FIN"
            } else {
                "drops: no reply"
            }
        ),
    );
    Ok(peer)
}
