//! The socket API: every `TCP_MD5SIG` / `TCP_MD5SIG_EXT` request is made to
//! the kernel and to the key-table model with the same bytes; errnos must
//! match, and so must the behaviour the resulting keys produce.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tcpmd5::Family;
use tcpmd5::key_table::{AF_INET, AF_INET6, Md5SigRequest};

use super::kit::common::{
    LISTEN_PORT, key, keyless_listener, other_peer, probe, signed_syn, syn, syn_from, wrong_key,
};
use crate::case::{Case, Ctx};
use crate::error::Error;
use crate::listener::Listener;
use crate::outcome::Finding;
use crate::record::{Record, Role};
use crate::segment::Signing;
use crate::words;

/// Makes `request` on `listener` and compares the kernel's errno with the
/// model's; on the case line only when it is the case's subject.
fn compare_request(listener: &mut Listener, request: &Md5SigRequest, role: Role) -> Finding {
    let (kernel, model) = listener.apply(request);
    let kernel = match kernel {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.name(),
    };
    let (expected, why) = match &model {
        Ok(change) => ("ok".to_owned(), words::key_change(*change).to_owned()),
        Err(e) => (e.errno_name().to_owned(), e.to_string()),
    };
    let mut rec = Record::new();
    rec.check(
        kernel == expected,
        format!("kernel {kernel}, model {expected} ({why})"),
    );
    rec.note(format!("{}: model {why}", words::request(request)));
    if role == Role::Probe {
        rec.step(expected, kernel);
    }
    rec.finish()
}

/// A case that makes one request on a fresh listener and compares errnos.
fn errno_case(
    name: &str,
    summary: &str,
    request: fn(&Ctx<'_>, Family) -> Md5SigRequest,
) -> Vec<Case> {
    Case::per_family("sockapi", name, summary, move |ctx, family| {
        let mut listener = keyless_listener(ctx, family)?;
        let req = request(ctx, family);
        Ok(compare_request(&mut listener, &req, Role::Probe))
    })
}

fn net(family: Family) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::new(10, 99, 0, 0)),
        Family::V6 => IpAddr::V6(Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 0)),
    }
}

fn mapped(ctx: &Ctx<'_>) -> IpAddr {
    match ctx.lab.peer_addr(Family::V4) {
        IpAddr::V4(a) => IpAddr::V6(a.to_ipv6_mapped()),
        v6 => v6,
    }
}

