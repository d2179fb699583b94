//! The per-socket key table of `TCP_MD5SIG` / `TCP_MD5SIG_EXT`, as Linux
//! keeps it (`tcp_v4_parse_md5_keys`, `tcp_v6_parse_md5_keys`,
//! `tcp_md5_do_add`, `tcp_md5_do_del`, `__tcp_md5_do_lookup`).
//!
//! Requests are the raw bytes of `struct tcp_md5sig`, read the way the
//! kernel reads them, so the same bytes can be handed to `setsockopt` and to
//! this model and the answers compared.

mod error;
mod request;
mod table;

pub use error::{InvalidRequest, KeyTableError};
pub use request::{
    AF_INET, AF_INET6, FLAG_IFINDEX, FLAG_PREFIX, Md5SigOption, Md5SigRequest, TCP_MD5SIG,
    TCP_MD5SIG_EXT, TCP_MD5SIG_LEN,
};
pub use table::{KeyChange, KeyEntry, KeyTable, L3Devices};
