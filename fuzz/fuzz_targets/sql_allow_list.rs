//! cargo-fuzz entry for `scamtrends::fuzz_targets::sql_allow_list`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scamtrends::fuzz_targets::sql_allow_list(data));
