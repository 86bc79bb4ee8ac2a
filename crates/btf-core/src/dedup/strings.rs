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

use super::par;
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
    f: impl FnMut(TypeId, &mut StrOffset) -> Result<()>,
) -> Result<()> {
    for_each_name_from(words, offs, 0, first_id, f)
}

/// [`for_each_name`] over records whose offsets are `shift` words past
/// the start of `words` (a slice of a bigger arena; the last record ends
/// where `words` does).
fn for_each_name_from(
    words: &mut [u32],
    offs: &[u32],
    shift: u32,
    first_id: TypeId,
    mut f: impl FnMut(TypeId, &mut StrOffset) -> Result<()>,
) -> Result<()> {
    for (i, &at) in offs.iter().enumerate() {
        let end = offs
            .get(i + 1)
            .map_or(words.len(), |&e| (e - shift) as usize);
        let id = TypeId(first_id.0 + i as u32);
        for_each_name_word(&mut words[(at - shift) as usize..end], |w| {
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
    shared: Shared<'a>,
    found: Found<'a>,
}

/// What every thread of [`Canonical::rewrite`] reads.
struct Shared<'a> {
    old: &'a StringTable,
    base_len: u32,
    /// The base's strings (all levels), for split BTF whose table does
    /// not index them itself (`None`: ask the table).
    base: Option<FxHashMap<&'a [u8], u32>>,
}

/// What one thread of [`Canonical::rewrite`] has met so far.
struct Found<'a> {
    /// String → its canonical offset (the first reference met).
    by_content: FxHashMap<&'a [u8], u32>,
    /// Old offset (relative to the section) → canonical offset, or
    /// [`UNSEEN`]. Dense: an index is much cheaper than a hash lookup per
    /// reference, at four bytes per byte of strings.
    seen: Vec<u32>,
}

impl<'a> Found<'a> {
    fn new(old: &StringTable) -> Found<'a> {
        let guess = old.len() / 16;
        Found {
            by_content: FxHashMap::with_capacity_and_hasher(guess, Default::default()),
            seen: vec![UNSEEN; old.len()],
        }
    }
}

/// Marks an offset no reference has used yet.
const UNSEEN: u32 = u32::MAX;

