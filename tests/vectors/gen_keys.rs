//! The crafted key vectors: key tables built from `struct tcp_md5sig`
//! requests, and lookups.

use std::net::IpAddr;

use serde_json::{Value, json};
use tcpmd5::key_table::{KeyChange, Md5SigOption, Md5SigRequest};
use tcpmd5::{Family, Key, KeyTable};
use tcpmd5_testkit::record::hex;

use super::generate::crafted;

/// A key request as the vectors spell it.
pub(crate) fn request_json(r: &Md5SigRequest, expected: &str) -> Value {
    json!({
        "option": match r.option { Md5SigOption::Md5Sig => "TCP_MD5SIG", Md5SigOption::Md5SigExt => "TCP_MD5SIG_EXT" },
        "sa_family": r.sa_family,
        "addr": r.addr.to_string(),
        "flags": r.flags,
        "prefixlen": r.prefixlen,
        "keylen": r.keylen,
        "ifindex": r.ifindex,
        "key": hex(&r.key[..usize::from(r.keylen).min(80)]),
        "optlen": r.optlen,
        "expected": expected,
    })
}

struct KeyCase {
    id: &'static str,
    comment: &'static str,
    socket: Family,
    devices: Vec<(i32, bool)>,
    requests: Vec<Md5SigRequest>,
    lookups: Vec<(&'static str, i32)>,
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn k(b: &[u8]) -> Key {
    Key::new(b).expect("key")
}

fn key_cases() -> Vec<KeyCase> {
    use Family::{V4, V6};
    let add = |a: &str, key: &[u8]| Md5SigRequest::add(ip(a), &k(key));
    let lo = vec![(1, false), (2, false)];
    let vrf = vec![(1, false), (2, false), (10, true), (11, true)];
    let with = |mut r: Md5SigRequest, f: &dyn Fn(&mut Md5SigRequest)| {
        f(&mut r);
        r
    };
    vec![
        KeyCase {
            id: "keys/v4-exact",
            comment: "one /32 key: matches its address only",
            socket: V4,
            devices: lo.clone(),
            requests: vec![add("10.0.0.2", b"exact")],
            lookups: vec![("10.0.0.2", 0), ("10.0.0.3", 0), ("fd00::2", 0)],
        },
        KeyCase {
            id: "keys/v6-exact",
            comment: "one /128 key on an IPv6 socket",
            socket: V6,
            devices: lo.clone(),
            requests: vec![add("fd00::2", b"exact6")],
            lookups: vec![("fd00::2", 0), ("fd00::3", 0), ("10.0.0.2", 0)],
        },
        KeyCase {
            id: "keys/v4-longest-prefix",
            comment: "/16, /24 and /32 keys: the longest matching prefix wins, whatever the order added",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("10.1.2.3", b"host"),
                add("10.1.0.0", b"sixteen").with_prefix(16),
                add("10.1.2.0", b"twentyfour").with_prefix(24),
            ],
            lookups: vec![
                ("10.1.2.3", 0),
                ("10.1.2.4", 0),
                ("10.1.3.1", 0),
                ("10.2.0.1", 0),
            ],
        },
        KeyCase {
            id: "keys/v4-prefix-zero",
            comment: "a /0 key matches every IPv4 peer; a longer prefix still wins",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("0.0.0.0", b"default").with_prefix(0),
                add("192.0.2.0", b"doc").with_prefix(24),
            ],
            lookups: vec![("192.0.2.77", 0), ("203.0.113.1", 0), ("fd00::1", 0)],
        },
        KeyCase {
            id: "keys/v4-prefix-unmasked-address",
            comment: "a prefix key given with host bits set (10.9.9.9/8) matches the whole /8",
            socket: V4,
            devices: lo.clone(),
            requests: vec![add("10.9.9.9", b"unmasked").with_prefix(8)],
            lookups: vec![("10.200.1.1", 0), ("11.0.0.1", 0)],
        },
        KeyCase {
            id: "keys/v6-longest-prefix",
            comment: "IPv6 /48, /64 and /128 keys: longest prefix wins",
            socket: V6,
            devices: lo.clone(),
            requests: vec![
                add("2001:db8:1::", b"p48").with_prefix(48),
                add("2001:db8:1:2::", b"p64").with_prefix(64),
                add("2001:db8:1:2::5", b"host"),
            ],
            lookups: vec![
                ("2001:db8:1:2::5", 0),
                ("2001:db8:1:2::6", 0),
                ("2001:db8:1:3::1", 0),
                ("2001:db8:2::1", 0),
            ],
        },
        KeyCase {
            id: "keys/v6-v4-mapped",
            comment: "an IPv6 socket takes IPv4 peers as v4-mapped addresses (AF_INET6): the key matches the IPv4 peer",
            socket: V6,
            devices: lo.clone(),
            requests: vec![add("::ffff:10.0.0.2", b"mapped")],
            lookups: vec![("10.0.0.2", 0), ("::ffff:10.0.0.2", 0), ("10.0.0.3", 0)],
        },
        KeyCase {
            id: "keys/v6-v4-mapped-prefix",
            comment: "a v4-mapped prefix key: the prefix counts IPv4 bits (max 32)",
            socket: V6,
            devices: lo.clone(),
            requests: vec![
                add("::ffff:10.1.0.0", b"mapped16").with_prefix(16),
                add("::ffff:10.1.0.0", b"too-long").with_prefix(33),
                add("::ffff:10.1.0.0", b"too-long").with_prefix(120),
            ],
            lookups: vec![("10.1.200.1", 0), ("10.2.0.1", 0)],
        },
        KeyCase {
            id: "keys/v6-socket-v6-key-skips-v4",
            comment: "keys of the other family are skipped: a native IPv6 /0 key does not match IPv4 peers",
            socket: V6,
            devices: lo.clone(),
            requests: vec![add("::", b"all6").with_prefix(0)],
            lookups: vec![("2001:db8::1", 0), ("10.0.0.1", 0), ("::ffff:10.0.0.1", 0)],
        },
        KeyCase {
            id: "keys/replace-and-delete",
            comment: "same key tuple again: replaced (0); keylen 0 deletes; deleting again: ENOENT",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("10.0.0.2", b"first"),
                add("10.0.0.2", b"second"),
                Md5SigRequest::delete(ip("10.0.0.2")),
                Md5SigRequest::delete(ip("10.0.0.2")),
            ],
            lookups: vec![("10.0.0.2", 0)],
        },
        KeyCase {
            id: "keys/delete-needs-same-prefix",
            comment: "deleting 10.0.0.0 without the prefix does not find the /24 key: ENOENT; with it: deleted",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("10.0.0.0", b"net").with_prefix(24),
                Md5SigRequest::delete(ip("10.0.0.0")),
                Md5SigRequest::delete(ip("10.0.0.0")).with_prefix(24),
            ],
            lookups: vec![("10.0.0.9", 0)],
        },
        KeyCase {
            id: "keys/delete-missing",
            comment: "deleting a key that does not exist: ENOENT (v4 and v6 sockets alike)",
            socket: V6,
            devices: lo.clone(),
            requests: vec![Md5SigRequest::delete(ip("fd00::9"))],
            lookups: vec![("fd00::9", 0)],
        },
        KeyCase {
            id: "keys/md5sig-ignores-prefix",
            comment: "TCP_MD5SIG (not _EXT) ignores flags and prefix: the key is a /32",
            socket: V4,
            devices: lo.clone(),
            requests: vec![with(add("10.0.0.0", b"plain"), &|r| {
                r.flags = 1;
                r.prefixlen = 8;
            })],
            lookups: vec![("10.0.0.0", 0), ("10.0.0.1", 0)],
        },
        KeyCase {
            id: "keys/einval-short-optlen",
            comment: "optlen shorter than struct tcp_md5sig (216): EINVAL",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                with(add("10.0.0.2", b"k"), &|r| r.optlen = 215),
                with(add("10.0.0.2", b"k"), &|r| r.optlen = 0),
                with(Md5SigRequest::delete(ip("10.0.0.2")), &|r| r.optlen = 128),
            ],
            lookups: vec![("10.0.0.2", 0)],
        },
        KeyCase {
            id: "keys/einval-wrong-family-v4-socket",
            comment: "AF_INET6 on an IPv4 socket: EINVAL",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("fd00::2", b"k"),
                with(add("10.0.0.2", b"k"), &|r| r.sa_family = 10),
            ],
            lookups: vec![("10.0.0.2", 0)],
        },
        KeyCase {
            id: "keys/einval-wrong-family-v6-socket",
            comment: "AF_INET on an IPv6 socket: EINVAL (IPv4 peers must be given v4-mapped)",
            socket: V6,
            devices: lo.clone(),
            requests: vec![
                add("10.0.0.2", b"k"),
                with(add("fd00::2", b"k"), &|r| r.sa_family = 0),
            ],
            lookups: vec![("10.0.0.2", 0), ("fd00::2", 0)],
        },
        KeyCase {
            id: "keys/keylen-limits",
            comment: "keylen 80 accepted, 81 and 65535: EINVAL",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("10.0.0.2", &[0x42; 80]),
                with(add("10.0.0.3", &[0x43; 80]), &|r| r.keylen = 81),
                with(add("10.0.0.4", &[0x44; 80]), &|r| r.keylen = 0xffff),
            ],
            lookups: vec![("10.0.0.2", 0), ("10.0.0.3", 0), ("10.0.0.4", 0)],
        },
        KeyCase {
            id: "keys/einval-prefix-too-long",
            comment: "TCP_MD5SIG_EXT with FLAG_PREFIX: prefixlen 33 (IPv4) and 129 (IPv6): EINVAL; 32 and 128 accepted",
            socket: V6,
            devices: lo.clone(),
            requests: vec![
                add("fd00::", b"k").with_prefix(129),
                add("fd00::", b"k").with_prefix(128),
                add("::ffff:10.0.0.0", b"k").with_prefix(32),
            ],
            lookups: vec![("fd00::", 0), ("10.0.0.0", 0)],
        },
        KeyCase {
            id: "keys/einval-prefix-too-long-v4",
            comment: "IPv4 socket: prefixlen 33 with FLAG_PREFIX: EINVAL",
            socket: V4,
            devices: lo.clone(),
            requests: vec![
                add("10.0.0.0", b"k").with_prefix(33),
                add("10.0.0.0", b"k").with_prefix(255),
            ],
            lookups: vec![("10.0.0.0", 0)],
        },
        KeyCase {
            id: "keys/einval-ifindex-not-l3-master",
            comment: "FLAG_IFINDEX with an ifindex that is not a VRF (or does not exist): EINVAL",
            socket: V4,
            devices: vrf.clone(),
            requests: vec![
                add("10.0.0.2", b"k").with_ifindex(2),
                add("10.0.0.2", b"k").with_ifindex(99),
            ],
            lookups: vec![("10.0.0.2", 0), ("10.0.0.2", 2)],
        },
        KeyCase {
            id: "keys/ifindex-bound",
            comment: "a key bound to VRF 10 matches only segments arriving in L3 domain 10, and beats an unbound key with a longer prefix there",
            socket: V4,
            devices: vrf.clone(),
            requests: vec![
                add("10.0.0.2", b"unbound"),
                add("10.0.0.0", b"vrf10").with_prefix(24).with_ifindex(10),
            ],
            lookups: vec![
                ("10.0.0.2", 0),
                ("10.0.0.2", 10),
                ("10.0.0.3", 10),
                ("10.0.0.3", 11),
                ("10.0.0.3", 0),
            ],
        },
        KeyCase {
            id: "keys/ifindex-zero-with-flag",
            comment: "FLAG_IFINDEX with ifindex 0: accepted, the key is bound to the default L3 domain only",
            socket: V4,
            devices: vrf.clone(),
            requests: vec![add("10.0.0.2", b"default-domain").with_ifindex(0)],
            lookups: vec![("10.0.0.2", 0), ("10.0.0.2", 10)],
        },
        KeyCase {
            id: "keys/v6-ifindex-bound",
            comment: "IPv6: a key bound to VRF 11 and an unbound one for the same peer: each domain gets its own",
            socket: V6,
            devices: vrf.clone(),
            requests: vec![
                add("fd00::2", b"unbound6"),
                add("fd00::2", b"vrf11").with_ifindex(11),
            ],
            lookups: vec![("fd00::2", 0), ("fd00::2", 11), ("fd00::2", 10)],
        },
        KeyCase {
            id: "keys/binary-key",
            comment: "binary key bytes (NULs included) are stored as given, keylen bytes of them",
            socket: V4,
            devices: lo.clone(),
            requests: vec![add("10.0.0.2", &[0, 1, 0, 2, 0, 0])],
            lookups: vec![("10.0.0.2", 0)],
        },
    ]
}

