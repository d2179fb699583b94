//! How the suite gets the right to create network namespaces: real root, or a
//! user namespace of its own ("rootless").
#![allow(unsafe_code)]

use std::fmt;
use std::fs;
use std::sync::OnceLock;

/// The privilege the process runs with after [`init`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    /// `CAP_SYS_ADMIN`, `CAP_NET_ADMIN` and `CAP_NET_RAW` in the initial
    /// user namespace (real root, not root inside `unshare -Ur`).
    Root,
    /// Root inside a private user namespace (and a private home net namespace,
    /// so threads may `setns` back to it after a lab).
    Rootless,
}

/// Why the suite cannot get the privilege it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// Whether the system refused, or the process could not even look.
    pub kind: UnsupportedKind,
    /// Human-readable cause, for the skip message.
    pub reason: String,
}

/// A real absence of privilege (a skip) or a failure to find out (an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsupportedKind {
    /// Not root, and the kernel refuses a user namespace.
    Refused,
    /// The harness failed to find out (/proc unreadable) or asked too late
    /// (threads exist): an error, never a skip.
    Harness,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            UnsupportedKind::Refused => {
                write!(f, "no privilege for network namespaces: {}", self.reason)
            }
            UnsupportedKind::Harness => {
                write!(f, "cannot tell the privilege: {}", self.reason)
            }
        }
    }
}

impl std::error::Error for Unsupported {}

static CURRENT: OnceLock<Privilege> = OnceLock::new();

/// The privilege established by a successful [`init`], if any.
pub fn current() -> Option<Privilege> {
    CURRENT.get().copied()
}

/// Establishes the privilege; call at the start of `main`, while the process
/// is still single-threaded (the kernel refuses `CLONE_NEWUSER` otherwise).
/// Idempotent: a second call returns the first result.
pub fn init() -> Result<Privilege, Unsupported> {
    if let Some(p) = current() {
        return Ok(p);
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    let p = if in_initial_user_namespace()? && has_capabilities(ROOT_CAPABILITIES)? {
        Privilege::Root
    } else {
        // Root inside someone else's user namespace (`unshare -Ur`) cannot
        // `setns` back to the initial net namespace: it needs a namespace
        // pair of its own like any user.
        enter_user_namespace(euid)?;
        Privilege::Rootless
    };
    Ok(*CURRENT.get_or_init(|| p))
}

/// `CAP_NET_ADMIN` (12), `CAP_NET_RAW` (13), `CAP_SYS_ADMIN` (21): links,
/// raw frames, namespaces and tracefs.
const ROOT_CAPABILITIES: [u32; 3] = [12, 13, 21];

/// The initial user namespace maps every uid to itself.
fn in_initial_user_namespace() -> Result<bool, Unsupported> {
    let map = fs::read_to_string("/proc/self/uid_map")
        .map_err(|e| harness_failure(format!("read /proc/self/uid_map: {e}")))?;
    Ok(map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"])
}

/// Whether every capability in `caps` is effective (`CapEff` in /proc/self/status).
fn has_capabilities(caps: [u32; 3]) -> Result<bool, Unsupported> {
    let status = fs::read_to_string("/proc/self/status")
        .map_err(|e| harness_failure(format!("read /proc/self/status: {e}")))?;
    let effective = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .ok_or_else(|| harness_failure("no CapEff line in /proc/self/status"))?;
    Ok(caps.iter().all(|c| effective & (1u64 << c) != 0))
}

fn unsupported(reason: impl Into<String>) -> Unsupported {
    Unsupported {
        kind: UnsupportedKind::Refused,
        reason: reason.into(),
    }
}

fn harness_failure(reason: impl Into<String>) -> Unsupported {
    Unsupported {
        kind: UnsupportedKind::Harness,
        reason: reason.into(),
    }
}

fn thread_count() -> Result<usize, Unsupported> {
    fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .map_err(|e| harness_failure(format!("read /proc/self/task: {e}")))
}

fn enter_user_namespace(euid: libc::uid_t) -> Result<(), Unsupported> {
    let threads = thread_count()?;
    if threads > 1 {
        return Err(harness_failure(format!(
            "without root's capabilities, and the process already has {threads} threads; \
             unshare(CLONE_NEWUSER) needs a single-threaded process"
        )));
    }
    // SAFETY: getegid has no preconditions and cannot fail.
    let egid = unsafe { libc::getegid() };
    // SAFETY: unshare only takes flags; on failure it changes nothing.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER) } != 0 {
        let err = std::io::Error::last_os_error();
        return Err(unsupported(format!("unshare(CLONE_NEWUSER): {err}")));
    }
    let write = |path: &str, value: String| {
        fs::write(path, value).map_err(|e| unsupported(format!("write {path}: {e}")))
    };
    write("/proc/self/setgroups", "deny".to_owned())?;
    write("/proc/self/uid_map", format!("0 {euid} 1"))?;
    write("/proc/self/gid_map", format!("0 {egid} 1"))?;
    // A home net namespace owned by our user namespace: without it a thread
    // could leave for a lab namespace but never `setns` back to the initial
    // one (that needs CAP_SYS_ADMIN over the initial user namespace).
    // SAFETY: as above; still single-threaded, so every later thread inherits it.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        let err = std::io::Error::last_os_error();
        return Err(unsupported(format!("unshare(CLONE_NEWNET): {err}")));
    }
    Ok(())
}
