//! What an ESTABLISHED socket does with a segment the authentication check
//! passed, for the segments the differential sends (acknowledgement number
//! always the kernel's `snd_nxt`, no timestamps, no SACK, URG clear, nothing
//! in the out-of-order queue). The MD5 verdict comes from the model; this
//! only says which effect an accepted segment must have, so that accepting
//! and dropping look different beyond the counters.

use tcpmd5::wire::TcpFlags;

/// The effect of an accepted segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effect {
    /// Payload bytes delivered to the application, in order.
    pub delivered: usize,
    /// The FIN was taken: ESTABLISHED -> CLOSE-WAIT, `rcv_nxt` + 1.
    pub fin: bool,
    /// The connection was reset: ESTABLISHED -> CLOSE, ECONNRESET.
    pub reset: bool,
}

impl Effect {
    /// Nothing happens (a dropped segment, or one TCP ignores).
    pub const NONE: Effect = Effect {
        delivered: 0,
        fin: false,
        reset: false,
    };

    /// How far the kernel's `rcv_nxt` moves.
    pub fn rcv_advance(self) -> u32 {
        self.delivered as u32 + u32::from(self.fin)
    }
}

/// The effect of an accepted segment with `flags`, sequence number `seq`
/// and `payload` bytes on a socket expecting `rcv_nxt`.
///
/// - RST: RFC 5961 §3.2, only an RST at exactly `rcv_nxt` resets; one
///   elsewhere in the window gets a challenge ACK, one outside it nothing.
/// - Otherwise, RFC 9293 §3.10.7.4: a segment at `rcv_nxt` is taken in
///   order (its data delivered, its FIN processed); one outside the window
///   is answered by a duplicate ACK and changes nothing (`tcp_sequence`,
///   `tcp_send_dupack`).
pub fn established(flags: TcpFlags, seq: u32, payload: usize, rcv_nxt: u32) -> Effect {
    let at_rcv_nxt = seq == rcv_nxt;
    if flags.contains(TcpFlags::RST) {
        return Effect {
            delivered: 0,
            fin: false,
            reset: at_rcv_nxt,
        };
    }
    Effect {
        delivered: if at_rcv_nxt { payload } else { 0 },
        fin: at_rcv_nxt && flags.contains(TcpFlags::FIN),
        reset: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_exact_rst_resets() {
        let rst = TcpFlags::RST | TcpFlags::ACK;
        assert!(established(rst, 100, 0, 100).reset);
        assert!(!established(rst, 101, 0, 100).reset);
        assert!(!established(TcpFlags::RST, 99, 0, 100).reset);
    }

    #[test]
    fn in_order_data_and_fin() {
        let e = established(TcpFlags::FIN | TcpFlags::ACK, 7, 3, 7);
        assert_eq!((e.delivered, e.fin, e.rcv_advance()), (3, true, 4));
        let e = established(TcpFlags::ACK, 7u32.wrapping_sub(1 << 30), 3, 7);
        assert_eq!(e.rcv_advance(), 0);
    }
}
