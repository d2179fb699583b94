//! scapy's `contrib/tcpao` (an independent TCP-AO implementation) agrees
//! with every TCP-AO vector of `vectors/ao/` (RFC 9235's and the kernel's):
//! the traffic key from the vector's ISNs and the MAC over the packet
//! (`tests/ao_scapy/check.py`). A copy of the vectors with one MAC and one
//! traffic key altered per file must make it disagree. Without python3 and
//! scapy the trials are ignored with the reason, decided before they run;
//! under `CI=true` (`ci/install-deps.sh` installs scapy) they run and fail.
//!
//! Only scapy's KDF and MAC-input functions are used: its `sign_tcpao`
//! (2.8.0) writes the MAC of the MAC, which no receiver accepts. Its MACs
//! are the RFC's 12 bytes: a vector with a longer MAC (Linux's `maclen`)
//! is checked on its traffic key and the MAC's first 12 bytes only
//! (listed as `mac_prefix_only`).

#![allow(clippy::print_stderr, clippy::print_stdout, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/ao")
}

/// check.py's report on the vector files of `dir`.
fn run_checker(dir: &Path) -> Result<Value, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("tests/ao_scapy/check.py"))
        .arg(dir)
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

/// `(file name, vectors)` of every vector file in `vectors/ao`.
fn vector_files() -> Result<Vec<(String, Value)>, Failed> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(vectors_dir()).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            let doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((name, doc));
        }
    }
    Ok(files)
}

fn count(report: &Value, key: &str) -> usize {
    report
        .get(key)
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn scapy_agrees() -> Result<(), Failed> {
    let report = run_checker(&vectors_dir()).map_err(Failed::from)?;
    let files = vector_files()?;
    println!(
        "scapy {}: {} vectors checked, {} of them on the traffic key and the MAC's first 12 bytes only (MACs longer than scapy's 12)",
        report["scapy"],
        report["checked"],
        count(&report, "mac_prefix_only")
    );
    if count(&report, "disagreements") > 0 {
        return Err(Failed::from(format!("scapy disagrees: {report:#}")));
    }
    for (name, doc) in &files {
        let want = doc["vectors"].as_array().map_or(0, Vec::len);
        let got = report["files"][name.as_str()].as_u64().unwrap_or(0);
        if want == 0 || got != want as u64 {
            return Err(Failed::from(format!(
                "{name}: scapy checked {got} of {want} vectors"
            )));
        }
    }
    Ok(())
}

/// Flips the last hex digit of `v[name]`.
fn flip(v: &mut Value, name: &str) {
    let Some(s) = v.get(name).and_then(Value::as_str) else {
        return;
    };
    let mut s = s.to_owned();
    let last = match s.pop() {
        Some('0') => '1',
        _ => '0',
    };
    s.push(last);
    v[name] = Value::from(s);
}

fn scapy_rejects_a_corrupted_copy() -> Result<(), Failed> {
    let dir = tempfile_dir()?;
    let mut altered = 0;
    for (name, mut doc) in vector_files()? {
        if let Some(first) = doc["vectors"].get_mut(0) {
            flip(first, "mac");
            altered += 1;
        }
        if let Some(last) = doc["vectors"].as_array_mut().and_then(|v| v.last_mut()) {
            flip(last, "traffic_key");
            altered += 1;
        }
        let text = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
        std::fs::write(dir.join(name), text).map_err(|e| e.to_string())?;
    }
    let report = run_checker(&dir).map_err(Failed::from);
    let _ = std::fs::remove_dir_all(&dir);
    let found = count(&report?, "disagreements");
    if found != altered {
        return Err(Failed::from(format!(
            "{altered} vectors altered, scapy disagrees with {found}"
        )));
    }
    Ok(())
}

/// A fresh directory in the system temp dir (removed after the check).
fn tempfile_dir() -> Result<PathBuf, Failed> {
    let dir = std::env::temp_dir().join(format!("tcpmd5-ao-scapy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let trials = vec![
        Trial::test("scapy_agrees", scapy_agrees),
        Trial::test(
            "scapy_rejects_a_corrupted_copy",
            scapy_rejects_a_corrupted_copy,
        ),
    ];
    let trials = match run_checker(&vectors_dir()) {
        Err(why) if !ci => {
            eprintln!("SKIP scapy trials: {why}");
            trials
                .into_iter()
                .map(|t| t.with_ignored_flag(true))
                .collect()
        }
        _ => trials,
    };
    libtest_mimic::run(&args, trials).exit_code()
}
