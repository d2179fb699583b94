//! Models and checks shared by the fuzz targets of `tcpmd5`.
//!
//! Every target in `fuzz_targets/` is a one-line wrapper over a `run`
//! function here, so the same checks can be exercised from unit tests
//! (`cargo test` in `fuzz/`) and reproduced without libFuzzer.
//!
//! The models are deliberately independent of the library: they are
//! literal transcriptions of the kernel C (option scans, key table) and of
//! RFC 2385 (digest), so a fuzzer-found difference points at one of the two.

pub mod digest_model;
pub mod key_model;
pub mod scan_model;
pub mod targets;
