//! The fuzz targets of `tcpmd5` and the oracles they check the library
//! against.
//!
//! [`targets`] has one module per target with its `run` function;
//! `fuzz_targets/<name>.rs` is a one-line `fuzz_target!` over it, so every
//! target also runs without libFuzzer (the replay test in `tests/` feeds it
//! every committed seed).
//!
//! The oracles are deliberately independent of the library: literal
//! transcriptions of the kernel C ([`scan_model`]: the option walks;
//! [`key_model`]: the key list), of RFC 2385 ([`digest_model`]) and of
//! RFC 5925/5926 ([`ao_model`]), so a
//! difference points at one of the two.
//!
//! A finding is a panic (libFuzzer records it as a crash with the input), so
//! the lints that keep panics, `expect` and unchecked indexing out of the
//! library are allowed here: they are how an oracle reports.
#![forbid(unsafe_code)]
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a fuzz oracle reports a finding by panicking"
)]

pub mod ao_model;
pub mod checksum_model;
pub mod digest_model;
pub mod key_model;
pub mod scan_model;
pub mod targets;
pub mod timewait_model;
