#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tcpmd5_fuzz::targets::ao_mac::run(data));
