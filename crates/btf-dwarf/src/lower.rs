//! Lowering a finished unit to BTF records, in the worker that decoded it.
//!
//! Everything that costs allocations or per-name work happens here, in
//! parallel: the unit's types become BTF records (native-endian words, one
//! after the other) whose names are indices into a unit-local string table
//! and whose references are unit-relative. Merging (sequential) then only
//! maps each distinct string of the unit to the output's string table once,
//! adds a base to every reference and copies the words.

use std::borrow::Cow;

use btf_core::types::{Linkage, Param};
use btf_core::write::{Body as OwnedBody, OwnedType};
use btf_core::{Kind, StrOffset, TypeId};
use rustc_hash::FxHashMap;

use crate::ids::Ref;
use crate::model::{Body, DeclTag, LocalType, Name, UnitTypes};
use crate::names::{is_valid_identifier, sanitize};
use crate::naming::c_str;
use crate::strtab::Preload;

/// Marks a reference field that points into another unit: the low bits
/// index [`UnitBtf::info_refs`]. Local references are `local id + 1` (0 is
/// void) and stay far below this bit.
pub(crate) const INFO_BIT: u32 = 1 << 31;

/// A name field holding an index into [`UnitBtf::strings`] rather than a
/// final string offset. Names found in `.debug_str` get their final offset
/// right away (see [`strtab`](crate::strtab)); only the others go through
/// the unit's table.
pub(crate) const UNIT_STR_BIT: u32 = 1 << 31;

/// A name field holding a `.debug_str` offset whose final offset the merge
/// looks up (see [`Preload::is_canonical`]): mostly the tail of a longer
/// string, which a linker stored once for both. Offsets of the preloaded
/// `.debug_str` (at most 64 MiB) stay far below this bit.
pub(crate) const DEBUG_STR_BIT: u32 = 1 << 30;

/// A FUNC the merge may emit (kernel rules pick one per name).
#[derive(Debug)]
pub(crate) struct UnitFunc {
    /// Local string index of the name.
    pub name: StrOffset,
    pub linkage: Linkage,
    pub params_named: bool,
    /// The FUNC_PROTO, references unit-relative.
    pub proto: OwnedType,
    /// DECL_TAGs on the FUNC: (local string index, component).
    pub tags: Vec<(StrOffset, i32)>,
}

/// A VAR the merge may emit (one per address).
#[derive(Debug)]
pub(crate) struct UnitVar {
    pub name: StrOffset,
    /// Unit-relative reference to the type.
    pub ty: u32,
    pub linkage: Linkage,
    pub section: usize,
    pub offset: u64,
    pub size: u64,
    pub tags: Vec<(StrOffset, i32)>,
}

/// A unit, lowered.
#[derive(Debug, Default)]
pub(crate) struct UnitBtf<'a> {
    pub unit_offset: u64,
    /// The unit's types as BTF records, back to back.
    pub types: Vec<u32>,
    /// Names without a final offset yet (see [`UNIT_STR_BIT`]).
    pub strings: Vec<Cow<'a, [u8]>>,
    /// `.debug_info` offsets of references into other units.
    pub info_refs: Vec<u64>,
    /// Unit offsets of the DIE types (local id = index), for references
    /// from other units.
    pub offsets: Vec<u32>,
    /// DIEs standing for other types, resolved.
    pub aliases: Vec<(u32, Ref)>,
    pub funcs: Vec<UnitFunc>,
    pub vars: Vec<UnitVar>,
    pub warnings: Vec<(&'static str, String)>,
    pub dies: u64,
}

/// Where `.debug_str` names go.
#[derive(Clone, Copy)]
pub(crate) struct StrTarget<'a> {
    /// `.debug_str`.
    pub debug_str: &'a [u8],
    /// Where the output's string section holds a copy of `.debug_str`, if
    /// it does.
    pub preload: Option<&'a Preload>,
}

/// Builds a [`UnitBtf`].
struct Lowering<'a> {
    out: UnitBtf<'a>,
    target: StrTarget<'a>,
    by_bytes: FxHashMap<Cow<'a, [u8]>, u32>,
}

/// Lowers a finished unit.
pub(crate) fn lower<'a>(unit: UnitTypes<'a>, target: StrTarget<'a>) -> UnitBtf<'a> {
    let mut l = Lowering {
        target,
        out: UnitBtf {
            unit_offset: unit.unit_offset,
            strings: Vec::new(),
            offsets: unit.offsets,
            aliases: unit.aliases,
            warnings: unit.warnings,
            dies: unit.dies,
            ..UnitBtf::default()
        },
        by_bytes: FxHashMap::default(),
    };
    l.out.types.reserve(unit.types.len() * 6);
    for t in unit.types {
        l.encode(t);
    }
    for mut f in unit.funcs {
        name_parameters(&mut f.params);
        let params = l.params(f.params);
        let proto = OwnedType {
            name: StrOffset::EMPTY,
            kind: Kind::FuncProto,
            kflag: false,
            size_or_type: l.reference(f.ret),
            body: OwnedBody::Params(params),
        };
        let func = UnitFunc {
            name: l.string(f.name),
            linkage: f.linkage,
            params_named: f.params_named,
            proto,
            tags: l.tags(f.tags),
        };
        l.out.funcs.push(func);
    }
    for v in unit.vars {
        let var = UnitVar {
            name: l.string(v.name),
            ty: l.reference(v.ty),
            linkage: v.linkage,
            section: v.section,
            offset: v.offset,
            size: v.size,
            tags: l.tags(v.tags),
        };
        l.out.vars.push(var);
    }
    l.out
}

