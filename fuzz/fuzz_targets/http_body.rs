#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cs_fuzz::http_body(data));
