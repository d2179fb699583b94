//! Runs the operator mix (BIRD on A, FRR on B) for a few seconds, with a
//! restart of B, and leaves the capture and configurations in DIR:
//! `cargo run -p tcpmd5-bgplab --example bgplab -- DIR` (root).

use std::time::Duration;

use tcpmd5_bgplab::{Lab, LabSpec, Side};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: bgplab DIR")?;
    std::fs::create_dir_all(&dir)?;
    let spec = LabSpec::operator_mix();
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
