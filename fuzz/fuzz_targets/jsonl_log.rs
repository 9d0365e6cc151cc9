#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cs_fuzz::jsonl_log(data));