pub(crate) fn crafted_keys() -> Vec<Value> {
    let mut out = Vec::new();
    for c in key_cases() {
        let mut table = KeyTable::new();
        let mut requests = Vec::new();
        for r in &c.requests {
            let expected = match table.apply(c.socket, r, c.devices.as_slice()) {
                Ok(KeyChange::Added) => "added".to_owned(),
                Ok(KeyChange::Replaced) => "replaced".to_owned(),
                Ok(KeyChange::Deleted) => "deleted".to_owned(),
                Err(e) => e.errno_name().to_owned(),
            };
            requests.push(request_json(r, &expected));
        }
        let lookups: Vec<Value> = c
            .lookups
            .iter()
            .map(|(peer, l3)| {
                let found = table.lookup(ip(peer), *l3);
                json!({
                    "peer": peer,
                    "l3index": l3,
                    "expected_key": found.map(|e| Value::String(hex(e.key.as_bytes()))).unwrap_or(Value::Null),
                })
            })
            .collect();
        out.push(json!({
            "id": c.id,
            "comment": c.comment,
            "provenance": crafted(),
            "socket_family": if c.socket == Family::V4 { "ipv4" } else { "ipv6" },
            "l3_devices": c.devices.iter().map(|(i, m)| json!({"ifindex": i, "l3_master": m})).collect::<Vec<_>>(),
            "requests": requests,
            "lookups": lookups,
        }));
    }
    out
}
