//! Labs leave nothing behind: fds, threads, namespaces, trace instances,
//! tracefs mounts. A test binary of its own, so no other test's resources
//! blur the counts; `main` sets up namespaces before any thread exists, so it
//! runs rootless too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use tcpmd5::Family;
use tcpmd5_conformance::harness::leftovers::{Snapshot, compare};
use tcpmd5_conformance::harness::privilege;

use common::{is_synack, lab, syn};

fn one_lab_round() {
    let mut lab = lab("labs_leave_nothing_behind");
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
    assert!(got.is_some(), "no SYN-ACK from the kernel");
    if let Some(t) = lab.trace() {
        t.events().unwrap();
    }
    drop(l);
}

fn labs_leave_nothing_behind() {
    // Warm up once: the first lab creates the trace instance and statics.
    one_lab_round();
    let before = Snapshot::take().unwrap();
    one_lab_round();
    std::thread::spawn(one_lab_round)
        .join()
        .expect("the lab round on a spawned thread failed");
    one_lab_round();
    // A joined thread can stay listed in /proc for a moment after it exits.
    let deadline = Instant::now() + Duration::from_secs(2);
    let leaks = loop {
        let leaks = compare(&before, &Snapshot::take().unwrap());
        if leaks.is_empty() || Instant::now() >= deadline {
            break leaks;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(leaks.is_empty(), "leaked: {leaks:?}");
}

fn main() -> std::process::ExitCode {
    // Before any thread: rootless needs a single-threaded process.
    let privilege = privilege::init();
    let args = libtest_mimic::Arguments::from_args();
    let trials = common::trials(
        &privilege,
        vec![(
            "labs_leave_nothing_behind",
            labs_leave_nothing_behind as fn(),
        )],
    );
    // libtest-mimic panics on a closed or full stdout; end that quietly.
    tcpmd5_conformance::stdout::guard_printer(|| libtest_mimic::run(&args, trials).exit_code())
        .unwrap_or_else(|status| status)
}
