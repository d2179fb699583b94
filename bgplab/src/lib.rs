//! A lab of real BGP daemons for tests: two routers (BIRD 2 or FRR), each
//! in its own network namespace, joined by a veth pair, with the BGP
//! sessions and MD5 passwords of a [`spec::LabSpec`] written into their
//! configurations ([`config`]), a tcpdump capture of the link, and the
//! truth taken from the receiving kernels themselves ([`truth`]: the
//! `tcp:tcp_hash_*` tracepoints, read through the conformance suite's
//! trace instance, and the `TcpExt` counters).
//!
//! Used by the `tcpmd5` tool's daemon test and by any crate whose tests
//! need real BGP sessions. Root only; [`require::unmet`] says why a lab
//! cannot run here (a test is then ignored with that reason).

pub mod config;
pub mod error;
pub mod lab;
pub mod netns;
pub mod require;
pub mod spec;
pub mod truth;

pub use error::LabError;
pub use lab::{DaemonEvent, Lab, LabRun};
pub use spec::{Daemon, LabSpec, Router, Session, Side};
pub use truth::{KernelDrop, Truth};
