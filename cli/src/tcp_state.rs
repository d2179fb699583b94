//! A TCP socket's state as the kernel numbers it (`include/net/tcp_states.h`)
//! and as `ss` spells it.

use std::fmt;

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
    /// A number this tool does not know.
    Other(u8),
}

impl TcpState {
    /// The state of the kernel's number.
    pub fn from_kernel(n: u8) -> TcpState {
        match n {
            1 => TcpState::Established,
            2 => TcpState::SynSent,
            3 | 12 => TcpState::SynRecv,
            4 => TcpState::FinWait1,
            5 => TcpState::FinWait2,
            6 => TcpState::TimeWait,
            7 => TcpState::Close,
            8 => TcpState::CloseWait,
            9 => TcpState::LastAck,
            10 => TcpState::Listen,
            11 => TcpState::Closing,
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
