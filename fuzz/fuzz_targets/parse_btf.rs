//! Fuzz target `parse_btf`: Btf::parse, then every type walked, indexed and round-tripped through BtfBuilder.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| btf_fuzz::parse_btf(data));
