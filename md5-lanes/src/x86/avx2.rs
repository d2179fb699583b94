//! 8 lanes in the 32-bit elements of an AVX2 register, two registers side
//! by side: 16 messages (no AVX-512 instruction, so it runs on any x86-64
//! with AVX2).
#![allow(unsafe_code)]

use core::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_and_si256, _mm256_loadu_si256, _mm256_or_si256,
    _mm256_permute2x128_si256, _mm256_set1_epi32, _mm256_setzero_si256, _mm256_slli_epi32,
    _mm256_srli_epi32, _mm256_storeu_si256, _mm256_unpackhi_epi32, _mm256_unpackhi_epi64,
    _mm256_unpacklo_epi32, _mm256_unpacklo_epi64, _mm256_xor_si256,
};

use crate::steps::{K, SHIFT, WORD, md5_steps};

/// Registers hashed side by side: one 8-lane chain alone waits on its
/// latency (six dependent instructions a step without AVX-512's ternary
/// logic and rotate); two chains keep the vector ports busy.
const GROUPS: usize = 2;

/// Lanes of this kernel.
pub(crate) const LANES: usize = 8 * GROUPS;

/// Proof that this CPU has AVX2.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2(());

impl Avx2 {
    /// The token, if the CPU has AVX2.
    pub(crate) fn detect() -> Option<Avx2> {
        std::arch::is_x86_feature_detected!("avx2").then_some(Avx2(()))
    }

    /// Runs `blocks` 64-byte blocks of every lane through the compression
    /// function. Bytes missing from a short lane read as zero.
    pub(crate) fn compress(
        self,
        state: &mut [[u32; LANES]; 4],
        lanes: &[&[u8]; LANES],
        blocks: usize,
    ) {
        // SAFETY: `self` exists only if `detect` found AVX2 on this CPU, the
        // one feature `compress` enables.
        unsafe { compress(state, lanes, blocks) }
    }
}

/// Half `h` (words 8h..8h + 8) of block `k` of `lane`, or zeros past its end.
#[target_feature(enable = "avx2")]
fn load_half(lane: &[u8], k: usize, h: usize) -> __m256i {
    let at = k * 64 + h * 32;
    match lane.get(at..at + 32) {
        // SAFETY: `half` is 32 readable bytes; the load is unaligned.
        Some(half) => unsafe { _mm256_loadu_si256(half.as_ptr().cast()) },
        None => _mm256_setzero_si256(),
    }
}

#[target_feature(enable = "avx2")]
fn load_state(words: &[u32; 8]) -> __m256i {
    // SAFETY: `words` is 32 readable bytes; the load is unaligned.
    unsafe { _mm256_loadu_si256(words.as_ptr().cast()) }
}

#[target_feature(enable = "avx2")]
fn store_state(words: &mut [u32; 8], v: __m256i) {
    // SAFETY: `words` is 32 writable bytes; the store is unaligned.
    unsafe { _mm256_storeu_si256(words.as_mut_ptr().cast(), v) }
}

/// Eight rows of eight words to eight columns.
#[target_feature(enable = "avx2")]
fn transpose(r: [__m256i; 8]) -> [__m256i; 8] {
    let [r0, r1, r2, r3, r4, r5, r6, r7] = r;
    let t0 = _mm256_unpacklo_epi32(r0, r1);
    let t1 = _mm256_unpackhi_epi32(r0, r1);
    let t2 = _mm256_unpacklo_epi32(r2, r3);
    let t3 = _mm256_unpackhi_epi32(r2, r3);
    let t4 = _mm256_unpacklo_epi32(r4, r5);
    let t5 = _mm256_unpackhi_epi32(r4, r5);
    let t6 = _mm256_unpacklo_epi32(r6, r7);
    let t7 = _mm256_unpackhi_epi32(r6, r7);
    // Within each 128-bit half h, u[w] holds word 4h + w of rows 0..4
    // (u0..u3) or 4..8 (u4..u7).
    let u0 = _mm256_unpacklo_epi64(t0, t2);
    let u1 = _mm256_unpackhi_epi64(t0, t2);
    let u2 = _mm256_unpacklo_epi64(t1, t3);
    let u3 = _mm256_unpackhi_epi64(t1, t3);
    let u4 = _mm256_unpacklo_epi64(t4, t6);
    let u5 = _mm256_unpackhi_epi64(t4, t6);
    let u6 = _mm256_unpacklo_epi64(t5, t7);
    let u7 = _mm256_unpackhi_epi64(t5, t7);
    [
        _mm256_permute2x128_si256::<0x20>(u0, u4),
        _mm256_permute2x128_si256::<0x20>(u1, u5),
        _mm256_permute2x128_si256::<0x20>(u2, u6),
        _mm256_permute2x128_si256::<0x20>(u3, u7),
        _mm256_permute2x128_si256::<0x31>(u0, u4),
        _mm256_permute2x128_si256::<0x31>(u1, u5),
        _mm256_permute2x128_si256::<0x31>(u2, u6),
        _mm256_permute2x128_si256::<0x31>(u3, u7),
    ]
}

