#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tcpmd5_cli::fuzz::fuzz_entry_explain_input(data));
