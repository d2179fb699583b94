//! One lane in plain `u32` arithmetic: the fallback on every architecture,
//! and the path Miri can run.

use crate::steps::{K, SHIFT, WORD, md5_steps};

/// Lanes of this kernel.
pub(crate) const LANES: usize = 1;

/// Runs `blocks` 64-byte blocks of the lane through the compression
/// function. Bytes missing from a short lane read as zero.
pub(crate) fn compress(state: &mut [[u32; LANES]; 4], lanes: &[&[u8]; LANES], blocks: usize) {
    let [[mut sa], [mut sb], [mut sc], [mut sd]] = *state;
    let [lane] = *lanes;
    for k in 0..blocks {
        let mut x = [0u32; 16];
        let block = lane.get(k * 64..k * 64 + 64).unwrap_or(&[]);
        let (words, _) = block.as_chunks::<4>();
        for (w, bytes) in x.iter_mut().zip(words) {
            *w = u32::from_le_bytes(*bytes);
        }
        let (mut a, mut b, mut c, mut d) = (sa, sb, sc, sd);
        macro_rules! step {
            ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $i:literal) => {
                $a = $b.wrapping_add(
                    $a.wrapping_add(fun!($f, $b, $c, $d))
                        .wrapping_add(x[const { WORD[$i] }])
                        .wrapping_add(K[$i])
                        .rotate_left(SHIFT[$i]),
                );
            };
        }
        macro_rules! fun {
            (F, $b:ident, $c:ident, $d:ident) => {
                (($c ^ $d) & $b) ^ $d
            };
            (G, $b:ident, $c:ident, $d:ident) => {
                (($b ^ $c) & $d) ^ $c
            };
            (H, $b:ident, $c:ident, $d:ident) => {
                $b ^ $c ^ $d
            };
            (I, $b:ident, $c:ident, $d:ident) => {
                $c ^ ($b | !$d)
            };
        }
        md5_steps!(step, a, b, c, d);
        sa = sa.wrapping_add(a);
        sb = sb.wrapping_add(b);
        sc = sc.wrapping_add(c);
        sd = sd.wrapping_add(d);
    }
    *state = [[sa], [sb], [sc], [sd]];
}
