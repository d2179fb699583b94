//! The AO capture's connections, one row each (run on IPv4 and IPv6):
//! both algorithms, options covered and excluded, master keys of several
//! lengths, KeyIDs 0 and up to 255 with the two ends' IDs different.

use tcpmd5::ao::{Algorithm, OptionCoverage};

/// One connection's MKT pair: the client sends `client_id` and expects
/// `server_id`; the server the other way round.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    /// Names the row in ids (`[a-z0-9-]`).
    pub(super) name: &'static str,
    /// What the row is for.
    pub(super) why: &'static str,
    pub(super) algorithm: Algorithm,
    pub(super) master_key: &'static [u8],
    pub(super) coverage: OptionCoverage,
    /// The client's SendID (the server's RecvID).
    pub(super) client_id: u8,
    /// The server's SendID (the client's RecvID).
    pub(super) server_id: u8,
    /// `maclen` of both MKTs.
    pub(super) mac_len: u8,
    /// Whether the client offers SACK (`net.ipv4.tcp_sack` in its
    /// namespace). A Linux listener with an AO key answers a SYN offering
    /// SACK without timestamps (`tcp_synack_options`), so every later
    /// segment carries the AO option alone and covering options or not
    /// changes nothing; without SACK the timestamps stay on every segment.
    pub(super) client_sack: bool,
}

/// 80 bytes (`TCP_AO_MAXKEYLEN`), binary, with NUL bytes. (Evaluated at
/// compile time: an index out of range would not build.)
#[allow(clippy::indexing_slicing)]
const KEY_80: &[u8; 80] = &{
    let mut k = [0u8; 80];
    let mut i = 0;
    while i < 80 {
        k[i] = ((i * 37 + i * i) % 256) as u8;
        i += 1;
    }
    k
};

pub(super) const ROWS: &[Row] = &[
    Row {
        name: "hmac-sha1-options",
        why: "HMAC-SHA-1-96, options covered, a 14-byte master key",
        algorithm: Algorithm::HmacSha1,
        master_key: b"tcp-ao vectors",
        coverage: OptionCoverage::Included,
        client_id: 1,
        server_id: 2,
        mac_len: 12,
        client_sack: true,
    },
    Row {
        name: "hmac-sha1-no-options",
        why: "HMAC-SHA-1-96, options excluded (TCP_AO_KEYF_EXCLUDE_OPT), an 80-byte binary master key, timestamps on every segment",
        algorithm: Algorithm::HmacSha1,
        master_key: KEY_80,
        coverage: OptionCoverage::Excluded,
        client_id: 200,
        server_id: 7,
        mac_len: 12,
        client_sack: false,
    },
    Row {
        name: "hmac-sha1-mac16",
        why: "HMAC-SHA-1 with a 16-byte MAC (maclen 16), options covered",
        algorithm: Algorithm::HmacSha1,
        master_key: b"sixteen-byte-mac",
        coverage: OptionCoverage::Included,
        client_id: 0,
        server_id: 9,
        mac_len: 16,
        client_sack: true,
    },
    Row {
        name: "aes-cmac-options",
        why: "AES-128-CMAC-96, options covered, a 16-byte master key (used as the KDF key directly), timestamps on every segment",
        algorithm: Algorithm::AesCmac,
        master_key: b"0123456789abcdef",
        coverage: OptionCoverage::Included,
        client_id: 10,
        server_id: 20,
        mac_len: 12,
        client_sack: false,
    },
    Row {
        name: "aes-cmac-no-options",
        why: "AES-128-CMAC-96, options excluded, a 13-byte master key (reduced to 16 by AES-CMAC under a zero key first), timestamps on every segment",
        algorithm: Algorithm::AesCmac,
        master_key: b"odd-length-13",
        coverage: OptionCoverage::Excluded,
        client_id: 255,
        server_id: 128,
        mac_len: 12,
        client_sack: false,
    },
    Row {
        name: "aes-cmac-key-ids-0",
        why: "AES-128-CMAC-96, options covered, a 37-byte master key, KeyID 0 both ways",
        algorithm: Algorithm::AesCmac,
        master_key: b"a master key of thirty-seven bytes...",
        coverage: OptionCoverage::Included,
        client_id: 0,
        server_id: 0,
        mac_len: 12,
        client_sack: true,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rows_cover_what_the_vectors_promise() {
        for alg in Algorithm::ALL {
            for cov in [OptionCoverage::Included, OptionCoverage::Excluded] {
                assert!(
                    ROWS.iter().any(|r| r.algorithm == alg && r.coverage == cov),
                    "{alg:?} {cov:?}"
                );
            }
        }
        assert!(
            ROWS.iter()
                .any(|r| r.algorithm == Algorithm::AesCmac && r.master_key.len() % 2 == 1)
        );
        assert!(
            ROWS.iter()
                .any(|r| r.client_id != 0 && r.server_id != 0 && r.client_id != r.server_id)
        );
        assert!(KEY_80.contains(&0));
        // Options excluded must matter beyond the handshake.
        assert!(
            ROWS.iter()
                .any(|r| r.coverage == OptionCoverage::Excluded && !r.client_sack)
        );
        let mut names: Vec<_> = ROWS.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ROWS.len());
    }
}
