//! The third witness: `tcp_hash_*` tracepoints, recorded by one tracefs
//! instance per process for every lab. Each lab's [`TraceSession`] sees only
//! the events whose `net=` cookie is its namespace's: the instance's
//! `trace_pipe` is drained (non-blocking) by whichever session reads, and the
//! events are handed out by cookie. Creating and removing an instance per lab
//! cost ~30 ms each (the rmdir waits for an RCU grace period); this costs a
//! read.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{Read, Write as _};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

use super::tracefs;

/// The tracepoints that report why a segment's authentication failed.
pub const HASH_EVENTS: [&str; 5] = [
    "tcp_hash_bad_header",
    "tcp_hash_md5_required",
    "tcp_hash_md5_unexpected",
    "tcp_hash_md5_mismatch",
    "tcp_hash_ao_required",
];

/// The TCP-AO tracepoints that report a dropped segment (present only on
/// kernels built with `CONFIG_TCP_AO`, except `tcp_ao_handshake_failure`).
pub const AO_DROP_EVENTS: [&str; 4] = [
    "tcp_ao_handshake_failure",
    "tcp_ao_wrong_maclen",
    "tcp_ao_mismatch",
    "tcp_ao_key_not_found",
];

/// Every tracepoint of a dropped segment the witness records: the hash
/// events, then the TCP-AO ones (a kernel lacking some records the rest).
pub const DROP_EVENTS: [&str; 9] = [
    HASH_EVENTS[0],
    HASH_EVENTS[1],
    HASH_EVENTS[2],
    HASH_EVENTS[3],
    HASH_EVENTS[4],
    AO_DROP_EVENTS[0],
    AO_DROP_EVENTS[1],
    AO_DROP_EVENTS[2],
    AO_DROP_EVENTS[3],
];

/// Prefix of the instance this process creates: `tcpmd5-<pid>-`.
pub fn instance_prefix() -> String {
    format!("tcpmd5-{}-", std::process::id())
}

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
    /// The namespace cookie (`net=`).
    pub net_cookie: u64,
    /// The whole line from `trace_pipe`.
    pub line: String,
}

impl TraceEvent {
    /// When it fired, in nanoseconds of the trace clock: the stamp before
    /// the tracepoint's name (`… 1234.000567: tcp_hash_md5_mismatch: …`).
    /// `None` when the line has no stamp or an absurd one (the text is
    /// untrusted: checked arithmetic, never an overflow).
    pub fn stamp_ns(&self) -> Option<u64> {
        let (head, _) = self.line.split_once(&format!(" {}: ", self.name))?;
        let stamp = head.split_whitespace().last()?.strip_suffix(':')?;
        let (secs, frac) = stamp.split_once('.')?;
        if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let frac_ns: u64 = format!("{frac:0<9}").parse().ok()?;
        secs.parse::<u64>()
            .ok()?
            .checked_mul(1_000_000_000)?
            .checked_add(frac_ns)
    }
}

/// The process's instance, and the events read from it so far, by cookie.
#[derive(Debug)]
struct Shared {
    // Field order is drop order: the root that holds a private mount last.
    /// `trace_pipe`, closed first on drop (the instance is busy while open).
    pipe: Option<File>,
    dir: PathBuf,
    events: Vec<&'static str>,
    /// Events of the namespaces with a live session.
    by_cookie: HashMap<u64, Vec<TraceEvent>>,
    /// The end of a line split across reads.
    partial: String,
    /// Held for its drop: a private mount lives as long as this.
    _root: tracefs::Root,
}

static SHARED: Mutex<Option<Result<Shared, TraceUnavailable>>> = Mutex::new(None);
static AT_EXIT: Once = Once::new();

fn write(path: &Path, value: &str) -> Result<(), TraceUnavailable> {
    fs::write(path, value).map_err(|e| unavailable(format!("write {}: {e}", path.display())))
}

