//! `tcpmd5 explain`: the receiver's decision on one segment, step by step,
//! under every semantics the model knows.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Write};

use serde::Serialize;
use tcpmd5::digest::segment_digest;
use tcpmd5::scan::AuthScan;
use tcpmd5::verdict::{Acceptance, Receiver, ReceiverVerdict, Verdict, receiver_verdict};
use tcpmd5::{AddrPair, DropReason, Semantics};

use tcpmd5::ao::FlowIsns;

use crate::ao_check::{self, AoCheck, IsnSource, Sne};
use crate::args::{ExplainArgs, Format, ReceiverState};
use crate::assess::{ChecksumMode, drop_sentence, judged_strictly, prepare};
use crate::capture::{Next, read_frames};
use crate::error::{CliError, Status};
use crate::hex;
use crate::keys::KeyRing;
use crate::link::LinkType;
use crate::segment::{Located, Segment, locate};

mod decision;
mod flow_before;
mod options;
mod render;
pub use decision::Decision;
use decision::{decide, key_info};
use flow_before::flow_before;
use options::scan_detail;
pub use options::walk_options;
pub use render::render_human;

/// Everything `explain` says, as printed with `--format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The segment's headers.
    pub packet: PacketInfo,
    /// The checksum stage.
    pub checksums: ChecksumInfo,
    /// Every option, walked with RFC 9293 syntax.
    pub options: Vec<OptionInfo>,
    /// The receiver's key for the segment.
    pub key: KeyInfo,
    /// The receiving socket's state.
    pub receiver: &'static str,
    /// By semantics id.
    pub verdicts: BTreeMap<&'static str, SemanticsVerdict>,
    /// Where the semantics disagree, in one line.
    pub agreement: String,
    /// What `verify` decides on this segment (the same code).
    pub decision: Decision,
    /// The TCP-AO check, when AO keys were given (`--ao-key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ao: Option<AoCheck>,
}

/// The headers.
#[derive(Debug, Clone, Serialize)]
pub struct PacketInfo {
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// Source address and port.
    pub src: String,
    /// Destination address and port.
    pub dst: String,
    /// TCP flags.
    pub flags: String,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// TCP header length (`doff*4`).
    pub tcp_header_len: usize,
    /// Payload bytes.
    pub payload_len: usize,
}

/// The checksum stage.
#[derive(Debug, Clone, Serialize)]
pub struct ChecksumInfo {
    /// `strict` or `note`.
    pub mode: ChecksumMode,
    /// The IPv4 header checksum verifies (`null` for IPv6).
    pub ip_ok: Option<bool>,
    /// The TCP checksum verifies.
    pub tcp_ok: bool,
    /// Carried TCP checksum.
    pub tcp_carried: String,
    /// The TCP checksum it should be.
    pub tcp_computed: String,
    /// A partial checksum left by TX offload.
    pub partial: bool,
}

/// One option of the walk.
#[derive(Debug, Clone, Serialize)]
pub struct OptionInfo {
    /// Offset in the option area.
    pub offset: usize,
    /// Kind byte.
    pub kind: u8,
    /// Its name.
    pub name: &'static str,
    /// Length byte (`null` for EOL/NOP or when missing).
    pub len: Option<u8>,
    /// Remark (bad length, bytes after EOL).
    pub note: Option<String>,
}

/// The key step.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// The key's label (scope and where given), never its bytes.
    pub chosen: Option<String>,
    /// Why it, in a sentence.
    pub why: String,
    /// Every key covering the peer, in the order given.
    pub candidates: Vec<String>,
    /// The L3 domain (VRF) of the receiving interface: always 0 here.
    pub l3index: i32,
}

