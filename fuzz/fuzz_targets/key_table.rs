#![no_main]

use tcpmd5_fuzz::targets::key_table::{KeyTableInput, run};

libfuzzer_sys::fuzz_target!(|input: KeyTableInput| run(&input));
