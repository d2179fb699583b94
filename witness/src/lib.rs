//! The live kernel's witnesses of TCP MD5/AO drops, shared by the
//! conformance suite and the `tcpmd5` tool: the `tcp:tcp_hash_*`
//! tracepoints read from a private trace instance ([`trace`], on the
//! system's tracefs or a detached private mount, [`tracefs`]), the `TcpExt`
//! counters of a network namespace ([`counters`]), and the check that a run
//! left no instance, mount, thread or descriptor behind ([`leftovers`]);
//! and the kernel's numbers of TCP states ([`tcp_state`]).

pub mod counters;
pub mod hash_event;
pub mod leftovers;
pub mod netns;
pub mod netns_cookie;
pub mod tcp_state;
pub mod trace;
pub mod tracefs;
