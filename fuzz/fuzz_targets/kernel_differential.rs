#![no_main]

use tcpmd5_fuzz::targets::kernel_differential::{init, run};

libfuzzer_sys::fuzz_target!(init: init(), |data: &[u8]| run(data));

/// AddressSanitizer's defaults for this target: no stack trace recorded at
/// each allocation (`malloc_context_size=0`). Recording one for every
/// allocation of the harness was about a tenth of an input's CPU time; a
/// report still shows where the bad access happened. `ASAN_OPTIONS`
/// overrides it.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn __asan_default_options() -> *const std::ffi::c_char {
    c"malloc_context_size=0".as_ptr()
}
