//! The reach of the grammar generators: over a fixed-seed sample of
//! segments, how many carry an MD5 option, a TCP-AO option, a malformed
//! option, a full 40-byte option area, and how many a Linux receiver would
//! find signed after signing. Each must reach a minimum fraction, so a
//! generator that stops producing them fails here. Printed with
//! `cargo test -p tcpmd5-testkit --test reach -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tcpmd5::scan::AuthScan;
use tcpmd5::sign::sign_segment_to_vec;
use tcpmd5::wire::tcp_option::kind::{AO, MD5};
use tcpmd5::wire::{OptionError, TcpOptions, TcpPacket};
use tcpmd5::{Key, Semantics};
use tcpmd5_testkit::strategies::{MAX_OPTION_AREA, MSS_PAYLOAD, segment_from_grammar_any};

const SAMPLE: usize = 4096;

/// What one option area holds, read with the generic RFC 9293 reader.
#[derive(Default)]
struct Holds {
    md5: bool,
    ao: bool,
    malformed: bool,
}

fn holds(area: &[u8]) -> Holds {
    let mut h = Holds::default();
    for item in TcpOptions::new(area) {
        let kind = match item {
            Ok((_, option)) => option.kind(),
            Err(e) => {
                h.malformed = true;
                match e {
                    OptionError::Truncated { kind, .. } | OptionError::BadLength { kind, .. } => {
                        kind
                    }
                }
            }
        };
        h.md5 |= kind == MD5;
        h.ao |= kind == AO;
    }
    h
}

#[test]
fn grammar_segments_reach_the_interesting_inputs() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = segment_from_grammar_any();
    let key = Key::from_array(b"reach");
    let (mut md5, mut ao, mut malformed, mut full, mut large, mut verified) = (0, 0, 0, 0, 0, 0);
    for _ in 0..SAMPLE {
        let spec = strategy.new_tree(&mut runner).unwrap().current();
        let h = holds(&spec.options);
        md5 += usize::from(h.md5);
        ao += usize::from(h.ao);
        malformed += usize::from(h.malformed);
        full += usize::from(spec.options.len() == MAX_OPTION_AREA);
        large += usize::from(spec.payload.len() > MSS_PAYLOAD / 2);
        // Signed, then found by a Linux >= 6.7 receiver.
        if let Ok(signed) = sign_segment_to_vec(&spec.addrs, &spec.to_bytes().unwrap(), &key) {
            let options = TcpPacket::new_checked(&signed[..])
                .unwrap()
                .options()
                .to_vec();
            verified += usize::from(matches!(
                Semantics::Linux { tcp_ao: false }.scan(&options),
                AuthScan::Md5 { .. }
            ));
        }
    }
    let pct = |n: usize| 100.0 * n as f64 / SAMPLE as f64;
    println!(
        "reach over {SAMPLE} segments: MD5 option {md5} ({:.1}%), AO option {ao} ({:.1}%), \
         malformed {malformed} ({:.1}%), full 40-byte area {full} ({:.1}%), payload over \
         {} bytes {large} ({:.1}%), found signed by Linux >= 6.7 after signing {verified} ({:.1}%)",
        pct(md5),
        pct(ao),
        pct(malformed),
        pct(full),
        MSS_PAYLOAD / 2,
        pct(large),
        pct(verified),
    );
    for (what, n, min_pct) in [
        ("an MD5 option", md5, 30.0),
        ("an AO option", ao, 15.0),
        ("a malformed option", malformed, 20.0),
        ("a full 40-byte area", full, 15.0),
        ("a payload over half an MSS", large, 30.0),
        ("an MD5 option Linux finds after signing", verified, 30.0),
    ] {
        assert!(
            pct(n) >= min_pct,
            "only {:.1}% of segments carry {what}",
            pct(n)
        );
    }
}
