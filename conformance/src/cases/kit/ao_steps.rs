//! The steps the `tcp-ao` area repeats on an established AO connection:
//! how a probe is authenticated, data from the peer (verdict, the socket's
//! `TCP_AO_INFO` counters, delivery, a certain answer), data from the
//! kernel (verified by the model, ACKed), and `TCP_REPAIR`.

use std::io::Write as _;
use std::os::fd::AsFd;

use tcpmd5::ao::{AoOutcome, Mkt};
use tcpmd5::wire::TcpFlags;

use super::ao::{AoConn, ao_step, check_socket_counters};
use super::conn::{Step, acknowledges_all_sent};
use crate::ao_peer::AoSign;
use crate::case::Ctx;
use crate::error::Error;
use crate::exchange::payload_len;
use crate::harness::sockopt;
use crate::peer::{Auth, Peer};
use crate::record::Record;
use crate::words;

/// A KeyID no kernel key of the area has.
pub(in crate::cases) const UNKNOWN_ID: u8 = 77;
/// `TCP_REPAIR_OFF_NO_WP`: repair off without a window probe.
const REPAIR_OFF_NO_WINDOW_PROBE: i32 = -1;

/// How a probe on the established connection is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::cases) enum ProbeAuth {
    /// With the peer's current key.
    Signed,
    /// A MAC bit flipped after signing.
    WrongMac,
    /// With a key whose KeyID the kernel has no key for.
    UnknownKeyId,
    /// No AO option.
    Unsigned,
}

/// The authentication of a probe.
pub(in crate::cases) fn probe_auth(peer: &Peer, auth: ProbeAuth) -> Result<Auth, Error> {
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

/// After a probe the kernel dropped: signed data still goes through, so the
/// connection survived it.
pub(in crate::cases) fn signed_data_after(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    peer: &mut Peer,
    conn: &AoConn,
) -> Result<(), Error> {
    let signed = peer.default_auth();
    send_data(
        ctx,
        rec,
        Step::setup("signed data after"),
        peer,
        conn,
        b"still here",
        &signed,
    )?;
    Ok(())
}

/// Sends `payload` with `auth` on the established connection: the model's
/// verdict, the socket's `TCP_AO_INFO` counters, delivery, and the
/// kernel's acknowledgement (a certain answer). Returns the model's
/// outcome and the current key before and after.
pub(in crate::cases) fn send_data(
    ctx: &mut Ctx<'_>,
    rec: &mut Record,
    step: Step<'_>,
    peer: &mut Peer,
    conn: &AoConn,
    payload: &[u8],
    auth: &Auth,
) -> Result<(AoOutcome, Option<u8>, Option<u8>), Error> {
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
pub(in crate::cases) fn kernel_data(
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

/// The AO signing with the key of `mkts` whose SendID is `key_id`.
pub(in crate::cases) fn ao_auth_of(mkts: &[Mkt], key_id: u8, rnext: u8) -> Result<Auth, Error> {
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
pub(in crate::cases) fn repair(conn: &AoConn, on: bool) -> Result<(), Error> {
    let value: i32 = if on { 1 } else { REPAIR_OFF_NO_WINDOW_PROBE };
    sockopt::setsockopt_tcp(
        conn.conn.sock.as_fd(),
        libc::TCP_REPAIR,
        &value.to_ne_bytes(),
    )
    .map_err(Error::errno(format!("TCP_REPAIR {value}")))
}
