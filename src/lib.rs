//! tcpmd5: a reference implementation of the TCP MD5 Signature Option
//! (RFC 2385) with the receive-side semantics of the Linux kernel.
//!
//! - [`wire`]: zero-copy IPv4, IPv6 and TCP views that never panic.
//! - [`scan`]: how a receiver finds the option ([`Semantics`]: RFC-strict,
//!   Linux before 6.7, Linux 6.7 and later).
//! - [`digest`]: the RFC 2385 digest, streamed, allocation-free.
//! - [`batch`]: digests and verdicts of many segments at once, on the
//!   CPU's vector lanes (AVX-512, AVX2, or one at a time).
//! - [`sign`]: put the option in a segment or packet, Linux layout.
//! - [`checksum`]: the IPv4 and TCP checksum stage, before or after the MD5 check.
//! - [`verdict`]: accept or drop, with the kernel's drop reason, counter and
//!   tracepoint.
//! - [`key_table`]: the `TCP_MD5SIG` / `TCP_MD5SIG_EXT` key table and lookup.
//! - [`ao`]: TCP-AO (RFC 5925/5926): option, KDFs, MACs, SNE, and Linux's
//!   receive decision.
//!
//! The library does no I/O.
#![forbid(unsafe_code)]

mod addr_pair;
pub mod ao;
pub mod ao_keys;
pub mod batch;
pub mod checksum;
pub mod digest;
mod family;
mod key;
pub mod key_table;
pub mod prefix;
pub mod scan;
pub mod sign;
pub mod verdict;
pub mod wire;

pub use addr_pair::{AddrPair, MixedFamilies};
pub use checksum::Checksums;
pub use digest::{Digest, DigestError, SegmentHasher, segment_digest};
pub use family::Family;
pub use key::{Key, KeyLenError, MAX_KEY_LEN};
pub use key_table::{KeyTable, KeyTableError, Md5SigRequest};
pub use scan::{AuthScan, Semantics};
pub use sign::SignError;
pub use verdict::{
    Acceptance, DropReason, Verdict, VerdictId, packet_verdict, packet_verdict_with, verify_segment,
};
