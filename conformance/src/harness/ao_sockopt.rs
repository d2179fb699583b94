//! The TCP-AO socket API (`CONFIG_TCP_AO`, Linux 6.7+), byte-exact:
//! `TCP_AO_ADD_KEY`, `TCP_AO_DEL_KEY`, `TCP_AO_INFO` (set and get),
//! `TCP_AO_GET_KEYS` and `TCP_AO_REPAIR`, with the layouts of
//! `include/uapi/linux/tcp.h` (every struct 8-byte aligned, little-endian
//! bitfields as on x86-64 and arm64). One home for the structs, so a case
//! builds a request from the model's [`Mkt`] and reads the socket's state
//! back as types. Secrets are [`MasterKey`]s: `Debug` shows their length.
#![allow(unsafe_code)]

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, BorrowedFd};

use tcpmd5::ao::{MasterKey, Mkt, OptionCoverage};
use zeroize::Zeroizing;

use super::errno::Errno;
use super::sockopt::setsockopt_tcp;

/// `setsockopt`: add an MKT (`struct tcp_ao_add`).
pub const TCP_AO_ADD_KEY: libc::c_int = 38;
/// `setsockopt`: delete an MKT (`struct tcp_ao_del`).
pub const TCP_AO_DEL_KEY: libc::c_int = 39;
/// `setsockopt`/`getsockopt`: per-socket AO state (`struct tcp_ao_info_opt`).
pub const TCP_AO_INFO: libc::c_int = 40;
/// `getsockopt`: list MKTs (`struct tcp_ao_getsockopt`).
pub const TCP_AO_GET_KEYS: libc::c_int = 41;
/// `setsockopt`/`getsockopt` in repair mode: ISNs and SNEs (`struct tcp_ao_repair`).
pub const TCP_AO_REPAIR: libc::c_int = 42;

/// `TCP_AO_KEYF_IFINDEX`: the key is bound to an L3 domain.
pub const KEYF_IFINDEX: u8 = 1 << 0;
/// `TCP_AO_KEYF_EXCLUDE_OPT`: options other than TCP-AO are not MACed.
pub const KEYF_EXCLUDE_OPT: u8 = 1 << 1;

/// `sizeof(struct tcp_ao_add)`.
pub const ADD_LEN: usize = 288;
/// `sizeof(struct tcp_ao_del)`.
pub const DEL_LEN: usize = 144;
/// `sizeof(struct tcp_ao_info_opt)`.
pub const INFO_LEN: usize = 48;
/// `sizeof(struct tcp_ao_getsockopt)`.
pub const GET_KEYS_LEN: usize = 304;
/// `sizeof(struct tcp_ao_repair)`.
pub const REPAIR_LEN: usize = 16;

/// `sizeof(struct __kernel_sockaddr_storage)`: every struct starts with one.
const SOCKADDR_LEN: usize = 128;
/// `TCP_AO_MAXKEYLEN`.
const MAX_KEY_LEN: usize = 80;
/// `alg_name[64]`.
const ALG_NAME_LEN: usize = 64;

/// A reply too short or malformed to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AoSockoptError {
    /// The kernel answered fewer bytes than the struct has.
    Short {
        /// The struct.
        what: &'static str,
        /// Bytes answered.
        got: usize,
        /// Bytes the struct has.
        want: usize,
    },
    /// The address family of a returned key is neither AF_INET nor AF_INET6.
    Family(u16),
    /// A key length beyond `TCP_AO_MAXKEYLEN`.
    KeyLen(u8),
}

impl fmt::Display for AoSockoptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AoSockoptError::Short { what, got, want } => {
                write!(f, "{what}: {got} bytes answered, the struct has {want}")
            }
            AoSockoptError::Family(fam) => write!(f, "TCP_AO_GET_KEYS: address family {fam}"),
            AoSockoptError::KeyLen(len) => {
                write!(f, "TCP_AO_GET_KEYS: key length {len} beyond {MAX_KEY_LEN}")
            }
        }
    }
}

impl std::error::Error for AoSockoptError {}

/// A sockopt call that failed: the kernel's errno, or a reply the decoder
/// refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AoCallError {
    /// The syscall failed.
    Errno(Errno),
    /// The reply did not decode.
    Decode(AoSockoptError),
}