/// The decision under one semantics.
#[derive(Debug, Clone, Serialize)]
pub struct SemanticsVerdict {
    /// The stable verdict id (`accept`, `drop:TCP_MD5FAILURE`, …).
    pub verdict: String,
    /// For an accept: `signed`, `unsigned`, `ao-not-checked`, `not-checked`.
    pub acceptance: Option<&'static str>,
    /// The kernels it stands for.
    pub kernels: &'static str,
    /// The scan: `md5`, `ao`, `absent`, `malformed`.
    pub scan: &'static str,
    /// Offset of the option found (MD5 or AO) in the option area.
    pub option_offset: Option<usize>,
    /// Where and why the scan stopped.
    pub scan_detail: String,
    /// Expected and carried digests, when there is one to compare.
    pub digest: Option<DigestInfo>,
    /// The kernel's drop reason.
    pub drop_reason: Option<&'static str>,
    /// The counter it moves.
    pub counter: Option<&'static str>,
    /// The tracepoint it fires.
    pub tracepoint: Option<&'static str>,
    /// Why, in a sentence.
    pub reason: String,
    /// Set when a TCP-AO option skips the MD5 check of a keyed receiver.
    pub md5_bypassed: bool,
    /// A proposed kernel fix no released kernel has (`Semantics::PROPOSED`).
    pub proposed: bool,
}

/// The digest step.
#[derive(Debug, Clone, Serialize)]
pub struct DigestInfo {
    /// The digest of the segment under the chosen key.
    pub expected: String,
    /// The digest the option carries.
    pub carried: String,
    /// Whether they are equal.
    pub matches: bool,
}

/// The kernels a semantics stands for.
pub fn kernels(s: Semantics) -> &'static str {
    match s {
        Semantics::Rfc2385 => "no kernel: RFC 2385 read strictly (what other stacks are held to)",
        Semantics::LinuxLegacy => "Linux before 6.7 (e.g. Debian 12's 6.1)",
        Semantics::Linux { tcp_ao: false } => {
            "Linux 6.7 and later built without CONFIG_TCP_AO (e.g. Debian's 6.12)"
        }
        Semantics::Linux { tcp_ao: true } => "Linux 6.7 and later built with CONFIG_TCP_AO=y",
        Semantics::LinuxAoBypassFixed => {
            "Linux 6.7 and later without CONFIG_TCP_AO, with the proposed AO-bypass fix"
        }
    }
}

/// What to explain: the segment and how to judge it.
#[derive(Debug)]
pub struct Request<'a> {
    /// The segment.
    pub segment: Segment<'a>,
    /// The receiver's state.
    pub state: ReceiverState,
    /// Checksum handling.
    pub checksum: ChecksumMode,
    /// The semantics of the decision `verify` would make.
    pub semantics: Semantics,
}

fn receiver_of(state: ReceiverState) -> Receiver {
    match state {
        ReceiverState::Listener | ReceiverState::Established => Receiver::Socket,
        ReceiverState::SynRecv => Receiver::RequestSock,
        ReceiverState::TimeWait => Receiver::TimeWait,
    }
}

