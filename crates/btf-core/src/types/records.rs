//! Fixed-size trailing records: members, enumerators, parameters, DATASEC
//! variables, and a generic iterator over them.

use std::marker::PhantomData;

use crate::endian::u32_at;
use crate::{Endian, StrOffset, TypeId};

/// A fixed-size record that follows a type's prefix.
pub trait Record: Sized {
    /// Encoded size in bytes.
    const SIZE: usize;
    /// Decodes one record from exactly `SIZE` bytes.
    fn decode(e: Endian, b: &[u8], ctx: RecordCtx) -> Self;
}

/// Per-type context a record needs to decode itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordCtx {
    /// The owning type's kind flag.
    pub kflag: bool,
}

/// Iterator over the fixed-size records of one type.
#[derive(Clone, Copy, Debug)]
pub struct Records<'a, T> {
    data: &'a [u8],
    endian: Endian,
    ctx: RecordCtx,
    _marker: PhantomData<T>,
}

impl<'a, T: Record> Records<'a, T> {
    fn with_ctx(data: &'a [u8], endian: Endian, ctx: RecordCtx) -> Self {
        // Ignore a partial trailing record; the parser has already rejected it.
        let whole = data.len() - data.len() % T::SIZE;
        Records {
            data: &data[..whole],
            endian,
            ctx,
            _marker: PhantomData,
        }
    }

    /// Number of records left.
    pub fn len(&self) -> usize {
        self.data.len() / T::SIZE
    }

    /// Whether no records are left.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The `i`-th remaining record.
    pub fn get(&self, i: usize) -> Option<T> {
        let start = i.checked_mul(T::SIZE)?;
        let b = self.data.get(start..start + T::SIZE)?;
        Some(T::decode(self.endian, b, self.ctx))
    }
}

impl<T: Record> Iterator for Records<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.data.len() < T::SIZE {
            return None;
        }
        let (head, tail) = self.data.split_at(T::SIZE);
        self.data = tail;
        Some(T::decode(self.endian, head, self.ctx))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl<T: Record> ExactSizeIterator for Records<'_, T> {}

/// A STRUCT or UNION member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Member {
    /// Member name (0 = anonymous).
    pub name: StrOffset,
    /// Member type.
    pub type_id: TypeId,
    /// The raw offset word: a bit offset, or with kflag
    /// `bitfield_size << 24 | bit_offset`.
    pub raw_offset: u32,
    /// Whether the owning type has kflag set.
    pub kflag: bool,
}

impl Member {
    /// Offset of the member in bits from the start of the composite.
    pub fn bit_offset(&self) -> u32 {
        if self.kflag {
            self.raw_offset & 0x00ff_ffff
        } else {
            self.raw_offset
        }
    }

    /// Bitfield size in bits; 0 if not a bitfield or if kflag is clear.
    pub fn bitfield_size(&self) -> u32 {
        if self.kflag {
            self.raw_offset >> 24
        } else {
            0
        }
    }
}

impl Record for Member {
    const SIZE: usize = 12;
    fn decode(e: Endian, b: &[u8], ctx: RecordCtx) -> Member {
        Member {
            name: StrOffset(u32_at(e, b, 0)),
            type_id: TypeId(u32_at(e, b, 4)),
            raw_offset: u32_at(e, b, 8),
            kflag: ctx.kflag,
        }
    }
}

/// Members of a STRUCT or UNION.
pub type Members<'a> = Records<'a, Member>;

impl<'a> Members<'a> {
    pub(crate) fn new(data: &'a [u8], endian: Endian, kflag: bool) -> Members<'a> {
        Records::with_ctx(data, endian, RecordCtx { kflag })
    }
}

/// An ENUM or ENUM64 enumerator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnumValue {
    /// Enumerator name.
    pub name: StrOffset,
    /// The value's bits: for ENUM the stored 32 bits sign-extended when the
    /// enum is signed, zero-extended otherwise; for ENUM64 `hi << 32 | lo`.
    pub bits: u64,
    /// Whether the enum is signed (kflag).
    pub signed: bool,
}

impl EnumValue {
    /// The value as the BTF means it: signed enums give negative numbers.
    pub fn value(&self) -> i128 {
        if self.signed {
            i128::from(self.bits as i64)
        } else {
            i128::from(self.bits)
        }
    }

