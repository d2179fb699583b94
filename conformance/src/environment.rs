//! What the running kernel is and can do, and which `Semantics` of the
//! reference model it is held to: the one its version and `CONFIG_TCP_AO`
//! imply (or `--semantics`). The semantics its behaviour on probe segments
//! fits is recorded as evidence, and the `semantics/probes` case fails when
//! the two disagree: a kernel that regressed to another parser never passes
//! by being judged against its own behaviour.

use std::sync::OnceLock;

use tcpmd5::{Family, Key, Semantics, Verdict, packet_verdict};
use tcpmd5_testkit::layouts::layout;

use crate::error::Error;
use crate::exchange::{Barrier, exchange};
use crate::harness::privilege::{self, Privilege, UnsupportedKind};
use crate::harness::{Lab, sockopt, system};
use crate::judge::{Observed, observe};
use crate::listener::Listener;
use crate::segment::{SegmentSpec, Signing};

pub use tcpmd5_report::{Environment, SemanticsSource, Unavailable};

impl From<Error> for Unavailable {
    fn from(e: Error) -> Unavailable {
        Unavailable::ProbeFailed(e.chain())
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

/// SHA-256 (hex) of the running kernel's configuration, uncompressed
/// (`/proc/config.gz`, `CONFIG_IKCONFIG_PROC`): names the build that signed
/// captured vectors. `None` where the kernel does not expose it.
pub(crate) fn config_sha256() -> Option<String> {
    use sha2::Digest as _;
    let text = gunzip_text(&std::fs::read("/proc/config.gz").ok()?)?;
    Some(tcpmd5_testkit::record::hex(&sha2::Sha256::digest(
        text.as_bytes(),
    )))
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

fn failed(why: impl std::fmt::Display) -> Unavailable {
    Unavailable::ProbeFailed(why.to_string())
}

/// The semantics the kernel's version and configuration imply, and why.
fn implied(
    release: &str,
    version: Option<(u32, u32)>,
    tcp_ao: bool,
) -> (Semantics, SemanticsSource, String) {
    let ao = if tcp_ao {
        "CONFIG_TCP_AO=y (TCP_AO_ADD_KEY exists)"
    } else {
        "CONFIG_TCP_AO not set (TCP_AO_ADD_KEY: ENOPROTOOPT)"
    };
    match version {
        Some((major, minor)) => {
            let s = Semantics::for_linux_version(major, minor, tcp_ao);
            let parser = if (major, minor) >= (6, 7) {
                "6.7 and later parse with tcp_do_parse_auth_options"
            } else {
                "before 6.7 the kernel parses with tcp_parse_md5sig_option"
            };
            (
                s,
                SemanticsSource::KernelVersion,
                format!("kernel {major}.{minor}: {parser}; {ao}"),
            )
        }
        None => (
            Semantics::Linux { tcp_ao },
            SemanticsSource::AssumedCurrent,
            format!("release {release:?} has no major.minor: the current parser is assumed; {ao}"),
        ),
    }
}

fn probe() -> Result<Environment, Unavailable> {
    let privilege = match privilege::current() {
        Some(Privilege::Root) => "root",
        Some(Privilege::Rootless) => "rootless",
        None => {
            return Err(match privilege::init() {
                Ok(_) => failed("privilege::init ran after threads were started"),
                Err(e) if e.kind == UnsupportedKind::Refused => {
                    Unavailable::Unsupported(e.to_string())
                }
                Err(e) => failed(e),
            });
        }
    };
    let kernel_release = system::kernel_release();
    let kernel_version = parse_version(&kernel_release);
    match sockopt::md5_supported() {
        Ok(true) => {}
        Ok(false) => {
            return Err(Unavailable::Unsupported(
                "the kernel lacks CONFIG_TCP_MD5SIG (TCP_MD5SIG: ENOPROTOOPT)".to_owned(),
            ));
        }
        Err(e) => return Err(failed(format!("TCP_MD5SIG probe: {e}"))),
    }
    let tcp_ao = probe_tcp_ao();
    let (implied_semantics, semantics_source, semantics_reason) =
        implied(&kernel_release, kernel_version, tcp_ao);
    let ipv6 = std::path::Path::new("/proc/sys/net/ipv6").exists();
    let mut lab = Lab::new().map_err(|e| failed(format!("cannot build a lab namespace: {e}")))?;
    let tracing_unavailable = lab.trace_unavailable_reason().map(str::to_owned);
    let mut barrier = Barrier::open(&lab).map_err(|e| failed(format!("barrier listener: {e}")))?;
    let mut listener = Listener::open(&lab, Family::V4, 179, false)
        .map_err(|e| failed(format!("probe listener: {e}")))?;
    let key = Key::from_array(b"tcpmd5-probe");
    let peer = lab.peer_addr(Family::V4);
    listener
        .add_key(peer, &key)
        .map_err(|e| failed(format!("probe listener key: {e}")))?;

    // Which semantics predict every probe's observed verdict?
    let mut observed_semantics: Vec<Semantics> = Semantics::ALL.to_vec();
    let mut semantics_probes = Vec::new();
    for (i, name) in PROBE_LAYOUTS.iter().enumerate() {
        let l = layout(name).ok_or_else(|| failed(format!("no layout {name}")))?;
        let mut spec = SegmentSpec::syn(
            peer,
            lab.kernel_addr(Family::V4),
            40100 + i as u16,
            179,
            0x1000_0000 * (i as u32 + 1),
        );
        spec.tcp.options = l.area.clone();
        spec.signing = Signing::Key(key.clone());
        let obs = exchange(&mut lab, &mut barrier, &spec)
            .map_err(|e| failed(format!("probe {name}: {e}")))?;
        if !obs.barrier_seen {
            return Err(failed(format!(
                "probe {name}: barrier lost, the kernel's verdict cannot be observed"
            )));
        }
        let observed = observe(&obs, spec.tcp.seq.wrapping_add(1));
        let packet = spec.packet();
        observed_semantics.retain(|s| {
            let predicted = packet_verdict(&packet, &listener.model, 0, *s);
            matches!(
                (predicted, &observed),
                (Ok(Verdict::Accept(_)), Observed::Accepted)
            ) || matches!((predicted, &observed), (Ok(Verdict::Drop(r)), Observed::Dropped(o)) if r == *o)
        });
        semantics_probes.push(format!(
            "signed SYN with layout {name}: the kernel {}",
            match observed {
                Observed::Accepted => "accepted it".to_owned(),
                Observed::Dropped(r) => format!("dropped it ({r})"),
                Observed::Other(s) => s,
            }
        ));
    }
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
        semantics: implied_semantics,
        semantics_source,
        semantics_reason,
        implied_semantics,
        observed_semantics,
        semantics_probes,
    })
}

/// A 6.18 host as root with IPv6 and no TCP-AO, held to `implied` by its
/// version, whose probes fit `observed`: the environment of the tests
/// that judge a run.
#[cfg(test)]
pub(crate) fn test_environment(implied: Semantics, observed: Vec<Semantics>) -> Environment {
    Environment {
        kernel_release: "6.18.0".to_owned(),
        kernel_version: Some((6, 18)),
        privilege: "root".to_owned(),
        ipv6: true,
        tcp_ao: false,
        vrf: None,
        tracing_unavailable: None,
        semantics: implied,
        semantics_source: SemanticsSource::KernelVersion,
        semantics_reason: "by version".to_owned(),
        implied_semantics: implied,
        observed_semantics: observed,
        semantics_probes: vec!["probe: dropped".to_owned()],
    }
}
