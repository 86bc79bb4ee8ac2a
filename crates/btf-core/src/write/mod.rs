//! The writer: [`BtfBuilder`] owns types and strings and encodes them as BTF.
//!
//! The reader never mutates and the writer never borrows input:
//! [`BtfBuilder::from_btf`] is the explicit conversion between them, and
//! `parse → from_btf → write` reproduces the input byte for byte.

mod append;
mod encode;
mod owned;
mod packed;
mod strings;

pub use owned::{Body, OwnedType};
pub(crate) use packed::{body_fits, decode, push_words, record_words, walk_ref_words, RecordWords};
pub use packed::{for_each_name_word, for_each_ref_word, record_len, PackedBtf};
pub use strings::StringTable;

use crate::header::{HEADER_LEN, HEADER_LEN_LAYOUT};
use crate::types::{Linkage, Member, Param, VarSecinfo};
use crate::{Btf, Endian, Kind, Result, StrOffset, TypeId};

/// Builds BTF: add strings and types, then [`write`](BtfBuilder::write).
///
/// Ids are assigned in insertion order starting at 1 (or after the base, for
/// split BTF) and never reused.
#[derive(Clone, Debug)]
pub struct BtfBuilder {
    strings: StringTable,
    types: Vec<OwnedType>,
    first_id: u32,
    /// Raw layout section to emit between types and strings (with a 32-byte
    /// header), when the input had one.
    layout: Option<Vec<u8>>,
    hdr_len: u32,
}

impl Default for BtfBuilder {
    fn default() -> Self {
        BtfBuilder::new()
    }
}

impl BtfBuilder {
    /// An empty base BTF.
    pub fn new() -> BtfBuilder {
        BtfBuilder {
            strings: StringTable::new(),
            types: Vec::new(),
            first_id: 1,
            layout: None,
            hdr_len: HEADER_LEN,
        }
    }

    /// An empty split BTF on top of `base`: ids continue after the base's and
    /// strings the base has are reused.
    pub fn new_split(base: &Btf<'_>) -> BtfBuilder {
        BtfBuilder {
            strings: StringTable::new_split(base),
            first_id: base.type_count(),
            ..BtfBuilder::new()
        }
    }

    /// Copies a parsed BTF, keeping its string section, header length and
    /// layout section verbatim, so that writing it back in the same byte order
    /// gives identical bytes.
    pub fn from_btf(btf: &Btf<'_>) -> BtfBuilder {
        let str_base = btf.str_len_total() - btf.strings().len() as u32;
        let h = btf.header();
        BtfBuilder {
            strings: StringTable::from_existing(btf.strings().as_bytes(), str_base),
            types: btf.own_types().map(|t| OwnedType::from_type(&t)).collect(),
            first_id: btf.first_id().0,
            layout: btf.layout().map(|l| l.as_bytes().to_vec()),
            hdr_len: if h.layout.is_some() || h.hdr_len >= HEADER_LEN_LAYOUT {
                HEADER_LEN_LAYOUT
            } else {
                HEADER_LEN
            },
        }
    }

    /// Adds a string and returns its offset; duplicates share one copy.
    pub fn add_str(&mut self, s: impl AsRef<[u8]>) -> StrOffset {
        self.strings.add(s.as_ref())
    }

    /// Adds a type and returns its id.
    pub fn add(&mut self, ty: OwnedType) -> TypeId {
        let id = TypeId(self.first_id + self.types.len() as u32);
        self.types.push(ty);
        id
    }

    /// Adds an INT. `encoding` is a combination of the `INT_*` bits.
    pub fn add_int(&mut self, name: &str, size: u32, encoding: u8, bits: u8) -> TypeId {
        let name = self.add_str(name);
        self.add(OwnedType {
            name,
            kind: Kind::Int,
            kflag: false,
            size_or_type: size,
            body: Body::Int(u32::from(encoding) << 24 | u32::from(bits)),
        })
    }

    /// Adds a STRUCT (`union == false`) or UNION with `(name, type, bit
    /// offset, bitfield size)` members. kflag is set when any member is a
    /// bitfield.
    pub fn add_composite(
        &mut self,
        union: bool,
        name: &str,
        size: u32,
        members: &[(&str, TypeId, u32, u8)],
    ) -> TypeId {
        let kflag = members.iter().any(|m| m.3 != 0);
        let members = members
            .iter()
            .map(|&(n, t, off, bits)| Member {
                name: self.add_str(n),
                type_id: t,
                raw_offset: if kflag {
                    u32::from(bits) << 24 | off
                } else {
                    off
                },
                kflag,
            })
            .collect();
        let name = self.add_str(name);
        self.add(OwnedType {
            name,
            kind: if union { Kind::Union } else { Kind::Struct },
            kflag,
            size_or_type: size,
            body: Body::Members(members),
        })
    }