/// Cases of this area.
//= type=test
//= linux/md5-keys-parse
pub(super) fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(errno_case(
        "short-optlen",
        "optlen one byte short of struct tcp_md5sig",
        |ctx, f| {
            let mut r = Md5SigRequest::add(ctx.lab.peer_addr(f), &key());
            r.optlen -= 1;
            r
        },
    ));
    cases.extend(errno_case(
        "wrong-family",
        "tcpm_addr of the other family",
        |ctx, f| {
            let mut r = Md5SigRequest::add(ctx.lab.peer_addr(f), &key());
            r.sa_family = if f == Family::V4 { AF_INET6 } else { AF_INET };
            r
        },
    ));
    cases.extend(errno_case("keylen-81", "tcpm_keylen 81", |ctx, f| {
        let mut r = Md5SigRequest::add(ctx.lab.peer_addr(f), &key());
        r.keylen = 81;
        r
    }));
    cases.extend(errno_case(
        "keylen-80",
        "tcpm_keylen 80 (the maximum)",
        |ctx, f| Md5SigRequest::add(ctx.lab.peer_addr(f), &tcpmd5::Key::from_array(&[0x5a; 80])),
    ));
    cases.extend(errno_case(
        "prefix-too-long",
        "TCP_MD5SIG_EXT prefix 33 (IPv4) / 129 (IPv6)",
        |ctx, f| {
            let max = if f == Family::V4 { 32 } else { 128 };
            Md5SigRequest::add(ctx.lab.peer_addr(f), &key()).with_prefix(max + 1)
        },
    ));
    cases.extend(errno_case(
        "prefix-max",
        "TCP_MD5SIG_EXT prefix 32 (IPv4) / 128 (IPv6)",
        |ctx, f| {
            let max = if f == Family::V4 { 32 } else { 128 };
            Md5SigRequest::add(ctx.lab.peer_addr(f), &key()).with_prefix(max)
        },
    ));
    cases.extend(errno_case(
        "delete-missing",
        "deleting a key that does not exist",
        |ctx, f| Md5SigRequest::delete(ctx.lab.peer_addr(f)),
    ));
    cases.extend(errno_case(
        "ifindex-not-vrf",
        "FLAG_IFINDEX with a plain veth's ifindex",
        |ctx, f| {
            Md5SigRequest::add(ctx.lab.peer_addr(f), &key())
                .with_ifindex(ctx.lab.kernel_ifindex() as i32)
        },
    ));
    cases.extend(errno_case(
        "ifindex-missing",
        "FLAG_IFINDEX with an ifindex no device has",
        |ctx, f| Md5SigRequest::add(ctx.lab.peer_addr(f), &key()).with_ifindex(4242),
    ));
    cases.push(Case {
        id: "sockapi/v4-mapped-prefix-33/ipv6-socket".to_owned(),
        area: "sockapi",
        // The socket is IPv6; the key's address is a v4-mapped one.
        family: Some(Family::V6),
        summary: "a v4-mapped key with prefix 33 on an IPv6 socket (the limit is 32)".to_owned(),
        needs: vec![crate::case::Need::Ipv6],
        body: std::sync::Arc::new(|ctx: &mut Ctx<'_>| {
            let mut l = match Listener::open(&ctx.lab, Family::V6, LISTEN_PORT, true) {
                Ok(l) => l,
                Err(e) => return e.into(),
            };
            let req = Md5SigRequest::add(mapped(ctx), &key()).with_prefix(33);
            compare_request(&mut l, &req, Role::Probe)
        }),
    });

    cases.extend(Case::per_family(
        "sockapi",
        "replace-existing",
        "the same address again replaces the key: the new key verifies, the old one fails",
        |ctx, family| {
            let mut l = keyless_listener(ctx, family)?;
            let peer = ctx.lab.peer_addr(family);
            let first =
                compare_request(&mut l, &Md5SigRequest::add(peer, &wrong_key()), Role::Setup);
            let again = compare_request(&mut l, &Md5SigRequest::add(peer, &key()), Role::Probe);
            let new = {
                let p = signed_syn(ctx, family, 20, &key());
                probe(ctx, &l, &p)
            };
            let old = {
                let p = signed_syn(ctx, family, 21, &wrong_key());
                probe(ctx, &l, &p)
            };
            Ok(Finding::all(vec![first, again, new, old]))
        },
    ));
    cases.extend(Case::per_family(
        "sockapi",
        "delete-then-unsigned",
        "after deleting the key, unsigned SYNs are answered and signed ones are unexpected",
        |ctx, family| {
            let mut l = keyless_listener(ctx, family)?;
            let peer = ctx.lab.peer_addr(family);
            let add = compare_request(&mut l, &Md5SigRequest::add(peer, &key()), Role::Setup);
            let del = compare_request(&mut l, &Md5SigRequest::delete(peer), Role::Probe);
            let unsigned = {
                let p = syn(ctx, family, 22);
                probe(ctx, &l, &p)
            };
            let signed = {
                let p = signed_syn(ctx, family, 23, &key());
                probe(ctx, &l, &p)
            };
            Ok(Finding::all(vec![add, del, unsigned, signed]))
        },
    ));
    cases.extend(Case::per_family(
        "sockapi",
        "prefix-key",
        "a TCP_MD5SIG_EXT prefix key: SYNs from inside the prefix need it, SYNs from outside do not",
        |ctx, family| {
            let mut l = keyless_listener(ctx, family)?;
            // 10.99.0.0/25 or fd00:99::/121 hold the default peer (.2 / ::2)
            // but not the other peer (.200 / ::c8).
            let prefix = if family == Family::V4 { 25 } else { 121 };
            let add = compare_request(&mut l, &Md5SigRequest::add(net(family), &key()).with_prefix(prefix), Role::Setup);
            let outsider = other_peer(family);
            ctx.lab
                .add_peer(outsider)
                .map_err(Error::harness("adding the outside peer"))?;
            let inside_signed = { let p = signed_syn(ctx, family, 30, &key()); probe(ctx, &l, &p) };
            let inside_unsigned = { let p = syn(ctx, family, 31); probe(ctx, &l, &p) };
            let mut outside_signed = syn_from(ctx, family, outsider, 32);
            outside_signed.tcp.options = crate::segment::SIGNED_SYN_OPTIONS.to_vec();
            outside_signed.signing = Signing::Key(key());
            let outside_signed = probe(ctx, &l, &outside_signed);
            let outside_unsigned = { let p = syn_from(ctx, family, outsider, 33); probe(ctx, &l, &p) };
            Ok(Finding::all(vec![add, inside_signed, inside_unsigned, outside_signed, outside_unsigned]))
        },
    ));
    cases.extend(Case::per_family(
        "sockapi",
        "longest-prefix-wins",
        "two prefix keys cover the peer: the longer prefix's key is the one that verifies",
        |ctx, family| {
            let mut l = keyless_listener(ctx, family)?;
            let (wide, narrow) = if family == Family::V4 {
                (16, 24)
            } else {
                (48, 64)
            };
            // Narrow first, wide second: the newest key is the wide one, so
            // this also shows the length beats the order.
            let a = compare_request(
                &mut l,
                &Md5SigRequest::add(net(family), &key()).with_prefix(narrow),
                Role::Setup,
            );
            let b = compare_request(
                &mut l,
                &Md5SigRequest::add(net(family), &wrong_key()).with_prefix(wide),
                Role::Setup,
            );
            let good = {
                let p = signed_syn(ctx, family, 40, &key());
                probe(ctx, &l, &p)
            };
            let bad = {
                let p = signed_syn(ctx, family, 41, &wrong_key());
                probe(ctx, &l, &p)
            };
            Ok(Finding::all(vec![a, b, good, bad]))
        },
    ));
    cases.extend(Case::per_family(
        "sockapi",
        "md5sig-ignores-prefix",
        "plain TCP_MD5SIG ignores FLAG_PREFIX: a 'prefix' request is a key for the network address alone",
        |ctx, family| {
            let mut l = keyless_listener(ctx, family)?;
            let mut req = Md5SigRequest::add(net(family), &key()).with_prefix(16);
            req.option = tcpmd5::key_table::Md5SigOption::Md5Sig;
            let add = compare_request(&mut l, &req, Role::Probe);
            let signed = { let p = signed_syn(ctx, family, 50, &key()); probe(ctx, &l, &p) };
            Ok(Finding::all(vec![add, signed]))
        },
    ));
    cases.extend(Case::per_family(
        "sockapi",
        "v4-mapped-key-dual-stack",
        "a dual-stack IPv6 listener with a v4-mapped key: IPv4 SYNs need it, IPv6 SYNs do not match it",
        |ctx, family| {
            let mut l = Listener::open(&ctx.lab, Family::V6, LISTEN_PORT, true)?;
            let add = compare_request(&mut l, &Md5SigRequest::add(mapped(ctx), &key()), Role::Probe);
            let signed = { let p = signed_syn(ctx, family, 60, &key()); probe(ctx, &l, &p) };
            let unsigned = { let p = syn(ctx, family, 61); probe(ctx, &l, &p) };
            Ok(Finding::all(vec![add, signed, unsigned]))
        },
    ));
    cases
}
