//! `kernel_differential`: the model against the live kernel. The input is
//! decoded into one case of the conformance suite's differential
//! ([`tcpmd5_conformance::differential::input::Input`]): a SYN to a
//! listener or a data, ACK, RST or FIN segment on an established
//! connection (at `rcv_nxt`, ahead of it in the window, or outside it),
//! IPv4 or IPv6, an option area (`NOP NOP MD5` first or last around
//! options of any kind and length, or raw bytes), the receiver's key (none,
//! or 1 to 80 bytes for the peer, a prefix or another address), signed with
//! it, another key or not at all, perhaps one flipped bit and a bad TCP
//! checksum (dropped where the model says the kernel drops it: before the
//! MD5 check up to 76 TCP bytes, after it beyond).
//!
//! The case runs in the suite's lab, a network namespace the
//! [`Session`] builds once per process (one per family, rebuilt every few
//! hundred cases as the suite does), and the kernel's verdict, read from the
//! same witnesses (replies, counters, tracepoints, `TCP_INFO`, what the
//! application reads), must equal the model's. A disagreement panics with
//! the segment in hex and both verdicts. libFuzzer's coverage comes from
//! the model's code, so it steers the option walk and the key lookup.
//!
//! On a kernel with `CONFIG_TCP_AO` one input in four (decided by its first
//! byte) is a TCP-AO case instead
//! ([`tcpmd5_conformance::differential::ao::input::AoInput`]): one to three
//! MKTs on the receiving socket (peer, prefix or another address; either
//! algorithm; options covered or excluded; MAC lengths 4 to 16), perhaps
//! `ao_required`, the segment signed by the model with one of them and
//! then corrupted as the input says (MAC bit, segment bit, other secret,
//! other or unknown KeyID, other MAC length, unsigned, AO with MD5, MD5
//! alone, two AO options, too short, overrunning), any RNextKeyID. Where
//! the kernel has no AO (the host this target usually runs on: Linux
//! 6.18 without `CONFIG_TCP_AO`) no input is read as an AO case, and the
//! first byte is not consumed: the MD5 cases decode as before. To fuzz AO,
//! run the target on a kernel built with it (`ci/build-ao-kernel.sh`).
//!
//! Root, or rootless where user namespaces are allowed ([`init`] enters one
//! while the process is still single-threaded). Where neither works the
//! target prints why once and tests nothing. `TCPMD5_DIFF_SEMANTICS` holds
//! the kernel to another semantics than its own (the target must then
//! fail).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};

use arbitrary::{Result, Unstructured};
use tcpmd5::ao::{Algorithm, MasterKey, OptionCoverage};
use tcpmd5::wire::TcpFlags;
use tcpmd5::{AddrPair, Family, Key, Semantics};
use tcpmd5_conformance::differential::ao::input::{AoAuth, AoInput, AoKeySpec, Rnext};
use tcpmd5_conformance::differential::input::{
    BitChoice, Input, KeyScope, MAX_PAYLOAD, Place, SegmentKind, Sign, Target,
};
use tcpmd5_conformance::differential::options::{Layout, MAX_AREA, OptionArea};
use tcpmd5_conformance::differential::{Agreement, Failure, Session};
use tcpmd5_conformance::environment::Unavailable;
use tcpmd5_conformance::harness::lab;
use tcpmd5_conformance::harness::privilege::{self, Privilege, Unsupported};
use tcpmd5_testkit::TcpSegmentSpec;
use tcpmd5_testkit::options;

/// Enters a user namespace if not root. libFuzzer calls it before it
/// starts any thread (`LLVMFuzzerInitialize`), as `unshare(CLONE_NEWUSER)`
/// requires; a failure is reported by the first [`run`].
pub fn init() {
    privilege();
}

/// The outcome of the first `privilege::init` of the process, kept: a
/// second attempt, once libFuzzer's threads run, could only report those.
fn privilege() -> &'static Result<Privilege, Unsupported> {
    static PRIVILEGE: OnceLock<Result<Privilege, Unsupported>> = OnceLock::new();
    PRIVILEGE.get_or_init(privilege::init)
}

