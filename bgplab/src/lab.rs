//! A lab run: the namespaces and the link, the daemons, the capture and
//! the trace sessions, from [`Lab::start`] to [`Lab::finish`].

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tcpmd5_conformance::harness::counters::{TcpExtCounters, delta};
use tcpmd5_conformance::harness::trace::TraceSession;

use crate::config;
use crate::error::LabError;
use crate::netns::{NamedNs, run};
use crate::require;
use crate::spec::{Daemon, LabSpec, Side};
use crate::truth::{Truth, parse_event, realtime_offset_ns};

const SIDES: [Side; 2] = [Side::A, Side::B];

/// The counters kept in [`Truth::counters`].
const KEPT: [&str; 4] = [
    "TCPMD5NotFound",
    "TCPMD5Unexpected",
    "TCPMD5Failure",
    "Tcp:InCsumErrors",
];

/// A running lab. Dropping it stops everything (and removes the
/// namespaces); [`Lab::finish`] also collects the capture and the truth.
#[derive(Debug)]
pub struct Lab {
    spec: LabSpec,
    dir: PathBuf,
    // Field order is drop order: processes before their namespaces.
    daemons: PerSide<Option<Child>>,
    capture: Option<Child>,
    traces: Vec<(Side, TraceSession)>,
    before: Vec<(Side, TcpExtCounters)>,
    offset_ns: i128,
    timeline: Vec<DaemonEvent>,
    ns: PerSide<NamedNs>,
}

/// When a daemon was started or told to stop (`CLOCK_REALTIME`, as the
/// capture's timestamps): while it is down, its router has no listener,
/// and what reaches it is decided by no socket's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaemonEvent {
    /// When.
    pub realtime_ns: i128,
    /// Whose daemon.
    pub router: Side,
    /// Started (`true`) or told to stop.
    pub started: bool,
}

/// What a finished lab leaves: its files and the kernels' truth.
#[derive(Debug)]
pub struct LabRun {
    /// The description it ran.
    pub spec: LabSpec,
    /// The capture, taken on A's end of the link (both directions).
    pub pcap: PathBuf,
    /// Each router's configuration file.
    pub configs: [PathBuf; 2],
    /// What the kernels dropped, and their counters.
    pub truth: Truth,
    /// The daemons' version lines.
    pub versions: Vec<String>,
    /// Every start and stop of a daemon, in order.
    pub timeline: Vec<DaemonEvent>,
}

impl LabRun {
    /// Whether `router`'s daemon was down at `realtime_ns`: told to stop
    /// and not yet started again, or started less than `grace_ns` before
    /// (its sockets not yet open).
    pub fn daemon_down(&self, router: Side, realtime_ns: i128, grace_ns: i128) -> bool {
        let mut down = true;
        for e in self.timeline.iter().filter(|e| e.router == router) {
            if e.realtime_ns > realtime_ns {
                break;
            }
            down = !e.started || realtime_ns < e.realtime_ns + grace_ns;
        }
        down
    }

    /// The configuration file of `side`.
    pub fn config(&self, side: Side) -> &Path {
        match side {
            Side::A => &self.configs[0],
            Side::B => &self.configs[1],
        }
    }
}

/// The interface of `side` on the link.
pub fn link_name(side: Side) -> &'static str {
    match side {
        Side::A => "bgplab-a",
        Side::B => "bgplab-b",
    }
}

/// One thing per router.
#[derive(Debug)]
struct PerSide<T> {
    a: T,
    b: T,
}

