#![no_main]

use tcpmd5_fuzz::targets::ao_keys::{AoKeysInput, run};

libfuzzer_sys::fuzz_target!(|input: AoKeysInput| run(&input));
