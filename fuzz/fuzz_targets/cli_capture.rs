#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tcpmd5_fuzz::targets::cli_capture::run(data));
