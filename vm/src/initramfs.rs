//! The guest's initramfs: busybox, the suite binary with its shared
//! libraries, the kernel's modules, and an `/init` that runs the suite and
//! reports its exit status behind a marker no suite output can forge.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::elf;
use crate::error::VmError;
use crate::modules::Module;

/// Where the suite binary lives in the guest.
const GUEST_SUITE: &str = "/tcpmd5-conformance";
/// Where busybox is looked for on the host (Debian's busybox-static).
const BUSYBOX_CANDIDATES: &[&str] = &["/bin/busybox", "/usr/bin/busybox"];

/// One run of the suite binary (or of another program) in the guest.
#[derive(Debug, Clone, Default)]
pub struct GuestStep {
    /// The program to run, a guest path; the suite binary when `None`.
    pub program: Option<String>,
    /// Its arguments (`["--format", "json"]`, `["differential", ...]`).
    pub args: Vec<String>,
    /// Send its stdout to a serial port of its own (a host file) instead
    /// of the console.
    pub to_port: bool,
}

/// The serial ports a guest has besides its console (x86 has four).
pub(crate) const MAX_PORTS: usize = 3;

/// What the guest is to run.
#[derive(Debug, Clone)]
pub(crate) struct GuestPlan {
    /// The suite binary on the host.
    pub suite: PathBuf,
    /// What to run, in order, each whatever the one before did.
    pub steps: Vec<GuestStep>,
    /// Modules to load, in order.
    pub modules: Vec<Module>,
    /// The per-run nonce of the markers.
    pub nonce: String,
    /// A host directory copied into the guest, and where (`/kselftest`).
    pub tree: Option<(PathBuf, String)>,
}

