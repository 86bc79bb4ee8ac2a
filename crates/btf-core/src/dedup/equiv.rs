//! Type-graph equivalence: does the graph reachable from a candidate struct
//! match the graph reachable from a canonical one?
//!
//! Both graphs are walked side by side, depth first. Every visited canonical
//! type records which candidate type it was paired with (the hypothetical
//! map); meeting a canonical type again with the same candidate closes a
//! cycle, with a different one is a contradiction. Referenced ids are not
//! canonical yet, so types are compared shallowly and references followed.
//!
//! FWDs: a FWD on one side may stand for a struct or union of the same name
//! and kind on the other. Only FWDs on the canonical side are followed to
//! what they already resolve to: the candidate graph comes from one
//! compilation unit and maps one-to-one onto C types, which keeps the
//! hypothetical map consistent. After a successful check the pairs are used
//! to resolve FWDs for good and to map further structs early.

use super::shape::{
    compat_array, compat_enum, compat_func_proto, equal_common, equal_int_tag, fwd_kind,
    shallow_equal_struct,
};
use super::state::{error, State};
use crate::{Kind, Result, TypeId};

/// How deep [`State::identical`] compares before giving up (libbpf's limit).
const IDENTICAL_DEPTH: u32 = 16;

impl State {
    /// Whether the graphs at `cand` and `canon` are equivalent. Fills the
    /// hypothetical map (the caller clears it first) and may set
    /// `hypot.adjust_canon`.
    ///
    /// The walk uses an explicit stack, pushing children in reverse so they
    /// are visited in the same depth-first order as a recursive walk: that
    /// order decides which pairs get recorded first.
    pub(super) fn is_equiv(&mut self, cand: TypeId, canon: TypeId) -> Result<bool> {
        let mut stack = std::mem::take(&mut self.equiv_stack);
        stack.clear();
        stack.push((cand, canon));
        let mut result = Ok(true);
        while let Some((cand, canon)) = stack.pop() {
            match self.equiv_step(cand, canon, &mut stack) {
                Ok(true) => {}
                other => {
                    result = other;
                    break;
                }
            }
        }
        self.equiv_stack = stack;
        result
    }

    /// Compares one pair; pushes the pairs of referenced types still to
    /// compare. `false` ends the whole check.
    fn equiv_step(
        &mut self,
        cand: TypeId,
        canon: TypeId,
        stack: &mut Vec<(TypeId, TypeId)>,
    ) -> Result<bool> {
        if self.resolve(cand) == self.resolve(canon) {
            return Ok(true);
        }
        let canon = self.resolve_fwd(canon);
        if let Some(prev) = self.hypot.get(canon) {
            // Compilers sometimes emit identical copies of a type within one
            // unit (two `int[4]` for two fields), so a second, different
            // candidate is still fine if it is structurally identical.
            return Ok(prev == cand || self.identical(prev, cand, IDENTICAL_DEPTH));
        }
        self.hypot.set(canon, cand);

        let (c, k) = (self.ty(cand), self.ty(canon));
        if c.name() != k.name() {
            return Ok(false);
        }
        let (ckind, kkind) = (c.kind(), k.kind());
        if (ckind == Kind::Fwd) != (kkind == Kind::Fwd) {
            return Ok(self.fwd_matches(cand, canon));
        }
        if ckind != kkind {
            return Ok(false);
        }
        let same = match ckind {
            Kind::Int => equal_int_tag(c, k),
            Kind::Enum | Kind::Enum64 => compat_enum(c, k),
            Kind::Fwd | Kind::Float => equal_common(c, k),
            Kind::Const
            | Kind::Volatile
            | Kind::Restrict
            | Kind::Ptr
            | Kind::Typedef
            | Kind::Func
            | Kind::TypeTag => {
                let same = c.info() == k.info();
                if same {
                    stack.push((TypeId(c.size_or_type()), TypeId(k.size_or_type())));
                }
                same
            }
            Kind::Array => {
                let same = compat_array(c, k);
                if same {
                    stack.push((TypeId(c.word(0)), TypeId(k.word(0))));
                    stack.push((TypeId(c.word(1)), TypeId(k.word(1))));
                }
                same
            }
            Kind::Struct | Kind::Union => {
                let same = shallow_equal_struct(c, k);
                if same {
                    let pairs = c.triples().zip(k.triples());
                    stack.extend(pairs.rev().map(|(x, y)| (TypeId(x[1]), TypeId(y[1]))));
                }
                same
            }
            Kind::FuncProto => {
                let same = compat_func_proto(c, k);
                if same {
                    let pairs = c.pairs().zip(k.pairs());
                    stack.extend(pairs.rev().map(|(x, y)| (TypeId(x[1]), TypeId(y[1]))));
                    stack.push((TypeId(c.size_or_type()), TypeId(k.size_or_type())));
                }
                same
            }
            other => {
                return Err(error(
                    cand,
                    format!("{other} cannot be part of a struct's type graph"),
                ))
            }
        };
        Ok(same)
    }

