//! Runs the operator mix (BIRD on A, FRR on B), or the sessions named, for
//! a few seconds with a restart of B, and leaves the capture and the
//! configurations in DIR:
//! `cargo run -p tcpmd5-bgplab --example bgplab -- DIR [SESSION…]` (root;
//! sessions: same-v4, differ-v4, a-only-v4, none-v4, long-v6, b-only-v6,
//! differ-v6).

use std::time::Duration;

use tcpmd5_bgplab::{Lab, LabSpec, Side};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: bgplab DIR")?;
    std::fs::create_dir_all(&dir)?;
    let mut spec = LabSpec::operator_mix();
    let names: Vec<String> = std::env::args().skip(2).collect();
    if !names.is_empty() {
        spec.sessions.retain(|s| names.iter().any(|n| n == s.name));
        if spec.sessions.len() != names.len() {
            return Err(format!("unknown session among {names:?}").into());
        }
    }
    if let Some(why) = tcpmd5_bgplab::require::unmet(&spec.daemons()) {
        return Err(why.into());
    }
    let mut lab = Lab::start(spec, dir.as_ref())?;
    std::thread::sleep(Duration::from_secs(6));
    lab.stop_daemon(Side::B)?;
    std::thread::sleep(Duration::from_secs(1));
    lab.start_daemon(Side::B)?;
    std::thread::sleep(Duration::from_secs(5));
    let run = lab.finish()?;
    println!("versions: {:?}", run.versions);
    println!("capture: {}", run.pcap.display());
    for side in [Side::A, Side::B] {
        println!(
            "{}: traced {:?} counted {:?}",
            side.letter(),
            run.truth.traced(side),
            run.truth.counted(side)
        );
    }
    println!("unparsed events: {}", run.truth.unparsed.len());
    Ok(())
}
