//! The `TCP_MD5SIG` socket option, byte-exact, so malformed commands can be sent.
#![allow(unsafe_code)]

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd};

use socket2::{Domain, Protocol, Socket, Type};

pub use super::errno::Errno;

/// `TCP_MD5SIG` (`include/uapi/linux/tcp.h`).
pub const TCP_MD5SIG: libc::c_int = 14;
/// `TCP_MD5SIG_EXT`: honours `tcpm_flags`, prefix and ifindex.
pub const TCP_MD5SIG_EXT: libc::c_int = 32;
/// `tcpm_flags` bit: `tcpm_prefixlen` is valid.
pub const TCP_MD5SIG_FLAG_PREFIX: u8 = 1;
/// `tcpm_flags` bit: `tcpm_ifindex` is valid.
pub const TCP_MD5SIG_FLAG_IFINDEX: u8 = 2;
/// Largest key Linux accepts.
pub const TCP_MD5SIG_MAXKEYLEN: usize = 80;
/// `sizeof(struct tcp_md5sig)`.
pub const TCP_MD5SIG_LEN: usize = 216;

const SOCKADDR_STORAGE_LEN: usize = 128;

/// Which option name to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Md5SigOption {
    /// `TCP_MD5SIG`: address and key only; flags, prefix and ifindex ignored.
    Md5Sig,
    /// `TCP_MD5SIG_EXT`: also flags, prefix length and ifindex.
    Md5SigExt,
}

impl Md5SigOption {
    /// The option number.
    pub fn raw(self) -> libc::c_int {
        match self {
            Md5SigOption::Md5Sig => TCP_MD5SIG,
            Md5SigOption::Md5SigExt => TCP_MD5SIG_EXT,
        }
    }
}

/// A mirror of `struct tcp_md5sig` whose fields may disagree with each other,
/// so that the kernel's validation can be tested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpMd5Sig {
    /// Raw `sa_family` written into `tcpm_addr` (may contradict `addr`).
    pub family: u16,
    /// Peer address, encoded as `sockaddr_in`/`sockaddr_in6` with port 0.
    pub addr: IpAddr,
    /// `tcpm_flags`.
    pub flags: u8,
    /// `tcpm_prefixlen`.
    pub prefixlen: u8,
    /// `tcpm_keylen` (may exceed 80 to test rejection).
    pub keylen: u16,
    /// `tcpm_ifindex`.
    pub ifindex: i32,
    /// `tcpm_key`.
    pub key: [u8; TCP_MD5SIG_MAXKEYLEN],
}

impl TcpMd5Sig {
    /// A well-formed command: the address's own family, no flags, `key`
    /// (truncated to 80 bytes); an empty key deletes.
    pub fn new(addr: IpAddr, key: &[u8]) -> TcpMd5Sig {
        let family = match addr {
            IpAddr::V4(_) => libc::AF_INET as u16,
            IpAddr::V6(_) => libc::AF_INET6 as u16,
        };
        let mut buf = [0u8; TCP_MD5SIG_MAXKEYLEN];
        let n = key.len().min(TCP_MD5SIG_MAXKEYLEN);
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), key.get(..n)) {
            dst.copy_from_slice(src);
        }
        TcpMd5Sig {
            family,
            addr,
            flags: 0,
            prefixlen: 0,
            keylen: n as u16,
            ifindex: 0,
            key: buf,
        }
    }

    /// The 216 bytes handed to the kernel (native endianness, like the C struct).
    pub fn to_bytes(&self) -> [u8; TCP_MD5SIG_LEN] {
        let mut v = Vec::with_capacity(TCP_MD5SIG_LEN);
        // sockaddr_in:  family(2) port(2, BE) addr(4)
        // sockaddr_in6: family(2) port(2, BE) flowinfo(4) addr(16) scope_id(4)
        v.extend_from_slice(&self.family.to_ne_bytes());
        v.extend_from_slice(&[0, 0]);
        match self.addr {
            IpAddr::V4(a) => v.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => {
                v.extend_from_slice(&[0; 4]);
                v.extend_from_slice(&a.octets());
            }
        }
        v.resize(SOCKADDR_STORAGE_LEN, 0);
        v.push(self.flags);
        v.push(self.prefixlen);
        v.extend_from_slice(&self.keylen.to_ne_bytes());
        v.extend_from_slice(&self.ifindex.to_ne_bytes());
        v.extend_from_slice(&self.key);
        let mut out = [0u8; TCP_MD5SIG_LEN];
        for (o, b) in out.iter_mut().zip(v) {
            *o = b;
        }
        out
    }
}

