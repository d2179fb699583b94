//! The key vectors replayed on live sockets: their requests, and their
//! lookups answered by a listener holding the keys.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsFd;
use std::path::Path;

use serde_json::Value;
use socket2::{Domain, Protocol, Socket, Type};
use tcpmd5::key_table::{FLAG_IFINDEX, Md5SigOption};
use tcpmd5::wire::TcpFlags;
use tcpmd5::{Acceptance, Family, Key, Md5SigRequest, Semantics, Verdict, verify_segment};

use super::error::{CaptureError, io};
use crate::exchange::{Barrier, Reply, exchange};
use crate::harness::{Lab, privilege, sockopt};
use crate::judge::evidence;
use crate::segment::{SIGNED_SYN_OPTIONS, SegmentSpec, Signing};

/// What replaying the key vectors on live sockets found.
#[derive(Debug, Clone, Default)]
pub struct KeyReplay {
    /// Requests replayed.
    pub requests_checked: usize,
    /// Requests skipped: VRF-bound (the lab has no VRF), and the rest of
    /// their vector (later results depend on them).
    pub requests_skipped: usize,
    /// Lookups answered live.
    pub lookups_checked: usize,
    /// Lookups skipped: in an L3 domain, of a peer of the other family
    /// (no segment of it reaches the socket), or of a vector with a
    /// skipped request.
    pub lookups_skipped: usize,
    /// Every request or lookup whose live result differs from the vector.
    pub mismatches: Vec<String>,
}

/// Replays every key vector of `keys_dir` (`vectors/keys`) in a lab of its
/// own. Needs root or a user namespace ([`privilege::init`] is called: in
/// a program with threads, only root gets one).
pub fn replay_key_vectors(keys_dir: &Path) -> Result<KeyReplay, CaptureError> {
    privilege::init()?;
    if !sockopt::md5_supported().unwrap_or(false) {
        return Err(CaptureError::NoMd5);
    }
    let mut lab = Lab::new()?;
    let mut barrier = Barrier::open(&lab).map_err(io("barrier listeners"))?;
    replay(&mut lab, &mut barrier, keys_dir)
}

/// Replays the requests of every key vector on a fresh socket of the
/// vector's family, comparing success / errno with the vector (`added`,
/// `replaced`, `deleted` = 0); then makes that socket a listener and sends
/// it, for each lookup, a SYN from the lookup's peer: signed with the key
/// the vector expects (a SYN-ACK signed with it must answer), or unsigned
/// where it expects none (an unsigned SYN-ACK must answer).
pub(super) fn replay(
    lab: &mut Lab,
    barrier: &mut Barrier,
    keys_dir: &Path,
) -> Result<KeyReplay, CaptureError> {
    let entries =
        std::fs::read_dir(keys_dir).map_err(io(format!("read {}", keys_dir.display())))?;
    lab.add_onlink_everywhere()?;
    let mut out = KeyReplay::default();
    let mut port = 42000u16;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(io(format!("read {}", path.display())))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| io(format!("parse {}", path.display()))(std::io::Error::other(e)))?;
        for v in doc
            .get("vectors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            port += 1;
            replay_vector(lab, barrier, v, port, &mut out)?;
        }
    }
    Ok(out)
}

