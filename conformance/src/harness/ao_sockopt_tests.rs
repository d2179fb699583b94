use std::mem::{offset_of, size_of};

use tcpmd5::ao::Algorithm;

use super::*;

// The uapi structs transcribed as #[repr(C)] (bitfields as their u32/u16
// storage unit): the compiler's layout is the independent check on the
// offsets the encoders use.
#[allow(dead_code)]
#[repr(C, align(8))]
struct TcpAoAdd {
    addr: libc::sockaddr_storage,
    alg_name: [u8; 64],
    ifindex: i32,
    bits: u32,
    reserved2: u16,
    prefix: u8,
    sndid: u8,
    rcvid: u8,
    maclen: u8,
    keyflags: u8,
    keylen: u8,
    key: [u8; 80],
}

#[allow(dead_code)]
#[repr(C, align(8))]
struct TcpAoDel {
    addr: libc::sockaddr_storage,
    ifindex: i32,
    bits: u32,
    reserved2: u16,
    prefix: u8,
    sndid: u8,
    rcvid: u8,
    current_key: u8,
    rnext: u8,
    keyflags: u8,
}

#[allow(dead_code)]
#[repr(C, align(8))]
struct TcpAoInfoOpt {
    bits: u32,
    reserved2: u16,
    current_key: u8,
    rnext: u8,
    pkt_good: u64,
    pkt_bad: u64,
    pkt_key_not_found: u64,
    pkt_ao_required: u64,
    pkt_dropped_icmp: u64,
}

#[allow(dead_code)]
#[repr(C, align(8))]
struct TcpAoGetsockopt {
    addr: libc::sockaddr_storage,
    alg_name: [u8; 64],
    key: [u8; 80],
    nkeys: u32,
    bits: u16,
    sndid: u8,
    rcvid: u8,
    prefix: u8,
    maclen: u8,
    keyflags: u8,
    keylen: u8,
    ifindex: i32,
    pkt_good: u64,
    pkt_bad: u64,
}

#[allow(dead_code)]
#[repr(C, align(8))]
struct TcpAoRepair {
    snt_isn: u32,
    rcv_isn: u32,
    snd_sne: u32,
    rcv_sne: u32,
}

#[test]
fn struct_sizes_are_the_uapi_ones() {
    assert_eq!(size_of::<TcpAoAdd>(), ADD_LEN);
    assert_eq!(size_of::<TcpAoDel>(), DEL_LEN);
    assert_eq!(size_of::<TcpAoInfoOpt>(), INFO_LEN);
    assert_eq!(size_of::<TcpAoGetsockopt>(), GET_KEYS_LEN);
    assert_eq!(size_of::<TcpAoRepair>(), REPAIR_LEN);
    assert_eq!(size_of::<libc::sockaddr_storage>(), SOCKADDR_LEN);
}

