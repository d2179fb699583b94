//! Which check comes first, the checksum or the MD5 signature? Sends SYNs
//! with a corrupted TCP checksum (and, over IPv4, a corrupted IP header
//! checksum) to a keyed listener, unsigned, signed with a wrong key and
//! with the right key, at TCP lengths around 76 bytes, both families; prints
//! what moved (the MD5 counters and tracepoints, or `InCsumErrors`) beside
//! the model's verdict (`tcpmd5::packet_verdict`).
//!
//! Run as root: `cargo run -p tcpmd5-conformance --example checksum_order`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use tcpmd5::{Family, Key, Semantics, packet_verdict};

/// The lab kernel's: 6.7 or later, without `CONFIG_TCP_AO`.
const SEMANTICS: Semantics = Semantics::Linux { tcp_ao: false };
use tcpmd5_conformance::exchange::{Barrier, exchange};
use tcpmd5_conformance::harness::{Lab, privilege, system};
use tcpmd5_conformance::listener::Listener;
use tcpmd5_conformance::segment::{ChecksumFault, SIGNED_SYN_OPTIONS, SegmentSpec, Signing};

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
    let key = Key::from_array(b"checksum-order");
    let wrong = Key::from_array(b"another key");
    println!(
        "family  fault  tcp_len  signing    replies  counters / tracepoints  Tcp:InCsumErrors  model"
    );
    let mut port = 30000u16;
    for family in Family::ALL {
        let mut listener = Listener::open(&lab, family, 179, false)?;
        let peer = lab.peer_addr(family);
        listener.add_key(peer, &key)?;
        let faults: &[(&str, ChecksumFault)] = match family {
            Family::V4 => &[
                ("tcp", ChecksumFault::Tcp),
                ("ip", ChecksumFault::Ipv4Header),
            ],
            Family::V6 => &[("tcp", ChecksumFault::Tcp)],
        };
        for &(fault_name, fault) in faults {
            for payload in [0usize, 32, 52, 53, 56, 57, 1000] {
                for (name, signing) in [
                    ("unsigned", None),
                    ("wrong key", Some(&wrong)),
                    ("right key", Some(&key)),
                ] {
                    port += 1;
                    let mut s = SegmentSpec::syn(peer, lab.kernel_addr(family), port, 179, 77);
                    s.tcp.payload = vec![7u8; payload];
                    if let Some(k) = signing {
                        s.tcp.options = SIGNED_SYN_OPTIONS.to_vec();
                        s.signing = Signing::Key(k.clone());
                    }
                    s.checksum_fault = Some(fault);
                    let model = packet_verdict(&s.packet(), &listener.model, 0, SEMANTICS)
                        .map_or_else(|e| e.to_string(), |v| v.id().to_string());
                    let before = in_csum_errors()?;
                    let obs = exchange(&mut lab, &mut barrier, &s)?;
                    let after = in_csum_errors()?;
                    println!(
                        "{family:6}  {fault_name:5}  {:7}  {name:9}  {:7}  {:?} {:?}  +{}  {model}",
                        s.segment().len(),
                        obs.replies.len(),
                        obs.auth_counters,
                        obs.trace.unwrap_or_default(),
                        after - before
                    );
                }
            }
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
