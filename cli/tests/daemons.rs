//! Real BGP daemons (the bgplab crate): BIRD 2 and FRR, each router in its
//! own network namespace, seven sessions over IPv4 and IPv6 — the same
//! password, passwords one character apart, a password on one router only
//! (either way), an 80-byte non-ASCII password, none — and a restart, so
//! SYNs, UPDATEs, NOTIFICATIONs, FINs and RSTs are captured. The truth is
//! each receiving kernel's own `tcp:tcp_hash_*` events (which must equal
//! its `TcpExt` counters). With the two routers' configurations
//! (`--router`), `tcpmd5 verify` must give the receiving kernel's verdict
//! on every frame the capture decides (frames reaching a router whose
//! daemon was down depend on socket state the capture cannot show: named
//! and counted, not compared); `explain` must decide every frame as
//! `verify` does; and each session's diagnosis must name its cause.
//!
//! Needs root, tcpdump, BIRD 2 and FRR (`ci/install-deps.sh`): otherwise
//! ignored with the reason, and failed under `CI=true`.

#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use tcpmd5_bgplab::spec::Expected;
use tcpmd5_bgplab::truth::HashFlags;
use tcpmd5_bgplab::{Daemon, Lab, LabRun, LabSpec, Side};
use tcpmd5_cli::args::{KeyArgs, ReceiverState};
use tcpmd5_cli::assess::ChecksumMode;
use tcpmd5_cli::capture::{Next, read_frames};
use tcpmd5_cli::explain::{Request, explain};
use tcpmd5_cli::segment::{Located, locate};

const BIN: &str = env!("CARGO_BIN_EXE_tcpmd5");

/// A daemon's sockets open within this long of its start.
const START_GRACE_NS: i128 = 500_000_000;

/// What the test reads of each TCP frame of the capture.
struct FrameInfo {
    src: SocketAddr,
    dst: SocketAddr,
    flags: HashFlags,
    time_ns: i128,
}

fn frames(pcap: &Path) -> Result<BTreeMap<u64, FrameInfo>, Failed> {
    let mut out = BTreeMap::new();
    read_frames(File::open(pcap)?, |f| {
        if let Located::Tcp(seg) = locate(f.link, f.data, f.orig_len) {
            let tcp = seg.tcp();
            let a = seg.addrs();
            out.insert(
                f.number,
                FrameInfo {
                    src: SocketAddr::new(a.src(), tcp.src_port()),
                    dst: SocketAddr::new(a.dst(), tcp.dst_port()),
                    flags: HashFlags::from_bits(tcp.flags().0 as u8),
                    time_ns: i128::from(f.time.0) * 1_000_000_000 + i128::from(f.time.1),
                },
            );
        }
        Next::Continue
    })
    .map_err(|e| format!("{}: {e:?}", pcap.display()))?;
    Ok(out)
}

/// The router with `addr`.
fn router_of(spec: &LabSpec, addr: IpAddr) -> Option<Side> {
    spec.sessions.iter().find_map(|s| {
        if s.a_addr == addr {
            Some(Side::A)
        } else if s.b_addr == addr {
            Some(Side::B)
        } else {
            None
        }
    })
}

fn run_lab(spec: LabSpec, dir: &Path) -> Result<LabRun, Failed> {
    let mut lab = Lab::start(spec, dir)?;
    std::thread::sleep(Duration::from_secs(6));
    // B restarts: NOTIFICATIONs, FINs, RSTs, then new sessions.
    lab.stop_daemon(Side::B)?;
    std::thread::sleep(Duration::from_secs(1));
    lab.start_daemon(Side::B)?;
    std::thread::sleep(Duration::from_secs(5));
    Ok(lab.finish()?)
}

/// The same tables as a key file with host sections: each router's own
/// addresses, then a line per peer (`SCOPE=` for no password).
fn host_key_file(spec: &LabSpec, path: &Path) -> Result<(), Failed> {
    let mut text = Vec::new();
    for side in [Side::A, Side::B] {
        text.extend_from_slice(format!("host {}", side.letter()).as_bytes());
        for s in &spec.sessions {
            text.extend_from_slice(format!(" {}", s.addr(side)).as_bytes());
        }
        text.push(b'\n');
        for s in &spec.sessions {
            text.extend_from_slice(format!("{}=", s.addr(side.peer())).as_bytes());
            text.extend_from_slice(s.password(side).unwrap_or_default());
            text.push(b'\n');
        }
    }
    std::fs::write(path, text)?;
    Ok(())
}

fn verify_json(run: &LabRun, keys: &[&std::ffi::OsStr]) -> Result<Vec<Value>, Failed> {
    let out = Command::new(BIN)
        .arg("verify")
        .arg(&run.pcap)
        .args(["--format", "json", "--jobs", "2"])
        .args(keys)
        .output()?;
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "verify exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?)
}

