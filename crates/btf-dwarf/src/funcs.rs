//! Functions: which `DW_TAG_subprogram`s become FUNCs, and their
//! prototypes.
//!
//! A function's declaration may live on another DIE: an out-of-line copy of
//! an inlined function points at its abstract instance
//! (`DW_AT_abstract_origin`), and C++ (or Rust) definitions outside their
//! class point at the in-class declaration (`DW_AT_specification`). The
//! name, return type and parameter list are taken from there, the way
//! pahole and LLVM's BPF backend see the function.
//!
//! Which functions qualify depends on [`Selection`]: for vmlinux and modules
//! pahole's rule (a defined `STT_FUNC` symbol of that name, every parameter
//! named, the first definition in unit order wins, see the merge); for
//! everything else every function with code.

use btf_core::types::Linkage;
use btf_core::Kind;
use gimli::{constants, Unit, UnitOffset};

use crate::attrs::{Attrs, DieRef, R};
use crate::context::{unit_start, Selection};
use crate::ids::Ref;
use crate::model::{DeclTag, FuncCandidate, Name, ANON};
use crate::unit::{Frame, UnitDecoder};

/// How many `DW_AT_abstract_origin`/`DW_AT_specification` links are
/// followed; real chains have at most two.
const MAX_DECL_CHAIN: u8 = 4;

/// What a declaration DIE says about a function or variable.
#[derive(Default)]
pub(crate) struct Decl<'a> {
    pub name: Name<'a>,
    pub linkage_name: Name<'a>,
    pub ty: Option<Ref>,
    pub external: bool,
    /// Parameters, if the DIE has any children describing them.
    pub params: Option<Vec<(Name<'a>, Ref)>>,
    pub tags: Vec<DeclTag<'a>>,
}

