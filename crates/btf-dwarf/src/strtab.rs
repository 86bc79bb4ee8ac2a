//! The output's string section, preloaded with `.debug_str`.
//!
//! Most BTF names are DWARF names, and most DWARF names are `.debug_str`
//! strings. Starting the output's string section with a copy of
//! `.debug_str` makes the BTF offset of such a name a constant plus its
//! `.debug_str` offset: the decoders write final offsets without reading,
//! hashing or looking up a single name. Strings no type ends up using are
//! dropped by dedup's string pass.
//!
//! Dedup compares names by offset, so every name must have one offset per
//! distinct string, and the streaming dedup sees names before any pass
//! could fix them up. A `.debug_str` offset is only used directly if it is
//! the offset the table gives its string anyway ([`Preload::is_canonical`]):
//! the first copy of a string that appears twice, not a string the base
//! already has (split BTF), and not the tail of a longer string, which the
//! table does not index. Linkers store a name once for every string that
//! ends with it, so tails are common (member names like `next`); the merge
//! looks each such offset up once ([`Canonical`]).

use btf_core::write::{PackedBtf, StringTable};
use btf_core::{Btf, StrOffset};

/// `.debug_str` sections larger than this are not copied (a big Rust
/// program's can be hundreds of megabytes); names are then interned one by
/// one.
const MAX_PRELOAD: usize = 64 << 20;

/// Where `.debug_str` sits in the output's string section.
#[derive(Debug)]
pub(crate) struct Preload {
    /// Output offset of `.debug_str`'s first byte.
    pub start: u32,
    /// One bit per `.debug_str` offset: set where the offset is the one the
    /// string table gives that string. `None`: every offset may be used as
    /// it is (dedup then makes names canonical itself).
    canonical: Option<Vec<u64>>,
}

impl Preload {
    /// Whether `.debug_str` offset `off` may be used as it is.
    #[inline]
    pub(crate) fn is_canonical(&self, off: u32) -> bool {
        let Some(bits) = &self.canonical else {
            return true;
        };
        let (word, bit) = ((off / 64) as usize, off % 64);
        bits.get(word).is_some_and(|w| w >> bit & 1 != 0)
    }
}

/// The merge's lookup of `.debug_str` offsets that are not canonical.
#[derive(Debug)]
pub(crate) struct Canonical {
    /// Output offset of `.debug_str`'s first byte.
    start: u32,
    /// Canonical output offset + 1 of each `.debug_str` offset met, 0 for
    /// not yet (zero-initialised, so untouched pages cost nothing).
    memo: Vec<u32>,
    /// One string being looked up.
    scratch: Vec<u8>,
}

impl Canonical {
    pub(crate) fn new(preload: Option<&Preload>, debug_str_len: usize) -> Canonical {
        Canonical {
            start: preload.map_or(0, |p| p.start),
            memo: vec![0; if preload.is_some() { debug_str_len } else { 0 }],
            scratch: Vec::new(),
        }
    }

    /// The output offset for `.debug_str` offset `off`, interned in
    /// `packed`'s string table on first use.
    pub(crate) fn offset(&mut self, packed: &mut PackedBtf, off: u32) -> StrOffset {
        let Some(slot) = self.memo.get_mut(off as usize) else {
            return StrOffset::EMPTY;
        };
        if *slot != 0 {
            return StrOffset(*slot - 1);
        }
        let at = StrOffset(self.start.saturating_add(off));
        self.scratch.clear();
        self.scratch
            .extend_from_slice(packed.strings().get(at).unwrap_or_default());
        let c = packed.add_str(&self.scratch);
        *slot = c.0 + 1;
        c
    }
}

/// A builder whose string section starts with `.debug_str`, and where; or a
/// plain builder and `None`. With `canonical_names`, names must come out
/// canonical (see the module documentation).
pub(crate) fn preloaded(
    base: Option<&Btf<'_>>,
    debug_str: &[u8],
    canonical_names: bool,
) -> (PackedBtf, Option<Preload>) {
    let first_id = base.map_or(1, |b| b.type_count());
    let plain = || match base {
        Some(b) => PackedBtf::new_split(b),
        None => PackedBtf::new(),
    };
    if debug_str.is_empty() || debug_str.len() > MAX_PRELOAD || debug_str.last() != Some(&0) {
        return (plain(), None);
    }
    // A base string section starts with the empty string; a split one does
    // not (its offsets continue the base's).
    let (mut strings, start) = match base {
        Some(b) => (
            StringTable::from_existing_split(b, debug_str),
            b.str_len_total(),
        ),
        None => {
            let mut bytes = Vec::with_capacity(1 + debug_str.len());
            bytes.push(0);
            bytes.extend_from_slice(debug_str);
            (StringTable::from_existing(&bytes, 0), 1)
        }
    };
    let canonical = canonical_names.then(|| canonical_starts(&mut strings, debug_str, start));
    (
        PackedBtf::with_strings(strings, first_id),
        Some(Preload { start, canonical }),
    )
}

/// The bitmap of [`Preload`]: each string start of `debug_str` (copied to
/// `start` in `strings`) whose string the table finds at that very offset.
fn canonical_starts(strings: &mut StringTable, debug_str: &[u8], start: u32) -> Vec<u64> {
    let mut bits = vec![0u64; debug_str.len().div_ceil(64)];
    let mut pos = 0usize;
    while pos < debug_str.len() {
        let end = debug_str[pos..]
            .iter()
            .position(|&b| b == 0)
            .map_or(debug_str.len(), |n| pos + n);
        // Present already, so this finds it without adding anything.
        let off = strings.add(&debug_str[pos..end]);
        if off.0 == start + pos as u32 {
            bits[pos / 64] |= 1 << (pos % 64);
        }
        pos = end + 1;
    }
    bits
}
