//! Writes under /proc/sys.
//!
//! `/proc/sys/net` resolves against the network namespace of the thread that
//! opens the file, so a thread inside a lab namespace configures that lab.

use std::fs;

use super::error::HarnessError;

/// Writes `value` to `/proc/sys/<path>` (e.g. `net/ipv6/conf/vp/disable_ipv6`).
pub fn write(path: &str, value: &str) -> Result<(), HarnessError> {
    let full = format!("/proc/sys/{}", path.trim_start_matches('/'));
    fs::write(&full, value).map_err(|e| HarnessError::io(format!("write {full}"), &e))
}

/// Reads `/proc/sys/<path>`, trimmed.
pub fn read(path: &str) -> Result<String, HarnessError> {
    let full = format!("/proc/sys/{}", path.trim_start_matches('/'));
    fs::read_to_string(&full)
        .map(|s| s.trim().to_owned())
        .map_err(|e| HarnessError::io(format!("read {full}"), &e))
}
