//! Targets: the BTFs relocations are resolved against, and candidate
//! search (libbpf's `bpf_core_find_cands` / `bpf_core_add_cands`).
//!
//! libbpf scans the whole target once per distinct root type. btfkit looks
//! up every root of an object in one pass per target
//! ([`Targets::find_cands_many`]): only types of a kind some root has are
//! looked at, and only their names are hashed and probed in a small table
//! of the names asked for. A full essential-name index ([`NameIndex`]) is
//! built only when asked for (name suggestions in explanations).

use std::sync::OnceLock;

use btf_core::{Btf, Kind, TypeId};
use rustc_hash::FxHashMap;

use crate::name::essential;
use crate::types::{kinds_core_compat, BtfView};
use crate::Error;

/// Kinds left out of the name index: they cannot be the root of a
/// relocation clang emits, and FUNC alone is a third of vmlinux. Roots of
/// these kinds fall back to a scan.
fn indexed(k: Kind) -> bool {
    !matches!(k, Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag)
}

/// Essential name → ids of this BTF's own named types, in id order.
#[derive(Debug, Clone)]
pub struct NameIndex<'a> {
    heads: FxHashMap<&'a [u8], u32>,
    /// `next[id - first]`: the next id with the same essential name, or 0.
    next: Vec<u32>,
    first: u32,
}

impl<'a> NameIndex<'a> {
    /// Indexes the own types of `btf` (not its base) in one pass.
    pub fn new(btf: &Btf<'a>) -> NameIndex<'a> {
        let first = btf.first_id().0;
        let count = btf.len();
        // `heads` maps a name to its first and last id; walking ids forward
        // (the type section in order, which the CPU prefetches well) and
        // appending at the tail keeps every chain ascending.
        let mut ends: FxHashMap<&'a [u8], (u32, u32)> =
            FxHashMap::with_capacity_and_hasher(count / 8, Default::default());
        let mut next = vec![0u32; count];
        for t in btf.own_types() {
            if t.name_off().is_empty() || !indexed(t.kind()) {
                continue;
            }
            let name = essential(btf.type_name(&t));
            if name.is_empty() {
                continue;
            }
            let id = t.id().0;
            match ends.get_mut(name) {
                Some((_, tail)) => {
                    next[(*tail - first) as usize] = id;
                    *tail = id;
                }
                None => {
                    ends.insert(name, (id, id));
                }
            }
        }
        let heads = ends.into_iter().map(|(k, (h, _))| (k, h)).collect();
        NameIndex { heads, next, first }
    }

    /// Own ids whose essential name is `name`, ascending.
    pub fn lookup<'s>(&'s self, name: &[u8]) -> impl Iterator<Item = TypeId> + 's {
        let mut cur = self.heads.get(name).copied().unwrap_or(0);
        std::iter::from_fn(move || {
            if cur == 0 {
                return None;
            }
            let id = cur;
            cur = self
                .next
                .get((id - self.first) as usize)
                .copied()
                .unwrap_or(0);
            Some(TypeId(id))
        })
    }

    /// Every distinct essential name (for suggestions), in no order.
    pub fn names(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.heads.keys().copied()
    }

    /// Number of distinct essential names.
    pub fn len(&self) -> usize {
        self.heads.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }
}

/// One target BTF: vmlinux, a module (split on vmlinux), or any custom BTF.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// A name for messages and reports (`vmlinux`, a module name, a path).
    pub name: String,
    /// The BTF and its pointer size.
    pub view: BtfView<'a>,
    /// Built on first use.
    index: OnceLock<NameIndex<'a>>,
}

impl<'a> Target<'a> {
    /// Wraps `btf` (the name index is built on first use).
    pub fn new(name: impl Into<String>, btf: &'a Btf<'a>) -> Target<'a> {
        Target {
            name: name.into(),
            view: BtfView::new(btf),
            index: OnceLock::new(),
        }
    }

    /// The essential-name index of the target's own types, built on the
    /// first call.
    pub fn index(&self) -> &NameIndex<'a> {
        self.index.get_or_init(|| NameIndex::new(self.view.btf))
    }

    /// One pass over the own types: for each of `names` (essential name →
    /// slot), the ids of the types whose essential name it is and whose
    /// kind is in `kinds` (bit `1 << raw kind`), ascending, in
    /// `out[slot]`.
    fn scan(&self, names: &FxHashMap<&[u8], usize>, kinds: u64, out: &mut [Vec<TypeId>]) {
        if names.is_empty() {
            return;
        }
        let btf = self.view.btf;
        for (id, kind, name_off) in btf.own_kinds() {
            if kinds & kind_bit(kind) == 0 || name_off.is_empty() {
                continue;
            }
            let name = essential(btf.name(name_off).unwrap_or_default());
            if let Some(&slot) = names.get(name) {
                out[slot].push(id);
            }
        }
    }

    /// Own types of the same kind family as `kind` whose essential name is
    /// `name`, ascending.
    fn add_cands(&self, kind: Kind, name: &[u8], out: &mut Vec<TypeId>) {
        let btf = self.view.btf;
        let compat = |id: &TypeId| {
            btf.get(*id)
                .is_some_and(|t| kinds_core_compat(t.kind(), kind))
        };
        if indexed(kind) {
            out.extend(self.index().lookup(name).filter(compat));
            return;
        }
        out.extend(
            btf.own_types()
                .filter(|t| t.kind() == kind && !t.name_off().is_empty())
                .filter(|t| essential(btf.type_name(t)) == name)
                .map(|t| t.id()),
        );
    }
}

