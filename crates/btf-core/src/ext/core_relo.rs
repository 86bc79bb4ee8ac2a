//! CO-RE relocation records (`struct bpf_core_relo`).

use std::fmt;

use super::ExtRecord;
use crate::endian::u32_at;
use crate::{Endian, StrOffset, TypeId};

/// What a CO-RE relocation computes (`enum bpf_core_relo_kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoreReloKind {
    /// Byte offset of a field.
    FieldByteOffset,
    /// Byte size of a field.
    FieldByteSize,
    /// Whether a field exists.
    FieldExists,
    /// Whether a field is signed.
    FieldSigned,
    /// Left shift to extract a bitfield into a u64.
    FieldLshiftU64,
    /// Right shift to extract a bitfield into a u64.
    FieldRshiftU64,
    /// The type's id in the program's BTF.
    TypeIdLocal,
    /// The type's id in the target BTF.
    TypeIdTarget,
    /// Whether the type exists in the target.
    TypeExists,
    /// The type's size in the target.
    TypeSize,
    /// Whether an enumerator exists.
    EnumvalExists,
    /// An enumerator's value.
    EnumvalValue,
    /// Whether the type matches the target's (stricter than exists).
    TypeMatches,
    /// A kind btfkit does not know.
    Unknown(u32),
}

impl CoreReloKind {
    /// Decodes a raw kind.
    pub fn from_raw(raw: u32) -> CoreReloKind {
        use CoreReloKind::*;
        match raw {
            0 => FieldByteOffset,
            1 => FieldByteSize,
            2 => FieldExists,
            3 => FieldSigned,
            4 => FieldLshiftU64,
            5 => FieldRshiftU64,
            6 => TypeIdLocal,
            7 => TypeIdTarget,
            8 => TypeExists,
            9 => TypeSize,
            10 => EnumvalExists,
            11 => EnumvalValue,
            12 => TypeMatches,
            other => Unknown(other),
        }
    }

    /// The raw value.
    pub fn to_raw(self) -> u32 {
        use CoreReloKind::*;
        match self {
            FieldByteOffset => 0,
            FieldByteSize => 1,
            FieldExists => 2,
            FieldSigned => 3,
            FieldLshiftU64 => 4,
            FieldRshiftU64 => 5,
            TypeIdLocal => 6,
            TypeIdTarget => 7,
            TypeExists => 8,
            TypeSize => 9,
            EnumvalExists => 10,
            EnumvalValue => 11,
            TypeMatches => 12,
            Unknown(v) => v,
        }
    }

    /// libbpf's short name (`byte_off`, `enumval_value` …).
    pub fn name(self) -> &'static str {
        use CoreReloKind::*;
        match self {
            FieldByteOffset => "byte_off",
            FieldByteSize => "byte_sz",
            FieldExists => "field_exists",
            FieldSigned => "signed",
            FieldLshiftU64 => "lshift_u64",
            FieldRshiftU64 => "rshift_u64",
            TypeIdLocal => "local_type_id",
            TypeIdTarget => "target_type_id",
            TypeExists => "type_exists",
            TypeSize => "type_size",
            EnumvalExists => "enumval_exists",
            EnumvalValue => "enumval_value",
            TypeMatches => "type_matches",
            Unknown(_) => "unknown",
        }
    }

    /// Whether the access string walks fields (`0:1:2`).
    pub fn is_field(self) -> bool {
        self.to_raw() <= 5
    }

    /// Whether the relocation is about a whole type (access string `0`).
    pub fn is_type(self) -> bool {
        matches!(self.to_raw(), 6..=9 | 12)
    }

    /// Whether the relocation is about an enumerator (access string `0:N`).
    pub fn is_enumval(self) -> bool {
        matches!(self.to_raw(), 10 | 11)
    }
}

impl fmt::Display for CoreReloKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreReloKind::Unknown(v) => write!(f, "unknown({v})"),
            k => f.write_str(k.name()),
        }
    }
}

/// One CO-RE relocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreRelo {
    /// Byte offset of the instruction in its ELF section.
    pub insn_off: u32,
    /// The local root type.
    pub type_id: TypeId,
    /// The access string (`0:1:2`), a `.BTF` string.
    pub access_str: StrOffset,
    /// What to compute.
    pub kind: CoreReloKind,
}

impl ExtRecord for CoreRelo {
    const SECTION: &'static str = "core_relo";
    const MIN_SIZE: u32 = 16;
    fn decode(e: Endian, b: &[u8]) -> CoreRelo {
        CoreRelo {
            insn_off: u32_at(e, b, 0),
            type_id: TypeId(u32_at(e, b, 4)),
            access_str: StrOffset(u32_at(e, b, 8)),
            kind: CoreReloKind::from_raw(u32_at(e, b, 12)),
        }
    }
}
