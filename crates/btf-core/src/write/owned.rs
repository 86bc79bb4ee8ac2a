//! [`OwnedType`]: a type record the writer owns.

use crate::types::{Array, Linkage, Member, Param, VarSecinfo};
use crate::{Kind, StrOffset, Type, TypeData, TypeId};

/// The kind-specific part of an [`OwnedType`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// No trailing data (PTR, FWD, TYPEDEF, modifiers, FLOAT, TYPE_TAG).
    None,
    /// INT: the raw trailing word (`encoding << 24 | offset << 16 | bits`).
    Int(u32),
    /// ARRAY.
    Array(Array),
    /// STRUCT/UNION members.
    Members(Vec<Member>),
    /// ENUM enumerators: name and the stored 32 bits.
    Enum(Vec<(StrOffset, u32)>),
    /// ENUM64 enumerators: name and the 64-bit value.
    Enum64(Vec<(StrOffset, u64)>),
    /// FUNC: linkage (stored in vlen).
    Func(Linkage),
    /// FUNC_PROTO parameters.
    Params(Vec<Param>),
    /// VAR: linkage.
    Var(Linkage),
    /// DATASEC entries.
    Datasec(Vec<VarSecinfo>),
    /// DECL_TAG component index (−1 = the declaration).
    DeclTag(i32),
    /// A kind btfkit does not know: its vlen and raw trailing bytes, in the
    /// byte order they will be written in.
    Unknown {
        /// The record's vlen.
        vlen: u32,
        /// Trailing bytes, copied verbatim.
        data: Vec<u8>,
    },
}

/// One type as the writer holds it: names are offsets into the builder's
/// string table, references are [`TypeId`]s.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OwnedType {
    /// Name (0 = anonymous).
    pub name: StrOffset,
    /// Kind.
    pub kind: Kind,
    /// Kind flag (bitfield encoding, signed enum, union FWD, attribute tag).
    pub kflag: bool,
    /// Size in bytes or referenced type id, per kind.
    pub size_or_type: u32,
    /// Kind-specific data.
    pub body: Body,
}

impl OwnedType {
    fn simple(kind: Kind, name: StrOffset, size_or_type: u32) -> OwnedType {
        OwnedType {
            name,
            kind,
            kflag: false,
            size_or_type,
            body: Body::None,
        }
    }

    /// An anonymous PTR to `to`.
    pub fn ptr(to: TypeId) -> OwnedType {
        OwnedType::simple(Kind::Ptr, StrOffset::EMPTY, to.0)
    }

    /// A CONST of `to`.
    pub fn konst(to: TypeId) -> OwnedType {
        OwnedType::simple(Kind::Const, StrOffset::EMPTY, to.0)
    }

    /// A VOLATILE of `to`.
    pub fn volatile(to: TypeId) -> OwnedType {
        OwnedType::simple(Kind::Volatile, StrOffset::EMPTY, to.0)
    }

    /// A RESTRICT of `to`.
    pub fn restrict(to: TypeId) -> OwnedType {
        OwnedType::simple(Kind::Restrict, StrOffset::EMPTY, to.0)
    }

    /// A TYPEDEF named `name` of `to`.
    pub fn typedef(name: StrOffset, to: TypeId) -> OwnedType {
        OwnedType::simple(Kind::Typedef, name, to.0)
    }

    /// A TYPE_TAG named `name` on `to`.
    pub fn type_tag(name: StrOffset, to: TypeId) -> OwnedType {
        OwnedType::simple(Kind::TypeTag, name, to.0)
    }

    /// A FLOAT of `size` bytes.
    pub fn float(name: StrOffset, size: u32) -> OwnedType {
        OwnedType::simple(Kind::Float, name, size)
    }

    /// A FWD for a struct (`union == false`) or union.
    pub fn fwd(name: StrOffset, union: bool) -> OwnedType {
        OwnedType {
            kflag: union,
            ..OwnedType::simple(Kind::Fwd, name, 0)
        }
    }

    /// An ARRAY of `nelems` elements.
    pub fn array(elem_type: TypeId, index_type: TypeId, nelems: u32) -> OwnedType {
        OwnedType {
            body: Body::Array(Array {
                elem_type,
                index_type,
                nelems,
            }),
            ..OwnedType::simple(Kind::Array, StrOffset::EMPTY, 0)
        }
    }

    /// The number of trailing entries this type writes into `info`.
    pub fn vlen(&self) -> u32 {
        match &self.body {
            Body::Members(v) => v.len() as u32,
            Body::Enum(v) => v.len() as u32,
            Body::Enum64(v) => v.len() as u32,
            Body::Params(v) => v.len() as u32,
            Body::Datasec(v) => v.len() as u32,
            Body::Func(l) => l.to_raw(),
            Body::Unknown { vlen, .. } => *vlen,
            Body::None | Body::Int(_) | Body::Array(_) | Body::Var(_) | Body::DeclTag(_) => 0,
        }
    }

    /// Every type id this type refers to, mutably (for renumbering).
    pub fn refs_mut(&mut self) -> Vec<&mut u32> {
        let mut out: Vec<&mut u32> = Vec::new();
        if self.kind.has_type_ref() {
            out.push(&mut self.size_or_type);
        }
        match &mut self.body {
            Body::Array(a) => {
                out.push(&mut a.elem_type.0);
                out.push(&mut a.index_type.0);
            }
            Body::Members(ms) => out.extend(ms.iter_mut().map(|m| &mut m.type_id.0)),
            Body::Params(ps) => out.extend(ps.iter_mut().map(|p| &mut p.type_id.0)),
            Body::Datasec(vs) => out.extend(vs.iter_mut().map(|v| &mut v.type_id.0)),
            _ => {}
        }
        out
    }

    /// Copies a parsed type; string offsets are kept as they are.
    pub fn from_type(t: &Type<'_>) -> OwnedType {
        let body = match t.data() {
            TypeData::Int(i) => Body::Int(i.raw),
            TypeData::Array(a) => Body::Array(a),
            TypeData::Struct(m) | TypeData::Union(m) => Body::Members(m.collect()),
            TypeData::Enum(v) => Body::Enum(v.map(|e| (e.name, e.low32())).collect()),
            TypeData::Enum64(v) => Body::Enum64(v.map(|e| (e.name, e.bits)).collect()),
            TypeData::Func(_, l) => Body::Func(l),
            TypeData::FuncProto(_, p) => Body::Params(p.collect()),
            TypeData::Var(_, l) => Body::Var(l),
            TypeData::Datasec(v) => Body::Datasec(v.collect()),
            TypeData::DeclTag(_, idx) => Body::DeclTag(idx),
            TypeData::Unknown(raw) => Body::Unknown {
                vlen: t.vlen(),
                data: raw.to_vec(),
            },
            TypeData::Ptr(_)
            | TypeData::Fwd(_)
            | TypeData::Typedef(_)
            | TypeData::Volatile(_)
            | TypeData::Const(_)
            | TypeData::Restrict(_)
            | TypeData::Float
            | TypeData::TypeTag(_) => Body::None,
        };
        OwnedType {
            name: t.name_off(),
            kind: t.kind(),
            kflag: t.kflag(),
            size_or_type: t.size_or_type(),
            body,
        }
    }
}
