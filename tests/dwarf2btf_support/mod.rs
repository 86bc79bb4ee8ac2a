//! Shared by the `dwarf2btf_*` tests: running the conversion on fixtures
//! and comparing two BTFs type by type, ids aside.
//!
//! The comparison is structural: a named type of one BTF equals a type of
//! the other with the same name if their whole graphs match (sizes,
//! encodings, member names and offsets, enumerators, prototypes), following
//! pointers with a cycle guard. Two things are deliberately not compared:
//! array index types (clang uses its own `__ARRAY_SIZE_TYPE__`, pahole the
//! unit's `int`, btfkit the DWARF subrange type; the kernel only needs an
//! integer) and member order (compared in offset order, since btfkit sorts
//! members and rustc's LLVM does not).
//!
//! A test file that includes this module must also declare `mod common;`.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use btf_core::elf::ElfBtf;
use btf_core::types::Linkage;
use btf_core::{Btf, Kind, Type, TypeData, TypeId};

use crate::common::fixture;

/// A path under fixtures/dwarf.
pub fn dwarf_fixture(rel: &str) -> PathBuf {
    fixture("dwarf").join(rel)
}

/// A path under fixtures/obj (the BPF references).
pub fn bpf_fixture(rel: &str) -> PathBuf {
    fixture("obj").join(rel)
}

/// Converts `path` with btfkit's library, deduplicates, and returns raw BTF.
pub fn convert(path: &Path, rust_names: btf_dwarf::RustNames, jobs: usize) -> Vec<u8> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let options = btf_dwarf::Options {
        jobs,
        rust_names,
        ..btf_dwarf::Options::default()
    };
    let enc = btf_dwarf::encode(&data, &options, None, &btf_dwarf::NoProgress)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let out = btf_core::dedup::dedup_packed(enc.builder, None, &Default::default())
        .unwrap_or_else(|e| panic!("{}: dedup: {e}", path.display()));
    out.builder.write(enc.endian).expect("write")
}

/// The .BTF section of an ELF file.
pub fn elf_btf(path: &Path) -> Vec<u8> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let elf = ElfBtf::parse(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    elf.btf
        .unwrap_or_else(|| panic!("{}: no .BTF", path.display()))
        .into_owned()
}

/// What comparing the named types of `ours` against `reference` found.
#[derive(Debug, Default)]
pub struct Report {
    /// Named types of ours that equal a same-named type of the reference.
    pub matched: usize,
    /// Named types of ours whose same-named reference types all differ,
    /// with the first difference.
    pub differ: Vec<String>,
    /// Named types of ours the reference lacks (kind and name).
    pub missing_in_reference: Vec<String>,
    /// Named STRUCT/UNION/ENUM/ENUM64/TYPEDEF types of the reference that
    /// ours lacks, or has only as a FWD (kind and name).
    pub missing_in_ours: Vec<String>,
    /// Named types the reference has only as a FWD (LLVM prunes types only
    /// reached through pointers); their layout cannot be checked.
    pub forward_only: Vec<String>,
    /// Matches that relied on a documented divergence.
    pub divergences: Vec<String>,
}

impl Report {
    /// A readable summary for assertion messages.
    pub fn summary(&self) -> String {
        format!(
            "matched {}, differ {}: {:#?}\nmissing in reference: {:?}\nmissing in ours: \
             {:?}\nforward-only in reference: {:?}\ndivergences: {:?}",
            self.matched,
            self.differ.len(),
            self.differ,
            self.missing_in_reference,
            self.missing_in_ours,
            self.forward_only,
            self.divergences
        )
    }
}

/// Known, documented ways btfkit's BTF may differ from the reference.
#[derive(Clone, Copy, Debug, Default)]
pub struct Allow {
    /// LLVM's BPF backend has no encoding for DWARF's UTF base types (Rust
    /// `char`) and writes void; btfkit writes `INT 'char' size=4`.
    pub rust_char_is_void: bool,
    /// The kernel rejects a union member at a non-zero offset; btfkit wraps
    /// a niche discriminant in an anonymous struct (see `btf_dwarf::variant`)
    /// where LLVM puts it at its offset.
    pub wrapped_discriminants: bool,
    /// GCC spells C's integer types its own way (`long int`, `short
    /// unsigned int`) and orders `const volatile` the other way round:
    /// compare INTs by size and encoding only, qualifier chains as sets.
    pub gcc: bool,
}