impl<T> PerSide<T> {
    fn get(&self, side: Side) -> &T {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    fn get_mut(&mut self, side: Side) -> &mut T {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }
}

impl Lab {
    /// Builds the namespaces and the link, writes the configurations into
    /// `dir`, starts the capture and the trace sessions, then the daemons.
    pub fn start(spec: LabSpec, dir: &Path) -> Result<Lab, LabError> {
        // Unique per process and lab: tests may run labs side by side.
        static LABS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = LABS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{}-{n}", std::process::id());
        let ns = PerSide {
            a: NamedNs::add(&format!("tcpmd5bgp-a-{id}"))?,
            b: NamedNs::add(&format!("tcpmd5bgp-b-{id}"))?,
        };
        let (na, nb) = (&ns.a, &ns.b);
        run(&[
            "ip",
            "link",
            "add",
            link_name(Side::A),
            "netns",
            na.name(),
            "type",
            "veth",
            "peer",
            "name",
            link_name(Side::B),
            "netns",
            nb.name(),
        ])?;
        for side in SIDES {
            let n = ns.get(side).name();
            let dev = link_name(side);
            for s in &spec.sessions {
                let addr = s.addr(side);
                let cidr = match addr {
                    IpAddr::V4(_) => format!("{addr}/24"),
                    IpAddr::V6(_) => format!("{addr}/64"),
                };
                let mut args = vec!["ip", "-n", n, "addr", "add", &cidr, "dev", dev];
                if addr.is_ipv6() {
                    args.push("nodad");
                }
                run(&args)?;
            }
            run(&["ip", "-n", n, "link", "set", dev, "up"])?;
        }
        let mut lab = Lab {
            spec,
            dir: dir.to_owned(),
            daemons: PerSide { a: None, b: None },
            capture: None,
            traces: Vec::new(),
            before: Vec::new(),
            offset_ns: realtime_offset_ns(),
            timeline: Vec::new(),
            ns,
        };
        for side in SIDES {
            let path = lab.config_path(side);
            let text = config::write(&lab.spec, side)?;
            std::fs::write(&path, text).map_err(|e| LabError::file(&path, &e))?;
        }
        lab.start_capture()?;
        for side in SIDES {
            let n = lab.ns.get(side);
            let trace =
                TraceSession::start(n.cookie()?).map_err(|e| LabError::Truth(e.to_string()))?;
            // Timestamps comparable with the capture's (through the offset).
            let clock = trace.dir().join("trace_clock");
            std::fs::write(&clock, "mono").map_err(|e| LabError::file(&clock, &e))?;
            lab.traces.push((side, trace));
            lab.before.push((side, n.counters()?));
        }
        for side in SIDES {
            lab.start_daemon(side)?;
        }
        Ok(lab)
    }

    /// The name of `side`'s network namespace (under /run/netns).
    pub fn netns(&self, side: Side) -> &str {
        self.ns.get(side).name()
    }

    /// The configuration file of `side`.
    pub fn config_path(&self, side: Side) -> PathBuf {
        let ext = match self.spec.router(side).daemon {
            Daemon::Bird => "bird.conf",
            Daemon::Frr => "frr.conf",
        };
        self.dir.join(format!("{}-{ext}", side.letter()))
    }

    /// The capture file.
    pub fn pcap_path(&self) -> PathBuf {
        self.dir.join("bgp.pcap")
    }

