//! The cases at an AO listener: `ao_required` with an unsigned SYN, and
//! MD5 and AO keys for different peers on one listener.

use tcpmd5::Family;
use tcpmd5::ao::{Algorithm, AoVerdict, OptionCoverage};
use tcpmd5::wire::TcpFlags;

use super::super::kit::ao::{
    AoListener, ao_handshake, ao_peer, ao_step, check_socket_counters, predict,
};
use super::super::kit::common::{LISTEN_PORT, key, other_peer};
use super::super::kit::conn::{Step, finish, isn, record_verdict};
use super::{K1, default_keys, kernel_key};
use crate::case::Ctx;
use crate::error::Error;
use crate::peer::{Auth, Peer};
use crate::record::{Record, Role};

pub(super) fn required_unsigned_syn(
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

pub(super) fn md5_and_ao(
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
            super::super::kit::conn::predict(&probe, &listener.listener.model, ctx.env.semantics)?;
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
