//! 16 lanes in the 32-bit elements of one AVX-512 register.
#![allow(unsafe_code)]

use core::arch::x86_64::{
    __m512i, _mm512_add_epi32, _mm512_loadu_si512, _mm512_rol_epi32, _mm512_set1_epi32,
    _mm512_setzero_si512, _mm512_shuffle_i32x4, _mm512_storeu_si512, _mm512_ternarylogic_epi32,
    _mm512_unpackhi_epi32, _mm512_unpackhi_epi64, _mm512_unpacklo_epi32, _mm512_unpacklo_epi64,
};

use crate::steps::{K, SHIFT, WORD, md5_steps};

/// Lanes of this kernel.
pub(crate) const LANES: usize = 16;

/// Proof that this CPU has AVX-512F.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx512(());

impl Avx512 {
    /// The token, if the CPU has AVX-512F.
    pub(crate) fn detect() -> Option<Avx512> {
        std::arch::is_x86_feature_detected!("avx512f").then_some(Avx512(()))
    }

    /// Runs `blocks` 64-byte blocks of every lane through the compression
    /// function. Bytes missing from a short lane read as zero.
    pub(crate) fn compress(
        self,
        state: &mut [[u32; LANES]; 4],
        lanes: &[&[u8]; LANES],
        blocks: usize,
    ) {
        // SAFETY: `self` exists only if `detect` found AVX-512F on this CPU,
        // the one feature `compress` enables.
        unsafe { compress(state, lanes, blocks) }
    }
}

/// Block `k` of `lane`, as 16 little-endian words, or zeros past its end.
#[target_feature(enable = "avx512f")]
fn load_block(lane: &[u8], k: usize) -> __m512i {
    match lane.get(k * 64..k * 64 + 64) {
        // SAFETY: `block` is 64 readable bytes; the load is unaligned.
        Some(block) => unsafe { _mm512_loadu_si512(block.as_ptr().cast()) },
        None => _mm512_setzero_si512(),
    }
}

#[target_feature(enable = "avx512f")]
fn load_state(words: &[u32; LANES]) -> __m512i {
    // SAFETY: `words` is 64 readable bytes; the load is unaligned.
    unsafe { _mm512_loadu_si512(words.as_ptr().cast()) }
}

#[target_feature(enable = "avx512f")]
fn store_state(words: &mut [u32; LANES], v: __m512i) {
    // SAFETY: `words` is 64 writable bytes; the store is unaligned.
    unsafe { _mm512_storeu_si512(words.as_mut_ptr().cast(), v) }
}

/// Rows (one block per lane) to columns (one message word per register).
#[target_feature(enable = "avx512f")]
fn transpose(r: [__m512i; 16]) -> [__m512i; 16] {
    let [
        r0,
        r1,
        r2,
        r3,
        r4,
        r5,
        r6,
        r7,
        r8,
        r9,
        r10,
        r11,
        r12,
        r13,
        r14,
        r15,
    ] = r;
    // Pairs of rows interleaved by word, then by pair of words: within each
    // 128-bit lane k, u[4j + w] holds word 4k + w of rows 4j..4j + 4.
    let t0 = _mm512_unpacklo_epi32(r0, r1);
    let t1 = _mm512_unpackhi_epi32(r0, r1);
    let t2 = _mm512_unpacklo_epi32(r2, r3);
    let t3 = _mm512_unpackhi_epi32(r2, r3);
    let t4 = _mm512_unpacklo_epi32(r4, r5);
    let t5 = _mm512_unpackhi_epi32(r4, r5);
    let t6 = _mm512_unpacklo_epi32(r6, r7);
    let t7 = _mm512_unpackhi_epi32(r6, r7);
    let t8 = _mm512_unpacklo_epi32(r8, r9);
    let t9 = _mm512_unpackhi_epi32(r8, r9);
    let t10 = _mm512_unpacklo_epi32(r10, r11);
    let t11 = _mm512_unpackhi_epi32(r10, r11);
    let t12 = _mm512_unpacklo_epi32(r12, r13);
    let t13 = _mm512_unpackhi_epi32(r12, r13);
    let t14 = _mm512_unpacklo_epi32(r14, r15);
    let t15 = _mm512_unpackhi_epi32(r14, r15);
    let u0 = _mm512_unpacklo_epi64(t0, t2);
    let u1 = _mm512_unpackhi_epi64(t0, t2);
    let u2 = _mm512_unpacklo_epi64(t1, t3);
    let u3 = _mm512_unpackhi_epi64(t1, t3);
    let u4 = _mm512_unpacklo_epi64(t4, t6);
    let u5 = _mm512_unpackhi_epi64(t4, t6);
    let u6 = _mm512_unpacklo_epi64(t5, t7);
    let u7 = _mm512_unpackhi_epi64(t5, t7);
    let u8 = _mm512_unpacklo_epi64(t8, t10);
    let u9 = _mm512_unpackhi_epi64(t8, t10);
    let u10 = _mm512_unpacklo_epi64(t9, t11);
    let u11 = _mm512_unpackhi_epi64(t9, t11);
    let u12 = _mm512_unpacklo_epi64(t12, t14);
    let u13 = _mm512_unpackhi_epi64(t12, t14);
    let u14 = _mm512_unpacklo_epi64(t13, t15);
    let u15 = _mm512_unpackhi_epi64(t13, t15);
    // 128-bit lanes 0 and 2 (0x88) or 1 and 3 (0xdd) of two registers.
    let v0 = _mm512_shuffle_i32x4::<0x88>(u0, u4);
    let v1 = _mm512_shuffle_i32x4::<0x88>(u1, u5);
    let v2 = _mm512_shuffle_i32x4::<0x88>(u2, u6);
    let v3 = _mm512_shuffle_i32x4::<0x88>(u3, u7);
    let v4 = _mm512_shuffle_i32x4::<0xdd>(u0, u4);
    let v5 = _mm512_shuffle_i32x4::<0xdd>(u1, u5);
    let v6 = _mm512_shuffle_i32x4::<0xdd>(u2, u6);
    let v7 = _mm512_shuffle_i32x4::<0xdd>(u3, u7);
    let v8 = _mm512_shuffle_i32x4::<0x88>(u8, u12);
    let v9 = _mm512_shuffle_i32x4::<0x88>(u9, u13);
    let v10 = _mm512_shuffle_i32x4::<0x88>(u10, u14);
    let v11 = _mm512_shuffle_i32x4::<0x88>(u11, u15);
    let v12 = _mm512_shuffle_i32x4::<0xdd>(u8, u12);
    let v13 = _mm512_shuffle_i32x4::<0xdd>(u9, u13);
    let v14 = _mm512_shuffle_i32x4::<0xdd>(u10, u14);
    let v15 = _mm512_shuffle_i32x4::<0xdd>(u11, u15);
    [
        _mm512_shuffle_i32x4::<0x88>(v0, v8),
        _mm512_shuffle_i32x4::<0x88>(v1, v9),
        _mm512_shuffle_i32x4::<0x88>(v2, v10),
        _mm512_shuffle_i32x4::<0x88>(v3, v11),
        _mm512_shuffle_i32x4::<0x88>(v4, v12),
        _mm512_shuffle_i32x4::<0x88>(v5, v13),
        _mm512_shuffle_i32x4::<0x88>(v6, v14),
        _mm512_shuffle_i32x4::<0x88>(v7, v15),
        _mm512_shuffle_i32x4::<0xdd>(v0, v8),
        _mm512_shuffle_i32x4::<0xdd>(v1, v9),
        _mm512_shuffle_i32x4::<0xdd>(v2, v10),
        _mm512_shuffle_i32x4::<0xdd>(v3, v11),
        _mm512_shuffle_i32x4::<0xdd>(v4, v12),
        _mm512_shuffle_i32x4::<0xdd>(v5, v13),
        _mm512_shuffle_i32x4::<0xdd>(v6, v14),
        _mm512_shuffle_i32x4::<0xdd>(v7, v15),
    ]
}