/// Per frame: the tool's verdict against the kernel's.
fn compare_frames(
    run: &LabRun,
    records: &[Value],
    frames: &BTreeMap<u64, FrameInfo>,
) -> Result<String, Failed> {
    let mut used = vec![false; run.truth.drops.len()];
    let (mut agreed, mut down, mut down_agreed, mut tool_drops) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for r in records.iter().filter(|r| r.get("frame").is_some()) {
        let n = r["frame"].as_u64().ok_or("frame number")?;
        let f = frames
            .get(&n)
            .ok_or(format!("frame {n} not in the capture"))?;
        let side = router_of(&run.spec, f.dst.ip()).ok_or(format!("frame {n}: to whom?"))?;
        let kernel = run
            .truth
            .drop_of(&mut used, side, f.src, f.dst, f.flags, f.time_ns)
            .map(|d| d.verdict);
        let tool = r["verdict"].as_str().filter(|v| v.starts_with("drop:"));
        tool_drops += usize::from(tool.is_some());
        if run.daemon_down(side, f.time_ns, START_GRACE_NS) {
            // No listener: the capture cannot show which socket decided.
            down += 1;
            down_agreed += usize::from(tool == kernel);
            if std::env::var_os("TCPMD5_DAEMONS_VERBOSE").is_some() {
                println!(
                    "down: frame {n} to {}: tool {tool:?}, kernel {kernel:?}: {} {}",
                    side.letter(),
                    r["flags"],
                    r["reason"]
                );
            }
            continue;
        }
        if r["status"] == "unchecked" {
            wrong.push(format!("frame {n}: unchecked: {r}"));
        } else if tool == kernel {
            agreed += 1;
        } else {
            wrong.push(format!(
                "frame {n} to {}: tool {tool:?}, kernel {kernel:?}: {r}",
                side.letter()
            ));
        }
    }
    let unmatched: Vec<_> = run
        .truth
        .drops
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(d, _)| {
            // The nearest frame of that segment, for the report.
            let near = frames
                .iter()
                .filter(|(_, f)| f.src == d.src && f.dst == d.dst && f.flags == d.flags)
                .min_by_key(|(_, f)| (f.time_ns - d.realtime_ns).abs())
                .map(|(n, f)| {
                    format!(
                        "frame {n} at {} ms",
                        (f.time_ns - d.realtime_ns) / 1_000_000
                    )
                });
            let last = frames.values().map(|f| f.time_ns).max().unwrap_or(0);
            format!(
                "{d:?}; nearest {near:?}; {} ms before the capture's last frame; daemons {:?}",
                (last - d.realtime_ns) / 1_000_000,
                run.timeline
                    .iter()
                    .map(|e| (
                        e.router,
                        e.started,
                        (e.realtime_ns - d.realtime_ns) / 1_000_000
                    ))
                    .collect::<Vec<_>>()
            )
        })
        .collect();
    if !wrong.is_empty() || !unmatched.is_empty() {
        return Err(format!(
            "{} frames disagree with the kernel:\n{}\n{} kernel drops match no frame:\n{}",
            wrong.len(),
            wrong.join("\n"),
            unmatched.len(),
            unmatched.join("\n")
        )
        .into());
    }
    Ok(format!(
        "{} frames: {agreed} agree with the receiving kernel ({} kernel drops, {tool_drops} tool drops), {down} reached a router whose daemon was down (not compared; {down_agreed} of them happen to agree), 0 disagree",
        records.iter().filter(|r| r.get("frame").is_some()).count(),
        run.truth.drops.len()
    ))
}

/// `explain` (the library behind it) on every frame decides as `verify`.
fn compare_explain(run: &LabRun, records: &[Value]) -> Result<usize, Failed> {
    let args = KeyArgs {
        keys: Vec::new(),
        key_files: Vec::new(),
        routers: vec![
            run.config(Side::A).to_path_buf(),
            run.config(Side::B).to_path_buf(),
        ],
        ao_keys: Vec::new(),
    };
    let mut keys = tcpmd5_cli::key_sources::load(&args)?;
    let by_frame: BTreeMap<u64, &Value> = records
        .iter()
        .filter_map(|r| Some((r.get("frame")?.as_u64()?, r)))
        .collect();
    let mut compared = 0;
    let mut wrong = Vec::new();
    read_frames(File::open(&run.pcap)?, |f| {
        if let Located::Tcp(segment) = locate(f.link, f.data, f.orig_len)
            && let Some(r) = by_frame.get(&f.number)
        {
            let e = explain(
                &Request {
                    segment,
                    state: ReceiverState::Listener,
                    checksum: ChecksumMode::Offload,
                    semantics: tcpmd5::Semantics::Linux { tcp_ao: false },
                },
                &mut keys,
            );
            let d = serde_json::to_value(&e.decision).unwrap_or_default();
            let chain = &e.verdicts["linux"].verdict;
            let same = d["status"] == r["status"]
                && d["verdict"] == r["verdict"]
                && (r["status"] == "unchecked" || r["verdict"] == chain.as_str());
            if same {
                compared += 1;
            } else {
                wrong.push(format!(
                    "frame {}: verify {r}, explain {d} (chain {chain})",
                    f.number
                ));
            }
        }
        Next::Continue
    })
    .map_err(|e| format!("{e:?}"))?;
    if wrong.is_empty() {
        Ok(compared)
    } else {
        Err(format!("explain and verify disagree:\n{}", wrong.join("\n")).into())
    }
}

