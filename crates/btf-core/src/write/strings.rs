//! The writer's string table: insertion-ordered, deduplicated.

use rustc_hash::FxHashMap;

use crate::{Btf, StrOffset};

/// Builds a string section. Adding a string that is already present returns
/// its existing offset, so every name is stored once.
#[derive(Clone, Debug, Default)]
pub struct StringTable {
    data: Vec<u8>,
    map: FxHashMap<Box<[u8]>, u32>,
    /// Logical offset of this table's first byte (the base's string length
    /// for split BTF).
    base_len: u32,
    /// Strings of the base, looked up before adding (split BTF).
    base: FxHashMap<Box<[u8]>, u32>,
}

impl StringTable {
    /// An empty base table: just the empty string at offset 0.
    pub fn new() -> StringTable {
        let mut t = StringTable {
            data: vec![0],
            ..StringTable::default()
        };
        t.map.insert(Box::from(&b""[..]), 0);
        t
    }

    /// An empty table for split BTF over `base`: offsets continue after the
    /// base's strings, and strings the base has are reused.
    pub fn new_split(base: &Btf<'_>) -> StringTable {
        let mut base_map = FxHashMap::default();
        for b in std::iter::successors(Some(base), |b| b.base()) {
            let skip = b.str_len_total() - b.strings().len() as u32;
            for (off, s) in b.strings().iter() {
                base_map.entry(Box::from(s)).or_insert(skip + off);
            }
        }
        StringTable {
            data: Vec::new(),
            map: FxHashMap::default(),
            base_len: base.str_len_total(),
            base: base_map,
        }
    }

    /// A table that starts as an exact copy of an existing section, so that
    /// offsets (and the bytes written) are unchanged.
    pub fn from_existing(bytes: &[u8], base_len: u32) -> StringTable {
        let mut map = FxHashMap::default();
        let mut pos = 0usize;
        while pos < bytes.len() {
            let end = bytes[pos..]
                .iter()
                .position(|&b| b == 0)
                .map_or(bytes.len(), |n| pos + n);
            map.entry(Box::from(&bytes[pos..end]))
                .or_insert(base_len + pos as u32);
            pos = end + 1;
        }
        StringTable {
            data: bytes.to_vec(),
            map,
            base_len,
            base: FxHashMap::default(),
        }
    }

    /// Adds `s` (without NUL) and returns its logical offset. The empty
    /// string is always offset 0.
    pub fn add(&mut self, s: &[u8]) -> StrOffset {
        if s.is_empty() {
            return StrOffset::EMPTY;
        }
        if let Some(&off) = self.base.get(s).or_else(|| self.map.get(s)) {
            return StrOffset(off);
        }
        let off = self.base_len + self.data.len() as u32;
        self.data.extend_from_slice(s);
        self.data.push(0);
        self.map.insert(Box::from(s), off);
        StrOffset(off)
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
