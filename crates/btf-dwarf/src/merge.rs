//! Merging lowered units, in unit order, into one [`PackedBtf`].
//!
//! As in pahole, a unit's types are appended in local order, so a type's
//! BTF id is the number of types already present plus its local id. Then
//! come the unit's FUNCs (FUNC_PROTO, FUNC, decl tags) and VARs; DATASECs
//! are added once every unit is in. The output is then ready for dedup.
//!
//! Merging is the only sequential step and the only one that sees every
//! unit, so it is where "first definition wins" and "one VAR per address"
//! are decided, which keeps the result independent of how many threads
//! decoded the units. It is kept cheap: each distinct string of a unit is
//! looked up once (`.debug_str` strings by offset, without hashing their
//! bytes), and types only get their ids rebased.

use std::collections::BTreeMap;

use btf_core::types::VarSecinfo;
use btf_core::write::{
    for_each_name_word, for_each_ref_word, record_len, Body as OwnedBody, OwnedType, PackedBtf,
};
use btf_core::{Kind, StrOffset, TypeId};
use rustc_hash::FxHashSet;

use crate::context::Selection;
use crate::elf::ElfInfo;
use crate::ids::Ref;
use crate::lower::{UnitBtf, DEBUG_STR_BIT, INFO_BIT, UNIT_STR_BIT};
use crate::strtab::Canonical;
use crate::{Error, Result, Stats};

/// How references into a merged unit are found later (`DW_FORM_ref_addr`
/// from another unit, mostly LTO).
struct UnitMap {
    unit_offset: u64,
    first: u32,
    offsets: Vec<u32>,
    aliases: Vec<(u32, Ref)>,
}

/// A reference field of an added type that points into a unit not merged
/// yet.
struct Pending {
    id: TypeId,
    field: usize,
    target: u64,
}

/// Builds the output BTF one unit at a time.
pub(crate) struct Merger {
    builder: PackedBtf,
    selection: Selection,
    /// FUNC names already emitted (kernel selection: one per name).
    funcs_seen: FxHashSet<StrOffset>,
    /// VAR addresses already taken: (section, offset).
    vars_seen: FxHashSet<(usize, u64)>,
    /// DATASEC entries per section index.
    datasecs: BTreeMap<usize, Vec<VarSecinfo>>,
    units: Vec<UnitMap>,
    pending: Vec<Pending>,
    /// One record being rewritten, kept to reuse its allocation.
    scratch: Vec<u32>,
    /// Final offsets of the names given as `.debug_str` offsets.
    debug_str: Canonical,
    pub stats: Stats,
}

impl Merger {
    /// A merger appending to `builder` (empty, or split over a base);
    /// `debug_str` finds the final offsets of names the decoders gave as
    /// `.debug_str` offsets.
    pub fn new(builder: PackedBtf, selection: Selection, debug_str: Canonical) -> Merger {
        Merger {
            debug_str,
            builder,
            selection,
            funcs_seen: FxHashSet::default(),
            vars_seen: FxHashSet::default(),
            datasecs: BTreeMap::new(),
            units: Vec::new(),
            pending: Vec::new(),
            scratch: Vec::new(),
            stats: Stats::default(),
        }
    }

    fn next_id(&self) -> u32 {
        self.builder.first_id().0 + self.builder.len() as u32
    }

    /// The output offset for a lowered name field.
    fn name(&mut self, field: StrOffset, strings: &[StrOffset]) -> StrOffset {
        if field.0 & UNIT_STR_BIT != 0 {
            strings
                .get((field.0 & !UNIT_STR_BIT) as usize)
                .copied()
                .unwrap_or(StrOffset::EMPTY)
        } else if field.0 & DEBUG_STR_BIT != 0 {
            self.debug_str
                .offset(&mut self.builder, field.0 & !DEBUG_STR_BIT)
        } else {
            field
        }
    }

    /// The output being built, for a streaming consumer to
    /// [flush](PackedBtf::flush), once it holds at least `min` types and
    /// every one of them is final: no reference waits for a unit not
    /// merged yet (those are fixed up by [`Merger::finish`], so their
    /// types must stay here).
    pub fn flushable(&mut self, min: usize) -> Option<&mut PackedBtf> {
        let held = self.builder.len() - self.builder.flushed();
        (self.pending.is_empty() && held >= min).then_some(&mut self.builder)
    }