impl fmt::Display for AoCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AoCallError::Errno(e) => write!(f, "{}", e.name()),
            AoCallError::Decode(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AoCallError {}

impl From<Errno> for AoCallError {
    fn from(e: Errno) -> AoCallError {
        AoCallError::Errno(e)
    }
}

impl From<AoSockoptError> for AoCallError {
    fn from(e: AoSockoptError) -> AoCallError {
        AoCallError::Decode(e)
    }
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

fn byte(buf: &[u8], at: usize) -> u8 {
    buf.get(at).copied().unwrap_or(0)
}

fn ne_u32(buf: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    put(&mut b, 0, buf.get(at..at + 4).unwrap_or(&[0; 4]));
    u32::from_ne_bytes(b)
}

fn ne_u64(buf: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    put(&mut b, 0, buf.get(at..at + 8).unwrap_or(&[0; 8]));
    u64::from_ne_bytes(b)
}

/// Writes a `sockaddr_in`/`sockaddr_in6` (port 0) at the start of `buf`.
fn put_sockaddr(buf: &mut [u8], addr: IpAddr) {
    match addr {
        IpAddr::V4(a) => {
            put(buf, 0, &(libc::AF_INET as u16).to_ne_bytes());
            put(buf, 4, &a.octets());
        }
        IpAddr::V6(a) => {
            put(buf, 0, &(libc::AF_INET6 as u16).to_ne_bytes());
            put(buf, 8, &a.octets());
        }
    }
}

/// Reads the address of a `sockaddr_in`/`sockaddr_in6` at the start of `buf`.
fn sockaddr(buf: &[u8]) -> Result<IpAddr, AoSockoptError> {
    let family = u16::from_ne_bytes([byte(buf, 0), byte(buf, 1)]);
    let octets = |at: usize, n: usize| buf.get(at..at + n).unwrap_or(&[]);
    if family == libc::AF_INET as u16 {
        let mut a = [0u8; 4];
        put(&mut a, 0, octets(4, 4));
        Ok(IpAddr::V4(Ipv4Addr::from(a)))
    } else if family == libc::AF_INET6 as u16 {
        let mut a = [0u8; 16];
        put(&mut a, 0, octets(8, 16));
        Ok(IpAddr::V6(Ipv6Addr::from(a)))
    } else {
        Err(AoSockoptError::Family(family))
    }
}

fn alg_name(buf: &[u8]) -> String {
    let raw = buf.get(..ALG_NAME_LEN).unwrap_or(&[]);
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(raw.get(..end).unwrap_or(&[])).into_owned()
}

fn bits(flags: &[bool]) -> u32 {
    flags
        .iter()
        .enumerate()
        .fold(0, |acc, (i, &on)| acc | (u32::from(on) << i))
}

/// `struct tcp_ao_add`: one MKT to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AoAddKey {
    /// The peer (the network address for a prefix).
    pub peer: IpAddr,
    /// The prefix length.
    pub prefix: u8,
    /// The crypto API name (`hmac(sha1)`, `cmac(aes128)`, or anything to
    /// test the kernel's refusal).
    pub alg_name: String,
    /// L3 domain (with [`KEYF_IFINDEX`]).
    pub ifindex: i32,
    /// Make it the current key at once.
    pub set_current: bool,
    /// Make it the RNext key at once.
    pub set_rnext: bool,
    /// SendID.
    pub send_id: u8,
    /// RecvID.
    pub recv_id: u8,
    /// MAC length in bytes.
    pub mac_len: u8,
    /// `TCP_AO_KEYF_*`.
    pub keyflags: u8,
    /// The master key.
    pub secret: MasterKey,
}

impl AoAddKey {
    /// The request that gives a socket the model's `mkt`.
    pub fn for_mkt(mkt: &Mkt) -> AoAddKey {
        let mut keyflags = 0;
        if mkt.coverage == OptionCoverage::Excluded {
            keyflags |= KEYF_EXCLUDE_OPT;
        }
        if mkt.l3index.is_some() {
            keyflags |= KEYF_IFINDEX;
        }
        AoAddKey {
            peer: mkt.peer,
            prefix: mkt.prefix,
            alg_name: mkt.algorithm.linux_name().to_owned(),
            ifindex: mkt.l3index.unwrap_or(0),
            set_current: false,
            set_rnext: false,
            send_id: mkt.send_id,
            recv_id: mkt.recv_id,
            mac_len: mkt.mac_len,
            keyflags,
            secret: mkt.secret.clone(),
        }
    }

    /// The struct's bytes.
    pub fn to_bytes(&self) -> [u8; ADD_LEN] {
        let mut b = [0u8; ADD_LEN];
        put_sockaddr(&mut b, self.peer);
        let name = self.alg_name.as_bytes();
        put(&mut b, 128, name.get(..name.len().min(63)).unwrap_or(&[]));
        put(&mut b, 192, &self.ifindex.to_ne_bytes());
        put(
            &mut b,
            196,
            &bits(&[self.set_current, self.set_rnext]).to_ne_bytes(),
        );
        let secret = self.secret.as_bytes();
        put(
            &mut b,
            202,
            &[
                self.prefix,
                self.send_id,
                self.recv_id,
                self.mac_len,
                self.keyflags,
                secret.len() as u8,
            ],
        );
        put(&mut b, 208, secret);
        b
    }
}

/// `struct tcp_ao_del`: which MKT to delete, and the current/RNext keys to
/// switch to in the same call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AoDelKey {
    /// The key's peer.
    pub peer: IpAddr,
    /// The key's prefix length.
    pub prefix: u8,
    /// The key's L3 domain (with [`KEYF_IFINDEX`]).
    pub ifindex: i32,
    /// The key's SendID.
    pub send_id: u8,
    /// The key's RecvID.
    pub recv_id: u8,
    /// `TCP_AO_KEYF_*` of the key.
    pub keyflags: u8,
    /// KeyID (SendID) to make current.
    pub current_key: Option<u8>,
    /// KeyID (RecvID) to make RNext.
    pub rnext: Option<u8>,
    /// `del_async` (listeners only).
    pub del_async: bool,
}

