//! A lab's counter files, opened once in its namespace. A `/proc/net` file
//! answers for the namespace it was opened in, so re-read from the start it
//! serves the lab from any thread, without a path walk per read, and the
//! kernel keeps the buffer it grew for the text between reads (a fresh open
//! formats `netstat` again each time it outgrows a page). The names never
//! change between reads, so after the first full parse a read only takes
//! the numbers, checked against the same name lines, into a
//! [`CounterSnapshot`]: the values by position, the names shared, so a
//! snapshot and a delta cost no map of strings (what a probe reads twice).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::sync::Arc;

use super::counters::{CHECKSUM_COUNTERS, TcpExtCounters, delta};
use super::error::HarnessError;

const NETSTAT: &str = "/proc/thread-self/net/netstat";
const SNMP: &str = "/proc/thread-self/net/snmp";

/// `netstat` and `snmp` of one namespace.
#[derive(Debug)]
pub struct CounterFiles {
    netstat: File,
    snmp: File,
    layout: RefCell<Option<Layout>>,
    /// The texts' buffers, kept between reads.
    texts: RefCell<(Vec<u8>, Vec<u8>)>,
}

/// The counters of a [`TcpExtCounters`] snapshot as values by position
/// among names shared by every snapshot of the same layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterSnapshot {
    names: Arc<[String]>,
    values: Vec<u64>,
}

impl CounterSnapshot {
    /// The snapshot by name.
    pub fn counters(&self) -> TcpExtCounters {
        TcpExtCounters(
            self.names
                .iter()
                .cloned()
                .zip(self.values.iter().copied())
                .collect(),
        )
    }

    /// The non-zero changes from `self` to `after`, as
    /// [`counters::delta`](super::counters::delta) gives them.
    pub fn delta(&self, after: &CounterSnapshot) -> BTreeMap<String, i64> {
        if !Arc::ptr_eq(&self.names, &after.names) {
            return delta(&self.counters(), &after.counters());
        }
        let mut out = BTreeMap::new();
        for ((name, &was), &is) in self.names.iter().zip(&self.values).zip(&after.values) {
            let d =
                (i128::from(is) - i128::from(was)).clamp(i64::MIN as i128, i64::MAX as i128) as i64;
            if d != 0 {
                out.insert(name.clone(), d);
            }
        }
        out
    }
}

/// What the first full parse learnt: the name lines, the names kept, and
/// where each number of the value lines goes among them.
#[derive(Debug, Clone)]
struct Layout {
    /// The name lines of both texts, in order.
    lines: Vec<String>,
    /// The names kept, in the order of a [`TcpExtCounters`] snapshot.
    names: Arc<[String]>,
    /// For each number of the value lines, in text order: its position
    /// among `names`, if it is kept.
    slots: Vec<Option<usize>>,
}

/// The name lines (even) and value lines (odd) of `netstat` then `snmp`.
fn lines<'a>(netstat: &'a str, snmp: &'a str) -> impl Iterator<Item = (bool, &'a str)> {
    [netstat, snmp]
        .into_iter()
        .flat_map(|text| text.lines().enumerate().map(|(i, l)| (i % 2 == 0, l)))
}

/// The key a number of `group`'s `name` has in a snapshot, if kept.
fn key(group: &str, name: &str, snmp: bool) -> Option<String> {
    match (group, snmp) {
        ("TcpExt:", false) => Some(name.to_owned()),
        ("IpExt:", false) | ("Tcp:", true) => {
            let full = format!("{}{name}", group);
            CHECKSUM_COUNTERS.contains(&full.as_str()).then_some(full)
        }
        _ => None,
    }
}

impl Layout {
    /// Learns the layout from a full parse and its `snapshot`.
    fn learn(netstat: &str, snmp: &str, snapshot: &TcpExtCounters) -> Layout {
        let mut lines = Vec::new();
        let mut slots = Vec::new();
        for (text, is_snmp) in [(netstat, false), (snmp, true)] {
            for (i, line) in text.lines().enumerate() {
                if i % 2 == 0 {
                    lines.push(line.to_owned());
                    continue;
                }
                let header = text.lines().nth(i - 1).unwrap_or_default();
                let mut group = header.split_whitespace();
                let label = group.next().unwrap_or_default();
                for name in group {
                    let slot = key(label, name, is_snmp)
                        .and_then(|k| snapshot.0.keys().position(|have| *have == k));
                    slots.push(slot);
                }
            }
        }
        Layout {
            lines,
            names: snapshot.0.keys().cloned().collect(),
            slots,
        }
    }

