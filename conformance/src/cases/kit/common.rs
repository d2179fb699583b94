//! Shared pieces of the cases: ports, keys, and SYN builders.

use std::net::IpAddr;

use tcpmd5::{AddrPair, Family, Key};

use crate::case::Ctx;
use crate::error::Error;
use crate::listener::Listener;
use crate::outcome::Finding;
use crate::segment::{SIGNED_SYN_OPTIONS, SegmentSpec, Signing};

/// The port listeners use (BGP's).
pub(in crate::cases) const LISTEN_PORT: u16 = 179;
/// The peer's source port for probes.
pub(in crate::cases) const PEER_PORT: u16 = 40179;

/// The key the listener holds for the peer.
pub(in crate::cases) fn key() -> Key {
    Key::from_array(b"tcpmd5-conformance")
}

/// A different key.
pub(in crate::cases) fn wrong_key() -> Key {
    Key::from_array(b"tcpmd5-conformance!")
}

/// A SYN from the default peer to the listener, with an ISN derived from
/// `salt` so every probe in a case is distinct.
pub(in crate::cases) fn syn(ctx: &Ctx<'_>, family: Family, salt: u32) -> SegmentSpec {
    syn_from(ctx, family, ctx.lab.peer_addr(family), salt)
}

/// A SYN from `peer`.
pub(in crate::cases) fn syn_from(
    ctx: &Ctx<'_>,
    family: Family,
    peer: IpAddr,
    salt: u32,
) -> SegmentSpec {
    SegmentSpec::syn(
        peer,
        ctx.lab.kernel_addr(family),
        PEER_PORT.wrapping_add(salt as u16),
        LISTEN_PORT,
        0x5eed_0000u32.wrapping_add(salt.wrapping_mul(0x0001_0001)),
    )
}

/// A signed SYN in the Linux layout.
pub(in crate::cases) fn signed_syn(
    ctx: &Ctx<'_>,
    family: Family,
    salt: u32,
    key: &Key,
) -> SegmentSpec {
    let mut s = syn(ctx, family, salt);
    s.tcp.options = SIGNED_SYN_OPTIONS.to_vec();
    s.signing = Signing::Key(key.clone());
    s
}

/// A listener on the kernel's address of `family` holding `key()` for the
/// default peer.
pub(in crate::cases) fn keyed_listener(ctx: &Ctx<'_>, family: Family) -> Result<Listener, Error> {
    let mut l = Listener::open(&ctx.lab, family, LISTEN_PORT, false)?;
    l.add_key(ctx.lab.peer_addr(family), &key())?;
    Ok(l)
}

/// A listener without keys.
pub(in crate::cases) fn keyless_listener(ctx: &Ctx<'_>, family: Family) -> Result<Listener, Error> {
    Listener::open(&ctx.lab, family, LISTEN_PORT, false)
}

/// [`keyed_listener`] when `with_key`, else [`keyless_listener`].
pub(in crate::cases) fn listener_with_key(
    ctx: &Ctx<'_>,
    family: Family,
    with_key: bool,
) -> Result<Listener, Error> {
    if with_key {
        keyed_listener(ctx, family)
    } else {
        keyless_listener(ctx, family)
    }
}

/// Another peer address in the lab subnet (reachable after `add_peer`).
pub(in crate::cases) fn other_peer(family: Family) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(std::net::Ipv4Addr::new(10, 99, 0, 200)),
        Family::V6 => IpAddr::V6(std::net::Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 0xc8)),
    }
}

/// The pseudo-header a sender would hash if it believed the packet came
/// from `src` instead.
pub(in crate::cases) fn addrs_with_src(spec: &SegmentSpec, src: IpAddr) -> AddrPair {
    AddrPair::new(src, spec.tcp.addrs.dst()).unwrap_or(spec.tcp.addrs)
}

/// Sends `spec` (a SYN to `listener`) and judges the kernel's handling
/// against the model under the run's semantics.
pub(in crate::cases) fn probe(
    ctx: &mut Ctx<'_>,
    listener: &Listener,
    spec: &SegmentSpec,
) -> Finding {
    listener.probe_syn(&mut ctx.lab, &mut ctx.barrier, spec, ctx.env.semantics)
}

/// The prefix length of the lab subnet in `family` (/24, /64).
pub(in crate::cases) fn lab_prefix(family: Family) -> u8 {
    match family {
        Family::V4 => crate::harness::lab::PREFIX_V4,
        Family::V6 => crate::harness::lab::PREFIX_V6,
    }
}

/// The network address of `ip`'s subnet of `len` bits.
pub(in crate::cases) fn subnet(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & mask).into())
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
    }
}
