//! Strings, in two steps around the type passes.
//!
//! 1. [`Canonical`]: before dedup, every string reference moves to one
//!    canonical offset per distinct string (the base's copy, if the base has
//!    it), because the type passes compare names by offset.
//! 2. [`compact`]: after dedup, the section is rebuilt from the kept types
//!    in first-reference order, then the extra strings; unreferenced strings
//!    disappear.
//!
//! libbpf does both at once, before dedup, in first-reference order over
//! the *input*. Then a name first used by a type that dedup later drops (a
//! FWD resolved to a later definition) lands earlier than in a second
//! dedup of the output, so libbpf's result is not always idempotent byte for
//! byte. Ordering by the *output* makes dedup(dedup(x)) == dedup(x); for
//! input without duplicates (a kernel's BTF) the two orders are the same.

use rustc_hash::FxHashMap;

use super::state::error;
use super::StrMap;
use crate::write::{for_each_name_word, StringTable};
use crate::{Btf, Result, StrOffset, TypeId};

/// Calls `f` on every string reference of the records in `words` (record
/// `i` starts at `offs[i]` and has id `first_id + i`), in libbpf's order:
/// each type's name, then its members', enumerators' or parameters' names.
fn for_each_name(
    words: &mut [u32],
    offs: &[u32],
    first_id: TypeId,
    mut f: impl FnMut(TypeId, &mut StrOffset) -> Result<()>,
) -> Result<()> {
    for (i, &at) in offs.iter().enumerate() {
        let end = offs.get(i + 1).map_or(words.len(), |&e| e as usize);
        let id = TypeId(first_id.0 + i as u32);
        for_each_name_word(&mut words[at as usize..end], |w| {
            let mut off = StrOffset(*w);
            f(id, &mut off)?;
            *w = off.0;
            Ok(())
        })?;
    }
    Ok(())
}

/// Step 1: one offset per distinct string.
pub(super) struct Canonical<'a> {
    old: &'a StringTable,
    base_len: u32,
    /// The base's strings (all levels), for split BTF.
    base: FxHashMap<&'a [u8], u32>,
    /// String → its canonical offset (the first reference met).
    by_content: FxHashMap<&'a [u8], u32>,
    /// Old offset (relative to the section) → canonical offset, or
    /// [`UNSEEN`]. Dense: an index is much cheaper than a hash lookup per
    /// reference, at four bytes per byte of strings.
    seen: Vec<u32>,
}

/// Marks an offset no reference has used yet.
const UNSEEN: u32 = u32::MAX;

impl<'a> Canonical<'a> {
    pub(super) fn new(old: &'a StringTable, base: Option<&'a Btf<'a>>) -> Canonical<'a> {
        let guess = old.len() / 16;
        Canonical {
            old,
            base_len: old.base_len(),
            base: base.map(base_strings).unwrap_or_default(),
            by_content: FxHashMap::with_capacity_and_hasher(guess, Default::default()),
            seen: vec![UNSEEN; old.len()],
        }
    }

    /// Rewrites every name of the records `words` (starting at `offs`, ids
    /// from `first_id`).
    pub(super) fn rewrite(
        &mut self,
        words: &mut [u32],
        offs: &[u32],
        first_id: TypeId,
    ) -> Result<()> {
        for_each_name(words, offs, first_id, |id, off| {
            *off = self.offset(id, *off)?;
            Ok(())
        })
    }

    /// The canonical offset of `off`.
    pub(super) fn offset(&mut self, id: TypeId, off: StrOffset) -> Result<StrOffset> {
        if off.0 < self.base_len {
            return Ok(off);
        }
        let rel = (off.0 - self.base_len) as usize;
        match self.seen.get(rel) {
            Some(&c) if c != UNSEEN => return Ok(StrOffset(c)),
            Some(_) => {}
            None => {
                return Err(error(
                    id,
                    format!("string offset {off} is past the string section"),
                ))
            }
        }
        let old: &'a StringTable = self.old;
        // In range (checked above) and the section ends with a NUL.
        let s = old.get(off).unwrap_or_default();
        let c = match self.base.get(s) {
            // However it is reached, the empty string is offset 0.
            _ if s.is_empty() => 0,
            Some(&b) => b,
            None => *self.by_content.entry(s).or_insert(off.0),
        };
        self.seen[rel] = c;
        Ok(StrOffset(c))
    }

    /// `(old, canonical)` for every offset met, ascending.
    fn pairs(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let base_len = self.base_len;
        self.seen
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c != UNSEEN)
            .map(move |(rel, &c)| (base_len + rel as u32, c))
    }

    /// The map when the section is kept as it is: old → canonical.
    pub(super) fn into_map(self) -> StrMap {
        StrMap {
            pairs: self.pairs().collect(),
            base_len: self.base_len,
        }
    }
}

/// Step 2: a new section holding the strings of the records `words`
/// (canonical offsets into `old`) in first-reference order, then `extra`;
/// rewrites the records and
/// returns the section and the old → new map (through `canon`).
pub(super) fn compact(
    words: &mut [u32],
    offs: &[u32],
    first_id: TypeId,
    old: &StringTable,
    extra: &[StrOffset],
    canon: Canonical<'_>,
) -> Result<(StringTable, StrMap)> {
    let base_len = old.base_len();
    let mut data = Vec::with_capacity(old.len());
    // Canonical offset (relative) → new offset, dense as in `Canonical`.
    // Canonical offsets are already one per distinct string, so no string
    // needs hashing here.
    let mut moved = vec![UNSEEN; old.len()];
    if base_len == 0 {
        data.push(0);
        if let Some(m) = moved.first_mut() {
            *m = 0;
        }
    }
    let mut place = |id: TypeId, off: StrOffset| -> Result<StrOffset> {
        if off.0 < base_len {
            return Ok(off);
        }
        let rel = (off.0 - base_len) as usize;
        match moved.get(rel) {
            Some(&n) if n != UNSEEN => return Ok(StrOffset(n)),
            Some(_) => {}
            None => {
                return Err(error(
                    id,
                    format!("string offset {off} is past the string section"),
                ))
            }
        }
        let n = base_len + data.len() as u32;
        data.extend_from_slice(old.get(off).unwrap_or_default());
        data.push(0);
        moved[rel] = n;
        Ok(StrOffset(n))
    };
    for_each_name(words, offs, first_id, |id, off| {
        *off = place(id, *off)?;
        Ok(())
    })?;
    for &off in extra {
        place(first_id, off)?;
    }
    // Old → canonical → new. A string only dropped types used is gone.
    let new_of = |c: u32| match c.checked_sub(base_len) {
        None => Some(c),
        Some(rel) => moved.get(rel as usize).copied().filter(|&n| n != UNSEEN),
    };
    let pairs = canon
        .pairs()
        .filter_map(|(o, c)| Some((o, new_of(c)?)))
        .collect();
    let table = StringTable::from_existing(&data, base_len);
    Ok((table, StrMap { pairs, base_len }))
}

/// The strings of `base` and its own bases, each at its lowest logical
/// offset (the deepest base first, as libbpf looks strings up).
fn base_strings<'a>(base: &'a Btf<'a>) -> FxHashMap<&'a [u8], u32> {
    let mut map = FxHashMap::default();
    let levels: Vec<&Btf<'a>> = std::iter::successors(Some(base), |b| b.base()).collect();
    for b in levels.into_iter().rev() {
        let skip = b.str_len_total() - b.strings().len() as u32;
        for (off, s) in b.strings().iter() {
            map.entry(s).or_insert(skip + off);
        }
    }
    map
}
