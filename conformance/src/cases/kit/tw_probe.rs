//! The segment a timewait-socket case sends ([`super::super::timewait`]'s
//! rows): a FIN, data or an RST from the peer, or an unsigned segment at an
//! exact edge of the timewait socket's window and sequence checks.

use tcpmd5::wire::{SeqNumber, TcpFlags};

use super::closing::TwSock;
use crate::peer::Auth;
use crate::segment::SegmentSpec;

/// The segment sent to the timewait socket.
#[derive(Debug, Clone, Copy)]
pub(in crate::cases) enum Probe {
    /// FIN ACK at the peer's `snd_nxt` with the given authentication.
    Fin(fn() -> Auth),
    /// The peer's FIN again (FIN ACK at `snd_nxt - 1`), once acknowledged.
    RetransmittedFin(fn() -> Auth),
    /// Data at `snd_nxt`.
    Data(fn() -> Auth),
    /// RST ACK at `snd_nxt + offset`.
    Rst(u32, fn() -> Auth),
    /// A segment at a boundary of the timewait socket's window or sequence
    /// checks: `flags` and `payload` at `edge` moved by `delta`, unsigned
    /// (an off-path sender's).
    Edge {
        /// The segment's flags.
        flags: TcpFlags,
        /// Where its sequence number is anchored.
        edge: Edge,
        /// Added to the anchor (wrapping).
        delta: i32,
        /// Its payload.
        payload: &'static [u8],
    },
}

/// The anchor of a boundary probe's sequence number.
#[derive(Debug, Clone, Copy)]
pub(in crate::cases) enum Edge {
    /// `tw_rcv_nxt`: the window's first number.
    RcvNxt,
    /// `tw_rcv_nxt + tw_rcv_wnd`: the window's end (the kernel's FIN
    /// advertised the window, unscaled).
    WindowEnd,
}

impl Probe {
    pub(in crate::cases) fn segment(self, tw: &TwSock) -> SegmentSpec {
        let peer = &tw.peer;
        match self {
            Probe::Fin(a) => peer.fin(&a()),
            Probe::RetransmittedFin(a) => peer.segment(
                TcpFlags::FIN | TcpFlags::ACK,
                peer.snd_nxt - 1,
                peer.rcv_nxt,
                &[],
                &a(),
            ),
            Probe::Data(a) => peer.data(b"UPDATE", &a()),
            Probe::Rst(offset, a) => peer.rst(offset, &a()),
            Probe::Edge {
                flags,
                edge,
                delta,
                payload,
            } => {
                let anchor = match edge {
                    Edge::RcvNxt => tw.state.rcv_nxt,
                    Edge::WindowEnd => tw.state.rcv_nxt + tw.state.rcv_wnd,
                };
                let seq = SeqNumber(anchor.0.wrapping_add_signed(delta));
                peer.segment(flags, seq, peer.rcv_nxt, payload, &Auth::Unsigned)
            }
        }
    }
}