/// Explains a segment with `keys`.
pub fn explain(req: &Request<'_>, keys: &mut KeyRing) -> Explanation {
    let seg = &req.segment;
    let tcp = seg.tcp();
    let addrs = seg.addrs();
    let (sport, dport) = (tcp.src_port(), tcp.dst_port());
    let report = seg.checksums();
    let area = tcp.options();

    // The key step: the receiver's lookup, shared with `verify`.
    let prepared = prepare(seg, keys);
    let choice = prepared.choice();
    let key_info = key_info(keys, choice, &addrs, sport, dport);
    let chosen_key = prepared
        .key()
        .and_then(|i| keys.spec(i))
        .and_then(|s| s.key().cloned());

    // The packet judged: the same bytes with right checksums where the
    // mode lets a wrong one pass (note: any; offload: a partial sum).
    let mut fixed;
    let packet: &[u8] = if !report.ok() && !judged_strictly(seg, req.checksum) {
        fixed = seg.packet.to_vec();
        fix_checksums(&mut fixed, seg);
        &fixed
    } else {
        seg.packet
    };
    let table = keys.table_of(prepared.table).clone();
    let decision = decide(seg, keys, req, &prepared);
    let receiver = receiver_of(req.state);

    let mut verdicts = BTreeMap::new();
    for s in Semantics::known() {
        let scan = s.scan(area);
        let (scan_class, option_offset, detail) = scan_detail(s, &scan, area.len());
        let rv = receiver_verdict(packet, &table, 0, s, receiver).unwrap_or(
            ReceiverVerdict::Checked(Verdict::Drop(tcpmd5::DropReason::Md5Failure)),
        );
        let digest = match (&scan, &chosen_key) {
            (AuthScan::Md5 { digest, .. }, Some(key)) => {
                segment_digest(&addrs, seg.ip.segment, key)
                    .ok()
                    .map(|d| DigestInfo {
                        expected: hex::encode(&d),
                        carried: hex::encode(&digest[..]),
                        matches: d == **digest,
                    })
            }
            _ => None,
        };
        let md5_bypassed = matches!(
            rv,
            ReceiverVerdict::Checked(Verdict::Accept(Acceptance::AoNotChecked))
        ) && chosen_key.is_some();
        let (acceptance, drop, reason) = match rv {
            ReceiverVerdict::Checked(Verdict::Accept(a)) => {
                let reason = match a {
                    Acceptance::Signed => "the digest verifies".to_owned(),
                    Acceptance::Unsigned => "unsigned, and the receiver has no key for the sender".to_owned(),
                    Acceptance::AoNotChecked if md5_bypassed => format!(
                        "the MD5 check is bypassed: this kernel ({}) recognises the TCP-AO option (kind 29) in tcp_inbound_hash and hands the segment to the AO check, which is compiled out and passes it; the receiver's MD5 key for {} is never consulted. An off-path attacker needs only the addresses, ports and an in-window sequence number (see docs/advisories)",
                        kernels(s),
                        addrs.src()
                    ),
                    Acceptance::AoNotChecked => "a TCP-AO option this kernel does not check, and no MD5 key applies".to_owned(),
                };
                (Some(a.id()), None, reason)
            }
            ReceiverVerdict::Checked(Verdict::Drop(r))
                if s == Semantics::LinuxAoBypassFixed && matches!(scan, AuthScan::Ao { .. }) =>
            {
                let why = format!(
                    "with the proposed fix a TCP-AO option on a kernel without CONFIG_TCP_AO counts as no MD5 option, so the MD5 check runs: {}",
                    drop_sentence(r)
                );
                (None, Some(r), why)
            }
            ReceiverVerdict::Checked(Verdict::Drop(r)) => (None, Some(r), drop_sentence(r)),
            ReceiverVerdict::NotChecked => (
                Some("not-checked"),
                None,
                "Linux's TIME-WAIT path checks no signature: the segment goes on to TCP".to_owned(),
            ),
            ReceiverVerdict::AoRequestMismatch => (
                None,
                Some(DropReason::AoFailure),
                "the request socket drops a TCP-AO option it did not negotiate (TCP_AOFAILURE, TCPAOBad, tcp_ao_handshake_failure)".to_owned(),
            ),
        };
        verdicts.insert(
            s.id(),
            SemanticsVerdict {
                verdict: rv.id(),
                acceptance,
                kernels: kernels(s),
                scan: scan_class,
                option_offset,
                scan_detail: detail,
                digest,
                drop_reason: drop.map(|r| r.kernel_name()),
                counter: rv.counter(),
                tracepoint: rv.tracepoint(),
                reason,
                md5_bypassed,
                proposed: Semantics::PROPOSED.contains(&s),
            },
        );
    }
    let agreement = agreement(&verdicts);
    Explanation {
        packet: PacketInfo {
            family: match addrs {
                AddrPair::V4 { .. } => "ipv4",
                AddrPair::V6 { .. } => "ipv6",
            },
            src: std::net::SocketAddr::new(addrs.src(), sport).to_string(),
            dst: std::net::SocketAddr::new(addrs.dst(), dport).to_string(),
            flags: tcp.flags().to_string(),
            seq: tcp.seq_number(),
            ack: tcp.ack_number(),
            tcp_header_len: tcp.header_len(),
            payload_len: tcp.payload().len(),
        },
        checksums: ChecksumInfo {
            mode: req.checksum,
            ip_ok: report.ip_ok,
            tcp_ok: report.tcp_ok,
            tcp_carried: format!("{:#06x}", report.tcp_carried),
            tcp_computed: format!("{:#06x}", report.tcp_computed),
            partial: report.partial,
        },
        options: walk_options(area),
        key: key_info,
        receiver: match req.state {
            ReceiverState::Listener => "listener",
            ReceiverState::Established => "established",
            ReceiverState::SynRecv => "syn-recv",
            ReceiverState::TimeWait => "time-wait",
        },
        verdicts,
        agreement,
        decision,
        ao: None,
    }
}

