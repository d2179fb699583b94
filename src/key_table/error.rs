//! Why the kernel refuses a `TCP_MD5SIG` request.

use core::fmt;

use crate::key::MAX_KEY_LEN;

/// Why the kernel refuses a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyTableError {
    /// `EINVAL`, with the check that failed.
    Invalid(InvalidRequest),
    /// `ENOENT`: deleting a key that does not exist.
    NoSuchKey,
}

/// Which check of the request failed with `EINVAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvalidRequest {
    /// `optlen` shorter than `struct tcp_md5sig`.
    ShortOptlen {
        /// The length required.
        expected_len: usize,
        /// The length given.
        actual_len: usize,
    },
    /// `sa_family` is not the socket's family.
    WrongFamily {
        /// The socket's family.
        expected: u16,
        /// The family given.
        actual: u16,
    },
    /// `tcpm_keylen` above 80.
    KeyTooLong {
        /// The length given.
        keylen: u16,
    },
    /// `tcpm_prefixlen` beyond the address (32, 128, or 32 for v4-mapped).
    PrefixTooLong {
        /// The prefix length given.
        prefixlen: u8,
        /// The largest allowed.
        max: u8,
    },
    /// `FLAG_IFINDEX` with an ifindex that is not an L3 master (VRF) device.
    NotL3Master {
        /// The ifindex given.
        ifindex: i32,
    },
}

impl KeyTableError {
    /// The errno number (Linux, x86-64).
    pub fn errno(self) -> i32 {
        match self {
            KeyTableError::Invalid(_) => 22,
            KeyTableError::NoSuchKey => 2,
        }
    }

    /// The errno name.
    pub fn errno_name(self) -> &'static str {
        match self {
            KeyTableError::Invalid(_) => "EINVAL",
            KeyTableError::NoSuchKey => "ENOENT",
        }
    }
}

impl fmt::Display for KeyTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyTableError::NoSuchKey => f.write_str("ENOENT: no such key to delete"),
            KeyTableError::Invalid(why) => {
                f.write_str("EINVAL: ")?;
                match why {
                    InvalidRequest::ShortOptlen {
                        expected_len,
                        actual_len,
                    } => write!(f, "optlen {actual_len} < {expected_len}"),
                    InvalidRequest::WrongFamily { expected, actual } => {
                        write!(f, "address family {actual}, socket is {expected}")
                    }
                    InvalidRequest::KeyTooLong { keylen } => {
                        write!(f, "key length {keylen} > {MAX_KEY_LEN}")
                    }
                    InvalidRequest::PrefixTooLong { prefixlen, max } => {
                        write!(f, "prefix length {prefixlen} > {max}")
                    }
                    InvalidRequest::NotL3Master { ifindex } => {
                        write!(f, "ifindex {ifindex} is not an L3 master device")
                    }
                }
            }
        }
    }
}

impl std::error::Error for KeyTableError {}

impl From<InvalidRequest> for KeyTableError {
    fn from(why: InvalidRequest) -> KeyTableError {
        KeyTableError::Invalid(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The errno a refused request answers with is the kernel's (setsockopt
    /// returns it; the conformance suite compares it with the model's).
    #[test]
    fn each_refusal_has_the_kernels_errno() {
        let invalid = KeyTableError::Invalid(InvalidRequest::KeyTooLong { keylen: 81 });
        assert_eq!(
            (invalid.errno(), invalid.errno_name()),
            (libc::EINVAL, "EINVAL")
        );
        assert_eq!(
            (
                KeyTableError::NoSuchKey.errno(),
                KeyTableError::NoSuchKey.errno_name()
            ),
            (libc::ENOENT, "ENOENT")
        );
    }
}
