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
use rustc_hash::FxHashMap;

/// How deep [`State::identical`] compares before giving up (libbpf's limit).
const IDENTICAL_DEPTH: u32 = 16;

/// How many type pairs one [`State::identical`] check may visit before it
/// gives up and answers "not identical".
///
/// The depth limit alone does not bound the work: a struct whose members
/// all lead to the same next level, nested 15 deep, is `fan-out^15` pairs
/// to a plain recursive walk. Remembering proven pairs makes such chains
/// linear, but pairs that really are distinct (a crafted lattice of
/// permuted members) can still grow polynomially, hence a budget too.
///
/// Running out is the safe answer: the graph check fails and dedup keeps
/// a type it could have merged, never merges different ones. Below the
/// budget results are exactly those of the plain walk. The check only runs
/// for copies of a type within one unit (two `int[4]`, two identical
/// anonymous structs), whose referenced types are mostly the same ids, so
/// it stops after a few pairs: on the kernel (two copies), BPF-object and
/// DWARF inputs of the test suites it is never even reached. With proven
/// pairs remembered, a step costs about one member or parameter reference,
/// so 2^14 still lets two wholly separate copies of a graph with
/// thousands of references compare (more than a compiler emits twice in
/// one unit), while a crafted input costs at most a few milliseconds per
/// check.
const IDENTICAL_BUDGET: u32 = 1 << 14;

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
            return Ok(prev == cand || self.identical(prev, cand));
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

    /// Whether two types are structurally identical down to
    /// [`IDENTICAL_DEPTH`] levels, ids compared only where they differ;
    /// see [`Identical`].
    fn identical(&self, id1: TypeId, id2: TypeId) -> bool {
        Identical::new(self).check(id1, id2, IDENTICAL_DEPTH)
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

/// One [`State::identical`] check: a recursive comparison, at most
/// [`IDENTICAL_DEPTH`] deep and [`IDENTICAL_BUDGET`] pairs long.
///
/// For ARRAY, libbpf reads both descriptors from the first type, so only
/// the common fields and the length are compared; kept, so that results
/// match libbpf's.
struct Identical<'s> {
    state: &'s State,
    /// Pairs still allowed to be visited.
    budget: u32,
    /// Pairs proven identical, with the least depth they were proven at.
    /// More depth never turns "identical" into "not", so a pair proven at
    /// depth `d` is identical at any depth from `d` on: results stay those
    /// of the plain recursive walk.
    proven: FxHashMap<(TypeId, TypeId), u32>,
}

impl<'s> Identical<'s> {
    fn new(state: &'s State) -> Identical<'s> {
        Identical {
            state,
            budget: IDENTICAL_BUDGET,
            proven: FxHashMap::default(),
        }
    }

    /// Whether `id1` and `id2` are identical down to `depth` levels.
    /// Every conjunction stops at the first "not identical", so running out
    /// of budget makes the whole check answer "not identical".
    fn check(&mut self, id1: TypeId, id2: TypeId, depth: u32) -> bool {
        if depth == 0 || self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        if self.proven.get(&(id1, id2)).is_some_and(|&d| d <= depth) {
            return true;
        }
        let same = self.compare(id1, id2, depth);
        if same {
            // Only reached without an entry or with one of greater depth.
            self.proven.insert((id1, id2), depth);
        }
        same
    }

    /// One level of [`Identical::check`]: the records, then the referenced
    /// types one level deeper.
    fn compare(&mut self, id1: TypeId, id2: TypeId, depth: u32) -> bool {
        let (a, b) = (self.state.ty(id1), self.state.ty(id2));
        if a.kind() != b.kind() {
            return false;
        }
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
                    && self.deeper(a.size_or_type(), b.size_or_type(), depth)
            }
            Kind::Array => compat_array(a, b),
            Kind::Struct | Kind::Union => {
                shallow_equal_struct(a, b)
                    && a.triples()
                        .zip(b.triples())
                        .all(|(x, y)| self.deeper(x[1], y[1], depth))
            }
            Kind::FuncProto => {
                compat_func_proto(a, b)
                    && self.deeper(a.size_or_type(), b.size_or_type(), depth)
                    && a.pairs()
                        .zip(b.pairs())
                        .all(|(x, y)| self.deeper(x[1], y[1], depth))
            }
            _ => false,
        }
    }

    /// Referenced ids `x` and `y` of a pair compared at `depth`: the same
    /// id, or identical one level down.
    fn deeper(&mut self, x: u32, y: u32, depth: u32) -> bool {
        x == y || self.check(TypeId(x), TypeId(y), depth - 1)
    }
}