#[target_feature(enable = "avx2")]
fn compress(state: &mut [[u32; LANES]; 4], lanes: &[&[u8]; LANES], blocks: usize) {
    let zero = _mm256_setzero_si256();
    // s[w][g]: state word w of group g.
    let mut s = [[zero; GROUPS]; 4];
    for (sw, words) in s.iter_mut().zip(&*state) {
        for (v, group) in sw.iter_mut().zip(words.as_chunks::<8>().0) {
            *v = load_state(group);
        }
    }
    // The constants through an opaque reference: LLVM would otherwise add
    // them last, after the round function, lengthening the step's critical
    // path by one add (a + X + K is ready long before f(b, c, d)).
    let k: &[u32; 64] = core::hint::black_box(&K);
    let ones = _mm256_set1_epi32(-1);
    for block in 0..blocks {
        // x[g][w]: message word w of group g's lanes.
        let mut x = [[zero; 16]; GROUPS];
        for (xg, group) in x.iter_mut().zip(lanes.as_chunks::<8>().0) {
            let mut lo = [zero; 8];
            let mut hi = [zero; 8];
            for ((l, h), lane) in lo.iter_mut().zip(hi.iter_mut()).zip(group) {
                *l = load_half(lane, block, 0);
                *h = load_half(lane, block, 1);
            }
            let (first, second) = xg.split_at_mut(8);
            first.copy_from_slice(&transpose(lo));
            second.copy_from_slice(&transpose(hi));
        }
        let [mut a, mut b, mut c, mut d] = s;
        // One step for each group: two independent dependency chains, so
        // one group's adds and shifts fill the other's latency.
        macro_rules! step {
            ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $i:literal) => {
                group_step!($f, $a, $b, $c, $d, $i, 0);
                group_step!($f, $a, $b, $c, $d, $i, 1);
            };
        }
        macro_rules! group_step {
            ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $i:literal, $g:literal) => {
                let t =
                    _mm256_add_epi32(x[$g][const { WORD[$i] }], _mm256_set1_epi32(k[$i] as i32));
                let t = _mm256_add_epi32(
                    _mm256_add_epi32($a[$g], t),
                    fun!($f, $b[$g], $c[$g], $d[$g]),
                );
                let r = _mm256_or_si256(
                    _mm256_slli_epi32::<{ SHIFT[$i] as i32 }>(t),
                    _mm256_srli_epi32::<{ 32 - SHIFT[$i] as i32 }>(t),
                );
                $a[$g] = _mm256_add_epi32($b[$g], r);
            };
        }
        macro_rules! fun {
            (F, $b:expr, $c:expr, $d:expr) => {
                _mm256_xor_si256(_mm256_and_si256(_mm256_xor_si256($c, $d), $b), $d)
            };
            (G, $b:expr, $c:expr, $d:expr) => {
                _mm256_xor_si256(_mm256_and_si256(_mm256_xor_si256($b, $c), $d), $c)
            };
            (H, $b:expr, $c:expr, $d:expr) => {
                _mm256_xor_si256(_mm256_xor_si256($b, $c), $d)
            };
            (I, $b:expr, $c:expr, $d:expr) => {
                _mm256_xor_si256($c, _mm256_or_si256($b, _mm256_xor_si256($d, ones)))
            };
        }
        md5_steps!(step, a, b, c, d);
        for (sw, new) in s.iter_mut().zip([a, b, c, d]) {
            for (v, n) in sw.iter_mut().zip(new) {
                *v = _mm256_add_epi32(*v, n);
            }
        }
    }
    for (words, sw) in state.iter_mut().zip(s) {
        for (group, v) in words.as_chunks_mut::<8>().0.iter_mut().zip(sw) {
            store_state(group, v);
        }
    }
}
