//! Which check comes first, the TCP checksum or the MD5 signature? Sends
//! SYNs with a corrupted TCP checksum to a keyed listener (unsigned, signed
//! with a wrong key, signed with the right key; TCP lengths around 76
//! bytes) and prints what moved: the MD5 counters and tracepoints, or
//! `Tcp: InCsumErrors`.
//!
//! Run as root: `cargo run -p tcpmd5-conformance --example checksum_order`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use tcpmd5::{Family, Key};
use tcpmd5_conformance::exchange::{Barrier, exchange};
use tcpmd5_conformance::harness::{Lab, privilege, system};
use tcpmd5_conformance::listener::Listener;
use tcpmd5_conformance::segment::{SIGNED_SYN_OPTIONS, SegmentSpec, Signing};

/// `Tcp: InCsumErrors` of the calling thread's namespace.
fn in_csum_errors() -> Result<u64, String> {
    let text = std::fs::read_to_string("/proc/thread-self/net/snmp").map_err(|e| e.to_string())?;
    let mut tcp = text.lines().filter(|l| l.starts_with("Tcp:"));
    let (names, values) = (tcp.next().unwrap_or(""), tcp.next().unwrap_or(""));
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "InCsumErrors")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| "no Tcp: InCsumErrors".to_owned())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    privilege::init().map_err(|e| e.to_string())?;
    system::pin_current_thread(0).map_err(|e| e.to_string())?;
    let mut lab = Lab::new().map_err(|e| e.to_string())?;
    let mut barrier = Barrier::open(&lab).map_err(|e| e.to_string())?;
    let mut listener = Listener::open(&lab, Family::V4, 179, false)?;
    let key = Key::from_array(b"checksum-order");
    let wrong = Key::from_array(b"another key");
    let peer = lab.peer_addr(Family::V4);
    listener.add_key(peer, &key)?;
    println!("tcp_len  signing      replies  counters / tracepoints           InCsumErrors");
    let mut port = 30000u16;
    for payload in [0usize, 32, 52, 53, 56, 57, 1000] {
        for (name, signing) in [
            ("unsigned", None),
            ("wrong key", Some(&wrong)),
            ("right key", Some(&key)),
        ] {
            port += 1;
            let mut s = SegmentSpec::syn(peer, lab.kernel_addr(Family::V4), port, 179, 77);
            s.tcp.payload = vec![7u8; payload];
            if let Some(k) = signing {
                s.tcp.options = SIGNED_SYN_OPTIONS.to_vec();
                s.signing = Signing::Key(k.clone());
            }
            // A flip in the checksum field corrupts the final checksum.
            s.flips.push((16, 0));
            let before = in_csum_errors()?;
            let obs = exchange(&mut lab, &mut barrier, &s)?;
            let after = in_csum_errors()?;
            println!(
                "{:7}  {name:11}  {:7}  {:?} {:?}  +{}",
                s.segment().len(),
                obs.replies.len(),
                obs.auth_counters,
                obs.trace.unwrap_or_default(),
                after - before
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("checksum_order: {e}");
            ExitCode::FAILURE
        }
    }
}
