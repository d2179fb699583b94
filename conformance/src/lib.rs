//! Conformance suite: the tcpmd5 reference model against the live Linux kernel.
//!
//! Every case runs in a fresh network namespace with a veth pair: the kernel
//! on one end, raw frames built by the reference library on the other. The
//! kernel's verdict is read from its replies, its `TcpExt` counters and,
//! where available, the `tcp:tcp_hash_*` tracepoints; the expected verdict
//! always comes from the model.

mod ao_peer;
pub mod case;
pub mod cases;
pub mod cli;
pub mod deviation;
pub mod differential;
pub mod environment;
pub mod error;
pub mod exchange;
pub mod expected;
pub mod harness;
pub mod judge;
pub mod known_defect;
pub mod listener;
pub mod model_query;
pub mod outcome;
mod peer;
mod record;
pub mod report;
pub mod run_findings;
pub mod runner;
pub mod segment;
pub mod stdout;
pub mod vector_capture;
mod words;
