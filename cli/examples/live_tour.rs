//! The live example in docs/tool.md of `tcpmd5 sockets` and `tcpmd5 watch`: two
//! BIRD 2 routers in network namespaces (the daemon lab) with a working
//! session, a password one character off and a password on one router
//! only; prints the commands and their real output. Root only:
//! `cargo run --release -p tcpmd5-cli --example live_tour -- target/release/tcpmd5`
//! (`ci/regen/live-example.sh` puts it into docs/tool.md).

use std::net::IpAddr;
use std::process::Command;
use std::time::Duration;

use tcpmd5_bgplab::{Daemon, Lab, LabSpec, Router, Session, Side};

fn spec() -> LabSpec {
    let v4 = |s: u8, h: u8| IpAddr::from([10, 78, s, h]);
    let pw = |t: &str| Some(t.as_bytes().to_vec());
    let session = |name, s, a: Option<Vec<u8>>, b: Option<Vec<u8>>| Session {
        name,
        a_addr: v4(s, 1),
        b_addr: v4(s, 2),
        a_password: a,
        b_password: b,
    };
    LabSpec {
        a: Router {
            daemon: Daemon::Bird,
            asn: 65001,
        },
        b: Router {
            daemon: Daemon::Bird,
            asn: 65002,
        },
        sessions: vec![
            session("same", 1, pw("Peer-Pass-2026"), pw("Peer-Pass-2026")),
            session("typo", 2, pw("Peer-Pass-2026"), pw("Peer-Pass-2O26")),
            session("a-only", 3, pw("Peer-Pass-2026"), None),
        ],
    }
}

/// Runs the tool with `args`, printing `$ tcpmd5 ARGS` (the namespace
/// shown by its role) and the output.
fn show(bin: &str, lab: &Lab, args: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let shown: Vec<&str> = args
        .iter()
        .map(|a| {
            if *a == lab.netns(Side::A) {
                "router-a"
            } else if *a == lab.netns(Side::B) {
                "router-b"
            } else {
                a
            }
        })
        .collect();
    println!("$ tcpmd5 {}", shown.join(" "));
    let out = Command::new(bin).args(args).output()?;
    let text = String::from_utf8_lossy(&out.stdout)
        .replace(lab.netns(Side::A), "router-a")
        .replace(lab.netns(Side::B), "router-b");
    print!("{text}");
    if let Some(code) = out.status.code().filter(|c| *c != 0) {
        println!("(exit status {code})");
    }
    println!();
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bin = std::env::args()
        .nth(1)
        .ok_or("usage: live_tour PATH-TO-tcpmd5")?;
    let spec = spec();
    if let Some(why) = tcpmd5_bgplab::require::unmet(&spec.daemons()) {
        return Err(why.into());
    }
    let dir = std::env::temp_dir().join(format!("tcpmd5-live-tour-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let lab = Lab::start(spec, &dir)?;
    std::thread::sleep(Duration::from_secs(6));
    let (a, b) = (lab.netns(Side::A).to_owned(), lab.netns(Side::B).to_owned());
    show(&bin, &lab, &["sockets", "--netns", &a])?;
    show(&bin, &lab, &["sockets", "--netns", &b])?;
    show(
        &bin,
        &lab,
        &[
            "sockets",
            "--netns",
            &a,
            "--key",
            "10.78.0.0/16=Peer-Pass-2026",
        ],
    )?;
    show(&bin, &lab, &["watch", "--netns", &a, "--duration", "4"])?;
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
