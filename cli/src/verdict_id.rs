//! The one place the tool spells verdicts: the library's stable id
//! ([`Verdict::id`]: `accept`, `drop:TCP_MD5FAILURE`, …), and the
//! tool's names for what the library says beyond it. Scripts rely on these
//! strings (see the README's JSON contract).

use tcpmd5::verdict::{Acceptance, ReceiverVerdict, Verdict};

/// The stable id of a verdict.
pub fn verdict_id(verdict: Verdict) -> String {
    verdict.id().to_string()
}

/// The stable id of a particular receiver's verdict (the library's
/// [`ReceiverVerdict::id`]).
pub fn receiver_verdict_id(verdict: ReceiverVerdict) -> String {
    verdict.id()
}

/// Why an accepted segment was accepted: `signed`, `unsigned`,
/// `ao-not-checked` (the spelling of the test vectors).
pub fn acceptance_id(acceptance: Acceptance) -> &'static str {
    acceptance.id()
}
