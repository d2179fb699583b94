//! Booting a kernel with an initramfs in qemu, streaming the guest's
//! console back live, and reading its exit status.

use std::collections::VecDeque;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tcpmd5_report::ExitStatus;

use crate::child;
use crate::error::VmError;
use crate::initramfs::{EXIT_MARKER, GUEST_LINE_PREFIX, GUEST_UP, exit_marker, parse_step_marker};
use crate::kvm;

/// How many console lines an error quotes.
const TAIL_LINES: usize = 25;
/// A KVM guest is up in a second or two; one that is not after this long
/// is taken as KVM not working here, when the probe (`kvm::usable`)
/// passed but a guest still wedges.
const KVM_UP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the loop wakes to check its deadlines.
const TICK: Duration = Duration::from_secs(1);

/// qemu's accelerator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Accel {
    /// KVM when /dev/kvm works, else TCG.
    Auto,
    /// Hardware virtualisation.
    Kvm,
    /// qemu's emulator (works anywhere, as a normal user; slower).
    Tcg,
}

impl Accel {
    /// The name qemu takes.
    pub fn name(self) -> &'static str {
        match self {
            Accel::Auto => "auto",
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

/// Where the guest's console goes on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// Kept only for error messages.
    Off,
    /// To stdout (the guest's report is the command's output).
    Stdout,
    /// To stderr (stdout carries another report).
    Stderr,
}

/// A guest to boot.
#[derive(Debug, Clone)]
pub struct Boot<'a> {
    /// For messages: which kernel.
    pub kernel_name: &'a str,
    /// The kernel image.
    pub image: &'a Path,
    /// The initramfs.
    pub initrd: &'a Path,
    /// Where the serial ports after the console write, in order (the
    /// stdout of the steps that write to a port).
    pub port_files: &'a [PathBuf],
    /// How many steps `/init` runs.
    pub steps: usize,
    /// The markers' nonce.
    pub nonce: &'a str,
    /// Guest memory in MiB.
    pub memory_mib: u32,
    /// Guest CPUs; `None`: 2 under KVM, 1 under TCG (see `GuestArgs::cpus`).
    pub cpus: Option<u32>,
    /// Give up after this long.
    pub timeout: Duration,
    /// Where the guest console is copied as it arrives.
    pub echo: Echo,
}

/// One step's end in the guest.
#[derive(Debug, Clone, Copy)]
pub struct StepExit {
    /// Its exit status.
    pub status: i32,
    /// From the end of the step before (or the guest being up) to its end.
    pub time: Duration,
}

/// What a finished guest reported.
#[derive(Debug, Clone)]
pub struct GuestExit {
    /// Each step's status and time, in order; a step the guest did not
    /// report has none.
    pub steps: Vec<Option<StepExit>>,
    /// The accelerator used.
    pub accel: Accel,
    /// From qemu's start until `/init` said the guest was up.
    pub boot_time: Duration,
    /// Why KVM was not used, when `auto` fell back to TCG.
    pub kvm_fallback: Option<String>,
}

impl GuestExit {
    /// Step `i`'s exit code (1, a failure, when it did not report one).
    pub fn status(&self, i: usize) -> i32 {
        self.step(i).map_or(1, |s| s.status)
    }

    /// Step `i`'s exit code as kselftest reads it.
    pub fn exit_status(&self, i: usize) -> ExitStatus {
        ExitStatus::of_code(self.status(i))
    }

    /// Step `i`'s time (zero when it did not report).
    pub fn time(&self, i: usize) -> Duration {
        self.step(i).map_or(Duration::ZERO, |s| s.time)
    }

    fn step(&self, i: usize) -> Option<StepExit> {
        self.steps.get(i).copied().flatten()
    }
}

/// The accelerator a guest of `image` gets, and why not KVM when `auto`
/// chose TCG: KVM where it runs guests here (probed once per process,
/// `kvm::usable`), else TCG at once.
pub fn choose(requested: Accel, image: &Path) -> (Accel, Option<String>) {
    match requested {
        Accel::Auto => match kvm::usable(image) {
            Ok(()) => (Accel::Kvm, None),
            Err(why) => (Accel::Tcg, Some(why)),
        },
        other => (other, None),
    }
}

