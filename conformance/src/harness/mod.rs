//! Low-level harness: namespaces, links, sockets, counters, tracing and raw
//! frames, everything a conformance case needs to talk to the live kernel.

pub mod ao_sockopt;
pub mod capture;
pub mod counter_files;
pub mod errno;
pub mod error;
pub mod lab;
pub mod link;
pub mod netns;
pub mod offload;
pub mod privilege;
pub mod proc_tcp;
pub mod sockopt;
pub mod sysctl;
pub mod system;
pub mod tcp_info;

pub use tcpmd5_witness::{counters, leftovers, trace, tracefs};

pub use errno::Errno;
pub use error::HarnessError;
pub use lab::Lab;
