//! The end of a unit: resolving references, settling enum signedness,
//! ordering struct members, sizing variables and attaching decl tags.

use btf_core::types::INT_SIGNED;
use btf_core::Kind;
use rustc_hash::FxHashMap;

use crate::ids::{LocalId, Ref};
use crate::lower::{lower, UnitBtf};
use crate::model::{Body, LocalMember, LocalType, Name, ANON};
use crate::unit::UnitDecoder;
use crate::Result;

/// Hops through aliases (`_Atomic` of `_Atomic` …) or modifier chains
/// before giving up; real DWARF needs a handful, hostile DWARF may loop.
const MAX_CHAIN: usize = 32;

/// Most members, enumerators or parameters one type may have. btf-core
/// reads a 24-bit vlen (the 2026 UAPI), but kernels before it read only 16
/// bits and would misparse every later record, so the cap is pahole's.
pub(crate) const MAX_VLEN: usize = u16::MAX as usize;

/// Member bit offsets must fit in 24 bits in a kflag composite.
const MAX_KFLAG_OFFSET: u64 = (1 << 24) - 1;

/// The array index type when a unit has no `int` of its own: an `int`, as
/// pahole makes it, so that it deduplicates with every other unit's.
const ARRAY_INDEX_NAME: &[u8] = b"int";