    /// Appends one unit.
    pub fn add(&mut self, unit: UnitBtf<'_>) -> Result<()> {
        self.stats.units += 1;
        self.stats.dies += unit.dies;
        for (category, detail) in unit.warnings {
            self.stats.warn(category, detail);
        }
        let strings: Vec<StrOffset> = unit
            .strings
            .iter()
            .map(|s| self.builder.add_str(s))
            .collect();
        let first = self.next_id();
        if u64::from(first) + unit.types.len() as u64 >= u64::from(INFO_BIT) {
            return Err(Error::Limit(
                "more than 2^31 types before deduplication".into(),
            ));
        }
        let ctx = Rebase {
            base: first - 1,
            strings: &strings,
            info_refs: &unit.info_refs,
        };
        self.add_records(&unit.types, &ctx)?;
        for f in unit.funcs {
            self.stats.func_candidates += 1;
            let name = self.name(f.name, &strings);
            if self.selection == Selection::Kernel {
                if !f.params_named {
                    self.stats.funcs_unnamed_params += 1;
                    continue;
                }
                if !self.funcs_seen.insert(name) {
                    continue;
                }
            }
            let proto = self.add_type(f.proto, &ctx)?;
            let func = self.push(&OwnedType {
                name,
                kind: Kind::Func,
                kflag: false,
                size_or_type: proto.0,
                body: OwnedBody::Func(f.linkage),
            })?;
            self.stats.funcs += 1;
            self.add_decl_tags(&f.tags, func, &strings)?;
        }
        for v in unit.vars {
            if v.size == 0 || v.size > u64::from(u32::MAX) || v.offset > u64::from(u32::MAX) {
                continue;
            }
            if !self.vars_seen.insert((v.section, v.offset)) {
                continue;
            }
            let var = OwnedType {
                name: self.name(v.name, &strings),
                kind: Kind::Var,
                kflag: false,
                size_or_type: v.ty,
                body: OwnedBody::Var(v.linkage),
            };
            let var = self.add_type_named(var, &ctx)?;
            self.stats.vars += 1;
            self.datasecs
                .entry(v.section)
                .or_default()
                .push(VarSecinfo {
                    type_id: var,
                    offset: v.offset as u32,
                    size: v.size as u32,
                });
            self.add_decl_tags(&v.tags, var, &strings)?;
        }
        self.units.push(UnitMap {
            unit_offset: unit.unit_offset,
            first,
            offsets: unit.offsets,
            aliases: unit.aliases,
        });
        Ok(())
    }

    /// Adds a unit's lowered records: names mapped, references rebased.
    fn add_records(&mut self, words: &[u32], ctx: &Rebase<'_>) -> Result<()> {
        let mut rec = std::mem::take(&mut self.scratch);
        let mut at = 0;
        while at < words.len() {
            let len = record_len(words[at + 1])
                .filter(|&n| at + n <= words.len())
                .ok_or_else(|| Error::Limit("a lowered record does not fit its kind".into()))?;
            rec.clear();
            rec.extend_from_slice(&words[at..at + len]);
            at += len;
            let _ = for_each_name_word(&mut rec, |n| {
                *n = self.name(StrOffset(*n), ctx.strings).0;
                Ok::<(), ()>(())
            });
            let id = TypeId(self.next_id());
            let mut field = 0;
            for_each_ref_word(&mut rec, |r| {
                *r = self.rebase(*r, ctx, id, field);
                field += 1;
            });
            self.builder
                .add_record(&rec)
                .map_err(|e| Error::Limit(format!("cannot encode a type: {e}")))?;
        }
        self.scratch = rec;
        Ok(())
    }

    /// Adds a lowered type: names mapped, references rebased.
    fn add_type(&mut self, mut t: OwnedType, ctx: &Rebase<'_>) -> Result<TypeId> {
        t.name = self.name(t.name, ctx.strings);
        match &mut t.body {
            OwnedBody::Members(ms) => {
                for m in ms {
                    m.name = self.name(m.name, ctx.strings);
                }
            }
            OwnedBody::Params(ps) => {
                for p in ps {
                    p.name = self.name(p.name, ctx.strings);
                }
            }
            OwnedBody::Enum(vs) => {
                for v in vs {
                    v.0 = self.name(v.0, ctx.strings);
                }
            }
            OwnedBody::Enum64(vs) => {
                for v in vs {
                    v.0 = self.name(v.0, ctx.strings);
                }
            }
            _ => {}
        }
        self.add_type_named(t, ctx)
    }

