//! The harness's error type: which step failed and why, with the errno kept typed.

use std::fmt;
use std::io;

use super::errno::Errno;

/// A failure while setting up or driving a lab.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A syscall failed.
    #[error("{op}: {errno}")]
    Sys {
        /// What was being done.
        op: String,
        /// The kernel's answer.
        errno: Errno,
    },
    /// A netlink request was answered with an error.
    #[error("netlink {op}: {errno}")]
    Netlink {
        /// The request.
        op: String,
        /// The errno from `NLMSG_ERROR`.
        errno: Errno,
    },
    /// A netlink answer could not be decoded, or had an unexpected shape.
    #[error("netlink {op}: {detail}")]
    Protocol {
        /// The request.
        op: String,
        /// What was wrong.
        detail: String,
    },
    /// A bounded wait ran out.
    #[error("timed out: {0}")]
    Timeout(String),
    /// A file under /proc or tracefs did not have the expected content.
    #[error("{path}: {detail}")]
    Parse {
        /// The file.
        path: String,
        /// What was wrong.
        detail: String,
    },
    /// The harness cannot work here (no privilege, feature missing).
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl From<tcpmd5_witness::counters::CountersError> for HarnessError {
    fn from(e: tcpmd5_witness::counters::CountersError) -> HarnessError {
        use tcpmd5_witness::counters::CountersError;
        match e {
            CountersError::Read { path, source } => {
                HarnessError::io(format!("read {path}"), &source)
            }
            CountersError::Parse { path, detail } => HarnessError::Parse { path, detail },
        }
    }
}

impl HarnessError {
    /// A failed syscall or I/O step, keeping the errno.
    pub fn io(op: impl fmt::Display, err: &io::Error) -> HarnessError {
        HarnessError::Sys {
            op: op.to_string(),
            errno: Errno::from_io(err),
        }
    }

    /// A failed libc call, reading errno now (call right after the failure).
    pub fn last_os(op: impl fmt::Display) -> HarnessError {
        HarnessError::Sys {
            op: op.to_string(),
            errno: Errno::last(),
        }
    }

    /// The errno, when the failure carries one.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            HarnessError::Sys { errno, .. } | HarnessError::Netlink { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}
