//! Fuzz target `dedup`: dedup of a BTF never panics, and a DedupStream fed
//! the same types in small batches gives the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| btf_fuzz::dedup(data));
