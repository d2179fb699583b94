//! MD5 and TCP-AO keys on one socket, on a kernel with `CONFIG_TCP_AO`: a
//! key of one kind for a peer that a key of the other kind covers is
//! refused with `EKEYREJECTED`, as the kernel's tcp_ao selftest
//! `unsigned-md5.c` checks. Each row makes a sequence of `TCP_MD5SIG` and
//! `TCP_AO_ADD_KEY` requests on one listener and holds every answer against
//! the model ([`tcpmd5::ao_keys`] with the MD5 key table). Kernels without
//! TCP-AO skip these (the option does not exist there).

use std::net::IpAddr;
use std::os::fd::AsFd;

use tcpmd5::ao::{Algorithm, MasterKey, Mkt};
use tcpmd5::ao_keys::{AoKeyTable, AoPeer};
use tcpmd5::key_table::{KeyTable, Md5SigRequest};
use tcpmd5::{Family, Key};

use super::kit::common::{LISTEN_PORT, lab_prefix, other_peer, subnet};
use crate::case::{Case, Ctx, Need};
use crate::error::Error;
use crate::harness::ao_sockopt::AoAddKey;
use crate::harness::{Errno, ao_sockopt, sockopt};
use crate::outcome::Finding;

/// Which peer a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The default peer alone.
    Peer,
    /// The lab subnet (a prefix key covering the peer).
    Subnet,
    /// Another peer outside the subnet's default peer (10.99.0.200).
    Other,
}

/// One request.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// `TCP_MD5SIG(_EXT)` adding a key.
    Md5(Scope),
    /// `TCP_MD5SIG` deleting the default peer's key.
    Md5Delete,
    /// `TCP_AO_ADD_KEY` (hmac(sha1), no VRF binding).
    Ao(Scope),
}

/// One case.
#[derive(Debug, Clone, Copy)]
struct Row {
    name: &'static str,
    summary: &'static str,
    steps: &'static [Step],
}

const ROWS: &[Row] = &[
    Row {
        name: "md5-then-ao-same-peer",
        summary: "an AO key for a peer that has an MD5 key is rejected (EKEYREJECTED)",
        steps: &[Step::Md5(Scope::Peer), Step::Ao(Scope::Peer)],
    },
    Row {
        name: "ao-then-md5-same-peer",
        summary: "an MD5 key for a peer that has an AO key is rejected (EKEYREJECTED)",
        steps: &[Step::Ao(Scope::Peer), Step::Md5(Scope::Peer)],
    },
    Row {
        name: "different-peers",
        summary: "MD5 and AO keys for different peers live on one socket",
        steps: &[Step::Md5(Scope::Peer), Step::Ao(Scope::Other)],
    },
    Row {
        name: "md5-prefix-covers-ao-peer",
        summary: "an MD5 prefix key covering the peer rejects the peer's AO key",
        steps: &[Step::Md5(Scope::Subnet), Step::Ao(Scope::Peer)],
    },
    Row {
        name: "ao-prefix-covers-md5-peer",
        summary: "an AO prefix key covering the peer rejects the peer's MD5 key",
        steps: &[Step::Ao(Scope::Subnet), Step::Md5(Scope::Peer)],
    },
    Row {
        name: "md5-deleted-then-ao",
        summary: "once the peer's MD5 key is deleted, an AO key for it is accepted",
        steps: &[
            Step::Md5(Scope::Peer),
            Step::Md5Delete,
            Step::Ao(Scope::Peer),
        ],
    },
];

/// Every MD5/AO key-overlap case.
pub(super) fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for row in ROWS {
        for mut c in Case::per_family("ao-keys", row.name, row.summary, move |ctx, family| {
            run_row(ctx, family, row)
        }) {
            c.needs.push(Need::TcpAo);
            cases.push(c);
        }
    }
    cases
}

fn full(family: Family) -> u8 {
    match family {
        Family::V4 => 32,
        Family::V6 => 128,
    }
}

/// `(address, prefix length)` of a scope.
fn scope_addr(ctx: &Ctx<'_>, family: Family, scope: Scope) -> (IpAddr, u8) {
    let peer = ctx.lab.peer_addr(family);
    match scope {
        Scope::Peer => (peer, full(family)),
        Scope::Subnet => (subnet(peer, lab_prefix(family)), lab_prefix(family)),
        Scope::Other => (other_peer(family), full(family)),
    }
}

