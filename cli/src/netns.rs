//! Looking into a named network namespace (`--netns NAME`, as `ip netns`
//! names them under `/run/netns`) from a thread of its own: sockets and
//! `/proc/thread-self/net` files opened there belong to that namespace,
//! and the caller's thread never moves ([`tcpmd5_witness::netns`]).

use std::fs::File;
use std::path::PathBuf;

use tcpmd5_witness::netns;
use tcpmd5_witness::netns::InsideError::Setns;

/// Where `ip netns` keeps its namespaces.
pub const NETNS_RUN_DIR: &str = "/run/netns";

/// Why a namespace cannot be entered.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    /// The name is not a plain file name.
    #[error("--netns {0:?}: not a namespace name (a file name under {NETNS_RUN_DIR})")]
    BadName(String),
    /// `/run/netns/NAME` cannot be opened.
    #[error("--netns {name}: open {path}: {source}")]
    Open {
        /// The name given.
        name: String,
        /// The file.
        path: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// `setns` refused (no `CAP_SYS_ADMIN`, or not a network namespace).
    #[error("--netns {name}: setns: {source}")]
    Setns {
        /// The name given.
        name: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The namespace's thread panicked.
    #[error("--netns {0}: the thread inside the namespace failed")]
    Thread(String),
}

/// Runs `body` on a new thread that first enters namespace `name` (or stays
/// in the caller's namespace for `None`), and returns its result. The thread
/// ends with `body`, so nothing stays inside the namespace.
pub fn run_in<T: Send>(
    name: Option<&str>,
    body: impl FnOnce() -> T + Send,
) -> Result<T, NetnsError> {
    let file = name.map(open).transpose()?;
    netns::run_inside(file.as_ref(), body).map_err(|e| inside_error(name, e))
}

/// Starts `body` on a thread that first enters namespace `name` (or stays
/// in this one for `None`), for work that runs alongside the caller (the
/// caller renders what it sends). The thread ends with `body`.
pub fn spawn_in<T: Send + 'static>(
    name: Option<String>,
    body: impl FnOnce() -> T + Send + 'static,
) -> Result<std::thread::JoinHandle<Result<T, NetnsError>>, NetnsError> {
    let file = name.as_deref().map(open).transpose()?;
    Ok(std::thread::spawn(move || {
        if let Some(file) = &file {
            netns::enter(file).map_err(|e| inside_error(name.as_deref(), Setns(e)))?;
        }
        Ok(body())
    }))
}

fn inside_error(name: Option<&str>, e: netns::InsideError) -> NetnsError {
    let name = name.unwrap_or("-").to_owned();
    match e {
        netns::InsideError::Setns(source) => NetnsError::Setns { name, source },
        netns::InsideError::Panicked => NetnsError::Thread(name),
    }
}

fn open(name: &str) -> Result<File, NetnsError> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(NetnsError::BadName(name.to_owned()));
    }
    let path: PathBuf = [NETNS_RUN_DIR, name].iter().collect();
    File::open(&path).map_err(|source| NetnsError::Open {
        name: name.to_owned(),
        path: path.display().to_string(),
        source,
    })
}
