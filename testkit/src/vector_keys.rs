//! The keys the published vectors are signed with: lengths 1, 16, 79 and
//! 80, and binary keys with NUL bytes. The crafted-vector generator and the
//! kernel capture (`tcpmd5-conformance capture-vectors`) both use this list,
//! so the two sets cover the same keys under the same names.

use tcpmd5::Key;

/// A key of the vectors, with the name used in vector ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorKey {
    /// Short name used in ids (`k16`, `nul16`, ...).
    pub name: &'static str,
    /// The key.
    pub key: Key,
    /// What it exercises, for vector comments.
    pub what: &'static str,
}

/// Every key of the vectors.
pub fn vector_keys() -> Vec<VectorKey> {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let printable = |n: usize| -> Vec<u8> { ALNUM.iter().copied().cycle().take(n).collect() };
    let binary80: Vec<u8> = (0..80u32).map(|i| (i * 37 % 256) as u8).collect();
    let k = |name, bytes: &[u8], what| {
        Key::new(bytes)
            .ok()
            .map(|key| VectorKey { name, key, what })
    };
    [
        k("k1", b"k", "a 1-byte key"),
        k("k16", b"tcpmd5-vector-16", "a 16-byte ASCII key"),
        k("k79", &printable(79), "a 79-byte ASCII key"),
        k(
            "k80",
            &printable(80),
            "an 80-byte ASCII key (TCP_MD5SIG_MAXKEYLEN)",
        ),
        k(
            "nul16",
            &[
                0x00, 0x01, 0x02, 0x00, 0xff, 0x7f, 0x80, 0x00, 0x10, 0x20, 0x00, 0x00, 0xaa, 0x55,
                0x00, 0x01,
            ],
            "a 16-byte binary key with NUL bytes (first byte NUL)",
        ),
        k(
            "bin80",
            &binary80,
            "an 80-byte binary key (starts with NUL)",
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_names() {
        let keys = vector_keys();
        let lens: Vec<usize> = keys.iter().map(|k| k.key.len()).collect();
        assert_eq!(lens, [1, 16, 79, 80, 16, 80]);
        assert!(
            keys.iter()
                .filter(|k| k.key.as_bytes().contains(&0))
                .count()
                >= 2
        );
    }
}
