//! The kernel's sequence numbers across 2^32: a connection placed by
//! `TCP_REPAIR` 0x81 bytes short of the wrap (traffic cannot bring a
//! random ISN there), then data the kernel signs across it.

use std::os::fd::AsFd;

use tcpmd5::Family;

use super::super::kit::ao::ao_step;
use super::super::kit::ao_repair::repaired;
use super::super::kit::ao_steps::{kernel_data, repair};
use super::super::kit::conn::{Step, isn};
use super::{K1, default_keys};
use crate::case::Ctx;
use crate::error::Error;
use crate::harness::ao_sockopt;
use crate::outcome::Behaviour;
use crate::peer::Peer;
use crate::record::Record;

/// The kernel's ISN: its first data byte is 0x80 short of the wrap.
const KERNEL_ISN: u32 = 0xffff_ff7f;
/// Bytes of the first write: it ends past the wrap.
const ACROSS: usize = 0x100;

pub(super) fn kernel_sne_wrap(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    family: Family,
    salt: u16,
) -> Result<Peer, Error> {
    let keys = default_keys(ctx, family, false)?;
    let peer_isn = isn(u32::from(salt)).0;
    let (mut peer, conn) = repaired(
        ctx,
        family,
        salt,
        &keys,
        (K1.1, K1.0),
        (KERNEL_ISN, peer_isn),
    )?;
    let current = conn.info()?.current_key.unwrap_or_default();
    let ack = peer.ack(&peer.default_auth());
    let socket = conn.socket(&peer, current);
    ao_step(
        ctx,
        rec,
        &mut peer,
        Step::setup("the peer's first ACK"),
        &ack,
        &socket,
    )?;
    // Across the wrap (sequence number before it: SNE 0), then after it
    // (SNE 1): each verified by the model at the SNE it computes.
    let before = peer.ao.as_ref().and_then(|a| a.recv_sne_of(peer.rcv_nxt.0));
    kernel_data(ctx, rec, &mut peer, &conn, &[b'w'; ACROSS])?;
    let after = peer.ao.as_ref().and_then(|a| a.recv_sne_of(peer.rcv_nxt.0));
    kernel_data(ctx, rec, &mut peer, &conn, b"after the wrap")?;
    rec.note(format!(
        "the kernel's data verified at SNE {before:?} (seq {:#x}), then {after:?}",
        KERNEL_ISN.wrapping_add(1)
    ));
    // The kernel's own account once the wrap is acknowledged.
    repair(&conn, true)?;
    let got =
        ao_sockopt::get_repair(conn.conn.sock.as_fd()).map_err(Error::ao_sockopt("TCP_AO_REPAIR"));
    repair(&conn, false)?;
    let got = got?;
    rec.note(format!("TCP_AO_REPAIR after the wrap: {got:?}"));
    rec.check(
        got.snt_isn == KERNEL_ISN && got.rcv_isn == peer_isn && got.rcv_sne == 0,
        format!("TCP_AO_REPAIR: {got:?}; want ISNs {KERNEL_ISN:#x}/{peer_isn:#x}, rcv_sne 0"),
    );
    let sne = |v: Option<u32>| v.map_or("no SNE".to_owned(), |s| format!("send SNE {s}"));
    rec.step(
        Behaviour::Words(sne(after)),
        Behaviour::Words(sne(Some(got.snd_sne))),
    );
    Ok(peer)
}
