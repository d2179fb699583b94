//! Whether KVM runs guests on this host, found out once per process and
//! in seconds: on some hosts `/dev/kvm` opens and a guest starts, but the
//! kernel never gets past its decompressor (a nested hypervisor that
//! cannot run it) or `KVM_RUN` fails ("KVM internal error"). The probe
//! boots the first kernel under KVM with an early console and waits for
//! its banner, which a working KVM prints in well under a second (TCG
//! takes about one).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::child;

/// How long the probe waits for the kernel's banner under KVM.
pub(crate) const PROBE_DEADLINE: Duration = Duration::from_secs(5);

/// What the kernel prints first on its early console.
const BANNER: &str = "Linux version";

/// What qemu says when `KVM_RUN` fails.
pub(crate) const INTERNAL_ERROR: &str = "KVM internal error";

/// The verdict of this process: `Ok` when KVM ran a kernel, else why not.
static VERDICT: Mutex<Option<Result<(), String>>> = Mutex::new(None);

/// Whether /dev/kvm can be opened for reading and writing.
fn device_usable() -> Result<(), String> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .map(drop)
        .map_err(|e| format!("/dev/kvm cannot be opened: {e}"))
}

/// Whether KVM runs guests here: the first call probes with `image` (about
/// half a second where KVM works, at most [`PROBE_DEADLINE`] where it
/// does not); later calls return its verdict.
pub(crate) fn usable(image: &Path) -> Result<(), String> {
    let mut verdict = VERDICT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    verdict
        .get_or_insert_with(|| device_usable().and_then(|()| probe(image)))
        .clone()
}

/// Records that KVM failed a guest after the probe passed, so the rest of
/// the process uses TCG.
pub(crate) fn failed(why: &str) {
    let mut verdict = VERDICT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *verdict = Some(Err(why.to_owned()));
}

enum Seen {
    Banner,
    Stderr(String),
    Closed,
}

/// Boots `image` under KVM without an initramfs until its banner appears.
fn probe(image: &Path) -> Result<(), String> {
    let started = Instant::now();
    let mut qemu = child::guarded("qemu-system-x86_64")
        .args(["-accel", "kvm", "-cpu", "host", "-m", "256", "-smp", "1"])
        .args(["-nodefaults", "-display", "none", "-no-reboot"])
        .args(["-serial", "stdio", "-kernel"])
        .arg(image)
        .args([
            "-append",
            "console=ttyS0 earlyprintk=serial,ttyS0,115200 loglevel=8 panic=-1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "the KVM probe could not start: {e} ({})",
                child::install_hint("qemu-system-x86_64")
            )
        })?;
    let (tx, rx) = mpsc::channel();
    if let Some(out) = qemu.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let banner = BufReader::new(out)
                .split(b'\n')
                .map_while(Result::ok)
                .any(|line| String::from_utf8_lossy(&line).contains(BANNER));
            let _ = tx.send(if banner { Seen::Banner } else { Seen::Closed });
        });
    }
    if let Some(mut err) = qemu.stderr.take() {
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned();
                if tx.send(Seen::Stderr(text)).is_err() {
                    return;
                }
            }
        });
    }
    let mut stderr = String::new();
    let verdict = loop {
        let left = PROBE_DEADLINE.saturating_sub(started.elapsed());
        match rx.recv_timeout(left) {
            Ok(Seen::Banner) => break Ok(()),
            Ok(Seen::Stderr(text)) => {
                stderr.push_str(&text);
                if let Some(line) = stderr.lines().find(|l| l.contains(INTERNAL_ERROR)) {
                    break Err(format!("KVM cannot run the guest: {line}"));
                }
            }
            Ok(Seen::Closed) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Err(format!(
                    "qemu exited before the kernel's banner under KVM{}",
                    if stderr.trim().is_empty() {
                        String::new()
                    } else {
                        format!(": {}", stderr.trim())
                    }
                ));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                break Err(format!(
                    "the kernel printed no banner within {} s under KVM (a working KVM takes under 1 s)",
                    PROBE_DEADLINE.as_secs()
                ));
            }
        }
    };
    let _ = qemu.kill();
    let _ = qemu.wait();
    verdict.map_err(|why| {
        format!(
            "{why}; KVM probe took {:.1} s",
            started.elapsed().as_secs_f64()
        )
    })
}