impl Shared {
    fn create(names: &[&'static str]) -> Result<Shared, TraceUnavailable> {
        let root = tracefs::open().map_err(unavailable)?;
        let dir = root
            .path()
            .join("instances")
            .join(format!("{}0", instance_prefix()));
        fs::create_dir(&dir).map_err(|e| unavailable(format!("mkdir {}: {e}", dir.display())))?;
        let mut events = Vec::new();
        let setup = (|| {
            for &name in names {
                let ev = dir.join("events/tcp").join(name);
                if ev.is_dir() {
                    write(&ev.join("enable"), "1")?;
                    events.push(name);
                }
            }
            if events.is_empty() {
                return Err(unavailable(
                    "this kernel has no tcp_hash_* tracepoints (they came with Linux 6.7)",
                ));
            }
            write(&dir.join("tracing_on"), "1")?;
            let path = dir.join("trace_pipe");
            fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&path)
                .map_err(|e| unavailable(format!("open {}: {e}", path.display())))
        })();
        match setup {
            Ok(pipe) => {
                AT_EXIT.call_once(|| {
                    // SAFETY: remove_at_exit is an extern "C" fn without
                    // arguments that never unwinds.
                    unsafe { libc::atexit(remove_at_exit) };
                });
                Ok(Shared {
                    pipe: Some(pipe),
                    dir,
                    events,
                    by_cookie: HashMap::new(),
                    partial: String::new(),
                    _root: root,
                })
            }
            Err(e) => {
                remove_instance(&dir, &events);
                Err(e)
            }
        }
    }

    /// Moves everything in `trace_pipe` into `by_cookie`.
    fn drain(&mut self) -> Result<(), TraceUnavailable> {
        let mut buf = [0u8; 16384];
        let Some(pipe) = self.pipe.as_mut() else {
            return Ok(());
        };
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    self.partial
                        .push_str(&String::from_utf8_lossy(buf.get(..n).unwrap_or_default()));
                    let Some(end) = self.partial.rfind('\n') else {
                        continue;
                    };
                    let complete: String = self.partial.drain(..=end).collect();
                    for ev in parse(&complete, &self.events) {
                        if let Some(v) = self.by_cookie.get_mut(&ev.net_cookie) {
                            v.push(ev);
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(unavailable(format!(
                        "read {}/trace_pipe: {e}",
                        self.dir.display()
                    )));
                }
            }
        }
    }
}

fn remove_instance(dir: &Path, events: &[&str]) {
    for name in events {
        let _ = fs::write(dir.join("events/tcp").join(name).join("enable"), "0");
    }
    if let Err(e) = fs::remove_dir(dir) {
        // Not eprintln!: this also runs at exit, where a panic would abort.
        let _ = writeln!(
            std::io::stderr(),
            "tcpmd5 harness: rmdir {}: {e}",
            dir.display()
        );
    }
}

impl Drop for Shared {
    /// Disables the events and removes the instance (the rmdir takes ~30 ms:
    /// the kernel waits for an RCU grace period).
    fn drop(&mut self) {
        drop(self.pipe.take());
        remove_instance(&self.dir, &self.events);
    }
}

extern "C" fn remove_at_exit() {
    // Never wait at exit: a thread may hold the lock forever.
    let taken = match SHARED.try_lock() {
        Ok(mut g) => g.take(),
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().take(),
        Err(std::sync::TryLockError::WouldBlock) => None,
    };
    drop(taken);
}

fn shared() -> MutexGuard<'static, Option<Result<Shared, TraceUnavailable>>> {
    SHARED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes the process's instance (and a private tracefs mount) now, e.g.
/// before a leftovers check; the next session creates them again. Also runs
/// at exit.
pub fn close() {
    let taken = shared().take();
    drop(taken);
}

/// The tcp_hash_* events of one network namespace.
#[derive(Debug)]
pub struct TraceSession {
    cookie: u64,
    events: Vec<&'static str>,
    dir: PathBuf,
}

impl TraceSession {
    /// Starts recording the hash events of the namespace with `net_cookie`
    /// (creating the process's instance on first use).
    pub fn start(net_cookie: u64) -> Result<TraceSession, TraceUnavailable> {
        Self::start_with(net_cookie, &HASH_EVENTS)
    }

