//! Whether a lab can run on this machine, decided before a test runs.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::spec::Daemon;

/// Why a lab with `daemons` cannot run here, if it cannot: every unmet
/// need (root, `ip`, `tcpdump`, each daemon), so a skip names them all.
pub fn unmet(daemons: &[Daemon]) -> Option<String> {
    let mut needs = Vec::new();
    if !is_root() {
        needs.push("needs root (network namespaces, tracefs)".to_owned());
    }
    for (tool, arg) in [("ip", "-V"), ("tcpdump", "--version")] {
        let ok = Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !ok {
            needs.push(format!("needs {tool} (ci/install-deps.sh installs it)"));
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut seen = Vec::new();
    for d in daemons {
        if seen.contains(d) {
            continue;
        }
        seen.push(*d);
        if binary_in(*d, &path, &frr_dir()).is_none() {
            needs.push(format!(
                "needs {} ({}; Debian package {}; ci/install-deps.sh installs it)",
                d.program(),
                searched(*d),
                d.package()
            ));
        }
    }
    (!needs.is_empty()).then(|| needs.join("; "))
}

/// Whether the process runs as root (real uid 0): the question a test
/// asks before it drops a capability, apart from any tool.
pub fn is_root() -> bool {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        });
    uid.as_deref() == Some("0")
}

/// Where FRR's daemons are looked for first: Debian installs them in
/// `/usr/lib/frr`, off `PATH`; the variable moves (or, pointed at an empty
/// directory, hides) them.
pub const FRR_DIR_VAR: &str = "TCPMD5_FRR_DIR";

/// The daemon's binary: `bird` on `PATH`; `bgpd` in `$TCPMD5_FRR_DIR`
/// (default `/usr/lib/frr`), then on `PATH`.
pub fn binary(daemon: Daemon) -> Option<PathBuf> {
    binary_in(
        daemon,
        &std::env::var_os("PATH").unwrap_or_default(),
        &frr_dir(),
    )
}

/// [`binary`], given `PATH` and the FRR directory.
fn binary_in(daemon: Daemon, path: &OsStr, frr_dir: &OsStr) -> Option<PathBuf> {
    let first = match daemon {
        Daemon::Bird => None,
        Daemon::Frr => Some(frr_dir),
    };
    // Empty entries would mean the working directory: never.
    let dirs = std::env::join_paths(
        first
            .into_iter()
            .chain([path])
            .flat_map(std::env::split_paths)
            .filter(|d| d.is_absolute()),
    )
    .ok()?;
    let cwd = std::env::current_dir().ok()?;
    which::which_in(daemon.program(), Some(dirs), cwd).ok()
}

fn frr_dir() -> OsString {
    std::env::var_os(FRR_DIR_VAR).unwrap_or_else(|| "/usr/lib/frr".into())
}

/// Where [`binary`] looked, for the skip reason.
fn searched(daemon: Daemon) -> String {
    match daemon {
        Daemon::Bird => "not on PATH".to_owned(),
        Daemon::Frr => format!(
            "not in {} (${FRR_DIR_VAR}) nor on PATH",
            frr_dir().to_string_lossy()
        ),
    }
}

/// The daemon's version line (`BIRD version 2.0.12`, `bgpd version 8.4.4`).
pub fn version(daemon: Daemon) -> Option<String> {
    let out = Command::new(binary(daemon)?)
        .arg("--version")
        .output()
        .ok()?;
    let text = [out.stdout, out.stderr].concat();
    String::from_utf8_lossy(&text)
        .lines()
        .find(|l| l.contains("version"))
        .map(|l| l.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn program(dir: &std::path::Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// A PATH and an FRR directory without the daemons hide them, wherever
    /// the system installed them.
    #[test]
    fn daemons_are_found_where_pointed_and_nowhere_else() {
        let empty = tempfile::tempdir().unwrap();
        let e = empty.path().as_os_str();
        assert_eq!(binary_in(Daemon::Bird, e, e), None);
        assert_eq!(binary_in(Daemon::Frr, e, e), None);

        let frr = tempfile::tempdir().unwrap();
        let bgpd = program(frr.path(), "bgpd");
        assert_eq!(
            binary_in(Daemon::Frr, e, frr.path().as_os_str()),
            Some(bgpd.clone())
        );
        // bgpd on PATH also counts; bird is looked up on PATH only.
        assert_eq!(
            binary_in(Daemon::Frr, frr.path().as_os_str(), e),
            Some(bgpd)
        );
        assert_eq!(binary_in(Daemon::Bird, e, frr.path().as_os_str()), None);
        let bird = program(frr.path(), "bird");
        assert_eq!(
            binary_in(Daemon::Bird, frr.path().as_os_str(), e),
            Some(bird)
        );
    }
}
