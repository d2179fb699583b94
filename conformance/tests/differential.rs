//! Differential property test: random SYNs (option layouts, signed,
//! unsigned, wrong key, corrupted at any hashed byte; key or no key at the
//! receiver) are injected into a live kernel listener and the kernel's
//! verdict (reply, counters, tracepoint) must equal the reference model's.
//!
//! One lab and one listener serve many cases (rebuilt every
//! `LAB_REUSE` cases); one trial per family. `TCPMD5_DIFF_CASES` sets the
//! cases per family (default 1024), `TCPMD5_DIFF_SEED` (64 hex digits) the
//! seed, which is printed. Shrunk failures are saved in
//! `conformance/proptest-regressions/differential.txt` and replayed first.

#![allow(clippy::print_stderr)]

use std::cell::RefCell;
use std::net::IpAddr;
use std::time::Instant;

use libtest_mimic::{Arguments, Failed, Trial};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestRng, TestRunner,
};
use tcpmd5::key_table::Md5SigRequest;
use tcpmd5::strategies::{key_any, plain_options_with, segment_with};
use tcpmd5::wire::{TcpFlags, TcpPacket, TcpSegmentSpec};
use tcpmd5::{Family, Key, packet_verdict};
use tcpmd5_conformance::environment::{self, Environment};
use tcpmd5_conformance::exchange::{Barrier, exchange};
use tcpmd5_conformance::harness::{Lab, privilege, system};
use tcpmd5_conformance::judge::judge;
use tcpmd5_conformance::listener::Listener;
use tcpmd5_conformance::outcome::Outcome;
use tcpmd5_conformance::segment::{SegmentSpec, Signing};

const DEFAULT_CASES: u32 = 1024;
const LAB_REUSE: usize = 1000;
const LISTEN_PORT: u16 = 179;
const MD5: [u8; 20] = [1, 1, 19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AO: [u8; 16] = [29, 16, 1, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9];

/// Where the MD5 option goes, or what replaces it.
#[derive(Debug, Clone)]
enum Layout {
    /// Linux layout: NOP NOP MD5 first, then the plain options.
    Md5First,
    /// The plain options, then NOP NOP MD5.
    Md5Last,
    /// No MD5 option.
    Plain,
    /// A TCP-AO option, then the plain options.
    Ao,
    /// Arbitrary bytes (may hold 19/18, malformed lengths, EOL).
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Sign {
    None,
    ReceiverKey,
    Other(Key),
}

#[derive(Debug, Clone)]
struct Input {
    seg: TcpSegmentSpec,
    layout: Layout,
    receiver_key: Option<Key>,
    sign: Sign,
    flip: Option<(Index, u8)>,
}

fn input(family: Family) -> impl Strategy<Value = Input> {
    let raw = (0usize..=10)
        .prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n * 4))
        .prop_map(Layout::Raw);
    let layout = prop_oneof![
        4 => Just(Layout::Md5First),
        2 => Just(Layout::Md5Last),
        2 => Just(Layout::Plain),
        1 => Just(Layout::Ao),
        2 => raw,
    ];
    let sign = prop_oneof![
        1 => Just(Sign::None),
        4 => Just(Sign::ReceiverKey),
        1 => key_any().prop_map(Sign::Other),
    ];
    (
        segment_with(family, 32),
        layout,
        proptest::option::weighted(0.75, key_any()),
        sign,
        proptest::option::weighted(0.4, (any::<Index>(), 0u8..8)),
        plain_options_with(16),
    )
        .prop_map(|(mut seg, layout, receiver_key, sign, flip, plain)| {
            seg.options = plain;
            Input {
                seg,
                layout,
                receiver_key,
                sign,
                flip,
            }
        })
}

/// Bits that may be flipped after signing without changing what the
/// segment is (a SYN to the listener, same ports, same data offset):
/// sequence, ack, reserved/NS, PSH/URG/ECE/CWR, window, urgent, options,
/// payload.
fn flippable(seg_len: usize) -> Vec<(usize, u8)> {
    let mut v = Vec::new();
    for off in (4..12).chain(14..16).chain(18..seg_len) {
        for bit in 0..8 {
            v.push((off, bit));
        }
    }
    for bit in 0..4 {
        v.push((12, bit));
    }
    for bit in [3, 5, 6, 7] {
        v.push((13, bit));
    }
    v
}

struct State {
    lab: Lab,
    barrier: Barrier,
    listener: Listener,
    used: usize,
    port: u16,
}

impl State {
    fn new(family: Family) -> Result<State, String> {
        let lab = Lab::new().map_err(|e| e.to_string())?;
        let barrier = Barrier::open(&lab).map_err(|e| e.to_string())?;
        let listener = Listener::open(&lab, family, LISTEN_PORT, false).map_err(|e| e.chain())?;
        Ok(State {
            lab,
            barrier,
            listener,
            used: 0,
            port: 20000,
        })
    }
}

