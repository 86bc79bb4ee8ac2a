//! BTF kinds (`BTF_KIND_*` in the kernel's `include/uapi/linux/btf.h`).

use std::fmt;

use crate::types::INFO_KIND_MASK;

/// The kind of a BTF type record.
///
/// `Display` prints bpftool's spelling (`FUNC_PROTO`, `UNKNOWN` for kinds
/// btfkit does not know). Each variant's doc names the kernel that introduced it;
/// writer downgrade options refer to these.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Kind {
    /// Integer (and `bool`, `char`), since 4.18.
    Int,
    /// Pointer, since 4.18.
    Ptr,
    /// Array, since 4.18.
    Array,
    /// Struct, since 4.18.
    Struct,
    /// Union, since 4.18.
    Union,
    /// 32-bit (or narrower) enumeration, since 4.18; signed flag since 6.0.
    Enum,
    /// Forward declaration of a struct or union, since 4.18.
    Fwd,
    /// Typedef, since 4.18.
    Typedef,
    /// `volatile` modifier, since 4.18.
    Volatile,
    /// `const` modifier, since 4.18.
    Const,
    /// `restrict` modifier, since 4.18.
    Restrict,
    /// Function, since 5.0; non-static linkage since 5.6.
    Func,
    /// Function prototype, since 5.0.
    FuncProto,
    /// Variable, since 5.2.
    Var,
    /// Data section, since 5.2.
    Datasec,
    /// Floating point type, since 5.13.
    Float,
    /// Declaration tag, since 5.16.
    DeclTag,
    /// Type tag, since 5.17.
    TypeTag,
    /// 64-bit enumeration, since 6.0.
    Enum64,
    /// A kind number btfkit does not know (0, or above 19).
    Unknown(u8),
}

impl Kind {
    /// The highest kind number btfkit knows.
    pub const MAX_KNOWN: u8 = 19;

    /// All known kinds, in kind-number order.
    pub const ALL: [Kind; 19] = [
        Kind::Int,
        Kind::Ptr,
        Kind::Array,
        Kind::Struct,
        Kind::Union,
        Kind::Enum,
        Kind::Fwd,
        Kind::Typedef,
        Kind::Volatile,
        Kind::Const,
        Kind::Restrict,
        Kind::Func,
        Kind::FuncProto,
        Kind::Var,
        Kind::Datasec,
        Kind::Float,
        Kind::DeclTag,
        Kind::TypeTag,
        Kind::Enum64,
    ];

    /// Decodes a kind number.
    pub fn from_raw(raw: u8) -> Kind {
        match raw {
            1..=19 => Kind::ALL[raw as usize - 1],
            other => Kind::Unknown(other),
        }
    }

    /// The kind stored in a record's `info` word (bits 24–30, see
    /// [`INFO_KIND_MASK`]); the vlen and kind flag bits are ignored.
    ///
    /// Every reader of raw records goes through here, so the bit layout is
    /// written down once.
    #[inline]
    pub fn from_info(info: u32) -> Kind {
        Kind::from_raw(((info >> 24) & INFO_KIND_MASK) as u8)
    }

    /// The kind number stored in `info`.
    pub fn to_raw(self) -> u8 {
        match self {
            Kind::Int => 1,
            Kind::Ptr => 2,
            Kind::Array => 3,
            Kind::Struct => 4,
            Kind::Union => 5,
            Kind::Enum => 6,
            Kind::Fwd => 7,
            Kind::Typedef => 8,
            Kind::Volatile => 9,
            Kind::Const => 10,
            Kind::Restrict => 11,
            Kind::Func => 12,
            Kind::FuncProto => 13,
            Kind::Var => 14,
            Kind::Datasec => 15,
            Kind::Float => 16,
            Kind::DeclTag => 17,
            Kind::TypeTag => 18,
            Kind::Enum64 => 19,
            Kind::Unknown(raw) => raw,
        }
    }

