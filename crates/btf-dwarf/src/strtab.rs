//! The output's string section, preloaded with `.debug_str`.
//!
//! Most BTF names are DWARF names, and most DWARF names are `.debug_str`
//! strings. Starting the output's string section with a copy of
//! `.debug_str` makes the BTF offset of such a name a constant plus its
//! `.debug_str` offset: the decoders write final offsets without reading,
//! hashing or looking up a single name. Strings no type ends up using are
//! dropped by dedup's string pass.

use btf_core::write::{PackedBtf, StringTable};
use btf_core::Btf;

/// `.debug_str` sections larger than this are not copied (a big Rust
/// program's can be hundreds of megabytes); names are then interned one by
/// one.
const MAX_PRELOAD: usize = 64 << 20;

/// A builder whose string section starts with `.debug_str`, and the offset
/// at which it starts; or a plain builder and `None`.
pub(crate) fn preloaded(base: Option<&Btf<'_>>, debug_str: &[u8]) -> (PackedBtf, Option<u32>) {
    let plain = || match base {
        Some(b) => PackedBtf::new_split(b),
        None => PackedBtf::new(),
    };
    if debug_str.is_empty() || debug_str.len() > MAX_PRELOAD || debug_str.last() != Some(&0) {
        return (plain(), None);
    }
    // A base string section starts with the empty string; a split one does
    // not (its offsets continue the base's).
    let lead: &[u8] = if base.is_some() { b"" } else { b"\0" };
    let mut blob = Vec::with_capacity(24 + lead.len() + debug_str.len());
    let str_len = (lead.len() + debug_str.len()) as u32;
    for v in [0xeb9f_u16.to_le_bytes().to_vec(), vec![1, 0]] {
        blob.extend_from_slice(&v);
    }
    for v in [24u32, 0, 0, 0, str_len] {
        blob.extend_from_slice(&v.to_le_bytes());
    }
    blob.extend_from_slice(lead);
    blob.extend_from_slice(debug_str);
    let parsed = match base {
        Some(b) => Btf::parse_split(&blob, b),
        None => Btf::parse(&blob),
    };
    let Ok(btf) = parsed else {
        return (plain(), None);
    };
    let start = base.map_or(1, |b| b.str_len_total());
    let str_base = btf.str_len_total() - btf.strings().len() as u32;
    let strings = StringTable::from_existing(btf.strings().as_bytes(), str_base);
    (
        PackedBtf::with_strings(strings, btf.first_id().0),
        Some(start),
    )
}
