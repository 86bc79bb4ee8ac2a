//! The decoded form of one compilation unit: BTF-shaped types whose
//! references are still unit-local, plus the functions and variables that
//! may become FUNCs and VARs.
//!
//! Decoding (parallel, one unit at a time) produces a [`UnitTypes`]; merging
//! (sequential, in unit order) turns local ids into BTF ids.

use std::borrow::Cow;

use btf_core::types::Linkage;
use btf_core::Kind;

use crate::ids::Ref;

/// A name as the decoder keeps it. Most names are offsets into
/// `.debug_str`; their bytes are looked up (and sanitised) only once per
/// distinct offset, when units are merged, rather than once per use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Name<'a> {
    /// `.debug_str` offset; `fix` asks for [`sanitize`](crate::sanitize)
    /// when the name is resolved.
    Str { off: u32, fix: bool },
    /// Final bytes (inline strings, made-up names), already sanitised.
    Bytes(Cow<'a, [u8]>),
}

/// The empty (anonymous) name.
pub(crate) const ANON: Name<'static> = Name::Bytes(Cow::Borrowed(b""));

impl Default for Name<'_> {
    fn default() -> Self {
        ANON
    }
}

impl<'a> From<&'a [u8]> for Name<'a> {
    fn from(b: &'a [u8]) -> Name<'a> {
        Name::Bytes(Cow::Borrowed(b))
    }
}

/// One member of a STRUCT or UNION before the composite is finished.
#[derive(Clone, Debug)]
pub(crate) struct LocalMember<'a> {
    pub name: Name<'a>,
    pub ty: Ref,
    /// Offset in bits from the start of the composite.
    pub bit_offset: u64,
    /// Bitfield width, 0 if the member is not a bitfield.
    pub bitfield: u8,
}

/// An enumerator as read from DWARF. Fixed-size forms are taken as
/// unsigned even in signed enums: GCC writes 225 as `DW_FORM_data1` 0xe1
/// and negative values as `DW_FORM_sdata`, and clang does the same (pahole
/// reads them this way too).
#[derive(Clone, Debug)]
pub(crate) struct RawEnumerator<'a> {
    pub name: Name<'a>,
    pub value: u64,
    /// The form was `DW_FORM_sdata` with a negative value: the enum is
    /// signed even if DWARF names no underlying type.
    pub negative: bool,
}