#[target_feature(enable = "avx512f")]
fn compress(state: &mut [[u32; LANES]; 4], lanes: &[&[u8]; LANES], blocks: usize) {
    let [s0, s1, s2, s3] = &*state;
    let (mut sa, mut sb, mut sc, mut sd) = (
        load_state(s0),
        load_state(s1),
        load_state(s2),
        load_state(s3),
    );
    // The constants through an opaque reference: LLVM would otherwise add
    // them last, after the round function, lengthening the step's critical
    // path by one add (a + X + K is ready long before f(b, c, d)).
    let k: &[u32; 64] = core::hint::black_box(&K);
    for block in 0..blocks {
        let mut rows = [_mm512_setzero_si512(); 16];
        for (row, lane) in rows.iter_mut().zip(lanes) {
            *row = load_block(lane, block);
        }
        let x = transpose(rows);
        let (mut a, mut b, mut c, mut d) = (sa, sb, sc, sd);
        // The round functions as one ternary-logic instruction each (truth
        // tables of f(b, c, d)) and the rotation as one `vprold`.
        macro_rules! step {
            ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $i:literal) => {
                let t = _mm512_add_epi32(x[const { WORD[$i] }], _mm512_set1_epi32(k[$i] as i32));
                let t = _mm512_add_epi32(_mm512_add_epi32($a, t), fun!($f, $b, $c, $d));
                $a = _mm512_add_epi32($b, _mm512_rol_epi32::<{ SHIFT[$i] as i32 }>(t));
            };
        }
        macro_rules! fun {
            (F, $b:ident, $c:ident, $d:ident) => {
                _mm512_ternarylogic_epi32::<0xca>($b, $c, $d)
            };
            (G, $b:ident, $c:ident, $d:ident) => {
                _mm512_ternarylogic_epi32::<0xe4>($b, $c, $d)
            };
            (H, $b:ident, $c:ident, $d:ident) => {
                _mm512_ternarylogic_epi32::<0x96>($b, $c, $d)
            };
            (I, $b:ident, $c:ident, $d:ident) => {
                _mm512_ternarylogic_epi32::<0x39>($b, $c, $d)
            };
        }
        md5_steps!(step, a, b, c, d);
        sa = _mm512_add_epi32(sa, a);
        sb = _mm512_add_epi32(sb, b);
        sc = _mm512_add_epi32(sc, c);
        sd = _mm512_add_epi32(sd, d);
    }
    let [s0, s1, s2, s3] = state;
    store_state(s0, sa);
    store_state(s1, sb);
    store_state(s2, sc);
    store_state(s3, sd);
}
