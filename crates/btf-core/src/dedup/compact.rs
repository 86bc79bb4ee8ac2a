//! Compaction: keep the representatives (types mapped to themselves) in
//! ascending id order, number them from the first own id, and rewrite every
//! type reference through representative → new id.

use super::remap::IdMap;
use super::state::{error, Canon, State};
use crate::write::for_each_ref_word;
use crate::{Result, TypeId};

/// No new id (not a representative).
const NONE: u32 = u32::MAX;

/// The kept types: their records one after the other, renumbered, and the
/// word offset of each.
pub(super) struct Kept {
    pub(super) words: Vec<u32>,
    pub(super) offs: Vec<u32>,
}

impl State {
    /// Consumes the state; returns the kept own types, renumbered, and the
    /// id map.
    pub(super) fn compact(self) -> Result<(Kept, IdMap)> {
        // New id of each representative; base ids stay.
        let mut slot: Vec<u32> = vec![NONE; self.end() as usize];
        for (i, s) in slot.iter_mut().enumerate().take(self.start as usize) {
            *s = i as u32;
        }
        let mut next = self.start;
        for id in self.own_ids() {
            match self.canon(id) {
                Canon::Id(to) if to == id => {
                    slot[id.0 as usize] = next;
                    next += 1;
                }
                Canon::Id(_) => {}
                _ => return Err(error(id, "left without a representative")),
            }
        }
        let new_ids = (0..self.end())
            .map(|i| match slot[self.resolve(TypeId(i)).0 as usize] {
                NONE => Err(error(TypeId(i), "unmapped")),
                n => Ok(TypeId(n)),
            })
            .collect::<Result<Vec<_>>>()?;

        let count = (next - self.start) as usize;
        let mut kept = Kept {
            words: Vec::with_capacity(count * 6),
            offs: Vec::with_capacity(count),
        };
        for id in self.own_ids() {
            if slot[id.0 as usize] == NONE {
                continue;
            }
            let at = kept.words.len();
            kept.offs.push(at as u32);
            kept.words.extend_from_slice(self.ty(id).w);
            for_each_ref_word(&mut kept.words[at..], |r| *r = new_ids[*r as usize].0);
        }
        Ok((kept, IdMap { new_ids }))
    }
}
