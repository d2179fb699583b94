#![no_main]

libfuzzer_sys::fuzz_target!(|input: tcpmd5_fuzz::targets::SignInput| tcpmd5_fuzz::targets::sign_verify(&input));
