//! The key table against `tcp_v4_parse_md5_keys`, `tcp_v6_parse_md5_keys`
//! and `__tcp_md5_do_lookup` (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c):
//! which request fields count, and which key a segment finds.

use super::*;
use crate::key_table::AF_INET6;

const NO_DEVICES: &[(i32, bool)] = &[(1, false), (2, false)];

fn key(b: &[u8]) -> Key {
    Key::new(b).unwrap()
}

fn v4(s: &str) -> IpAddr {
    s.parse().unwrap()
}

//= type=test
//= 4.0/key-config
#[test]
fn add_replace_delete() {
    let mut t = KeyTable::new();
    let a = v4("10.0.0.2");
    assert_eq!(
        t.apply(Family::V4, &Md5SigRequest::add(a, &key(b"one")), NO_DEVICES),
        Ok(KeyChange::Added)
    );
    assert_eq!(
        t.apply(Family::V4, &Md5SigRequest::add(a, &key(b"two")), NO_DEVICES),
        Ok(KeyChange::Replaced)
    );
    assert_eq!(t.lookup(a, 0).unwrap().key, key(b"two"));
    assert_eq!(
        t.apply(Family::V4, &Md5SigRequest::delete(a), NO_DEVICES),
        Ok(KeyChange::Deleted)
    );
    assert_eq!(
        t.apply(Family::V4, &Md5SigRequest::delete(a), NO_DEVICES),
        Err(KeyTableError::NoSuchKey)
    );
}

//= type=test
//= linux/md5-keys-parse
#[test]
fn invalid_requests() {
    let mut t = KeyTable::new();
    let a = v4("10.0.0.2");
    let mut short = Md5SigRequest::add(a, &key(b"k"));
    short.optlen = 215;
    assert!(matches!(
        t.apply(Family::V4, &short, NO_DEVICES),
        Err(KeyTableError::Invalid(InvalidRequest::ShortOptlen { .. }))
    ));
    let mut fam = Md5SigRequest::add(a, &key(b"k"));
    fam.sa_family = AF_INET6;
    assert!(matches!(
        t.apply(Family::V4, &fam, NO_DEVICES),
        Err(KeyTableError::Invalid(InvalidRequest::WrongFamily { .. }))
    ));
    let mut long = Md5SigRequest::add(a, &key(b"k"));
    long.keylen = 81;
    assert!(matches!(
        t.apply(Family::V4, &long, NO_DEVICES),
        Err(KeyTableError::Invalid(InvalidRequest::KeyTooLong {
            keylen: 81
        }))
    ));
    let p = Md5SigRequest::add(a, &key(b"k")).with_prefix(33);
    assert!(matches!(
        t.apply(Family::V4, &p, NO_DEVICES),
        Err(KeyTableError::Invalid(InvalidRequest::PrefixTooLong {
            prefixlen: 33,
            max: 32
        }))
    ));
    let p6 = Md5SigRequest::add("fd00::2".parse().unwrap(), &key(b"k")).with_prefix(129);
    assert!(matches!(
        t.apply(Family::V6, &p6, NO_DEVICES),
        Err(KeyTableError::Invalid(InvalidRequest::PrefixTooLong {
            prefixlen: 129,
            max: 128
        }))
    ));
    let dev = Md5SigRequest::add(a, &key(b"k")).with_ifindex(2);
    assert!(matches!(
        t.apply(Family::V4, &dev, NO_DEVICES),
        Err(KeyTableError::Invalid(InvalidRequest::NotL3Master {
            ifindex: 2
        }))
    ));
    assert!(t.entries().is_empty());
}

//= type=test
//= linux/md5-key-lookup
#[test]
fn prefix_lookup_longest_then_newest() {
    let mut t = KeyTable::new();
    let net = v4("10.99.0.0");
    t.apply(
        Family::V4,
        &Md5SigRequest::add(net, &key(b"wide")).with_prefix(16),
        NO_DEVICES,
    )
    .unwrap();
    t.apply(
        Family::V4,
        &Md5SigRequest::add(net, &key(b"narrow")).with_prefix(24),
        NO_DEVICES,
    )
    .unwrap();
    assert_eq!(t.lookup(v4("10.99.0.7"), 0).unwrap().key, key(b"narrow"));
    assert_eq!(t.lookup(v4("10.99.1.7"), 0).unwrap().key, key(b"wide"));
    assert!(t.lookup(v4("10.98.0.1"), 0).is_none());
    // Same prefix length, two networks that both contain the peer: newest wins.
    t.apply(
        Family::V4,
        &Md5SigRequest::add(v4("10.99.0.128"), &key(b"newer")).with_prefix(24),
        NO_DEVICES,
    )
    .unwrap();
    assert_eq!(t.lookup(v4("10.99.0.7"), 0).unwrap().key, key(b"newer"));
}

