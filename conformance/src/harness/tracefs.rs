//! Locating (or mounting) tracefs once per process.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the suite mounts tracefs when nothing has: a fixed path, so runs
/// reuse one mount instead of piling up new ones.
pub const PRIVATE_MOUNT: &str = "/run/tcpmd5-tracefs";

static ROOT: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The tracefs root, mounting it at [`PRIVATE_MOUNT`] on first use if needed.
/// The error is a reason fit for a skip message.
pub fn root() -> Result<PathBuf, String> {
    ROOT.get_or_init(find_or_mount).clone()
}

/// Mount points of tracefs in this process's mount namespace, from mountinfo.
pub fn mounted() -> Vec<PathBuf> {
    let Ok(info) = fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    info.lines()
        .filter_map(|line| {
            // "<id> <parent> <maj:min> <root> <mount point> <opts> ... - <fstype> <src> <opts>"
            let (left, right) = line.split_once(" - ")?;
            if right.split_whitespace().next()? != "tracefs" {
                return None;
            }
            let mp = left.split_whitespace().nth(4)?;
            Some(PathBuf::from(unescape_octal(mp)))
        })
        .collect()
}

fn unescape_octal(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

fn usable(p: &Path) -> bool {
    p.join("instances").is_dir() && p.join("events").is_dir()
}

fn find_or_mount() -> Result<PathBuf, String> {
    let mut points = mounted();
    points.sort_by_key(|p| p != Path::new("/sys/kernel/tracing"));
    if let Some(p) = points.iter().find(|p| usable(p)) {
        return Ok(p.clone());
    }
    if let Some(p) = points.first() {
        // Mounted but not usable by us (typically: rootless, files owned by
        // real root); mounting again would fail the same way.
        return Err(format!(
            "tracefs at {} is not accessible (instances/ or events/ unreadable)",
            p.display()
        ));
    }
    let dir = Path::new(PRIVATE_MOUNT);
    fs::create_dir_all(dir).map_err(|e| format!("mkdir {PRIVATE_MOUNT}: {e}"))?;
    let target = CString::new(dir.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: all pointers are NUL-terminated strings that live across the call;
    // data may be NULL for tracefs.
    let rc = unsafe {
        libc::mount(
            c"nodev".as_ptr(),
            target.as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        return Err(format!("mount tracefs on {PRIVATE_MOUNT}: {err}"));
    }
    if usable(dir) {
        Ok(dir.to_path_buf())
    } else {
        Err(format!(
            "{PRIVATE_MOUNT}: tracefs mounted but has no instances/ or events/"
        ))
    }
}
