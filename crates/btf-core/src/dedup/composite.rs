//! The struct pass: STRUCT, UNION and TYPEDEF, whose referenced types may
//! form cycles, are merged by type-graph equivalence ([`super::equiv`]).
//!
//! TYPEDEFs are here rather than with the reference types because Go (and
//! other languages) form cycles through them alone; a cycle must pass
//! through a type of this pass for the reference pass to terminate.

use super::shape::{equal_typedef, hash_struct, hash_typedef, shallow_equal_struct};
use super::state::{Rec, State};
use crate::{Kind, Result, TypeId};

impl State {
    pub(super) fn dedup_composites(&mut self, ids: std::ops::Range<u32>) -> Result<()> {
        for id in ids.map(TypeId) {
            // Mapped already: by an earlier graph check, or VAR/DATASEC.
            let composite = matches!(self.kind(id), Kind::Struct | Kind::Union | Kind::Typedef);
            if composite && !self.is_mapped(id) {
                self.dedup_composite(id)?;
            }
        }
        Ok(())
    }

    fn dedup_composite(&mut self, id: TypeId) -> Result<()> {
        let t = self.ty(id);
        let (h, shallow): (u64, fn(Rec<'_>, Rec<'_>) -> bool) = match t.kind() {
            Kind::Struct | Kind::Union => (hash_struct(t), shallow_equal_struct),
            Kind::Typedef => (hash_typedef(t), equal_typedef),
            _ => return Ok(()),
        };
        // Candidates with another signature can never match (see
        // `signature.rs`), so they live in other chains.
        let h = self.with_sig(h, id);
        let mut canon = id;
        let mut cur = self.table.first(h);
        while let Some((cand, next)) = self.table.get(cur) {
            cur = next;
            if self.sig(id) != self.sig(cand) {
                debug_assert!(!self.slow_check_would_match(id, cand, shallow));
                continue;
            }
            // The graph check treats a FWD and a struct of the same name as
            // equivalent; a FWD that collides in the table must not become
            // a candidate, or FWD → struct → FWD would loop.
            if !shallow(self.ty(id), self.ty(cand)) {
                continue;
            }
            self.hypot.clear();
            if !self.is_equiv(id, cand)? {
                continue;
            }
            self.merge_hypot();
            if self.hypot.adjust_canon {
                continue;
            }
            canon = cand;
            break;
        }
        self.set_canon(id, canon);
        if canon == id {
            self.table.add(h, id);
        }
        Ok(())
    }

    /// Debug builds check, on small inputs, that a candidate the signature
    /// ruled out would indeed have failed the graph check. (A check that
    /// errors on malformed input counts as failed: skipping it is why
    /// btfkit accepts a few malformed inputs libbpf rejects.)
    fn slow_check_would_match(
        &mut self,
        id: TypeId,
        cand: TypeId,
        shallow: fn(Rec<'_>, Rec<'_>) -> bool,
    ) -> bool {
        if self.end() > 20_000 || !shallow(self.ty(id), self.ty(cand)) {
            return false;
        }
        self.hypot.clear();
        let equiv = self.is_equiv(id, cand).unwrap_or(false);
        self.hypot.clear();
        equiv
    }
}