impl AoDelKey {
    /// Deletes the model's `mkt`, switching nothing.
    pub fn for_mkt(mkt: &Mkt) -> AoDelKey {
        let add = AoAddKey::for_mkt(mkt);
        AoDelKey {
            peer: add.peer,
            prefix: add.prefix,
            ifindex: add.ifindex,
            send_id: add.send_id,
            recv_id: add.recv_id,
            keyflags: add.keyflags,
            current_key: None,
            rnext: None,
            del_async: false,
        }
    }

    /// The struct's bytes.
    pub fn to_bytes(&self) -> [u8; DEL_LEN] {
        let mut b = [0u8; DEL_LEN];
        put_sockaddr(&mut b, self.peer);
        put(&mut b, 128, &self.ifindex.to_ne_bytes());
        let flags = bits(&[
            self.current_key.is_some(),
            self.rnext.is_some(),
            self.del_async,
        ]);
        put(&mut b, 132, &flags.to_ne_bytes());
        put(
            &mut b,
            138,
            &[
                self.prefix,
                self.send_id,
                self.recv_id,
                self.current_key.unwrap_or(0),
                self.rnext.unwrap_or(0),
                self.keyflags,
            ],
        );
        b
    }
}

/// The per-socket counters of `struct tcp_ao_info_opt`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AoSocketCounters {
    /// `pkt_good`: verified segments.
    pub good: u64,
    /// `pkt_bad`: segments that failed verification.
    pub bad: u64,
    /// `pkt_key_not_found`: no MKT with the segment's KeyID.
    pub key_not_found: u64,
    /// `pkt_ao_required`: unsigned segments dropped.
    pub ao_required: u64,
    /// `pkt_dropped_icmp`: ICMP errors ignored.
    pub dropped_icmp: u64,
}

