//! cargo-fuzz entry for `scamtrends::fuzz_targets::python_literal`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scamtrends::fuzz_targets::python_literal(data));
