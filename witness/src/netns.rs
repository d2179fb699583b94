//! Entering a network namespace from a thread of its own: what a thread
//! opens there (sockets, `/proc/thread-self/net` files) belongs to the
//! namespace, and the caller's thread never moves. The one place that
//! calls `setns` for the suite's harness, the lab and the tool.
#![allow(unsafe_code)]

use std::fs::File;
use std::os::fd::AsRawFd;

/// Why work inside a namespace did not run or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum InsideError {
    /// `setns` refused (no `CAP_SYS_ADMIN`, or not a network namespace).
    #[error("setns: {0}")]
    Setns(#[source] std::io::Error),
    /// The thread inside the namespace panicked.
    #[error("the thread inside the namespace panicked")]
    Panicked,
}

/// Moves the calling thread into the network namespace `ns` refers to (an
/// open nsfs file: `/run/netns/NAME`, `/proc/PID/ns/net`).
pub fn enter(ns: &File) -> std::io::Result<()> {
    // SAFETY: `ns` is an open descriptor for the whole call; setns with
    // CLONE_NEWNET changes only the calling thread's network namespace.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Runs `body` on a new thread that first enters `ns` (or stays in the
/// caller's namespace for `None`), and returns its result. The thread ends
/// with `body`, so nothing stays inside the namespace.
pub fn run_inside<T: Send>(
    ns: Option<&File>,
    body: impl FnOnce() -> T + Send,
) -> Result<T, InsideError> {
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                if let Some(ns) = ns {
                    enter(ns).map_err(InsideError::Setns)?;
                }
                Ok(body())
            })
            .join()
            .map_err(|_| InsideError::Panicked)?
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn inode() -> u64 {
        std::fs::metadata("/proc/thread-self/ns/net").unwrap().ino()
    }

    /// The work runs in the namespace it was given and the caller's thread
    /// stays where it was; a file that is no namespace is refused.
    #[test]
    fn the_thread_moves_and_the_caller_does_not() {
        let here = inode();
        let own = File::open("/proc/thread-self/ns/net").unwrap();
        assert_eq!(run_inside(Some(&own), inode).unwrap(), here);
        assert_eq!(run_inside(None, inode).unwrap(), here);
        let not_ns = File::open("/proc/self/status").unwrap();
        assert!(matches!(
            run_inside(Some(&not_ns), inode),
            Err(InsideError::Setns(_))
        ));
        assert!(matches!(
            run_inside(None, || panic!("inside")),
            Err(InsideError::Panicked)
        ));
        assert_eq!(inode(), here);
    }

    /// Into another namespace (a fresh one, made by a thread that leaves
    /// it open): the work sees it, the caller does not.
    #[test]
    fn into_another_namespace() {
        let fresh = std::thread::spawn(|| {
            // SAFETY: unshare only takes flags; CLONE_NEWNET moves this
            // short-lived thread alone.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            File::open("/proc/thread-self/ns/net")
        })
        .join()
        .unwrap();
        let fresh = match fresh {
            Ok(f) => f,
            Err(e) => {
                eprintln!("SKIP into_another_namespace: unshare(CLONE_NEWNET): {e}");
                return;
            }
        };
        let here = inode();
        let there = fresh.metadata().unwrap().ino();
        assert_ne!(here, there);
        assert_eq!(run_inside(Some(&fresh), inode).unwrap(), there);
        assert_eq!(inode(), here);
    }
}