impl<'a> UnitDecoder<'_, 'a> {
    /// Resolves and completes everything the walk collected, and lowers
    /// the unit to BTF records.
    pub(crate) fn finish(mut self) -> Result<UnitBtf<'a>> {
        let index = self.array_index();
        let dies = self.out.types.len() as u32;
        let synth = std::mem::take(&mut self.synth);
        self.out.types.extend(synth);
        self.resolve_all(dies, index);
        let address_size = self.unit.header.address_size();
        for v in &mut self.out.vars {
            v.size = size_of(&self.out.types, v.ty, address_size).unwrap_or(0);
        }
        self.void_members();
        self.clip_members(address_size);
        self.settle_enums();
        let orders = self.order_members();
        self.drop_far_members();
        self.cap_vlens();
        self.add_decl_tags(&orders);
        Ok(lower(self.out, self.ctx.strings))
    }

    /// Resolves every reference of the unit's types, functions, variables
    /// and aliases. References to DIEs that are not types get placeholders,
    /// added in a second round.
    fn resolve_all(&mut self, dies: u32, index: Ref) {
        let dense = Dense::new(&self.out.offsets);
        self.resolve_with(&dense, dies, index);
        dense.release(&self.out.offsets);
    }

    fn resolve_with(&mut self, dense: &Dense, dies: u32, index: Ref) {
        let mut missing: Vec<usize> = Vec::new();
        {
            let table = Table::new(&self.out.offsets, dense, &self.out.aliases, dies, index);
            let mut fix = |r: &mut Ref| match table.resolve(*r) {
                Ok(done) => *r = done,
                Err(off) => missing.push(off),
            };
            for t in &mut self.out.types {
                t.for_each_ref(&mut fix);
            }
            for f in &mut self.out.funcs {
                fix(&mut f.ret);
                f.params.iter_mut().for_each(|p| fix(&mut p.1));
            }
            for v in &mut self.out.vars {
                fix(&mut v.ty);
            }
        }
        let snapshot = self.out.aliases.clone();
        let table = Table::new(&self.out.offsets, dense, &snapshot, dies, index);
        for a in &mut self.out.aliases {
            a.1 = table.resolve(a.1).unwrap_or(Ref::Void);
        }
        if missing.is_empty() {
            return;
        }
        missing.sort_unstable();
        missing.dedup();
        let mut placeholders: FxHashMap<usize, Ref> = FxHashMap::default();
        for off in missing {
            let r = self.unresolved(off);
            placeholders.insert(off, r);
        }
        let table = Table::new(&self.out.offsets, dense, &self.out.aliases, dies, index);
        let mut fix = |r: &mut Ref| {
            if let Err(off) = table.resolve(*r) {
                *r = placeholders.get(&off).copied().unwrap_or(Ref::Void);
            }
        };
        for t in &mut self.out.types {
            t.for_each_ref(&mut fix);
        }
        for f in &mut self.out.funcs {
            fix(&mut f.ret);
            f.params.iter_mut().for_each(|p| fix(&mut p.1));
        }
        for v in &mut self.out.vars {
            fix(&mut v.ty);
        }
    }

    /// The unit's array index type, pahole's choice: its `int`, else a
    /// synthesised `int` (only if some array needs one).
    fn array_index(&mut self) -> Ref {
        if let Some(int) = self.int_type {
            return Ref::Local(int);
        }
        let used = self.out.types.iter().chain(&self.synth).any(|t| {
            matches!(
                t.body,
                Body::Array {
                    index: Ref::ArrayIndex,
                    ..
                }
            )
        });
        if !used {
            return Ref::Void;
        }
        self.synth(LocalType::int(
            Name::from(ARRAY_INDEX_NAME),
            4,
            INT_SIGNED,
            32,
        ))
    }

    /// A placeholder for a reference to a DIE that is not a supported type:
    /// an empty struct of its size if it has one, else void.
    fn unresolved(&mut self, off: usize) -> Ref {
        let (tag, size) = self.peek(off);
        let r = match size {
            Some(size) => {
                let id = LocalId(self.out.types.len() as u32);
                let size = u32::try_from(size).unwrap_or(0);
                self.out
                    .types
                    .push(LocalType::composite(false, ANON, size, Vec::new()));
                Ref::Local(id)
            }
            None => Ref::Void,
        };
        let what = if size.is_some() {
            "references to DIEs that are not types encoded as empty structs of their size"
        } else {
            "references to DIEs that are not types encoded as void"
        };
        let unit = self.out.unit_offset;
        self.warn(
            what,
            format!("{tag} at .debug_info offset {:#x}", unit + off as u64),
        );
        r
    }

    /// The kernel rejects a member that ends past its struct ("Member
    /// exceeds struct_size"). rustc describes a struct with an unsized last
    /// field (`struct Slice { inner: [u8] }`) as size 0 holding one element
    /// of the slice; such members are dropped, and so are their decl tags.
    fn clip_members(&mut self, address_size: u8) {
        let mut dropped = 0;
        let mut renumbered: FxHashMap<u32, Vec<Option<usize>>> = FxHashMap::default();
        for i in 0..self.out.types.len() {
            let t = &self.out.types[i];
            let Body::Members(ms) = &t.body else {
                continue;
            };
            let limit = u64::from(t.size) * 8;
            let end = |m: &LocalMember<'_>| {
                let bits = if m.bitfield != 0 {
                    Some(u64::from(m.bitfield))
                } else {
                    size_of(&self.out.types, m.ty, address_size).map(|s| s.saturating_mul(8))
                };
                bits.map(|b| m.bit_offset.saturating_add(b))
            };
            // Only the last member can be an unsized field; checking one
            // member per struct keeps this cheap.
            let Some(last) = ms.iter().max_by_key(|m| m.bit_offset) else {
                continue;
            };
            if end(last).is_none_or(|e| e <= limit) {
                continue;
            }
            let keep: Vec<bool> = ms
                .iter()
                .map(|m| end(m).is_none_or(|e| e <= limit))
                .collect();
            if let Body::Members(ms) = &mut self.out.types[i].body {
                let before = ms.len();
                let mut kept = keep.iter();
                ms.retain(|_| kept.next().copied().unwrap_or(true));
                dropped += before - ms.len();
            }
            renumbered.insert(i as u32, new_indices(&keep));
        }
        self.renumber_member_tags(&renumbered);
        if dropped > 0 {
            self.warn(
                "members ending past their struct dropped (unsized Rust fields)",
                format!("{dropped} in this unit"),
            );
        }
    }

    /// Member decl tags hold the member's index in DWARF order: after
    /// members were dropped, the ones after them moved down. `renumbered`
    /// maps, per composite, each old index to its new one (`None`:
    /// dropped, and the tag with it).
    fn renumber_member_tags(&mut self, renumbered: &FxHashMap<u32, Vec<Option<usize>>>) {
        if renumbered.is_empty() {
            return;
        }
        self.member_tags.retain_mut(|(id, index, _)| {
            let Some(map) = renumbered.get(&id.0) else {
                return true;
            };
            match map.get(*index).copied().flatten() {
                Some(new) => {
                    *index = new;
                    true
                }
                None => false,
            }
        });
    }

    /// Struct and union members must have a type; DWARF may say `void`
    /// (C++'s `decltype(nullptr)` without a size, a type btfkit could not
    /// encode). Such members become empty anonymous structs.
    fn void_members(&mut self) {
        let mut placeholder = None;
        let mut count = 0;
        for i in 0..self.out.types.len() {
            let Body::Members(ms) = &self.out.types[i].body else {
                continue;
            };
            if !ms.iter().any(|m| m.ty == Ref::Void) {
                continue;
            }
            let p = *placeholder.get_or_insert_with(|| {
                let id = LocalId(self.out.types.len() as u32);
                self.out
                    .types
                    .push(LocalType::composite(false, ANON, 0, Vec::new()));
                Ref::Local(id)
            });
            if let Body::Members(ms) = &mut self.out.types[i].body {
                for m in ms.iter_mut().filter(|m| m.ty == Ref::Void) {
                    m.ty = p;
                    count += 1;
                }
            }
        }
        if count > 0 {
            self.warn(
                "members of type void given an empty struct type",
                String::new(),
            );
        }
    }

    /// The tag and byte size of the DIE at unit offset `off`, for messages.
    fn peek(&self, off: usize) -> (String, Option<u64>) {
        let Ok(entry) = self.unit.entry(gimli::UnitOffset(off)) else {
            return ("(unreadable)".into(), None);
        };
        let size = entry
            .attr_value(gimli::DW_AT_byte_size)
            .ok()
            .flatten()
            .and_then(|v| v.udata_value());
        (entry.tag().to_string(), size)
    }

    /// Enum signedness comes from the underlying type when DWARF names one,
    /// else from the values; values are then extended accordingly.
    fn settle_enums(&mut self) {
        for i in 0..self.out.types.len() {
            let Body::Enumerators(raw) = &self.out.types[i].body else {
                continue;
            };
            let underlying = int_encoding(&self.out.types, self.out.types[i].ty);
            let signed = match underlying {
                Some(enc) => enc & INT_SIGNED != 0,
                None => raw.iter().any(|v| v.negative),
            };
            let values: Vec<_> = raw.iter().map(|v| (v.name.clone(), v.value)).collect();
            let t = &mut self.out.types[i];
            t.kflag = signed;
            t.ty = Ref::Void;
            t.body = if t.kind == Kind::Enum64 {
                Body::Enum64(values)
            } else {
                Body::Enum(values.into_iter().map(|(n, v)| (n, v as u32)).collect())
            };
        }
    }

    /// Sorts every composite's members by offset (the kernel rejects
    /// decreasing offsets; rustc reorders fields) and sets kflag where a
    /// member is a bitfield or not byte-aligned. Returns, per composite with
    /// members, the new position of each member in DWARF order.
    fn order_members(&mut self) -> FxHashMap<u32, Vec<usize>> {
        let mut orders = FxHashMap::default();
        for (i, t) in self.out.types.iter_mut().enumerate() {
            let Body::Members(members) = &mut t.body else {
                continue;
            };
            t.kflag = members
                .iter()
                .any(|m| m.bitfield != 0 || m.bit_offset % 8 != 0);
            if members
                .windows(2)
                .all(|w| w[0].bit_offset <= w[1].bit_offset)
            {
                continue;
            }
            let mut order: Vec<usize> = (0..members.len()).collect();
            order.sort_by_key(|&j| members[j].bit_offset);
            let mut sorted: Vec<LocalMember<'a>> = Vec::with_capacity(members.len());
            let mut position = vec![0; members.len()];
            for (new, &old) in order.iter().enumerate() {
                sorted.push(members[old].clone());
                position[old] = new;
            }
            *members = sorted;
            orders.insert(i as u32, position);
        }
        orders
    }

    /// Drops the members whose bit offset does not fit the offset field:
    /// 24 bits in a kflag composite, else 32. Done here rather than while
    /// lowering so that [`add_decl_tags`](Self::add_decl_tags) sees the
    /// final member list and drops their tags too. Members are sorted by
    /// offset by then, so the dropped ones are the last.
    fn drop_far_members(&mut self) {
        let mut far = Vec::new();
        for t in &mut self.out.types {
            let limit = if t.kflag {
                MAX_KFLAG_OFFSET
            } else {
                u64::from(u32::MAX)
            };
            let Body::Members(ms) = &mut t.body else {
                continue;
            };
            let keep = ms.partition_point(|m| m.bit_offset <= limit);
            far.extend(ms.drain(keep..).map(|m| m.bit_offset));
        }
        for offset in far {
            self.warn(
                "members beyond BTF's offset limit dropped",
                format!("offset {offset} bits"),
            );
        }
    }

    /// Keeps the first [`MAX_VLEN`] members, enumerators or parameters of
    /// every type and function candidate: a longer list would overflow
    /// the vlen field. Members are sorted by then, so the ones kept are
    /// those at the lowest offsets.
    fn cap_vlens(&mut self) {
        let mut cut = 0usize;
        for t in &mut self.out.types {
            cut += match &mut t.body {
                Body::Members(v) => truncate(v),
                Body::Enum(v) => truncate(v),
                Body::Enum64(v) => truncate(v),
                Body::Params(v) => truncate(v),
                _ => 0,
            };
        }
        for f in &mut self.out.funcs {
            cut += truncate(&mut f.params);
            // A tag on a parameter that is gone would point past the vlen.
            f.tags.retain(|t| t.component < MAX_VLEN as i32);
        }
        if cut > 0 {
            self.warn(
                "members, enumerators or parameters beyond BTF's 65535 per type dropped",
                format!("{cut} in this unit"),
            );
        }
    }

    /// DECL_TAGs for types and members, after the types they tag. A tag on
    /// a member that was not kept is dropped: its component index would
    /// point past the vlen.
    fn add_decl_tags(&mut self, orders: &FxHashMap<u32, Vec<usize>>) {
        let type_tags = std::mem::take(&mut self.type_tags);
        for (id, value) in type_tags {
            self.out.types.push(decl_tag(value, id, -1));
        }
        let member_tags = std::mem::take(&mut self.member_tags);
        for (id, index, value) in member_tags {
            let index = orders
                .get(&id.0)
                .map_or(index, |o| o.get(index).copied().unwrap_or(index));
            let members = match self.out.types.get(id.0 as usize).map(|t| &t.body) {
                Some(Body::Members(ms)) => ms.len(),
                _ => 0,
            };
            if index < members {
                self.out.types.push(decl_tag(value, id, index as i32));
            }
        }
    }
}