    /// [`TraceSession::start`] recording the tracepoints in `names` that the
    /// kernel has. The process's first session decides the instance's
    /// events; later ones share them.
    pub fn start_with(
        net_cookie: u64,
        names: &[&'static str],
    ) -> Result<TraceSession, TraceUnavailable> {
        let mut guard = shared();
        let state = guard.get_or_insert_with(|| Shared::create(names));
        let shared = state.as_mut().map_err(|e| e.clone())?;
        // Events already in the pipe predate this session: not ours.
        shared.drain()?;
        shared.by_cookie.insert(net_cookie, Vec::new());
        Ok(TraceSession {
            cookie: net_cookie,
            events: shared.events.clone(),
            dir: shared.dir.clone(),
        })
    }

    /// The tracepoints this session records (those the kernel has).
    pub fn enabled(&self) -> &[&'static str] {
        &self.events
    }

    /// The instance directory (shared by every session of the process).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn with<T>(&self, f: impl FnOnce(&mut Vec<TraceEvent>) -> T) -> Result<T, TraceUnavailable> {
        let mut guard = shared();
        let shared = match guard.as_mut() {
            Some(Ok(s)) => s,
            _ => return Err(unavailable("the trace instance was closed")),
        };
        shared.drain()?;
        let mine = shared.by_cookie.entry(self.cookie).or_default();
        Ok(f(mine))
    }

    /// All events of this namespace recorded so far.
    pub fn events(&self) -> Result<Vec<TraceEvent>, TraceUnavailable> {
        self.with(|v| v.clone())
    }

    /// How many events of this namespace were recorded so far (the length
    /// of [`TraceSession::events`], without copying them).
    pub fn count(&self) -> Result<usize, TraceUnavailable> {
        self.with(|v| v.len())
    }

    /// The names of the events recorded after the first `n`, in order, and
    /// how many were recorded in all.
    pub fn names_since(&self, n: usize) -> Result<(Vec<String>, usize), TraceUnavailable> {
        self.with(|v| {
            let names = v
                .get(n..)
                .unwrap_or_default()
                .iter()
                .map(|e| e.name.clone())
                .collect();
            (names, v.len())
        })
    }

    /// The events recorded since the last `take` (or the start), forgotten
    /// here: a reader that polls sees each event once.
    pub fn take(&self) -> Result<Vec<TraceEvent>, TraceUnavailable> {
        self.with(std::mem::take)
    }

    /// Forgets the events recorded so far.
    pub fn clear(&self) -> Result<(), TraceUnavailable> {
        self.with(Vec::clear)
    }
}

impl Drop for TraceSession {
    fn drop(&mut self) {
        if let Some(Ok(s)) = shared().as_mut() {
            s.by_cookie.remove(&self.cookie);
        }
    }
}

/// Parses `trace` text into the events named in `names`.
pub fn parse(text: &str, names: &[&str]) -> Vec<TraceEvent> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let name = names.iter().find(|n| line.contains(&format!(" {n}: ")))?;
            let net_cookie = line
                .split_once(" net=")?
                .1
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            Some(TraceEvent {
                name: (*name).to_owned(),
                net_cookie,
                line: line.to_owned(),
            })
        })
        .collect()
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
        assert_eq!(ev[0].net_cookie, 4097);
    }

    #[test]
    fn stamps_in_nanoseconds_or_none() {
        let ev = |stamp: &str| TraceEvent {
            name: "tcp_hash_md5_mismatch".into(),
            net_cookie: 7,
            line: format!(
                "x-1 [000] ..s1. {stamp}: tcp_hash_md5_mismatch: net=7 src=10.0.0.2:1 dest=10.0.0.1:179 [ S   ]"
            ),
        };
        assert_eq!(ev("1234.000567").stamp_ns(), Some(1_234_000_567_000));
        assert_eq!(ev("9.1").stamp_ns(), Some(9_100_000_000));
        let huge = format!("{}.5", u64::MAX / 10);
        for bad in [huge.as_str(), "12", "12.", "12.x5", "-1.5", "1.0123456789"] {
            assert_eq!(ev(bad).stamp_ns(), None, "{bad}");
        }
    }
}
