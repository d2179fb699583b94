//! TCP-AO (RFC 5925, algorithms RFC 5926) as Linux implements it
//! (`CONFIG_TCP_AO`, 6.7 and later): the reference the kernel's AO path is
//! held to. No I/O; per segment nothing is allocated.
//!
//! - [`AoOption`], [`locate`]: the option (kind 29) and where Linux finds it.
//! - [`Algorithm`], [`derive_traffic_key`], [`KdfContext`]: KDF_HMAC_SHA1 and
//!   KDF_AES_128_CMAC over the connection context.
//! - [`TrafficKeys`], [`segment_context`]: the four keys of a connection from
//!   its ISNs, and the key of one segment seen on the wire.
//! - [`feed_mac_input`], [`segment_mac`], [`sign_segment`]: the MAC input
//!   (with or without options), HMAC-SHA-1-96 and AES-128-CMAC-96.
//! - [`segment_sne`], [`SneTracker`]: the sequence number extension.
//! - [`Mkt`], [`MktTable`], [`receive`]: master key tuples, Linux's lookup,
//!   and its receive decision with drop reasons, counters and tracepoints.
//! - [`ignores_icmp`]: which ICMP errors an AO connection ignores
//!   (`TCPAODroppedIcmps`).
//! - [`timewait_ack`]: how a TIME-WAIT socket signs its ACK (chosen by the
//!   segment it answers; unsigned for an unsigned one).
//!
//! RFC 9235's vectors are in `vectors/ao/rfc9235.json` (`tests/ao_vectors.rs`).

mod algorithm;
mod error;
mod icmp;
mod kdf;
mod mac;
mod mac_input;
mod master_key;
mod mkt;
mod option;
mod receive;
mod sne;
mod timewait;
mod traffic_keys;

pub use algorithm::{Algorithm, MAX_PRF_LEN};
pub use error::AoError;
pub use icmp::{DROPPED_ICMPS_COUNTER, Synchronized, ignores_icmp, is_hard_error};
pub use kdf::{KdfContext, TrafficKey, derive_traffic_key};
pub use mac::{Mac, mac_of, segment_mac, sign_segment, verify_segment_mac};
pub use mac_input::{OptionCoverage, SegmentAo, feed_mac_input};
pub use master_key::{MAX_MASTER_KEY_LEN, MasterKey, MasterKeyLenError};
pub use mkt::{Mkt, MktTable, lookup_address};
pub use option::{AO_HEADER_LEN, AoLocation, AoOption, AoOptionError, locate};
pub use receive::{AoOutcome, AoSocket, AoSocketState, AoVerdict, RnextRequest, receive};
pub use sne::{SneTracker, segment_sne};
pub use timewait::{TimeWaitAck, timewait_ack};
pub use traffic_keys::{Endpoints, FlowIsns, TrafficKeys, segment_context};
