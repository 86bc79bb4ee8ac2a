//! Fuzz target `parse_btf_ext`: BtfExt::parse, then every record decoded.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| btf_fuzz::parse_btf_ext(data));