/// Boots the guest and waits for its exit marker, under the accelerator
/// [`choose`] picks; with `Accel::Auto`, a KVM guest that fails before it
/// is up (though the probe passed) is booted again under TCG.
pub fn boot(spec: &Boot<'_>, requested: Accel) -> Result<GuestExit, VmError> {
    let (accel, fallback) = choose(requested, spec.image);
    match boot_with(spec, accel) {
        Ok(mut exit) => {
            exit.kvm_fallback = fallback;
            Ok(exit)
        }
        Err(Failure::BeforeGuest(why)) if requested == Accel::Auto && accel == Accel::Kvm => {
            kvm::failed(&why);
            let mut exit = boot_with(spec, Accel::Tcg).map_err(Failure::into_error)?;
            exit.kvm_fallback = Some(why);
            Ok(exit)
        }
        Err(other) => Err(other.into_error()),
    }
}

/// A failed boot: before the guest printed anything (the accelerator may
/// be to blame), or later.
enum Failure {
    BeforeGuest(String),
    Guest(VmError),
}

impl Failure {
    fn into_error(self) -> VmError {
        match self {
            Failure::BeforeGuest(detail) => VmError::Command {
                program: "qemu-system-x86_64".to_owned(),
                detail,
            },
            Failure::Guest(e) => e,
        }
    }
}

enum Chunk {
    Console(Vec<u8>),
    Stderr(Vec<u8>),
    ConsoleClosed,
}

fn spawn_reader(mut from: impl Read + Send + 'static, tx: mpsc::Sender<Chunk>, console: bool) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let data = buf.get(..n).unwrap_or_default().to_vec();
                    let chunk = if console {
                        Chunk::Console(data)
                    } else {
                        Chunk::Stderr(data)
                    };
                    if tx.send(chunk).is_err() {
                        return;
                    }
                }
            }
        }
        if console {
            let _ = tx.send(Chunk::ConsoleClosed);
        }
    });
}

/// The guest's CPUs when none were asked for: one under TCG, where a
/// second vCPU can execute the int3 of a jump label being patched after
/// the kernel finished patching it (seen: `Oops: int3` at
/// `tcp_inbound_hash+0x120` in a Debian 6.12 guest, 2 runs of about 9,
/// while the suite switched `tcp:` tracepoints on and off).
fn default_cpus(accel: Accel) -> u32 {
    match accel {
        Accel::Kvm => 2,
        Accel::Tcg | Accel::Auto => 1,
    }
}

