//! Fuzz target `parse_split`: the input cut in two (first two bytes: where): base, then split BTF on it.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| btf_fuzz::parse_split(data));
