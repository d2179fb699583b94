//! A literal transcription of `tcp_timewait_state_process` (Linux 6.x,
//! `net/ipv4/tcp_minisocks.c`) for a connection without timestamps, so
//! `paws_reject` is always false: the oracle of the `receiver` target's
//! TIME-WAIT half. Kept in the C's shape (`before`/`after`, the same order
//! of tests), not in the library's.

/// What the function returns, with the kill folded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwResult {
    /// `TCP_TW_ACK`; `fin_to_time_wait` when the peer's FIN moved the
    /// socket from FIN-WAIT-2 to TIME-WAIT.
    Ack {
        /// FIN-WAIT-2 -> TIME-WAIT.
        fin_to_time_wait: bool,
    },
    /// `TCP_TW_RST`.
    Rst,
    /// `TCP_TW_SYN`.
    Syn,
    /// `TCP_TW_SUCCESS` after `inet_twsk_deschedule_put` (the `kill:` label).
    SuccessKilled,
    /// `TCP_TW_SUCCESS`, the socket kept.
    Success,
}

/// The fields of the segment the function reads.
#[derive(Debug, Clone, Copy)]
pub struct Seg {
    /// `th->syn`, `th->fin`, `th->rst`, `th->ack`.
    pub syn: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// ACK.
    pub ack: bool,
    /// `TCP_SKB_CB(skb)->seq`.
    pub seq: u32,
    /// `skb->len - th->doff * 4`.
    pub data_len: u32,
}

fn before(seq1: u32, seq2: u32) -> bool {
    (seq1.wrapping_sub(seq2) as i32) < 0
}

fn after(seq2: u32, seq1: u32) -> bool {
    before(seq1, seq2)
}

/// `tcp_in_window` of `tcp_minisocks.c`.
fn tcp_in_window(seq: u32, end_seq: u32, s_win: u32, e_win: u32) -> bool {
    if seq == s_win {
        return true;
    }
    if after(end_seq, s_win) && before(seq, e_win) {
        return true;
    }
    seq == e_win && seq == end_seq
}

/// `tcp_timewait_state_process(tw, skb, th, ...)` with `tw_substate`
/// FIN-WAIT-2 when `fin_wait2`, else TIME-WAIT.
pub fn tcp_timewait_state_process(
    th: Seg,
    fin_wait2: bool,
    rcv_nxt: u32,
    tw_rcv_wnd: u32,
    sysctl_tcp_rfc1337: bool,
) -> TwResult {
    // TCP_SKB_CB(skb)->end_seq = seq + syn + fin + skb->len - doff * 4
    let end_seq = th
        .seq
        .wrapping_add(u32::from(th.syn))
        .wrapping_add(u32::from(th.fin))
        .wrapping_add(th.data_len);
    let paws_reject = false;

    if fin_wait2 {
        // Just repeat all the checks of tcp_rcv_state_process()
        // Out of window, send ACK
        if paws_reject || !tcp_in_window(th.seq, end_seq, rcv_nxt, rcv_nxt.wrapping_add(tw_rcv_wnd))
        {
            return TwResult::Ack {
                fin_to_time_wait: false,
            };
        }
        if th.rst {
            return TwResult::SuccessKilled;
        }
        if th.syn && !before(th.seq, rcv_nxt) {
            return TwResult::Rst;
        }
        // Dup ACK?
        if !th.ack || !after(end_seq, rcv_nxt) || end_seq == th.seq {
            return TwResult::Success;
        }
        // New data or FIN. If new data arrive after half-duplex close, reset.
        if !th.fin || end_seq != rcv_nxt.wrapping_add(1) {
            return TwResult::Rst;
        }
        // FIN arrived, enter true time-wait state.
        return TwResult::Ack {
            fin_to_time_wait: true,
        };
    }

    // Now real TIME-WAIT state.
    if !paws_reject && th.seq == rcv_nxt && (th.seq == end_seq || th.rst) {
        // In window segment, it may be only reset or bare ack.
        if th.rst && !sysctl_tcp_rfc1337 {
            return TwResult::SuccessKilled;
        }
        return TwResult::Success;
    }
    // Out of window segment. All the segments are ACKed immediately.
    if th.syn && !th.rst && !th.ack && !paws_reject && after(th.seq, rcv_nxt) {
        return TwResult::Syn;
    }
    if !th.rst {
        return TwResult::Ack {
            fin_to_time_wait: false,
        };
    }
    TwResult::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(seq: u32, fin: bool, rst: bool) -> Seg {
        Seg {
            syn: false,
            fin,
            rst,
            ack: true,
            seq,
            data_len: 0,
        }
    }

    #[test]
    fn fin_in_fin_wait2_enters_time_wait() {
        assert_eq!(
            tcp_timewait_state_process(seg(100, true, false), true, 100, 1000, false),
            TwResult::Ack {
                fin_to_time_wait: true
            }
        );
    }

    #[test]
    fn in_window_rst_in_time_wait_depends_on_rfc1337() {
        let rst = seg(100, false, true);
        assert_eq!(
            tcp_timewait_state_process(rst, false, 100, 0, false),
            TwResult::SuccessKilled
        );
        assert_eq!(
            tcp_timewait_state_process(rst, false, 100, 0, true),
            TwResult::Success
        );
    }

    #[test]
    fn sequence_comparison_wraps() {
        assert!(before(u32::MAX, 0));
        assert!(after(0, u32::MAX));
        assert!(tcp_in_window(u32::MAX, 1, u32::MAX - 1, 10));
    }
}