/// Unit offset → local id + 1 (0: not a DIE type), for units small
/// enough: one array access instead of a binary search per reference, of
/// which a vmlinux has ten million.
///
/// The array is as long as the unit (4 bytes per byte of unit; vmlinux
/// units average 75 KB), so each worker keeps one and reuses it: only the
/// entries a unit wrote are cleared afterwards, instead of allocating and
/// zeroing (and faulting in) a fresh one for every unit.
struct Dense {
    map: Vec<u32>,
}

thread_local! {
    /// The worker's [`Dense`] array between units: all zeros.
    static DENSE: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Units up to this size get a dense offset table.
const DENSE_LIMIT: usize = 4 << 20;

impl Dense {
    fn new(offsets: &[u32]) -> Dense {
        let end = offsets.last().map_or(0, |&o| o as usize + 1);
        if end > DENSE_LIMIT {
            return Dense { map: Vec::new() };
        }
        let mut map = DENSE.with(|c| c.take());
        if map.len() < end {
            map.resize(end, 0);
        }
        for (i, &o) in offsets.iter().enumerate() {
            map[o as usize] = i as u32 + 1;
        }
        Dense { map }
    }

    /// Clears what [`new`](Self::new) wrote and hands the array back to the
    /// worker.
    fn release(self, offsets: &[u32]) {
        let mut map = self.map;
        if map.is_empty() {
            return;
        }
        for &o in offsets {
            map[o as usize] = 0;
        }
        DENSE.with(|c| c.set(map));
    }
}

/// What references resolve against.
struct Table<'t> {
    offsets: &'t [u32],
    aliases: &'t [(u32, Ref)],
    dies: u32,
    index: Ref,
    /// See [`Dense`]; empty for big units (binary search instead).
    dense: &'t [u32],
}

