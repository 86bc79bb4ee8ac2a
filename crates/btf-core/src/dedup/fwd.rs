//! The remaining-FWD pass: a FWD that no graph comparison resolved (say,
//! `struct foo;` used only through a global pointer in one unit, while
//! another unit defines `struct foo`) is resolved by name, when exactly one
//! canonical struct or union of that name and kind exists.

use rustc_hash::FxHashMap;

use super::shape::fwd_kind;
use super::state::{Canon, State};
use crate::{Kind, StrOffset, TypeId};

impl State {
    pub(super) fn resolve_remaining_fwds(&mut self) {
        let unique = self.unique_composite_names();
        for id in self.own_ids() {
            if self.kind(id) != Kind::Fwd || self.canon(id) != Canon::Id(id) {
                continue;
            }
            let t = self.ty(id);
            let Some(&Some(target)) = unique.get(&t.name()) else {
                continue;
            };
            if self.ty(target).kind() == fwd_kind(t) {
                self.set_canon(id, target);
            }
        }
    }

    /// Name → the one canonical struct or union with that name (base
    /// included), or `None` when several share it.
    fn unique_composite_names(&self) -> FxHashMap<StrOffset, Option<TypeId>> {
        let mut names: FxHashMap<StrOffset, Option<TypeId>> = FxHashMap::default();
        for i in 1..self.end() {
            let id = TypeId(i);
            if !self.kind(id).is_composite() || self.canon(id) != Canon::Id(id) {
                continue;
            }
            let t = self.ty(id);
            names
                .entry(t.name())
                .and_modify(|v| *v = None)
                .or_insert(Some(id));
        }
        names
    }
}
