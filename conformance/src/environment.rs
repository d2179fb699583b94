//! What the running kernel is and can do, and which `Semantics` of the
//! reference model applies to it: decided from its behaviour on probe
//! segments, cross-checked against its version.

use std::sync::OnceLock;

use serde::Serialize;
use tcpmd5::layouts::layout;
use tcpmd5::{Family, Key, Semantics, Verdict, packet_verdict};

use crate::error::Error;
use crate::exchange::{Barrier, exchange};
use crate::harness::privilege::{self, Privilege};
use crate::harness::{Lab, sockopt, system};
use crate::judge::{Observed, observe};
use crate::listener::Listener;
use crate::segment::{SegmentSpec, Signing};

/// The probed facts about this machine's kernel.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    /// `uname -r`.
    pub kernel_release: String,
    /// (major, minor) parsed from the release.
    pub kernel_version: Option<(u32, u32)>,
    /// How the suite gets its namespaces (`root` or `rootless`).
    pub privilege: String,
    /// Whether the kernel has IPv6.
    pub ipv6: bool,
    /// Whether the kernel was built with `CONFIG_TCP_AO` (TCP_AO_ADD_KEY exists).
    pub tcp_ao: bool,
    /// Whether VRF devices can exist (`CONFIG_NET_VRF`), as far as known.
    pub vrf: Option<bool>,
    /// `None` when the tcp:tcp_hash_* tracepoints can be read; else why not.
    pub tracing_unavailable: Option<String>,
    /// The semantics the kernel's behaviour matches.
    #[serde(serialize_with = "semantics_id")]
    pub semantics: Semantics,
    /// The semantics its version implies.
    #[serde(serialize_with = "semantics_id")]
    pub semantics_by_version: Semantics,
    /// How the semantics was decided.
    pub semantics_evidence: Vec<String>,
}

fn semantics_id<S: serde::Serializer>(s: &Semantics, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.id())
}

/// Why no case can run here (every case is then skipped with this reason).
#[derive(Debug, Clone)]
pub struct Unavailable(pub String);

impl From<Error> for Unavailable {
    fn from(e: Error) -> Unavailable {
        Unavailable(e.chain())
    }
}

static ENVIRONMENT: OnceLock<Result<Environment, Unavailable>> = OnceLock::new();

/// The environment, probed once per process on the calling thread.
/// `privilege::init` must have run first, while the process was single-threaded.
pub fn get() -> &'static Result<Environment, Unavailable> {
    ENVIRONMENT.get_or_init(probe)
}

fn parse_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// TCP_AO_ADD_KEY: ENOPROTOOPT without CONFIG_TCP_AO, some other error (the
/// empty request is invalid) with it.
fn probe_tcp_ao() -> bool {
    const TCP_AO_ADD_KEY: libc::c_int = 38;
    let Ok(sock) = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None) else {
        return false;
    };
    use std::os::fd::AsFd;
    match sockopt::setsockopt_tcp(sock.as_fd(), TCP_AO_ADD_KEY, &[0u8; 8]) {
        Err(e) => e.0 != libc::ENOPROTOOPT,
        Ok(()) => true,
    }
}

fn probe_vrf() -> Option<bool> {
    if std::path::Path::new("/sys/module/vrf").exists() {
        return Some(true);
    }
    let config = std::fs::read("/proc/config.gz").ok()?;
    let text = gunzip_text(&config)?;
    Some(
        text.lines()
            .any(|l| l == "CONFIG_NET_VRF=y" || l == "CONFIG_NET_VRF=m"),
    )
}

/// The text of a gzip stream (/proc/config.gz).
fn gunzip_text(bytes: &[u8]) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// The probe segments: layouts on which the semantics disagree, sent signed
/// to a listener that holds the key.
const PROBE_LAYOUTS: [&str; 3] = [
    "len0_before_md5",
    "md5_tail_garbage_ao_window",
    "md5_len17_leading_nops",
];

