//! Why a capture failed.

use crate::harness::{HarnessError, privilege};

/// Why a capture failed.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// No privilege for network namespaces.
    #[error("{0}")]
    Privilege(#[from] privilege::Unsupported),
    /// The lab or a raw socket failed.
    #[error("harness: {0}")]
    Harness(#[from] HarnessError),
    /// A socket call or the output file failed.
    #[error("{op}: {err}")]
    Io {
        /// What was being done.
        op: String,
        /// The error.
        err: std::io::Error,
    },
    /// The peer's exchange with the kernel failed.
    #[error("peer: {}", .0.chain())]
    Peer(#[source] crate::error::Error),
    /// The kernel has no TCP_MD5SIG.
    #[error("kernel without CONFIG_TCP_MD5SIG")]
    NoMd5,
    /// The kernel has no TCP-AO (`TCP_AO_ADD_KEY` is ENOPROTOOPT).
    #[error("kernel without CONFIG_TCP_AO")]
    NoTcpAo,
    /// Booting the kernel to capture on, or reading its capture back, failed.
    #[error("vm: {0}")]
    Vm(#[source] tcpmd5_vm::VmError),
}

/// An I/O error of `op`.
pub(super) fn io(op: impl Into<String>) -> impl FnOnce(std::io::Error) -> CaptureError {
    let op = op.into();
    move |err| CaptureError::Io { op, err }
}
