//! Probes the environment: privilege, MD5 support, lab set-up time, tracing.
//! Single-threaded, so it also exercises the rootless (user namespace) path.

use std::process::ExitCode;

use tcpmd5_conformance::harness::{Lab, privilege, sockopt, system};

fn main() -> ExitCode {
    let privilege = match privilege::init() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    println!("kernel {}", system::kernel_release());
    println!("privilege {privilege:?}");
    println!("md5 supported: {:?}", sockopt::md5_supported());
    let labs = 20;
    let mut times = Vec::new();
    let mut drops = Vec::new();
    for _ in 0..labs {
        match Lab::new() {
            Ok(lab) => {
                times.push(lab.setup_time());
                if times.len() == 1 {
                    println!(
                        "trace: {}",
                        lab.trace_unavailable_reason().unwrap_or("available")
                    );
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
    summary("Lab::new", &mut times);
    summary("drop(Lab)", &mut drops);
    ExitCode::SUCCESS
}

fn summary(what: &str, times: &mut [std::time::Duration]) {
    times.sort();
    if let (Some(min), Some(max)) = (times.first(), times.last()) {
        let median = times.get(times.len() / 2).copied().unwrap_or_default();
        println!(
            "{what} x{}: min {min:?} median {median:?} max {max:?}",
            times.len()
        );
    }
}
