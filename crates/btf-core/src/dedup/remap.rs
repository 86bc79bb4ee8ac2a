//! The outputs that let callers fix up references held outside the BTF
//! (.BTF.ext func_info, CO-RE relocations, line_info strings): old type id →
//! new type id, old string offset → new string offset.

use crate::{StrOffset, TypeId};

/// Old type id → new type id, for every id of the input (base ids and
/// `void` included).
///
/// A duplicate maps to the new id of its representative; base ids map to
/// themselves, except a base FWD that the dedup resolved to a struct of the
/// split BTF, which maps to that struct (as libbpf remaps `.BTF.ext`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdMap {
    pub(super) new_ids: Vec<TypeId>,
}

impl IdMap {
    /// The new id of input type `old`; `None` past the input's last id.
    pub fn get(&self, old: TypeId) -> Option<TypeId> {
        self.new_ids.get(old.0 as usize).copied()
    }

    /// Number of input ids (one past the last), `void` included.
    pub fn len(&self) -> usize {
        self.new_ids.len()
    }

    /// Whether the map is empty (never: it always holds `void`).
    pub fn is_empty(&self) -> bool {
        self.new_ids.is_empty()
    }

    /// `(old, new)` for every input id, ascending.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (TypeId, TypeId)> + '_ {
        self.new_ids
            .iter()
            .enumerate()
            .map(|(i, &new)| (TypeId(i as u32), new))
    }
}

/// Old string offset → new string offset, for every offset the types (and
/// the extra strings passed in [`DedupOptions`](super::DedupOptions))
/// referred to. Offsets into the base's strings never change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StrMap {
    /// `(old, new)`, ascending by old offset.
    pub(super) pairs: Vec<(u32, u32)>,
    pub(super) base_len: u32,
}

impl StrMap {
    /// The new offset of the string at `old`; `None` if nothing referred to
    /// it (its string may be gone).
    pub fn get(&self, old: StrOffset) -> Option<StrOffset> {
        if old.0 < self.base_len {
            return Some(old);
        }
        let i = self.pairs.binary_search_by_key(&old.0, |&(o, _)| o).ok()?;
        Some(StrOffset(self.pairs[i].1))
    }

    /// Number of remapped offsets (not counting base offsets).
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether no offsets were remapped.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}