/// The entry point.
pub fn run(data: &[u8]) {
    let Some(session) = session() else {
        return;
    };
    let mut u = Unstructured::new(data);
    if session.ao_unavailable().is_none() && u.ratio(1u8, 4u8).unwrap_or(false) {
        let Ok((family, input)) = ao_case(&mut u, &session.families()) else {
            return;
        };
        let outcome = session.check_ao(family, &input);
        return judge(outcome, &format!("{input:?}"));
    }
    let Ok((family, input)) = case(&mut u, &session.families()) else {
        return;
    };
    judge(session.check(family, &input), &format!("{input:?}"));
}

/// Counts an agreement; panics on anything else.
fn judge(outcome: std::result::Result<Agreement, Failure>, input: &str) {
    match outcome {
        Ok(agreement) => tally(&agreement),
        Err(Failure::Disagreement(d)) => panic!(
            "kernel_differential: the kernel disagrees with the model\n\
             family {}, {}\nmodel:  {}\nkernel: {}\nproblems: {}\nnotes: {}\nsegment: {}\n\
             case: {input}",
            d.family,
            d.kind,
            d.expected,
            d.observed,
            d.problems.join("; "),
            d.notes.join("; "),
            d.packet_hex,
        ),
        Err(Failure::Harness(e)) => panic!(
            "kernel_differential: the harness failed twice (not a disagreement): {e}\ncase: {input}"
        ),
    }
}

/// The session, opened on first use; `None` (after printing why, once)
/// where no namespace can be had.
fn session() -> Option<&'static Session> {
    static SESSION: OnceLock<Option<Session>> = OnceLock::new();
    SESSION
        .get_or_init(|| {
            if let Err(e) = privilege() {
                eprintln!("kernel_differential: SKIP (nothing is tested): {e}");
                return None;
            }
            // One input at a time: the worker beside this thread.
            match Session::open_beside_caller(held_to()) {
                Ok(s) => {
                    let families: Vec<String> =
                        s.families().iter().map(ToString::to_string).collect();
                    eprintln!(
                        "kernel_differential: kernel {}, semantics {}, families {}, TCP-AO cases: {}",
                        s.kernel_release(),
                        s.semantics().id(),
                        families.join(" "),
                        s.ao_unavailable().unwrap_or("one input in four")
                    );
                    Some(s)
                }
                Err(u @ Unavailable::Unsupported(_)) => {
                    eprintln!("kernel_differential: SKIP (nothing is tested): {u}");
                    None
                }
                Err(e @ Unavailable::ProbeFailed(_)) => panic!("kernel_differential: {e}"),
            }
        })
        .as_ref()
}

/// `TCPMD5_DIFF_SEMANTICS` (rfc2385, linux-legacy, linux, linux-ao): hold
/// the kernel to another semantics than its own, to see the target fail.
fn held_to() -> Option<Semantics> {
    let id = std::env::var("TCPMD5_DIFF_SEMANTICS").ok()?;
    Some(Semantics::from_id(&id).unwrap_or_else(|| {
        panic!("kernel_differential: TCPMD5_DIFF_SEMANTICS={id:?} is no semantics")
    }))
}

/// Counts agreements by verdict and prints them at every power of two
/// from 1024 cases on, so a long run shows what it reached.
fn tally(agreement: &Agreement) {
    static COUNTS: Mutex<(u64, BTreeMap<String, u64>)> = Mutex::new((0, BTreeMap::new()));
    let Ok(mut counts) = COUNTS.lock() else {
        return;
    };
    let (cases, by_verdict) = &mut *counts;
    *cases += 1;
    let inferred = if agreement.inferred {
        " (inferred)"
    } else {
        ""
    };
    *by_verdict
        .entry(format!(
            "{} {}{inferred}",
            agreement.kind, agreement.verdict
        ))
        .or_default() += 1;
    if *cases >= 1024 && cases.is_power_of_two() {
        eprintln!("kernel_differential: {cases} cases agreed:");
        for (what, n) in by_verdict.iter() {
            eprintln!("  {n:>9}  {what}");
        }
    }
}

/// What an MD5 case and an AO case decode first, in this order (the
/// committed seeds depend on it): the family, the target socket, the
/// header's flags, numbers, window and urgent pointer, and whether the
/// payload is kept.
fn header(
    u: &mut Unstructured<'_>,
    families: &[Family],
) -> Result<(Family, Target, TcpSegmentSpec, bool)> {
    let family = *u.choose(families)?;
    let target = target(u)?;
    let mut base = TcpSegmentSpec::new(lab_addrs(family), (0, 0), TcpFlags(u.arbitrary()?));
    base.seq = u.arbitrary()?;
    base.ack = u.arbitrary()?;
    base.window = u.arbitrary()?;
    base.urgent = u.arbitrary()?;
    let keep_payload = u.arbitrary()?;
    Ok((family, target, base, keep_payload))
}