fn one(
    state: &RefCell<Option<State>>,
    family: Family,
    env: &Environment,
    inp: &Input,
) -> Result<(), TestCaseError> {
    let mut guard = state.borrow_mut();
    if guard.as_ref().is_none_or(|s| s.used >= LAB_REUSE) {
        *guard = None;
        *guard = Some(State::new(family).map_err(TestCaseError::fail)?);
    }
    let Some(st) = guard.as_mut() else {
        return Err(TestCaseError::fail("no lab"));
    };
    st.used += 1;
    st.port = if st.port >= 59000 { 20000 } else { st.port + 1 };
    let peer: IpAddr = st.lab.peer_addr(family);
    // The receiver's key for the peer.
    let has = st.listener.model.lookup(peer, 0).is_some();
    match (&inp.receiver_key, has) {
        (Some(k), _) => st.listener.must_apply(&Md5SigRequest::add(peer, k)),
        (None, true) => st.listener.must_apply(&Md5SigRequest::delete(peer)),
        (None, false) => Ok(()),
    }
    .map_err(|e| TestCaseError::fail(e.chain()))?;
    let plain = inp.seg.options.clone();
    let options = match &inp.layout {
        Layout::Md5First => [&MD5[..], &plain].concat(),
        Layout::Md5Last => [&plain[..], &MD5].concat(),
        Layout::Plain => plain,
        Layout::Ao => [&AO[..], &plain].concat(),
        Layout::Raw(b) => b.clone(),
    };
    let mut options: Vec<u8> = options.into_iter().take(40).collect();
    options.truncate(options.len() / 4 * 4);
    let signing = match (&inp.sign, &inp.receiver_key) {
        (Sign::None, _) | (Sign::ReceiverKey, None) => Signing::None,
        (Sign::ReceiverKey, Some(k)) => Signing::Key(k.clone()),
        (Sign::Other(k), _) => Signing::Key(k.clone()),
    };
    let mut spec = SegmentSpec::syn(
        peer,
        st.lab.kernel_addr(family),
        st.port,
        LISTEN_PORT,
        inp.seg.seq,
    );
    // The generated segment, made a SYN from the peer to the listener.
    spec.tcp = TcpSegmentSpec {
        addrs: spec.tcp.addrs,
        src_port: st.port,
        dst_port: LISTEN_PORT,
        flags: TcpFlags(TcpFlags::SYN.0 | (inp.seg.flags.0 & 0x1e8)),
        options,
        ..inp.seg.clone()
    };
    spec.signing = signing;
    if let Some((idx, _)) = &inp.flip {
        let choices = flippable(spec.segment().len());
        if !choices.is_empty() {
            let (off, bit) = choices
                .get(idx.index(choices.len()))
                .copied()
                .unwrap_or((4, 0));
            spec.flips.push((off, bit));
        }
    }
    let packet = spec.packet();
    let seg = spec.segment();
    let seq = TcpPacket::new_checked(&seg[..]).map_or(spec.tcp.seq, |t| t.seq_number());
    let expected = packet_verdict(&packet, &st.listener.model, 0, env.semantics)
        .map_err(|e| TestCaseError::reject(format!("model cannot read: {e}")))?;
    let obs = exchange(&mut st.lab, &mut st.barrier, &spec)
        .map_err(|e| TestCaseError::fail(e.chain()))?;
    let key = st.listener.key_for(peer);
    let finding = judge(&obs, seq.wrapping_add(1), expected, key.as_ref());
    // Free the request socket so the listener's queue never fills.
    if obs.replies.iter().any(|r| r.flags.contains(TcpFlags::SYN)) {
        let mut rst = SegmentSpec::syn(
            peer,
            st.lab.kernel_addr(family),
            st.port,
            LISTEN_PORT,
            seq.wrapping_add(1),
        );
        rst.tcp.flags = TcpFlags::RST;
        rst.tcp.options = Vec::new();
        if let Some(k) = key {
            rst.tcp.options = MD5.to_vec();
            rst.signing = Signing::Key(k);
        }
        st.lab
            .send_ip(&rst.packet())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    match finding.outcome {
        Outcome::Pass => Ok(()),
        other => Err(TestCaseError::fail(format!(
            "{other}: expected {}, observed {} ({:?})",
            finding.expected, finding.observed, finding.notes
        ))),
    }
}

fn seed() -> [u8; 32] {
    if let Ok(hex) = std::env::var("TCPMD5_DIFF_SEED") {
        let mut s = [0u8; 32];
        for (i, b) in s.iter_mut().enumerate() {
            *b = hex
                .get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0);
        }
        return s;
    }
    let mut s = [0u8; 32];
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for (i, b) in s.iter_mut().enumerate() {
        *b = (t >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
    }
    s
}

fn run_family(family: Family, env: &'static Environment) -> Result<(), Failed> {
    let _ = system::pin_current_thread(0);
    let cases = std::env::var("TCPMD5_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let seed = seed();
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    eprintln!("differential {family}: {cases} cases, TCPMD5_DIFF_SEED={hex}");
    let config = Config {
        cases,
        max_shrink_iters: 256,
        max_global_rejects: cases.saturating_mul(4),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/differential.txt",
        ))),
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let state = RefCell::new(None);
    let count = RefCell::new(0u64);
    let started = Instant::now();
    let result = runner.run(&input(family), |inp| {
        *count.borrow_mut() += 1;
        one(&state, family, env, &inp)
    });
    let n = *count.borrow();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "differential {family}: {n} kernel exchanges in {secs:.2} s ({:.0}/s)",
        n as f64 / secs.max(1e-9)
    );
    drop(state);
    result.map_err(|e| Failed::from(format!("{e} (seed {hex})")))
}

fn main() -> std::process::ExitCode {
    let privileged = privilege::init();
    let args = Arguments::from_args();
    let env = match (&privileged, environment::get()) {
        (Ok(_), Ok(env)) => Some(env),
        (Err(e), _) => {
            eprintln!("SKIP differential: {e}");
            None
        }
        (_, Err(u)) => {
            eprintln!("SKIP differential: {}", u.0);
            None
        }
    };
    let trials = Family::ALL
        .into_iter()
        .map(|family| {
            let name = format!("differential/{family}");
            match env {
                Some(env) if family == Family::V4 || env.ipv6 => {
                    Trial::test(name, move || run_family(family, env))
                }
                _ => Trial::test(name, || Ok(())).with_ignored_flag(true),
            }
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}