/// The kernel rejects a FUNC whose prototype has an unnamed parameter
/// ("Invalid arg#N"): pahole skips such functions, aya names the
/// parameters `param0`, `param1`, … and so does btfkit (the kernel rules
/// never get here: they skip such functions as pahole does).
fn name_parameters(params: &mut [(Name<'_>, Ref)]) {
    for (i, (name, ty)) in params.iter_mut().enumerate() {
        if *name == crate::model::ANON && *ty != Ref::Void {
            *name = Name::Bytes(Cow::Owned(format!("param{i}").into_bytes()));
        }
    }
}

impl<'a> Lowering<'a> {
    /// A name as a name field: a final offset for a `.debug_str` name
    /// that needs no sanitising, else an index into the unit's strings.
    fn string(&mut self, name: Name<'a>) -> StrOffset {
        let b = match name {
            Name::Bytes(b) if b.is_empty() => return StrOffset::EMPTY,
            Name::Bytes(b) => b,
            Name::Str { off, fix } => {
                let raw = || c_str(self.target.debug_str, off as usize);
                match self.target.preload {
                    Some(p) if !fix || is_valid_identifier(raw()) => {
                        return StrOffset(if p.is_canonical(off) {
                            p.start + off
                        } else {
                            DEBUG_STR_BIT | off
                        });
                    }
                    _ if fix => sanitize(Cow::Borrowed(raw())),
                    _ => Cow::Borrowed(raw()),
                }
            }
        };
        if b.is_empty() {
            return StrOffset::EMPTY;
        }
        let next = self.out.strings.len() as u32;
        let idx = match self.by_bytes.get(&b) {
            Some(&i) => i,
            None => {
                self.out.strings.push(b.clone());
                self.by_bytes.insert(b, next);
                next
            }
        };
        StrOffset(UNIT_STR_BIT | idx)
    }

    /// A resolved reference as a unit-relative field value.
    fn reference(&mut self, r: Ref) -> u32 {
        match r {
            Ref::Local(id) => id.0 + 1,
            Ref::Info(off) => {
                let i = self.out.info_refs.len() as u32;
                self.out.info_refs.push(off);
                INFO_BIT | i
            }
            _ => 0,
        }
    }

    fn params(&mut self, ps: Vec<(Name<'a>, Ref)>) -> Vec<Param> {
        ps.into_iter()
            .map(|(n, t)| Param {
                name: self.string(n),
                type_id: TypeId(self.reference(t)),
            })
            .collect()
    }

    fn tags(&mut self, tags: Vec<DeclTag<'a>>) -> Vec<(StrOffset, i32)> {
        tags.into_iter()
            .map(|t| (self.string(t.value), t.component))
            .collect()
    }

    /// Appends the record of `t`. The record always fits its kind (the
    /// trailing words the kind needs, from the body when it has them), so
    /// merging can walk the records by kind and vlen alone.
    fn encode(&mut self, t: LocalType<'a>) {
        let name = self.string(t.name).0;
        let size_or_type = if t.kind.has_type_ref() {
            self.reference(t.ty)
        } else {
            t.size
        };
        let at = self.out.types.len();
        self.out.types.extend_from_slice(&[name, 0, size_or_type]);
        let mut vlen = 0u32;
        match (t.kind, t.body) {
            (Kind::Int, body) => {
                let raw = match body {
                    Body::Int(raw) => raw,
                    _ => 0,
                };
                self.out.types.push(raw);
            }
            (Kind::Var, _) => self.out.types.push(0),
            (Kind::DeclTag, body) => {
                let c = match body {
                    Body::DeclTag(c) => c,
                    _ => -1,
                };
                self.out.types.push(c as u32);
            }
            (Kind::Array, body) => {
                let (elem, index, nelems) = match body {
                    Body::Array {
                        elem,
                        index,
                        nelems,
                    } => (self.reference(elem), self.reference(index), nelems),
                    _ => (0, 0, 0),
                };
                self.out.types.extend_from_slice(&[elem, index, nelems]);
            }
            (Kind::Struct | Kind::Union, Body::Members(ms)) => {
                for m in ms {
                    // finish.rs dropped the members beyond the offset limit.
                    let raw_offset = if t.kflag {
                        u32::from(m.bitfield) << 24 | m.bit_offset as u32
                    } else {
                        m.bit_offset as u32
                    };
                    let name = self.string(m.name).0;
                    let ty = self.reference(m.ty);
                    self.out.types.extend_from_slice(&[name, ty, raw_offset]);
                    vlen += 1;
                }
            }
            (Kind::Enum, Body::Enum(vs)) => {
                for (n, v) in vs {
                    let n = self.string(n).0;
                    self.out.types.extend_from_slice(&[n, v]);
                    vlen += 1;
                }
            }
            (Kind::Enum64, Body::Enum64(vs)) => {
                for (n, v) in vs {
                    let n = self.string(n).0;
                    self.out
                        .types
                        .extend_from_slice(&[n, v as u32, (v >> 32) as u32]);
                    vlen += 1;
                }
            }
            (Kind::FuncProto, Body::Params(ps)) => {
                for (n, r) in ps {
                    let n = self.string(n).0;
                    let r = self.reference(r);
                    self.out.types.extend_from_slice(&[n, r]);
                    vlen += 1;
                }
            }
            _ => {}
        }
        // finish.rs caps every list at MAX_VLEN; more would spill into
        // the kind bits.
        debug_assert!(vlen as usize <= crate::finish::MAX_VLEN, "vlen {vlen}");
        self.out.types[at + 1] =
            u32::from(t.kflag) << 31 | u32::from(t.kind.to_raw() & 0x7f) << 24 | vlen;
    }
}
