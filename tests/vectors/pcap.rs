//! An independent cross-check: digest vectors written to pcap files
//! (hand-written format, linktype 101 = raw IP) and verified by
//! `tcpdump -M <secret> -r file -vv`, one run per key.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::support::unhex;
use tcpmd5::{Acceptance, DropReason, Verdict};
use tcpmd5_testkit::record::read_verdict;

/// LINKTYPE_RAW: packets start with the IPv4 or IPv6 header.
pub(crate) const LINKTYPE_RAW: u32 = 101;

/// A classic pcap file (microsecond timestamps, little-endian).
pub(crate) fn pcap_bytes(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend(0i32.to_le_bytes()); // thiszone
    out.extend(0u32.to_le_bytes()); // sigfigs
    out.extend(262_144u32.to_le_bytes()); // snaplen
    out.extend(LINKTYPE_RAW.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        // Timestamp = index + 1 seconds: tcpdump -tt prints it, which maps
        // its output back to the packet.
        out.extend((i as u32 + 1).to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend((p.len() as u32).to_le_bytes());
        out.extend((p.len() as u32).to_le_bytes());
        out.extend(p);
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tcpdump {
    Valid,
    Invalid,
    CantCheck,
    /// No MD5 option printed.
    NoOption,
}

/// What tcpdump said about the MD5 option in one packet's output
/// (`options [nop,nop,md5 valid]`, `md5  (invalid)`, `md5 can't check - ...`;
/// older builds: `md5valid`, `md5invalid`).
fn classify(text: &str) -> Tcpdump {
    let Some(at) = text.find("options [") else {
        return Tcpdump::NoOption;
    };
    let opts = &text[at..];
    let opts = &opts[..opts.find(']').unwrap_or(opts.len())];
    let Some(md5) = opts.find("md5") else {
        return Tcpdump::NoOption;
    };
    let md5 = &opts[md5..];
    let md5 = &md5[..md5.find(',').unwrap_or(md5.len())];
    if md5.contains("can't check") {
        Tcpdump::CantCheck
    } else if md5.contains("invalid") {
        Tcpdump::Invalid
    } else if md5.contains("valid") {
        Tcpdump::Valid
    } else {
        Tcpdump::CantCheck
    }
}

/// tcpdump (print-tcp.c) stops printing options at the first one whose
/// length does not match its kind (`LENCHECK`) or runs past the area, so an
/// MD5 option after such an option is never verified.
fn tcpdump_stops_before_md5(packet: &[u8]) -> bool {
    let Ok(seg) = tcpmd5::wire::IpSegment::parse(packet) else {
        return true;
    };
    let tcp = seg.tcp();
    let area = tcp.options();
    let mut i = 0;
    while let Some(&kind) = area.get(i) {
        match kind {
            0 => return true,
            1 => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some(&len) = area.get(i + 1) else {
            return true;
        };
        let len = usize::from(len);
        let fixed = match kind {
            2 => Some(4),
            3 => Some(3),
            4 => Some(2),
            8 => Some(10),
            19 => Some(18),
            _ => None,
        };
        if len < 2 || i + len > area.len() || fixed.is_some_and(|f| f != len) {
            return true;
        }
        if kind == 19 {
            return false;
        }
        i += len;
    }
    true
}

fn expected(v: &Value) -> Tcpdump {
    match read_verdict(&v["expected"]["rfc2385"]) {
        Some(Verdict::Accept(Acceptance::Signed)) => Tcpdump::Valid,
        Some(Verdict::Drop(DropReason::Md5Failure)) => Tcpdump::Invalid,
        _ => Tcpdump::NoOption,
    }
}

/// Why tcpdump cannot check a vector, if it cannot.
fn not_checkable(v: &Value, packet: &[u8], key: &[u8]) -> Option<&'static str> {
    if key.contains(&0) {
        return Some("key contains a NUL byte (tcpdump -M takes a C string)");
    }
    if packet.first().is_some_and(|b| b >> 4 == 6) && packet.get(6) != Some(&6) {
        return Some(
            "IPv6 extension headers (tcpdump hashes the IPv6 payload length as the TCP length)",
        );
    }
    let signed =
        read_verdict(&v["expected"]["rfc2385"]) != Some(Verdict::Drop(DropReason::Md5NotFound));
    if signed && tcpdump_stops_before_md5(packet) {
        return Some(
            "an option before MD5 that tcpdump's option printer rejects (bad length for its kind), so MD5 is never reached",
        );
    }
    None
}

/// A vector, its packet, and why tcpdump cannot check it (if so).
type Pending<'a> = (&'a Value, Vec<u8>, Option<&'static str>);

#[derive(Debug, Default)]
pub(crate) struct Report {
    pub total: usize,
    pub checked: usize,
    pub valid: usize,
    pub invalid_as_expected: usize,
    pub no_option_as_expected: usize,
    pub not_checkable: BTreeMap<&'static str, Vec<String>>,
    /// Not-checkable vectors run anyway, with what tcpdump said.
    pub not_checkable_outcomes: BTreeMap<String, usize>,
    pub disagreements: Vec<String>,
}

impl Report {
    pub(crate) fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "tcpdump: {} digest vectors, {} checked: {} valid, {} invalid as expected, {} without option as expected, {} disagreements",
            self.total,
            self.checked,
            self.valid,
            self.invalid_as_expected,
            self.no_option_as_expected,
            self.disagreements.len()
        );
        for (why, ids) in &self.not_checkable {
            let _ = writeln!(s, "not checkable ({}): {why}", ids.len());
            for id in ids {
                let _ = writeln!(s, "  {id}");
            }
        }
        let _ = writeln!(
            s,
            "tcpdump on the not-checkable ones (expected -> said): {:?}",
            self.not_checkable_outcomes
        );
        s
    }
}

/// Runs tcpdump over the digest vectors; `None` when tcpdump is absent.
pub(crate) fn check_with_tcpdump(vectors: &[Value]) -> Result<Report, TcpdumpError> {
    match Command::new("tcpdump").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return Err(TcpdumpError::Broken(format!(
                "tcpdump --version: {}",
                o.status
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(TcpdumpError::Missing),
        Err(e) => return Err(TcpdumpError::Broken(format!("tcpdump --version: {e}"))),
    }
    let dir = std::env::temp_dir().join(format!("tcpmd5-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| TcpdumpError::Broken(format!("mkdir {}: {e}", dir.display())))?;
    let mut report = Report {
        total: vectors.len(),
        ..Report::default()
    };
    // Group by key.
    let mut by_key: BTreeMap<Vec<u8>, Vec<Pending<'_>>> = BTreeMap::new();
    for v in vectors {
        let packet = unhex(v["packet"].as_str().unwrap_or(""));
        let key = unhex(v["key"].as_str().unwrap_or(""));
        let why = not_checkable(v, &packet, &key);
        by_key.entry(key).or_default().push((v, packet, why));
    }
    for (n, (key, group)) in by_key.iter().enumerate() {
        let path = dir.join(format!("key{n}.pcap"));
        let packets: Vec<Vec<u8>> = group.iter().map(|(_, p, _)| p.clone()).collect();
        std::fs::write(&path, pcap_bytes(&packets))
            .map_err(|e| TcpdumpError::Broken(format!("write {}: {e}", path.display())))?;
        // A key with a NUL byte cannot be passed to tcpdump at all.
        let said = if key.contains(&0) {
            vec![Tcpdump::CantCheck; packets.len()]
        } else {
            run_tcpdump(&path, key, packets.len())
        };
        for ((v, _, why), got) in group.iter().zip(said) {
            let id = v["id"].as_str().unwrap_or("?").to_owned();
            let want = expected(v);
            if let Some(why) = why {
                report.not_checkable.entry(why).or_default().push(id);
                if !key.contains(&0) {
                    *report
                        .not_checkable_outcomes
                        .entry(format!("{want:?} -> {got:?}"))
                        .or_default() += 1;
                }
                continue;
            }
            report.checked += 1;
            match (want, got) {
                (Tcpdump::Valid, Tcpdump::Valid) => report.valid += 1,
                (Tcpdump::Invalid, Tcpdump::Invalid) => report.invalid_as_expected += 1,
                (Tcpdump::NoOption, Tcpdump::NoOption) => report.no_option_as_expected += 1,
                _ => report
                    .disagreements
                    .push(format!("{id}: expected {want:?}, tcpdump {got:?}")),
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}

/// Why the tcpdump cross-check did not run.
#[derive(Debug)]
pub(crate) enum TcpdumpError {
    /// tcpdump is not installed: a skip, except under CI.
    Missing,
    /// tcpdump or the temporary files failed: always a failure.
    Broken(String),
}

/// tcpdump's classification of each of the `n` packets of `path`.
fn run_tcpdump(path: &Path, key: &[u8], n: usize) -> Vec<Tcpdump> {
    let out = Command::new("tcpdump")
        .arg("-n")
        .arg("-tt")
        .arg("-vv")
        .arg("-M")
        .arg(OsString::from_vec(key.to_vec()))
        .arg("-r")
        .arg(path)
        .output();
    let text = match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(_) => String::new(),
    };
    // Each packet's output starts with its timestamp "<index+1>.000000 ".
    let mut per: Vec<String> = vec![String::new(); n];
    let mut current: Option<usize> = None;
    for line in text.lines() {
        if let Some((ts, _)) = line.split_once(' ')
            && let Some(sec) = ts.strip_suffix(".000000")
            && let Ok(i) = sec.parse::<usize>()
            && (1..=n).contains(&i)
        {
            current = Some(i - 1);
        }
        if let Some(i) = current {
            per[i].push_str(line);
            per[i].push('\n');
        }
    }
    per.iter().map(|t| classify(t)).collect()
}
