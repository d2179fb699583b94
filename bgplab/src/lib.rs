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
//!
//! ```no_run
//! use std::time::Duration;
//! use tcpmd5_bgplab::{Lab, LabSpec, Side};
//!
//! # fn main() -> Result<(), tcpmd5_bgplab::LabError> {
//! let spec = LabSpec::operator_mix(); // BIRD on A, FRR on B, seven sessions
//! if let Some(why) = tcpmd5_bgplab::require::unmet(&spec.daemons()) {
//!     eprintln!("SKIP my_lab_test: {why}");
//!     return Ok(());
//! }
//! let dir = std::env::temp_dir().join("bgplab-example");
//! std::fs::create_dir_all(&dir).ok();
//! let mut lab = Lab::start(spec, &dir)?;
//! std::thread::sleep(Duration::from_secs(6));
//! lab.stop_daemon(Side::B)?; // NOTIFICATIONs, FINs, RSTs
//! lab.start_daemon(Side::B)?;
//! std::thread::sleep(Duration::from_secs(5));
//! let run = lab.finish()?;
//! // run.pcap: the capture; run.config(Side::A): A's configuration;
//! // run.truth.drops: every drop by either kernel, with its tracepoint.
//! println!("{} kernel drops", run.truth.drops.len());
//! # Ok(())
//! # }
//! ```

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
