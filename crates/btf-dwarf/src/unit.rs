//! Decoding one compilation unit: a single pass over its DIEs with gimli's
//! raw entry reader, producing a [`UnitTypes`].
//!
//! Every type DIE gets a slot in the unit's local table when it is first
//! seen (so local ids follow DIE order, parents before children, the way
//! pahole numbers them); DIEs whose content comes from their children
//! (structs, enums, arrays, prototypes) are completed when the walk leaves
//! them. References are kept as unit offsets and resolved in
//! [`finish`](crate::finish) once the unit has been read.

use btf_core::types::{INT_BOOL, INT_SIGNED};
use btf_core::Kind;
use gimli::{constants, DwTag, Unit, UnitHeader};

use crate::attrs::{bound, member_location, Attrs, DieRef, R};
use crate::context::{unit_start, Ctx};
use crate::ids::{LocalId, Ref, SynthId};
use crate::model::{
    Body, FuncCandidate, LocalMember, LocalType, Name, RawEnumerator, UnitTypes, ANON,
};
use crate::names::sanitize;
use crate::{Error, Result, RustNames};
use std::borrow::Cow;

/// `DW_TAG_LLVM_annotation`: clang's carrier for `btf_decl_tag` and
/// `btf_type_tag`.
pub(crate) const DW_TAG_LLVM_ANNOTATION: DwTag = DwTag(0x6000);

