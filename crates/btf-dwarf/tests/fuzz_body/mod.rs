//! The body of the `dwarf2btf` fuzz target (fuzz/fuzz_targets/dwarf2btf.rs
//! includes this file by path), so that `cargo test` on stable replays the
//! corpus through exactly the fuzzed code.
//!
//! Input: an ELF file (starts with `\x7fELF`), converted as
//! `btfkit dwarf2btf` would; or raw DWARF sections, as
//! `[u16 LE abbrev length][.debug_abbrev][u16 LE str length][.debug_str]
//! [.debug_info…]`, which lets the fuzzer work on DWARF without first
//! getting an ELF file right. Either may fail with an error; it must not
//! panic (nor fail with `Error::Internal`, a caught panic), and whatever it produces must be BTF btf-core can read back.

#![allow(dead_code)]

use btf_core::dedup::DedupOptions;
use btf_dwarf::{
    encode, encode_dedup, encode_dwarf, encode_dwarf_dedup, Encoded, EncodedDeduped, Error,
    NoProgress, Options, RawDwarf, RustNames, Schedule,
};

/// Runs one input.
pub fn dwarf2btf(data: &[u8]) {
    for rust_names in [RustNames::Sanitize, RustNames::Keep] {
        let options = Options {
            jobs: 1,
            rust_names,
            ..Options::default()
        };
        let raw = if data.starts_with(b"\x7fELF") {
            None
        } else {
            let Some(raw) = split(data) else { return };
            Some(raw)
        };
        let result = match &raw {
            None => encode(data, &options, None, &NoProgress),
            Some(raw) => encode_dwarf(raw, &options),
        };
        if !judge(result) {
            continue;
        }
        // Deduplicated while decoding or afterwards: the same bytes (the
        // streaming dedup relies on every name having one offset).
        let dedup = |schedule| {
            let opts = DedupOptions {
                jobs: 1,
                ..DedupOptions::default()
            };
            match &raw {
                None => encode_dedup(data, &options, &opts, schedule, None, &NoProgress),
                Some(raw) => encode_dwarf_dedup(raw, &options, &opts, schedule),
            }
        };
        match (dedup(Schedule::After), dedup(Schedule::Overlapped)) {
            (Ok(a), Ok(b)) => assert!(
                deduped_bytes(&a) == deduped_bytes(&b),
                "dedup while decoding differs from dedup afterwards"
            ),
            (Err(e @ Error::Internal { .. }), _) | (_, Err(e @ Error::Internal { .. })) => {
                panic!("{e}")
            }
            (a, b) => assert_eq!(a.is_ok(), b.is_ok(), "one schedule failed, the other not"),
        }
    }
}

fn deduped_bytes(d: &EncodedDeduped) -> Vec<u8> {
    d.deduped
        .builder
        .write(d.endian)
        .expect("a deduplicated BTF must encode")
}

/// Ordinary errors are fine; a caught decoder panic is a bug the fuzzer
/// must report, and so is output btf-core cannot read back. Returns
/// whether there was output.
pub fn judge(result: Result<Encoded, Error>) -> bool {
    match result {
        Ok(encoded) => {
            check(encoded);
            true
        }
        Err(e @ Error::Internal { .. }) => panic!("{e}"),
        Err(_) => false,
    }
}

/// Raw sections from the fuzzer's layout.
fn split(data: &[u8]) -> Option<RawDwarf<'_>> {
    let (abbrev, rest) = take_prefixed(data)?;
    let (strs, info) = take_prefixed(rest)?;
    Some(RawDwarf {
        debug_info: info,
        debug_abbrev: abbrev,
        debug_str: strs,
        ..RawDwarf::default()
    })
}

fn take_prefixed(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = usize::from(u16::from_le_bytes([*data.first()?, *data.get(1)?]));
    let body = data.get(2..2 + len)?;
    Some((body, &data[2 + len..]))
}

/// The output must be BTF btf-core reads back.
fn check(encoded: Encoded) {
    let bytes = encoded
        .builder
        .write(encoded.endian)
        .expect("a converted BTF must encode");
    if let Err(e) = btf_core::Btf::parse(&bytes) {
        panic!("btfkit wrote BTF it cannot read back: {e}");
    }
}

/// Builds the raw layout from sections (for seeds and tests).
pub fn raw_input(abbrev: &[u8], strs: &[u8], info: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&(abbrev.len() as u16).to_le_bytes());
    v.extend_from_slice(abbrev);
    v.extend_from_slice(&(strs.len() as u16).to_le_bytes());
    v.extend_from_slice(strs);
    v.extend_from_slice(info);
    v
}