    /// The snapshot in `netstat` and `snmp` if their name lines are the
    /// learnt ones.
    fn read(&self, netstat: &str, snmp: &str) -> Option<CounterSnapshot> {
        let mut lines_learnt = self.lines.iter();
        let mut slots = self.slots.iter();
        let mut values = vec![0u64; self.names.len()];
        for (is_names, line) in lines(netstat, snmp) {
            if is_names {
                if lines_learnt.next().map(String::as_str) != Some(line) {
                    return None;
                }
                continue;
            }
            for number in line.split_ascii_whitespace().skip(1) {
                if let Some(slot) = *slots.next()?
                    && let Some(v) = values.get_mut(slot)
                {
                    // As the full parse: a signed field is never compared.
                    *v = number.parse::<i64>().ok()?.max(0).unsigned_abs();
                }
            }
        }
        if lines_learnt.next().is_some() || slots.next().is_some() {
            return None;
        }
        Some(CounterSnapshot {
            names: Arc::clone(&self.names),
            values,
        })
    }
}

impl CounterFiles {
    /// Opens the files of the calling thread's namespace.
    pub fn open() -> Result<CounterFiles, HarnessError> {
        let open =
            |path: &str| File::open(path).map_err(|e| HarnessError::io(format!("open {path}"), &e));
        Ok(CounterFiles {
            netstat: open(NETSTAT)?,
            snmp: open(SNMP)?,
            layout: RefCell::new(None),
            texts: RefCell::new((Vec::new(), Vec::new())),
        })
    }

    /// A snapshot of the namespace's counters.
    pub fn read(&self) -> Result<TcpExtCounters, HarnessError> {
        self.snapshot().map(|s| s.counters())
    }

    /// A snapshot of the namespace's counters, by position.
    pub fn snapshot(&self) -> Result<CounterSnapshot, HarnessError> {
        let mut texts = self.texts.borrow_mut();
        let (netstat, snmp) = &mut *texts;
        let netstat = whole(&self.netstat, NETSTAT, netstat)?;
        let snmp = whole(&self.snmp, SNMP, snmp)?;
        parse(&mut self.layout.borrow_mut(), netstat, snmp)
    }
}

/// The snapshot in the texts, by `layout` where it fits, else by a full
/// parse that `layout` then learns.
fn parse(
    layout: &mut Option<Layout>,
    netstat: &str,
    snmp: &str,
) -> Result<CounterSnapshot, HarnessError> {
    if let Some(snapshot) = layout.as_ref().and_then(|l| l.read(netstat, snmp)) {
        return Ok(snapshot);
    }
    let full = TcpExtCounters::from_texts(netstat, snmp)?;
    let learnt = Layout::learn(netstat, snmp, &full);
    let snapshot = CounterSnapshot {
        names: Arc::clone(&learnt.names),
        values: full.0.values().copied().collect(),
    };
    *layout = Some(learnt);
    Ok(snapshot)
}

