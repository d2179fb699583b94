//! The AO share of the differential: on a kernel with `CONFIG_TCP_AO`, each
//! family runs generated TCP-AO cases after its MD5 cases, one at a time on
//! a lab of their own, from a seed derived from the run's (so the MD5
//! cases, and their verdicts for a seed, are what they were without it).
//! Each case's socket holds the case's MKTs; the model's verdict comes from
//! [`tcpmd5::ao::receive`] and the peer's MACs from
//! [`tcpmd5::ao::sign_segment`]. A disagreement is shrunk by proptest as
//! in the serial MD5 run. On a kernel without AO the share is skipped
//! with the reason, never passed.

mod case;
mod expect;
pub mod input;
mod probe;
mod segment;
mod sockets;

use std::cell::RefCell;
use std::time::Instant;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use tcpmd5::Family;
use tcpmd5_report::differential::{AoShare, FamilyReport};

pub(in crate::differential) use self::case::AoRunner;
use self::input::{AoInput, ao_input_with};
use super::judged::Judged;
use crate::environment::Environment;

/// Why a kernel runs no AO cases, if it runs none.
pub fn unavailable(env: &Environment) -> Option<String> {
    (!env.tcp_ao).then(|| {
        "the kernel has no CONFIG_TCP_AO (TCP_AO_ADD_KEY: ENOPROTOOPT): no AO case can run"
            .to_owned()
    })
}

/// What one family's AO share runs.
#[derive(Debug, Clone, Copy)]
pub struct ShareSettings {
    /// AO cases.
    pub cases: u32,
    /// The run's seed (the share derives its own from it).
    pub seed: [u8; 32],
    /// Kernel exchanges proptest may spend shrinking a disagreement.
    pub max_shrink_iters: u32,
    /// Weight of established-connection cases against listener SYNs (of 8).
    pub established_weight: u32,
}

/// The AO share's seed: the run's, with its first byte's bits inverted.
fn seed(settings: &ShareSettings) -> [u8; 32] {
    let mut s = settings.seed;
    if let Some(b) = s.first_mut() {
        *b ^= 0xff;
    }
    s
}

struct Tally {
    share: AoShare,
    report: FamilyReport,
    runner: AoRunner,
    failed: bool,
}

/// Runs `settings.cases` AO cases of `family` on the calling thread and
/// counts them into `report` (kinds `ao ...`, the share's own counts).
pub fn run_share(
    family: Family,
    settings: &ShareSettings,
    env: &Environment,
    report: &mut FamilyReport,
    progress: &(dyn Fn(&str) + Sync),
) {
    if let Some(why) = unavailable(env) {
        report.ao = AoShare {
            skipped: Some(why),
            ..AoShare::default()
        };
        return;
    }
    if settings.cases == 0 {
        report.ao.skipped = Some("no AO cases asked for (--ao-cases 0)".to_owned());
        return;
    }
    progress(&format!(
        "differential {family}: {} AO cases",
        settings.cases
    ));
    let started = Instant::now();
    let config = Config {
        cases: settings.cases,
        max_shrink_iters: settings.max_shrink_iters,
        failure_persistence: None,
        ..Config::default()
    };
    let tally = RefCell::new(Tally {
        share: AoShare::default(),
        report: std::mem::take(report),
        runner: AoRunner::new(family),
        failed: false,
    });
    let strategy = ao_input_with(family, settings.established_weight);
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed(settings)),
    );
    let _ = runner.run(&strategy, |input| {
        let mut t = tally.borrow_mut();
        let (result, seconds) = t.runner.run(&input);
        count(&mut t, family, &input, result, seconds)
    });
    let mut t = tally.into_inner();
    t.runner.close();
    t.share.handshakes = t.runner.handshakes;
    t.share.seconds = started.elapsed().as_secs_f64();
    t.report.ao = t.share;
    *report = t.report;
}

fn count(
    t: &mut Tally,
    family: Family,
    input: &AoInput,
    result: Result<Judged, crate::error::Error>,
    seconds: f64,
) -> Result<(), TestCaseError> {
    let judged = match result {
        Ok(j) => j,
        Err(e) => {
            let message = format!("AO harness: {}", e.chain());
            t.failed = true;
            t.report.error.get_or_insert(message.clone());
            return Err(TestCaseError::fail(message));
        }
    };
    let kind = input.kind();
    if t.failed {
        t.report.shrink_steps += 1;
    } else {
        let agrees = judged.count_into(&mut t.report, &kind, seconds);
        t.share.cases += 1;
        *t.share.verdicts.entry(judged.expected.clone()).or_default() += 1;
        *t.share
            .forms
            .entry(input.auth.name().to_owned())
            .or_default() += 1;
        if agrees {
            t.share.agreements += 1;
        } else {
            t.share.disagreements += 1;
        }
    }
    if judged.agrees() {
        return Ok(());
    }
    let message = judged.failure_message();
    let shrunk = t.failed;
    t.failed = true;
    let d = judged.into_disagreement(family, format!("{kind} {}", input.auth.name()), shrunk);
    let list = &mut t.report.disagreements;
    if shrunk
        && list
            .last()
            .is_some_and(|l| l.shrunk && l.kind.starts_with("ao "))
    {
        list.pop();
    }
    list.push(d);
    Err(TestCaseError::fail(message))
}