/// The request for `peer`: hmac(sha1), 12-byte MACs, SendID = RecvID =
/// 100, no VRF binding.
fn tcp_ao_add(peer: AoPeer, secret: &MasterKey) -> AoAddKey {
    AoAddKey::for_mkt(&Mkt {
        prefix: peer.prefix,
        ..Mkt::new(peer.addr, 100, 100, Algorithm::HmacSha1, secret.clone())
    })
}

fn answer(r: Result<(), i32>) -> String {
    match r {
        Ok(()) => "0".to_owned(),
        Err(errno) => Errno(errno).name(),
    }
}

fn run_row(ctx: &mut Ctx<'_>, family: Family, row: &Row) -> Result<Finding, Error> {
    let addr = std::net::SocketAddr::new(ctx.lab.kernel_addr(family), LISTEN_PORT);
    let v6only = (family == Family::V6).then_some(true);
    let sock = sockopt::listener(addr, v6only).map_err(Error::io(format!("listen on {addr}")))?;
    let secret = Key::from_array(b"tcpmd5-ao-overlap");
    let ao_secret = MasterKey::new(secret.as_bytes()).map_err(Error::MasterKey)?;
    // lo, vk, vp: no L3 master.
    let devices = [
        (1, false),
        (ctx.lab.kernel_ifindex() as i32, false),
        (ctx.lab.peer_ifindex() as i32, false),
    ];
    let mut md5 = KeyTable::new();
    let mut ao = AoKeyTable::new();
    let (mut expected, mut observed, mut problems) = (Vec::new(), Vec::new(), Vec::new());
    for step in row.steps {
        let (label, kernel, model) = match *step {
            Step::Md5(scope) => {
                let (addr, len) = scope_addr(ctx, family, scope);
                let req = if len == full(family) {
                    Md5SigRequest::add(addr, &secret)
                } else {
                    Md5SigRequest::add(addr, &secret).with_prefix(len)
                };
                let model = ao.check_md5(&req).and_then(|()| {
                    md5.apply(family, &req, devices.as_slice())
                        .map(|_| ())
                        .map_err(|e| e.errno())
                });
                let kernel = sockopt::set_md5sig(sock.as_fd(), &req);
                (format!("MD5 {addr}/{len}"), kernel, model)
            }
            Step::Md5Delete => {
                let req = Md5SigRequest::delete(ctx.lab.peer_addr(family));
                let model = ao.check_md5(&req).and_then(|()| {
                    md5.apply(family, &req, devices.as_slice())
                        .map(|_| ())
                        .map_err(|e| e.errno())
                });
                let kernel = sockopt::set_md5sig(sock.as_fd(), &req);
                ("MD5 delete".to_owned(), kernel, model)
            }
            Step::Ao(scope) => {
                let (addr, len) = scope_addr(ctx, family, scope);
                let peer = AoPeer { addr, prefix: len };
                let model = ao.add(peer, &md5);
                let kernel = ao_sockopt::add_key(sock.as_fd(), &tcp_ao_add(peer, &ao_secret));
                (format!("AO {addr}/{len}"), kernel, model)
            }
        };
        let kernel = answer(kernel.map_err(|e| e.0));
        let model = answer(model);
        if kernel != model {
            problems.push(format!("{label}: kernel {kernel}, model {model}"));
        }
        expected.push(format!("{label}: {model}"));
        observed.push(format!("{label}: {kernel}"));
    }
    Ok(Finding::compare(
        expected.join(" | "),
        observed.join(" | "),
        problems,
        Vec::new(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_ao_add_is_the_uapi_request_for_the_peer() {
        let peer = AoPeer {
            addr: "10.99.0.2".parse().expect("ip"),
            prefix: 32,
        };
        let secret = MasterKey::new(b"secret").expect("key");
        let b = tcp_ao_add(peer, &secret).to_bytes();
        assert_eq!(b.get(0..2), Some(&(libc::AF_INET as u16).to_ne_bytes()[..]));
        assert_eq!(b.get(4..8), Some(&[10, 99, 0, 2][..]));
        assert_eq!(b.get(128..138), Some(&b"hmac(sha1)"[..]));
        assert_eq!(b.get(202..208), Some(&[32, 100, 100, 12, 0, 6][..]));
        assert_eq!(b.get(208..214), Some(&b"secret"[..]));
    }

    #[test]
    fn the_model_errno_is_the_kernel_constant() {
        assert_eq!(tcpmd5::ao_keys::EKEYREJECTED, libc::EKEYREJECTED);
    }
}