#[test]
fn v4_mapped_keys_on_v6_sockets() {
    let mut t = KeyTable::new();
    let mapped: IpAddr = "::ffff:10.99.0.2".parse().unwrap();
    t.apply(
        Family::V6,
        &Md5SigRequest::add(mapped, &key(b"m")),
        NO_DEVICES,
    )
    .unwrap();
    assert_eq!(t.entries()[0].family, Family::V4);
    assert_eq!(t.entries()[0].prefixlen, 32);
    assert!(t.lookup(v4("10.99.0.2"), 0).is_some());
    assert!(t.lookup(mapped, 0).is_some());
    let too_long = Md5SigRequest::add(mapped, &key(b"m")).with_prefix(33);
    assert!(matches!(
        t.apply(Family::V6, &too_long, NO_DEVICES),
        Err(KeyTableError::Invalid(InvalidRequest::PrefixTooLong {
            max: 32,
            ..
        }))
    ));
}

#[test]
fn other_family_never_matches() {
    let mut t = KeyTable::new();
    t.apply(
        Family::V6,
        &Md5SigRequest::add("::".parse().unwrap(), &key(b"all6")).with_prefix(0),
        NO_DEVICES,
    )
    .unwrap();
    assert!(t.lookup(v4("10.0.0.1"), 0).is_none());
    assert!(t.lookup("fd00::1".parse().unwrap(), 0).is_some());
}

#[test]
fn l3_bound_keys() {
    let devices: &[(i32, bool)] = &[(5, true)];
    let mut t = KeyTable::new();
    let a = v4("10.0.0.2");
    t.apply(
        Family::V4,
        &Md5SigRequest::add(a, &key(b"vrf")).with_ifindex(5),
        devices,
    )
    .unwrap();
    t.apply(
        Family::V4,
        &Md5SigRequest::add(v4("10.0.0.0"), &key(b"any")).with_prefix(8),
        devices,
    )
    .unwrap();
    assert_eq!(t.lookup(a, 5).unwrap().key, key(b"vrf"));
    assert_eq!(t.lookup(a, 0).unwrap().key, key(b"any"));
    // An unbound key matches in any domain, but a bound one wins there.
    t.apply(Family::V4, &Md5SigRequest::add(a, &key(b"plain")), devices)
        .unwrap();
    assert_eq!(t.lookup(a, 5).unwrap().key, key(b"vrf"));
    assert_eq!(t.lookup(a, 7).unwrap().key, key(b"plain"));
}

/// The entry an accepted request made, on a fresh table.
fn added(socket: Family, request: &Md5SigRequest, devices: &[(i32, bool)]) -> KeyEntry {
    let mut t = KeyTable::new();
    assert_eq!(t.apply(socket, request, devices), Ok(KeyChange::Added));
    t.entries()[0].clone()
}

#[test]
fn a_prefix_may_be_the_whole_address() {
    let a = v4("10.0.0.2");
    assert_eq!(
        added(
            Family::V4,
            &Md5SigRequest::add(a, &key(b"k")).with_prefix(32),
            NO_DEVICES
        )
        .prefixlen,
        32
    );
    let six: IpAddr = "fd00::2".parse().unwrap();
    let entry = added(
        Family::V6,
        &Md5SigRequest::add(six, &key(b"k")).with_prefix(128),
        NO_DEVICES,
    );
    assert_eq!((entry.family, entry.prefixlen), (Family::V6, 128));
    let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
    let entry = added(
        Family::V6,
        &Md5SigRequest::add(mapped, &key(b"k")).with_prefix(24),
        NO_DEVICES,
    );
    assert_eq!(
        (entry.family, entry.addr, entry.prefixlen),
        (Family::V4, a, 24)
    );
}