/// The kind-specific part of a [`LocalType`].
#[derive(Clone, Debug)]
pub(crate) enum Body<'a> {
    /// Nothing beyond the common fields.
    None,
    /// INT: the raw trailing word.
    Int(u32),
    /// ARRAY.
    Array { elem: Ref, index: Ref, nelems: u32 },
    /// STRUCT/UNION members in DWARF order; sorted and encoded at the end
    /// of the unit. `tags` are `(tag, member index in DWARF order)`.
    Members(Vec<LocalMember<'a>>),
    /// ENUM/ENUM64 enumerators before signedness is settled.
    Enumerators(Vec<RawEnumerator<'a>>),
    /// ENUM values (final).
    Enum(Vec<(Name<'a>, u32)>),
    /// ENUM64 values (final).
    Enum64(Vec<(Name<'a>, u64)>),
    /// FUNC_PROTO parameters; `(ANON, Void)` last for `...`.
    Params(Vec<(Name<'a>, Ref)>),
    /// DECL_TAG component index.
    DeclTag(i32),
}

/// One BTF type of a unit's local table.
#[derive(Clone, Debug)]
pub(crate) struct LocalType<'a> {
    pub kind: Kind,
    pub name: Name<'a>,
    pub kflag: bool,
    /// Byte size, for the kinds that have one.
    pub size: u32,
    /// Referenced type, for the kinds that have one (and, for enums, the
    /// underlying integer type, which decides signedness).
    pub ty: Ref,
    pub body: Body<'a>,
}

impl<'a> LocalType<'a> {
    /// A type with no trailing data.
    pub fn simple(kind: Kind, name: Name<'a>, size: u32, ty: Ref) -> LocalType<'a> {
        LocalType {
            kind,
            name,
            kflag: false,
            size,
            ty,
            body: Body::None,
        }
    }

    /// A reference kind (PTR, CONST, TYPEDEF, …) to `ty`.
    pub fn reference(kind: Kind, name: Name<'a>, ty: Ref) -> LocalType<'a> {
        LocalType::simple(kind, name, 0, ty)
    }

    /// An INT.
    pub fn int(name: Name<'a>, size: u32, encoding: u8, bits: u32) -> LocalType<'a> {
        LocalType {
            body: Body::Int(u32::from(encoding) << 24 | bits.min(255)),
            ..LocalType::simple(Kind::Int, name, size, Ref::Void)
        }
    }

    /// A STRUCT (or UNION) with members still to be finished.
    pub fn composite(
        union: bool,
        name: Name<'a>,
        size: u32,
        members: Vec<LocalMember<'a>>,
    ) -> Self {
        LocalType {
            body: Body::Members(members),
            ..LocalType::simple(
                if union { Kind::Union } else { Kind::Struct },
                name,
                size,
                Ref::Void,
            )
        }
    }

    /// A stand-in for a DIE whose type is filled in when its children have
    /// been read. If the DWARF ends early it stays an anonymous empty
    /// STRUCT, which the kernel accepts.
    pub fn placeholder() -> LocalType<'static> {
        LocalType::composite(false, ANON, 0, Vec::new())
    }

    /// Calls `f` on every reference this type holds (without allocating:
    /// this runs for every type of every unit).
    pub fn for_each_ref(&mut self, mut f: impl FnMut(&mut Ref)) {
        if self.kind.has_type_ref() || matches!(self.kind, Kind::Enum | Kind::Enum64) {
            f(&mut self.ty);
        }
        match &mut self.body {
            Body::Array { elem, index, .. } => {
                f(elem);
                f(index);
            }
            Body::Members(ms) => ms.iter_mut().for_each(|m| f(&mut m.ty)),
            Body::Params(ps) => ps.iter_mut().for_each(|p| f(&mut p.1)),
            _ => {}
        }
    }
}

/// A `btf_decl_tag` to attach to a FUNC or VAR once it exists.
#[derive(Clone, Debug)]
pub(crate) struct DeclTag<'a> {
    pub value: Name<'a>,
    /// −1 for the declaration, else the parameter index.
    pub component: i32,
}

/// A function that may become a FUNC.
#[derive(Clone, Debug)]
pub(crate) struct FuncCandidate<'a> {
    pub name: Name<'a>,
    pub linkage: Linkage,
    pub ret: Ref,
    pub params: Vec<(Name<'a>, Ref)>,
    /// Every parameter has a name (pahole skips functions where one does
    /// not).
    pub params_named: bool,
    pub tags: Vec<DeclTag<'a>>,
}

/// A variable with static storage that may become a VAR.
#[derive(Clone, Debug)]
pub(crate) struct VarCandidate<'a> {
    pub name: Name<'a>,
    pub ty: Ref,
    pub linkage: Linkage,
    /// ELF section index.
    pub section: usize,
    /// Offset in the section.
    pub offset: u64,
    /// Size in bytes (from the type), filled at the end of the unit.
    pub size: u64,
    pub tags: Vec<DeclTag<'a>>,
}

/// Everything one unit contributes, with references resolved to
/// [`Ref::Void`], [`Ref::Local`] or [`Ref::Info`].
#[derive(Debug, Default)]
pub(crate) struct UnitTypes<'a> {
    /// Offset of the unit in `.debug_info`.
    pub unit_offset: u64,
    /// Local types: DIE types in DIE order, then synthesised ones.
    pub types: Vec<LocalType<'a>>,
    /// Unit offsets of the DIE types (`offsets[i]` is the DIE of local id
    /// `i`), ascending; used to resolve references from other units.
    pub offsets: Vec<u32>,
    /// Offsets of DIEs that stand for another type (`_Atomic`, `void`),
    /// with what they resolve to.
    pub aliases: Vec<(u32, Ref)>,
    pub funcs: Vec<FuncCandidate<'a>>,
    pub vars: Vec<VarCandidate<'a>>,
    /// Problems worked around: (category, detail).
    pub warnings: Vec<(&'static str, String)>,
    /// DIEs read, for statistics.
    pub dies: u64,
}
