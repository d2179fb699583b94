#![no_main]

use tcpmd5_fuzz::targets::sign_verify::{SignInput, run};

libfuzzer_sys::fuzz_target!(|input: SignInput| run(&input));
