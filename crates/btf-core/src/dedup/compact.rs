//! Compaction: keep the representatives (types mapped to themselves) in
//! ascending id order, number them from the first own id, and rewrite every
//! type reference through representative → new id.

use super::remap::IdMap;
use super::shape::for_each_ref;
use super::state::{error, Canon, State};
use crate::write::OwnedType;
use crate::{Result, TypeId};

impl State {
    /// Consumes the state; returns the kept own types, renumbered, and the
    /// id map.
    pub(super) fn compact(mut self) -> Result<(Vec<OwnedType>, IdMap)> {
        // New id of each representative; base ids stay.
        let mut slot: Vec<Option<TypeId>> = vec![None; self.types.len()];
        for (i, s) in slot.iter_mut().enumerate().take(self.start as usize) {
            *s = Some(TypeId(i as u32));
        }
        let mut next = self.start;
        for id in self.own_ids() {
            match self.canon(id) {
                Canon::Id(to) if to == id => {
                    slot[id.0 as usize] = Some(TypeId(next));
                    next += 1;
                }
                Canon::Id(_) => {}
                _ => return Err(error(id, "left without a representative")),
            }
        }
        let new_id = |s: &State, old: TypeId| slot[s.resolve(old).0 as usize];
        let new_ids = (0..self.end())
            .map(|i| new_id(&self, TypeId(i)).ok_or_else(|| error(TypeId(i), "unmapped")))
            .collect::<Result<Vec<_>>>()?;

        let own = self.types.split_off(self.start as usize);
        let mut kept = Vec::with_capacity((next - self.start) as usize);
        for (i, mut t) in own.into_iter().enumerate() {
            if slot[self.start as usize + i].is_none() {
                continue;
            }
            for_each_ref(&mut t, |r| *r = new_ids[*r as usize].0);
            kept.push(t);
        }
        Ok((kept, IdMap { new_ids }))
    }
}