    /// Adds a type whose names are final; references are rebased.
    fn add_type_named(&mut self, mut t: OwnedType, ctx: &Rebase<'_>) -> Result<TypeId> {
        let id = TypeId(self.next_id());
        // Field numbers follow `OwnedType::refs_mut`'s order (the pending
        // fix-up uses it); that method allocates, so this walks the fields
        // itself: the merge is the sequential part of the conversion.
        let mut field = 0;
        let mut rebase = |r: &mut u32| {
            *r = self.rebase(*r, ctx, id, field);
            field += 1;
        };
        if t.kind.has_type_ref() {
            rebase(&mut t.size_or_type);
        }
        match &mut t.body {
            OwnedBody::Array(a) => {
                rebase(&mut a.elem_type.0);
                rebase(&mut a.index_type.0);
            }
            OwnedBody::Members(ms) => ms.iter_mut().for_each(|m| rebase(&mut m.type_id.0)),
            OwnedBody::Params(ps) => ps.iter_mut().for_each(|p| rebase(&mut p.type_id.0)),
            OwnedBody::Datasec(vs) => vs.iter_mut().for_each(|v| rebase(&mut v.type_id.0)),
            _ => {}
        }
        self.push(&t)
    }

    /// Appends an encoded type.
    fn push(&mut self, t: &OwnedType) -> Result<TypeId> {
        self.builder
            .add(t)
            .map_err(|e| Error::Limit(format!("cannot encode a type: {e}")))
    }

    /// One reference field of the type that will get id `id`.
    fn rebase(&mut self, v: u32, ctx: &Rebase<'_>, id: TypeId, field: usize) -> u32 {
        if v == 0 {
            0
        } else if v & INFO_BIT != 0 {
            let target = ctx.info_refs[(v & !INFO_BIT) as usize];
            self.info_id(target).unwrap_or_else(|| {
                self.pending.push(Pending { id, field, target });
                0
            })
        } else {
            ctx.base + v
        }
    }

    fn add_decl_tags(
        &mut self,
        tags: &[(StrOffset, i32)],
        target: TypeId,
        strings: &[StrOffset],
    ) -> Result<()> {
        for &(name, component) in tags {
            let name = self.name(name, strings);
            self.push(&OwnedType {
                name,
                kind: Kind::DeclTag,
                kflag: false,
                size_or_type: target.0,
                body: OwnedBody::DeclTag(component),
            })?;
        }
        Ok(())
    }

    /// The BTF id of the type DIE at `.debug_info` offset `off`, if its
    /// unit has been merged.
    fn info_id(&self, off: u64) -> Option<u32> {
        let mut off = off;
        for _ in 0..8 {
            let i = self.units.partition_point(|u| u.unit_offset <= off);
            let u = self.units.get(i.checked_sub(1)?)?;
            let rel = u32::try_from(off - u.unit_offset).ok()?;
            if let Ok(l) = u.offsets.binary_search(&rel) {
                return Some(u.first + l as u32);
            }
            let a = u.aliases.binary_search_by_key(&rel, |a| a.0).ok()?;
            match u.aliases[a].1 {
                Ref::Local(l) => return Some(u.first + l.0),
                Ref::Info(next) => off = next,
                _ => return Some(0),
            }
        }
        None
    }

    /// Fixes up late cross-unit references and adds the DATASECs.
    pub fn finish(mut self, elf: &ElfInfo<'_>) -> Result<(PackedBtf, Stats)> {
        for p in std::mem::take(&mut self.pending) {
            let id = self.info_id(p.target).unwrap_or(0);
            self.builder.set_ref(p.id, p.field, TypeId(id));
        }
        // Only the pending references needed the units' offsets.
        self.units = Vec::new();
        for (section, mut vars) in std::mem::take(&mut self.datasecs) {
            let Some(sec) = elf.section(section) else {
                continue;
            };
            vars.sort_by_key(|v| v.offset);
            let mut end = 0u64;
            vars.retain(|v| {
                let keep = u64::from(v.offset) >= end;
                if keep {
                    end = u64::from(v.offset) + u64::from(v.size);
                }
                keep
            });
            // The kernel wants every entry inside the section and a
            // non-zero size.
            let size = sec.size.max(end);
            let name = String::from_utf8_lossy(&sec.name).into_owned();
            let size = u32::try_from(size)
                .map_err(|_| Error::Limit(format!("section {name} is larger than 4 GiB")))?;
            let name = self.builder.add_str(&name);
            self.push(&OwnedType {
                name,
                kind: Kind::Datasec,
                kflag: false,
                size_or_type: size,
                body: OwnedBody::Datasec(vars),
            })?;
        }
        self.stats.types = self.builder.len() as u64;
        Ok((self.builder, self.stats))
    }
}

/// How a unit's lowered fields map to the output.
struct Rebase<'u> {
    /// Added to `local id + 1`.
    base: u32,
    /// Unit string index → output offset.
    strings: &'u [StrOffset],
    info_refs: &'u [u64],
}
