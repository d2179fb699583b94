//! The SIMD kernels. Each is reachable only through a token type that can
//! be made only after `is_x86_feature_detected!` saw its features, so the
//! safe `compress` methods can call the `#[target_feature]` functions.

mod avx2;
mod avx512;

pub(crate) use avx2::Avx2;
pub(crate) use avx512::Avx512;
