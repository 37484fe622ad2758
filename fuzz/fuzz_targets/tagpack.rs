//! cargo-fuzz entry for `scamtrends::fuzz_targets::tagpack`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scamtrends::fuzz_targets::tagpack(data));
