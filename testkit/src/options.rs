//! TCP options by name, so no test spells `[2, 4, 0x05, 0xb4]` or
//! `[19, 18, ...]` by hand. The kinds are the library's
//! (`tcpmd5::wire::tcp_option::kind`).

pub use tcpmd5::wire::tcp_option::MD5_OPTION_LEN;
pub use tcpmd5::wire::tcp_option::kind::{
    AO, EOL, MD5, MSS, NOP, SACK, SACK_PERMITTED, TIMESTAMPS, WINDOW_SCALE,
};

/// An MD5 option (kind 19, length 18) carrying `digest`.
pub fn md5(digest: [u8; 16]) -> Vec<u8> {
    let mut o = vec![MD5, MD5_OPTION_LEN as u8];
    o.extend(digest);
    o
}

/// An MD5 option with a zero digest, for a signer to fill.
pub fn md5_placeholder() -> Vec<u8> {
    md5([0; 16])
}

/// NOP NOP and an MD5 placeholder: the 20 bytes Linux puts first.
pub fn linux_md5_placeholder() -> Vec<u8> {
    cat(&[&[NOP, NOP], &md5_placeholder()])
}

/// An MD5 option whose length byte is `len` (the body is `len - 2` zero
/// bytes, none if `len < 2`).
pub fn md5_with_len(len: u8) -> Vec<u8> {
    let mut o = vec![MD5, len];
    o.extend(vec![0u8; usize::from(len.saturating_sub(2))]);
    o
}

/// MSS (kind 2, length 4).
pub fn mss(mss: u16) -> Vec<u8> {
    cat(&[&[MSS, 4], &mss.to_be_bytes()])
}

/// The common MSS of 1460.
pub fn mss_1460() -> Vec<u8> {
    mss(1460)
}

/// Window scale (kind 3, length 3).
pub fn window_scale(shift: u8) -> Vec<u8> {
    vec![WINDOW_SCALE, 3, shift]
}

/// SACK-permitted (kind 4, length 2).
pub fn sack_permitted() -> Vec<u8> {
    vec![SACK_PERMITTED, 2]
}

/// Timestamps (kind 8, length 10).
pub fn timestamps(value: u32, echo: u32) -> Vec<u8> {
    cat(&[&[TIMESTAMPS, 10], &value.to_be_bytes(), &echo.to_be_bytes()])
}

/// SACK (kind 5) with the given blocks.
pub fn sack(blocks: &[(u32, u32)]) -> Vec<u8> {
    let mut o = vec![SACK, (2 + 8 * blocks.len()) as u8];
    for (l, r) in blocks {
        o.extend(l.to_be_bytes());
        o.extend(r.to_be_bytes());
    }
    o
}

/// A TCP-AO option (kind 29) of length `len` (at least 4): key ids 1 and 2,
/// then `len - 4` MAC bytes `0xa4, 0xa5, ...`.
pub fn ao(len: u8) -> Vec<u8> {
    let mut o = vec![AO, len, 1, 2];
    o.extend((4..len).map(|i| 0xa0 | i));
    o
}

/// A TCP-AO option with a 12-byte MAC of `0xa5` (length 16).
pub fn ao_16() -> Vec<u8> {
    let mut o = vec![AO, 16, 1, 2];
    o.extend([0xa5; 12]);
    o
}

/// The concatenation of `parts`.
pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// `area` padded with NOPs to a multiple of 4.
pub fn pad_nop(mut area: Vec<u8>) -> Vec<u8> {
    while !area.len().is_multiple_of(4) {
        area.push(NOP);
    }
    area
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_have_their_wire_form() {
        assert_eq!(mss_1460(), [2, 4, 0x05, 0xb4]);
        assert_eq!(linux_md5_placeholder()[..4], [1, 1, 19, 18]);
        assert_eq!(linux_md5_placeholder().len(), 20);
        assert_eq!(window_scale(7), [3, 3, 7]);
        assert_eq!(timestamps(1, 2), [8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
        assert_eq!(sack(&[(1, 2)]), [5, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
        assert_eq!(ao(6), [29, 6, 1, 2, 0xa4, 0xa5]);
        assert_eq!(md5_with_len(17).len(), 17);
        assert_eq!(pad_nop(vec![4, 2]), [4, 2, 1, 1]);
    }
}
