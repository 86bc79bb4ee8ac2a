//! The candidate table: a multimap from a type's signature hash to the
//! canonical types that share it.
//!
//! Hash collisions are harmless: every lookup re-checks candidates with a
//! kind-specific equality, so types of different kinds may share a chain.

use rustc_hash::FxHashMap;

use crate::TypeId;

/// Mixes `value` into the running hash `h` (libbpf's `hash_combine`, so that
/// equal-hash groups are the same as libbpf's).
#[inline]
pub(super) fn combine(h: u64, value: u32) -> u64 {
    h.wrapping_mul(31).wrapping_add(u64::from(value))
}

/// Position of a node in [`Table::nodes`]; `None` ends a chain.
pub(super) type Cursor = Option<u32>;

#[derive(Clone, Copy, Debug)]
struct Node {
    id: TypeId,
    next: Cursor,
}

/// Hash → ids, each chain in insertion order (oldest first).
///
/// libbpf's hashmap puts new entries at the head and reverses chains when it
/// grows, so its order among equal-hash candidates depends on growth history.
/// Oldest first is deterministic and prefers the lowest id; it only matters
/// when several candidates would match.
#[derive(Debug, Default)]
pub(super) struct Table {
    /// First and last node of each chain.
    chains: FxHashMap<u64, (u32, u32)>,
    nodes: Vec<Node>,
    /// Every hash is 0 (libbpf's `force_collisions`, for testing that the
    /// equality checks alone keep different types apart).
    collide: bool,
}

impl Table {
    /// An empty table. It holds only canonical types (a small part of a
    /// big input), so it starts empty and grows.
    pub(super) fn new(collide: bool) -> Table {
        Table {
            chains: FxHashMap::default(),
            nodes: Vec::new(),
            collide,
        }
    }

    fn key(&self, h: u64) -> u64 {
        if self.collide {
            0
        } else {
            h
        }
    }

    /// Adds `id` at the end of the chain for `h`.
    pub(super) fn add(&mut self, h: u64, id: TypeId) {
        let node = self.nodes.len() as u32;
        self.nodes.push(Node { id, next: None });
        let key = self.key(h);
        match self.chains.get_mut(&key) {
            Some((_, last)) => {
                let prev = std::mem::replace(last, node);
                self.nodes[prev as usize].next = Some(node);
            }
            None => {
                self.chains.insert(key, (node, node));
            }
        }
    }

    /// Every id in the table, in insertion order.
    pub(super) fn ids(&self) -> Vec<TypeId> {
        self.nodes.iter().map(|n| n.id).collect()
    }

    /// Removes every entry.
    pub(super) fn clear(&mut self) {
        self.chains.clear();
        self.nodes.clear();
    }

    /// The start of the chain for `h`. Walk it with [`Table::get`]; the
    /// cursor copies out, so the caller may mutate other state meanwhile.
    pub(super) fn first(&self, h: u64) -> Cursor {
        self.chains.get(&self.key(h)).map(|&(first, _)| first)
    }

    /// The candidate at `cur` and the cursor of the next one.
    pub(super) fn get(&self, cur: Cursor) -> Option<(TypeId, Cursor)> {
        let node = self.nodes.get(cur? as usize)?;
        Some((node.id, node.next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(t: &Table, h: u64) -> Vec<u32> {
        let mut out = Vec::new();
        let mut cur = t.first(h);
        while let Some((id, next)) = t.get(cur) {
            out.push(id.0);
            cur = next;
        }
        out
    }

    #[test]
    fn chains_keep_insertion_order() {
        let mut t = Table::new(false);
        t.add(7, TypeId(3));
        t.add(9, TypeId(4));
        t.add(7, TypeId(5));
        t.add(7, TypeId(6));
        assert_eq!(chain(&t, 7), [3, 5, 6]);
        assert_eq!(chain(&t, 9), [4]);
        assert!(chain(&t, 8).is_empty());
    }

    #[test]
    fn forced_collisions_share_one_chain() {
        let mut t = Table::new(true);
        t.add(7, TypeId(3));
        t.add(9, TypeId(4));
        assert_eq!(chain(&t, 1), [3, 4]);
    }

    #[test]
    fn combine_matches_libbpf() {
        assert_eq!(combine(combine(0, 5), 2), 5 * 31 + 2);
        assert_eq!(combine(u64::MAX, 1), u64::MAX.wrapping_mul(31) + 1);
    }
}
