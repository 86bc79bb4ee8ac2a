//! The primitives pass: INT, FLOAT, FWD, ENUM and ENUM64 refer to no other
//! type, so each is merged into the first equal candidate seen before it.
//!
//! Enums also resolve forward declarations: `enum e;` merges into a full
//! `enum e` (or ENUM64), and a full enum that meets an earlier forward takes
//! that forward over.

use super::shape::{
    compat_enum, equal_all, equal_common, equal_int_tag, hash_common, hash_enum, hash_int_tag,
    is_enum_fwd,
};
use super::state::{Canon, Rec, State};
use crate::{Kind, TypeId};

impl State {
    pub(super) fn dedup_primitives(&mut self, ids: std::ops::Range<u32>) {
        for id in ids.map(TypeId) {
            let primitive = matches!(
                self.kind(id),
                Kind::Int | Kind::Fwd | Kind::Float | Kind::Enum | Kind::Enum64
            );
            if primitive && self.canon(id) == Canon::Unprocessed {
                self.dedup_primitive(id);
            }
        }
    }

    fn dedup_primitive(&mut self, id: TypeId) {
        let t = self.ty(id);
        let (h, found) = match t.kind() {
            Kind::Int => {
                let h = hash_int_tag(t);
                (h, self.first_match(h, id, equal_int_tag))
            }
            Kind::Fwd | Kind::Float => {
                let h = hash_common(t);
                (h, self.first_match(h, id, equal_common))
            }
            Kind::Enum | Kind::Enum64 => {
                let h = hash_enum(t);
                (h, self.match_enum(h, id))
            }
            _ => return,
        };
        let canon = found.unwrap_or(id);
        self.set_canon(id, canon);
        if canon == id {
            self.table.add(h, id);
        }
    }

    /// The first candidate under `h` that `eq` accepts.
    pub(super) fn first_match(
        &self,
        h: u64,
        id: TypeId,
        eq: fn(Rec<'_>, Rec<'_>) -> bool,
    ) -> Option<TypeId> {
        let t = self.ty(id);
        let mut cur = self.table.first(h);
        while let Some((cand, next)) = self.table.get(cur) {
            if eq(t, self.ty(cand)) {
                return Some(cand);
            }
            cur = next;
        }
        None
    }

    /// An equal enum wins. A compatible one wins if `id` is the forward
    /// declaration; if the candidate is, it is pointed at `id` and the search
    /// goes on (several forwards may be waiting for this definition).
    fn match_enum(&mut self, h: u64, id: TypeId) -> Option<TypeId> {
        let mut cur = self.table.first(h);
        while let Some((cand, next)) = self.table.get(cur) {
            let (t, c) = (self.ty(id), self.ty(cand));
            if equal_all(t, c) {
                return Some(cand);
            }
            if compat_enum(t, c) {
                if is_enum_fwd(t) {
                    return Some(cand);
                }
                self.set_canon(cand, id);
            }
            cur = next;
        }
        None
    }
}
