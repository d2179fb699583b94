//! A listener's answer to a segment that is not a SYN and belongs to no
//! connection: the authentication check first (as for any socket), then a
//! reset for an ACK that passes it, signed with the listener's key for the
//! peer; an RST is discarded.

use tcpmd5::verdict::{ResetReply, listener_reset};
use tcpmd5::wire::SeqNumber;
use tcpmd5::{Family, Verdict};

use super::kit::common::{LISTEN_PORT, PEER_PORT, key, listener_with_key, wrong_key};
use super::kit::conn::{Step, finish, step};
use super::kit::replies::{check_replies, reset_want, want_words};
use crate::case::{Case, Ctx};
use crate::error::Error;
use crate::outcome::Finding;
use crate::peer::{Auth, Peer};
use crate::record::Record;

/// What the case sends.
#[derive(Debug, Clone, Copy)]
enum Probe {
    /// A pure ACK.
    Ack,
    /// An RST ACK.
    Rst,
}

/// One case: its name, summary, whether the listener holds a key for the
/// peer, the segment and how it is signed.
struct Row {
    name: &'static str,
    summary: &'static str,
    keyed: bool,
    probe: Probe,
    auth: fn() -> Auth,
}

#[rustfmt::skip]
fn rows() -> [Row; 5] {
    [
        Row { name: "signed", summary: "a signed ACK to a keyed listener, with no connection for it: an RST signed with the listener's key", keyed: true, probe: Probe::Ack, auth: || Auth::Signed(key()) },
        Row { name: "unsigned", summary: "an unsigned ACK to a listener holding a key for the peer: dropped (no key in the segment), no RST", keyed: true, probe: Probe::Ack, auth: || Auth::Unsigned },
        Row { name: "wrong-key", summary: "an ACK signed with another key to a keyed listener: dropped, no RST", keyed: true, probe: Probe::Ack, auth: || Auth::Signed(wrong_key()) },
        Row { name: "rst-signed", summary: "a signed RST to a keyed listener: passes the check, and a listener discards an RST", keyed: true, probe: Probe::Rst, auth: || Auth::Signed(key()) },
        Row { name: "keyless-unsigned", summary: "an unsigned ACK to a listener without keys: an unsigned RST", keyed: false, probe: Probe::Ack, auth: || Auth::Unsigned },
    ]
}

/// Cases of this area.
//= type=test
//= linux/listener-ack-reset
pub(super) fn cases() -> Vec<Case> {
    rows()
        .into_iter()
        .flat_map(|row| {
            Case::per_family("listener-ack", row.name, row.summary, move |ctx, family| {
                run(ctx, family, row.keyed, row.probe, (row.auth)())
            })
        })
        .collect()
}

fn run(
    ctx: &mut Ctx<'_>,
    family: Family,
    keyed: bool,
    kind: Probe,
    auth: Auth,
) -> Result<Finding, Error> {
    let listener = listener_with_key(ctx, family, keyed)?;
    let mut rec = Record::new();
    let mut peer = Peer::new(&ctx.lab, family, PEER_PORT, LISTEN_PORT, 0x7e57_0000, None)?;
    peer.rcv_nxt = SeqNumber(0x1234_5678);
    let probe = match kind {
        Probe::Ack => peer.ack(&auth),
        Probe::Rst => peer.rst(0, &auth),
    };
    // The reply the model wants if the check passes; the peer verifies a
    // signed one with the key the model names.
    let want = listener_reset(&probe.packet(), &listener.model, 0, ctx.env.semantics)
        .map_err(Error::model("the probe"))?;
    peer.kernel_key = match &want {
        ResetReply::Signed(k) => Some(k.clone()),
        ResetReply::None | ResetReply::Unsigned => None,
    };
    let (verdict, obs) = step(
        ctx,
        &mut rec,
        &mut peer,
        Step::probe(kind_name(kind)),
        &probe,
        &listener.model,
    )?;
    // A segment the check drops draws nothing (`record_verdict` checks
    // that); one that passes draws exactly the model's reset, or nothing.
    if let Verdict::Accept(_) = verdict {
        let want = reset_want(want, &probe);
        let seen = check_replies(&mut rec, kind_name(kind), &obs, &want);
        rec.step(want_words(&want), seen);
    }
    Ok(finish(rec, &[&peer]))
}

fn kind_name(kind: Probe) -> &'static str {
    match kind {
        Probe::Ack => "ACK",
        Probe::Rst => "RST",
    }
}