impl<'t> Table<'t> {
    fn new(
        offsets: &'t [u32],
        dense: &'t Dense,
        aliases: &'t [(u32, Ref)],
        dies: u32,
        index: Ref,
    ) -> Table<'t> {
        Table {
            offsets,
            aliases,
            dies,
            index,
            dense: &dense.map,
        }
    }

    /// The local id of the DIE type at unit offset `off`.
    fn die(&self, off: u32) -> Option<u32> {
        if !self.dense.is_empty() || self.offsets.is_empty() {
            return self.dense.get(off as usize).and_then(|&v| v.checked_sub(1));
        }
        self.offsets.binary_search(&off).ok().map(|i| i as u32)
    }

    /// A walk-time reference as a final one ([`Ref::Void`], [`Ref::Local`]
    /// or [`Ref::Info`]), or the unit offset of a DIE that is not a type.
    fn resolve(&self, r: Ref) -> std::result::Result<Ref, usize> {
        let mut r = r;
        for _ in 0..MAX_CHAIN {
            r = match r {
                Ref::Void | Ref::Local(_) | Ref::Info(_) => return Ok(r),
                Ref::Synth(s) => return Ok(Ref::Local(LocalId(self.dies + s.0))),
                Ref::ArrayIndex => self.index,
                Ref::Die(off) => {
                    let key = off as u32;
                    if let Some(i) = self.die(key) {
                        return Ok(Ref::Local(LocalId(i)));
                    }
                    match self.aliases.binary_search_by_key(&key, |a| a.0) {
                        Ok(i) => self.aliases[i].1,
                        Err(_) => return Err(off),
                    }
                }
            };
        }
        // A loop of aliases (hostile DWARF).
        Ok(Ref::Void)
    }
}