    /// Adds an ENUM (values must fit in 32 bits) or, if `size` is 8, an
    /// ENUM64.
    pub fn add_enum(
        &mut self,
        name: &str,
        size: u32,
        signed: bool,
        values: &[(&str, i64)],
    ) -> TypeId {
        let body = if size == 8 {
            Body::Enum64(
                values
                    .iter()
                    .map(|&(n, v)| (self.add_str(n), v as u64))
                    .collect(),
            )
        } else {
            Body::Enum(
                values
                    .iter()
                    .map(|&(n, v)| (self.add_str(n), v as u32))
                    .collect(),
            )
        };
        let name = self.add_str(name);
        self.add(OwnedType {
            name,
            kind: if size == 8 { Kind::Enum64 } else { Kind::Enum },
            kflag: signed,
            size_or_type: size,
            body,
        })
    }

    /// Adds a FUNC_PROTO with `(name, type)` parameters.
    pub fn add_func_proto(&mut self, ret: TypeId, params: &[(&str, TypeId)]) -> TypeId {
        let params = params
            .iter()
            .map(|&(n, t)| Param {
                name: self.add_str(n),
                type_id: t,
            })
            .collect();
        self.add(OwnedType {
            name: StrOffset::EMPTY,
            kind: Kind::FuncProto,
            kflag: false,
            size_or_type: ret.0,
            body: Body::Params(params),
        })
    }

    /// Adds a FUNC of a FUNC_PROTO.
    pub fn add_func(&mut self, name: &str, proto: TypeId, linkage: Linkage) -> TypeId {
        let name = self.add_str(name);
        self.add(OwnedType {
            name,
            kind: Kind::Func,
            kflag: false,
            size_or_type: proto.0,
            body: Body::Func(linkage),
        })
    }

    /// Adds a VAR.
    pub fn add_var(&mut self, name: &str, ty: TypeId, linkage: Linkage) -> TypeId {
        let name = self.add_str(name);
        self.add(OwnedType {
            name,
            kind: Kind::Var,
            kflag: false,
            size_or_type: ty.0,
            body: Body::Var(linkage),
        })
    }

    /// Adds a DATASEC.
    pub fn add_datasec(&mut self, name: &str, size: u32, vars: Vec<VarSecinfo>) -> TypeId {
        let name = self.add_str(name);
        self.add(OwnedType {
            name,
            kind: Kind::Datasec,
            kflag: false,
            size_or_type: size,
            body: Body::Datasec(vars),
        })
    }

    /// Adds a DECL_TAG on `ty` (`component_idx` −1 for the declaration).
    pub fn add_decl_tag(&mut self, name: &str, ty: TypeId, component_idx: i32) -> TypeId {
        let name = self.add_str(name);
        self.add(OwnedType {
            name,
            kind: Kind::DeclTag,
            kflag: false,
            size_or_type: ty.0,
            body: Body::DeclTag(component_idx),
        })
    }

    /// The type with id `id`, if this builder holds it.
    pub fn get(&self, id: TypeId) -> Option<&OwnedType> {
        self.types.get(id.0.checked_sub(self.first_id)? as usize)
    }

    /// The type with id `id`, mutably.
    pub fn get_mut(&mut self, id: TypeId) -> Option<&mut OwnedType> {
        self.types
            .get_mut(id.0.checked_sub(self.first_id)? as usize)
    }

    /// All types, in id order.
    pub fn types(&self) -> &[OwnedType] {
        &self.types
    }

    /// The first id this builder assigns.
    pub fn first_id(&self) -> TypeId {
        TypeId(self.first_id)
    }

    /// Number of types added.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether no types were added.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The string table.
    pub fn strings(&self) -> &StringTable {
        &self.strings
    }

    /// Sets the first id (dedup output built from scratch).
    pub(crate) fn set_first_id(&mut self, first_id: TypeId) {
        self.first_id = first_id.0;
    }

    /// The string table and the types together, for passes that rewrite
    /// both wholesale (dedup); the first id, header and layout stay.
    pub(crate) fn parts_mut(&mut self) -> (&mut StringTable, &mut Vec<OwnedType>) {
        (&mut self.strings, &mut self.types)
    }

    /// Encodes everything as a BTF blob in byte order `endian`: header, types,
    /// layout section (if kept from the input), strings.
    pub fn write(&self, endian: Endian) -> Result<Vec<u8>> {
        encode::write(self, endian)
    }
}
