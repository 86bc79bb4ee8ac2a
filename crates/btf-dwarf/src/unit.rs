//! Decoding one compilation unit: a single pass over its DIEs with gimli's
//! raw entry reader, producing a [`UnitTypes`].
//!
//! Every type DIE gets a slot in the unit's local table when it is first
//! seen (so local ids follow DIE order, parents before children, the way
//! pahole numbers them); DIEs whose content comes from their children
//! (structs, enums, arrays, prototypes) are completed when the walk leaves
//! them. References are kept as unit offsets and resolved in
//! [`finish`](crate::finish) once the unit has been read.

use btf_core::Kind;
use gimli::{constants, DwTag, Unit, UnitHeader};

use crate::attrs::{Attrs, DieRef, R};
use crate::context::{unit_start, Ctx};
use crate::ids::{LocalId, Ref, SynthId};
use crate::model::{
    Body, FuncCandidate, LocalMember, LocalType, Name, RawEnumerator, UnitTypes, ANON,
};
use crate::{Error, Result};

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
    /// The other unit a declaration was last read from (LTO output refers
    /// across units, usually many times to the same one), and where it
    /// starts: opening a unit parses its header and root DIE.
    pub foreign: Option<(u64, Box<Unit<R<'a>>>)>,
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
        c_names: crate::naming::is_c(&unit),
        stack: Vec::new(),
        foreign: None,
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
    pub(crate) fn alias(&mut self, offset: usize, target: Ref) {
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
                self.die_ref(DieRef::Info(unit_start.saturating_add(off as u64)))
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
