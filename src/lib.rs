//! tcpmd5: a reference implementation of the TCP MD5 Signature Option (RFC 2385)
//! with the receive-side semantics of the Linux kernel.
#![forbid(unsafe_code)]

mod family;

pub use family::Family;
