//! Keys and VRFs (L3 master devices, `CONFIG_NET_VRF`): which key a SYN
//! meets depends on the L3 domain it arrives in.
//!
//! The kernel looks keys up with the segment's `l3index`: the VRF's ifindex
//! when the receiving device is enslaved to a VRF, else 0. A key added with
//! `TCP_MD5SIG_FLAG_IFINDEX` matches only its own L3 domain (ifindex 0
//! included: such a key matches only segments outside every VRF); a key
//! without the flag matches in every domain, and a bound key beats an
//! unbound one (`__tcp_md5_do_lookup`, `better_md5_match`). These are the
//! rules the kernel's `selftests/net/fcnal-test.sh` exercises with MD5 in a
//! VRF (VRF-bound and global servers, bound and unbound keys, prefixes,
//! `--force-bind-key-ifindex` with ifindex 0), here as one table: each row
//! sets up a VRF, lets the kernel's device `vk` arrive inside it or not,
//! opens a listener bound to the VRF or global, adds keys to the kernel and
//! the model alike, and judges each probe SYN against the model's verdict
//! for the arrival's `l3index`.
//!
//! Global listeners see VRF arrivals only with `net.ipv4.tcp_l3mdev_accept
//! = 1`, which every row sets (the barrier listeners are global too).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tcpmd5::key_table::{KeyTable, Md5SigRequest};
use tcpmd5::{Family, Key};

use crate::model_query::packet_verdict;

use super::kit::common::{LISTEN_PORT, lab_prefix, signed_syn, subnet, syn};
use crate::case::{Case, Ctx, Need};
use crate::error::Error;
use crate::exchange::exchange;
use crate::harness::lab::KERNEL_IF;
use crate::harness::{link, sockopt, sysctl};
use crate::judge::judge;
use crate::listener::agreed;
use crate::outcome::Finding;

/// The lab's VRF device and its routing table.
const VRF_IF: &str = "vrf-lab";
const VRF_TABLE: u32 = 10;
/// Bound on waiting for the kernel's addresses to be local in the VRF.
const VRF_READY_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the probes arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arrival {
    /// `vk` is enslaved to the VRF: `l3index` is the VRF's ifindex.
    InVrf,
    /// The VRF exists, `vk` is not in it: `l3index` 0.
    Outside,
}

/// The listener's binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listen {
    /// `SO_BINDTODEVICE` the VRF (`nettest -I vrf`).
    InVrf,
    /// Unbound: sees VRF arrivals through `tcp_l3mdev_accept`.
    Global,
}

impl Listen {
    fn words(self) -> &'static str {
        match self {
            Listen::InVrf => "bound to the VRF",
            Listen::Global => "global",
        }
    }
}

/// How a key is scoped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Plain `TCP_MD5SIG`: every L3 domain.
    Unbound,
    /// `TCP_MD5SIG_FLAG_IFINDEX` with the VRF's ifindex.
    Vrf,
    /// `TCP_MD5SIG_FLAG_IFINDEX` with ifindex 0: outside every VRF only.
    L3Index0,
}

/// A key the listener holds for the peer (or the peer's subnet).
#[derive(Debug, Clone, Copy)]
struct KeyRow {
    secret: &'static [u8],
    scope: Scope,
    /// For the lab subnet instead of the peer's address.
    prefix: bool,
}

/// A probe SYN from the default peer.
#[derive(Debug, Clone, Copy)]
enum Probe {
    /// Signed with this secret.
    Signed(&'static [u8]),
    /// No MD5 option.
    Unsigned,
}

/// One case: the set-up and the probes; the verdicts come from the model.
#[derive(Debug, Clone, Copy)]
struct Row {
    area: &'static str,
    name: &'static str,
    summary: &'static str,
    arrival: Arrival,
    listen: Listen,
    keys: &'static [KeyRow],
    probes: &'static [Probe],
}

const VRF_KEY: &[u8] = b"vrf-key";
const GLOBAL_KEY: &[u8] = b"global-key";
const WRONG_KEY: &[u8] = b"wrong-key";

/// What a secret is for, for reports (secrets never reach output).
fn key_role(secret: &[u8]) -> &'static str {
    match secret {
        s if s == VRF_KEY => "VRF's key",
        s if s == GLOBAL_KEY => "global key",
        _ => "wrong key",
    }
}

