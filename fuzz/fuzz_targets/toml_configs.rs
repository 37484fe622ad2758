//! cargo-fuzz entry for `scamtrends::fuzz_targets::toml_configs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scamtrends::fuzz_targets::toml_configs(data));