fn replay_vector(
    lab: &mut Lab,
    barrier: &mut Barrier,
    v: &Value,
    port: u16,
    out: &mut KeyReplay,
) -> Result<(), CaptureError> {
    let id = v.get("id").and_then(Value::as_str).unwrap_or("?");
    let family = match v.get("socket_family").and_then(Value::as_str) {
        Some("ipv4") => Family::V4,
        _ => Family::V6,
    };
    let domain = match family {
        Family::V4 => Domain::IPV4,
        Family::V6 => Domain::IPV6,
    };
    let sock = Socket::new(domain, Type::STREAM, Some(Protocol::TCP)).map_err(io("socket"))?;
    let list = |name: &str| {
        v.get(name)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (requests, lookups) = (list("requests"), list("lookups"));
    let mut skipping = false;
    for (i, r) in requests.iter().enumerate() {
        let num = |k: &str| r.get(k).and_then(Value::as_i64).unwrap_or(0);
        let ifindex = num("ifindex") as i32;
        let flags = num("flags") as u8;
        if skipping || (flags & FLAG_IFINDEX != 0 && ifindex != 0) {
            skipping = true;
            out.requests_skipped += 1;
            continue;
        }
        let Some(addr) = r
            .get("addr")
            .and_then(Value::as_str)
            .and_then(|a| a.parse::<IpAddr>().ok())
        else {
            continue;
        };
        let key_bytes = hex(r.get("key").and_then(Value::as_str).unwrap_or(""));
        let mut cmd = Md5SigRequest::delete(addr);
        for (slot, b) in cmd.key.iter_mut().zip(key_bytes) {
            *slot = b;
        }
        cmd.sa_family = num("sa_family") as u16;
        cmd.flags = flags;
        cmd.prefixlen = num("prefixlen") as u8;
        cmd.keylen = num("keylen") as u16;
        cmd.ifindex = ifindex;
        cmd.option = match r.get("option").and_then(Value::as_str) {
            Some("TCP_MD5SIG_EXT") => Md5SigOption::Md5SigExt,
            _ => Md5SigOption::Md5Sig,
        };
        cmd.optlen = num("optlen") as usize;
        let got = match sockopt::set_md5sig(sock.as_fd(), &cmd) {
            Ok(()) => "0".to_owned(),
            Err(e) => e.name(),
        };
        let want = match r.get("expected").and_then(Value::as_str) {
            Some("added" | "replaced" | "deleted") => "0",
            Some(other) => other,
            None => "?",
        };
        out.requests_checked += 1;
        if got != want {
            out.mismatches
                .push(format!("{id} request {i}: vector {want}, kernel {got}"));
        }
    }
    if skipping {
        out.lookups_skipped += lookups.len();
        return Ok(());
    }
    let any = match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Family::V6 => {
            // Dual-stack, for the v4-mapped peers.
            sock.set_only_v6(false).map_err(io("IPV6_V6ONLY"))?;
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        }
    };
    sock.bind(&SocketAddr::new(any, port).into())
        .map_err(io(format!("bind port {port}")))?;
    sock.listen(64).map_err(io("listen"))?;
    for (i, l) in lookups.iter().enumerate() {
        let Some(peer) = l
            .get("peer")
            .and_then(Value::as_str)
            .and_then(|a| a.parse::<IpAddr>().ok())
        else {
            continue;
        };
        let l3index = l.get("l3index").and_then(Value::as_i64).unwrap_or(0);
        let Some(src) = sender(family, peer).filter(|_| l3index == 0) else {
            out.lookups_skipped += 1;
            continue;
        };
        let key = match l.get("expected_key").and_then(Value::as_str) {
            Some(h) => Some(
                Key::new(&hex(h))
                    .map_err(|e| io(format!("{id} lookup {i} key"))(std::io::Error::other(e)))?,
            ),
            None => None,
        };
        lab.add_peer(src)?;
        let src_family = Family::of(&src);
        let mut syn = SegmentSpec::syn(
            src,
            lab.kernel_addr(src_family),
            40000u16.wrapping_add(port % 1000 * 16 + i as u16),
            port,
            0x6b65_0000 | u32::from(port),
        );
        if let Some(k) = &key {
            syn.tcp.options = SIGNED_SYN_OPTIONS.to_vec();
            syn.signing = Signing::Key(k.clone());
        }
        let obs = exchange(lab, barrier, &syn).map_err(CaptureError::Peer)?;
        out.lookups_checked += 1;
        let answered = obs
            .replies
            .iter()
            .any(|r| r.flags.contains(TcpFlags::SYN | TcpFlags::ACK) && signed_by(r, key.as_ref()));
        if !answered || !obs.auth_counters.is_empty() {
            let want = match key {
                Some(_) => "a SYN-ACK signed with its key",
                None => "an unsigned SYN-ACK",
            };
            out.mismatches.push(format!(
                "{id} lookup {i} ({peer}): vector {want}, kernel {}",
                evidence(&obs)
            ));
        }
    }
    Ok(())
}

/// The address a SYN for a lookup of `peer` comes from, on a socket of
/// `family`: `None` where no segment of the peer reaches it (another
/// family; over IPv6 a plain IPv4 peer is asked as its v4-mapped form).
fn sender(family: Family, peer: IpAddr) -> Option<IpAddr> {
    match (family, peer) {
        (Family::V4, IpAddr::V4(_)) => Some(peer),
        (Family::V6, IpAddr::V6(a)) => Some(a.to_ipv4_mapped().map_or(peer, IpAddr::V4)),
        _ => None,
    }
}

/// Whether `reply` is signed with `key` (unsigned for `None`).
fn signed_by(reply: &Reply, key: Option<&Key>) -> bool {
    let want = match key {
        Some(_) => Acceptance::Signed,
        None => Acceptance::Unsigned,
    };
    verify_segment(&reply.addrs, &reply.segment, key, Semantics::Rfc2385)
        == Ok(Verdict::Accept(want))
}

/// The bytes of a hex string (a vector's key); nothing when it is not hex.
fn hex(s: &str) -> Vec<u8> {
    tcpmd5_testkit::record::unhex(s).unwrap_or_default()
}