impl<'a> Shared<'a> {
    /// The canonical offset of `off`, as far as `found` knows.
    fn offset(&self, found: &mut Found<'a>, id: TypeId, off: StrOffset) -> Result<StrOffset> {
        if off.0 < self.base_len {
            return Ok(off);
        }
        let rel = (off.0 - self.base_len) as usize;
        match found.seen.get(rel) {
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
        let in_base = || match &self.base {
            Some(map) => map.get(s).copied(),
            None => old.base_offset(s),
        };
        let c = match s {
            // However it is reached, the empty string is offset 0.
            [] => 0,
            _ => match in_base() {
                Some(b) => b,
                None => *found.by_content.entry(s).or_insert(off.0),
            },
        };
        found.seen[rel] = c;
        Ok(StrOffset(c))
    }
}

impl<'a> Canonical<'a> {
    pub(super) fn new(old: &'a StringTable, base: Option<&'a Btf<'a>>) -> Canonical<'a> {
        Canonical {
            shared: Shared {
                old,
                base_len: old.base_len(),
                // A split table indexes its base's strings already (the
                // same offsets): building a second index per module
                // deduplicated against a kernel would cost more than the
                // module's own work.
                base: match base {
                    Some(b) if !old.indexes_base() => Some(base_strings(b)),
                    _ => None,
                },
            },
            found: Found::new(old),
        }
    }

    /// Rewrites every name of the records `words` (starting at `offs`, ids
    /// from `first_id`), with `jobs` threads (0: one per core).
    ///
    /// Each thread takes a range of records and makes its names canonical
    /// among themselves; then the ranges are joined in order: a string an
    /// earlier range met keeps that range's offset, and the (rare) records
    /// that used another are rewritten again. The result is that of one
    /// pass in record order.
    pub(super) fn rewrite(
        &mut self,
        words: &mut [u32],
        offs: &[u32],
        first_id: TypeId,
        jobs: usize,
    ) -> Result<()> {
        let n = offs.len();
        let parts = par::split(0..n, par::threads(jobs, n));
        if parts.len() <= 1 {
            let (shared, found) = (&self.shared, &mut self.found);
            return for_each_name(words, offs, first_id, |id, off| {
                *off = shared.offset(found, id, *off)?;
                Ok(())
            });
        }
        // Disjoint word ranges, one per range of records.
        let mut chunks = Vec::with_capacity(parts.len());
        let mut rest = words;
        let mut done = 0usize;
        for r in &parts {
            let end = offs.get(r.end).map_or(done + rest.len(), |&e| e as usize);
            let (chunk, tail) = rest.split_at_mut(end - done);
            chunks.push((r.clone(), done as u32, chunk));
            rest = tail;
            done = end;
        }
        let shared = &self.shared;
        let first_found = &mut self.found;
        let results: Vec<Result<Option<Found<'a>>>> = std::thread::scope(|s| {
            let mut it = chunks.iter_mut();
            let first = it.next();
            let handles: Vec<_> = it
                .map(|(r, shift, chunk)| {
                    let (r, shift) = (r.clone(), *shift);
                    s.spawn(move || {
                        let mut found = Found::new(shared.old);
                        let id0 = TypeId(first_id.0 + r.start as u32);
                        for_each_name_from(chunk, &offs[r.clone()], shift, id0, |id, off| {
                            *off = shared.offset(&mut found, id, *off)?;
                            Ok(())
                        })?;
                        Ok(Some(found))
                    })
                })
                .collect();
            let mut out = Vec::with_capacity(parts.len());
            if let Some((r, shift, chunk)) = first {
                let id0 = TypeId(first_id.0 + r.start as u32);
                out.push(
                    for_each_name_from(chunk, &offs[r.clone()], *shift, id0, |id, off| {
                        *off = shared.offset(first_found, id, *off)?;
                        Ok(())
                    })
                    .map(|()| None),
                );
            }
            out.extend(handles.into_iter().map(|h| match h.join() {
                Ok(v) => v,
                Err(e) => std::panic::resume_unwind(e),
            }));
            out
        });
        for ((r, shift, chunk), result) in chunks.into_iter().zip(results) {
            let Some(found) = result? else { continue };
            let remap = self.join(found);
            if remap.is_empty() {
                continue;
            }
            let id0 = TypeId(first_id.0 + r.start as u32);
            for_each_name_from(chunk, &offs[r.clone()], shift, id0, |_, off| {
                if let Some(&c) = remap.get(&off.0) {
                    *off = StrOffset(c);
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Takes in what a later range of records met; returns the offsets
    /// that range chose which an earlier range had chosen differently.
    fn join(&mut self, later: Found<'a>) -> FxHashMap<u32, u32> {
        let mut remap = FxHashMap::default();
        for (s, c) in later.by_content {
            let kept = *self.found.by_content.entry(s).or_insert(c);
            if kept != c {
                remap.insert(c, kept);
            }
        }
        for (g, &c) in self.found.seen.iter_mut().zip(&later.seen) {
            if c != UNSEEN && *g == UNSEEN {
                *g = remap.get(&c).copied().unwrap_or(c);
            }
        }
        remap
    }

    /// The canonical offset of `off`.
    pub(super) fn offset(&mut self, id: TypeId, off: StrOffset) -> Result<StrOffset> {
        self.shared.offset(&mut self.found, id, off)
    }

    /// `(old, canonical)` for every offset met, ascending.
    fn pairs(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let base_len = self.shared.base_len;
        self.found
            .seen
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c != UNSEEN)
            .map(move |(rel, &c)| (base_len + rel as u32, c))
    }

    /// The map when the section is kept as it is: old → canonical.
    pub(super) fn into_map(self) -> StrMap {
        StrMap {
            pairs: self.pairs().collect(),
            base_len: self.shared.base_len,
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
