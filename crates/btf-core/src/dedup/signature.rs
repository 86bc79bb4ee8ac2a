//! Member signatures: a cheap test that rules out most struct candidates
//! before the graph walk.
//!
//! A kernel has thousands of anonymous unions whose members are anonymous
//! structs at offset 0: all with the same shallow shape, so each new one is
//! walked against every earlier one (about a million walks for a 6.18
//! vmlinux), each failing one level down after touching several records.
//!
//! The signature of a STRUCT or UNION folds a key of each member's type (of
//! a TYPEDEF, of its target), chosen so that the graph check can only
//! succeed for equal signatures: the check requires paired types to have the
//! same name; a FWD pairs only with a struct or union, an enum forward only
//! with an enum, everything else only with its own kind; and anonymous
//! structs and unions pair only when shallow-equal. So skipping candidates
//! whose signature differs changes no result, only the time. (An anonymous
//! FWD, which no valid BTF has, could pair with an anonymous struct; if one
//! exists, signatures are all equal and nothing is skipped.)

use super::par;
use super::shape::hash_struct;
use super::state::State;
use super::table::combine;
use std::ops::Range;

use crate::{Kind, TypeId};

impl State {
    /// Fills `sigs` for the STRUCTs, UNIONs and TYPEDEFs of `range`, the
    /// ids after those that have signatures already. An anonymous FWD
    /// switches signatures off for good: every signature becomes 0 and the
    /// candidate table is rebuilt without them.
    pub(super) fn compute_signatures(&mut self, range: Range<usize>) {
        if self.sigs_off {
            return;
        }
        debug_assert_eq!(
            self.sigs.len(),
            range.start,
            "signatures are computed in id order"
        );
        let this = &*self;
        let parts = || par::split(range.clone(), par::threads(this.jobs, range.len()));
        let anonymous_fwd = par::map(parts(), |r| {
            r.skip_while(|&i| i == 0).any(|i| {
                let id = TypeId(i as u32);
                this.kind(id) == Kind::Fwd && this.ty(id).name().is_empty()
            })
        });
        if anonymous_fwd.contains(&true) {
            self.sigs_off = true;
            self.sigs = Vec::new();
            self.rekey_table();
            return;
        }
        let chunks = par::map(parts(), |r| {
            r.map(|i| {
                let s = this.signature(TypeId(i as u32));
                (s ^ (s >> 32)) as u32
            })
            .collect::<Vec<u32>>()
        });
        for c in chunks {
            self.sigs.extend_from_slice(&c);
        }
    }

    /// The signature of `id`, if it has one (else 0). Folded to 32 bits:
    /// equal signatures stay equal, which is all the filter needs.
    #[inline]
    pub(super) fn sig(&self, id: TypeId) -> u32 {
        self.sigs.get(id.0 as usize).copied().unwrap_or(0)
    }

    /// The table key of a STRUCT, UNION or TYPEDEF: its hash `h` with its
    /// signature mixed in. The struct pass skips candidates whose
    /// signature differs anyway; keeping them out of the chain saves
    /// walking past them (kernels have chains of thousands of anonymous
    /// unions). Chains keep their order, so results do not change.
    #[inline]
    pub(super) fn with_sig(&self, h: u64, id: TypeId) -> u64 {
        combine(h, self.sig(id))
    }

    fn signature(&self, id: TypeId) -> u64 {
        if !matches!(self.kind(id), Kind::Struct | Kind::Union | Kind::Typedef) {
            return 0;
        }
        let t = self.ty(id);
        match t.kind() {
            Kind::Struct | Kind::Union => {
                t.triples().fold(1, |h, m| mix(h, self.key(TypeId(m[1]))))
            }
            Kind::Typedef => self.key(TypeId(t.size_or_type())),
            _ => 0,
        }
    }

    /// What any type paired with `id` in a successful check shares with it.
    fn key(&self, id: TypeId) -> u64 {
        if id.is_void() {
            return 1;
        }
        let t = self.ty(id);
        let class = match t.kind() {
            Kind::Struct | Kind::Union | Kind::Fwd => 2,
            Kind::Enum | Kind::Enum64 => 3,
            k => 10 + u32::from(k.to_raw()),
        };
        let key = combine(u64::from(class), t.name().0);
        if t.kind().is_composite() && t.name().is_empty() {
            mix(key, hash_struct(t))
        } else {
            key
        }
    }
}

/// Mixes a 64-bit value into a running hash.
fn mix(h: u64, v: u64) -> u64 {
    combine(combine(h, v as u32), (v >> 32) as u32)
}