/// The whole text of `file`, read from its start into `buf`.
fn whole<'a>(file: &File, path: &str, buf: &'a mut Vec<u8>) -> Result<&'a str, HarnessError> {
    if buf.len() < 16384 {
        buf.resize(16384, 0);
    }
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(len * 2, 0);
        }
        let chunk = buf.get_mut(len..).unwrap_or_default();
        match file.read_at(chunk, len as u64) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(HarnessError::io(format!("read {path}"), &e)),
        }
    }
    let text = buf.get(..len).unwrap_or_default();
    std::str::from_utf8(text).map_err(|e| HarnessError::Parse {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NETSTAT_TEXT: &str = "TcpExt: SyncookiesSent TCPMD5NotFound TCPMD5Failure TCPAOGood\n\
        TcpExt: 0 1 3 4\n\
        IpExt: InNoRoutes InCsumErrors\n\
        IpExt: 0 7\n\
        MPTcpExt: MPCapableSYNRX\n\
        MPTcpExt: 9\n";
    const SNMP_TEXT: &str = "Ip: Forwarding DefaultTTL\nIp: 1 64\n\
        Tcp: RtoAlgorithm MaxConn InCsumErrors\nTcp: 1 -1 5\n";

    fn bumped(text: &str, step: u64) -> String {
        text.lines()
            .enumerate()
            .map(|(i, l)| {
                if i % 2 == 0 {
                    return l.to_owned();
                }
                let mut words = l.split_whitespace();
                let label = words.next().unwrap();
                let numbers: Vec<String> = words
                    .enumerate()
                    .map(|(j, w)| match w.parse::<i64>().unwrap() {
                        -1 => "-1".to_owned(),
                        v => (v as u64 + step * (j as u64 + 1)).to_string(),
                    })
                    .collect();
                format!("{label} {}", numbers.join(" "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn learnt_layout_reads_as_the_full_parse() {
        let mut layout = None;
        for step in 0..5 {
            let (netstat, snmp) = (bumped(NETSTAT_TEXT, step), bumped(SNMP_TEXT, step * 3));
            let fast = parse(&mut layout, &netstat, &snmp).unwrap();
            let full = TcpExtCounters::from_texts(&netstat, &snmp).unwrap();
            assert_eq!(fast.counters(), full, "step {step}");
            assert!(layout.as_ref().unwrap().read(&netstat, &snmp).is_some());
        }
        assert_eq!(
            parse(&mut layout, NETSTAT_TEXT, SNMP_TEXT)
                .unwrap()
                .counters()
                .get("Tcp:InCsumErrors"),
            Some(5)
        );
    }

    #[test]
    fn other_names_are_parsed_afresh() {
        let mut layout = None;
        parse(&mut layout, NETSTAT_TEXT, SNMP_TEXT).unwrap();
        let renamed = NETSTAT_TEXT.replace("TCPAOGood", "TCPAOBad");
        assert!(layout.as_ref().unwrap().read(&renamed, SNMP_TEXT).is_none());
        let full = TcpExtCounters::from_texts(&renamed, SNMP_TEXT).unwrap();
        assert_eq!(
            parse(&mut layout, &renamed, SNMP_TEXT).unwrap().counters(),
            full
        );
        assert_eq!(full.get("TCPAOBad"), Some(4));
    }

    #[test]
    fn delta_by_position_is_the_delta_by_name() {
        let mut layout = None;
        let (netstat, snmp) = (bumped(NETSTAT_TEXT, 0), bumped(SNMP_TEXT, 0));
        let before = parse(&mut layout, &netstat, &snmp).unwrap();
        let (netstat, snmp) = (bumped(NETSTAT_TEXT, 2), bumped(SNMP_TEXT, 1));
        let after = parse(&mut layout, &netstat, &snmp).unwrap();
        let by_name = delta(&before.counters(), &after.counters());
        assert_eq!(before.delta(&after), by_name);
        assert_eq!(by_name.get("TCPMD5Failure"), Some(&6));
        assert_eq!(by_name.get("Tcp:InCsumErrors"), Some(&3));
        // Another layout: by name.
        let renamed = NETSTAT_TEXT.replace("TCPAOGood", "TCPAOBad");
        let other = parse(&mut layout, &renamed, SNMP_TEXT).unwrap();
        assert_eq!(
            before.delta(&other),
            delta(&before.counters(), &other.counters())
        );
    }

    #[test]
    fn live_files_read_as_the_full_parse() {
        let files = CounterFiles::open().unwrap();
        let first = files.read().unwrap();
        let second = files.read().unwrap();
        assert_eq!(
            first.0.keys().collect::<Vec<_>>(),
            second.0.keys().collect::<Vec<_>>()
        );
        assert!(second.get("TCPMD5Failure").is_some());
        assert!(second.get("Tcp:InCsumErrors").is_some());
    }
}
