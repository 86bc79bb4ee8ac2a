//! Lazy views of type records.
//!
//! A [`Type`] is a copy of a record's 12-byte prefix plus a borrowed slice of
//! its trailing bytes; [`Type::data`] decodes the kind-specific part on demand.

mod records;

pub use records::{
    EnumValue, EnumValues, Member, Members, Param, Params, Record, Records, VarSecinfo, VarSecinfos,
};

use crate::endian::u32_at;
use crate::{Endian, Kind, StrOffset, TypeId};

/// `INT` encoding bit: signed.
pub const INT_SIGNED: u8 = 1;
/// `INT` encoding bit: character type.
pub const INT_CHAR: u8 = 2;
/// `INT` encoding bit: boolean.
pub const INT_BOOL: u8 = 4;

/// Linkage of a FUNC or VAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Linkage {
    /// Local to its compilation unit.
    Static,
    /// Visible globally (and, for VARs, allocated).
    Global,
    /// Defined elsewhere (`extern`).
    Extern,
    /// A value btfkit does not know.
    Unknown(u32),
}

impl Linkage {
    /// Decodes a raw linkage value.
    pub fn from_raw(raw: u32) -> Linkage {
        match raw {
            0 => Linkage::Static,
            1 => Linkage::Global,
            2 => Linkage::Extern,
            other => Linkage::Unknown(other),
        }
    }

    /// The raw value.
    pub fn to_raw(self) -> u32 {
        match self {
            Linkage::Static => 0,
            Linkage::Global => 1,
            Linkage::Extern => 2,
            Linkage::Unknown(v) => v,
        }
    }

    /// bpftool's spelling: `static`, `global`, `extern`, `(unknown)`.
    pub fn name(self) -> &'static str {
        match self {
            Linkage::Static => "static",
            Linkage::Global => "global",
            Linkage::Extern => "extern",
            Linkage::Unknown(_) => "(unknown)",
        }
    }
}

/// The trailing word of an `INT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Int {
    /// Size in bytes (the prefix's size field).
    pub size: u32,
    /// Encoding bits ([`INT_SIGNED`], [`INT_CHAR`], [`INT_BOOL`]), bits 24–27.
    pub encoding: u8,
    /// Bit offset (legacy bitfields), bits 16–23.
    pub offset: u8,
    /// Number of value bits, bits 0–7.
    pub bits: u8,
    /// The raw trailing word, kept so unusual bits survive a round trip.
    pub raw: u32,
}

impl Int {
    /// Decodes the trailing word.
    pub fn from_raw(size: u32, raw: u32) -> Int {
        Int {
            size,
            encoding: ((raw >> 24) & 0x0f) as u8,
            offset: ((raw >> 16) & 0xff) as u8,
            bits: (raw & 0xff) as u8,
            raw,
        }
    }

    /// Whether the encoding has the signed bit.
    pub fn is_signed(&self) -> bool {
        self.encoding & INT_SIGNED != 0
    }
}

/// The trailing part of an `ARRAY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Array {
    /// Element type.
    pub elem_type: TypeId,
    /// Index type (an INT; often `__ARRAY_SIZE_TYPE__` or `int`).
    pub index_type: TypeId,
    /// Number of elements (0 for a flexible array).
    pub nelems: u32,
}

