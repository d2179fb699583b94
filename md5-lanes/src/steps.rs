//! The MD5 compression function (RFC 1321 section 3.4) spelled once, as a
//! table of 64 steps that each kernel expands with its own vector type.

/// The initial state (RFC 1321 section 3.3): A, B, C, D.
pub(crate) const IV: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// `T[i]`: the integer part of `4294967296 * abs(sin(i + 1))`.
pub(crate) const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

/// The message word step `i` adds.
#[allow(clippy::indexing_slicing, reason = "evaluated at compile time")]
pub(crate) const WORD: [usize; 64] = {
    let mut w = [0usize; 64];
    let mut i = 0;
    while i < 64 {
        w[i] = match i / 16 {
            0 => i,
            1 => (5 * i + 1) % 16,
            2 => (3 * i + 5) % 16,
            _ => (7 * i) % 16,
        };
        i += 1;
    }
    w
};

/// The left rotation of step `i`.
#[allow(clippy::indexing_slicing, reason = "evaluated at compile time")]
pub(crate) const SHIFT: [u32; 64] = {
    const S: [[u32; 4]; 4] = [
        [7, 12, 17, 22],
        [5, 9, 14, 20],
        [4, 11, 16, 23],
        [6, 10, 15, 21],
    ];
    let mut s = [0u32; 64];
    let mut i = 0;
    while i < 64 {
        s[i] = S[i / 16][i % 4];
        i += 1;
    }
    s
};

/// Expands the 64 steps. `$step!(F|G|H|I, a, b, c, d, i)` must compute
/// `a = b + rotl(a + fn(b, c, d) + X[WORD[i]] + K[i], SHIFT[i])`.
macro_rules! md5_steps {
    ($step:ident, $a:ident, $b:ident, $c:ident, $d:ident) => {
        $step!(F, $a, $b, $c, $d, 0);
        $step!(F, $d, $a, $b, $c, 1);
        $step!(F, $c, $d, $a, $b, 2);
        $step!(F, $b, $c, $d, $a, 3);
        $step!(F, $a, $b, $c, $d, 4);
        $step!(F, $d, $a, $b, $c, 5);
        $step!(F, $c, $d, $a, $b, 6);
        $step!(F, $b, $c, $d, $a, 7);
        $step!(F, $a, $b, $c, $d, 8);
        $step!(F, $d, $a, $b, $c, 9);
        $step!(F, $c, $d, $a, $b, 10);
        $step!(F, $b, $c, $d, $a, 11);
        $step!(F, $a, $b, $c, $d, 12);
        $step!(F, $d, $a, $b, $c, 13);
        $step!(F, $c, $d, $a, $b, 14);
        $step!(F, $b, $c, $d, $a, 15);
        $step!(G, $a, $b, $c, $d, 16);
        $step!(G, $d, $a, $b, $c, 17);
        $step!(G, $c, $d, $a, $b, 18);
        $step!(G, $b, $c, $d, $a, 19);
        $step!(G, $a, $b, $c, $d, 20);
        $step!(G, $d, $a, $b, $c, 21);
        $step!(G, $c, $d, $a, $b, 22);
        $step!(G, $b, $c, $d, $a, 23);
        $step!(G, $a, $b, $c, $d, 24);
        $step!(G, $d, $a, $b, $c, 25);
        $step!(G, $c, $d, $a, $b, 26);
        $step!(G, $b, $c, $d, $a, 27);
        $step!(G, $a, $b, $c, $d, 28);
        $step!(G, $d, $a, $b, $c, 29);
        $step!(G, $c, $d, $a, $b, 30);
        $step!(G, $b, $c, $d, $a, 31);
        $step!(H, $a, $b, $c, $d, 32);
        $step!(H, $d, $a, $b, $c, 33);
        $step!(H, $c, $d, $a, $b, 34);
        $step!(H, $b, $c, $d, $a, 35);
        $step!(H, $a, $b, $c, $d, 36);
        $step!(H, $d, $a, $b, $c, 37);
        $step!(H, $c, $d, $a, $b, 38);
        $step!(H, $b, $c, $d, $a, 39);
        $step!(H, $a, $b, $c, $d, 40);
        $step!(H, $d, $a, $b, $c, 41);
        $step!(H, $c, $d, $a, $b, 42);
        $step!(H, $b, $c, $d, $a, 43);
        $step!(H, $a, $b, $c, $d, 44);
        $step!(H, $d, $a, $b, $c, 45);
        $step!(H, $c, $d, $a, $b, 46);
        $step!(H, $b, $c, $d, $a, 47);
        $step!(I, $a, $b, $c, $d, 48);
        $step!(I, $d, $a, $b, $c, 49);
        $step!(I, $c, $d, $a, $b, 50);
        $step!(I, $b, $c, $d, $a, 51);
        $step!(I, $a, $b, $c, $d, 52);
        $step!(I, $d, $a, $b, $c, 53);
        $step!(I, $c, $d, $a, $b, 54);
        $step!(I, $b, $c, $d, $a, 55);
        $step!(I, $a, $b, $c, $d, 56);
        $step!(I, $d, $a, $b, $c, 57);
        $step!(I, $c, $d, $a, $b, 58);
        $step!(I, $b, $c, $d, $a, 59);
        $step!(I, $a, $b, $c, $d, 60);
        $step!(I, $d, $a, $b, $c, 61);
        $step!(I, $c, $d, $a, $b, 62);
        $step!(I, $b, $c, $d, $a, 63);
    };
}
pub(crate) use md5_steps;

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1321's step table, rounds 2-4 (round 1 is the identity).
    #[test]
    fn word_and_shift_tables_match_rfc1321() {
        assert_eq!(WORD[16..20], [1, 6, 11, 0]);
        assert_eq!(WORD[32..36], [5, 8, 11, 14]);
        assert_eq!(WORD[48..52], [0, 7, 14, 5]);
        assert_eq!(WORD[63], 9);
        assert_eq!(SHIFT[..4], [7, 12, 17, 22]);
        assert_eq!(SHIFT[60..], [6, 10, 15, 21]);
    }

    /// T[i] = floor(2^32 * |sin(i + 1)|), within float error of the table.
    #[test]
    fn constants_are_the_sine_table() {
        for (i, k) in K.iter().enumerate() {
            let f = ((i + 1) as f64).sin().abs() * 4_294_967_296.0;
            assert_eq!(*k, f as u32, "T[{}]", i + 1);
        }
    }
}