#[test]
fn the_prefix_counts_only_with_the_ext_option_and_its_flag() {
    // tcp_v4_parse_md5_keys: `optname == TCP_MD5SIG_EXT && tcpm_flags &
    // TCP_MD5SIG_FLAG_PREFIX`, else the whole address.
    let a = v4("10.0.0.2");
    let mut no_flag = Md5SigRequest::add(a, &key(b"k")).with_prefix(8);
    no_flag.flags = 0;
    assert_eq!(added(Family::V4, &no_flag, NO_DEVICES).prefixlen, 32);
    let mut no_ext = Md5SigRequest::add(a, &key(b"k")).with_prefix(8);
    no_ext.option = Md5SigOption::Md5Sig;
    assert_eq!(added(Family::V4, &no_ext, NO_DEVICES).prefixlen, 32);
    let six: IpAddr = "fd00::2".parse().unwrap();
    no_ext.addr = six;
    no_ext.sa_family = AF_INET6;
    assert_eq!(added(Family::V6, &no_ext, NO_DEVICES).prefixlen, 128);
    // Over the maximum is refused only when it counts.
    let mut ignored = Md5SigRequest::add(a, &key(b"k")).with_prefix(99);
    ignored.option = Md5SigOption::Md5Sig;
    assert_eq!(added(Family::V4, &ignored, NO_DEVICES).prefixlen, 32);
}

#[test]
fn the_binding_counts_only_with_the_ext_option_its_flag_and_an_index() {
    // `optname == TCP_MD5SIG_EXT && tcpm_ifindex && tcpm_flags &
    // TCP_MD5SIG_FLAG_IFINDEX`; the flag itself is kept either way.
    let devices: &[(i32, bool)] = &[(5, true)];
    let a = v4("10.0.0.2");
    let bound = added(
        Family::V4,
        &Md5SigRequest::add(a, &key(b"k")).with_ifindex(5),
        devices,
    );
    assert_eq!((bound.l3index, bound.ifindex_bound), (5, true));
    let zero = added(
        Family::V4,
        &Md5SigRequest::add(a, &key(b"k")).with_ifindex(0),
        devices,
    );
    assert_eq!((zero.l3index, zero.ifindex_bound), (0, true));
    let mut no_ext = Md5SigRequest::add(a, &key(b"k")).with_ifindex(2);
    no_ext.option = Md5SigOption::Md5Sig;
    let entry = added(Family::V4, &no_ext, NO_DEVICES);
    assert_eq!((entry.l3index, entry.ifindex_bound), (0, true));
    let mut no_flag = Md5SigRequest::add(a, &key(b"k")).with_ifindex(2);
    no_flag.flags = 0;
    let entry = added(Family::V4, &no_flag, NO_DEVICES);
    assert_eq!((entry.l3index, entry.ifindex_bound), (0, false));
    // An index that names no device at all is refused as well.
    let mut t = KeyTable::new();
    assert_eq!(
        t.apply(
            Family::V4,
            &Md5SigRequest::add(a, &key(b"k")).with_ifindex(9),
            devices
        ),
        Err(KeyTableError::Invalid(InvalidRequest::NotL3Master {
            ifindex: 9
        }))
    );
}

#[test]
fn a_request_of_the_other_family_is_refused_on_either_socket() {
    let mut t = KeyTable::new();
    let v4_request = Md5SigRequest::add(v4("10.0.0.2"), &key(b"k"));
    assert_eq!(
        t.apply(Family::V6, &v4_request, NO_DEVICES),
        Err(KeyTableError::Invalid(InvalidRequest::WrongFamily {
            expected: AF_INET6,
            actual: AF_INET
        }))
    );
}

