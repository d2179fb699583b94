//! A fresh network namespace for the calling thread only, left again on drop.
#![allow(unsafe_code)]

use std::fs::File;
use std::marker::PhantomData;
use std::os::unix::fs::MetadataExt;

use super::error::HarnessError;

const THREAD_NET_NS: &str = "/proc/thread-self/ns/net";

/// The calling thread's membership of a fresh network namespace.
///
/// Not `Send`: namespaces are per thread, and the drop must run on the thread
/// that entered. The namespace itself dies once nothing (thread, socket, fd)
/// refers to it any more.
///
/// ```compile_fail
/// fn send<T: Send>() {}
/// send::<tcpmd5_conformance::harness::netns::NetNs>();
/// ```
#[derive(Debug)]
pub struct NetNs {
    saved: File,
    inode: u64,
    _not_send: PhantomData<*const ()>,
}

impl NetNs {
    /// Saves the current namespace and moves this thread into a new one.
    pub fn enter_fresh() -> Result<NetNs, HarnessError> {
        let saved = File::open(THREAD_NET_NS)
            .map_err(|e| HarnessError::io(format!("open {THREAD_NET_NS}"), &e))?;
        // SAFETY: unshare only takes flags; CLONE_NEWNET affects the calling thread alone.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return Err(HarnessError::last_os("unshare(CLONE_NEWNET)"));
        }
        let inode = match current_inode() {
            Ok(i) => i,
            Err(e) => {
                // Best effort: do not leave the thread stranded.
                let _ = restore(&saved);
                return Err(e);
            }
        };
        Ok(NetNs {
            saved,
            inode,
            _not_send: PhantomData,
        })
    }

    /// The namespace's cookie, as `SO_NETNS_COOKIE` reports it and as the
    /// `tcp_hash_*` tracepoints print it in `net_cookie`.
    pub fn cookie(&self) -> Result<u64, HarnessError> {
        tcpmd5_witness::netns_cookie::current()
            .map_err(|e| HarnessError::io("getsockopt(SO_NETNS_COOKIE)", &e))
    }

    /// The inode of the namespace (as in `net:[<inode>]`), for leftover checks.
    pub fn inode(&self) -> u64 {
        self.inode
    }
}

/// The inode of the calling thread's current network namespace.
pub fn current_inode() -> Result<u64, HarnessError> {
    std::fs::metadata(THREAD_NET_NS)
        .map(|m| m.ino())
        .map_err(|e| HarnessError::io(format!("stat {THREAD_NET_NS}"), &e))
}

fn restore(saved: &File) -> std::io::Result<()> {
    tcpmd5_witness::netns::enter(saved)
}

impl Drop for NetNs {
    fn drop(&mut self) {
        if let Err(e) = restore(&self.saved) {
            // The thread would stay in a dying namespace; later labs on it would
            // still work, but leftovers checks would flag it.
            eprintln!(
                "tcpmd5 harness: setns back from net namespace {} failed: {e}",
                self.inode
            );
        }
    }
}
