//! What a `TCP_MD5SIG` request shows of itself: its option numbers (the
//! kernel's), its Debug (every field but the key) and why a refusal
//! happened.

use core::net::{IpAddr, Ipv4Addr};

use tcpmd5::Key;
use tcpmd5::key_table::{InvalidRequest, KeyTableError, Md5SigOption, Md5SigRequest};

#[test]
fn option_numbers_are_the_kernels() {
    assert_eq!(Md5SigOption::Md5Sig.optname(), libc::TCP_MD5SIG);
    // include/uapi/linux/tcp.h: TCP_MD5SIG_EXT is 32.
    assert_eq!(Md5SigOption::Md5SigExt.optname(), 32);
}

#[test]
fn a_request_debugs_its_fields_but_never_its_key() {
    let request = Md5SigRequest::add(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
        &Key::from_array(b"sekrit-key"),
    );
    let shown = format!("{request:?}");
    assert!(shown.starts_with("Md5SigRequest {"), "{shown}");
    assert!(shown.contains("addr: 192.0.2.7"), "{shown}");
    assert!(shown.contains("keylen: 10"), "{shown}");
    assert!(!shown.contains("sekrit"), "{shown}");
    assert!(!shown.contains("115, 101, 107"), "{shown}");
}

#[test]
fn a_refusal_says_its_errno_and_why() {
    assert_eq!(
        KeyTableError::NoSuchKey.to_string(),
        "ENOENT: no such key to delete"
    );
    assert_eq!(
        KeyTableError::Invalid(InvalidRequest::KeyTooLong { keylen: 81 }).to_string(),
        "EINVAL: key length 81 > 80"
    );
}