/// The kind-specific content of a type, decoded from its record.
#[derive(Clone, Copy, Debug)]
pub enum TypeData<'a> {
    /// INT.
    Int(Int),
    /// PTR to a type.
    Ptr(TypeId),
    /// ARRAY.
    Array(Array),
    /// STRUCT with `size` bytes; `kflag` means member offsets carry bitfield sizes.
    Struct(Members<'a>),
    /// UNION, like STRUCT.
    Union(Members<'a>),
    /// ENUM (values up to 32 bits).
    Enum(EnumValues<'a>),
    /// FWD; `true` for a union, `false` for a struct.
    Fwd(bool),
    /// TYPEDEF of a type.
    Typedef(TypeId),
    /// VOLATILE of a type.
    Volatile(TypeId),
    /// CONST of a type.
    Const(TypeId),
    /// RESTRICT of a type.
    Restrict(TypeId),
    /// FUNC: its FUNC_PROTO and linkage.
    Func(TypeId, Linkage),
    /// FUNC_PROTO: return type and parameters.
    FuncProto(TypeId, Params<'a>),
    /// VAR: its type and linkage.
    Var(TypeId, Linkage),
    /// DATASEC: section size (prefix) and variables.
    Datasec(VarSecinfos<'a>),
    /// FLOAT of `size` bytes.
    Float,
    /// DECL_TAG on a type; component index −1 means the declaration itself.
    DeclTag(TypeId, i32),
    /// TYPE_TAG on a type.
    TypeTag(TypeId),
    /// ENUM64.
    Enum64(EnumValues<'a>),
    /// A kind btfkit does not know, sized by the layout section.
    Unknown(&'a [u8]),
}

/// A view of one type record.
#[derive(Clone, Copy, Debug)]
pub struct Type<'a> {
    pub(crate) id: TypeId,
    pub(crate) endian: Endian,
    pub(crate) offset: u32,
    pub(crate) name_off: StrOffset,
    pub(crate) info: u32,
    pub(crate) size_type: u32,
    pub(crate) rest: &'a [u8],
}

/// Mask of the kind bits in `info` (2026 UAPI: bits 24–30).
pub const INFO_KIND_MASK: u32 = 0x7f;
/// Mask of the vlen bits in `info` (2026 UAPI: bits 0–23).
pub const INFO_VLEN_MASK: u32 = 0x00ff_ffff;

impl<'a> Type<'a> {
    /// Decodes a record whose bounds the parser has checked. `rest` holds
    /// exactly the trailing bytes.
    pub(crate) fn decode(
        id: TypeId,
        endian: Endian,
        offset: u32,
        prefix: &[u8],
        rest: &'a [u8],
    ) -> Type<'a> {
        Type {
            id,
            endian,
            offset,
            name_off: StrOffset(u32_at(endian, prefix, 0)),
            info: u32_at(endian, prefix, 4),
            size_type: u32_at(endian, prefix, 8),
            rest,
        }
    }

    /// This type's id.
    pub fn id(&self) -> TypeId {
        self.id
    }

    /// Byte order of the record.
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// Absolute byte offset of the record in its BTF blob (for diagnostics).
    pub fn offset(&self) -> usize {
        self.offset as usize
    }

    /// Offset of the name in the (logical) string section.
    pub fn name_off(&self) -> StrOffset {
        self.name_off
    }

    /// The raw `info` word.
    pub fn info(&self) -> u32 {
        self.info
    }

    /// The raw third prefix field: a size or a type id, per kind.
    pub fn size_or_type(&self) -> u32 {
        self.size_type
    }

    /// The record's kind.
    pub fn kind(&self) -> Kind {
        Kind::from_info(self.info)
    }

    /// Number of trailing entries (members, values, parameters, variables);
    /// for FUNC the linkage.
    pub fn vlen(&self) -> u32 {
        self.info & INFO_VLEN_MASK
    }

    /// The kind flag (bit 31 of `info`).
    pub fn kflag(&self) -> bool {
        self.info >> 31 != 0
    }

    /// Size in bytes for kinds that have one (INT, STRUCT, UNION, ENUM,
    /// ENUM64, DATASEC, FLOAT); `None` otherwise.
    pub fn size(&self) -> Option<u32> {
        match self.kind() {
            Kind::Int
            | Kind::Struct
            | Kind::Union
            | Kind::Enum
            | Kind::Enum64
            | Kind::Datasec
            | Kind::Float => Some(self.size_type),
            _ => None,
        }
    }

    /// The referenced type for kinds whose prefix names one.
    pub fn type_ref(&self) -> Option<TypeId> {
        self.kind().has_type_ref().then_some(TypeId(self.size_type))
    }

    /// The raw trailing bytes.
    pub fn trailing(&self) -> &'a [u8] {
        self.rest
    }

    /// Decodes the kind-specific part.
    pub fn data(&self) -> TypeData<'a> {
        let e = self.endian;
        let t = TypeId(self.size_type);
        let word = |off| u32_at(e, self.rest, off);
        match self.kind() {
            Kind::Int => TypeData::Int(Int::from_raw(self.size_type, word(0))),
            Kind::Ptr => TypeData::Ptr(t),
            Kind::Array => TypeData::Array(Array {
                elem_type: TypeId(word(0)),
                index_type: TypeId(word(4)),
                nelems: word(8),
            }),
            Kind::Struct => TypeData::Struct(Members::new(self.rest, e, self.kflag())),
            Kind::Union => TypeData::Union(Members::new(self.rest, e, self.kflag())),
            Kind::Enum => TypeData::Enum(EnumValues::new(self.rest, e, false, self.kflag())),
            Kind::Enum64 => TypeData::Enum64(EnumValues::new(self.rest, e, true, self.kflag())),
            Kind::Fwd => TypeData::Fwd(self.kflag()),
            Kind::Typedef => TypeData::Typedef(t),
            Kind::Volatile => TypeData::Volatile(t),
            Kind::Const => TypeData::Const(t),
            Kind::Restrict => TypeData::Restrict(t),
            Kind::Func => TypeData::Func(t, Linkage::from_raw(self.vlen())),
            Kind::FuncProto => TypeData::FuncProto(t, Params::new(self.rest, e)),
            Kind::Var => TypeData::Var(t, Linkage::from_raw(word(0))),
            Kind::Datasec => TypeData::Datasec(VarSecinfos::new(self.rest, e)),
            Kind::Float => TypeData::Float,
            Kind::DeclTag => TypeData::DeclTag(t, word(0) as i32),
            Kind::TypeTag => TypeData::TypeTag(t),
            Kind::Unknown(_) => TypeData::Unknown(self.rest),
        }
    }

    /// Members of a STRUCT or UNION (empty for other kinds).
    pub fn members(&self) -> Members<'a> {
        match self.data() {
            TypeData::Struct(m) | TypeData::Union(m) => m,
            _ => Members::new(&[], self.endian, false),
        }
    }

    /// Enumerators of an ENUM or ENUM64 (empty for other kinds).
    pub fn enum_values(&self) -> EnumValues<'a> {
        match self.data() {
            TypeData::Enum(v) | TypeData::Enum64(v) => v,
            _ => EnumValues::new(&[], self.endian, false, false),
        }
    }

    /// Parameters of a FUNC_PROTO (empty for other kinds).
    pub fn params(&self) -> Params<'a> {
        match self.data() {
            TypeData::FuncProto(_, p) => p,
            _ => Params::new(&[], self.endian),
        }
    }

    /// Variables of a DATASEC (empty for other kinds).
    pub fn datasec_vars(&self) -> VarSecinfos<'a> {
        match self.data() {
            TypeData::Datasec(v) => v,
            _ => VarSecinfos::new(&[], self.endian),
        }
    }

    /// Every type id this record refers to, with a short description of the
    /// reference (`type`, `member 2 type` …), in record order.
    pub fn references(&self) -> impl Iterator<Item = (TypeId, RefSlot)> + 'a {
        let head = self.type_ref().map(|t| (t, RefSlot::Prefix)).into_iter();
        let data = self.data();
        let array = match data {
            TypeData::Array(a) => Some([
                (a.elem_type, RefSlot::ArrayElem),
                (a.index_type, RefSlot::ArrayIndex),
            ]),
            _ => None,
        }
        .into_iter()
        .flatten();
        let members = self
            .members()
            .enumerate()
            .map(|(i, m)| (m.type_id, RefSlot::Member(i as u32)));
        let params = self
            .params()
            .enumerate()
            .map(|(i, p)| (p.type_id, RefSlot::Param(i as u32)));
        let vars = self
            .datasec_vars()
            .enumerate()
            .map(|(i, v)| (v.type_id, RefSlot::DatasecVar(i as u32)));
        head.chain(array).chain(members).chain(params).chain(vars)
    }
}

/// Where in a record a type reference sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefSlot {
    /// The prefix's type field.
    Prefix,
    /// ARRAY element type.
    ArrayElem,
    /// ARRAY index type.
    ArrayIndex,
    /// Member `i` of a STRUCT/UNION.
    Member(u32),
    /// Parameter `i` of a FUNC_PROTO.
    Param(u32),
    /// Variable `i` of a DATASEC.
    DatasecVar(u32),
}

impl std::fmt::Display for RefSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefSlot::Prefix => write!(f, "type"),
            RefSlot::ArrayElem => write!(f, "element type"),
            RefSlot::ArrayIndex => write!(f, "index type"),
            RefSlot::Member(i) => write!(f, "member {i} type"),
            RefSlot::Param(i) => write!(f, "parameter {i} type"),
            RefSlot::DatasecVar(i) => write!(f, "variable {i} type"),
        }
    }
}
