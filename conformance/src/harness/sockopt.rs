//! Sockets for the cases, and `TCP_MD5SIG` / `TCP_MD5SIG_EXT` byte-exact:
//! requests are the library's [`Md5SigRequest`], whose bytes the key-table
//! model reads too, so malformed commands reach kernel and model alike.
#![allow(unsafe_code)]

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd};

use socket2::{Domain, Protocol, Socket, Type};
use tcpmd5::key_table::Md5SigRequest;

pub use super::errno::Errno;

/// `setsockopt(IPPROTO_TCP, optname, optval)` with raw bytes.
pub fn setsockopt_tcp(
    fd: BorrowedFd<'_>,
    optname: libc::c_int,
    optval: &[u8],
) -> Result<(), Errno> {
    // SAFETY: fd is a live descriptor for the borrow; the pointer and length
    // describe `optval`, which outlives the call.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            optname,
            optval.as_ptr().cast(),
            optval.len() as libc::socklen_t,
        )
    };
    if rc == 0 { Ok(()) } else { Err(Errno::last()) }
}

/// Makes `request` with its option name and the first `request.optlen`
/// bytes of its `struct tcp_md5sig` (a shorter `optlen` tests the length
/// check; a longer one is clamped to the struct).
pub fn set_md5sig(fd: BorrowedFd<'_>, request: &Md5SigRequest) -> Result<(), Errno> {
    let bytes = request.to_bytes();
    let optval = bytes.get(..request.optlen.min(bytes.len())).unwrap_or(&[]);
    setsockopt_tcp(fd, request.option.optname(), optval)
}

/// A non-blocking TCP listener (SO_REUSEADDR, backlog 128); `v6only` sets
/// `IPV6_V6ONLY` on IPv6 sockets when given.
pub fn listener(addr: SocketAddr, v6only: Option<bool>) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    if let (SocketAddr::V6(_), Some(only)) = (addr, v6only) {
        sock.set_only_v6(only)?;
    }
    sock.bind(&addr.into())?;
    sock.listen(128)?;
    sock.set_nonblocking(true)?;
    Ok(sock)
}

/// Whether the kernel has `CONFIG_TCP_MD5SIG`: deleting a key that does not
/// exist answers ENOENT when it does, ENOPROTOOPT when it does not.
pub fn md5_supported() -> Result<bool, Errno> {
    let sock = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).map_err(Errno::from)?;
    let delete = Md5SigRequest::delete(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));
    use std::os::fd::AsFd;
    match set_md5sig(sock.as_fd(), &delete) {
        Err(Errno(libc::ENOENT)) | Ok(()) => Ok(true),
        Err(Errno(libc::ENOPROTOOPT)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The socket's TCP state (`tcpi_state` of `TCP_INFO`: 1 ESTABLISHED,
/// 4 FIN-WAIT-1, 5 FIN-WAIT-2, 7 CLOSE, ...).
pub fn tcp_state(fd: BorrowedFd<'_>) -> Result<u8, Errno> {
    let mut info = [0u8; 8];
    let mut len = info.len() as libc::socklen_t;
    // SAFETY: fd is a live descriptor for the borrow; the pointer and length
    // describe `info`, which outlives the call, and the kernel writes at
    // most `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    let [state, ..] = info;
    if rc == 0 {
        Ok(state)
    } else {
        Err(Errno::last())
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use tcpmd5::Key;
    use tcpmd5::key_table::{AF_INET, AF_INET6, TCP_MD5SIG, TCP_MD5SIG_EXT, TCP_MD5SIG_LEN};

    /// The library's encoding against libc's definitions of the structs.
    #[test]
    fn layout_v4_matches_libc() {
        let mut r = Md5SigRequest::add(
            IpAddr::V4(Ipv4Addr::new(10, 99, 0, 2)),
            &Key::from_array(b"secret"),
        )
        .with_prefix(24)
        .with_ifindex(7);
        r.flags = 3;
        let b = r.to_bytes();
        assert_eq!(b.len(), TCP_MD5SIG_LEN);
        assert_eq!(
            TCP_MD5SIG_LEN,
            std::mem::size_of::<libc::sockaddr_storage>() + 1 + 1 + 2 + 4 + 80
        );
        assert_eq!(AF_INET, libc::AF_INET as u16);
        assert_eq!(&b[0..2], &(libc::AF_INET as u16).to_ne_bytes());
        assert_eq!(&b[2..4], &[0, 0]);
        assert_eq!(&b[4..8], &[10, 99, 0, 2]);
        assert_eq!(b[128], 3);
        assert_eq!(b[129], 24);
        assert_eq!(&b[130..132], &6u16.to_ne_bytes());
        assert_eq!(&b[132..136], &7i32.to_ne_bytes());
        assert_eq!(&b[136..142], b"secret");
        assert!(b[142..].iter().all(|&x| x == 0));
        assert_eq!(r.option.optname(), TCP_MD5SIG_EXT);
    }

    #[test]
    fn layout_v6_and_wrong_family() {
        let ip: Ipv6Addr = "fd00:99::2".parse().unwrap();
        let mut r = Md5SigRequest::add(IpAddr::V6(ip), &Key::from_array(b"k"));
        assert_eq!(r.sa_family, libc::AF_INET6 as u16);
        assert_eq!(AF_INET6, libc::AF_INET6 as u16);
        assert_eq!(r.option.optname(), TCP_MD5SIG);
        r.sa_family = libc::AF_INET as u16;
        let b = r.to_bytes();
        assert_eq!(&b[0..2], &(libc::AF_INET as u16).to_ne_bytes());
        // sockaddr_in6: port, flowinfo, then the address at offset 8.
        assert_eq!(std::mem::offset_of!(libc::sockaddr_in6, sin6_addr), 8);
        assert_eq!(&b[8..24], &ip.octets());
    }
}
