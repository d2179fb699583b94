//! Labs leave nothing behind: fds, threads, namespaces, trace instances.
//! A test binary of its own, so no other test's resources blur the counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use tcpmd5::Family;
use tcpmd5_conformance::harness::leftovers::{Snapshot, compare};

use common::{is_synack, lab_or_skip, syn};

fn one_lab_round() -> bool {
    let Some(mut lab) = lab_or_skip("labs_leave_nothing_behind") else {
        return false;
    };
    let l = TcpListener::bind(SocketAddr::new(lab.kernel_addr(Family::V4), 6000)).unwrap();
    let pkt = syn(
        lab.peer_addr(Family::V4),
        lab.kernel_addr(Family::V4),
        45000,
        6000,
    );
    lab.send_ip(&pkt).unwrap();
    let got = lab
        .recv_ip(Instant::now() + Duration::from_secs(2), &mut |ip| {
            is_synack(ip, 6000, 45000)
        })
        .unwrap();
    assert!(got.is_some());
    if let Some(t) = lab.trace() {
        t.events().unwrap();
    }
    drop(l);
    true
}

#[test]
fn labs_leave_nothing_behind() {
    // Warm up once: the first lab may mount tracefs and initialise statics.
    if !one_lab_round() {
        return;
    }
    let before = Snapshot::take();
    assert!(one_lab_round());
    std::thread::spawn(one_lab_round).join().unwrap();
    assert!(one_lab_round());
    // A joined thread can stay listed in /proc for a moment after it exits.
    let deadline = Instant::now() + Duration::from_secs(2);
    let leaks = loop {
        let leaks = compare(&before, &Snapshot::take());
        if leaks.is_empty() || Instant::now() >= deadline {
            break leaks;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(leaks.is_empty(), "leaked: {leaks:?}");
}
