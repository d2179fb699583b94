//! TCP-AO keys next to MD5 keys over IPv6: which MD5 keys an AO prefix
//! refuses (the IPv4 side is tested in src/ao_keys.rs).
#![allow(clippy::unwrap_used)]

use core::net::{IpAddr, Ipv6Addr};

use tcpmd5::Key;
use tcpmd5::ao_keys::{AoKeyTable, AoPeer, EKEYREJECTED};
use tcpmd5::key_table::{KeyTable, Md5SigRequest};

fn v6(s: &str) -> IpAddr {
    IpAddr::V6(s.parse::<Ipv6Addr>().unwrap())
}

fn ao(addr: &str, prefix: u8) -> AoKeyTable {
    let mut table = AoKeyTable::new();
    table
        .add(
            AoPeer {
                addr: v6(addr),
                prefix,
            },
            &KeyTable::new(),
        )
        .unwrap();
    table
}

fn md5_add(addr: &str) -> Md5SigRequest {
    Md5SigRequest::add(v6(addr), &Key::from_array(b"k"))
}

#[test]
fn an_ipv6_ao_prefix_refuses_md5_keys_inside_it_only() {
    let table = ao("2001:db8:1::", 64);
    assert!(table.covers(v6("2001:db8:1::7")));
    assert!(table.covers(v6("2001:db8:1:0:ffff::1")));
    assert!(!table.covers(v6("2001:db8:1:1::7")));
    assert!(!table.covers(v6("2001:db8:2::7")));
    assert_eq!(
        table.check_md5(&md5_add("2001:db8:1::7")),
        Err(EKEYREJECTED)
    );
    assert_eq!(table.check_md5(&md5_add("2001:db8:1:1::7")), Ok(()));
}

#[test]
fn an_ipv6_ao_key_for_one_peer_covers_that_peer_alone() {
    let table = ao("2001:db8::2", 128);
    assert!(table.covers(v6("2001:db8::2")));
    assert!(!table.covers(v6("2001:db8::3")));
    assert!(!table.covers(v6("2001:db8::")));
}
