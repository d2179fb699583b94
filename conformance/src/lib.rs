//! Conformance suite: the tcpmd5 reference model against the live Linux kernel.

pub mod harness;