    fn start_capture(&mut self) -> Result<(), LabError> {
        let pcap = self.pcap_path();
        let mut child = Command::new("ip")
            .args(["netns", "exec", self.ns.a.name(), "tcpdump", "-i"])
            .arg(link_name(Side::A))
            // Immediate mode: every packet is handed over at once, so none is
            // left in a ring block when the capture stops.
            .args(["-s", "0", "-U", "--immediate-mode", "-n", "-w"])
            .arg(&pcap)
            .arg("tcp port 179")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| LabError::Command {
                command: "tcpdump".into(),
                detail: e.to_string(),
            })?;
        // tcpdump says "listening on" once its socket is open.
        let mut line = String::new();
        if let Some(err) = child.stderr.take() {
            let mut r = BufReader::new(err);
            while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false)
                && !line.contains("listening on")
            {
                line.clear();
            }
        }
        if !line.contains("listening on") {
            let _ = child.kill();
            let _ = child.wait();
            return Err(LabError::Command {
                command: "tcpdump".into(),
                detail: format!("did not start: {}", line.trim()),
            });
        }
        self.capture = Some(child);
        Ok(())
    }

    /// Starts the daemon of `side` (again, after [`Lab::stop_daemon`]).
    pub fn start_daemon(&mut self, side: Side) -> Result<(), LabError> {
        let n = self.ns.get(side).name().to_owned();
        let conf = self.config_path(side);
        let l = side.letter();
        let log = self.dir.join(format!("{l}.log"));
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| LabError::file(&log, &e))?;
        let log2 = log.try_clone().map_err(|e| LabError::file(&self.dir, &e))?;
        let daemon = self.spec.router(side).daemon;
        let binary = require::binary(daemon).ok_or_else(|| LabError::Command {
            command: daemon.program().into(),
            detail: "not found (see require::unmet)".into(),
        })?;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &n]).arg(&binary);
        match daemon {
            Daemon::Bird => {
                cmd.args(["-f", "-c"]).arg(&conf).arg("-s");
                cmd.arg(self.dir.join(format!("{l}.ctl")));
                cmd.arg("-P").arg(self.dir.join(format!("{l}.pid")));
            }
            Daemon::Frr => {
                let vty = self.dir.join(format!("{l}-vty"));
                std::fs::create_dir_all(&vty).map_err(|e| LabError::file(&vty, &e))?;
                cmd.arg("-f").arg(&conf);
                cmd.arg("-i").arg(self.dir.join(format!("{l}.pid")));
                // No zebra, no privilege drop, no vty port.
                cmd.args(["-Z", "-S", "-P", "0", "--log", "stdout", "--vty_socket"]);
                cmd.arg(&vty);
            }
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| LabError::Command {
                command: binary.display().to_string(),
                detail: e.to_string(),
            })?;
        *self.daemons.get_mut(side) = Some(child);
        self.timeline.push(DaemonEvent {
            realtime_ns: now_ns(),
            router: side,
            started: true,
        });
        Ok(())
    }

    /// Stops the daemon of `side` with SIGTERM (it closes its sessions as
    /// it does on shutdown), then SIGKILL after 5 s.
    pub fn stop_daemon(&mut self, side: Side) -> Result<(), LabError> {
        if let Some(child) = self.daemons.get_mut(side).take() {
            self.timeline.push(DaemonEvent {
                realtime_ns: now_ns(),
                router: side,
                started: false,
            });
            stop(child, "TERM")?;
        }
        Ok(())
    }

    /// The log of `side`'s daemon so far.
    pub fn log(&self, side: Side) -> String {
        std::fs::read_to_string(self.dir.join(format!("{}.log", side.letter()))).unwrap_or_default()
    }

    /// Stops the daemons (B first) and the capture, and reads the truth.
    pub fn finish(mut self) -> Result<LabRun, LabError> {
        self.stop_daemon(Side::B)?;
        self.stop_daemon(Side::A)?;
        // Let the last segments (RSTs, final ACKs) reach the capture.
        std::thread::sleep(Duration::from_millis(300));
        if let Some(c) = self.capture.take() {
            stop(c, "INT")?;
        }
        let mut truth = Truth::default();
        for (side, trace) in &self.traces {
            let events = trace.events().map_err(|e| LabError::Truth(e.to_string()))?;
            for ev in &events {
                match parse_event(*side, ev, self.offset_ns) {
                    Some(d) => truth.drops.push(d),
                    None => truth.unparsed.push(ev.line.clone()),
                }
            }
        }
        for (side, before) in &self.before {
            let after = self.ns.get(*side).counters()?;
            let moved = delta(before, &after)
                .into_iter()
                .filter(|(k, _)| KEPT.contains(&k.as_str()))
                .collect();
            truth.counters.insert(*side, moved);
        }
        let versions = self
            .spec
            .daemons()
            .into_iter()
            .filter_map(require::version)
            .collect();
        Ok(LabRun {
            pcap: self.pcap_path(),
            configs: [self.config_path(Side::A), self.config_path(Side::B)],
            spec: self.spec.clone(),
            truth,
            versions,
            timeline: self.timeline.clone(),
        })
    }
}

/// `CLOCK_REALTIME` now, in nanoseconds.
fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
}

/// Sends `signal` to one child by its id, and reaps it (SIGKILL after 5 s).
fn stop(mut child: Child, signal: &str) -> Result<(), LabError> {
    let pid = child.id().to_string();
    let _ = run(&["kill", &format!("-{signal}"), &pid]);
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return Ok(()),
            Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(());
            }
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in [&mut self.daemons.a, &mut self.daemons.b, &mut self.capture] {
            if let Some(c) = c.take() {
                let _ = stop(c, "TERM");
            }
        }
    }
}
