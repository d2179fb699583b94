//! Which process holds a socket: the `socket:[INODE]` links under
//! `/proc/PID/fd`, read once for every process this one may look into.

use std::collections::HashMap;
use std::fs;

/// A process holding a socket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Owner {
    /// Its pid.
    pub pid: u32,
    /// Its command name (`/proc/PID/comm`).
    pub command: String,
}

/// Socket inodes and the (first) process holding each.
#[derive(Debug, Default)]
pub struct Owners(HashMap<u32, Owner>);

impl Owners {
    /// Reads `/proc` now. Processes that vanish or cannot be read (another
    /// user's, without privileges) are left out: their sockets show no owner.
    pub fn scan() -> Owners {
        let mut map = HashMap::new();
        let Ok(procs) = fs::read_dir("/proc") else {
            return Owners(map);
        };
        for entry in procs.filter_map(Result::ok) {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
                continue;
            };
            let mut command = None;
            for fd in fds.filter_map(Result::ok) {
                let Some(inode) = fs::read_link(fd.path())
                    .ok()
                    .and_then(|l| socket_inode(&l.to_string_lossy()))
                else {
                    continue;
                };
                let command = command.get_or_insert_with(|| {
                    fs::read_to_string(entry.path().join("comm"))
                        .map(|c| c.trim_end().to_owned())
                        .unwrap_or_default()
                });
                map.entry(inode).or_insert_with(|| Owner {
                    pid,
                    command: command.clone(),
                });
            }
        }
        Owners(map)
    }

    /// The process holding the socket with `inode`, if found.
    pub fn of(&self, inode: u32) -> Option<&Owner> {
        self.0.get(&inode)
    }
}

/// The inode of a `socket:[INODE]` link target.
fn socket_inode(target: &str) -> Option<u32> {
    target
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn finds_own_socket() {
        assert_eq!(socket_inode("socket:[12345]"), Some(12345));
        assert_eq!(socket_inode("pipe:[1]"), None);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&listener);
        let link = fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        let inode = socket_inode(&link.to_string_lossy()).unwrap();
        let owner = Owners::scan();
        assert_eq!(owner.of(inode).map(|o| o.pid), Some(std::process::id()));
    }
}
