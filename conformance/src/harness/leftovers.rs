//! What a run could leak (fds, threads, namespaces, trace instances), so a
//! suite can prove it cleaned up after itself.

use std::collections::BTreeSet;
use std::fs;

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
}

impl Snapshot {
    /// Takes a snapshot now.
    pub fn take() -> Snapshot {
        Snapshot {
            fds: count("/proc/self/fd"),
            threads: count("/proc/self/task"),
            net_namespaces: net_namespaces(),
            trace_instances: trace_instances(),
        }
    }
}

fn count(dir: &str) -> usize {
    fs::read_dir(dir).map_or(0, |d| d.count())
}

fn net_namespaces() -> BTreeSet<String> {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return BTreeSet::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| fs::read_link(t.path().join("ns/net")).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

fn trace_instances() -> BTreeSet<String> {
    let prefix = instance_prefix();
    tracefs::mounted()
        .into_iter()
        .filter_map(|root| fs::read_dir(root.join("instances")).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect()
}

/// What `after` holds that `before` did not, one line per leak.
pub fn compare(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    if after.fds > before.fds {
        out.push(format!(
            "{} more open fds ({} -> {})",
            after.fds - before.fds,
            before.fds,
            after.fds
        ));
    }
    if after.threads > before.threads {
        out.push(format!(
            "{} more threads ({} -> {})",
            after.threads - before.threads,
            before.threads,
            after.threads
        ));
    }
    for ns in after.net_namespaces.difference(&before.net_namespaces) {
        out.push(format!("a thread is still in net namespace {ns}"));
    }
    for inst in after.trace_instances.difference(&before.trace_instances) {
        out.push(format!("tracefs instance {inst} left behind"));
    }
    out
}

/// [`compare`] after letting exiting threads and closing namespaces finish:
/// re-checks for up to `settle` and reports only what persists.
pub fn compare_settled(before: &Snapshot, settle: std::time::Duration) -> Vec<String> {
    let deadline = std::time::Instant::now() + settle;
    loop {
        let leaked = compare(before, &Snapshot::take());
        if leaked.is_empty() || std::time::Instant::now() >= deadline {
            return leaked;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_reports_growth_only() {
        let before = Snapshot::take();
        assert!(before.fds > 0 && before.threads > 0);
        assert!(!before.net_namespaces.is_empty());
        let mut after = before.clone();
        assert!(compare(&before, &after).is_empty());
        after.fds += 2;
        after
            .trace_instances
            .insert(format!("{}7", instance_prefix()));
        assert_eq!(compare(&before, &after).len(), 2);
        assert!(compare(&after, &before).is_empty());
    }
}
