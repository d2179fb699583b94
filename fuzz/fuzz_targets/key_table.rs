#![no_main]

libfuzzer_sys::fuzz_target!(|input: tcpmd5_fuzz::targets::KeyTableInput| tcpmd5_fuzz::targets::key_table(&input));
