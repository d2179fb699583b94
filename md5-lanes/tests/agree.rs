//! Every kernel agrees with the md-5 crate, on every message length around
//! the block and padding boundaries, on messages split into parts anywhere,
//! and on random batches of mixed lengths (lanes refilled mid-batch).
//! A kernel this CPU lacks is skipped with a printed reason.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use md5::{Digest as _, Md5};
use md5_lanes::{Kernel, LengthMismatch, Md5Lanes, Unsupported};
use proptest::prelude::*;

fn reference(parts: &[&[u8]]) -> [u8; 16] {
    let mut m = Md5::new();
    for p in parts {
        m.update(p);
    }
    m.finalize().into()
}

/// The kernels this CPU runs; prints why the others are skipped.
fn kernels() -> Vec<Md5Lanes> {
    Kernel::ALL
        .into_iter()
        .filter_map(|k| match Md5Lanes::with_kernel(k) {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("SKIP kernel: {e}");
                None
            }
        })
        .collect()
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn rfc1321_test_suite() {
    let suite: [(&str, &str); 7] = [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        (
            "abcdefghijklmnopqrstuvwxyz",
            "c3fcd3d76192e4007dfb496cca67e13b",
        ),
        (
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "d174ab98d277d9f5a5611c2c9f419d9f",
        ),
        (
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
            "57edf4a22be3c955ac49da2e2107b67a",
        ),
    ];
    for lanes in kernels() {
        let msgs: Vec<[&[u8]; 1]> = suite.iter().map(|(m, _)| [m.as_bytes()]).collect();
        for (d, (m, want)) in lanes.digest(&msgs).iter().zip(suite) {
            let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, want, "{} on {m:?}", lanes.kernel());
        }
    }
}

#[test]
fn every_length_to_300_in_one_batch() {
    let data: Vec<Vec<u8>> = (0..300).map(|n| bytes(n, n as u8)).collect();
    let msgs: Vec<[&[u8]; 1]> = data.iter().map(|d| [d.as_slice()]).collect();
    for lanes in kernels() {
        for (n, (d, m)) in lanes.digest(&msgs).iter().zip(&msgs).enumerate() {
            assert_eq!(*d, reference(m), "{} len {n}", lanes.kernel());
        }
    }
}

#[test]
fn parts_split_anywhere() {
    let data = bytes(200, 7);
    let mut msgs = Vec::new();
    for a in (0..=200).step_by(13) {
        for b in (a..=200).step_by(29) {
            msgs.push([&data[..a], &data[a..b], &[][..], &data[b..]]);
        }
    }
    for lanes in kernels() {
        for (d, m) in lanes.digest(&msgs).iter().zip(&msgs) {
            assert_eq!(*d, reference(m), "{}", lanes.kernel());
        }
    }
}

#[test]
fn fewer_messages_than_lanes_and_none() {
    let data = bytes(1000, 1);
    for lanes in kernels() {
        assert!(lanes.digest::<[&[u8]; 1]>(&[]).is_empty());
        let one = lanes.digest(&[[&data[..]]]);
        assert_eq!(one, [reference(&[&data])], "{}", lanes.kernel());
    }
}

#[test]
fn digest_into_checks_the_output_length() {
    let lanes = Md5Lanes::new();
    let mut out = [[0u8; 16]; 1];
    assert_eq!(
        lanes.digest_into(&[[&b"a"[..]], [b"b"]], &mut out),
        Err(LengthMismatch {
            messages: 2,
            digests: 1
        })
    );
    lanes.digest_into(&[[&b"a"[..]]], &mut out).unwrap();
    assert_eq!(out, [reference(&[b"a"])]);
}

#[test]
fn best_is_the_widest_supported() {
    let best = Kernel::best();
    assert!(best.is_supported());
    for k in Kernel::ALL {
        if k.lanes() > best.lanes() {
            assert!(!k.is_supported(), "{k} is wider than {best}");
        }
        assert_eq!(Kernel::from_name(k.name()), Some(k));
    }
    println!("best kernel here: {best}");
}

// The names, widths and messages people and benchmarks read.
#[test]
fn kernels_name_themselves_and_their_width() {
    let rows = [
        (Kernel::Scalar, "scalar", 1),
        (Kernel::Avx2, "avx2", 16),
        (Kernel::Avx512, "avx512", 16),
    ];
    assert_eq!(rows.map(|r| r.0), Kernel::ALL);
    for (k, name, lanes) in rows {
        assert_eq!(
            (k.name(), k.to_string(), k.lanes()),
            (name, name.to_owned(), lanes)
        );
        assert_eq!(Kernel::from_name(name), Some(k));
        assert_eq!(k.is_supported(), Md5Lanes::with_kernel(k).is_ok(), "{k}");
    }
    assert_eq!(Kernel::from_name("avx"), None);
    assert!(Kernel::Scalar.is_supported());
    assert_eq!(
        Unsupported {
            kernel: Kernel::Avx512
        }
        .to_string(),
        "this CPU cannot run the avx512 MD5 kernel"
    );
    assert_eq!(
        LengthMismatch {
            messages: 3,
            digests: 2
        }
        .to_string(),
        "3 messages but room for 2 digests"
    );
}

// A kernel is offered exactly where the CPU has its instructions.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[test]
fn kernels_are_supported_where_the_cpu_has_their_features() {
    assert_eq!(
        Kernel::Avx2.is_supported(),
        std::arch::is_x86_feature_detected!("avx2")
    );
    assert_eq!(
        Kernel::Avx512.is_supported(),
        std::arch::is_x86_feature_detected!("avx512f")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random batches: lengths from 0 to 10000 (mostly short, like a
    /// capture), each message split in up to four parts.
    #[test]
    fn random_batches_agree(
        specs in prop::collection::vec(
            (prop_oneof![3 => 0usize..200, 1 => 0usize..10_000], any::<u8>(), any::<[u16; 3]>()),
            0..80,
        )
    ) {
        let data: Vec<Vec<u8>> = specs.iter().map(|&(n, s, _)| bytes(n, s)).collect();
        let msgs: Vec<Vec<&[u8]>> = data
            .iter()
            .zip(&specs)
            .map(|(d, (n, _, cuts))| {
                let mut cuts: Vec<usize> = cuts.iter().map(|&c| usize::from(c) % (n + 1)).collect();
                cuts.sort_unstable();
                vec![&d[..cuts[0]], &d[cuts[0]..cuts[1]], &d[cuts[1]..cuts[2]], &d[cuts[2]..]]
            })
            .collect();
        let want: Vec<[u8; 16]> = msgs.iter().map(|m| reference(m)).collect();
        for lanes in kernels() {
            prop_assert_eq!(&lanes.digest(&msgs), &want, "{}", lanes.kernel());
        }
    }
}