/// Kinds whose named types are compared.
const COMPARED: [Kind; 12] = [
    Kind::Struct,
    Kind::Union,
    Kind::Enum,
    Kind::Enum64,
    Kind::Typedef,
    Kind::Int,
    Kind::Float,
    Kind::Fwd,
    Kind::Func,
    Kind::Var,
    Kind::DeclTag,
    Kind::TypeTag,
];

/// Compares every named type of `ours` with the reference.
pub fn compare_named(ours: &Btf<'_>, reference: &Btf<'_>, allow: Allow) -> Report {
    let mut by_name: BTreeMap<&[u8], Vec<TypeId>> = BTreeMap::new();
    for t in reference.types() {
        let name = reference.type_name(&t);
        if !name.is_empty() {
            by_name.entry(name).or_default().push(t.id());
        }
    }
    let mut report = Report::default();
    for t in ours.types() {
        let name = ours.type_name(&t);
        if name.is_empty() || !COMPARED.contains(&t.kind()) {
            continue;
        }
        let label = format!("{} '{}'", t.kind(), String::from_utf8_lossy(name));
        if t.kind() == Kind::Int && name == b"__ARRAY_SIZE_TYPE__" {
            // DWARF's array index type: 64-bit on x86-64, and not compared.
            report
                .divergences
                .push("array index type not compared".into());
            continue;
        }
        let mut candidates = by_name.get(name).map(Vec::as_slice).unwrap_or(&[]);
        if candidates.is_empty() && t.kind() == Kind::Var {
            candidates = renamed_static(&by_name, name);
        }
        let candidates: Vec<TypeId> = candidates
            .iter()
            .copied()
            .filter(|&c| kinds_compatible(t.kind(), reference.get(c).unwrap().kind()))
            .collect();
        if candidates.is_empty() {
            report.missing_in_reference.push(label);
            continue;
        }
        if t.kind() != Kind::Fwd
            && candidates
                .iter()
                .all(|&c| reference.get(c).unwrap().kind() == Kind::Fwd)
        {
            report.forward_only.push(label);
            continue;
        }
        let mut first_error = None;
        let mut matched = false;
        for &c in &candidates {
            let mut cmp = Comparer {
                a: ours,
                b: reference,
                allow,
                assumed: HashSet::new(),
                used: Vec::new(),
            };
            match cmp.eq(t.id(), c, &label) {
                Ok(()) => {
                    matched = true;
                    report.divergences.extend(cmp.used);
                    break;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if matched {
            report.matched += 1;
        } else {
            report.differ.push(first_error.unwrap_or_default());
        }
    }
    report.missing_in_ours = missing_in(ours, reference);
    report.divergences.sort();
    report.divergences.dedup();
    report
}

/// The named composite, enum and typedef types of `reference` that `ours`
/// does not define (a FWD of the name does not count): the other direction
/// of [`compare_named`], so that a type btfkit stops emitting is noticed.
fn missing_in(ours: &Btf<'_>, reference: &Btf<'_>) -> Vec<String> {
    let defined = |k: Kind| {
        matches!(
            k,
            Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 | Kind::Typedef
        )
    };
    let have: HashSet<(&[u8], bool)> = ours
        .types()
        .filter(|t| defined(t.kind()))
        .map(|t| (ours.type_name(&t), t.kind() == Kind::Typedef))
        .collect();
    reference
        .types()
        .filter(|t| defined(t.kind()))
        .filter(|t| !reference.type_name(t).is_empty())
        .filter(|t| !have.contains(&(reference.type_name(t), t.kind() == Kind::Typedef)))
        .map(|t| {
            format!(
                "{} '{}'",
                t.kind(),
                String::from_utf8_lossy(reference.type_name(&t))
            )
        })
        .collect()
}

/// Reference VARs named `name.N`: clang's BPF backend names a static
/// variable after its symbol, which the optimiser may have renamed
/// (`local_union.0`); btfkit uses the source name DWARF gives.
fn renamed_static<'r>(by_name: &'r BTreeMap<&[u8], Vec<TypeId>>, name: &[u8]) -> &'r [TypeId] {
    by_name
        .iter()
        .find(|(n, _)| is_renamed(name, n))
        .map_or(&[], |(_, ids)| ids.as_slice())
}

fn is_renamed(source: &[u8], symbol: &[u8]) -> bool {
    symbol
        .strip_prefix(source)
        .and_then(|rest| rest.strip_prefix(b"."))
        .is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
}

fn is_qualifier(k: Kind) -> bool {
    matches!(k, Kind::Const | Kind::Volatile | Kind::Restrict)
}

/// The sorted qualifiers at the top of `id` and the type under them.
fn qualifiers(btf: &Btf<'_>, mut id: TypeId) -> (Vec<Kind>, TypeId) {
    let mut quals = Vec::new();
    while let Some(t) = btf.get(id).filter(|t| is_qualifier(t.kind())) {
        quals.push(t.kind());
        id = t.type_ref().unwrap_or(TypeId::VOID);
    }
    quals.sort();
    (quals, id)
}

fn kinds_compatible(a: Kind, b: Kind) -> bool {
    a == b
        || matches!(
            (a, b),
            (Kind::Fwd, Kind::Struct | Kind::Union) | (Kind::Struct | Kind::Union, Kind::Fwd)
        )
}

struct Comparer<'x, 'a, 'b> {
    a: &'x Btf<'a>,
    b: &'x Btf<'b>,
    allow: Allow,
    /// Pairs assumed equal while their comparison is in progress (cycles).
    assumed: HashSet<(TypeId, TypeId)>,
    used: Vec<String>,
}