/// Sets `TCP_MD5SIG`/`TCP_MD5SIG_EXT` with the first `optlen` bytes of `cmd`
/// (`optlen` may be shorter than 216 to test the length check; larger values
/// are clamped to 216).
pub fn set_md5sig(
    fd: BorrowedFd<'_>,
    opt: Md5SigOption,
    cmd: &TcpMd5Sig,
    optlen: usize,
) -> Result<(), Errno> {
    let bytes = cmd.to_bytes();
    let len = optlen.min(bytes.len());
    // SAFETY: fd is a live descriptor for the borrow; the pointer covers
    // `len <= 216` initialised bytes that outlive the call.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            opt.raw(),
            bytes.as_ptr().cast(),
            len as libc::socklen_t,
        )
    };
    if rc == 0 { Ok(()) } else { Err(Errno::last()) }
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
    let cmd = TcpMd5Sig::new(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)), &[]);
    use std::os::fd::AsFd;
    match set_md5sig(sock.as_fd(), Md5SigOption::Md5Sig, &cmd, TCP_MD5SIG_LEN) {
        Err(Errno(libc::ENOENT)) | Ok(()) => Ok(true),
        Err(Errno(libc::ENOPROTOOPT)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `setsockopt(IPPROTO_TCP, optname, optval)` with the raw bytes of a
/// `struct tcp_md5sig` (as built by `tcpmd5::Md5SigRequest::to_bytes`, cut to
/// the request's `optlen`), so the kernel and the key-table model read the
/// very same bytes.
pub fn set_md5sig_raw(
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

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn layout_v4() {
        let mut c = TcpMd5Sig::new(IpAddr::V4(Ipv4Addr::new(10, 99, 0, 2)), b"secret");
        c.flags = 3;
        c.prefixlen = 24;
        c.ifindex = 7;
        let b = c.to_bytes();
        assert_eq!(b.len(), 216);
        assert_eq!(&b[0..2], &(libc::AF_INET as u16).to_ne_bytes());
        assert_eq!(&b[2..4], &[0, 0]);
        assert_eq!(&b[4..8], &[10, 99, 0, 2]);
        assert_eq!(b[128], 3);
        assert_eq!(b[129], 24);
        assert_eq!(&b[130..132], &6u16.to_ne_bytes());
        assert_eq!(&b[132..136], &7i32.to_ne_bytes());
        assert_eq!(&b[136..142], b"secret");
        assert!(b[142..].iter().all(|&x| x == 0));
    }

    #[test]
    fn layout_v6_and_wrong_family() {
        let ip: Ipv6Addr = "fd00:99::2".parse().unwrap_or(Ipv6Addr::LOCALHOST);
        let mut c = TcpMd5Sig::new(IpAddr::V6(ip), b"k");
        assert_eq!(c.family, libc::AF_INET6 as u16);
        c.family = libc::AF_INET as u16;
        let b = c.to_bytes();
        assert_eq!(&b[0..2], &(libc::AF_INET as u16).to_ne_bytes());
        assert_eq!(&b[8..24], &ip.octets());
    }

    #[test]
    fn struct_size_matches_libc() {
        assert_eq!(
            std::mem::size_of::<libc::sockaddr_storage>(),
            SOCKADDR_STORAGE_LEN
        );
    }
}
