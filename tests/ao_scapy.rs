//! scapy's `contrib/tcpao` (an independent TCP-AO implementation) agrees
//! with every TCP-AO vector: the traffic key from the vector's ISNs and the
//! MAC over the packet (`tests/ao_scapy/check.py`). Without python3 and
//! scapy the trial is ignored with the reason, decided before it runs;
//! under `CI=true` (`ci/install-deps.sh` installs scapy) it runs and fails.
//!
//! Only scapy's KDF and MAC-input functions are used: its `sign_tcpao`
//! (2.8.0) writes the MAC of the MAC, which no receiver accepts.

#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::path::Path;
use std::process::{Command, ExitCode};

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

fn run_checker() -> Result<Value, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("tests/ao_scapy/check.py"))
        .arg(root.join("vectors/ao"))
        .output()
        .map_err(|e| format!("python3 not found ({e})"))?;
    let report: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "check.py printed no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    if let Some(why) = report.get("missing") {
        return Err(format!(
            "scapy not importable ({why}): python3 -m pip install scapy"
        ));
    }
    Ok(report)
}

fn scapy_agrees() -> Result<(), Failed> {
    let report = run_checker().map_err(Failed::from)?;
    println!("{report}");
    let checked = report.get("checked").and_then(Value::as_u64).unwrap_or(0);
    let disagreements = report
        .get("disagreements")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if disagreements > 0 {
        return Err(Failed::from(format!("scapy disagrees: {report:#}")));
    }
    if checked < 32 {
        return Err(Failed::from(format!(
            "only {checked} vectors checked by scapy"
        )));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let trial = Trial::test("scapy_agrees", scapy_agrees);
    let trial = match run_checker() {
        Err(why) if !ci => {
            eprintln!("SKIP scapy_agrees: {why}");
            trial.with_ignored_flag(true)
        }
        _ => trial,
    };
    libtest_mimic::run(&args, vec![trial]).exit_code()
}