    /// bpftool's upper-case spelling, e.g. `FUNC_PROTO`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Int => "INT",
            Kind::Ptr => "PTR",
            Kind::Array => "ARRAY",
            Kind::Struct => "STRUCT",
            Kind::Union => "UNION",
            Kind::Enum => "ENUM",
            Kind::Fwd => "FWD",
            Kind::Typedef => "TYPEDEF",
            Kind::Volatile => "VOLATILE",
            Kind::Const => "CONST",
            Kind::Restrict => "RESTRICT",
            Kind::Func => "FUNC",
            Kind::FuncProto => "FUNC_PROTO",
            Kind::Var => "VAR",
            Kind::Datasec => "DATASEC",
            Kind::Float => "FLOAT",
            Kind::DeclTag => "DECL_TAG",
            Kind::TypeTag => "TYPE_TAG",
            Kind::Enum64 => "ENUM64",
            Kind::Unknown(_) => "UNKNOWN",
        }
    }

    /// Parses bpftool's spelling, case-insensitively (`struct`, `FUNC_PROTO`).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// Bytes a record of this kind takes after the 12-byte common prefix,
    /// for `vlen` entries; `None` for unknown kinds (the layout section must
    /// size them).
    #[inline]
    pub fn trailing_size(self, vlen: u32) -> Option<u64> {
        self.trailing_words(vlen).map(|n| 4 * n)
    }

    /// Words (4 bytes each) a record of this kind takes after the 3-word
    /// common prefix, for `vlen` entries; `None` for unknown kinds.
    ///
    /// The one table of record sizes: [`trailing_size`](Kind::trailing_size)
    /// and the packed writer's `record_words` derive from it. Every BTF
    /// record is a whole number of words, so words lose nothing.
    #[inline]
    pub(crate) fn trailing_words(self, vlen: u32) -> Option<u64> {
        let vlen = u64::from(vlen);
        Some(match self {
            Kind::Int | Kind::Var | Kind::DeclTag => 1,
            Kind::Array => 3,
            Kind::Struct | Kind::Union | Kind::Datasec | Kind::Enum64 => 3 * vlen,
            Kind::Enum | Kind::FuncProto => 2 * vlen,
            Kind::Ptr
            | Kind::Fwd
            | Kind::Typedef
            | Kind::Volatile
            | Kind::Const
            | Kind::Restrict
            | Kind::Func
            | Kind::Float
            | Kind::TypeTag => 0,
            Kind::Unknown(_) => return None,
        })
    }

    /// Whether the common prefix's third field is a type id (rather than a size).
    pub fn has_type_ref(self) -> bool {
        matches!(
            self,
            Kind::Ptr
                | Kind::Typedef
                | Kind::Volatile
                | Kind::Const
                | Kind::Restrict
                | Kind::Func
                | Kind::FuncProto
                | Kind::Var
                | Kind::DeclTag
                | Kind::TypeTag
        )
    }

    /// Whether this is STRUCT or UNION.
    pub fn is_composite(self) -> bool {
        matches!(self, Kind::Struct | Kind::Union)
    }

    /// Whether this is ENUM or ENUM64.
    pub fn is_enum(self) -> bool {
        matches!(self, Kind::Enum | Kind::Enum64)
    }

    /// Whether this is a modifier or typedef that only wraps another type.
    pub fn is_modifier(self) -> bool {
        matches!(
            self,
            Kind::Typedef | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_info_reads_only_the_kind_bits() {
        for k in Kind::ALL {
            let raw = u32::from(k.to_raw()) << 24;
            assert_eq!(Kind::from_info(raw), k);
            // The kind flag and a full vlen do not leak into the kind.
            assert_eq!(Kind::from_info(1 << 31 | raw | 0x00ff_ffff), k);
        }
        assert_eq!(Kind::from_info(0), Kind::Unknown(0));
        assert_eq!(Kind::from_info(0x7f << 24), Kind::Unknown(0x7f));
        assert_eq!(Kind::from_info(0xff << 24), Kind::Unknown(0x7f));
    }

    #[test]
    fn trailing_size_is_trailing_words_in_bytes() {
        // Sizes from the kernel's btf.h, for a vlen of 2.
        let bytes = [
            (Kind::Int, 4),
            (Kind::Ptr, 0),
            (Kind::Array, 12),
            (Kind::Struct, 24),
            (Kind::Enum, 16),
            (Kind::FuncProto, 16),
            (Kind::Var, 4),
            (Kind::Datasec, 24),
            (Kind::DeclTag, 4),
            (Kind::Enum64, 24),
        ];
        for (k, n) in bytes {
            assert_eq!(k.trailing_size(2), Some(n), "{k}");
        }
        for k in Kind::ALL {
            let words = k.trailing_words(u32::MAX).unwrap();
            assert_eq!(k.trailing_size(u32::MAX), Some(4 * words), "{k}");
        }
        assert_eq!(Kind::Unknown(20).trailing_size(1), None);
    }
}