/// The index each entry gets when only those with `keep` set stay.
fn new_indices(keep: &[bool]) -> Vec<Option<usize>> {
    let mut next = 0;
    keep.iter()
        .map(|&k| {
            k.then(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

/// Keeps the first [`MAX_VLEN`] entries of `v`; returns how many it cut.
fn truncate<T>(v: &mut Vec<T>) -> usize {
    let cut = v.len().saturating_sub(MAX_VLEN);
    v.truncate(MAX_VLEN);
    cut
}

fn decl_tag<'a>(value: crate::model::Name<'a>, target: LocalId, component: i32) -> LocalType<'a> {
    LocalType {
        body: Body::DeclTag(component),
        ..LocalType::reference(Kind::DeclTag, value, Ref::Local(target))
    }
}

/// The INT encoding bits of `r` after typedefs and modifiers, if it is an
/// INT.
fn int_encoding(types: &[LocalType<'_>], mut r: Ref) -> Option<u8> {
    for _ in 0..MAX_CHAIN {
        let Ref::Local(id) = r else { return None };
        let t = types.get(id.0 as usize)?;
        match (&t.kind, &t.body) {
            (Kind::Int, Body::Int(raw)) => return Some((raw >> 24) as u8),
            (Kind::Typedef | Kind::Const | Kind::Volatile | Kind::Restrict, _) => r = t.ty,
            _ => return None,
        }
    }
    None
}

/// The size in bytes of `r`, if it can be worked out inside the unit.
pub(crate) fn size_of(types: &[LocalType<'_>], mut r: Ref, address_size: u8) -> Option<u64> {
    let mut factor: u64 = 1;
    for _ in 0..MAX_CHAIN {
        let Ref::Local(id) = r else { return None };
        let t = types.get(id.0 as usize)?;
        match t.kind {
            Kind::Int | Kind::Float | Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 => {
                return factor.checked_mul(u64::from(t.size));
            }
            Kind::Ptr => return factor.checked_mul(u64::from(address_size)),
            Kind::Typedef | Kind::Const | Kind::Volatile | Kind::Restrict | Kind::TypeTag => {
                r = t.ty
            }
            Kind::Array => {
                let Body::Array { elem, nelems, .. } = t.body else {
                    return None;
                };
                factor = factor.checked_mul(u64::from(nelems))?;
                r = elem;
            }
            _ => return Some(0),
        }
    }
    None
}
