//! Whether a lab can run on this machine, decided before a test runs.

use std::process::{Command, Stdio};

use crate::spec::Daemon;

/// Why a lab with `daemons` cannot run here, if it cannot: not root, or a
/// tool (`ip`, `tcpdump`, a daemon) missing.
pub fn unmet(daemons: &[Daemon]) -> Option<String> {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        });
    if uid.as_deref() != Some("0") {
        return Some("needs root (network namespaces, tracefs)".into());
    }
    for (tool, arg) in [("ip", "-V"), ("tcpdump", "--version")] {
        let ok = Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !ok {
            return Some(format!("needs {tool} (ci/install-deps.sh installs it)"));
        }
    }
    for d in daemons {
        if !std::path::Path::new(d.binary()).exists() {
            let package = match d {
                Daemon::Bird => "bird2",
                Daemon::Frr => "frr",
            };
            return Some(format!(
                "needs {} (Debian package {package}; ci/install-deps.sh installs it)",
                d.binary()
            ));
        }
    }
    None
}

/// The daemon's version line (`BIRD version 2.0.12`, `bgpd version 8.4.4`).
pub fn version(daemon: Daemon) -> Option<String> {
    let out = Command::new(daemon.binary())
        .arg("--version")
        .output()
        .ok()?;
    let text = [out.stdout, out.stderr].concat();
    String::from_utf8_lossy(&text)
        .lines()
        .find(|l| l.contains("version"))
        .map(|l| l.trim().to_owned())
}
