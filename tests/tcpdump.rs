//! tcpdump agrees with the digest vectors it can check (`tcpdump -M`), the
//! one check of the digests by another implementation. Without tcpdump the
//! trial is ignored with the reason, decided before it runs; under `CI=true`
//! (`ci/install-deps.sh` installs it) it runs and fails instead.

#![allow(
    dead_code,
    unused_imports,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stderr,
    clippy::print_stdout
)]

#[path = "vectors/pcap.rs"]
mod pcap;
#[path = "vectors/support.rs"]
mod support;

use std::process::{Command, ExitCode};

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// Every vector of the `digest` group.
fn digest_vectors() -> Vec<Value> {
    support::vectors("digest")
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

fn tcpdump_agrees() -> Result<(), Failed> {
    match pcap::check_with_tcpdump(&digest_vectors()) {
        Err(pcap::TcpdumpError::Missing) => Err(Failed::from(
            "tcpdump not found, and CI=true (ci/install-deps.sh installs it)",
        )),
        Err(pcap::TcpdumpError::Broken(why)) => Err(Failed::from(why)),
        Ok(report) => {
            println!("{}", report.render());
            if !report.disagreements.is_empty() {
                return Err(Failed::from(format!(
                    "tcpdump disagrees: {:#?}",
                    report.disagreements
                )));
            }
            if report.checked < 100 {
                return Err(Failed::from(format!(
                    "only {} vectors checked by tcpdump",
                    report.checked
                )));
            }
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let missing = match Command::new("tcpdump").arg("--version").output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some(format!("tcpdump not found ({e}): apt-get install tcpdump"))
        }
        _ => None,
    };
    let trial = Trial::test("tcpdump_agrees", tcpdump_agrees);
    let trial = match missing {
        Some(why) if !ci => {
            eprintln!("SKIP tcpdump_agrees: {why}");
            trial.with_ignored_flag(true)
        }
        _ => trial,
    };
    libtest_mimic::run(&args, vec![trial]).exit_code()
}