/// Recomputes the IPv4 header and TCP checksums of a copy of `seg.packet`.
fn fix_checksums(packet: &mut [u8], seg: &Segment<'_>) {
    if let Ok(mut ip) = tcpmd5::wire::Ipv4Packet::new_checked(&mut *packet) {
        ip.fill_checksum();
    }
    let (start, len) = (seg.ip.tcp_offset, seg.ip.segment.len());
    if let Some(tcp) = packet.get_mut(start..start + len) {
        tcpmd5::sign::refresh_checksum(&seg.ip.addrs, tcp);
    }
}

/// The kernels of a semantics, in a few words (for the agreement line).
fn short_kernels(s: Semantics) -> &'static str {
    match s {
        Semantics::Rfc2385 => "the RFC",
        Semantics::LinuxLegacy => "Linux < 6.7",
        Semantics::Linux { tcp_ao: false } => "Linux >= 6.7, TCP_AO=n",
        Semantics::Linux { tcp_ao: true } => "Linux >= 6.7, TCP_AO=y",
        Semantics::LinuxAoBypassFixed => "Linux >= 6.7, TCP_AO=n, AO bypass fixed",
    }
}

/// One verdict as the agreement line names it.
fn verdict_label(v: &SemanticsVerdict) -> String {
    match v.acceptance {
        Some(a) => format!("{} ({a})", v.verdict),
        None => v.verdict.clone(),
    }
}

/// Where the released semantics disagree, then what each proposed fix
/// changes against the released semantics it patches.
fn agreement(verdicts: &BTreeMap<&'static str, SemanticsVerdict>) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for s in Semantics::ALL {
        let Some(v) = verdicts.get(s.id()) else {
            continue;
        };
        let label = verdict_label(v);
        let who = format!("{} ({})", s.id(), short_kernels(s));
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, ids)) => ids.push(who),
            None => groups.push((label, vec![who])),
        }
    }
    let mut line = match groups.as_slice() {
        [(label, _)] => format!("all four released semantics agree: {label}"),
        _ => {
            let parts: Vec<String> = groups
                .iter()
                .map(|(label, ids)| format!("{} -> {label}", ids.join(", ")))
                .collect();
            format!("they disagree: {}", parts.join("; "))
        }
    };
    for s in Semantics::PROPOSED {
        let base = s.released_base();
        let (Some(fixed), Some(released)) = (verdicts.get(s.id()), verdicts.get(base.id())) else {
            continue;
        };
        let (fixed, released) = (verdict_label(fixed), verdict_label(released));
        if fixed != released {
            line.push_str(&format!(
                "; the proposed fix {} ({}) -> {fixed} instead of {released}",
                s.id(),
                short_kernels(s)
            ));
        }
    }
    line
}