    /// The 32 bits stored in an ENUM record.
    pub fn low32(&self) -> u32 {
        self.bits as u32
    }
}

/// A 32-bit enumerator record (`struct btf_enum`).
#[derive(Clone, Copy, Debug)]
pub struct Enum32(EnumValue);

/// A 64-bit enumerator record (`struct btf_enum64`).
#[derive(Clone, Copy, Debug)]
pub struct Enum64(EnumValue);

impl Record for Enum32 {
    const SIZE: usize = 8;
    fn decode(e: Endian, b: &[u8], ctx: RecordCtx) -> Enum32 {
        let raw = u32_at(e, b, 4);
        let bits = if ctx.kflag {
            i64::from(raw as i32) as u64
        } else {
            u64::from(raw)
        };
        Enum32(EnumValue {
            name: StrOffset(u32_at(e, b, 0)),
            bits,
            signed: ctx.kflag,
        })
    }
}

impl Record for Enum64 {
    const SIZE: usize = 12;
    fn decode(e: Endian, b: &[u8], ctx: RecordCtx) -> Enum64 {
        let lo = u64::from(u32_at(e, b, 4));
        let hi = u64::from(u32_at(e, b, 8));
        Enum64(EnumValue {
            name: StrOffset(u32_at(e, b, 0)),
            bits: hi << 32 | lo,
            signed: ctx.kflag,
        })
    }
}

/// Enumerators of an ENUM or ENUM64.
#[derive(Clone, Copy, Debug)]
pub enum EnumValues<'a> {
    /// 32-bit records.
    Enum(Records<'a, Enum32>),
    /// 64-bit records.
    Enum64(Records<'a, Enum64>),
}

impl<'a> EnumValues<'a> {
    pub(crate) fn new(data: &'a [u8], endian: Endian, is64: bool, kflag: bool) -> Self {
        let ctx = RecordCtx { kflag };
        if is64 {
            EnumValues::Enum64(Records::with_ctx(data, endian, ctx))
        } else {
            EnumValues::Enum(Records::with_ctx(data, endian, ctx))
        }
    }

    /// Number of enumerators left.
    pub fn len(&self) -> usize {
        match self {
            EnumValues::Enum(r) => r.len(),
            EnumValues::Enum64(r) => r.len(),
        }
    }

    /// Whether no enumerators are left.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Iterator for EnumValues<'_> {
    type Item = EnumValue;

    fn next(&mut self) -> Option<EnumValue> {
        match self {
            EnumValues::Enum(r) => r.next().map(|v| v.0),
            EnumValues::Enum64(r) => r.next().map(|v| v.0),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl ExactSizeIterator for EnumValues<'_> {}

/// A FUNC_PROTO parameter. Varargs are a last parameter with name 0, type 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    /// Parameter name (0 = anonymous).
    pub name: StrOffset,
    /// Parameter type (0 with name 0 = `...`).
    pub type_id: TypeId,
}

impl Record for Param {
    const SIZE: usize = 8;
    fn decode(e: Endian, b: &[u8], _: RecordCtx) -> Param {
        Param {
            name: StrOffset(u32_at(e, b, 0)),
            type_id: TypeId(u32_at(e, b, 4)),
        }
    }
}

/// Parameters of a FUNC_PROTO.
pub type Params<'a> = Records<'a, Param>;

impl<'a> Params<'a> {
    pub(crate) fn new(data: &'a [u8], endian: Endian) -> Params<'a> {
        Records::with_ctx(data, endian, RecordCtx::default())
    }
}

/// A DATASEC entry (`struct btf_var_secinfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VarSecinfo {
    /// The VAR (or FUNC, for `.ksyms`).
    pub type_id: TypeId,
    /// Offset in the section.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

impl Record for VarSecinfo {
    const SIZE: usize = 12;
    fn decode(e: Endian, b: &[u8], _: RecordCtx) -> VarSecinfo {
        VarSecinfo {
            type_id: TypeId(u32_at(e, b, 0)),
            offset: u32_at(e, b, 4),
            size: u32_at(e, b, 8),
        }
    }
}

/// Variables of a DATASEC.
pub type VarSecinfos<'a> = Records<'a, VarSecinfo>;

impl<'a> VarSecinfos<'a> {
    pub(crate) fn new(data: &'a [u8], endian: Endian) -> VarSecinfos<'a> {
        Records::with_ctx(data, endian, RecordCtx::default())
    }
}
