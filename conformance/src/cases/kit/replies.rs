//! The one reply the model wants to a probe, and the check that the kernel
//! sent exactly it: flags, number and signer.

use tcpmd5::Key;
use tcpmd5::verdict::ResetReply;
use tcpmd5::wire::{SeqNumber, TcpFlags};

use crate::case::Ctx;
use crate::error::Error;
use crate::exchange::Observation;
use crate::peer::Peer;
use crate::record::Record;
use crate::segment::SegmentSpec;
use crate::words;

/// Sends `probe` with the replies verified against `signer` (the key the
/// model says signs them, `None`: unsigned).
pub(in crate::cases) fn exchange_signed_by(
    ctx: &mut Ctx<'_>,
    peer: &mut Peer,
    probe: &SegmentSpec,
    signer: Option<Key>,
) -> Result<Observation, Error> {
    let kept = std::mem::replace(&mut peer.kernel_key, signer);
    let obs = peer.exchange(&mut ctx.lab, &mut ctx.barrier, probe);
    peer.kernel_key = kept;
    obs
}

/// What the model expects back: the flags, acknowledgement (ACK) or sequence
/// (RST) number, and the signer; `None`: no reply.
pub(in crate::cases) type Want = Option<(TcpFlags, SeqNumber, Option<Key>)>;

/// The reply a reset of the model's stands for: an RST at the probe's
/// acknowledgement number, or, for a probe without ACK, an RST ACK at
/// sequence 0 that acknowledges it (RFC 9293 section 3.10.7.1); signed or
/// not, or none.
pub(in crate::cases) fn reset_want(reply: ResetReply, probe: &SegmentSpec) -> Want {
    let (flags, seq) = if probe.tcp.flags.contains(TcpFlags::ACK) {
        (TcpFlags::RST, SeqNumber(probe.tcp.ack))
    } else {
        (TcpFlags::RST | TcpFlags::ACK, SeqNumber(0))
    };
    match reply {
        ResetReply::None => None,
        ResetReply::Unsigned => Some((flags, seq, None)),
        ResetReply::Signed(k) => Some((flags, seq, Some(k))),
    }
}

/// `signed ACK`, `unsigned RST`, `no reply`: the words of a wanted reply.
pub(in crate::cases) fn want_words(want: &Want) -> String {
    match want {
        None => "no reply".to_owned(),
        Some((f, _, k)) => format!(
            "{} {}",
            if k.is_some() { "signed" } else { "unsigned" },
            words::flags(*f)
        ),
    }
}

/// Requires exactly the reply `want` (flags, number, and the signer, which
/// [`exchange_signed_by`] verified). Returns the replies in words.
pub(in crate::cases) fn check_replies(
    rec: &mut Record,
    step: &str,
    obs: &Observation,
    want: &Want,
) -> String {
    let ok = match want {
        None => obs.replies.is_empty(),
        Some((flags, number, _)) => {
            obs.replies.len() == 1
                && obs.replies.iter().all(|r| {
                    r.flags == *flags
                        && if flags.contains(TcpFlags::RST) {
                            r.seq == *number
                        } else {
                            r.ack == *number
                        }
                })
        }
    };
    let want_text = match want {
        None => "no reply".to_owned(),
        Some((f, n, _)) => format!(
            "{} {} {n:#x}",
            want_words(want),
            if f.contains(TcpFlags::RST) {
                "seq"
            } else {
                "ack"
            },
        ),
    };
    let seen = words::replies_detail(&obs.replies);
    rec.check(ok, format!("{step}: replies {seen}, model: {want_text}"));
    rec.note(format!("{step}: replies {seen}; model {want_text}"));
    words::replies(&obs.replies)
}