fn probe() -> Result<Environment, Unavailable> {
    let privilege = match privilege::current() {
        Some(Privilege::Root) => "root",
        Some(Privilege::Rootless) => "rootless",
        None => {
            return Err(Unavailable(match privilege::init() {
                Ok(_) => "privilege::init ran late".to_owned(),
                Err(e) => e.to_string(),
            }));
        }
    };
    let kernel_release = system::kernel_release();
    let kernel_version = parse_version(&kernel_release);
    match sockopt::md5_supported() {
        Ok(true) => {}
        Ok(false) => {
            return Err(Unavailable(
                "the kernel lacks CONFIG_TCP_MD5SIG (TCP_MD5SIG: ENOPROTOOPT)".to_owned(),
            ));
        }
        Err(e) => return Err(Unavailable(format!("TCP_MD5SIG probe failed: {e}"))),
    }
    let tcp_ao = probe_tcp_ao();
    let semantics_by_version = match kernel_version {
        Some((major, minor)) => Semantics::for_linux_version(major, minor, tcp_ao),
        None => Semantics::Linux { tcp_ao },
    };
    let ipv6 = std::path::Path::new("/proc/sys/net/ipv6").exists();
    let mut lab =
        Lab::new().map_err(|e| Unavailable(format!("cannot build a lab namespace: {e}")))?;
    let tracing_unavailable = lab.trace_unavailable_reason().map(str::to_owned);
    let mut barrier =
        Barrier::open(&lab).map_err(|e| Unavailable(format!("barrier listener: {e}")))?;
    let mut listener = Listener::open(&lab, Family::V4, 179, false).map_err(Unavailable::from)?;
    let key = Key::from_array(b"tcpmd5-probe");
    let peer = lab.peer_addr(Family::V4);
    listener.add_key(peer, &key).map_err(Unavailable::from)?;

    // Which semantics predict every probe's observed verdict?
    let mut candidates: Vec<Semantics> = Semantics::ALL.to_vec();
    let mut evidence = Vec::new();
    for (i, name) in PROBE_LAYOUTS.iter().enumerate() {
        let l = layout(name).ok_or_else(|| Unavailable(format!("no layout {name}")))?;
        let mut spec = SegmentSpec::syn(
            peer,
            lab.kernel_addr(Family::V4),
            40100 + i as u16,
            179,
            0x1000_0000 * (i as u32 + 1),
        );
        spec.tcp.options = l.area.clone();
        spec.signing = Signing::Key(key.clone());
        let obs = exchange(&mut lab, &mut barrier, &spec).map_err(Unavailable::from)?;
        if !obs.barrier_seen {
            return Err(Unavailable(
                "probe barrier lost: cannot observe the kernel".to_owned(),
            ));
        }
        let observed = observe(&obs, spec.tcp.seq.wrapping_add(1));
        let packet = spec.packet();
        candidates.retain(|s| {
            let predicted = packet_verdict(&packet, &listener.model, 0, *s);
            matches!(
                (predicted, &observed),
                (Ok(Verdict::Accept(_)), Observed::Accepted)
            ) || matches!((predicted, &observed), (Ok(Verdict::Drop(r)), Observed::Dropped(o)) if r == *o)
        });
        evidence.push(format!(
            "signed SYN with layout {name}: kernel {}",
            match observed {
                Observed::Accepted => "accepted it".to_owned(),
                Observed::Dropped(r) => format!("dropped it ({r})"),
                Observed::Other(s) => s,
            }
        ));
    }
    let semantics = match candidates.as_slice() {
        [one] => {
            evidence.push(format!(
                "only {} predicts all {} probes",
                one.id(),
                PROBE_LAYOUTS.len()
            ));
            *one
        }
        [] => {
            evidence.push(format!(
                "no semantics predicts every probe: using {} from the version",
                semantics_by_version.id()
            ));
            semantics_by_version
        }
        many => {
            let pick = if many.contains(&semantics_by_version) {
                semantics_by_version
            } else {
                many.first().copied().unwrap_or(semantics_by_version)
            };
            evidence.push(format!(
                "probes fit {:?}; the version picks {}",
                many.iter().map(|s| s.id()).collect::<Vec<_>>(),
                pick.id()
            ));
            pick
        }
    };
    evidence.push(if semantics == semantics_by_version {
        format!(
            "agrees with kernel {kernel_release} (CONFIG_TCP_AO {})",
            if tcp_ao { "y" } else { "n" }
        )
    } else {
        format!(
            "DISAGREES with kernel {kernel_release}, which by version would be {}",
            semantics_by_version.id()
        )
    });
    drop(listener);
    drop(barrier);
    drop(lab);
    Ok(Environment {
        kernel_release,
        kernel_version,
        privilege: privilege.to_owned(),
        ipv6,
        tcp_ao,
        vrf: probe_vrf(),
        tracing_unavailable,
        semantics,
        semantics_by_version,
        semantics_evidence: evidence,
    })
}
