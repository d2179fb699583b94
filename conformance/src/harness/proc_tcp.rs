//! One connection's row of `/proc/net/tcp` or `/proc/net/tcp6`, read in the
//! calling thread's network namespace (`/proc/thread-self/net`).
//!
//! For a socket without a descriptor (an orphan, a timewait socket) this is
//! the only view there is: `TCP_INFO` needs the descriptor. A timewait-type
//! socket is printed by `get_timewait4_sock` / `get_timewait6_sock` with its
//! substate in `st` and timer code 3 in `tr`; a full socket never uses 3
//! (0 none, 1 retransmit, 2 keepalive/FIN-WAIT-2, 4 zero-window probe).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// `tr` of a timewait-type socket.
pub const TIMER_TIMEWAIT: u8 = 3;

/// The fields of a row this harness reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpRow {
    /// `st`: the TCP state, or a timewait socket's substate (5 FIN-WAIT-2,
    /// 6 TIME-WAIT).
    pub state: u8,
    /// `tr`: the active timer code.
    pub timer: u8,
    /// The inode of the socket's file (0 without a descriptor).
    pub inode: u64,
}

impl TcpRow {
    /// Whether this is a timewait-type socket.
    pub fn is_timewait_sock(&self) -> bool {
        self.timer == TIMER_TIMEWAIT
    }
}

/// A `local_address` / `rem_address` field: the address words as the kernel
/// prints them (`%08X` of each `__be32` read as a host integer), a port.
fn parse_addr(field: &str) -> Option<SocketAddr> {
    let (addr, port) = field.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    let mut rest = addr;
    while !rest.is_empty() {
        let word = rest.get(..8)?;
        rest = rest.get(8..)?;
        bytes.extend(u32::from_str_radix(word, 16).ok()?.to_ne_bytes());
    }
    let ip = match bytes.len() {
        4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The row of `local` <-> `remote` in the text of a `/proc/net/tcp*` file.
pub fn find_row(text: &str, local: SocketAddr, remote: SocketAddr) -> Option<TcpRow> {
    text.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (l, r, st, timer, inode) = (f.get(1)?, f.get(2)?, f.get(3)?, f.get(5)?, f.get(9)?);
        if parse_addr(l)? != local || parse_addr(r)? != remote {
            return None;
        }
        Some(TcpRow {
            state: u8::from_str_radix(st, 16).ok()?,
            timer: u8::from_str_radix(timer.split(':').next()?, 16).ok()?,
            inode: inode.parse().ok()?,
        })
    })
}

/// The row of the connection `local` <-> `remote` in the calling thread's
/// namespace, `None` when there is no such socket.
pub fn row(local: SocketAddr, remote: SocketAddr) -> std::io::Result<Option<TcpRow>> {
    let file = match local {
        SocketAddr::V4(_) => "/proc/thread-self/net/tcp",
        SocketAddr::V6(_) => "/proc/thread-self/net/tcp6",
    };
    Ok(find_row(&std::fs::read_to_string(file)?, local, remote))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn timewait_rows_v4_and_v6() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100630A:00B3 0200630A:A02D 05 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n";
        let local: SocketAddr = "10.99.0.1:179".parse().unwrap();
        let remote: SocketAddr = "10.99.0.2:41005".parse().unwrap();
        let row = find_row(v4, local, remote);
        if cfg!(target_endian = "little") {
            assert_eq!(
                row,
                Some(TcpRow {
                    state: 5,
                    timer: 3,
                    inode: 0
                })
            );
            assert!(row.unwrap().is_timewait_sock());
        }
        assert_eq!(find_row(v4, remote, local), None);
        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 000000FD00000000000000000100000:00B3 000000FD00000000000000000200000:A02D 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n";
        // Malformed (31 hex digits): no match rather than a wrong one.
        let l6: SocketAddr = "[fd00:99::1]:179".parse().unwrap();
        let r6: SocketAddr = "[fd00:99::2]:41005".parse().unwrap();
        assert_eq!(find_row(v6, l6, r6), None);
        let words = |ip: Ipv6Addr| {
            ip.octets()
                .chunks(4)
                .map(|c| format!("{:08X}", u32::from_ne_bytes([c[0], c[1], c[2], c[3]])))
                .collect::<String>()
        };
        let line = format!(
            "h\n   0: {}:00B3 {}:A02D 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0\n",
            words("fd00:99::1".parse().unwrap()),
            words("fd00:99::2".parse().unwrap())
        );
        assert_eq!(
            find_row(&line, l6, r6),
            Some(TcpRow {
                state: 6,
                timer: 3,
                inode: 0
            })
        );
    }
}
