//! Named network namespaces (`ip netns`): made and removed with `ip`, and
//! entered by a short-lived thread to read what only a member can (the
//! namespace's cookie, its counters).

use std::fs::File;
use std::process::Command;

use tcpmd5_conformance::harness::counters::TcpExtCounters;

use crate::error::LabError;

/// Runs a command; its stderr is the error.
pub fn run(args: &[&str]) -> Result<String, LabError> {
    let command = args.join(" ");
    let (program, rest) = args.split_first().ok_or_else(|| LabError::Command {
        command: command.clone(),
        detail: "empty command".into(),
    })?;
    let out = Command::new(program)
        .args(rest)
        .output()
        .map_err(|e| LabError::Command {
            command: command.clone(),
            detail: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(LabError::Command {
            command,
            detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A named namespace, deleted on drop.
#[derive(Debug)]
pub struct NamedNs {
    name: String,
}

impl NamedNs {
    /// `ip netns add NAME`, with `lo` up.
    pub fn add(name: &str) -> Result<NamedNs, LabError> {
        run(&["ip", "netns", "add", name])?;
        let ns = NamedNs {
            name: name.to_owned(),
        };
        run(&["ip", "-n", name, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `f` on a thread inside the namespace.
    fn inside<T: Send>(
        &self,
        f: impl FnOnce() -> Result<T, LabError> + Send,
    ) -> Result<T, LabError> {
        let path = format!("/run/netns/{}", self.name);
        let file = File::open(&path).map_err(|e| LabError::file(path.as_ref(), &e))?;
        tcpmd5_witness::netns::run_inside(Some(&file), f)
            .map_err(|e| LabError::Truth(format!("{path}: {e}")))?
    }

    /// The namespace's cookie, as the `tcp_hash_*` tracepoints print it.
    pub fn cookie(&self) -> Result<u64, LabError> {
        self.inside(|| {
            tcpmd5_witness::netns_cookie::current()
                .map_err(|e| LabError::Truth(format!("getsockopt(SO_NETNS_COOKIE): {e}")))
        })
    }

    /// The namespace's `TcpExt` counters (and the checksum counters).
    pub fn counters(&self) -> Result<TcpExtCounters, LabError> {
        self.inside(|| TcpExtCounters::read().map_err(|e| LabError::Truth(e.to_string())))
    }
}

impl Drop for NamedNs {
    fn drop(&mut self) {
        let _ = run(&["ip", "netns", "del", &self.name]);
    }
}