impl AoSocketCounters {
    /// Each counter's increase from `before` to `self`, named as the
    /// `TcpExt` counter that moves with it.
    pub fn delta(&self, before: &AoSocketCounters) -> [(&'static str, u64); 5] {
        [
            ("TCPAOGood", self.good.wrapping_sub(before.good)),
            ("TCPAOBad", self.bad.wrapping_sub(before.bad)),
            (
                "TCPAOKeyNotFound",
                self.key_not_found.wrapping_sub(before.key_not_found),
            ),
            (
                "TCPAORequired",
                self.ao_required.wrapping_sub(before.ao_required),
            ),
            (
                "TCPAODroppedIcmps",
                self.dropped_icmp.wrapping_sub(before.dropped_icmp),
            ),
        ]
    }
}

/// `struct tcp_ao_info_opt`: what `getsockopt(TCP_AO_INFO)` answers and
/// what `setsockopt(TCP_AO_INFO)` sets. The kernel reports the current
/// key by its SendID and the RNext key by its RecvID.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AoInfo {
    /// The current key's SendID (`set_current`, `current_key`).
    pub current_key: Option<u8>,
    /// The RNext key's RecvID (`set_rnext`, `rnext`).
    pub rnext: Option<u8>,
    /// `ao_required`: unsigned segments are refused.
    pub ao_required: bool,
    /// `accept_icmps`: hard ICMP errors are acted on.
    pub accept_icmps: bool,
    /// Set the counters to [`AoInfo::counters`] (`set_counters`, in only).
    pub set_counters: bool,
    /// The per-socket counters.
    pub counters: AoSocketCounters,
}

impl AoInfo {
    /// The struct's bytes.
    pub fn to_bytes(&self) -> [u8; INFO_LEN] {
        let mut b = [0u8; INFO_LEN];
        let flags = bits(&[
            self.current_key.is_some(),
            self.rnext.is_some(),
            self.ao_required,
            self.set_counters,
            self.accept_icmps,
        ]);
        put(&mut b, 0, &flags.to_ne_bytes());
        put(
            &mut b,
            6,
            &[self.current_key.unwrap_or(0), self.rnext.unwrap_or(0)],
        );
        let c = &self.counters;
        for (i, v) in [
            c.good,
            c.bad,
            c.key_not_found,
            c.ao_required,
            c.dropped_icmp,
        ]
        .into_iter()
        .enumerate()
        {
            put(&mut b, 8 + 8 * i, &v.to_ne_bytes());
        }
        b
    }

    /// Decodes the struct.
    pub fn from_bytes(b: &[u8]) -> Result<AoInfo, AoSockoptError> {
        if b.len() < INFO_LEN {
            return Err(AoSockoptError::Short {
                what: "TCP_AO_INFO",
                got: b.len(),
                want: INFO_LEN,
            });
        }
        let flags = ne_u32(b, 0);
        let bit = |i: u32| flags & (1 << i) != 0;
        Ok(AoInfo {
            current_key: bit(0).then(|| byte(b, 6)),
            rnext: bit(1).then(|| byte(b, 7)),
            ao_required: bit(2),
            set_counters: bit(3),
            accept_icmps: bit(4),
            counters: AoSocketCounters {
                good: ne_u64(b, 8),
                bad: ne_u64(b, 16),
                key_not_found: ne_u64(b, 24),
                ao_required: ne_u64(b, 32),
                dropped_icmp: ne_u64(b, 40),
            },
        })
    }
}

/// Which keys `TCP_AO_GET_KEYS` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AoKeySelector {
    /// Every key (`get_all`).
    All,
    /// The current key, the RNext key, or both (`is_current`, `is_rnext`).
    CurrentRnext {
        /// The current key.
        current: bool,
        /// The RNext key.
        rnext: bool,
    },
    /// Keys for this peer/prefix with these KeyIDs (the kernel matches
    /// `sndid`/`rcvid` -1 as any only internally: here both are exact).
    Matching {
        /// Peer address.
        peer: IpAddr,
        /// Prefix length.
        prefix: u8,
        /// SendID.
        send_id: u8,
        /// RecvID.
        recv_id: u8,
    },
}

impl AoKeySelector {
    /// The `struct tcp_ao_getsockopt` request asking for at most `nkeys`.
    pub fn to_bytes(&self, nkeys: u32) -> [u8; GET_KEYS_LEN] {
        let mut b = [0u8; GET_KEYS_LEN];
        put(&mut b, 272, &nkeys.to_ne_bytes());
        let (flags, ids) = match *self {
            AoKeySelector::All => (bits(&[false, false, true]), [0, 0, 0]),
            AoKeySelector::CurrentRnext { current, rnext } => {
                (bits(&[current, rnext, false]), [0, 0, 0])
            }
            AoKeySelector::Matching {
                peer,
                prefix,
                send_id,
                recv_id,
            } => {
                put_sockaddr(&mut b, peer);
                (0, [send_id, recv_id, prefix])
            }
        };
        put(&mut b, 276, &(flags as u16).to_ne_bytes());
        put(&mut b, 278, &ids);
        b
    }
}

