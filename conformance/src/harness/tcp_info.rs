//! The fields of `TCP_INFO` (`struct tcp_info`, include/uapi/linux/tcp.h)
//! that tell whether a segment reached a full socket and what it did there.
//!
//! `tcpi_segs_in` is incremented by `tcp_v{4,6}_rcv` (`tcp_segs_in`) after
//! `tcp_inbound_hash`: a segment the MD5 check drops never counts, one it
//! passes always does. That makes it a direct acceptance witness on
//! established sockets, independent of whether TCP then answers.
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, BorrowedFd};

use super::errno::Errno;

/// The `tcpi_state` values the differential reads (the kernel's numbers,
/// [`tcpmd5_witness::tcp_state::number`]).
pub use tcpmd5_witness::tcp_state::number::{
    CLOSE as STATE_CLOSE, CLOSE_WAIT as STATE_CLOSE_WAIT, ESTABLISHED as STATE_ESTABLISHED,
};

/// Byte offsets in `struct tcp_info` (stable uapi layout since Linux 4.2).
mod field {
    pub(super) const STATE: usize = 0;
    pub(super) const BYTES_RECEIVED: usize = 128;
    pub(super) const SEGS_IN: usize = 140;
    pub(super) const DATA_SEGS_IN: usize = 152;
    /// One past the last field read.
    pub(super) const END: usize = 156;
}

/// The receive-side counters of one socket at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    /// `tcpi_state`.
    pub state: u8,
    /// `tcpi_bytes_received`: payload bytes received in order.
    pub bytes_received: u64,
    /// `tcpi_segs_in`: segments that passed the authentication check.
    pub segs_in: u32,
    /// `tcpi_data_segs_in`: those of them that carried data.
    pub data_segs_in: u32,
}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    buf.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_ne_bytes)
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    buf.get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_ne_bytes)
}

/// Reads `TCP_INFO` of a TCP socket. `EPROTO` if the kernel returned fewer
/// bytes than the fields read here need (a kernel older than 4.6).
pub fn tcp_info(fd: BorrowedFd<'_>) -> Result<TcpInfo, Errno> {
    let mut buf = [0u8; 256];
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: fd is a live descriptor for the borrow; the pointer and length
    // describe `buf`, which outlives the call, and the kernel writes at most
    // `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(Errno::last());
    }
    if (len as usize) < field::END {
        return Err(Errno(libc::EPROTO));
    }
    Ok(TcpInfo {
        state: buf.get(field::STATE).copied().unwrap_or(0),
        bytes_received: u64_at(&buf, field::BYTES_RECEIVED),
        segs_in: u32_at(&buf, field::SEGS_IN),
        data_segs_in: u32_at(&buf, field::DATA_SEGS_IN),
    })
}
