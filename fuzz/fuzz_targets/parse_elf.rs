//! Fuzz target `parse_elf`: ElfBtf::parse, then .BTF and .BTF.ext as parse_btf and parse_btf_ext do.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| btf_fuzz::parse_elf(data));
