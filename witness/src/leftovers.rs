//! What a run could leak (fds, threads, namespaces, trace instances, tracefs
//! mounts), so a suite can prove it cleaned up after itself.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use super::trace::instance_prefix;
use super::tracefs;

/// A snapshot of the process's leakable resources.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// Entries of `/proc/self/fd`.
    pub fds: usize,
    /// Entries of `/proc/self/task`.
    pub threads: usize,
    /// Net namespaces referenced by this process's threads (`net:[inode]`).
    pub net_namespaces: BTreeSet<String>,
    /// tracefs instances named `tcpmd5-<pid>-*`.
    pub trace_instances: BTreeSet<String>,
    /// tracefs mount points visible to the process.
    pub tracefs_mounts: BTreeSet<PathBuf>,
}

/// A resource list that cannot be read: a leftovers check that cannot look
/// must not pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("leftovers check: {0}")]
pub struct Unreadable(pub String);

impl Snapshot {
    /// Takes a snapshot now.
    pub fn take() -> Result<Snapshot, Unreadable> {
        Ok(Snapshot {
            fds: count("/proc/self/fd")?,
            threads: count("/proc/self/task")?,
            net_namespaces: net_namespaces()?,
            trace_instances: trace_instances()?,
            tracefs_mounts: tracefs::mounted()
                .map_err(Unreadable)?
                .into_iter()
                .collect(),
        })
    }
}

fn read_dir(dir: &str) -> Result<fs::ReadDir, Unreadable> {
    fs::read_dir(dir).map_err(|e| Unreadable(format!("read {dir}: {e}")))
}

fn count(dir: &str) -> Result<usize, Unreadable> {
    Ok(read_dir(dir)?.count())
}

fn net_namespaces() -> Result<BTreeSet<String>, Unreadable> {
    let mut out = BTreeSet::new();
    for t in read_dir("/proc/self/task")?.filter_map(Result::ok) {
        match fs::read_link(t.path().join("ns/net")) {
            Ok(p) => {
                out.insert(p.to_string_lossy().into_owned());
            }
            // The thread exited between the listing and the readlink.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Unreadable(format!(
                    "readlink {}/ns/net: {e}",
                    t.path().display()
                )));
            }
        }
    }
    Ok(out)
}

fn trace_instances() -> Result<BTreeSet<String>, Unreadable> {
    let prefix = instance_prefix();
    let mut out = BTreeSet::new();
    for root in tracefs::mounted().map_err(Unreadable)? {
        // A tracefs this process cannot read (rootless) holds nothing of ours.
        let Ok(entries) = fs::read_dir(root.join("instances")) else {
            continue;
        };
        out.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&prefix)),
        );
    }
    Ok(out)
}

/// What `after` holds that `before` did not, one line per leak.
pub fn compare(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (what, was, is) in [
        ("open fds", before.fds, after.fds),
        ("threads", before.threads, after.threads),
    ] {
        if is > was {
            out.push(format!("{} more {what} ({was} -> {is})", is - was));
        }
    }
    for ns in after.net_namespaces.difference(&before.net_namespaces) {
        out.push(format!("a thread is still in net namespace {ns}"));
    }
    for inst in after.trace_instances.difference(&before.trace_instances) {
        out.push(format!("tracefs instance {inst} left behind"));
    }
    for m in after.tracefs_mounts.difference(&before.tracefs_mounts) {
        out.push(format!("tracefs left mounted at {}", m.display()));
    }
    out
}

/// [`compare`] after letting exiting threads and closing namespaces finish:
/// re-checks for up to `settle` and reports only what persists.
pub fn compare_settled(
    before: &Snapshot,
    settle: std::time::Duration,
) -> Result<Vec<String>, Unreadable> {
    let deadline = std::time::Instant::now() + settle;
    loop {
        let leaked = compare(before, &Snapshot::take()?);
        if leaked.is_empty() || std::time::Instant::now() >= deadline {
            return Ok(leaked);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn compare_reports_growth_only() {
        let before = Snapshot::take().unwrap();
        assert!(before.fds > 0 && before.threads > 0);
        assert!(!before.net_namespaces.is_empty());
        let mut after = before.clone();
        assert!(compare(&before, &after).is_empty());
        after.fds += 2;
        after
            .trace_instances
            .insert(format!("{}7", instance_prefix()));
        after.tracefs_mounts.insert("/run/x".into());
        assert_eq!(compare(&before, &after).len(), 3);
        assert!(compare(&after, &before).is_empty());
    }
}