#[test]
fn a_key_is_replaced_only_at_the_same_address_prefix_and_binding() {
    // tcp_md5_do_lookup_exact compares the IFINDEX flag, the L3 index, the
    // address and the prefix: any one of them different makes a new key.
    let devices: &[(i32, bool)] = &[(5, true), (6, true)];
    let a = v4("10.0.0.2");
    let base = || {
        Md5SigRequest::add(a, &key(b"k"))
            .with_prefix(24)
            .with_ifindex(5)
    };
    let mut t = KeyTable::new();
    assert_eq!(t.apply(Family::V4, &base(), devices), Ok(KeyChange::Added));
    let mut unbound = base();
    unbound.flags &= !FLAG_IFINDEX;
    let others = [
        base().with_ifindex(6),
        base().with_prefix(25),
        Md5SigRequest::add(v4("10.0.0.3"), &key(b"k"))
            .with_prefix(24)
            .with_ifindex(5),
        unbound,
    ];
    for (i, other) in others.iter().enumerate() {
        assert_eq!(
            t.apply(Family::V4, other, devices),
            Ok(KeyChange::Added),
            "{i}"
        );
    }
    assert_eq!(
        t.apply(Family::V4, &base(), devices),
        Ok(KeyChange::Replaced)
    );
    assert_eq!(t.entries().len(), 5);
    // The same bytes as a v4-mapped request on an IPv6 socket: the same key.
    let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
    let m = Md5SigRequest::add(mapped, &key(b"k"))
        .with_prefix(24)
        .with_ifindex(5);
    assert_eq!(t.apply(Family::V6, &m, devices), Ok(KeyChange::Replaced));
    // But not an IPv6 key of the same prefix and binding.
    let six = Md5SigRequest::add("fd00::2".parse().unwrap(), &key(b"k"))
        .with_prefix(24)
        .with_ifindex(5);
    assert_eq!(t.apply(Family::V6, &six, devices), Ok(KeyChange::Added));
}

#[test]
fn any_l3index_ignores_the_binding_but_not_the_family() {
    // tcp_md5_do_lookup_any_l3index: every key whose prefix holds the
    // address, bound or not, of the address's family (v4-mapped is IPv4).
    let devices: &[(i32, bool)] = &[(5, true)];
    let mut t = KeyTable::new();
    assert!(!t.matches_any_l3index(v4("10.0.0.2")));
    t.apply(
        Family::V4,
        &Md5SigRequest::add(v4("10.0.0.0"), &key(b"k"))
            .with_prefix(24)
            .with_ifindex(5),
        devices,
    )
    .unwrap();
    assert!(t.matches_any_l3index(v4("10.0.0.2")));
    assert!(t.matches_any_l3index("::ffff:10.0.0.2".parse().unwrap()));
    assert!(!t.matches_any_l3index(v4("10.0.1.2")));
    t.apply(
        Family::V6,
        &Md5SigRequest::add("::".parse().unwrap(), &key(b"k")).with_prefix(0),
        devices,
    )
    .unwrap();
    assert!(!t.matches_any_l3index(v4("10.0.1.2")));
    assert!(t.matches_any_l3index("fd00::2".parse().unwrap()));
}

#[test]
fn a_bound_key_beats_an_unbound_one_whatever_the_order_and_prefix() {
    // better_md5_match: an L3-bound key beats an unbound one, then the
    // longer prefix; the newest first among equals.
    let devices: &[(i32, bool)] = &[(5, true)];
    let a = v4("10.0.0.2");
    for bound_first in [true, false] {
        let mut t = KeyTable::new();
        let bound = Md5SigRequest::add(v4("10.0.0.0"), &key(b"vrf"))
            .with_prefix(8)
            .with_ifindex(5);
        let unbound = Md5SigRequest::add(a, &key(b"host"));
        let order = if bound_first {
            [&bound, &unbound]
        } else {
            [&unbound, &bound]
        };
        for request in order {
            t.apply(Family::V4, request, devices).unwrap();
        }
        assert_eq!(t.lookup(a, 5).unwrap().key, key(b"vrf"), "{bound_first}");
        assert_eq!(t.lookup(a, 0).unwrap().key, key(b"host"), "{bound_first}");
    }
    assert_eq!([(5, true)].is_l3_master(5), Some(true));
    assert_eq!([(5, true), (2, false)].is_l3_master(2), Some(false));
    assert_eq!([(5, true)].is_l3_master(2), None);
}

#[test]
fn the_longest_prefix_wins_even_when_it_is_the_older_key() {
    // better_md5_match: among keys equally bound (both unbound, or both in
    // the segment's L3 domain), the longer prefix, whatever the order.
    let devices: &[(i32, bool)] = &[(5, true)];
    let peer = v4("10.99.0.7");
    for ifindex in [0, 5] {
        let mut t = KeyTable::new();
        for (len, name) in [(24, &b"narrow"[..]), (16, &b"wide"[..])] {
            let request = Md5SigRequest::add(v4("10.99.0.0"), &key(name)).with_prefix(len);
            let request = if ifindex == 0 {
                request
            } else {
                request.with_ifindex(ifindex)
            };
            t.apply(Family::V4, &request, devices).unwrap();
        }
        assert_eq!(
            t.lookup(peer, ifindex).unwrap().key,
            key(b"narrow"),
            "{ifindex}"
        );
    }
}
