//! The `kernel_differential` target on inputs libFuzzer has not seen:
//! pseudo-random bytes decoded into cases of both families and every kind,
//! each injected into the live kernel (root, or rootless where user
//! namespaces allow; elsewhere the target prints why and tests nothing).
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test"
)]

use arbitrary::Unstructured;
use tcpmd5::Family;
use tcpmd5_conformance::differential::input::Target;
use tcpmd5_fuzz::targets::kernel_differential::{case, run};

/// A xorshift stream: the same bytes on every run.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn decoding_reaches_every_kind_in_both_families() {
    let families = Family::ALL;
    let mut listener = [false; 2];
    let mut established = [false; 2];
    for seed in 0..400 {
        let data = bytes(seed, 600);
        let Ok((family, input)) = case(&mut Unstructured::new(&data), &families) else {
            continue;
        };
        let slot = usize::from(family == Family::V6);
        match input.target {
            Target::Listener => listener[slot] = true,
            Target::Established(..) => established[slot] = true,
        }
        assert!(input.area.bytes().len() <= 40);
    }
    assert_eq!(listener, [true; 2], "listener SYNs in both families");
    assert_eq!(
        established, [true; 2],
        "established segments in both families"
    );
}

#[test]
fn the_kernel_agrees_on_generated_inputs() {
    for seed in 0..300 {
        run(&bytes(seed, 300 + (seed as usize % 7) * 200));
    }
}