    /// A FWD against a struct or union (either side): equivalent if the FWD
    /// declares that kind. A canonical-side FWD in the base would have to be
    /// resolved, which the base does not allow: flag it.
    fn fwd_matches(&mut self, cand: TypeId, canon: TypeId) -> bool {
        let (c, k) = (self.ty(cand), self.ty(canon));
        if c.kind() == Kind::Fwd {
            return fwd_kind(c) == k.kind();
        }
        let matches = fwd_kind(k) == c.kind();
        if matches && canon.0 < self.start {
            self.hypot.adjust_canon = true;
        }
        matches
    }

    /// Whether two types are structurally identical down to `depth` levels,
    /// ids compared only where they differ.
    ///
    /// For ARRAY, libbpf reads both descriptors from the first type, so only
    /// the common fields and the length are compared; kept, so that results
    /// match libbpf's.
    fn identical(&self, id1: TypeId, id2: TypeId, depth: u32) -> bool {
        if depth == 0 {
            return false;
        }
        let (a, b) = (self.ty(id1), self.ty(id2));
        if a.kind() != b.kind() {
            return false;
        }
        let deeper = |x: u32, y: u32| x == y || self.identical(TypeId(x), TypeId(y), depth - 1);
        match a.kind() {
            Kind::Unknown(0) => true,
            Kind::Int => equal_int_tag(a, b),
            Kind::Enum | Kind::Enum64 => compat_enum(a, b),
            Kind::Fwd | Kind::Float => equal_common(a, b),
            Kind::Const
            | Kind::Volatile
            | Kind::Restrict
            | Kind::Ptr
            | Kind::Typedef
            | Kind::Func
            | Kind::TypeTag => {
                a.info() == b.info()
                    && a.name() == b.name()
                    && deeper(a.size_or_type(), b.size_or_type())
            }
            Kind::Array => compat_array(a, b),
            Kind::Struct | Kind::Union => {
                shallow_equal_struct(a, b)
                    && a.triples()
                        .zip(b.triples())
                        .all(|(x, y)| deeper(x[1], y[1]))
            }
            Kind::FuncProto => {
                compat_func_proto(a, b)
                    && deeper(a.size_or_type(), b.size_or_type())
                    && a.pairs().zip(b.pairs()).all(|(x, y)| deeper(x[1], y[1]))
            }
            _ => false,
        }
    }

    /// Makes the pairs of a successful check permanent where that is safe:
    /// FWDs resolve to the concrete type they were paired with, and a
    /// candidate-side struct maps to its already canonical counterpart.
    pub(super) fn merge_hypot(&mut self) {
        for i in 0..self.hypot.len() {
            let (canon, cand) = self.hypot.pair(i);
            let (t, c) = (self.resolve(cand), self.resolve(canon));
            let (tk, ck) = (self.ty(t).kind(), self.ty(c).kind());
            // Also records a base FWD → split struct, so that split FWDs
            // resolved against that base FWD reach the struct.
            if tk != Kind::Fwd && ck == Kind::Fwd {
                self.set_canon(c, t);
            }
            if self.hypot.adjust_canon {
                continue;
            }
            if tk == Kind::Fwd && ck != Kind::Fwd {
                self.set_canon(t, c);
            }
            // Only a struct whose counterpart is settled may be mapped now;
            // the rest are left for their own turn.
            if tk.is_composite() && ck != Kind::Fwd && self.is_mapped(c) && !self.is_mapped(t) {
                self.set_canon(t, c);
            }
        }
    }
}