/// Decodes one case in one of `families`.
pub fn case(u: &mut Unstructured<'_>, families: &[Family]) -> Result<(Family, Input)> {
    let (family, target, mut base, keep_payload) = header(u, families)?;
    let area = option_area(u)?;
    let receiver_key = if u.arbitrary()? { Some(key(u)?) } else { None };
    let key_scope = key_scope(u)?;
    let sign = match u.int_in_range(0u8..=2)? {
        0 => Sign::ReceiverKey,
        1 => Sign::None,
        _ => Sign::Other(key(u)?),
    };
    let flip = if u.arbitrary()? {
        Some(BitChoice(u.arbitrary()?))
    } else {
        None
    };
    let bad_checksum = u.arbitrary()?;
    let len = u.arbitrary_len::<u8>()?.min(MAX_PAYLOAD);
    base.payload = u.bytes(len)?.to_vec();
    Ok((
        family,
        Input {
            target,
            base,
            keep_payload,
            area,
            receiver_key,
            key_scope,
            sign,
            flip,
            bad_checksum,
        },
    ))
}

/// The socket and segment kind (the same decoding for both shares).
fn target(u: &mut Unstructured<'_>) -> Result<Target> {
    Ok(match u.int_in_range(0u8..=4)? {
        0 => Target::Listener,
        kind => {
            let kind = match kind {
                1 => SegmentKind::Data,
                2 => SegmentKind::Ack,
                3 => SegmentKind::Rst,
                _ => SegmentKind::Fin,
            };
            let place = match u.int_in_range(0u8..=3)? {
                0 => Place::Exact,
                1 => Place::Ahead(u.arbitrary()?),
                2 => Place::Below,
                _ => Place::Above,
            };
            Target::Established(kind, place)
        }
    })
}

/// Which addresses a key is for.
fn key_scope(u: &mut Unstructured<'_>) -> Result<KeyScope> {
    Ok(match u.int_in_range(0u8..=2)? {
        0 => KeyScope::Peer,
        1 => KeyScope::Prefix(u.arbitrary()?),
        _ => KeyScope::Elsewhere,
    })
}

/// Decodes one AO case in one of `families`.
pub fn ao_case(u: &mut Unstructured<'_>, families: &[Family]) -> Result<(Family, AoInput)> {
    let (family, target, mut base, keep_payload) = header(u, families)?;
    let keys = (0..u.int_in_range(1u8..=3)?)
        .map(|_| ao_key(u))
        .collect::<Result<Vec<_>>>()?;
    let signer = BitChoice(u.arbitrary()?);
    let required = u.ratio(1u8, 5u8)?;
    let bit = |u: &mut Unstructured<'_>| Ok::<_, arbitrary::Error>(BitChoice(u.arbitrary()?));
    let auth = match u.int_in_range(0u8..=12)? {
        0 => AoAuth::Signed,
        1 => AoAuth::MacBitFlipped(bit(u)?),
        2 => AoAuth::SegmentBitFlipped(bit(u)?),
        3 => AoAuth::OtherSecret(master_key(u)?),
        4 => AoAuth::KeyIdOfAnother(bit(u)?),
        5 => AoAuth::UnknownKeyId(bit(u)?),
        6 => AoAuth::MacLen(u.int_in_range(4u8..=16)?),
        7 => AoAuth::Unsigned,
        8 => AoAuth::WithMd5,
        9 => AoAuth::Md5Only,
        10 => AoAuth::Duplicated,
        11 => AoAuth::TooShort(u.int_in_range(2u8..=4)?),
        _ => AoAuth::Overrun,
    };
    let rnext = match u.int_in_range(0u8..=2)? {
        0 => Rnext::Current,
        1 => Rnext::OtherKey(bit(u)?),
        _ => Rnext::Unknown(bit(u)?),
    };
    let others = (0..u.int_in_range(0u8..=3)?)
        .map(|_| plain_option(u))
        .collect::<Result<Vec<_>>>()?;
    let ao_last = u.arbitrary()?;
    let len = u.arbitrary_len::<u8>()?.min(MAX_PAYLOAD);
    base.payload = u.bytes(len)?.to_vec();
    Ok((
        family,
        AoInput {
            target,
            base,
            keep_payload,
            keys,
            signer,
            required,
            auth,
            rnext,
            others,
            ao_last,
        },
    ))
}

