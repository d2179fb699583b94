//! Finding tracefs without leaving anything mounted: the system's mount
//! (`/sys/kernel/tracing` first) when there is one, else a private mount
//! that is detached at once and reached through the file descriptor that
//! keeps it alive, so it disappears when the suite closes it or exits.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Where tracefs is usually mounted.
pub const SYSTEM_MOUNT: &str = "/sys/kernel/tracing";

/// A usable tracefs root. A private mount lives as long as this value.
#[derive(Debug)]
pub struct Root {
    path: PathBuf,
    /// The detached private mount, if the suite made one.
    private: Option<OwnedFd>,
}

impl Root {
    /// The directory to resolve tracefs paths under.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this is the suite's own (detached, invisible) mount.
    pub fn is_private(&self) -> bool {
        self.private.is_some()
    }
}

/// Mount points of tracefs in this process's mount namespace, from mountinfo.
pub fn mounted() -> Result<Vec<PathBuf>, String> {
    let info = fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("read /proc/self/mountinfo: {e}"))?;
    Ok(info
        .lines()
        .filter_map(|line| {
            // "<id> <parent> <maj:min> <root> <mount point> <opts> ... - <fstype> <src> <opts>"
            let (left, right) = line.split_once(" - ")?;
            if right.split_whitespace().next()? != "tracefs" {
                return None;
            }
            let mp = left.split_whitespace().nth(4)?;
            Some(PathBuf::from(unescape_octal(mp)))
        })
        .collect())
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

/// The system's tracefs if mounted and usable, else a private one. The
/// error is a reason fit for the report.
pub fn open() -> Result<Root, String> {
    let mut points = mounted()?;
    points.sort_by_key(|p| p != Path::new(SYSTEM_MOUNT));
    if let Some(p) = points.iter().find(|p| usable(p)) {
        return Ok(Root {
            path: p.clone(),
            private: None,
        });
    }
    if let Some(p) = points.first() {
        // Mounted but not usable by us (typically: rootless, files owned by
        // real root); mounting again would fail the same way.
        return Err(format!(
            "tracefs at {} is not accessible (instances/ or events/ unreadable)",
            p.display()
        ));
    }
    mount_private()
}

fn c_path(p: &Path) -> Result<CString, String> {
    CString::new(p.as_os_str().as_bytes()).map_err(|e| e.to_string())
}

/// Mounts tracefs on a fresh directory, keeps an `O_PATH` descriptor of it,
/// detaches the mount and removes the directory: nothing stays visible, and
/// the mount goes away with the descriptor.
fn mount_private() -> Result<Root, String> {
    let dir = std::env::temp_dir().join(format!("tcpmd5-tracefs-{}", std::process::id()));
    fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let result = mount_and_detach(&dir);
    if let Err(e) = fs::remove_dir(&dir) {
        eprintln!("tcpmd5 harness: rmdir {}: {e}", dir.display());
    }
    let fd = result?;
    let path = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
    if usable(&path) {
        Ok(Root {
            path,
            private: Some(fd),
        })
    } else {
        Err("private tracefs mount has no instances/ or events/".to_owned())
    }
}

fn mount_and_detach(dir: &Path) -> Result<OwnedFd, String> {
    let target = c_path(dir)?;
    // SAFETY: all pointers are NUL-terminated strings that live across the
    // call; data may be NULL for tracefs.
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
        return Err(format!("mount tracefs on {}: {err}", dir.display()));
    }
    // SAFETY: target is a NUL-terminated path; open returns a new fd or -1.
    let raw = unsafe {
        libc::open(
            target.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    let opened = if raw < 0 {
        Err(format!(
            "open {}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        ))
    } else {
        // SAFETY: raw is a descriptor open() just returned, owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(raw) })
    };
    // SAFETY: target is a NUL-terminated path; MNT_DETACH only unlinks the
    // mount from the tree, the open descriptor keeps it usable.
    if unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) } != 0 {
        let err = std::io::Error::last_os_error();
        return Err(format!("umount {}: {err}", dir.display()));
    }
    opened
}
