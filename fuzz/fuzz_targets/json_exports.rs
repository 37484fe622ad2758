//! cargo-fuzz entry for `scamtrends::fuzz_targets::json_exports`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scamtrends::fuzz_targets::json_exports(data));