#[test]
fn offsets_the_encoders_use() {
    assert_eq!(offset_of!(TcpAoAdd, alg_name), 128);
    assert_eq!(offset_of!(TcpAoAdd, ifindex), 192);
    assert_eq!(offset_of!(TcpAoAdd, bits), 196);
    assert_eq!(offset_of!(TcpAoAdd, reserved2), 200);
    assert_eq!(offset_of!(TcpAoAdd, prefix), 202);
    assert_eq!(offset_of!(TcpAoAdd, sndid), 203);
    assert_eq!(offset_of!(TcpAoAdd, rcvid), 204);
    assert_eq!(offset_of!(TcpAoAdd, maclen), 205);
    assert_eq!(offset_of!(TcpAoAdd, keyflags), 206);
    assert_eq!(offset_of!(TcpAoAdd, keylen), 207);
    assert_eq!(offset_of!(TcpAoAdd, key), 208);
    assert_eq!(offset_of!(TcpAoDel, ifindex), 128);
    assert_eq!(offset_of!(TcpAoDel, bits), 132);
    assert_eq!(offset_of!(TcpAoDel, prefix), 138);
    assert_eq!(offset_of!(TcpAoDel, current_key), 141);
    assert_eq!(offset_of!(TcpAoDel, rnext), 142);
    assert_eq!(offset_of!(TcpAoDel, keyflags), 143);
    assert_eq!(offset_of!(TcpAoDel, sndid), 139);
    assert_eq!(offset_of!(TcpAoDel, rcvid), 140);
    assert_eq!(offset_of!(TcpAoDel, reserved2), 136);
    assert_eq!(offset_of!(TcpAoInfoOpt, reserved2), 4);
    assert_eq!(offset_of!(TcpAoInfoOpt, current_key), 6);
    assert_eq!(offset_of!(TcpAoInfoOpt, rnext), 7);
    assert_eq!(offset_of!(TcpAoInfoOpt, pkt_good), 8);
    assert_eq!(offset_of!(TcpAoInfoOpt, pkt_bad), 16);
    assert_eq!(offset_of!(TcpAoInfoOpt, pkt_key_not_found), 24);
    assert_eq!(offset_of!(TcpAoInfoOpt, pkt_ao_required), 32);
    assert_eq!(offset_of!(TcpAoInfoOpt, pkt_dropped_icmp), 40);
    assert_eq!(offset_of!(TcpAoInfoOpt, bits), 0);
    assert_eq!(offset_of!(TcpAoGetsockopt, alg_name), 128);
    assert_eq!(offset_of!(TcpAoGetsockopt, key), 192);
    assert_eq!(offset_of!(TcpAoGetsockopt, nkeys), 272);
    assert_eq!(offset_of!(TcpAoGetsockopt, bits), 276);
    assert_eq!(offset_of!(TcpAoGetsockopt, sndid), 278);
    assert_eq!(offset_of!(TcpAoGetsockopt, rcvid), 279);
    assert_eq!(offset_of!(TcpAoGetsockopt, prefix), 280);
    assert_eq!(offset_of!(TcpAoGetsockopt, maclen), 281);
    assert_eq!(offset_of!(TcpAoGetsockopt, keyflags), 282);
    assert_eq!(offset_of!(TcpAoGetsockopt, keylen), 283);
    assert_eq!(offset_of!(TcpAoGetsockopt, ifindex), 284);
    assert_eq!(offset_of!(TcpAoGetsockopt, pkt_good), 288);
    assert_eq!(offset_of!(TcpAoGetsockopt, pkt_bad), 296);
    assert_eq!(offset_of!(TcpAoRepair, rcv_isn), 4);
    assert_eq!(offset_of!(TcpAoRepair, snd_sne), 8);
    assert_eq!(offset_of!(TcpAoRepair, rcv_sne), 12);
    assert_eq!(offset_of!(TcpAoRepair, snt_isn), 0);
    assert_eq!(offset_of!(libc::sockaddr_in6, sin6_addr), 8);
    assert_eq!(offset_of!(libc::sockaddr_in, sin_addr), 4);
}

fn mkt() -> Mkt {
    Mkt {
        prefix: 24,
        coverage: OptionCoverage::Excluded,
        l3index: Some(7),
        ..Mkt::new(
            "10.99.0.0".parse().unwrap(),
            5,
            6,
            Algorithm::AesCmac,
            MasterKey::new(b"sixteen byte key").unwrap(),
        )
    }
}

#[test]
fn add_key_fields_sit_where_the_uapi_puts_them() {
    let mut add = AoAddKey::for_mkt(&mkt());
    add.set_rnext = true;
    let b = add.to_bytes();
    assert_eq!(&b[0..2], &(libc::AF_INET as u16).to_ne_bytes());
    assert_eq!(&b[4..8], &[10, 99, 0, 0]);
    assert_eq!(&b[128..141], b"cmac(aes128)\0");
    assert_eq!(&b[192..196], &7i32.to_ne_bytes());
    assert_eq!(&b[196..200], &2u32.to_ne_bytes());
    assert_eq!(&b[200..202], &[0, 0]);
    assert_eq!(
        &b[202..208],
        &[24, 5, 6, 12, KEYF_EXCLUDE_OPT | KEYF_IFINDEX, 16]
    );
    assert_eq!(&b[208..224], b"sixteen byte key");
    assert!(b[224..].iter().all(|&x| x == 0));
}

#[test]
fn add_key_v6_and_a_long_algorithm_name_keeps_its_nul() {
    let mut add = AoAddKey::for_mkt(&Mkt::new(
        "fd00:99::2".parse().unwrap(),
        1,
        1,
        Algorithm::HmacSha1,
        MasterKey::new(b"k").unwrap(),
    ));
    add.alg_name = "x".repeat(100);
    let b = add.to_bytes();
    assert_eq!(&b[0..2], &(libc::AF_INET6 as u16).to_ne_bytes());
    let ip: Ipv6Addr = "fd00:99::2".parse().unwrap();
    assert_eq!(&b[8..24], &ip.octets());
    assert_eq!(b[191], 0);
    assert_eq!(b[202], 128);
    assert_eq!(b[206], 0);
}

#[test]
fn del_key_switches_current_and_rnext_in_the_same_call() {
    let mut del = AoDelKey::for_mkt(&mkt());
    del.current_key = Some(9);
    del.rnext = Some(8);
    let b = del.to_bytes();
    assert_eq!(&b[128..132], &7i32.to_ne_bytes());
    assert_eq!(&b[132..136], &3u32.to_ne_bytes());
    assert_eq!(
        &b[138..144],
        &[24, 5, 6, 9, 8, KEYF_EXCLUDE_OPT | KEYF_IFINDEX]
    );
    let plain = AoDelKey::for_mkt(&mkt()).to_bytes();
    assert_eq!(&plain[132..136], &0u32.to_ne_bytes());
}