/// qemu for `spec`, killed by the kernel if the thread that starts it
/// (which waits for it) ends first ([`child::guarded`]).
fn qemu_command(spec: &Boot<'_>, accel: Accel) -> Command {
    let mut cmd = child::guarded("qemu-system-x86_64");
    cmd.args(["-accel", accel.name()]);
    if accel == Accel::Kvm {
        cmd.args(["-cpu", "host"]);
    }
    cmd.args(["-m", &spec.memory_mib.to_string()])
        .args([
            "-smp",
            &spec.cpus.unwrap_or(default_cpus(accel)).to_string(),
        ])
        .args(["-nodefaults", "-display", "none", "-no-reboot"])
        .args(["-serial", "stdio"]);
    for port in spec.port_files {
        cmd.arg("-serial").arg(format!("file:{}", port.display()));
    }
    cmd.arg("-kernel")
        .arg(spec.image)
        .arg("-initrd")
        .arg(spec.initrd)
        .args([
            "-append",
            "console=ttyS0 panic=-1 oops=panic quiet loglevel=3 rdinit=/init",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// The console, split into lines for the tail and the markers, with the
/// suite's redrawn progress line (`\r\x1b[2K[n/N] …`) kept apart. The
/// guest's tty ends lines with `\r\n`.
struct Console {
    partial: Vec<u8>,
    /// The last `\r` ended a line, so a `\n` right after it ends nothing.
    line_ended_by_cr: bool,
    /// The exit marker was seen: nothing after it is echoed.
    finished: bool,
    tail: VecDeque<String>,
    progress_tty: bool,
    echo: Echo,
}

/// What the suite writes before each redraw of its progress line.
const ERASE_LINE: &str = "\x1b[2K";

/// The progress text of a redraw (`[n/N] label id`), if `text` is one.
fn progress_text(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(ERASE_LINE)?;
    let (count, _) = rest.strip_prefix('[')?.split_once(']')?;
    let (done, total) = count.split_once('/')?;
    (done.parse::<usize>().is_ok() && total.parse::<usize>().is_ok()).then_some(rest)
}

impl Console {
    fn feed(&mut self, data: &[u8], mut on_line: impl FnMut(&str)) {
        for &b in data {
            match b {
                b'\r' => {
                    let text = String::from_utf8_lossy(&self.partial).into_owned();
                    self.partial.clear();
                    if let Some(progress) = progress_text(&text) {
                        self.progress(progress);
                        self.line_ended_by_cr = false;
                    } else if text.is_empty() || text == ERASE_LINE {
                        self.line_ended_by_cr = false;
                    } else {
                        self.line(&text, &mut on_line);
                        self.line_ended_by_cr = true;
                    }
                }
                b'\n' => {
                    if !(self.line_ended_by_cr && self.partial.is_empty()) {
                        let text = String::from_utf8_lossy(&self.partial).into_owned();
                        self.line(&text, &mut on_line);
                    }
                    self.partial.clear();
                    self.line_ended_by_cr = false;
                }
                _ => {
                    self.partial.push(b);
                    self.line_ended_by_cr = false;
                }
            }
        }
    }

    fn progress(&self, progress: &str) {
        if self.progress_tty && self.echo != Echo::Off {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{progress}");
            let _ = err.flush();
        }
    }

    fn line(&mut self, text: &str, on_line: &mut impl FnMut(&str)) {
        let text = text.strip_prefix(ERASE_LINE).unwrap_or(text);
        on_line(text);
        if self.progress_tty && self.echo != Echo::Off {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
        // The exit marker is for this side only, and what follows it is the
        // guest going down; `/init`'s own lines are not the suite's report.
        let own = text.starts_with(GUEST_LINE_PREFIX);
        if text.starts_with(EXIT_MARKER) {
            self.finished = true;
        }
        match self.echo {
            Echo::Off => {}
            _ if self.finished => {}
            Echo::Stdout if !own => {
                let _ = writeln!(std::io::stdout().lock(), "{text}");
            }
            Echo::Stdout | Echo::Stderr => {
                let _ = writeln!(std::io::stderr().lock(), "  | {text}");
            }
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(text.to_owned());
    }

    fn tail(&self) -> String {
        if self.tail.is_empty() {
            return "  (the guest printed nothing)".to_owned();
        }
        self.tail
            .iter()
            .map(|l| format!("  | {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn boot_with(spec: &Boot<'_>, accel: Accel) -> Result<GuestExit, Failure> {
    let started = Instant::now();
    let mut child = qemu_command(spec, accel).spawn().map_err(|e| {
        Failure::Guest(VmError::Command {
            program: "qemu-system-x86_64".to_owned(),
            detail: format!(
                "{e} (install qemu-system-x86; {})",
                child::install_hint("qemu-system-x86_64")
            ),
        })
    })?;
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        spawn_reader(out, tx.clone(), true);
    }
    if let Some(err) = child.stderr.take() {
        spawn_reader(err, tx, false);
    }
    let marker = exit_marker(spec.nonce);
    let mut console = Console {
        partial: Vec::new(),
        line_ended_by_cr: false,
        finished: false,
        tail: VecDeque::new(),
        progress_tty: std::io::stderr().is_terminal(),
        echo: spec.echo,
    };
    let mut stderr_text = String::new();
    let mut up_at: Option<Instant> = None;
    let mut steps: Vec<Option<StepExit>> = vec![None; spec.steps];
    let mut last_end: Option<Instant> = None;
    let mut done = false;
    let deadline = started + spec.timeout;
    let guest_error = |detail: String, console: &Console| {
        Failure::Guest(VmError::Guest {
            kernel: spec.kernel_name.to_owned(),
            detail,
            last_lines: console.tail(),
        })
    };
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            stop(&mut child);
            return Err(guest_error(
                format!(
                    "no exit status after {} s ({}): the guest hangs or the deadline (--timeout) is too short",
                    spec.timeout.as_secs(),
                    accel.name()
                ),
                &console,
            ));
        }
        match rx.recv_timeout(left.min(TICK)) {
            Ok(Chunk::Console(data)) => {
                console.feed(&data, |line| {
                    if line.starts_with(GUEST_UP) && up_at.is_none() {
                        up_at = Some(Instant::now());
                    }
                    if let Some((i, status)) = parse_step_marker(line, spec.nonce) {
                        let now = Instant::now();
                        let from = last_end.or(up_at).unwrap_or(started);
                        if let Some(slot) = steps.get_mut(i) {
                            *slot = Some(StepExit {
                                status,
                                time: now.duration_since(from),
                            });
                        }
                        last_end = Some(now);
                    }
                    if line.trim_end() == marker {
                        done = true;
                    }
                });
                if done {
                    break;
                }
            }
            Ok(Chunk::Stderr(data)) => stderr_text.push_str(&String::from_utf8_lossy(&data)),
            Ok(Chunk::ConsoleClosed) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = child.wait();
                let why = format!(
                    "qemu exited without the guest's exit status{}{}",
                    if console.tail().contains("Kernel panic") {
                        " (the kernel panicked)"
                    } else {
                        ""
                    },
                    if stderr_text.trim().is_empty() {
                        String::new()
                    } else {
                        format!("; qemu said: {}", stderr_text.trim())
                    }
                );
                if accel == Accel::Kvm && up_at.is_none() {
                    return Err(Failure::BeforeGuest(why));
                }
                return Err(guest_error(why, &console));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if accel == Accel::Kvm && up_at.is_none() {
            if stderr_text.contains(kvm::INTERNAL_ERROR) {
                stop(&mut child);
                return Err(Failure::BeforeGuest(format!(
                    "KVM cannot run the guest: {}",
                    stderr_text.lines().next().unwrap_or_default()
                )));
            }
            if started.elapsed() > KVM_UP_TIMEOUT {
                stop(&mut child);
                return Err(Failure::BeforeGuest(format!(
                    "the KVM guest was not up after {} s",
                    KVM_UP_TIMEOUT.as_secs()
                )));
            }
        }
    }
    let finished = Instant::now();
    // The guest reboots (qemu exits with -no-reboot); do not wait long.
    let exit_deadline = finished + Duration::from_secs(10);
    while Instant::now() < exit_deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop(&mut child);
    let up = up_at.unwrap_or(finished);
    Ok(GuestExit {
        steps,
        accel,
        boot_time: up.duration_since(started),
        kvm_fallback: None,
    })
}

/// A fresh nonce for the exit marker (not secret: it only has to be
/// unguessable by output that did not come from `/init`).
pub fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

/// A unique scratch path for the file of guest port `/dev/ttyS<port>`.
pub fn port_path(dir: &Path, kernel: &str, port: usize) -> PathBuf {
    let safe: String = kernel
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    dir.join(format!("{safe}.ttyS{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(stream: &[u8]) -> Vec<String> {
        let mut c = Console {
            partial: Vec::new(),
            line_ended_by_cr: false,
            finished: false,
            tail: VecDeque::new(),
            progress_tty: false,
            echo: Echo::Off,
        };
        let mut lines = Vec::new();
        c.feed(stream, |l| lines.push(l.to_owned()));
        lines
    }

    #[test]
    fn progress_redraws_are_not_lines_and_blank_lines_stay() {
        let stream = b"head\r\n\r\n\r\x1b[2K[1/2] pass a\r\x1b[2K[2/2] pass b\r\x1b[2Kreport\r\nTCPMD5-VM-EXIT n 0\r\n";
        assert_eq!(
            lines_of(stream),
            ["head", "", "report", "TCPMD5-VM-EXIT n 0"]
        );
    }

    #[test]
    fn a_report_line_that_looks_like_a_count_is_only_progress_after_an_erase() {
        assert_eq!(progress_text("\x1b[2K[3/14] pass x"), Some("[3/14] pass x"));
        assert_eq!(progress_text("[3/14] pass x"), None);
        assert_eq!(progress_text("\x1b[2Ktcpmd5 conformance"), None);
    }
}