/// One MKT.
fn ao_key(u: &mut Unstructured<'_>) -> Result<AoKeySpec> {
    Ok(AoKeySpec {
        scope: key_scope(u)?,
        algorithm: *u.choose(&Algorithm::ALL)?,
        secret: master_key(u)?,
        coverage: if u.arbitrary()? {
            OptionCoverage::Excluded
        } else {
            OptionCoverage::Included
        },
        mac_len: if u.arbitrary()? {
            12
        } else {
            u.int_in_range(4u8..=16)?
        },
    })
}

/// A master key of 1 to 80 bytes.
fn master_key(u: &mut Unstructured<'_>) -> Result<MasterKey> {
    let len = u.int_in_range(1usize..=80)?;
    MasterKey::new(u.bytes(len)?).map_err(|_| arbitrary::Error::IncorrectFormat)
}

/// A well-formed option of a kind that is neither MD5 nor AO nor EOL.
fn plain_option(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    Ok(match u.int_in_range(0u8..=4)? {
        0 => vec![options::NOP],
        1 => options::mss(u.arbitrary()?),
        2 => options::window_scale(u.int_in_range(0u8..=14)?),
        3 => options::sack_permitted(),
        _ => options::timestamps(u.arbitrary()?, u.arbitrary()?),
    })
}

/// The lab's peer and kernel addresses (the case sets them again).
fn lab_addrs(family: Family) -> AddrPair {
    let (peer, kernel) = match family {
        Family::V4 => (IpAddr::V4(lab::PEER_V4), IpAddr::V4(lab::KERNEL_V4)),
        Family::V6 => (IpAddr::V6(lab::PEER_V6), IpAddr::V6(lab::KERNEL_V6)),
    };
    AddrPair::new(peer, kernel).expect("both addresses of one family")
}

/// A key of 1 to 80 bytes (NULs included).
fn key(u: &mut Unstructured<'_>) -> Result<Key> {
    let len = u.int_in_range(1usize..=80)?;
    Key::new(u.bytes(len)?).map_err(|_| arbitrary::Error::IncorrectFormat)
}

/// The Linux layout (`NOP NOP MD5` first or last) around up to six
/// options, or a raw area of up to 40 bytes.
fn option_area(u: &mut Unstructured<'_>) -> Result<OptionArea> {
    let layout = match u.int_in_range(0u8..=2)? {
        0 => Layout::Md5First(option_list(u)?),
        1 => Layout::Md5Last(option_list(u)?),
        _ => {
            let len = u.int_in_range(0..=MAX_AREA)?;
            Layout::Grammar(u.bytes(len)?.to_vec())
        }
    };
    Ok(OptionArea {
        layout,
        full: u.arbitrary()?,
    })
}

fn option_list(u: &mut Unstructured<'_>) -> Result<Vec<Vec<u8>>> {
    let n = u.int_in_range(0u8..=6)?;
    (0..n).map(|_| option(u)).collect()
}

/// One option: a well-formed one of each kind the kernel's walks know, or
/// any kind with any length byte and body.
fn option(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    Ok(match u.int_in_range(0u8..=10)? {
        0 => vec![options::NOP],
        1 => vec![options::EOL],
        2 => options::mss(u.arbitrary()?),
        3 => options::window_scale(u.arbitrary()?),
        4 => options::sack_permitted(),
        5 => options::timestamps(u.arbitrary()?, u.arbitrary()?),
        6 => {
            let blocks: Vec<(u32, u32)> = (0..u.int_in_range(1u8..=4)?)
                .map(|_| Ok((u.arbitrary()?, u.arbitrary()?)))
                .collect::<Result<_>>()?;
            options::sack(&blocks)
        }
        7 => options::md5(u.arbitrary()?),
        8 => options::md5_with_len(u.int_in_range(0u8..=40)?),
        9 => options::ao(u.int_in_range(4u8..=40)?),
        _ => {
            let (kind, len): (u8, u8) = (u.arbitrary()?, u.arbitrary()?);
            let body = u.int_in_range(0..=MAX_AREA - 2)?;
            [&[kind, len][..], u.bytes(body)?].concat()
        }
    })
}
