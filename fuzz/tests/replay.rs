//! Every committed seed (`seeds/<target>/*`) through every target's entry
//! point, as libFuzzer would hand it over: a seed of one target is a valid
//! input for all the others, and none may find anything. A target that
//! injects into the live kernel (`kernel_differential`) takes its own seeds
//! only, which keeps the test to seconds. Also checks that
//! [`targets::ALL`] and the `[[bin]]`s of `Cargo.toml` name the same
//! targets, and that the live-kernel ones are named `kernel_*` (how the
//! ci/ scripts tell them apart).
#![allow(clippy::panic, clippy::expect_used, reason = "test")]

use std::fs;
use std::path::{Path, PathBuf};

use tcpmd5_fuzz::targets;

fn fuzz_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `name`s of the `[[bin]]` sections of `Cargo.toml`.
fn cargo_bins() -> Vec<String> {
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("read Cargo.toml");
    let mut bins = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(name) = line.strip_prefix("name = ") {
            bins.push(name.trim_matches('"').to_owned());
        }
    }
    bins
}

fn seeds_of(target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("seeds").join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("seed dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn registry_matches_cargo_toml() {
    let bins = cargo_bins();
    let registered: Vec<&str> = targets::ALL.iter().map(|t| t.name).collect();
    assert!(!bins.is_empty(), "no [[bin]] in Cargo.toml");
    assert_eq!(bins, registered, "Cargo.toml [[bin]]s vs targets::ALL");
    // The ci/ scripts know the live-kernel targets by their name.
    for t in targets::ALL {
        assert_eq!(
            t.live_kernel,
            t.name.starts_with("kernel_"),
            "{}: a target injects into the live kernel exactly when its name starts with kernel_",
            t.name
        );
    }
}

#[test]
fn every_seed_through_every_target() {
    let mut runs = 0usize;
    for owner in targets::ALL {
        let seeds = seeds_of(owner.name);
        assert!(!seeds.is_empty(), "seeds/{} is empty", owner.name);
        for seed in &seeds {
            let data = fs::read(seed).expect("read seed");
            for target in targets::ALL {
                if target.live_kernel && target.name != owner.name {
                    continue;
                }
                let result = std::panic::catch_unwind(|| (target.run)(&data));
                assert!(
                    result.is_ok(),
                    "{} panicked on {} (run `cargo fuzz run {} {}` to reproduce)",
                    target.name,
                    seed.display(),
                    target.name,
                    seed.display()
                );
                runs += 1;
            }
        }
    }
    println!("{runs} seed runs over {} targets", targets::ALL.len());
}