/// One key as `TCP_AO_GET_KEYS` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AoKeyEntry {
    /// Peer address.
    pub peer: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// The crypto API name the kernel holds (`cmac(aes128)` reads back as
    /// `cmac(aes)`).
    pub alg_name: String,
    /// The master key.
    pub secret: MasterKey,
    /// It is the current key.
    pub is_current: bool,
    /// It is the RNext key.
    pub is_rnext: bool,
    /// SendID.
    pub send_id: u8,
    /// RecvID.
    pub recv_id: u8,
    /// MAC length.
    pub mac_len: u8,
    /// `TCP_AO_KEYF_*`.
    pub keyflags: u8,
    /// L3 domain.
    pub ifindex: i32,
    /// Segments this key verified.
    pub pkt_good: u64,
    /// Segments that failed verification with this key.
    pub pkt_bad: u64,
}

impl AoKeyEntry {
    /// Decodes one listed key (one `struct tcp_ao_getsockopt`).
    pub fn from_bytes(b: &[u8]) -> Result<AoKeyEntry, AoSockoptError> {
        if b.len() < GET_KEYS_LEN {
            return Err(AoSockoptError::Short {
                what: "TCP_AO_GET_KEYS",
                got: b.len(),
                want: GET_KEYS_LEN,
            });
        }
        let keylen = byte(b, 283);
        let secret = b
            .get(192..192 + usize::from(keylen))
            .and_then(|k| MasterKey::new(k).ok())
            .ok_or(AoSockoptError::KeyLen(keylen))?;
        let flags = u16::from_ne_bytes([byte(b, 276), byte(b, 277)]);
        Ok(AoKeyEntry {
            peer: sockaddr(b)?,
            prefix: byte(b, 280),
            alg_name: alg_name(b.get(SOCKADDR_LEN..).unwrap_or(&[])),
            secret,
            is_current: flags & 1 != 0,
            is_rnext: flags & 2 != 0,
            send_id: byte(b, 278),
            recv_id: byte(b, 279),
            mac_len: byte(b, 281),
            keyflags: byte(b, 282),
            ifindex: ne_u32(b, 284) as i32,
            pkt_good: ne_u64(b, 288),
            pkt_bad: ne_u64(b, 296),
        })
    }
}

/// `struct tcp_ao_repair`: the ISNs and SNEs of a connection in repair
/// mode (`TCP_REPAIR` on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AoRepair {
    /// This end's ISN.
    pub snt_isn: u32,
    /// The peer's ISN.
    pub rcv_isn: u32,
    /// The send SNE.
    pub snd_sne: u32,
    /// The receive SNE.
    pub rcv_sne: u32,
}

impl AoRepair {
    /// The struct's bytes (ISNs in network order, SNEs native).
    pub fn to_bytes(&self) -> [u8; REPAIR_LEN] {
        let mut b = [0u8; REPAIR_LEN];
        put(&mut b, 0, &self.snt_isn.to_be_bytes());
        put(&mut b, 4, &self.rcv_isn.to_be_bytes());
        put(&mut b, 8, &self.snd_sne.to_ne_bytes());
        put(&mut b, 12, &self.rcv_sne.to_ne_bytes());
        b
    }

    /// Decodes the struct.
    pub fn from_bytes(b: &[u8]) -> Result<AoRepair, AoSockoptError> {
        if b.len() < REPAIR_LEN {
            return Err(AoSockoptError::Short {
                what: "TCP_AO_REPAIR",
                got: b.len(),
                want: REPAIR_LEN,
            });
        }
        Ok(AoRepair {
            snt_isn: u32::from_be(ne_u32(b, 0)),
            rcv_isn: u32::from_be(ne_u32(b, 4)),
            snd_sne: ne_u32(b, 8),
            rcv_sne: ne_u32(b, 12),
        })
    }
}

