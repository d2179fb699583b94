//! A TCP socket's state as the kernel numbers it (`include/net/tcp_states.h`,
//! `tcpi_state` of `TCP_INFO`, inet_diag, `/proc/net/tcp`), in the one place
//! the suite and the tool read those numbers from, with both spellings: the
//! kernel's ([`kernel_name`], the suite's reports) and `ss`'s
//! ([`TcpState::name`], the tool's).

use std::fmt;

/// The kernel's numbers of the states.
pub mod number {
    /// `TCP_ESTABLISHED`.
    pub const ESTABLISHED: u8 = 1;
    /// `TCP_SYN_SENT`.
    pub const SYN_SENT: u8 = 2;
    /// `TCP_SYN_RECV`.
    pub const SYN_RECV: u8 = 3;
    /// `TCP_FIN_WAIT1`.
    pub const FIN_WAIT1: u8 = 4;
    /// `TCP_FIN_WAIT2`.
    pub const FIN_WAIT2: u8 = 5;
    /// `TCP_TIME_WAIT`.
    pub const TIME_WAIT: u8 = 6;
    /// `TCP_CLOSE` (after a reset, or never connected).
    pub const CLOSE: u8 = 7;
    /// `TCP_CLOSE_WAIT` (the peer's FIN received).
    pub const CLOSE_WAIT: u8 = 8;
    /// `TCP_LAST_ACK`.
    pub const LAST_ACK: u8 = 9;
    /// `TCP_LISTEN`.
    pub const LISTEN: u8 = 10;
    /// `TCP_CLOSING`.
    pub const CLOSING: u8 = 11;
    /// `TCP_NEW_SYN_RECV` (a request socket).
    pub const NEW_SYN_RECV: u8 = 12;
}

/// The kernel's name of state `n` (`ESTABLISHED`, `NEW-SYN-RECV`, …, or
/// `unknown state N`), as the suite's reports spell it.
pub fn kernel_name(n: u8) -> String {
    let name = match n {
        number::ESTABLISHED => "ESTABLISHED",
        number::SYN_SENT => "SYN-SENT",
        number::SYN_RECV => "SYN-RECV",
        number::FIN_WAIT1 => "FIN-WAIT-1",
        number::FIN_WAIT2 => "FIN-WAIT-2",
        number::TIME_WAIT => "TIME-WAIT",
        number::CLOSE => "CLOSE",
        number::CLOSE_WAIT => "CLOSE-WAIT",
        number::LAST_ACK => "LAST-ACK",
        number::LISTEN => "LISTEN",
        number::CLOSING => "CLOSING",
        number::NEW_SYN_RECV => "NEW-SYN-RECV",
        other => return format!("unknown state {other}"),
    };
    name.to_owned()
}

/// A TCP state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TcpState {
    /// `ESTABLISHED` (1).
    Established,
    /// `SYN-SENT` (2).
    SynSent,
    /// `SYN-RECV` (3, 12).
    SynRecv,
    /// `FIN-WAIT-1` (4).
    FinWait1,
    /// `FIN-WAIT-2` (5).
    FinWait2,
    /// `TIME-WAIT` (6).
    TimeWait,
    /// `CLOSE` (7).
    Close,
    /// `CLOSE-WAIT` (8).
    CloseWait,
    /// `LAST-ACK` (9).
    LastAck,
    /// `LISTEN` (10).
    Listen,
    /// `CLOSING` (11).
    Closing,
    /// A number not known here.
    Other(u8),
}

impl TcpState {
    /// The state of the kernel's number.
    pub fn from_kernel(n: u8) -> TcpState {
        match n {
            number::ESTABLISHED => TcpState::Established,
            number::SYN_SENT => TcpState::SynSent,
            number::SYN_RECV | number::NEW_SYN_RECV => TcpState::SynRecv,
            number::FIN_WAIT1 => TcpState::FinWait1,
            number::FIN_WAIT2 => TcpState::FinWait2,
            number::TIME_WAIT => TcpState::TimeWait,
            number::CLOSE => TcpState::Close,
            number::CLOSE_WAIT => TcpState::CloseWait,
            number::LAST_ACK => TcpState::LastAck,
            number::LISTEN => TcpState::Listen,
            number::CLOSING => TcpState::Closing,
            n => TcpState::Other(n),
        }
    }

    /// The state as `ss` spells it (`LISTEN`, `ESTAB`, `SYN-SENT`, …).
    pub fn name(self) -> String {
        match self {
            TcpState::Established => "ESTAB".into(),
            TcpState::SynSent => "SYN-SENT".into(),
            TcpState::SynRecv => "SYN-RECV".into(),
            TcpState::FinWait1 => "FIN-WAIT-1".into(),
            TcpState::FinWait2 => "FIN-WAIT-2".into(),
            TcpState::TimeWait => "TIME-WAIT".into(),
            TcpState::Close => "CLOSE".into(),
            TcpState::CloseWait => "CLOSE-WAIT".into(),
            TcpState::LastAck => "LAST-ACK".into(),
            TcpState::Listen => "LISTEN".into(),
            TcpState::Closing => "CLOSING".into(),
            TcpState::Other(n) => format!("state-{n}"),
        }
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}