#[test]
fn info_round_trips_and_bits_are_in_order() {
    let info = AoInfo {
        current_key: Some(3),
        rnext: None,
        ao_required: true,
        accept_icmps: true,
        set_counters: false,
        counters: AoSocketCounters {
            good: 1,
            bad: 2,
            key_not_found: 3,
            ao_required: 4,
            dropped_icmp: 5,
        },
    };
    let b = info.to_bytes();
    assert_eq!(&b[0..4], &0b10101u32.to_ne_bytes());
    assert_eq!(b[6], 3);
    assert_eq!(&b[40..48], &5u64.to_ne_bytes());
    assert_eq!(AoInfo::from_bytes(&b), Ok(info));
    assert_eq!(
        AoInfo::from_bytes(&b[..47]),
        Err(AoSockoptError::Short {
            what: "TCP_AO_INFO",
            got: 47,
            want: 48
        })
    );
    let later = AoSocketCounters {
        good: 4,
        ..info.counters
    };
    assert_eq!(later.delta(&info.counters)[0], ("TCPAOGood", 3));
    assert_eq!(later.delta(&info.counters)[1], ("TCPAOBad", 0));
}

#[test]
fn get_keys_request_and_entry() {
    let all = AoKeySelector::All.to_bytes(4);
    assert_eq!(&all[272..276], &4u32.to_ne_bytes());
    assert_eq!(&all[276..278], &4u16.to_ne_bytes());
    let cur = AoKeySelector::CurrentRnext {
        current: true,
        rnext: true,
    }
    .to_bytes(2);
    assert_eq!(&cur[276..278], &3u16.to_ne_bytes());
    let m = AoKeySelector::Matching {
        peer: "10.99.0.2".parse().unwrap(),
        prefix: 32,
        send_id: 1,
        recv_id: 2,
    }
    .to_bytes(1);
    assert_eq!(&m[4..8], &[10, 99, 0, 2]);
    assert_eq!(&m[276..281], &[0, 0, 1, 2, 32]);

    // An entry as the kernel writes it.
    let mut e = [0u8; GET_KEYS_LEN];
    put_sockaddr(&mut e, "fd00:99::2".parse().unwrap());
    e[128..137].copy_from_slice(b"cmac(aes)");
    e[192..195].copy_from_slice(b"abc");
    e[276..278].copy_from_slice(&2u16.to_ne_bytes());
    e[278..284].copy_from_slice(&[7, 8, 128, 12, KEYF_EXCLUDE_OPT, 3]);
    e[288..296].copy_from_slice(&11u64.to_ne_bytes());
    e[296..304].copy_from_slice(&12u64.to_ne_bytes());
    let k = AoKeyEntry::from_bytes(&e).unwrap();
    assert_eq!(k.peer, "fd00:99::2".parse::<IpAddr>().unwrap());
    assert_eq!(k.alg_name, "cmac(aes)");
    assert_eq!(k.secret.as_bytes(), b"abc");
    assert!(!k.is_current && k.is_rnext);
    assert_eq!((k.send_id, k.recv_id, k.prefix, k.mac_len), (7, 8, 128, 12));
    assert_eq!((k.pkt_good, k.pkt_bad), (11, 12));
    let dbg = format!("{k:?}");
    assert!(!dbg.contains("abc") && !dbg.contains("97, 98"), "{dbg}");
    e[283] = 81;
    assert_eq!(AoKeyEntry::from_bytes(&e), Err(AoSockoptError::KeyLen(81)));
    e[283] = 3;
    e[0..2].copy_from_slice(&7u16.to_ne_bytes());
    assert_eq!(AoKeyEntry::from_bytes(&e), Err(AoSockoptError::Family(7)));
}

#[test]
fn repair_isns_are_network_order() {
    let r = AoRepair {
        snt_isn: 0x0102_0304,
        rcv_isn: 0xfffe_fdfc,
        snd_sne: 1,
        rcv_sne: 2,
    };
    let b = r.to_bytes();
    assert_eq!(&b[0..4], &[1, 2, 3, 4]);
    assert_eq!(&b[4..8], &[0xff, 0xfe, 0xfd, 0xfc]);
    assert_eq!(&b[8..12], &1u32.to_ne_bytes());
    assert_eq!(AoRepair::from_bytes(&b), Ok(r));
    assert!(AoRepair::from_bytes(&b[..8]).is_err());
}

#[test]
fn secrets_never_reach_debug() {
    let add = AoAddKey::for_mkt(&mkt());
    let dbg = format!("{add:?}");
    assert!(!dbg.contains("sixteen"), "{dbg}");
    assert!(dbg.contains("16 bytes"), "{dbg}");
}
