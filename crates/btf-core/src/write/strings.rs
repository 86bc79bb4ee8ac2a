//! The writer's string table: insertion-ordered, deduplicated.

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::{Btf, StrOffset};

/// Builds a string section. Adding a string that is already present returns
/// its existing offset, so every name is stored once.
///
/// The lookup table holds only offsets into the section's own bytes (and
/// into a copy of the base's strings for split BTF), so indexing an existing
/// kernel string section costs one hash per string and no allocation per
/// string.
#[derive(Clone, Debug, Default)]
pub struct StringTable {
    data: Vec<u8>,
    /// Offsets (relative to `data`) of every string start, keyed by hash.
    table: HashTable<u32>,
    /// Logical offset of this table's first byte (the base's string length
    /// for split BTF).
    base_len: u32,
    /// The base's logical string bytes (split BTF), looked up before adding.
    base_data: Vec<u8>,
    /// Offsets into `base_data`, keyed by hash.
    base_table: HashTable<u32>,
}

fn hash(s: &[u8]) -> u64 {
    let mut h = FxBuildHasher.build_hasher();
    h.write(s);
    h.write_u8(0xff);
    h.finish()
}

/// The NUL-terminated string at `off` in `data`, without the NUL.
fn str_at(data: &[u8], off: u32) -> &[u8] {
    let tail = data.get(off as usize..).unwrap_or_default();
    let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
    &tail[..end]
}

/// Indexes every string start of `data`, keeping the first offset of
/// duplicates.
fn index(data: &[u8]) -> HashTable<u32> {
    let mut table = HashTable::with_capacity(data.len() / 16);
    let mut pos = 0usize;
    while pos < data.len() {
        let end = data[pos..]
            .iter()
            .position(|&b| b == 0)
            .map_or(data.len(), |n| pos + n);
        let s = &data[pos..end];
        let h = hash(s);
        if table.find(h, |&o: &u32| str_at(data, o) == s).is_none() {
            table.insert_unique(h, pos as u32, |&o: &u32| hash(str_at(data, o)));
        }
        pos = end + 1;
    }
    table
}

impl StringTable {
    /// An empty base table: just the empty string at offset 0.
    pub fn new() -> StringTable {
        let mut t = StringTable {
            data: vec![0],
            ..StringTable::default()
        };
        t.table = index(&t.data);
        t
    }

    /// An empty table for split BTF over `base`: offsets continue after the
    /// base's strings, and strings the base has are reused.
    pub fn new_split(base: &Btf<'_>) -> StringTable {
        // The logical string space of a (possibly multi-level) base is the
        // concatenation of each level's section, outermost base first.
        let mut levels: Vec<&[u8]> = std::iter::successors(Some(base), |b| b.base())
            .map(|b| b.strings().as_bytes())
            .collect();
        levels.reverse();
        let base_data = levels.concat();
        StringTable {
            data: Vec::new(),
            table: HashTable::new(),
            base_len: base.str_len_total(),
            base_table: index(&base_data),
            base_data,
        }
    }

    /// A table that starts as an exact copy of an existing section, so that
    /// offsets (and the bytes written) are unchanged.
    pub fn from_existing(bytes: &[u8], base_len: u32) -> StringTable {
        StringTable {
            data: bytes.to_vec(),
            table: index(bytes),
            base_len,
            ..StringTable::default()
        }
    }

    /// A table for split BTF over `base` whose own section starts as an
    /// exact copy of `bytes` (see [`StringTable::from_existing`]); strings
    /// added later are looked up in the base first, as in
    /// [`StringTable::new_split`].
    pub fn from_existing_split(base: &Btf<'_>, bytes: &[u8]) -> StringTable {
        StringTable {
            data: bytes.to_vec(),
            table: index(bytes),
            ..StringTable::new_split(base)
        }
    }

    /// Adds `s` (without NUL) and returns its logical offset. The empty
    /// string is always offset 0.
    pub fn add(&mut self, s: &[u8]) -> StrOffset {
        if s.is_empty() {
            return StrOffset::EMPTY;
        }
        let h = hash(s);
        let base = &self.base_data;
        if let Some(&off) = self.base_table.find(h, |&o| str_at(base, o) == s) {
            return StrOffset(off);
        }
        let data = &self.data;
        if let Some(&off) = self.table.find(h, |&o| str_at(data, o) == s) {
            return StrOffset(self.base_len + off);
        }
        let off = self.data.len() as u32;
        self.data.extend_from_slice(s);
        self.data.push(0);
        let data = &self.data;
        self.table.insert_unique(h, off, |&o| hash(str_at(data, o)));
        StrOffset(self.base_len + off)
    }

    /// Whether this is a split table that indexes its base's strings
    /// ([`StringTable::new_split`]).
    pub(crate) fn indexes_base(&self) -> bool {
        !self.base_data.is_empty()
    }

    /// The lowest logical offset of `s` in the base's strings, if this
    /// table indexes them and the base has `s`.
    pub(crate) fn base_offset(&self, s: &[u8]) -> Option<u32> {
        let base = &self.base_data;
        self.base_table
            .find(hash(s), |&o| str_at(base, o) == s)
            .copied()
    }

    /// The string at a logical offset in this table (not the base).
    pub fn get(&self, off: StrOffset) -> Option<&[u8]> {
        let rel = off.0.checked_sub(self.base_len)? as usize;
        let tail = self.data.get(rel..)?;
        let end = tail.iter().position(|&b| b == 0)?;
        Some(&tail[..end])
    }

    /// The section's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// Size of the section in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the section is empty (only for split BTF).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Logical offset of the first byte.
    pub fn base_len(&self) -> u32 {
        self.base_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedups_and_keeps_existing_offsets() {
        let mut t = StringTable::from_existing(b"\0int\0foo\0int\0", 0);
        assert_eq!(t.add(b"int"), StrOffset(1));
        assert_eq!(t.add(b"foo"), StrOffset(5));
        assert_eq!(t.add(b"bar"), StrOffset(13));
        assert_eq!(t.add(b"bar"), StrOffset(13));
        assert_eq!(t.add(b""), StrOffset(0));
        assert_eq!(t.as_bytes(), b"\0int\0foo\0int\0bar\0");
        assert_eq!(t.get(StrOffset(13)), Some(&b"bar"[..]));
    }

    #[test]
    fn suffixes_are_not_confused_with_strings() {
        let mut t = StringTable::from_existing(b"\0long int\0", 0);
        // "int" is a suffix of "long int" but not a string of the section.
        assert_eq!(t.add(b"int"), StrOffset(10));
    }
}
