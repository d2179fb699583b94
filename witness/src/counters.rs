//! TcpExt MIB counters of the calling thread's network namespace, and the
//! checksum counters the kernel keeps elsewhere (`Tcp:` in `snmp`, `IpExt:`
//! in `netstat`), named `Group:Name`.
//!
//! Read from `/proc/thread-self/net/{netstat,snmp}`: `/proc/net` follows the
//! thread-group leader, which is not in the lab's namespace.

use std::collections::BTreeMap;
use std::fs;

/// A counter file that cannot be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum CountersError {
    /// The file cannot be read.
    #[error("read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The file does not have the expected shape.
    #[error("{path}: {detail}")]
    Parse {
        /// The file.
        path: String,
        /// What was wrong.
        detail: String,
    },
}

/// The counters a conformance verdict is made of.
pub const MD5_COUNTERS: [&str; 3] = ["TCPMD5NotFound", "TCPMD5Unexpected", "TCPMD5Failure"];

pub const NETSTAT: &str = "/proc/thread-self/net/netstat";
pub const SNMP: &str = "/proc/thread-self/net/snmp";
/// The counters of the checksum stage, outside `TcpExt`.
pub const CHECKSUM_COUNTERS: [&str; 2] = ["Tcp:InCsumErrors", "IpExt:InCsumErrors"];

/// A snapshot of the `TcpExt:` counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TcpExtCounters(pub BTreeMap<String, u64>);

impl TcpExtCounters {
    /// Reads the snapshot for the calling thread's namespace.
    pub fn read() -> Result<TcpExtCounters, CountersError> {
        let read = |path: &str| {
            fs::read_to_string(path).map_err(|source| CountersError::Read {
                path: path.to_owned(),
                source,
            })
        };
        Self::from_texts(&read(NETSTAT)?, &read(SNMP)?)
    }

    /// The snapshot in the texts of `netstat` and `snmp` (read elsewhere,
    /// e.g. from files opened inside another namespace).
    pub fn from_texts(text: &str, snmp: &str) -> Result<TcpExtCounters, CountersError> {
        let mut counters = Self::parse(text).map_err(|detail| CountersError::Parse {
            path: NETSTAT.to_owned(),
            detail,
        })?;
        for (group, text) in [("IpExt", text), ("Tcp", snmp)] {
            let other = parse_group(text, group).map_err(|detail| CountersError::Parse {
                path: if group == "Tcp" { SNMP } else { NETSTAT }.to_owned(),
                detail,
            })?;
            for name in CHECKSUM_COUNTERS {
                if let Some((g, n)) = name.split_once(':')
                    && g == group
                    && let Some(v) = other.get(n)
                {
                    counters.0.insert(name.to_owned(), *v);
                }
            }
        }
        Ok(counters)
    }

    /// Parses netstat text: a `TcpExt:` line of names followed by one of values.
    pub fn parse(text: &str) -> Result<TcpExtCounters, String> {
        parse_group(text, "TcpExt").map(TcpExtCounters)
    }

    /// One counter, if this kernel has it.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.0.get(name).copied()
    }
}

/// Parses one group of netstat/snmp text: a `Group:` line of names followed
/// by one of values.
fn parse_group(text: &str, group: &str) -> Result<BTreeMap<String, u64>, String> {
    let prefix = format!("{group}:");
    let mut lines = text.lines().filter(|l| l.starts_with(&prefix));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
        return Err(format!("no {group} header/value pair"));
    };
    let names: Vec<&str> = names.split_whitespace().skip(1).collect();
    let values: Vec<&str> = values.split_whitespace().skip(1).collect();
    if names.len() != values.len() {
        return Err(format!(
            "{group} has {} names but {} values",
            names.len(),
            values.len()
        ));
    }
    let mut map = BTreeMap::new();
    for (n, v) in names.into_iter().zip(values) {
        // Tcp: MaxConn is -1: a signed field the suite never compares.
        let v = v
            .parse::<i64>()
            .map_err(|e| format!("{group} {n}={v}: {e}"))?;
        map.insert(n.to_owned(), v.max(0).unsigned_abs());
    }
    Ok(map)
}

/// The non-zero changes from `before` to `after` (counters missing on one
/// side count as 0 there), in one ordered walk of both.
pub fn delta(before: &TcpExtCounters, after: &TcpExtCounters) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let mut b = before.0.iter().peekable();
    let mut a = after.0.iter().peekable();
    loop {
        let (name, was, is) = match (b.peek().copied(), a.peek().copied()) {
            (None, None) => break,
            (Some((bn, &bv)), Some((an, &av))) if bn == an => {
                b.next();
                a.next();
                (bn, bv, av)
            }
            (Some((bn, &bv)), Some((an, _))) if bn < an => {
                b.next();
                (bn, bv, 0)
            }
            (Some((bn, &bv)), None) => {
                b.next();
                (bn, bv, 0)
            }
            (_, Some((an, &av))) => {
                a.next();
                (an, 0, av)
            }
        };
        let d = (i128::from(is) - i128::from(was)).clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        if d != 0 {
            out.insert(name.clone(), d);
        }
    }
    out
}

/// Just the changes a verdict is witnessed by: `TCPMD5*`, `TCPAO*` and the
/// checksum counters.
pub fn auth_delta(before: &TcpExtCounters, after: &TcpExtCounters) -> BTreeMap<String, i64> {
    delta(before, after)
        .into_iter()
        .filter(|(k, _)| is_auth(k))
        .collect()
}

/// Whether a verdict is witnessed by the counter `name` (see [`auth_delta`]).
pub fn is_auth(name: &str) -> bool {
    name.starts_with("TCPMD5") || name.starts_with("TCPAO") || CHECKSUM_COUNTERS.contains(&name)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    const SAMPLE: &str = "TcpExt: SyncookiesSent TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPAOGood\n\
                          TcpExt: 0 1 2 3 4\n\
                          IpExt: InNoRoutes\nIpExt: 0\n";

    #[test]
    fn parse_and_delta() {
        let before = TcpExtCounters::parse(SAMPLE).unwrap_or_default();
        assert_eq!(before.get("TCPMD5Failure"), Some(3));
        let mut after = before.clone();
        after.0.insert("TCPMD5NotFound".into(), 2);
        after.0.insert("SyncookiesSent".into(), 5);
        let d = delta(&before, &after);
        assert_eq!(d.len(), 2);
        assert_eq!(d.get("TCPMD5NotFound"), Some(&1));
        let a = auth_delta(&before, &after);
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn parse_rejects_garbage() {
        assert!(TcpExtCounters::parse("Ip: 1\nIp: 2\n").is_err());
        assert!(TcpExtCounters::parse("TcpExt: A B\nTcpExt: 1\n").is_err());
    }

    #[test]
    fn live_read() {
        let c = TcpExtCounters::read();
        assert!(c.is_ok(), "{c:?}");
        if let Ok(c) = c {
            for n in MD5_COUNTERS.into_iter().chain(CHECKSUM_COUNTERS) {
                assert!(c.get(n).is_some(), "{n} missing");
            }
        }
    }
}