/// Runs `explain`.
pub fn run(args: &ExplainArgs, out: &mut dyn Write) -> Result<Status, CliError> {
    let mut keys = crate::key_sources::load(&args.keys)?;
    let ao_keys = crate::key_sources::load_ao(&args.keys)?;
    let (link, bytes, orig_len) = match (&args.hex, &args.capture, args.frame) {
        (Some(text), _, _) => {
            let bytes = hex::decode(text).map_err(|e| CliError::argument("HEX", e.to_string()))?;
            let link = guess_link(&bytes).ok_or_else(|| {
                CliError::argument(
                    "HEX",
                    "neither an IPv4/IPv6 packet nor an Ethernet frame carrying one",
                )
            })?;
            let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
            (link, bytes, len)
        }
        (None, Some(path), Some(n)) => frame_of(path, n)?,
        _ => {
            return Err(CliError::argument(
                "explain",
                "give HEX, or --capture FILE --frame N",
            ));
        }
    };
    let segment = match locate(link, &bytes, orig_len) {
        Located::Tcp(s) => s,
        Located::Unchecked(why) => {
            return Err(CliError::argument(
                "segment",
                format!("cannot be checked: {}", why.reason()),
            ));
        }
        Located::Other => {
            return Err(CliError::argument(
                "segment",
                "not a TCP segment over IPv4 or IPv6",
            ));
        }
    };
    let mut e = explain(
        &Request {
            segment,
            state: args.state,
            checksum: args.checksum,
            semantics: args.semantics,
        },
        &mut keys,
    );
    if !ao_keys.is_empty() {
        let tcp = segment.tcp();
        let addrs = segment.addrs();
        let (sport, dport) = (tcp.src_port(), tcp.dst_port());
        let before = match (&args.capture, args.frame) {
            (Some(path), Some(n)) => Some(flow_before(path, n, &addrs, sport, dport)?),
            _ => None,
        };
        let isns = match (args.isns, &before) {
            (Some((src_isn, dst_isn)), _) => {
                IsnSource::Known(FlowIsns { src_isn, dst_isn }, "given with --isns")
            }
            (None, Some(b)) => match b.isns {
                Some(i) => IsnSource::Known(i, "from the connection's SYN and SYN-ACK"),
                None => IsnSource::Unknown(
                    "the capture does not show (no SYN and SYN-ACK of this connection before the frame)",
                ),
            },
            _ => IsnSource::Unknown("are not given (--isns SRC_ISN:DST_ISN)"),
        };
        let sne = match (args.sne, &before) {
            (Some(n), _) => Sne::Known(n, "given with --sne"),
            (None, Some(b)) => match (isns, b.tracker) {
                // The tracker follows the connection the capture shows only.
                (IsnSource::Known(i, _), Some(t)) if b.isns == Some(i) => {
                    Sne::Known(t.sne_of(tcp.seq_number()), "tracked through the capture")
                }
                _ => Sne::AssumedZero,
            },
            _ => Sne::AssumedZero,
        };
        let report = segment.checksums();
        let ao = if !report.ok() && judged_strictly(&segment, args.checksum) {
            // The checksum is checked before any key is looked at.
            ao_check::preceded_by(if report.ip_ok == Some(false) {
                tcpmd5::DropReason::IpChecksum
            } else {
                tcpmd5::DropReason::TcpChecksum
            })
        } else {
            ao_check::check(
                &ao_keys,
                &addrs,
                segment.ip.segment,
                isns,
                sne,
                e.key.chosen.is_some(),
            )
        };
        // The linux-ao receiver holds the AO keys given: its row, the
        // agreement and (under linux-ao) the decision say what the AO check does.
        if let Some(row) = e.verdicts.get_mut(Semantics::Linux { tcp_ao: true }.id()) {
            decision::take_ao_row(row, &ao);
        }
        e.agreement = agreement(&e.verdicts);
        if args.semantics == (Semantics::Linux { tcp_ao: true }) {
            decision::take_ao(&mut e.decision, &ao);
        }
        e.ao = Some(ao);
    }
    let written = match args.format {
        Format::Json => serde_json::to_writer_pretty(&mut *out, &e)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Human => render_human(&e, out),
    };
    match written {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::File {
            path: "stdout".to_owned(),
            detail: err.to_string(),
        }),
        _ => Ok(Status::Ok),
    }
}

/// Whether hex input is an IP packet or an Ethernet frame.
pub fn guess_link(bytes: &[u8]) -> Option<LinkType> {
    match bytes.first().map(|b| b >> 4) {
        Some(4 | 6) if bytes.len() >= 20 => Some(LinkType::Raw),
        _ => {
            let ethertype = u16::from_be_bytes([*bytes.get(12)?, *bytes.get(13)?]);
            matches!(ethertype, 0x0800 | 0x86dd | 0x8100 | 0x88a8 | 0x9100)
                .then_some(LinkType::Ethernet)
        }
    }
}

/// Frame `n` of a capture: its link type, bytes and length on the wire.
fn frame_of(path: &std::path::Path, n: u64) -> Result<(LinkType, Vec<u8>, u32), CliError> {
    let file = File::open(path).map_err(|e| CliError::file(path, &e))?;
    let mut found = None;
    let mut count = 0;
    read_frames(BufReader::new(file), |f| {
        count = f.number;
        if f.number == n {
            found = Some((f.link, f.data.to_vec(), f.orig_len));
            Next::Stop
        } else {
            Next::Continue
        }
    })
    .map_err(|e| CliError::capture(path, e))?;
    found.ok_or_else(|| {
        CliError::argument(
            format!("--frame {n}"),
            format!("{} has {count} frames (numbered from 1)", path.display()),
        )
    })
}
