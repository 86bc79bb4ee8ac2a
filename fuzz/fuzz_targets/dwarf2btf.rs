//! Fuzz target `dwarf2btf`: btf_dwarf::encode on an ELF file, or on raw DWARF
//! sections (see crates/btf-dwarf/tests/fuzz_body/mod.rs, which holds the
//! body and which crates/btf-dwarf/tests/hostile.rs replays on stable).

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/btf-dwarf/tests/fuzz_body/mod.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::dwarf2btf(data));