/// What a DIE with children is, while its children are read.
pub(crate) enum Frame<'a> {
    /// The unit itself or a namespace: variables here have static storage.
    Scope,
    /// A STRUCT or UNION being filled.
    Composite {
        id: LocalId,
        members: Vec<LocalMember<'a>>,
    },
    /// A Rust `DW_TAG_variant_part` inside the composite at stack index
    /// `parent`.
    VariantPart(crate::variant::VariantPart<'a>),
    /// One `DW_TAG_variant` of the variant part at stack index `part`.
    Variant { part: usize },
    /// An enumeration being filled.
    Enum {
        id: LocalId,
        values: Vec<RawEnumerator<'a>>,
    },
    /// An array collecting its dimensions.
    Array {
        id: LocalId,
        elem: Ref,
        /// Element count of each dimension.
        dims: Vec<u32>,
    },
    /// A FUNC_PROTO collecting parameters.
    Proto {
        id: LocalId,
        params: Vec<(Name<'a>, Ref)>,
    },
    /// A function definition; `func` is `None` when it will not become a
    /// FUNC (or its parameters come from elsewhere).
    Subprogram {
        func: Option<FuncCandidate<'a>>,
        collect_params: bool,
    },
    /// A pointer collecting `btf_type_tag`s.
    Pointer { id: LocalId, tags: Vec<Name<'a>> },
    /// A declaration collecting `btf_decl_tag`s.
    Tagged(TagTarget),
    /// Anything else (lexical blocks, inlined calls, …).
    Other,
}

/// What a `btf_decl_tag` found under a DIE applies to.
#[derive(Clone, Copy)]
pub(crate) enum TagTarget {
    /// A type (typedef), as a whole.
    Type(LocalId),
    /// Member `index` (in DWARF order) of the composite at stack index
    /// `frame`.
    Member { composite: LocalId, index: usize },
    /// Parameter `index` of the function in the frame at stack index
    /// `frame`.
    Param { frame: usize, index: usize },
    /// The variable candidate `index`.
    Var(usize),
}

/// The state of one unit's walk.
pub(crate) struct UnitDecoder<'u, 'a> {
    pub ctx: &'u Ctx<'a>,
    pub unit: &'u Unit<R<'a>>,
    pub out: UnitTypes<'a>,
    /// Types the decoder made up (appended after the DIE types).
    pub synth: Vec<LocalType<'a>>,
    /// `btf_decl_tag`s on members: (composite, member index in DWARF order,
    /// tag).
    pub member_tags: Vec<(LocalId, usize, Name<'a>)>,
    /// `btf_decl_tag`s on types as a whole.
    pub type_tags: Vec<(LocalId, Name<'a>)>,
    /// The unit's `int` (pahole's array index type), if it has one.
    pub int_type: Option<LocalId>,
    /// The unit is C, whose names are always valid BTF identifiers: no
    /// need to check them for sanitising.
    pub c_names: bool,
    pub stack: Vec<(isize, Frame<'a>)>,
}

/// Decodes the unit with header `header`.
pub(crate) fn decode<'a>(
    ctx: &Ctx<'a>,
    header: UnitHeader<R<'a>>,
) -> Result<crate::lower::UnitBtf<'a>> {
    let start = unit_start(&header);
    let unit = Unit::new(&ctx.dwarf, header).map_err(|e| Error::dwarf(start, e))?;
    let mut d = UnitDecoder {
        ctx,
        unit: &unit,
        out: UnitTypes {
            unit_offset: start,
            ..UnitTypes::default()
        },
        synth: Vec::new(),
        member_tags: Vec::new(),
        type_tags: Vec::new(),
        int_type: None,
        c_names: is_c(&unit),
        stack: Vec::new(),
    };
    d.walk().map_err(|e| Error::dwarf(start, e))?;
    d.finish()
}

impl<'u, 'a> UnitDecoder<'u, 'a> {
    fn walk(&mut self) -> gimli::Result<()> {
        let mut entries = self.unit.entries_raw(None)?;
        while !entries.is_empty() {
            let offset = entries.next_offset().0;
            let depth = entries.next_depth();
            let Some(abbrev) = entries.read_abbreviation()? else {
                continue;
            };
            self.out.dies += 1;
            self.pop_to(depth);
            let frame = self.entry(&mut entries, abbrev, offset)?;
            match frame {
                _ if abbrev.has_children() => {
                    self.stack.push((depth, frame.unwrap_or(Frame::Other)));
                }
                // A childless struct, enum, prototype or function is
                // complete as it is.
                Some(frame) => self.complete(frame),
                None => {}
            }
        }
        self.pop_to(isize::MIN);
        Ok(())
    }

    /// Completes every open frame at `depth` or deeper.
    fn pop_to(&mut self, depth: isize) {
        while self.stack.last().is_some_and(|(d, _)| *d >= depth) {
            let (_, frame) = self.stack.pop().expect("checked above");
            self.complete(frame);
        }
    }

    /// The innermost open frame.
    pub(crate) fn parent(&self) -> Option<&Frame<'a>> {
        self.stack.last().map(|(_, f)| f)
    }

    /// Handles one DIE; returns the frame its children are read in.
    fn entry(
        &mut self,
        entries: &mut gimli::EntriesRaw<'_, '_, R<'a>>,
        abbrev: &gimli::Abbreviation,
        offset: usize,
    ) -> gimli::Result<Option<Frame<'a>>> {
        use constants::*;
        let tag = abbrev.tag();
        // The common case first: DIEs inside function bodies that are not
        // types are most of .debug_info; skip them without decoding.
        if !interesting(tag) || !self.wants(tag) {
            entries.skip_attributes(abbrev.attributes())?;
            return Ok(match tag {
                DW_TAG_compile_unit | DW_TAG_partial_unit | DW_TAG_namespace | DW_TAG_module => {
                    Some(Frame::Scope)
                }
                _ => None,
            });
        }
        let mut a = Attrs::default();
        a.fill(entries, abbrev)?;
        let frame = match tag {
            DW_TAG_base_type => {
                self.base_type(offset, &a)?;
                None
            }
            DW_TAG_pointer_type | DW_TAG_reference_type | DW_TAG_rvalue_reference_type => {
                let ty = self.type_ref(&a);
                let id = self.slot(offset, LocalType::reference(Kind::Ptr, ANON, ty));
                Some(Frame::Pointer {
                    id,
                    tags: Vec::new(),
                })
            }
            DW_TAG_const_type | DW_TAG_immutable_type => self.modifier(offset, Kind::Const, &a),
            DW_TAG_volatile_type => self.modifier(offset, Kind::Volatile, &a),
            DW_TAG_restrict_type => self.modifier(offset, Kind::Restrict, &a),
            DW_TAG_typedef => {
                let name = self.name(Kind::Typedef, &a)?;
                let ty = self.type_ref(&a);
                let id = self.slot(offset, LocalType::reference(Kind::Typedef, name, ty));
                Some(Frame::Tagged(TagTarget::Type(id)))
            }
            // Qualifiers BTF has no kind for: the type is the qualified one
            // (LLVM drops _Atomic the same way).
            DW_TAG_atomic_type | DW_TAG_packed_type | DW_TAG_shared_type => {
                let ty = self.type_ref(&a);
                self.alias(offset, ty);
                None
            }
            DW_TAG_unspecified_type => {
                // `void` for assembly functions' return types; a sized one
                // is C++'s `decltype(nullptr)`, a null pointer.
                if a.byte_size == Some(u64::from(self.ctx.elf.address_size)) {
                    self.slot(offset, LocalType::reference(Kind::Ptr, ANON, Ref::Void));
                } else {
                    self.alias(offset, Ref::Void);
                }
                None
            }
            DW_TAG_structure_type | DW_TAG_class_type | DW_TAG_interface_type => {
                self.composite(offset, false, &a)?
            }
            DW_TAG_union_type => self.composite(offset, true, &a)?,
            DW_TAG_member | DW_TAG_inheritance => self.member(tag, &a, offset)?,
            DW_TAG_variant_part => self.variant_part(&a),
            DW_TAG_variant => self.variant(),
            DW_TAG_enumeration_type => self.enumeration(offset, &a)?,
            DW_TAG_enumerator => {
                self.enumerator(&a)?;
                None
            }
            DW_TAG_array_type => {
                let elem = self.type_ref(&a);
                let id = self.slot(offset, LocalType::placeholder());
                Some(Frame::Array {
                    id,
                    elem,
                    dims: Vec::new(),
                })
            }
            DW_TAG_subrange_type => {
                self.subrange(offset, &a);
                None
            }
            DW_TAG_subroutine_type => {
                let ret = self.type_ref(&a);
                let mut proto = LocalType::reference(Kind::FuncProto, ANON, ret);
                proto.body = Body::Params(Vec::new());
                let id = self.slot(offset, proto);
                Some(Frame::Proto {
                    id,
                    params: Vec::new(),
                })
            }
            DW_TAG_formal_parameter => self.parameter(&a)?,
            DW_TAG_unspecified_parameters => {
                self.varargs();
                None
            }
            DW_TAG_subprogram => Some(self.subprogram(&a)?),
            DW_TAG_variable => self.variable(&a)?,
            DW_TAG_ptr_to_member_type => {
                // C++ pointers to members: no BTF equivalent. Keep the size
                // so that containing structs keep their layout.
                let size = a.byte_size.unwrap_or(u64::from(self.ctx.elf.address_size));
                self.warn(
                    "C++ pointer-to-member types encoded as empty structs",
                    String::new(),
                );
                self.slot(
                    offset,
                    LocalType::composite(false, ANON, size as u32, Vec::new()),
                );
                None
            }
            DW_TAG_LLVM_ANNOTATION => {
                self.annotation(&a)?;
                None
            }
            _ => None,
        };
        Ok(frame)
    }

    /// Whether a DIE with an interesting tag matters where it is: variables
    /// and parameters only in some scopes.
    fn wants(&self, tag: DwTag) -> bool {
        use constants::*;
        match tag {
            DW_TAG_variable => matches!(self.parent(), Some(Frame::Scope)),
            DW_TAG_formal_parameter | DW_TAG_unspecified_parameters => matches!(
                self.parent(),
                Some(Frame::Proto { .. })
                    | Some(Frame::Subprogram {
                        collect_params: true,
                        ..
                    })
            ),
            DW_TAG_member | DW_TAG_inheritance => matches!(
                self.parent(),
                Some(Frame::Composite { .. } | Frame::VariantPart(_) | Frame::Variant { .. })
            ),
            DW_TAG_enumerator => matches!(self.parent(), Some(Frame::Enum { .. })),
            DW_TAG_variant => matches!(self.parent(), Some(Frame::VariantPart(_))),
            DW_TAG_variant_part => matches!(self.parent(), Some(Frame::Composite { .. })),
            _ => true,
        }
    }

    /// Reserves the next DIE slot for the DIE at `offset`.
    pub(crate) fn slot(&mut self, offset: usize, ty: LocalType<'a>) -> LocalId {
        let id = LocalId(self.out.types.len() as u32);
        self.out.types.push(ty);
        self.out.offsets.push(offset as u32);
        id
    }

    /// Adds a synthesised type.
    pub(crate) fn synth(&mut self, ty: LocalType<'a>) -> Ref {
        let id = SynthId(self.synth.len() as u32);
        self.synth.push(ty);
        Ref::Synth(id)
    }

    /// Records that the DIE at `offset` stands for `target`.
    fn alias(&mut self, offset: usize, target: Ref) {
        self.out.aliases.push((offset as u32, target));
    }

    /// Records a problem the decoder worked around; `category` groups
    /// repeats in the summary.
    pub(crate) fn warn(&mut self, category: &'static str, detail: String) {
        self.out.warnings.push((category, detail));
    }

    /// The type a DIE's `DW_AT_type` refers to (void if none).
    pub(crate) fn type_ref(&mut self, a: &Attrs<'a>) -> Ref {
        match a.ty {
            None => Ref::Void,
            Some(r) => self.die_ref(r),
        }
    }

    /// A reference found in a DIE of the unit at `.debug_info` offset
    /// `unit_start` (this one or another), as a [`Ref`] of this unit.
    pub(crate) fn ref_in(&mut self, unit_start: u64, r: DieRef) -> Ref {
        match r {
            DieRef::Unit(off) if unit_start != self.out.unit_offset => {
                self.die_ref(DieRef::Info(unit_start + off as u64))
            }
            r => self.die_ref(r),
        }
    }

    /// A DWARF reference as a [`Ref`].
    pub(crate) fn die_ref(&mut self, r: DieRef) -> Ref {
        match r {
            DieRef::Unit(off) => Ref::Die(off),
            DieRef::Info(off) => {
                let start = self.out.unit_offset;
                let len = self.unit.header.length_including_self() as u64;
                if off >= start && off < start + len {
                    Ref::Die((off - start) as usize)
                } else {
                    Ref::Info(off)
                }
            }
            DieRef::Unsupported => {
                self.warn(
                    "type references into type units or supplementary files encoded as void",
                    String::new(),
                );
                Ref::Void
            }
        }
    }

    /// The bytes of a string attribute, looked up now (for names the
    /// decoder inspects; others stay lazy, see [`name`](Self::name)).
    pub(crate) fn bytes(
        &self,
        v: &Option<gimli::AttributeValue<R<'a>>>,
    ) -> gimli::Result<Cow<'a, [u8]>> {
        self.bytes_in(self.unit, v)
    }

    /// [`bytes`](Self::bytes) of an attribute of a DIE of `unit`.
    pub(crate) fn bytes_in(
        &self,
        unit: &Unit<R<'a>>,
        v: &Option<gimli::AttributeValue<R<'a>>>,
    ) -> gimli::Result<Cow<'a, [u8]>> {
        Ok(match v {
            None => Cow::Borrowed(b""),
            Some(v) => Cow::Borrowed(self.ctx.dwarf.attr_string(unit, *v)?.slice()),
        })
    }

    /// A DIE's name as a type of kind `kind` carries it: a lazy
    /// `.debug_str` reference when DWARF has one, marked for sanitising if
    /// the kernel would want an identifier there and the options say so.
    pub(crate) fn name(&self, kind: Kind, a: &Attrs<'a>) -> gimli::Result<Name<'a>> {
        self.lazy(&a.name, self.fixes(kind))
    }

    /// A string attribute as a [`Name`], sanitised on resolution if `fix`.
    pub(crate) fn lazy(
        &self,
        v: &Option<gimli::AttributeValue<R<'a>>>,
        fix: bool,
    ) -> gimli::Result<Name<'a>> {
        self.lazy_in(self.unit, v, fix)
    }

    /// [`lazy`](Self::lazy) for an attribute of a DIE of `unit`.
    pub(crate) fn lazy_in(
        &self,
        unit: &Unit<R<'a>>,
        v: &Option<gimli::AttributeValue<R<'a>>>,
        fix: bool,
    ) -> gimli::Result<Name<'a>> {
        use gimli::AttributeValue as V;
        let off = match v {
            None => return Ok(ANON),
            Some(V::DebugStrRef(off)) => Some(off.0),
            Some(V::DebugStrOffsetsIndex(i)) => Some(
                self.ctx
                    .dwarf
                    .debug_str_offsets
                    .get_str_offset(unit.header.format(), unit.str_offsets_base, *i)?
                    .0,
            ),
            Some(_) => None,
        };
        match off.and_then(|o| u32::try_from(o).ok()) {
            Some(off) if (off as usize) < self.debug_str().len() => Ok(Name::Str { off, fix }),
            Some(_) => Err(gimli::Error::BadLength),
            None => {
                let b = self.bytes_in(unit, v)?;
                Ok(Name::Bytes(if fix { sanitize(b) } else { b }))
            }
        }
    }

    /// Whether names of `kind` are to be sanitised.
    fn fixes(&self, kind: Kind) -> bool {
        self.ctx.rust_names == RustNames::Sanitize
            && !self.c_names
            && !matches!(kind, Kind::Int | Kind::Float | Kind::Datasec)
    }

    /// `name` as carried by a type of kind `kind` (for names read raw).
    pub(crate) fn fix_name(&self, kind: Kind, name: Name<'a>) -> Name<'a> {
        let fix = self.fixes(kind);
        match name {
            Name::Str { off, .. } => Name::Str { off, fix },
            Name::Bytes(b) if fix => Name::Bytes(sanitize(b)),
            b => b,
        }
    }

    /// `.debug_str`.
    fn debug_str(&self) -> &'a [u8] {
        self.ctx.sections.get(gimli::SectionId::DebugStr)
    }

    /// The bytes of a name, unsanitised.
    pub(crate) fn resolve_name(&self, name: &Name<'a>) -> Cow<'a, [u8]> {
        match name {
            Name::Str { off, .. } => Cow::Borrowed(c_str(self.debug_str(), *off as usize)),
            Name::Bytes(b) => b.clone(),
        }
    }

    /// Whether a name is the empty string.
    pub(crate) fn name_is_empty(&self, name: &Name<'a>) -> bool {
        match name {
            Name::Str { off, .. } => self.debug_str().get(*off as usize).is_none_or(|&b| b == 0),
            Name::Bytes(b) => b.is_empty(),
        }
    }

    fn base_type(&mut self, offset: usize, a: &Attrs<'a>) -> gimli::Result<()> {
        use constants::*;
        let name = self.bytes(&a.name)?;
        if is_convert_helper(&name) {
            // Only DW_OP_convert in location expressions uses these; they
            // are not types of the program.
            self.alias(offset, Ref::Void);
            return Ok(());
        }
        let size = a
            .byte_size
            .unwrap_or_else(|| a.bit_size.unwrap_or(0).div_ceil(8));
        let bits = a.bit_size.unwrap_or(size * 8);
        let int_ok = matches!(size, 0 | 1 | 2 | 4 | 8 | 16) && bits <= size * 8;
        let encoding = a.encoding.unwrap_or(DW_ATE_unsigned);
        let ty = match encoding {
            DW_ATE_float if matches!(size, 2 | 4 | 8 | 12 | 16) => {
                LocalType::simple(Kind::Float, Name::Bytes(name), size as u32, Ref::Void)
            }
            DW_ATE_boolean if int_ok => {
                LocalType::int(Name::Bytes(name), size as u32, INT_BOOL, bits as u32)
            }
            DW_ATE_signed | DW_ATE_signed_char | DW_ATE_signed_fixed if int_ok => {
                LocalType::int(Name::Bytes(name), size as u32, INT_SIGNED, bits as u32)
            }
            DW_ATE_unsigned
            | DW_ATE_unsigned_char
            | DW_ATE_UTF
            | DW_ATE_address
            | DW_ATE_unsigned_fixed
                if int_ok =>
            {
                LocalType::int(Name::Bytes(name), size as u32, 0, bits as u32)
            }
            _ => {
                // Complex, decimal, odd widths: keep the size so layouts of
                // containing types survive, as an anonymous empty struct.
                let what = String::from_utf8_lossy(&name).into_owned();
                self.warn(
                    "base types without a BTF encoding encoded as empty structs",
                    format!("'{what}' ({encoding}, {size} bytes)"),
                );
                LocalType::composite(false, ANON, size as u32, Vec::new())
            }
        };
        let is_int = ty.kind == Kind::Int
            && ty.size == 4
            && matches!(ty.body, Body::Int(raw) if raw >> 24 == u32::from(INT_SIGNED))
            && ty.name == Name::from(&b"int"[..]);
        let id = self.slot(offset, ty);
        if is_int && self.int_type.is_none() {
            self.int_type = Some(id);
        }
        Ok(())
    }

    fn modifier(&mut self, offset: usize, kind: Kind, a: &Attrs<'a>) -> Option<Frame<'a>> {
        let ty = self.type_ref(a);
        self.slot(offset, LocalType::reference(kind, ANON, ty));
        None
    }

    fn composite(
        &mut self,
        offset: usize,
        union: bool,
        a: &Attrs<'a>,
    ) -> gimli::Result<Option<Frame<'a>>> {
        let kind = if union { Kind::Union } else { Kind::Struct };
        let name = self.name(kind, a)?;
        if a.declaration || (a.byte_size.is_none() && !self.name_is_empty(&name)) {
            let mut fwd = LocalType::simple(Kind::Fwd, name, 0, Ref::Void);
            fwd.kflag = union;
            self.slot(offset, fwd);
            // Children of a declaration (C++ methods) are not members.
            return Ok(None);
        }
        let size = a.byte_size.unwrap_or(0);
        let size = u32::try_from(size).unwrap_or_else(|_| {
            self.warn("composites over 4 GiB truncated", format!("{size} bytes"));
            u32::MAX
        });
        let id = self.slot(offset, LocalType::composite(union, name, size, Vec::new()));
        Ok(Some(Frame::Composite {
            id,
            members: Vec::new(),
        }))
    }

    fn member(
        &mut self,
        tag: DwTag,
        a: &Attrs<'a>,
        offset: usize,
    ) -> gimli::Result<Option<Frame<'a>>> {
        // Static data members (DWARF 4 and earlier) are declarations.
        if a.declaration || (a.external && tag == constants::DW_TAG_member) {
            return Ok(None);
        }
        let name = if tag == constants::DW_TAG_inheritance {
            ANON
        } else {
            self.name(Kind::Struct, a)?
        };
        let ty = self.type_ref(a);
        let (bit_offset, bitfield) = self.member_offset(a);
        let member = LocalMember {
            name,
            ty,
            bit_offset,
            bitfield,
        };
        let depth = self.stack.len() - 1;
        Ok(match &mut self.stack[depth].1 {
            Frame::Composite { id, members } => {
                members.push(member);
                Some(Frame::Tagged(TagTarget::Member {
                    composite: *id,
                    index: members.len() - 1,
                }))
            }
            Frame::VariantPart(part) => {
                part.add_direct_member(offset, member);
                None
            }
            Frame::Variant { part } => {
                let part = *part;
                if let Frame::VariantPart(p) = &mut self.stack[part].1 {
                    p.variants.push(member);
                }
                None
            }
            _ => None,
        })
    }

    /// A member's offset in bits and its bitfield width.
    fn member_offset(&mut self, a: &Attrs<'a>) -> (u64, u8) {
        let bitfield = a.bit_size.map_or(0, |b| b.min(255) as u8);
        let loc_bits = a
            .member_location
            .as_ref()
            .and_then(member_location)
            .unwrap_or(0)
            .saturating_mul(8);
        if let Some(bits) = a.data_bit_offset {
            return (bits, bitfield);
        }
        if let (Some(bit_offset), Some(size)) = (a.bit_offset, a.bit_size) {
            // DWARF 2/3 counts from the most significant bit of a storage
            // unit of `DW_AT_byte_size` bytes.
            let loc = loc_bits as i64;
            let bits = if self.ctx.elf.big_endian {
                loc.saturating_add(bit_offset)
            } else {
                let storage = a.byte_size.unwrap_or_else(|| size.div_ceil(8)) as i64 * 8;
                loc.saturating_add(storage - bit_offset - size as i64)
            };
            return (bits.max(0) as u64, bitfield);
        }
        (loc_bits, bitfield)
    }

    fn variant_part(&mut self, a: &Attrs<'a>) -> Option<Frame<'a>> {
        let parent = self.stack.len() - 1;
        let discr = match a.discr {
            Some(DieRef::Unit(off)) => Some(off),
            _ => None,
        };
        Some(Frame::VariantPart(crate::variant::VariantPart::new(
            parent, discr,
        )))
    }

    fn variant(&mut self) -> Option<Frame<'a>> {
        Some(Frame::Variant {
            part: self.stack.len() - 1,
        })
    }

    fn enumeration(&mut self, offset: usize, a: &Attrs<'a>) -> gimli::Result<Option<Frame<'a>>> {
        let name = self.name(Kind::Enum, a)?;
        let size = a.byte_size.unwrap_or(4);
        if !matches!(size, 1 | 2 | 4 | 8) {
            // BTF enums stop at 8 bytes (Rust allows #[repr(u128)]): keep
            // the layout with an INT of the enum's size.
            self.warn(
                "enums wider than 8 bytes encoded as integers",
                format!("{size} bytes"),
            );
            let bits = (size * 8).min(128) as u32;
            self.slot(offset, LocalType::int(name, size.min(16) as u32, 0, bits));
            return Ok(None);
        }
        let size = size as u32;
        let underlying = self.type_ref(a);
        let mut ty = LocalType::simple(
            if size == 8 { Kind::Enum64 } else { Kind::Enum },
            name,
            size,
            underlying,
        );
        ty.body = Body::Enumerators(Vec::new());
        let id = self.slot(offset, ty);
        Ok(Some(Frame::Enum {
            id,
            values: Vec::new(),
        }))
    }

    fn enumerator(&mut self, a: &Attrs<'a>) -> gimli::Result<()> {
        use gimli::AttributeValue as V;
        let name = self.name(Kind::Enum, a)?;
        let (value, negative) = match a.const_value {
            Some(V::Sdata(v)) => (v as u64, v < 0),
            Some(ref v) => (v.udata_value().unwrap_or(0), false),
            None => (0, false),
        };
        if let Some((_, Frame::Enum { values, .. })) = self.stack.last_mut() {
            values.push(RawEnumerator {
                name,
                value,
                negative,
            });
        }
        Ok(())
    }

    fn subrange(&mut self, offset: usize, a: &Attrs<'a>) {
        let Some((_, Frame::Array { dims, .. })) = self.stack.last_mut() else {
            // A subrange outside an array (Ada, Pascal) is an integer subtype.
            let ty = self.type_ref(a);
            self.alias(offset, ty);
            return;
        };
        let n = if let Some(count) = a.count.as_ref().and_then(bound) {
            count
        } else if let Some(upper) = a.upper_bound.as_ref().and_then(bound) {
            let lower = a.lower_bound.as_ref().and_then(bound).unwrap_or(0);
            upper.wrapping_sub(lower).wrapping_add(1)
        } else {
            0
        };
        dims.push(u32::try_from(n).unwrap_or(0));
    }

    fn parameter(&mut self, a: &Attrs<'a>) -> gimli::Result<Option<Frame<'a>>> {
        let name = self.name(Kind::FuncProto, a)?;
        let self_name_empty = self.name_is_empty(&name);
        let ty = self.type_ref(a);
        let frame = self.stack.len() - 1;
        Ok(match &mut self.stack[frame].1 {
            Frame::Proto { params, .. } => {
                params.push((name, ty));
                None
            }
            Frame::Subprogram {
                func: Some(f),
                collect_params: true,
            } => {
                f.params_named &= !self_name_empty;
                f.params.push((name, ty));
                Some(Frame::Tagged(TagTarget::Param {
                    frame,
                    index: f.params.len() - 1,
                }))
            }
            _ => None,
        })
    }

    fn varargs(&mut self) {
        match self.stack.last_mut() {
            Some((_, Frame::Proto { params, .. })) => params.push((ANON, Ref::Void)),
            Some((
                _,
                Frame::Subprogram {
                    func: Some(f),
                    collect_params: true,
                },
            )) => f.params.push((ANON, Ref::Void)),
            _ => {}
        }
    }

    /// Completes a frame whose children have all been read.
    fn complete(&mut self, frame: Frame<'a>) {
        match frame {
            Frame::Composite { id, members } => {
                self.out.types[id.0 as usize].body = Body::Members(members);
            }
            Frame::VariantPart(part) => self.complete_variant_part(part),
            Frame::Enum { id, values } => {
                self.out.types[id.0 as usize].body = Body::Enumerators(values);
            }
            Frame::Array { id, elem, dims } => self.complete_array(id, elem, dims),
            Frame::Proto { id, params } => {
                self.out.types[id.0 as usize].body = Body::Params(params);
            }
            Frame::Subprogram { func: Some(f), .. } => self.out.funcs.push(f),
            Frame::Pointer { id, tags } => self.complete_pointer(id, tags),
            Frame::Scope
            | Frame::Variant { .. }
            | Frame::Subprogram { func: None, .. }
            | Frame::Tagged(_)
            | Frame::Other => {}
        }
    }

    /// Multi-dimensional arrays become nested ARRAYs, outermost dimension
    /// first, as LLVM's BPF backend emits them, unless asked to flatten
    /// them as pahole does (one ARRAY of all the elements; needed for split
    /// BTF to share types with a pahole-made base).
    fn complete_array(&mut self, id: LocalId, elem: Ref, mut dims: Vec<u32>) {
        if dims.is_empty() {
            dims.push(0);
        }
        if self.ctx.flatten_arrays {
            let n = dims.iter().fold(1u32, |n, &d| n.saturating_mul(d));
            self.out.types[id.0 as usize] = array(elem, n);
            return;
        }
        let mut inner = elem;
        for &n in dims[1..].iter().rev() {
            inner = self.synth(array(inner, n));
        }
        self.out.types[id.0 as usize] = array(inner, dims[0]);
    }

    /// `int __tag1 __tag2 *p` becomes PTR → `tag2` → `tag1` → int, the chain
    /// clang emits.
    fn complete_pointer(&mut self, id: LocalId, tags: Vec<Name<'a>>) {
        if tags.is_empty() {
            return;
        }
        let mut target = self.out.types[id.0 as usize].ty;
        for tag in tags {
            target = self.synth(LocalType::reference(Kind::TypeTag, tag, target));
        }
        self.out.types[id.0 as usize].ty = target;
    }

    /// A `DW_TAG_LLVM_annotation`: a decl tag on its parent, or a type tag
    /// on its parent pointer.
    fn annotation(&mut self, a: &Attrs<'a>) -> gimli::Result<()> {
        let what = self.bytes(&a.name)?;
        let value: Name<'a> = match &a.const_value {
            Some(v) => Name::Bytes(self.bytes(&Some(*v))?),
            None => return Ok(()),
        };
        if self.name_is_empty(&value) {
            return Ok(());
        }
        let Some((_, parent)) = self.stack.last_mut() else {
            return Ok(());
        };
        match (&*what, parent) {
            (b"btf_type_tag", Frame::Pointer { tags, .. }) => tags.push(value),
            (b"btf_decl_tag", Frame::Composite { id, .. }) => {
                let id = *id;
                self.type_tags.push((id, value));
            }
            (b"btf_decl_tag", Frame::Tagged(target)) => {
                let target = *target;
                self.decl_tag(target, value);
            }
            (b"btf_decl_tag", Frame::Subprogram { func: Some(f), .. }) => {
                f.tags.push(crate::model::DeclTag {
                    value,
                    component: -1,
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn decl_tag(&mut self, target: TagTarget, value: Name<'a>) {
        match target {
            TagTarget::Type(id) => self.type_tags.push((id, value)),
            TagTarget::Member { composite, index } => {
                self.member_tags.push((composite, index, value))
            }
            TagTarget::Param { frame, index } => {
                if let Some((_, Frame::Subprogram { func: Some(f), .. })) =
                    self.stack.get_mut(frame)
                {
                    f.tags.push(crate::model::DeclTag {
                        value,
                        component: index as i32,
                    });
                }
            }
            TagTarget::Var(i) => {
                if let Some(v) = self.out.vars.get_mut(i) {
                    v.tags.push(crate::model::DeclTag {
                        value,
                        component: -1,
                    });
                }
            }
        }
    }
}

/// An ARRAY of `nelems` elements of `elem`. The index type is pahole's
/// choice, the unit's `int`: libbpf's dedup compares index types, so any
/// other choice keeps module types from deduplicating against a vmlinux BTF
/// made by pahole.
fn array<'a>(elem: Ref, nelems: u32) -> LocalType<'a> {
    LocalType {
        body: Body::Array {
            elem,
            index: Ref::ArrayIndex,
            nelems,
        },
        ..LocalType::simple(Kind::Array, ANON, 0, Ref::Void)
    }
}

/// Whether a base type is one of the `DW_ATE_<encoding>_<bits>` types
/// LLVM creates for `DW_OP_convert` in location expressions.
fn is_convert_helper(name: &[u8]) -> bool {
    let Some(rest) = name.strip_prefix(b"DW_ATE_") else {
        return false;
    };
    let Some(split) = rest.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let (encoding, bits) = (&rest[..split], &rest[split + 1..]);
    !encoding.is_empty()
        && encoding
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b == b'_')
        && !bits.is_empty()
        && bits.iter().all(u8::is_ascii_digit)
}

/// Whether the unit's language is C.
fn is_c(unit: &Unit<R<'_>>) -> bool {
    let mut entries = unit.entries();
    let Ok(Some((_, root))) = entries.next_dfs() else {
        return false;
    };
    matches!(
        root.attr_value(constants::DW_AT_language),
        Ok(Some(gimli::AttributeValue::Language(
            constants::DW_LANG_C89
                | constants::DW_LANG_C
                | constants::DW_LANG_C99
                | constants::DW_LANG_C11
                | constants::DW_LANG_C17
        )))
    )
}

/// The NUL-terminated string at `off` of a string section.
pub(crate) fn c_str(section: &[u8], off: usize) -> &[u8] {
    let tail = section.get(off..).unwrap_or(&[]);
    let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
    &tail[..end]
}

/// Tags whose DIEs are read at all; everything else is skipped unread.
fn interesting(tag: DwTag) -> bool {
    use constants::*;
    matches!(
        tag,
        DW_TAG_base_type
            | DW_TAG_pointer_type
            | DW_TAG_reference_type
            | DW_TAG_rvalue_reference_type
            | DW_TAG_const_type
            | DW_TAG_immutable_type
            | DW_TAG_volatile_type
            | DW_TAG_restrict_type
            | DW_TAG_typedef
            | DW_TAG_atomic_type
            | DW_TAG_packed_type
            | DW_TAG_shared_type
            | DW_TAG_unspecified_type
            | DW_TAG_structure_type
            | DW_TAG_class_type
            | DW_TAG_interface_type
            | DW_TAG_union_type
            | DW_TAG_member
            | DW_TAG_inheritance
            | DW_TAG_variant_part
            | DW_TAG_variant
            | DW_TAG_enumeration_type
            | DW_TAG_enumerator
            | DW_TAG_array_type
            | DW_TAG_subrange_type
            | DW_TAG_subroutine_type
            | DW_TAG_formal_parameter
            | DW_TAG_unspecified_parameters
            | DW_TAG_subprogram
            | DW_TAG_variable
            | DW_TAG_ptr_to_member_type
    ) || tag == DW_TAG_LLVM_ANNOTATION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clang_convert_helpers_are_recognised() {
        for n in [
            "DW_ATE_signed_32",
            "DW_ATE_unsigned_8",
            "DW_ATE_signed_char_8",
        ] {
            assert!(is_convert_helper(n.as_bytes()), "{n}");
        }
        for n in [
            "int",
            "DW_ATE_",
            "DW_ATE_signed",
            "DW_ATE_Signed_32",
            "DW_ATE_signed_3x",
        ] {
            assert!(!is_convert_helper(n.as_bytes()), "{n}");
        }
    }

    #[test]
    fn c_strings() {
        let sec = b"abc\0def\0tail";
        assert_eq!(c_str(sec, 0), b"abc");
        assert_eq!(c_str(sec, 4), b"def");
        assert_eq!(c_str(sec, 5), b"ef");
        assert_eq!(c_str(sec, 8), b"tail");
        assert_eq!(c_str(sec, 100), b"");
    }
}
