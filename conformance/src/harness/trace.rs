//! The third witness: `tcp_hash_*` tracepoints in a private tracefs instance,
//! filtered on one namespace's cookie so parallel labs never see each other.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::tracefs;

/// The tracepoints that report why a segment's authentication failed.
pub const HASH_EVENTS: [&str; 5] = [
    "tcp_hash_bad_header",
    "tcp_hash_md5_required",
    "tcp_hash_md5_unexpected",
    "tcp_hash_md5_mismatch",
    "tcp_hash_ao_required",
];

/// Prefix of every instance this process creates: `tcpmd5-<pid>-<n>`.
pub fn instance_prefix() -> String {
    format!("tcpmd5-{}-", std::process::id())
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Why tracing cannot be used; the session goes on with two witnesses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceUnavailable {
    /// Human-readable cause.
    pub reason: String,
}

impl fmt::Display for TraceUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tracing unavailable: {}", self.reason)
    }
}

impl std::error::Error for TraceUnavailable {}

fn unavailable(reason: impl Into<String>) -> TraceUnavailable {
    TraceUnavailable {
        reason: reason.into(),
    }
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    /// The tracepoint, e.g. `tcp_hash_md5_mismatch`.
    pub name: String,
    /// The whole line from the `trace` file.
    pub line: String,
}

/// A tracefs instance recording the hash events of one network namespace.
#[derive(Debug)]
pub struct TraceSession {
    dir: PathBuf,
    events: Vec<&'static str>,
}

fn write(path: &Path, value: &str) -> Result<(), TraceUnavailable> {
    fs::write(path, value).map_err(|e| unavailable(format!("write {}: {e}", path.display())))
}

impl TraceSession {
    /// Creates an instance, filters the hash events on `net_cookie` and enables them.
    pub fn start(net_cookie: u64) -> Result<TraceSession, TraceUnavailable> {
        let root = tracefs::root().map_err(unavailable)?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = root
            .join("instances")
            .join(format!("{}{n}", instance_prefix()));
        fs::create_dir(&dir).map_err(|e| unavailable(format!("mkdir {}: {e}", dir.display())))?;
        // From here on Drop removes the instance, whatever fails next.
        let mut session = TraceSession {
            dir,
            events: Vec::new(),
        };
        // The default buffer size is kept: resizing costs 5-12 ms per instance.
        for name in HASH_EVENTS {
            let ev = session.dir.join("events/tcp").join(name);
            if !ev.is_dir() {
                continue;
            }
            write(&ev.join("filter"), &format!("net_cookie == {net_cookie}"))?;
            write(&ev.join("enable"), "1")?;
            session.events.push(name);
        }
        if session.events.is_empty() {
            return Err(unavailable("this kernel has no tcp_hash_* tracepoints"));
        }
        write(&session.dir.join("tracing_on"), "1")?;
        Ok(session)
    }

    /// The tracepoints this session enabled (those the kernel has).
    pub fn enabled(&self) -> &[&'static str] {
        &self.events
    }

    /// The instance directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// All events recorded so far (reading `trace` does not consume them).
    pub fn events(&self) -> Result<Vec<TraceEvent>, TraceUnavailable> {
        let path = self.dir.join("trace");
        let text = fs::read_to_string(&path)
            .map_err(|e| unavailable(format!("read {}: {e}", path.display())))?;
        Ok(parse(&text, &self.events))
    }

    /// Forgets the events recorded so far.
    pub fn clear(&self) -> Result<(), TraceUnavailable> {
        write(&self.dir.join("trace"), "")
    }
}

/// Parses `trace` text into the events named in `names`.
pub fn parse(text: &str, names: &[&str]) -> Vec<TraceEvent> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let name = names.iter().find(|n| line.contains(&format!(" {n}: ")))?;
            Some(TraceEvent {
                name: (*name).to_owned(),
                line: line.to_owned(),
            })
        })
        .collect()
}

impl Drop for TraceSession {
    /// Disables the events and removes the instance (the rmdir takes ~30 ms:
    /// the kernel waits for an RCU grace period).
    fn drop(&mut self) {
        for name in &self.events {
            let _ = fs::write(self.dir.join("events/tcp").join(name).join("enable"), "0");
        }
        if let Err(e) = fs::remove_dir(&self.dir) {
            eprintln!("tcpmd5 harness: rmdir {}: {e}", self.dir.display());
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parse_lines() {
        let text = "# tracer: nop\n#\n\
            <idle>-0       [001] ..s2.  123.456: tcp_hash_md5_required: net=4097 state=TCP_LISTEN family=AF_INET src=10.99.0.2:1 dest=10.99.0.1:2 L3index=0 [ S   ]\n\
            <idle>-0       [001] ..s2.  123.457: other_event: x\n";
        let ev = parse(text, &HASH_EVENTS);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].name, "tcp_hash_md5_required");
    }
}