/// `getsockopt(IPPROTO_TCP, optname)` into `buf` (which also carries the
/// request in); the length the kernel answers.
pub fn getsockopt_tcp(
    fd: BorrowedFd<'_>,
    optname: libc::c_int,
    buf: &mut [u8],
    optlen: usize,
) -> Result<usize, Errno> {
    let mut len = optlen.min(buf.len()) as libc::socklen_t;
    // SAFETY: fd is a live descriptor for the borrow; the kernel writes at
    // most what the option allows into `buf`, which the caller sized for
    // it (`TCP_AO_GET_KEYS` writes one struct per key within `buf.len()`,
    // as `nkeys` asked for), and `len` outlives the call.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            optname,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(len as usize)
    } else {
        Err(Errno::last())
    }
}

/// `setsockopt(TCP_AO_ADD_KEY)`.
pub fn add_key(fd: BorrowedFd<'_>, key: &AoAddKey) -> Result<(), Errno> {
    // The request holds the master key: wiped once the kernel has it.
    let bytes = Zeroizing::new(key.to_bytes());
    setsockopt_tcp(fd, TCP_AO_ADD_KEY, &*bytes)
}

/// `setsockopt(TCP_AO_DEL_KEY)`.
pub fn del_key(fd: BorrowedFd<'_>, key: &AoDelKey) -> Result<(), Errno> {
    setsockopt_tcp(fd, TCP_AO_DEL_KEY, &key.to_bytes())
}

/// `setsockopt(TCP_AO_INFO)`.
pub fn set_info(fd: BorrowedFd<'_>, info: &AoInfo) -> Result<(), Errno> {
    setsockopt_tcp(fd, TCP_AO_INFO, &info.to_bytes())
}

/// `getsockopt(TCP_AO_INFO)` (ENOENT on a socket without AO keys).
pub fn get_info(fd: BorrowedFd<'_>) -> Result<AoInfo, AoCallError> {
    let mut buf = [0u8; INFO_LEN];
    let len = getsockopt_tcp(fd, TCP_AO_INFO, &mut buf, INFO_LEN)?;
    Ok(AoInfo::from_bytes(buf.get(..len).unwrap_or(&[]))?)
}

/// `getsockopt(TCP_AO_GET_KEYS)` for at most `max` keys: how many matched
/// (possibly more than `max`) and the ones listed.
pub fn get_keys(
    fd: BorrowedFd<'_>,
    selector: &AoKeySelector,
    max: u32,
) -> Result<(u32, Vec<AoKeyEntry>), AoCallError> {
    let slots = max.max(1) as usize;
    // The kernel answers with the master keys: wiped when done.
    let mut buf = Zeroizing::new(vec![0u8; GET_KEYS_LEN * slots]);
    put(&mut buf[..], 0, &selector.to_bytes(max));
    getsockopt_tcp(fd, TCP_AO_GET_KEYS, &mut buf[..], GET_KEYS_LEN)?;
    // The kernel writes the number matched over the first entry's nkeys.
    let matched = ne_u32(&buf, 272);
    let listed = (matched.min(max)) as usize;
    let keys = buf
        .chunks(GET_KEYS_LEN)
        .take(listed)
        .map(AoKeyEntry::from_bytes)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((matched, keys))
}

/// `getsockopt(TCP_AO_REPAIR)` (EPERM outside repair mode).
pub fn get_repair(fd: BorrowedFd<'_>) -> Result<AoRepair, AoCallError> {
    let mut buf = [0u8; REPAIR_LEN];
    let len = getsockopt_tcp(fd, TCP_AO_REPAIR, &mut buf, REPAIR_LEN)?;
    Ok(AoRepair::from_bytes(buf.get(..len).unwrap_or(&[]))?)
}

/// `setsockopt(TCP_AO_REPAIR)` (EPERM outside repair mode).
pub fn set_repair(fd: BorrowedFd<'_>, repair: &AoRepair) -> Result<(), Errno> {
    setsockopt_tcp(fd, TCP_AO_REPAIR, &repair.to_bytes())
}

#[cfg(test)]
#[path = "ao_sockopt_tests.rs"]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests;