/// Each session's diagnosis names its cause.
fn check_sessions(run: &LabRun, records: &[Value]) -> Result<Vec<String>, Failed> {
    let mut lines = Vec::new();
    for s in &run.spec.sessions {
        let (lo, hi) = if s.a_addr <= s.b_addr {
            (s.a_addr, s.b_addr)
        } else {
            (s.b_addr, s.a_addr)
        };
        let id = format!("{lo} <> {hi}");
        let d = &records
            .iter()
            .find(|r| r["session"] == id.as_str())
            .ok_or(format!("no diagnosis for {id}"))?["diagnosis"];
        let has = |cause: &str| {
            d["causes"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["cause"] == cause))
        };
        let end = |side: Side| if s.addr(side) == lo { "A" } else { "B" };
        let ok = match s.expected() {
            Expected::Established => d["established"] == true && has("working"),
            Expected::Unsigned => d["established"] == true && has("working-unsigned"),
            Expected::PasswordsDiffer => d["established"] == false && has("passwords-differ"),
            Expected::OnlyOneSide(holder) => {
                d["established"] == false
                    && d["causes"].as_array().is_some_and(|c| {
                        c.iter().any(|c| {
                            c["cause"] == "no-password"
                                && c["holder"] == end(holder)
                                && c["lacking"] == end(holder.peer())
                        })
                    })
            }
        };
        if !ok {
            return Err(
                format!("session {} ({:?}): {}", s.name, s.expected(), d["summary"]).into(),
            );
        }
        lines.push(format!(
            "{}: {}",
            s.name,
            d["summary"].as_str().unwrap_or("")
        ));
    }
    Ok(lines)
}

fn lab_test(spec: LabSpec, name: &str) -> Result<(), Failed> {
    let dir = std::env::temp_dir().join(format!("tcpmd5-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let run = run_lab(spec, &dir)?;
    for side in [Side::A, Side::B] {
        let (traced, counted) = (run.truth.traced(side), run.truth.counted(side));
        if traced != counted {
            return Err(format!(
                "{}: tracepoints {traced:?}, counters {counted:?}",
                side.letter()
            )
            .into());
        }
    }
    if !run.truth.unparsed.is_empty() {
        return Err(format!("unparsed events: {:?}", run.truth.unparsed).into());
    }
    let records = verify_json(
        &run,
        &[
            "--router".as_ref(),
            run.config(Side::A).as_os_str(),
            "--router".as_ref(),
            run.config(Side::B).as_os_str(),
        ],
    )?;
    // The per-host key file form decides every frame alike.
    let hosts = dir.join("hosts.txt");
    host_key_file(&run.spec, &hosts)?;
    let by_hosts = verify_json(&run, &["--keys".as_ref(), hosts.as_os_str()])?;
    let verdicts = |rs: &[Value]| -> Vec<(Value, Value)> {
        rs.iter()
            .filter(|r| r.get("frame").is_some())
            .map(|r| (r["frame"].clone(), r["verdict"].clone()))
            .collect()
    };
    if verdicts(&records) != verdicts(&by_hosts) {
        return Err("--keys with host sections and --router disagree".into());
    }
    let frames = frames(&run.pcap)?;
    let agreement = compare_frames(&run, &records, &frames)?;
    let explained = compare_explain(&run, &records)?;
    let sessions = check_sessions(&run, &records)?;
    println!("{name}: {}", run.versions.join(", "));
    println!("{name}: {agreement}; explain decides all {explained} as verify does");
    for l in sessions {
        println!("{name}: {l}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let labs = [
        ("bird_frr", Daemon::Bird, Daemon::Frr),
        ("bird_bird", Daemon::Bird, Daemon::Bird),
    ];
    let trials = labs
        .into_iter()
        .map(|(name, a, b)| {
            let spec = LabSpec::operator_mix().with_daemons(a, b);
            let test = format!("daemons_{name}_agree_with_the_kernel");
            match tcpmd5_bgplab::require::unmet(&spec.daemons()) {
                None => Trial::test(test, move || lab_test(spec, name)),
                Some(why) if ci => {
                    Trial::test(test, move || Err(format!("CI=true, and {why}").into()))
                }
                Some(why) => {
                    eprintln!("SKIP {test}: {why}");
                    Trial::test(test, || Ok(())).with_ignored_flag(true)
                }
            }
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
