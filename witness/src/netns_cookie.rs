//! The cookie that names a network namespace in trace events (`net=`), as
//! `SO_NETNS_COOKIE` reports it for a socket of the calling thread's
//! namespace.
#![allow(unsafe_code)]

use std::os::fd::AsRawFd;

/// `SO_NETNS_COOKIE` from `asm-generic/socket.h` (not in every libc).
const SO_NETNS_COOKIE: libc::c_int = 71;

/// The cookie of the calling thread's network namespace.
pub fn current() -> std::io::Result<u64> {
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    let mut cookie: u64 = 0;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: the fd is open for the whole call; cookie and len point to a
    // live u64 and its size.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_NETNS_COOKIE,
            (&raw mut cookie).cast(),
            &raw mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(cookie)
}