const fn key_row(secret: &'static [u8], scope: Scope) -> KeyRow {
    KeyRow {
        secret,
        scope,
        prefix: false,
    }
}

const ROWS: &[Row] = &[
    Row {
        area: "key-selection",
        name: "ifindex-vrf-bound",
        summary: "a key bound to a VRF (TCP_MD5SIG_FLAG_IFINDEX) beats an unbound one inside the VRF and does not match outside",
        arrival: Arrival::InVrf,
        listen: Listen::Global,
        keys: &[
            key_row(GLOBAL_KEY, Scope::Unbound),
            key_row(VRF_KEY, Scope::Vrf),
        ],
        probes: &[
            Probe::Signed(VRF_KEY),
            Probe::Signed(GLOBAL_KEY),
            Probe::Unsigned,
        ],
    },
    Row {
        area: "vrf",
        name: "bound-key-ignored-outside",
        summary: "outside the VRF, the VRF-bound key does not match and the unbound key does",
        arrival: Arrival::Outside,
        listen: Listen::Global,
        keys: &[
            key_row(GLOBAL_KEY, Scope::Unbound),
            key_row(VRF_KEY, Scope::Vrf),
        ],
        probes: &[Probe::Signed(GLOBAL_KEY), Probe::Signed(VRF_KEY)],
    },
    Row {
        area: "vrf",
        name: "vrf-listener-bound-key",
        summary: "a listener bound to the VRF with a VRF-bound key: right key accepted, wrong key and unsigned dropped",
        arrival: Arrival::InVrf,
        listen: Listen::InVrf,
        keys: &[key_row(VRF_KEY, Scope::Vrf)],
        probes: &[
            Probe::Signed(VRF_KEY),
            Probe::Signed(WRONG_KEY),
            Probe::Unsigned,
        ],
    },
    Row {
        area: "vrf",
        name: "vrf-listener-unbound-key",
        summary: "a listener bound to the VRF with a key without FLAG_IFINDEX (an application unaware of VRFs) still verifies",
        arrival: Arrival::InVrf,
        listen: Listen::InVrf,
        keys: &[key_row(VRF_KEY, Scope::Unbound)],
        probes: &[Probe::Signed(VRF_KEY), Probe::Signed(WRONG_KEY)],
    },
    Row {
        area: "vrf",
        name: "vrf-listener-no-key",
        summary: "a listener bound to the VRF without keys drops a signed SYN (unexpected signature) and accepts an unsigned one",
        arrival: Arrival::InVrf,
        listen: Listen::InVrf,
        keys: &[],
        probes: &[Probe::Signed(VRF_KEY), Probe::Unsigned],
    },
    Row {
        area: "vrf",
        name: "vrf-listener-prefix-key",
        summary: "a VRF-bound key for the peer's subnet (FLAG_PREFIX|FLAG_IFINDEX) verifies inside the VRF",
        arrival: Arrival::InVrf,
        listen: Listen::InVrf,
        keys: &[KeyRow {
            secret: VRF_KEY,
            scope: Scope::Vrf,
            prefix: true,
        }],
        probes: &[Probe::Signed(VRF_KEY), Probe::Signed(WRONG_KEY)],
    },
    Row {
        area: "vrf",
        name: "l3index0-key-in-vrf",
        summary: "a key bound to ifindex 0 (FLAG_IFINDEX) does not match a VRF arrival: signed SYN dropped as unexpected, unsigned accepted",
        arrival: Arrival::InVrf,
        listen: Listen::Global,
        keys: &[key_row(GLOBAL_KEY, Scope::L3Index0)],
        probes: &[Probe::Signed(GLOBAL_KEY), Probe::Unsigned],
    },
    Row {
        area: "vrf",
        name: "l3index0-key-outside",
        summary: "a key bound to ifindex 0 matches outside every VRF",
        arrival: Arrival::Outside,
        listen: Listen::Global,
        keys: &[key_row(GLOBAL_KEY, Scope::L3Index0)],
        probes: &[Probe::Signed(GLOBAL_KEY), Probe::Unsigned],
    },
    Row {
        area: "vrf",
        name: "unbound-key-in-vrf",
        summary: "a key without FLAG_IFINDEX on a global listener matches a VRF arrival too",
        arrival: Arrival::InVrf,
        listen: Listen::Global,
        keys: &[key_row(GLOBAL_KEY, Scope::Unbound)],
        probes: &[
            Probe::Signed(GLOBAL_KEY),
            Probe::Signed(WRONG_KEY),
            Probe::Unsigned,
        ],
    },
];

