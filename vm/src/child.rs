//! Child processes that die with the thread that started them, so a
//! `vm` or `matrix` killed outright (SIGKILL, the OOM killer) leaves no
//! qemu running: util-linux's `setpriv --pdeathsig KILL` sets the
//! parent-death signal in the child and then runs the program, which
//! keeps it across `execve`. The signal comes when the *thread* that
//! spawned the child ends, so every caller waits for its child on the
//! thread that spawned it. (A parent killed in the instant between the
//! spawn and setpriv's `prctl` would still orphan it.) No `unsafe` here:
//! `pre_exec` would need it.

use std::ffi::OsStr;
use std::process::Command;

/// The program that sets the parent-death signal.
pub(crate) const SETPRIV: &str = "setpriv";

/// A command running `program` that the kernel kills (SIGKILL) when the
/// calling thread ends.
pub(crate) fn guarded(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(SETPRIV);
    cmd.args(["--pdeathsig", "KILL", "--"]).arg(program);
    cmd
}

/// What to install when a guarded command cannot start.
pub(crate) fn install_hint(program: &str) -> String {
    format!("{SETPRIV} (util-linux) runs {program}: install util-linux")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    /// Set in the re-executed test binary that plays the killed parent.
    const ROLE: &str = "TCPMD5_VM_TEST_PARENT";

    fn alive(pid: u32) -> bool {
        // A zombie (state Z) is dead: it only waits for a reaper.
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
            })
            .unwrap_or(false)
    }

    /// Plays the parent: starts a guarded `sleep`, prints its pid and waits
    /// to be killed. Does nothing unless run by the test below.
    #[test]
    fn guarded_child_parent_role() {
        if std::env::var_os(ROLE).is_none() {
            return;
        }
        let mut child = guarded("sleep").arg("600").spawn().unwrap();
        println!("guarded-child-pid={}", child.id());
        let _ = child.wait();
    }

    #[test]
    fn a_guarded_child_dies_when_its_parent_is_sigkilled() {
        let mut parent = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child::tests::guarded_child_parent_role",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ROLE, "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = parent.stdout.take().unwrap();
        let pid: u32 = BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                l.split_once("guarded-child-pid=")
                    .and_then(|(_, pid)| pid.trim().parse().ok())
            })
            .expect("the parent prints its child's pid");
        // setpriv sets the signal and then runs the program: wait for that.
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default() != "sleep\n"
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(alive(pid), "the guarded child runs while its parent does");
        parent.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs
        parent.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(pid), "child {pid} outlived its SIGKILLed parent");
    }
}
