//! The differential property test: generated segments are injected into
//! the live kernel and its verdict must equal the reference model's.
//!
//! Each case is a SYN to a listener or a data, ACK, RST or FIN segment on
//! an established connection (at `rcv_nxt`, elsewhere in the window, or
//! outside it), IPv4 or IPv6, with an option area drawn from the option
//! grammar ([`options`]), a key of 1 to 80 bytes at the receiver (for the
//! peer, for a prefix holding it, or for another address) or none, signed
//! with it, with another key or not at all, possibly one bit flipped
//! after signing, and in one case in eight a bad TCP checksum (which the
//! kernel drops before the MD5 check up to 76 TCP bytes, after it beyond).
//! Established connections keep their socket while they stay ESTABLISHED; their keys are changed on the live socket as the cases
//! ask. The expected verdict always comes from the model
//! (`packet_verdict` with the receiving socket's key table); the kernel's
//! from its replies, counters, tracepoints, and on established connections
//! `TCP_INFO` and what the application reads.
//!
//! A family's cases run on several labs at once ([`batch`]), each case in
//! its own namespace, so every reply, counter and tracepoint is that
//! case's alone; `--serial` runs them one at a time on one lab, as
//! proptest generates them.
//!
//! On a kernel with `CONFIG_TCP_AO` each family then runs TCP-AO cases
//! ([`ao`]): sockets holding MKTs, segments signed by the model, the
//! verdict from `tcpmd5::ao::receive`; elsewhere that share is skipped
//! with its reason.
//!
//! `tcpmd5-conformance differential` and the `differential` test of
//! `cargo test` run the same code ([`run`], [`run_family`]); a caller that
//! makes its own cases (the `kernel_differential` fuzz target) runs them
//! one at a time through a [`Session`], on the same per-case code.

pub mod ao;
mod batch;
mod case;
pub mod cli;
pub(crate) mod established;
pub mod input;
pub(crate) mod judged;
pub mod options;
pub(crate) mod probe;
pub mod reach;
mod run;
mod seed;
mod session;
pub mod summary;
mod syn;
mod targets;
pub mod tcp_effect;

pub use run::{DEFAULT_LABS, Settings, run, run_family, summary};
pub use seed::{Seed, SeedError};
pub use session::{Agreement, Failure, Session};
pub use targets::ConnectionEvents;
