//! Live tests of the harness against the running kernel, as root or rootless:
//! `main` sets up the user namespace before any thread exists (the kernel
//! refuses `CLONE_NEWUSER` to a multi-threaded process). Where no namespace
//! can be had at all, the tests that need one are ignored with the reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::os::fd::AsFd;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use tcpmd5::Family;
use tcpmd5::Key;
use tcpmd5::key_table::{AF_INET, Md5SigOption, Md5SigRequest};
use tcpmd5_conformance::exchange::{Barrier as BarrierListeners, exchange};
use tcpmd5_conformance::harness::counters::auth_delta;
use tcpmd5_conformance::harness::sockopt::{self, set_md5sig};
use tcpmd5_conformance::harness::{Errno, Lab, netns, sysctl};
use tcpmd5_conformance::segment::SegmentSpec;

use common::{is_synack, lab, ports_flags, syn, tcp_of};
use tcpmd5_conformance::harness::privilege;

const WAIT: Duration = Duration::from_millis(300);

fn handshake(lab: &mut Lab, family: Family, sport: u16) {
    let listener = TcpListener::bind(SocketAddr::new(lab.kernel_addr(family), 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let pkt = syn(lab.peer_addr(family), lab.kernel_addr(family), sport, port);
    let t0 = Instant::now();
    lab.send_ip(&pkt).unwrap();
    let got = lab
        .recv_ip(Instant::now() + Duration::from_secs(2), &mut |ip| {
            is_synack(ip, port, sport)
        })
        .unwrap();
    let got = got.unwrap_or_else(|| panic!("{family}: no SYN-ACK from the kernel"));
    assert!(
        common::tcp_checksum_ok(&got),
        "{family}: SYN-ACK checksum does not verify"
    );
    eprintln!("{family}: SYN-ACK after {:?}", t0.elapsed());
}

fn handshake_v4_and_v6() {
    let mut lab = lab("handshake_v4_and_v6");
    eprintln!("Lab::new took {:?}", lab.setup_time());
    handshake(&mut lab, Family::V4, 40000);
    handshake(&mut lab, Family::V6, 40001);
}

fn sysctl_follows_the_thread_namespace() {
    let lab = lab("sysctl_follows_the_thread_namespace");
    // vp exists only inside the lab, and its IPv6 was disabled by Lab::new.
    assert_eq!(sysctl::read("net/ipv6/conf/vp/disable_ipv6").unwrap(), "1");
    let inside = netns::current_inode().unwrap();
    assert_eq!(inside, lab.netns_inode());
    drop(lab);
    assert_ne!(netns::current_inode().unwrap(), inside);
    assert!(sysctl::read("net/ipv6/conf/vp/disable_ipv6").is_err());
}

fn unsigned_syn_to_keyed_listener(lab: &mut Lab, family: Family, sport: u16, count: usize) {
    let listener = TcpListener::bind(SocketAddr::new(lab.kernel_addr(family), 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let key = Md5SigRequest::add(lab.peer_addr(family), &Key::from_array(b"secret"));
    set_md5sig(listener.as_fd(), &key).unwrap();
    let before = lab.counters().unwrap();
    for i in 0..count {
        let pkt = syn(
            lab.peer_addr(family),
            lab.kernel_addr(family),
            sport + i as u16,
            port,
        );
        lab.send_ip(&pkt).unwrap();
    }
    let got = lab
        .recv_ip(Instant::now() + WAIT, &mut |ip| {
            tcp_of(ip)
                .and_then(ports_flags)
                .is_some_and(|(s, _, _)| s == port)
        })
        .unwrap();
    assert!(
        got.is_none(),
        "{family}: kernel answered an unsigned SYN: {got:?}"
    );
    let after = lab.counters().unwrap();
    let d = auth_delta(&before, &after);
    assert_eq!(d.len(), 1, "{family}: {d:?}");
    assert_eq!(
        d.get("TCPMD5NotFound"),
        Some(&(count as i64)),
        "{family}: {d:?}"
    );
}

fn md5_key_silences_unsigned_syn() {
    let mut lab = lab("md5_key_silences_unsigned_syn");
    unsigned_syn_to_keyed_listener(&mut lab, Family::V4, 41000, 1);
    unsigned_syn_to_keyed_listener(&mut lab, Family::V6, 41100, 1);
    match lab.trace() {
        Some(t) => {
            let ev = t.events().unwrap();
            assert_eq!(ev.len(), 2, "{ev:?}");
            assert!(
                ev.iter().all(|e| e.name == "tcp_hash_md5_required"),
                "{ev:?}"
            );
        }
        None => eprintln!(
            "trace witness skipped: {}",
            lab.trace_unavailable_reason().unwrap_or("?")
        ),
    }
}

fn setsockopt_errors() {
    assert!(sockopt::md5_supported().unwrap());
    let l = sockopt::listener("127.0.0.1:0".parse().unwrap(), None).unwrap();
    let peer: IpAddr = "127.0.0.2".parse().unwrap();
    let fd = l.as_fd();

    let mut too_long = Md5SigRequest::add(peer, &Key::from_array(&[7; 80]));
    too_long.keylen = 81;
    let e = set_md5sig(fd, &too_long).unwrap_err();
    assert_eq!(e.name(), "EINVAL");

    let delete = Md5SigRequest::delete(peer);
    let e = set_md5sig(fd, &delete).unwrap_err();
    assert_eq!(e, Errno(libc::ENOENT));

    let good = Md5SigRequest::add(peer, &Key::from_array(b"key"));
    let mut short = good.clone();
    short.optlen -= 1;
    let e = set_md5sig(fd, &short).unwrap_err();
    assert_eq!(e.name(), "EINVAL");

    set_md5sig(fd, &good).unwrap();
    let mut ext = good.clone();
    ext.option = Md5SigOption::Md5SigExt;
    set_md5sig(fd, &ext).unwrap();
    set_md5sig(fd, &delete).unwrap();

    let mut wrong_family = good.clone();
    wrong_family.sa_family = libc::AF_INET6 as u16;
    assert_ne!(wrong_family.sa_family, AF_INET);
    let e = set_md5sig(fd, &wrong_family).unwrap_err();
    assert_eq!(e.name(), "EINVAL");
}

/// What one of two concurrent labs saw.
#[derive(Debug)]
struct Seen {
    own_synack: bool,
    foreign_tcp: usize,
    not_found: Option<i64>,
    trace_events: Option<usize>,
}

fn concurrent_worker(index: u16, barrier: &Barrier) -> Seen {
    let mut lab = lab("two_labs_are_isolated");
    barrier.wait();
    let family = Family::V4;
    let open = TcpListener::bind(SocketAddr::new(lab.kernel_addr(family), 5000)).unwrap();
    let keyed = TcpListener::bind(SocketAddr::new(lab.kernel_addr(family), 5001)).unwrap();
    let key = Md5SigRequest::add(lab.peer_addr(family), &Key::from_array(b"k"));
    set_md5sig(keyed.as_fd(), &key).unwrap();
    let before = lab.counters().unwrap();
    barrier.wait();
    // Same addresses and ports in both labs; only the source ports differ.
    let my_sport = 42000 + index;
    let unsigned = usize::from(index) + 1;
    for i in 0..unsigned {
        let p = syn(
            lab.peer_addr(family),
            lab.kernel_addr(family),
            43000 + index * 100 + i as u16,
            5001,
        );
        lab.send_ip(&p).unwrap();
    }
    lab.send_ip(&syn(
        lab.peer_addr(family),
        lab.kernel_addr(family),
        my_sport,
        5000,
    ))
    .unwrap();
    let mut own = false;
    let mut foreign = 0;
    let deadline = Instant::now() + Duration::from_millis(500);
    while let Some(ip) = lab
        .recv_ip(deadline, &mut |ip| tcp_of(ip).is_some())
        .unwrap()
    {
        if is_synack(&ip, 5000, my_sport) {
            own = true;
        } else {
            foreign += 1;
        }
    }
    let after = lab.counters().unwrap();
    let trace_events = lab.trace().map(|t| t.events().unwrap().len());
    drop((open, keyed));
    Seen {
        own_synack: own,
        foreign_tcp: foreign,
        not_found: auth_delta(&before, &after).get("TCPMD5NotFound").copied(),
        trace_events,
    }
}

fn two_labs_are_isolated() {
    let barrier = Barrier::new(2);
    let seen: Vec<Seen> = std::thread::scope(|s| {
        let a = s.spawn(|| concurrent_worker(0, &barrier));
        let b = s.spawn(|| concurrent_worker(1, &barrier));
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    for (i, s) in seen.into_iter().enumerate() {
        eprintln!("lab {i}: {s:?}");
        assert!(s.own_synack, "lab {i} missed its SYN-ACK");
        assert_eq!(s.foreign_tcp, 0, "lab {i} saw the other lab's TCP");
        assert_eq!(s.not_found, Some(i as i64 + 1), "lab {i} counters");
        if let Some(n) = s.trace_events {
            assert_eq!(n, i + 1, "lab {i} trace events");
        }
    }
}

/// A long run in one lab (the differential's) keeps its barriers on a
/// kernel without SYN cookies: each barrier's handshake is left unfinished,
/// and with `tcp_syncookies` 0 (as without `CONFIG_SYN_COOKIES`) the kernel
/// drops every SYN once the listener's SYN queue is full (backlog 128).
fn barriers_outlast_a_full_syn_queue_without_syncookies() {
    let mut lab = lab("barriers_outlast_a_full_syn_queue_without_syncookies");
    sysctl::write("net/ipv4/tcp_syncookies", "0").unwrap();
    let mut barrier = BarrierListeners::open(&lab).unwrap();
    for family in Family::ALL {
        for i in 0..200u16 {
            // A SYN to a closed port (answered with a RST), then the barrier.
            let probe = SegmentSpec::syn(
                lab.peer_addr(family),
                lab.kernel_addr(family),
                30000 + i,
                7,
                1000,
            );
            let seen = exchange(&mut lab, &mut barrier, &probe).unwrap();
            assert!(seen.barrier_seen, "{family}: barrier {i} not answered");
        }
    }
}

fn main() -> std::process::ExitCode {
    // Before any thread: rootless needs a single-threaded process.
    let privilege = privilege::init();
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = common::trials(
        &privilege,
        vec![
            ("handshake_v4_and_v6", handshake_v4_and_v6 as fn()),
            (
                "sysctl_follows_the_thread_namespace",
                sysctl_follows_the_thread_namespace,
            ),
            (
                "md5_key_silences_unsigned_syn",
                md5_key_silences_unsigned_syn,
            ),
            ("two_labs_are_isolated", two_labs_are_isolated),
            (
                "barriers_outlast_a_full_syn_queue_without_syncookies",
                barriers_outlast_a_full_syn_queue_without_syncookies,
            ),
        ],
    );
    trials.push(libtest_mimic::Trial::test("setsockopt_errors", || {
        setsockopt_errors();
        Ok(())
    }));
    // libtest-mimic panics on a closed or full stdout; end that quietly.
    tcpmd5_conformance::stdout::guard_printer(|| libtest_mimic::run(&args, trials).exit_code())
        .unwrap_or_else(|status| status)
}
