//! Low-level harness: namespaces, links, sockets, counters, tracing and raw
//! frames, everything a conformance case needs to talk to the live kernel.

pub mod errno;
pub mod error;
pub mod link;
pub mod netns;
pub mod privilege;
pub mod sysctl;

pub use errno::Errno;
pub use error::HarnessError;
