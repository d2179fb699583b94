#![no_main]

use tcpmd5_fuzz::targets::kernel_differential::{init, run};

libfuzzer_sys::fuzz_target!(init: init(), |data: &[u8]| run(data));
