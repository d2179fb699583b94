//! Probes the environment: privilege, MD5 support, lab set-up time, tracing.
//! Single-threaded, so it also exercises the rootless (user namespace) path.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tcpmd5::Family;

use tcpmd5_conformance::harness::{HarnessError, Lab, privilege, sockopt, system};

#[path = "../tests/common/mod.rs"]
mod common;

fn main() -> ExitCode {
    let privilege = match privilege::init() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "kernel {}", system::kernel_release());
    let _ = writeln!(out, "privilege {privilege:?}");
    let _ = writeln!(out, "md5 supported: {:?}", sockopt::md5_supported());
    let labs = 20;
    let mut times = Vec::new();
    let mut drops = Vec::new();
    for _ in 0..labs {
        match Lab::new() {
            Ok(mut lab) => {
                times.push(lab.setup_time());
                if times.len() == 1 {
                    let _ = writeln!(
                        out,
                        "trace: {}",
                        lab.trace_unavailable_reason().unwrap_or("available")
                    );
                    for family in Family::ALL {
                        let _ =
                            writeln!(out, "{family} handshake: {:?}", handshake(&mut lab, family));
                    }
                }
                let t = std::time::Instant::now();
                drop(lab);
                drops.push(t.elapsed());
            }
            Err(e) => {
                eprintln!("Lab::new: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    summary(&mut out, "Lab::new", &mut times);
    summary(&mut out, "drop(Lab)", &mut drops);
    match tcpmd5_conformance::stdout::write(&out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => tcpmd5_conformance::stdout::failed("lab_probe", &e),
    }
}

fn summary(out: &mut String, what: &str, times: &mut [std::time::Duration]) {
    times.sort();
    if let (Some(min), Some(max)) = (times.first(), times.last()) {
        let median = times.get(times.len() / 2).copied().unwrap_or_default();
        let _ = writeln!(
            out,
            "{what} x{}: min {min:?} median {median:?} max {max:?}",
            times.len()
        );
    }
}

/// Sends a SYN from the peer and waits for the kernel's SYN-ACK.
fn handshake(lab: &mut Lab, family: Family) -> Result<Duration, HarnessError> {
    let listener = TcpListener::bind(SocketAddr::new(lab.kernel_addr(family), 7000))
        .map_err(|e| HarnessError::io("bind", &e))?;
    let pkt = common::syn(lab.peer_addr(family), lab.kernel_addr(family), 47000, 7000);
    let t0 = Instant::now();
    lab.send_ip(&pkt)?;
    let got = lab.recv_ip(t0 + Duration::from_secs(1), &mut |ip| {
        common::is_synack(ip, 7000, 47000)
    })?;
    drop(listener);
    match got {
        Some(_) => Ok(t0.elapsed()),
        None => Err(HarnessError::Timeout("no SYN-ACK".to_owned())),
    }
}
