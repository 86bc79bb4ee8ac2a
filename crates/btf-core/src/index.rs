//! [`BtfIndex`]: lookups by name and by kind, built once.

use rustc_hash::FxHashMap;

use crate::{Btf, Kind, TypeId};

/// Name and kind lookups over every type of a [`Btf`] (base included).
///
/// Built in one pass. Types sharing a name are chained in id order, so the
/// index costs one hash entry per distinct name plus one `u32` per type.
#[derive(Debug, Clone)]
pub struct BtfIndex<'a> {
    by_name: FxHashMap<&'a [u8], u32>,
    /// `next[id]`: the next id with the same name, or 0.
    next: Vec<u32>,
    by_kind: Vec<Vec<TypeId>>,
}

impl<'a> BtfIndex<'a> {
    /// Indexes every named type of `btf` and every type by kind.
    pub fn new(btf: &Btf<'a>) -> BtfIndex<'a> {
        let count = btf.type_count() as usize;
        let mut by_name: FxHashMap<&'a [u8], u32> =
            FxHashMap::with_capacity_and_hasher(count, Default::default());
        let mut next = vec![0u32; count];
        let mut by_kind: Vec<Vec<TypeId>> = vec![Vec::new(); usize::from(Kind::MAX_KNOWN) + 1];
        // Walk ids backwards so each chain ends up in ascending id order
        // without a second pass.
        for raw in (1..count as u32).rev() {
            let Some(t) = btf.get(TypeId(raw)) else {
                continue;
            };
            let k = t.kind().to_raw();
            let bucket = if k <= Kind::MAX_KNOWN {
                usize::from(k)
            } else {
                0
            };
            by_kind[bucket].push(TypeId(raw));
            if t.name_off().is_empty() {
                continue;
            }
            let name = btf.type_name(&t);
            if let Some(head) = by_name.insert(name, raw) {
                next[raw as usize] = head;
            }
        }
        for ids in &mut by_kind {
            ids.reverse();
        }
        BtfIndex {
            by_name,
            next,
            by_kind,
        }
    }

    /// Ids of the types named `name`, ascending.
    pub fn by_name<'s>(&'s self, name: &[u8]) -> impl Iterator<Item = TypeId> + 's {
        let mut cur = self.by_name.get(name).copied().unwrap_or(0);
        std::iter::from_fn(move || {
            if cur == 0 {
                return None;
            }
            let id = cur;
            cur = self.next.get(id as usize).copied().unwrap_or(0);
            Some(TypeId(id))
        })
    }

    /// Ids of the types of `kind`, ascending. Unknown kinds share one list.
    pub fn by_kind(&self, kind: Kind) -> &[TypeId] {
        let k = kind.to_raw();
        let bucket = if k <= Kind::MAX_KNOWN {
            usize::from(k)
        } else {
            0
        };
        &self.by_kind[bucket]
    }

    /// Number of distinct names.
    pub fn name_count(&self) -> usize {
        self.by_name.len()
    }

    /// All distinct names, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.by_name.keys().copied()
    }
}