/// A candidate: a type in one of the targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Candidate {
    /// Index of the target in [`Targets`] (0 = the main BTF).
    pub target: usize,
    /// The type id in that target.
    pub id: TypeId,
}

/// The BTFs to search, libbpf's way: the main BTF (vmlinux or a custom
/// file) first; module BTFs only when the main one has no candidate.
#[derive(Debug, Clone)]
pub struct Targets<'a> {
    list: Vec<Target<'a>>,
}

impl<'a> Targets<'a> {
    /// Targets with `main` only.
    pub fn new(main: Target<'a>) -> Targets<'a> {
        Targets { list: vec![main] }
    }

    /// Adds a module BTF (split BTF on the main one), searched when the main
    /// BTF has no candidate.
    pub fn add_module(&mut self, module: Target<'a>) {
        self.list.push(module);
    }

    /// The targets, main first.
    pub fn list(&self) -> &[Target<'a>] {
        &self.list
    }

    /// The target `i`.
    pub fn get(&self, i: usize) -> &Target<'a> {
        &self.list[i]
    }

    /// Candidates for local root `root`: same kind (ENUM ≈ ENUM64), named,
    /// equal essential name, in id order; the main BTF's if it has any,
    /// else every module's.
    pub fn find_cands(&self, local: &BtfView<'_>, root: TypeId) -> Result<Vec<Candidate>, Error> {
        let t = local.get(root).ok_or(Error::VoidRoot)?;
        let name = local.btf.type_name(&t);
        if name.is_empty() {
            return Err(Error::AnonymousRoot {
                id: root,
                kind: t.kind().name().to_string(),
            });
        }
        let ess = essential(name);
        let mut out = Vec::new();
        let mut ids = Vec::new();
        for (i, target) in self.list.iter().enumerate() {
            ids.clear();
            target.add_cands(t.kind(), ess, &mut ids);
            out.extend(ids.iter().map(|&id| Candidate { target: i, id }));
            if i == 0 && !out.is_empty() {
                break;
            }
        }
        Ok(out)
    }

    /// [`find_cands`](Self::find_cands) for every root in `roots` at once,
    /// with one pass over each target (modules only for the roots the main
    /// BTF has no candidate for). Same results as calling `find_cands` per
    /// root.
    pub fn find_cands_many(
        &self,
        local: &BtfView<'_>,
        roots: impl IntoIterator<Item = TypeId>,
    ) -> FxHashMap<TypeId, Result<Vec<Candidate>, Error>> {
        let mut out: FxHashMap<TypeId, Result<Vec<Candidate>, Error>> = FxHashMap::default();
        // (root, kind, essential name) of the roots that can have candidates.
        let mut wanted: Vec<(TypeId, Kind, &[u8])> = Vec::new();
        for root in roots {
            if out.contains_key(&root) {
                continue;
            }
            let Some(t) = local.get(root) else {
                out.insert(root, Err(Error::VoidRoot));
                continue;
            };
            let name = local.btf.type_name(&t);
            if name.is_empty() {
                let kind = t.kind().name().to_string();
                out.insert(root, Err(Error::AnonymousRoot { id: root, kind }));
                continue;
            }
            out.insert(root, Ok(Vec::new()));
            wanted.push((root, t.kind(), essential(name)));
        }
        let mut slots = Vec::new();
        for (i, target) in self.list.iter().enumerate() {
            // The main BTF for every root, modules for those still empty.
            let todo: Vec<&(TypeId, Kind, &[u8])> = wanted
                .iter()
                .filter(|(root, ..)| {
                    i == 0
                        || matches!(out.get(root), Some(Ok(v)) if v.is_empty() || v[0].target != 0)
                })
                .collect();
            if todo.is_empty() {
                break;
            }
            let mut names: FxHashMap<&[u8], usize> = FxHashMap::default();
            let mut kinds = 0u64;
            for &&(_, kind, ess) in &todo {
                let next = names.len();
                names.entry(ess).or_insert(next);
                kinds |= kind_bit(kind);
                if kind.is_enum() {
                    kinds |= kind_bit(Kind::Enum) | kind_bit(Kind::Enum64);
                }
            }
            slots.clear();
            slots.resize_with(names.len(), Vec::new);
            target.scan(&names, kinds, &mut slots);
            let btf = target.view.btf;
            for &&(root, kind, ess) in &todo {
                let ids = &slots[names[ess]];
                if let Some(Ok(list)) = out.get_mut(&root) {
                    list.extend(
                        ids.iter()
                            .filter(|&&id| {
                                btf.get(id)
                                    .is_some_and(|t| kinds_core_compat(t.kind(), kind))
                            })
                            .map(|&id| Candidate { target: i, id }),
                    );
                }
            }
        }
        out
    }
}

/// `kind`'s bit in a kind set.
fn kind_bit(kind: Kind) -> u64 {
    1u64 << (kind.to_raw() & 63)
}