type Cmp = Result<(), String>;

impl Comparer<'_, '_, '_> {
    fn eq(&mut self, x: TypeId, y: TypeId, path: &str) -> Cmp {
        if x.is_void() || y.is_void() {
            return self.void_eq(x, y, path);
        }
        if !self.assumed.insert((x, y)) {
            return Ok(());
        }
        let (a, b) = (self.a.get(x).unwrap(), self.b.get(y).unwrap());
        let (na, nb) = (self.a.type_name(&a), self.b.type_name(&b));
        if self.allow.gcc && a.kind() == Kind::Int && b.kind() == Kind::Int {
            // Compared by size and encoding below.
        } else if a.kind() == Kind::Var && na != nb && is_renamed(na, nb) {
            self.used
                .push("static VAR named as in the source, not as the optimiser renamed it".into());
        } else if na != nb {
            return Err(format!(
                "{path}: name '{}' vs '{}'",
                String::from_utf8_lossy(na),
                String::from_utf8_lossy(nb)
            ));
        }
        if a.kind() != b.kind() {
            if self.allow.gcc && is_qualifier(a.kind()) && is_qualifier(b.kind()) {
                return self.qualifier_sets(x, y, path);
            }
            if self.allow.gcc && is_qualifier(a.kind()) && b.kind() == Kind::Array {
                // GCC qualifies the array as well as its elements.
                let (_, base) = qualifiers(self.a, x);
                if self.a.get(base).is_some_and(|t| t.kind() == Kind::Array) {
                    return self.eq(base, y, path);
                }
            }
            return self.kind_mismatch(&a, &b, path);
        }
        match (a.data(), b.data()) {
            (TypeData::Int(p), TypeData::Int(q)) => check(
                (p.size, p.encoding, p.bits) == (q.size, q.encoding, q.bits),
                || format!("{path}: INT {p:?} vs {q:?}"),
            ),
            (TypeData::Float, TypeData::Float) => check(a.size() == b.size(), || {
                format!("{path}: FLOAT size differs")
            }),
            (TypeData::Ptr(p), TypeData::Ptr(q))
            | (TypeData::Const(p), TypeData::Const(q))
            | (TypeData::Volatile(p), TypeData::Volatile(q))
            | (TypeData::Restrict(p), TypeData::Restrict(q))
            | (TypeData::Typedef(p), TypeData::Typedef(q))
            | (TypeData::TypeTag(p), TypeData::TypeTag(q)) => {
                self.eq(p, q, &format!("{path}→{}", a.kind()))
            }
            (TypeData::Array(p), TypeData::Array(q)) => {
                check(p.nelems == q.nelems, || {
                    format!("{path}: {} vs {} elements", p.nelems, q.nelems)
                })?;
                self.eq(p.elem_type, q.elem_type, &format!("{path}[]"))
            }
            (TypeData::Struct(_), TypeData::Struct(_))
            | (TypeData::Union(_), TypeData::Union(_)) => self.composite(&a, &b, path),
            (TypeData::Enum(_), TypeData::Enum(_)) | (TypeData::Enum64(_), TypeData::Enum64(_)) => {
                self.enumeration(&a, &b, path)
            }
            (TypeData::Fwd(p), TypeData::Fwd(q)) => {
                check(p == q, || format!("{path}: FWD union/struct"))
            }
            (TypeData::FuncProto(r, _), TypeData::FuncProto(s, _)) => {
                self.eq(r, s, &format!("{path}→ret"))?;
                let (pa, pb): (Vec<_>, Vec<_>) = (a.params().collect(), b.params().collect());
                check(pa.len() == pb.len(), || {
                    format!("{path}: {} vs {} parameters", pa.len(), pb.len())
                })?;
                for (i, (p, q)) in pa.iter().zip(&pb).enumerate() {
                    let (n, m) = (self.a.name(p.name), self.b.name(q.name));
                    check(n == m, || format!("{path}: parameter {i} name"))?;
                    self.eq(p.type_id, q.type_id, &format!("{path}→param{i}"))?;
                }
                Ok(())
            }
            (TypeData::Func(p, l), TypeData::Func(q, m)) => {
                check(l == m, || format!("{path}: linkage {l:?} vs {m:?}"))?;
                self.eq(p, q, path)
            }
            (TypeData::Var(p, l), TypeData::Var(q, m)) => {
                check(linkage_eq(l, m), || {
                    format!("{path}: linkage {l:?} vs {m:?}")
                })?;
                self.eq(p, q, path)
            }
            (TypeData::DeclTag(p, i), TypeData::DeclTag(q, j)) => {
                check(i == j, || format!("{path}: component {i} vs {j}"))?;
                self.eq(p, q, path)
            }
            _ => Err(format!("{path}: cannot compare {}", a.kind())),
        }
    }

    /// Two qualifier chains in different orders: same qualifiers, same
    /// base.
    fn qualifier_sets(&mut self, x: TypeId, y: TypeId, path: &str) -> Cmp {
        let (qa, base_a) = qualifiers(self.a, x);
        let (qb, base_b) = qualifiers(self.b, y);
        check(qa == qb, || format!("{path}: qualifiers {qa:?} vs {qb:?}"))?;
        self.eq(base_a, base_b, path)
    }

    fn void_eq(&mut self, x: TypeId, y: TypeId, path: &str) -> Cmp {
        if x == y {
            return Ok(());
        }
        if y.is_void() && self.allow.rust_char_is_void {
            let a = self.a.get(x).unwrap();
            if a.kind() == Kind::Int && self.a.type_name(&a) == b"char" {
                self.used
                    .push("Rust char: INT 'char' where LLVM writes void".into());
                return Ok(());
            }
        }
        Err(format!("{path}: void vs non-void"))
    }

    /// FWD on one side and STRUCT/UNION on the other: equal if names match
    /// (LLVM emits FWDs for structs only reached through pointers).
    fn kind_mismatch(&mut self, a: &Type<'_>, b: &Type<'_>, path: &str) -> Cmp {
        let union_a = a.kind() == Kind::Union || matches!(a.data(), TypeData::Fwd(true));
        let union_b = b.kind() == Kind::Union || matches!(b.data(), TypeData::Fwd(true));
        if (a.kind() == Kind::Fwd || b.kind() == Kind::Fwd) && union_a == union_b {
            return Ok(());
        }
        Err(format!("{path}: kind {} vs {}", a.kind(), b.kind()))
    }

    fn composite(&mut self, a: &Type<'_>, b: &Type<'_>, path: &str) -> Cmp {
        check(a.size() == b.size(), || {
            format!("{path}: size {:?} vs {:?}", a.size(), b.size())
        })?;
        let mut ma: Vec<_> = a.members().collect();
        let mut mb: Vec<_> = b.members().collect();
        if self.allow.wrapped_discriminants && a.kind() == Kind::Union {
            if let Some(i) = self.unwrap_discriminant(&ma, &mb) {
                self.used
                    .push("niche discriminant wrapped in a struct at union offset 0".into());
                return self.union_with_wrapper(&ma, &mb, i, path);
            }
        }
        check(ma.len() == mb.len(), || {
            format!("{path}: {} vs {} members", ma.len(), mb.len())
        })?;
        ma.sort_by_key(|m| m.bit_offset());
        mb.sort_by_key(|m| m.bit_offset());
        for (p, q) in ma.iter().zip(&mb) {
            let (n, m) = (self.a.name(p.name).unwrap(), self.b.name(q.name).unwrap());
            let here = format!("{path}.{}", String::from_utf8_lossy(n));
            check(n == m, || {
                format!("{here}: member name vs '{}'", String::from_utf8_lossy(m))
            })?;
            check(p.bit_offset() == q.bit_offset(), || {
                format!("{here}: offset {} vs {}", p.bit_offset(), q.bit_offset())
            })?;
            check(p.bitfield_size() == q.bitfield_size(), || {
                format!(
                    "{here}: bitfield {} vs {}",
                    p.bitfield_size(),
                    q.bitfield_size()
                )
            })?;
            self.eq(p.type_id, q.type_id, &here)?;
        }
        Ok(())
    }

    /// If `ma` is a union whose member `i` is a btfkit wrapper (anonymous
    /// struct of the union's size with one member) and `mb` has an
    /// anonymous member at a non-zero offset, the index `i`.
    fn unwrap_discriminant(
        &self,
        ma: &[btf_core::types::Member],
        mb: &[btf_core::types::Member],
    ) -> Option<usize> {
        let off_b = mb.iter().position(|m| m.bit_offset() != 0)?;
        let _ = off_b;
        ma.iter().position(|m| {
            let t = self.a.get(m.type_id);
            m.name.is_empty()
                && t.is_some_and(|t| {
                    t.kind() == Kind::Struct && self.a.type_name(&t).is_empty() && t.vlen() == 1
                })
        })
    }

    fn union_with_wrapper(
        &mut self,
        ma: &[btf_core::types::Member],
        mb: &[btf_core::types::Member],
        wrapper: usize,
        path: &str,
    ) -> Cmp {
        check(ma.len() == mb.len(), || format!("{path}: member count"))?;
        let inner = self.a.get(ma[wrapper].type_id).unwrap();
        let inner_member = inner.members().next().unwrap();
        let Some(target) = mb
            .iter()
            .position(|m| m.bit_offset() == inner_member.bit_offset())
        else {
            return Err(format!(
                "{path}: wrapped discriminant offset not in reference"
            ));
        };
        self.eq(
            inner_member.type_id,
            mb[target].type_id,
            &format!("{path}.(discriminant)"),
        )?;
        let rest_a = ma.iter().enumerate().filter(|(i, _)| *i != wrapper);
        let rest_b: Vec<_> = mb
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != target)
            .map(|(_, m)| *m)
            .collect();
        for ((_, p), q) in rest_a.zip(&rest_b) {
            let here = format!(
                "{path}.{}",
                String::from_utf8_lossy(self.a.name(p.name).unwrap())
            );
            check(self.a.name(p.name) == self.b.name(q.name), || {
                format!("{here}: name")
            })?;
            self.eq(p.type_id, q.type_id, &here)?;
        }
        Ok(())
    }

    fn enumeration(&mut self, a: &Type<'_>, b: &Type<'_>, path: &str) -> Cmp {
        check(a.size() == b.size(), || format!("{path}: size"))?;
        check(a.kflag() == b.kflag(), || format!("{path}: signedness"))?;
        let va: Vec<_> = a.enum_values().collect();
        let vb: Vec<_> = b.enum_values().collect();
        check(va.len() == vb.len(), || format!("{path}: enumerator count"))?;
        for (p, q) in va.iter().zip(&vb) {
            check(self.a.name(p.name) == self.b.name(q.name), || {
                format!("{path}: enumerator name")
            })?;
            check(p.value() == q.value(), || {
                format!("{path}: value {} vs {}", p.value(), q.value())
            })?;
        }
        Ok(())
    }
}

/// LLVM marks Rust statics global even when not `pub`; only global vs
/// static matters for the kernel.
fn linkage_eq(a: Linkage, b: Linkage) -> bool {
    a == b
}

fn check(ok: bool, why: impl FnOnce() -> String) -> Cmp {
    if ok {
        Ok(())
    } else {
        Err(why())
    }
}