/// The guest serial device (`/dev/ttyS<n>`) of each step that writes to a
/// port: the second port for the first such step, and so on.
pub(crate) fn step_ports(steps: &[GuestStep]) -> Vec<Option<usize>> {
    let mut next = 1;
    steps
        .iter()
        .map(|s| {
            s.to_port.then(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

/// What the last line `/init` prints starts with.
pub(crate) const EXIT_MARKER: &str = "TCPMD5-VM-EXIT";

/// The line `/init` prints last, when every step is done:
/// `TCPMD5-VM-EXIT <nonce> done`.
pub(crate) fn exit_marker(nonce: &str) -> String {
    format!("{EXIT_MARKER} {nonce} done")
}

/// What `/init` prints after each step: `tcpmd5-vm: step <nonce> <i> exit
/// <status>`, this prefix then `<i> exit <status>`.
pub(crate) fn step_marker_prefix(nonce: &str) -> String {
    format!("{GUEST_LINE_PREFIX} step {nonce} ")
}

/// A step marker's step index and exit status, if `line` is one.
pub(crate) fn parse_step_marker(line: &str, nonce: &str) -> Option<(usize, i32)> {
    let rest = line.strip_prefix(&step_marker_prefix(nonce))?;
    let (index, status) = rest.split_once(" exit ")?;
    Some((index.parse().ok()?, status.trim().parse().ok()?))
}

/// What `/init`'s own messages start with.
pub(crate) const GUEST_LINE_PREFIX: &str = "tcpmd5-vm:";

/// The line `/init` prints when the guest is up, before the suite starts.
pub(crate) const GUEST_UP: &str = "tcpmd5-vm: guest up";

fn shell_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

fn init_script(plan: &GuestPlan) -> String {
    let mut port_setup = String::new();
    let mut steps = String::new();
    for (i, (step, port)) in plan.steps.iter().zip(step_ports(&plan.steps)).enumerate() {
        let args: Vec<String> = step.args.iter().map(|a| shell_quote(a)).collect();
        let redirect = match port {
            Some(n) => {
                port_setup.push_str(&format!("stty -F /dev/ttyS{n} raw -echo 2>/dev/null\n"));
                format!(" >/dev/ttyS{n}")
            }
            None => String::new(),
        };
        steps.push_str(&format!(
            "{program} {args}{redirect}\necho \"{marker}{i} exit $?\"\n",
            program = step
                .program
                .as_deref()
                .map_or(GUEST_SUITE.to_owned(), shell_quote),
            args = args.join(" "),
            marker = step_marker_prefix(&plan.nonce),
        ));
    }
    format!(
        r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# What udev would add: kselftest's runner writes to /dev/stdout.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
while read -r m; do
    insmod "/lib/modules/$m.ko" || echo "tcpmd5-vm: insmod $m failed"
done </modules.order
{port_setup}echo "{up}: $(uname -r), $(nproc) CPUs"
{steps}sync
echo "{marker}"
reboot -f
"#,
        up = GUEST_UP,
        marker = exit_marker(&plan.nonce),
    )
}

/// Writes entries of a newc archive with increasing inode numbers.
struct Writer<W: Write> {
    out: W,
    ino: u32,
}

impl<W: Write> Writer<W> {
    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) -> std::io::Result<()> {
        self.ino += 1;
        let size = u32::try_from(data.len())
            .map_err(|_| std::io::Error::other(format!("{name}: larger than 4 GiB")))?;
        let mut w = cpio::newc::Builder::new(name.trim_start_matches('/'))
            .ino(self.ino)
            .mode(mode)
            .nlink(1)
            .write(&mut self.out, size);
        w.write_all(data)?;
        w.finish()?;
        Ok(())
    }

    fn dir(&mut self, name: &str) -> std::io::Result<()> {
        self.entry(name, 0o040_755, &[])
    }

    fn char_device(&mut self, name: &str, major: u32, minor: u32) -> std::io::Result<()> {
        self.ino += 1;
        cpio::newc::Builder::new(name)
            .ino(self.ino)
            .mode(0o020_600)
            .nlink(1)
            .rdev_major(major)
            .rdev_minor(minor)
            .write(&mut self.out, 0)
            .finish()?;
        Ok(())
    }

    /// Copies the host directory `host` to `guest`, keeping each file's
    /// permission bits (symbolic links are followed).
    fn tree(&mut self, host: &Path, guest: &Path) -> std::io::Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(host)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for path in entries {
            let Some(name) = path.file_name() else {
                continue;
            };
            let to = guest.join(name);
            let meta = std::fs::metadata(&path)?;
            if meta.is_dir() {
                self.dir(&to.to_string_lossy())?;
                self.tree(&path, &to)?;
            } else {
                use std::os::unix::fs::PermissionsExt as _;
                let data = std::fs::read(&path).map_err(|e| {
                    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                })?;
                let mode = 0o100_000 | (meta.permissions().mode() & 0o777);
                self.entry(&to.to_string_lossy(), mode, &data)?;
            }
        }
        Ok(())
    }

    /// Creates every missing parent directory of `path`.
    fn parents(&mut self, path: &Path, made: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let mut ancestors: Vec<&Path> = path
            .ancestors()
            .skip(1)
            .filter(|a| !a.as_os_str().is_empty() && *a != Path::new("/"))
            .collect();
        ancestors.reverse();
        for a in ancestors {
            if !made.iter().any(|m| m == a) {
                self.dir(&a.to_string_lossy())?;
                made.push(a.to_owned());
            }
        }
        Ok(())
    }
}

fn find_busybox() -> Result<PathBuf, VmError> {
    BUSYBOX_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| VmError::Command {
            program: "busybox".to_owned(),
            detail: "not found (install busybox-static)".to_owned(),
        })
}

/// Writes the gzip'd newc initramfs for `plan` to `dest`.
pub(crate) fn write(plan: &GuestPlan, dest: &Path) -> Result<(), VmError> {
    let busybox = find_busybox()?;
    let mut files: Vec<(PathBuf, PathBuf)> = vec![
        (busybox.clone(), PathBuf::from("/bin/busybox")),
        (plan.suite.clone(), PathBuf::from(GUEST_SUITE)),
    ];
    for binary in [&plan.suite, &busybox] {
        for lib in elf::shared_libraries(binary)? {
            if !files.iter().any(|(_, guest)| *guest == lib) {
                files.push((lib.clone(), lib));
            }
        }
    }

    let file = std::fs::File::create(dest).map_err(VmError::io(dest))?;
    let gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let mut w = Writer { out: gz, ino: 0 };
    let io = VmError::io(dest);
    let result = (|| -> std::io::Result<()> {
        let mut made = Vec::new();
        for d in [
            "/bin",
            "/dev",
            "/proc",
            "/sys",
            "/tmp",
            "/run",
            "/lib",
            "/lib/modules",
        ] {
            w.dir(d)?;
            made.push(PathBuf::from(d));
        }
        w.char_device("dev/console", 5, 1)?;
        w.char_device("dev/null", 1, 3)?;
        for (host, guest) in &files {
            let data = std::fs::read(host)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", host.display())))?;
            w.parents(guest, &mut made)?;
            w.entry(&guest.to_string_lossy(), 0o100_755, &data)?;
        }
        let mut order = String::new();
        for m in &plan.modules {
            w.entry(&format!("/lib/modules/{}.ko", m.name), 0o100_644, &m.object)?;
            order.push_str(&m.name);
            order.push('\n');
        }
        w.entry("/modules.order", 0o100_644, order.as_bytes())?;
        if let Some((host, guest)) = &plan.tree {
            w.parents(&Path::new(guest).join("x"), &mut made)?;
            w.tree(host, Path::new(guest))?;
        }
        w.entry("/init", 0o100_755, init_script(plan).as_bytes())?;
        let gz = cpio::newc::trailer(w.out)?;
        gz.finish()?.flush()
    })();
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn init_runs_each_step_into_its_port_and_reports_its_status_behind_the_nonce() {
        let plan = GuestPlan {
            suite: PathBuf::from("/x"),
            steps: vec![
                GuestStep {
                    args: vec!["--filter".to_owned(), "vrf".to_owned()],
                    to_port: true,
                    ..GuestStep::default()
                },
                GuestStep {
                    args: vec!["probe".to_owned()],
                    to_port: false,
                    ..GuestStep::default()
                },
                GuestStep {
                    args: vec!["differential".to_owned()],
                    to_port: true,
                    ..GuestStep::default()
                },
                GuestStep {
                    program: Some("/kselftest/run_kselftest.sh".to_owned()),
                    args: vec![],
                    to_port: false,
                },
            ],
            modules: vec![],
            nonce: "n0nce".to_owned(),
            tree: None,
        };
        let script = init_script(&plan);
        assert!(script.contains(
            "/tcpmd5-conformance '--filter' 'vrf' >/dev/ttyS1\necho \"tcpmd5-vm: step n0nce 0 exit $?\"\n"
        ));
        assert!(
            script
                .contains("/tcpmd5-conformance 'probe'\necho \"tcpmd5-vm: step n0nce 1 exit $?\"")
        );
        assert!(script.contains("/tcpmd5-conformance 'differential' >/dev/ttyS2\n"));
        assert!(script.contains("stty -F /dev/ttyS2 raw -echo"));
        assert!(
            script.contains(
                "'/kselftest/run_kselftest.sh' \necho \"tcpmd5-vm: step n0nce 3 exit $?\""
            )
        );
        assert!(script.contains("echo \"TCPMD5-VM-EXIT n0nce done\"\nreboot -f"));
        assert_eq!(
            parse_step_marker("tcpmd5-vm: step n0nce 2 exit 4", "n0nce"),
            Some((2, 4))
        );
        assert_eq!(
            parse_step_marker("tcpmd5-vm: step other 2 exit 4", "n0nce"),
            None
        );
    }
}
