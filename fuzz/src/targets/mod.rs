//! One module per fuzz target, named after it. Each has a `run` function,
//! the target's whole body: `fuzz_targets/<name>.rs` is one line that hands
//! libFuzzer's input to it, and [`ALL`] lists the same entry points over raw
//! bytes for the replay test and for reproducing a crash without libFuzzer.

use arbitrary::{Arbitrary, Unstructured};

pub mod ao_keys;
pub mod ao_mac;
pub mod ao_option;
pub mod auth_scan;
pub mod batch;
pub mod cli_capture;
pub mod cli_explain_input;
pub mod kernel_differential;
pub mod key_sockopt;
pub mod key_table;
pub mod parse_packet;
pub mod receiver;
pub mod sign_verify;
pub mod vector_json;
pub mod verdict;

mod context;
pub mod keyed;
mod spans;

/// A fuzz target: its name (the `[[bin]]` of `Cargo.toml`) and its entry
/// point over the bytes libFuzzer would give it.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The binary's name.
    pub name: &'static str,
    /// Runs one input; panics on a finding.
    pub run: fn(&[u8]),
    /// Whether each input is injected into the live kernel (milliseconds
    /// an input: the replay test feeds it its own seeds only).
    pub live_kernel: bool,
}

/// Every target, in `Cargo.toml` order.
pub const ALL: &[Target] = &[
    Target {
        name: "parse_packet",
        run: parse_packet::run,
        live_kernel: false,
    },
    Target {
        name: "auth_scan",
        run: auth_scan::run,
        live_kernel: false,
    },
    Target {
        name: "sign_verify",
        run: |data| structured(data, sign_verify::run),
        live_kernel: false,
    },
    Target {
        name: "key_table",
        run: |data| structured(data, key_table::run),
        live_kernel: false,
    },
    Target {
        name: "verdict",
        run: verdict::run,
        live_kernel: false,
    },
    Target {
        name: "receiver",
        run: receiver::run,
        live_kernel: false,
    },
    Target {
        name: "key_sockopt",
        run: key_sockopt::run,
        live_kernel: false,
    },
    Target {
        name: "vector_json",
        run: vector_json::run,
        live_kernel: false,
    },
    Target {
        name: "batch",
        run: batch::run,
        live_kernel: false,
    },
    Target {
        name: "ao_keys",
        run: |data| structured(data, ao_keys::run),
        live_kernel: false,
    },
    Target {
        name: "cli_explain_input",
        run: cli_explain_input::run,
        live_kernel: false,
    },
    Target {
        name: "cli_capture",
        run: cli_capture::run,
        live_kernel: false,
    },
    Target {
        name: "ao_option",
        run: ao_option::run,
        live_kernel: false,
    },
    Target {
        name: "ao_mac",
        run: ao_mac::run,
        live_kernel: false,
    },
    Target {
        name: "kernel_differential",
        run: kernel_differential::run,
        live_kernel: true,
    },
];

/// Decodes `data` as `libfuzzer_sys::fuzz_target!` does for a typed input
/// (too short for the type, or not decodable: the input is skipped) and runs
/// `run` on it.
fn structured<T: for<'a> Arbitrary<'a>>(data: &[u8], run: fn(&T)) {
    if data.len() < T::size_hint(0).0 {
        return;
    }
    if let Ok(input) = T::arbitrary_take_rest(Unstructured::new(data)) {
        run(&input);
    }
}