/// Every VRF case.
pub(super) fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for row in ROWS {
        for mut c in Case::per_family(row.area, row.name, row.summary, move |ctx, family| {
            run_row(ctx, family, row)
        }) {
            c.needs.push(Need::Vrf);
            cases.push(c);
        }
    }
    cases
}

/// Creates the VRF (up, empty) and lets global sockets see its arrivals.
/// Returns its ifindex.
fn create_vrf() -> Result<u32, Error> {
    sysctl::write("net/ipv4/tcp_l3mdev_accept", "1")
        .map_err(Error::harness("tcp_l3mdev_accept"))?;
    link::create_vrf(VRF_IF, VRF_TABLE).map_err(Error::harness("creating the VRF"))?;
    let vrf = link::ifindex(VRF_IF).map_err(Error::harness("the VRF's ifindex"))?;
    link::set_up(vrf).map_err(Error::harness("setting the VRF up"))?;
    Ok(vrf)
}

/// Moves `vk` (with its addresses and the peer's neighbour entries) into
/// the VRF and waits until its addresses are local there.
fn enslave(ctx: &mut Ctx<'_>, vrf: u32) -> Result<(), Error> {
    let vk = ctx.lab.kernel_ifindex();
    // Enslaving cycles the link: keep its IPv6 addresses across the down.
    sysctl::write(&format!("net/ipv6/conf/{KERNEL_IF}/keep_addr_on_down"), "1")
        .map_err(Error::harness("keep_addr_on_down"))?;
    link::set_master(vk, vrf).map_err(Error::harness("enslaving vk to the VRF"))?;
    link::set_up(vk).map_err(Error::harness("setting vk up in the VRF"))?;
    for family in Family::ALL {
        // Already there after the cycle, or added back.
        let _ = link::add_address(vk, ctx.lab.kernel_addr(family), lab_prefix(family));
        ctx.lab
            .add_peer(ctx.lab.peer_addr(family))
            .map_err(Error::harness("the peer's neighbour entry in the VRF"))?;
    }
    let started = Instant::now();
    for family in Family::ALL {
        let ip = ctx.lab.kernel_addr(family);
        while !link::is_local_via(ip, Some(vrf))
            .map_err(Error::harness("a route lookup in the VRF"))?
        {
            if started.elapsed() > VRF_READY_TIMEOUT {
                return Err(Error::NotSeen(format!("{ip} local in {VRF_IF}")));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    Ok(())
}

/// A non-blocking listener on the kernel's address, bound to the VRF or not.
fn listen(ctx: &Ctx<'_>, family: Family, binding: Listen) -> Result<socket2::Socket, Error> {
    use socket2::{Domain, Protocol, Socket, Type};
    let addr = SocketAddr::new(ctx.lab.kernel_addr(family), LISTEN_PORT);
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(Error::io("a listener socket"))?;
    let setup = || -> std::io::Result<()> {
        sock.set_reuse_address(true)?;
        if family == Family::V6 {
            sock.set_only_v6(true)?;
        }
        if binding == Listen::InVrf {
            sock.bind_device(Some(VRF_IF.as_bytes()))?;
        }
        sock.bind(&addr.into())?;
        sock.listen(16)?;
        sock.set_nonblocking(true)
    };
    setup().map_err(Error::io(format!(
        "listener on {addr} ({})",
        binding.words()
    )))?;
    Ok(sock)
}

fn secret(bytes: &[u8]) -> Result<Key, Error> {
    Key::new(bytes).map_err(|e| Error::Unmodelled(format!("a key of the case table: {e}")))
}

fn request(ctx: &Ctx<'_>, family: Family, k: &KeyRow, vrf: u32) -> Result<Md5SigRequest, Error> {
    let peer = ctx.lab.peer_addr(family);
    let secret = secret(k.secret)?;
    let base = if k.prefix {
        Md5SigRequest::add(subnet(peer, lab_prefix(family)), &secret)
            .with_prefix(lab_prefix(family))
    } else {
        Md5SigRequest::add(peer, &secret)
    };
    Ok(match k.scope {
        Scope::Unbound => base,
        Scope::Vrf => base.with_ifindex(vrf as i32),
        Scope::L3Index0 => base.with_ifindex(0),
    })
}

fn run_row(ctx: &mut Ctx<'_>, family: Family, row: &Row) -> Result<Finding, Error> {
    let vrf = create_vrf()?;
    // A global socket cannot bind an address that lives in a VRF
    // (EADDRNOTAVAIL): like the barrier listeners, it binds before the move;
    // a VRF-bound socket binds after it.
    let global = match row.listen {
        Listen::Global => Some(listen(ctx, family, row.listen)?),
        Listen::InVrf => None,
    };
    if row.arrival == Arrival::InVrf {
        enslave(ctx, vrf)?;
    }
    let listener = match global {
        Some(l) => l,
        None => listen(ctx, family, row.listen)?,
    };
    let devices = [
        (1, false),
        (ctx.lab.kernel_ifindex() as i32, false),
        (ctx.lab.peer_ifindex() as i32, false),
        (vrf as i32, true),
    ];
    let mut model = KeyTable::new();
    for k in row.keys {
        let req = request(ctx, family, k, vrf)?;
        use std::os::fd::AsFd;
        let kernel = sockopt::set_md5sig(listener.as_fd(), &req);
        let modelled = model.apply(family, &req, devices.as_slice());
        agreed(&req, kernel, modelled)?;
    }
    let l3index = match row.arrival {
        Arrival::InVrf => vrf as i32,
        Arrival::Outside => 0,
    };
    let peer = ctx.lab.peer_addr(family);
    let reply_key = model.lookup(peer, l3index).map(|e| e.key.clone());
    let mut findings = Vec::new();
    for (salt, probe) in (1u32..).zip(row.probes) {
        let spec = match probe {
            Probe::Signed(bytes) => signed_syn(ctx, family, salt, &secret(bytes)?),
            Probe::Unsigned => syn(ctx, family, salt),
        };
        let expected = packet_verdict(&spec.packet(), &model, l3index, ctx.env.semantics)
            .map_err(Error::model("the probe"))?;
        let obs = exchange(&mut ctx.lab, &mut ctx.barrier, &spec)?;
        let mut f = judge(
            &obs,
            spec.tcp.seq.wrapping_add(1),
            expected,
            reply_key.as_ref(),
        );
        let label = match probe {
            Probe::Signed(s) => format!("signed with the {}", key_role(s)),
            Probe::Unsigned => "unsigned".to_owned(),
        };
        f.steps.label(label);
        findings.push(f);
    }
    drop(listener);
    Ok(Finding::all(findings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_subnets_are_masked() {
        assert_eq!(
            subnet("10.99.0.2".parse().expect("ip"), 24),
            "10.99.0.0".parse::<std::net::IpAddr>().expect("ip")
        );
        assert_eq!(
            subnet("fd00:99::2".parse().expect("ip"), 64),
            "fd00:99::".parse::<std::net::IpAddr>().expect("ip")
        );
    }

    #[test]
    fn every_row_probes_and_runs_in_a_vrf_lab() {
        for row in ROWS {
            assert!(!row.probes.is_empty(), "{}", row.name);
        }
        let cases = cases();
        assert_eq!(cases.len(), ROWS.len() * 2);
        assert!(cases.iter().all(|c| c.needs.contains(&Need::Vrf)));
        assert!(
            cases
                .iter()
                .any(|c| c.id == "key-selection/ifindex-vrf-bound/ipv4")
        );
    }
}
