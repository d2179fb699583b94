//! A timewait-type socket: no authentication check on Linux, then
//! `tcp_timewait_state_process`.

use crate::wire::{IpSegment, SeqNumber, TcpFlags, TcpPacket, WireError};

/// The substate of a timewait-type socket (`tw_substate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeWaitSubstate {
    /// An orphaned FIN-WAIT-2: the local FIN is acknowledged, the peer's is
    /// still to come.
    FinWait2,
    /// TIME-WAIT proper: both FINs exchanged.
    TimeWait,
}

/// What a timewait-type socket does with a segment that reached it
/// (`tcp_timewait_state_process`; Linux runs no MD5 check before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeWaitAction {
    /// `TCP_TW_ACK`: an ACK of `tw_rcv_nxt` (signed with the key the
    /// timewait socket copied from the connection). `enters_time_wait`:
    /// the peer's FIN moved FIN-WAIT-2 to TIME-WAIT.
    Ack {
        /// FIN-WAIT-2 -> TIME-WAIT.
        enters_time_wait: bool,
    },
    /// `TCP_TW_RST`: a reset as for a closed port (`tcp_v{4,6}_send_reset`
    /// with a socket that is not full: see [`closed_port_reset`](super::closed_port_reset)), and the
    /// timewait socket is gone.
    ResetAndKill,
    /// Killed without a reply (an in-window RST; in TIME-WAIT only with
    /// `tcp_rfc1337 = 0`).
    Kill,
    /// `TCP_TW_SYN`: a new SYN in TIME-WAIT, handed to a listener.
    Reopen,
    /// Nothing: a duplicate ACK, or an RST TIME-WAIT ignores.
    Ignore,
}

impl TimeWaitAction {
    /// The stable id (`ack`, `ack-enter-time-wait`, `rst-and-kill`, `kill`,
    /// `reopen`, `ignore`), as the decision vectors write it.
    pub fn id(self) -> &'static str {
        match self {
            TimeWaitAction::Ack {
                enters_time_wait: false,
            } => "ack",
            TimeWaitAction::Ack {
                enters_time_wait: true,
            } => "ack-enter-time-wait",
            TimeWaitAction::ResetAndKill => "rst-and-kill",
            TimeWaitAction::Kill => "kill",
            TimeWaitAction::Reopen => "reopen",
            TimeWaitAction::Ignore => "ignore",
        }
    }

    /// Whether the timewait socket still exists afterwards.
    pub fn survives(self) -> bool {
        !matches!(
            self,
            TimeWaitAction::ResetAndKill | TimeWaitAction::Kill | TimeWaitAction::Reopen
        )
    }
}

/// The timewait socket's receive state: `tw_rcv_nxt`, `tw_rcv_wnd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeWaitState {
    /// The substate.
    pub substate: TimeWaitSubstate,
    /// Next sequence number expected from the peer.
    pub rcv_nxt: SeqNumber,
    /// The receive window when the socket became a timewait socket.
    pub rcv_wnd: u32,
}

/// `tcp_in_window`: whether `[seq, end_seq)` touches `[s_win, e_win]`
/// (`<` on sequence numbers is the kernel's `before()`).
fn tcp_in_window(seq: SeqNumber, end_seq: SeqNumber, s_win: SeqNumber, e_win: SeqNumber) -> bool {
    seq == s_win || (s_win < end_seq && seq < e_win) || (seq == e_win && seq == end_seq)
}