impl<'a> UnitDecoder<'_, 'a> {
    /// Handles a `DW_TAG_subprogram`; the returned frame collects its
    /// parameters when this DIE is where they are described.
    pub(crate) fn subprogram(&mut self, a: &Attrs<'a>) -> gimli::Result<Frame<'a>> {
        let skip = Frame::Subprogram {
            func: None,
            collect_params: false,
        };
        let in_type = matches!(self.parent(), Some(Frame::Composite { .. }));
        let wanted = match self.ctx.selection {
            // pahole considers every non-declaration, inlined or not; the
            // ELF symbol table decides.
            Selection::Kernel => true,
            Selection::Program => a.has_code,
        };
        if a.declaration || in_type || !wanted {
            return Ok(skip);
        }
        let link = a.abstract_origin.or(a.specification);
        let decl = match link {
            Some(r) => self.read_decl(r, 0)?.unwrap_or_default(),
            None => Decl::default(),
        };
        let raw_name = match &a.name {
            Some(_) => self.lazy(&a.name, false)?,
            None => decl.name.clone(),
        };
        if self.name_is_empty(&raw_name) {
            return Ok(skip);
        }
        if self.ctx.selection == Selection::Kernel {
            let linkage_name = match &a.linkage_name {
                Some(_) => self.lazy(&a.linkage_name, false)?,
                None => decl.linkage_name.clone(),
            };
            let symbol = if self.name_is_empty(&linkage_name) {
                self.resolve_name(&raw_name)
            } else {
                self.resolve_name(&linkage_name)
            };
            if !self.ctx.elf.functions.contains(&*symbol) {
                return Ok(skip);
            }
        }
        let ret = match a.ty {
            Some(r) => self.die_ref(r),
            None => decl.ty.unwrap_or(Ref::Void),
        };
        // An abstract origin describes the parameters; this DIE's own
        // parameter children only carry locations then.
        let from_origin = a.abstract_origin.is_some() && decl.params.is_some();
        let params = if from_origin {
            decl.params.unwrap_or_default()
        } else {
            Vec::new()
        };
        let func = FuncCandidate {
            name: self.fix_name(Kind::Func, raw_name),
            linkage: if a.external || decl.external {
                Linkage::Global
            } else {
                Linkage::Static
            },
            ret,
            params_named: params
                .iter()
                .all(|(n, t)| !self.name_is_empty(n) || *t == Ref::Void),
            params,
            tags: decl.tags,
        };
        Ok(Frame::Subprogram {
            func: Some(func),
            collect_params: !from_origin,
        })
    }

    /// Reads the declaration DIE `r` points at (following further links),
    /// in this unit or, after LTO, in another one. References inside it are
    /// returned relative to this unit.
    pub(crate) fn read_decl(&mut self, r: DieRef, hops: u8) -> gimli::Result<Option<Decl<'a>>> {
        match self.die_ref(r) {
            Ref::Die(off) => {
                let (unit, start) = (self.unit, self.out.unit_offset);
                self.read_decl_at(unit, start, off, hops)
            }
            Ref::Info(off) => {
                let Some(header) = self.ctx.header_containing(off) else {
                    return Ok(None);
                };
                let start = unit_start(header);
                let unit = match self.foreign.take() {
                    Some((at, unit)) if at == start => unit,
                    _ => match Unit::new(&self.ctx.dwarf, *header) {
                        Ok(unit) => Box::new(unit),
                        // The declaration is optional information: a unit
                        // that cannot be opened (say, a bad line program)
                        // means none.
                        Err(_) => return Ok(None),
                    },
                };
                let decl = self.read_decl_at(&unit, start, (off - start) as usize, hops);
                self.foreign = Some((start, unit));
                decl
            }
            _ => Ok(None),
        }
    }

    /// [`read_decl`](Self::read_decl) of the DIE at `off` of `unit`, which
    /// starts at `start` in `.debug_info`.
    fn read_decl_at(
        &mut self,
        unit: &Unit<R<'a>>,
        start: u64,
        off: usize,
        hops: u8,
    ) -> gimli::Result<Option<Decl<'a>>> {
        let mut entries = unit.entries_raw(Some(UnitOffset(off)))?;
        let Some(abbrev) = entries.read_abbreviation()? else {
            return Ok(None);
        };
        let a = Attrs::read(&mut entries, abbrev)?;
        let mut decl = Decl {
            name: self.lazy_in(unit, &a.name, false)?,
            linkage_name: self.lazy_in(unit, &a.linkage_name, false)?,
            ty: a.ty.map(|t| self.ref_in(start, t)),
            external: a.external,
            params: None,
            tags: Vec::new(),
        };
        if abbrev.has_children() {
            self.read_decl_children(unit, start, &mut entries, &mut decl)?;
        }
        if let Some(next) = a.abstract_origin.or(a.specification) {
            if hops < MAX_DECL_CHAIN {
                let next = match (next, start == self.out.unit_offset) {
                    (DieRef::Unit(o), false) => DieRef::Info(start.saturating_add(o as u64)),
                    (next, _) => next,
                };
                if let Some(base) = self.read_decl(next, hops + 1)? {
                    decl.fill_from(base);
                }
            }
        }
        Ok(Some(decl))
    }

    /// Parameters and decl tags among a declaration's children.
    fn read_decl_children(
        &mut self,
        unit: &Unit<R<'a>>,
        start: u64,
        entries: &mut gimli::EntriesRaw<'_, '_, R<'a>>,
        decl: &mut Decl<'a>,
    ) -> gimli::Result<()> {
        use constants::*;
        let mut params: Vec<(Name<'a>, Ref)> = Vec::new();
        // Depth 1: the DIE's children; deeper DIEs are skipped.
        while entries.next_depth() >= 1 && !entries.is_empty() {
            let depth = entries.next_depth();
            let Some(abbrev) = entries.read_abbreviation()? else {
                continue;
            };
            let tag = abbrev.tag();
            let child = depth == 1;
            let param_tag = depth == 2 && tag == crate::unit::DW_TAG_LLVM_ANNOTATION;
            if !(child && matches!(tag, DW_TAG_formal_parameter | DW_TAG_unspecified_parameters)
                || (child || param_tag) && tag == crate::unit::DW_TAG_LLVM_ANNOTATION)
            {
                entries.skip_attributes(abbrev.attributes())?;
                continue;
            }
            let a = Attrs::read(entries, abbrev)?;
            match tag {
                DW_TAG_formal_parameter => {
                    let name = self.lazy_in(unit, &a.name, false)?;
                    let name = self.fix_name(Kind::Func, name);
                    let ty = a.ty.map_or(Ref::Void, |t| self.ref_in(start, t));
                    params.push((name, ty));
                }
                DW_TAG_unspecified_parameters => params.push((ANON, Ref::Void)),
                _ => {
                    let what = self.bytes_in(unit, &a.name)?;
                    let value = match &a.const_value {
                        Some(v) => self.bytes_in(unit, &Some(*v))?,
                        None => continue,
                    };
                    if &*what == b"btf_decl_tag" && !value.is_empty() {
                        let value = Name::Bytes(value);
                        let component = if param_tag {
                            params.len() as i32 - 1
                        } else {
                            -1
                        };
                        decl.tags.push(DeclTag { value, component });
                    }
                }
            }
        }
        decl.params = Some(params);
        Ok(())
    }
}

impl<'a> Decl<'a> {
    /// Takes what this declaration lacks from the one it points at.
    fn fill_from(&mut self, base: Decl<'a>) {
        if self.name == ANON {
            self.name = base.name;
        }
        if self.linkage_name == ANON {
            self.linkage_name = base.linkage_name;
        }
        if self.ty.is_none() {
            self.ty = base.ty;
        }
        self.external |= base.external;
        let own_named = self
            .params
            .as_ref()
            .is_some_and(|p| p.iter().any(|(n, _)| *n != ANON));
        if !own_named && base.params.is_some() {
            self.params = base.params;
        }
        if self.tags.is_empty() {
            self.tags = base.tags;
        }
    }
}