/// What a timewait-type socket in `state` does with `packet`
/// (`tcp_timewait_state_process` on Linux 6.x, without timestamps: a
/// connection with an MD5 key negotiates none with a Linux peer, so PAWS
/// never rejects). `rfc1337` is `net.ipv4.tcp_rfc1337`. An out-of-window
/// segment is answered by an ACK; the kernel may rate-limit that ACK for a
/// segment without data (`tcp_oow_rate_limited`), which this model ignores.
///
/// In FIN-WAIT-2 any RST whose sequence number is in the window kills the
/// socket (no RFC 5961 exact-match check), and new data (not a FIN at
/// `rcv_nxt`) is answered by a reset.
//= linux/timewait-state
pub fn timewait_action(
    packet: &[u8],
    state: TimeWaitState,
    rfc1337: bool,
) -> Result<TimeWaitAction, WireError> {
    let located = IpSegment::parse(packet)?;
    let tcp = TcpPacket::new_checked(located.segment)?;
    let flags = tcp.flags();
    let (syn, fin, rst, ack) = (
        flags.contains(TcpFlags::SYN),
        flags.contains(TcpFlags::FIN),
        flags.contains(TcpFlags::RST),
        flags.contains(TcpFlags::ACK),
    );
    let seq = SeqNumber(tcp.seq_number());
    let end_seq = seq.add_len(tcp.payload().len()) + u32::from(syn) + u32::from(fin);
    let rcv_nxt = state.rcv_nxt;
    Ok(match state.substate {
        TimeWaitSubstate::FinWait2 => {
            if !tcp_in_window(seq, end_seq, rcv_nxt, rcv_nxt + state.rcv_wnd) {
                // tcp_timewait_check_oow_rate_limit, for an RST too.
                TimeWaitAction::Ack {
                    enters_time_wait: false,
                }
            } else if rst {
                TimeWaitAction::Kill
            } else if syn && seq >= rcv_nxt {
                TimeWaitAction::ResetAndKill
            } else if !ack || rcv_nxt >= end_seq || end_seq == seq {
                TimeWaitAction::Ignore
            } else if !fin || end_seq != rcv_nxt + 1 {
                TimeWaitAction::ResetAndKill
            } else {
                TimeWaitAction::Ack {
                    enters_time_wait: true,
                }
            }
        }
        TimeWaitSubstate::TimeWait => {
            if seq == rcv_nxt && (seq == end_seq || rst) {
                match (rst, rfc1337) {
                    (true, false) => TimeWaitAction::Kill,
                    _ => TimeWaitAction::Ignore,
                }
            } else if syn && !rst && !ack && rcv_nxt < seq {
                TimeWaitAction::Reopen
            } else if rst {
                TimeWaitAction::Ignore
            } else {
                TimeWaitAction::Ack {
                    enters_time_wait: false,
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::test_packet::{pairs, segment};
    use crate::wire::TcpFlags;

    fn seg(flags: TcpFlags, seq: u32, payload: &[u8]) -> Vec<u8> {
        let [addrs, _] = pairs();
        segment(&addrs, flags, seq, &[], payload)
    }

    // Regression (live, 6.18, conformance cases
    // session-finwait/orphan-fin-wait-2-*): an orphaned FIN-WAIT-2 socket is
    // a timewait socket that Linux checks no signature at. Unsigned, wrongly signed
    // and signed FINs at rcv_nxt are ACKed and move it to TIME-WAIT;
    // unsigned in-window data is answered by an unsigned RST and kills it;
    // an unsigned RST anywhere in the window kills it silently.
    //= type=test
    //= linux/timewait-state
    #[test]
    fn orphan_fin_wait_2() {
        let state = TimeWaitState {
            substate: TimeWaitSubstate::FinWait2,
            rcv_nxt: SeqNumber(1000),
            rcv_wnd: 65535,
        };
        let a = |p: Vec<u8>| timewait_action(&p, state, false);
        let fin_ack = TcpFlags::FIN | TcpFlags::ACK;
        let rst_ack = TcpFlags::RST | TcpFlags::ACK;
        assert_eq!(
            a(seg(fin_ack, 1000, &[])),
            Ok(TimeWaitAction::Ack {
                enters_time_wait: true
            })
        );
        assert_eq!(
            a(seg(TcpFlags::PSH | TcpFlags::ACK, 1000, b"x")),
            Ok(TimeWaitAction::ResetAndKill)
        );
        assert_eq!(a(seg(rst_ack, 1000, &[])), Ok(TimeWaitAction::Kill));
        assert_eq!(a(seg(rst_ack, 1000 + 4096, &[])), Ok(TimeWaitAction::Kill));
        assert_eq!(
            a(seg(rst_ack, 1000u32.wrapping_sub(1), &[])),
            Ok(TimeWaitAction::Ack {
                enters_time_wait: false
            })
        );
        assert_eq!(a(seg(TcpFlags::ACK, 1000, &[])), Ok(TimeWaitAction::Ignore));
        // One byte far below the window: an ACK (the peer's certain answer).
        assert_eq!(
            a(seg(TcpFlags::ACK, 1000u32.wrapping_sub(0x10_0000), b"k")),
            Ok(TimeWaitAction::Ack {
                enters_time_wait: false
            })
        );
        let tw = TimeWaitState {
            substate: TimeWaitSubstate::TimeWait,
            rcv_nxt: SeqNumber(1001),
            ..state
        };
        // The session-close/time-wait-* cases: a retransmitted FIN is
        // ACKed, an RST at rcv_nxt kills (rfc1337 = 0) or is ignored.
        assert_eq!(
            timewait_action(&seg(fin_ack, 1000, &[]), tw, false),
            Ok(TimeWaitAction::Ack {
                enters_time_wait: false
            })
        );
        assert_eq!(
            timewait_action(&seg(rst_ack, 1001, &[]), tw, false),
            Ok(TimeWaitAction::Kill)
        );
        assert_eq!(
            timewait_action(&seg(rst_ack, 1001, &[]), tw, true),
            Ok(TimeWaitAction::Ignore)
        );
        assert_eq!(
            timewait_action(&seg(TcpFlags::SYN, 5000, &[]), tw, false),
            Ok(TimeWaitAction::Reopen)
        );
        assert!(!TimeWaitAction::Kill.survives());
        assert!(TimeWaitAction::Ignore.survives());
    }

    // `tcp_in_window` at each of its bounds: the window's first number, a
    // segment ending exactly at it, one starting exactly at its end, and an
    // empty segment there (the kernel's exception for a zero window).
    #[test]
    fn in_window_bounds() {
        let w = |seq: u32, end: u32, s: u32, e: u32| {
            tcp_in_window(SeqNumber(seq), SeqNumber(end), SeqNumber(s), SeqNumber(e))
        };
        assert!(w(1000, 1000, 1000, 2000), "empty, at the start");
        assert!(w(1000, 1001, 1000, 2000), "one byte at the start");
        assert!(w(999, 1001, 1000, 2000), "straddles the start");
        assert!(!w(999, 1000, 1000, 2000), "ends exactly at the start");
        assert!(w(1999, 2000, 1000, 2000), "last byte in the window");
        assert!(!w(2000, 2001, 1000, 2000), "starts exactly at the end");
        assert!(w(2000, 2000, 1000, 2000), "empty, exactly at the end");
        assert!(!w(2001, 2001, 1000, 2000), "empty, past the end");
        assert!(w(1000, 1000, 1000, 1000), "empty, zero window");
        assert!(!w(3000, 3001, 1000, 2000), "far beyond");
    }

    // Every branch of `tcp_timewait_state_process` this model keeps, each
    // at its bounds (rcv_nxt 1000 in FIN-WAIT-2, 1001 in TIME-WAIT).
    //= type=test
    //= linux/timewait-state
    #[test]
    fn every_branch_at_its_bounds() {
        use TimeWaitAction::*;
        use TimeWaitSubstate::{FinWait2, TimeWait};
        let (syn, fin, rst, ack, psh) = (
            TcpFlags::SYN,
            TcpFlags::FIN,
            TcpFlags::RST,
            TcpFlags::ACK,
            TcpFlags::PSH,
        );
        let plain_ack = Ack {
            enters_time_wait: false,
        };
        // (substate, flags, seq, payload, tcp_rfc1337, action)
        type Row = (
            TimeWaitSubstate,
            TcpFlags,
            u32,
            &'static [u8],
            bool,
            TimeWaitAction,
        );
        let rows: [Row; 23] = [
            // FIN-WAIT-2, window [1000, 1000 + 100].
            (
                FinWait2,
                fin | ack,
                1000,
                &[],
                false,
                Ack {
                    enters_time_wait: true,
                },
            ),
            (FinWait2, fin | ack, 1000, b"x", false, ResetAndKill),
            (FinWait2, fin | ack, 1001, &[], false, ResetAndKill),
            (FinWait2, fin, 1000, &[], false, Ignore),
            (FinWait2, psh, 1000, b"x", false, Ignore),
            (FinWait2, ack, 1000, &[], false, Ignore),
            // Empty, exactly at the window's end: in the window (the
            // zero-length clause of tcp_in_window), a duplicate ACK.
            (FinWait2, ack, 1100, &[], false, Ignore),
            (FinWait2, ack, 999, b"xy", false, ResetAndKill),
            (FinWait2, syn, 1000, &[], false, ResetAndKill),
            (FinWait2, syn | ack, 1050, &[], false, ResetAndKill),
            (FinWait2, syn, 999, b"xy", false, Ignore),
            (FinWait2, rst, 1100, &[], false, Kill),
            (FinWait2, rst, 1101, &[], false, plain_ack),
            (FinWait2, ack, 1101, b"x", false, plain_ack),
            // TIME-WAIT.
            (TimeWait, ack, 1001, &[], false, Ignore),
            (TimeWait, ack, 1001, b"x", false, plain_ack),
            (TimeWait, rst, 1001, &[], false, Kill),
            (TimeWait, rst, 1001, &[], true, Ignore),
            (TimeWait, rst, 1002, &[], false, Ignore),
            (TimeWait, syn, 1002, &[], false, Reopen),
            (TimeWait, syn, 1001, &[], false, plain_ack),
            (TimeWait, syn | ack, 1002, &[], false, plain_ack),
            (TimeWait, ack, 1000, &[], false, plain_ack),
        ];
        for (substate, flags, seq, payload, rfc1337, want) in rows {
            let state = TimeWaitState {
                substate,
                rcv_nxt: SeqNumber(match substate {
                    FinWait2 => 1000,
                    TimeWait => 1001,
                }),
                rcv_wnd: 100,
            };
            assert_eq!(
                timewait_action(&seg(flags, seq, payload), state, rfc1337),
                Ok(want),
                "{substate:?} {flags:?} seq {seq} len {} rfc1337 {rfc1337}",
                payload.len()
            );
        }
    }

    // The ids the decision vectors write, and which actions leave the
    // timewait socket alive.
    #[test]
    fn actions_name_themselves() {
        let rows = [
            (
                TimeWaitAction::Ack {
                    enters_time_wait: false,
                },
                "ack",
                true,
            ),
            (
                TimeWaitAction::Ack {
                    enters_time_wait: true,
                },
                "ack-enter-time-wait",
                true,
            ),
            (TimeWaitAction::ResetAndKill, "rst-and-kill", false),
            (TimeWaitAction::Kill, "kill", false),
            (TimeWaitAction::Reopen, "reopen", false),
            (TimeWaitAction::Ignore, "ignore", true),
        ];
        for (action, id, survives) in rows {
            assert_eq!((action.id(), action.survives()), (id, survives));
        }
    }
}
