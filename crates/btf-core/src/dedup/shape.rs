//! Per-kind signature hashes and equality notions on wire-format records.
//!
//! Three strengths of "same", as in libbpf's dedup:
//!
//! - *equal*: every field, including referenced ids, is identical. Used once
//!   the referenced ids are canonical (primitives, reference types).
//! - *compatible* / *shallow-equal*: every field except referenced ids.
//!   Used during the struct-graph walk, where the referenced types are
//!   compared separately.
//! - the enum forward rule: an enum without enumerators (`enum e;`) is
//!   compatible with any ENUM or ENUM64 of the same name.
//!
//! Hashes cover exactly the fields the matching equality compares, minus
//! referenced ids where those are not yet canonical, so equal types always
//! land in the same chain.

use super::state::Rec;
use super::table::combine;
use crate::Kind;

/// The trailing word of an INT or DECL_TAG.
#[inline]
fn trailing_word(t: Rec<'_>) -> u32 {
    match t.kind() {
        Kind::Int | Kind::DeclTag => t.word(0),
        _ => 0,
    }
}

// ---- hashes ---------------------------------------------------------------------------

/// Name, info and the size/type field.
#[inline]
pub(super) fn hash_common(t: Rec<'_>) -> u64 {
    combine(combine(combine(0, t.name().0), t.info()), t.size_or_type())
}

/// TYPEDEF: name and info only; the target is compared by the graph walk.
pub(super) fn hash_typedef(t: Rec<'_>) -> u64 {
    combine(combine(0, t.name().0), t.info())
}

/// INT and DECL_TAG: the common fields plus the trailing word.
pub(super) fn hash_int_tag(t: Rec<'_>) -> u64 {
    combine(hash_common(t), trailing_word(t))
}

/// ENUM and ENUM64: the name alone, so that a forward enum, a full enum and
/// an ENUM64 of the same name meet in one chain.
pub(super) fn hash_enum(t: Rec<'_>) -> u64 {
    combine(0, t.name().0)
}

/// STRUCT and UNION: common fields and member names and offsets, not member
/// types (they may not be canonical yet).
pub(super) fn hash_struct(t: Rec<'_>) -> u64 {
    t.triples()
        .fold(hash_common(t), |h, m| combine(combine(h, m[0]), m[2]))
}

/// ARRAY, with its (by now canonical) element and index types.
pub(super) fn hash_array(t: Rec<'_>) -> u64 {
    let h = combine(hash_common(t), t.word(0));
    combine(combine(h, t.word(1)), t.word(2))
}

/// FUNC_PROTO, with its (by now canonical) parameter types.
pub(super) fn hash_func_proto(t: Rec<'_>) -> u64 {
    t.pairs()
        .fold(hash_common(t), |h, p| combine(combine(h, p[0]), p[1]))
}

// ---- equalities -----------------------------------------------------------------------

/// Same name, info and size/type field.
#[inline]
pub(super) fn equal_common(a: Rec<'_>, b: Rec<'_>) -> bool {
    a.common() == b.common()
}

/// TYPEDEFs with the same name and info (targets compared separately).
pub(super) fn equal_typedef(a: Rec<'_>, b: Rec<'_>) -> bool {
    a.w[..2] == b.w[..2]
}

/// INTs or DECL_TAGs, trailing word included.
pub(super) fn equal_int_tag(a: Rec<'_>, b: Rec<'_>) -> bool {
    equal_common(a, b) && trailing_word(a) == trailing_word(b)
}

/// Records identical word for word: ENUMs (or ENUM64s) with the same
/// enumerators, ARRAYs and FUNC_PROTOs with the same (canonical) types.
#[inline]
pub(super) fn equal_all(a: Rec<'_>, b: Rec<'_>) -> bool {
    a.w == b.w
}

/// An ENUM or ENUM64 with no enumerators: a forward declaration.
pub(super) fn is_enum_fwd(t: Rec<'_>) -> bool {
    t.kind().is_enum() && t.vlen() == 0
}

/// Equal enums, or a forward enum and any enum of the same name (size and
/// ENUM/ENUM64 ignored, since `enum e;` does not say which it will be).
pub(super) fn compat_enum(a: Rec<'_>, b: Rec<'_>) -> bool {
    if !is_enum_fwd(a) && !is_enum_fwd(b) {
        return equal_all(a, b);
    }
    a.name() == b.name() && a.kind().is_enum() && b.kind().is_enum()
}

/// STRUCTs/UNIONs with the same common fields and member names and offsets.
#[inline]
pub(super) fn shallow_equal_struct(a: Rec<'_>, b: Rec<'_>) -> bool {
    equal_common(a, b)
        && a.triples()
            .zip(b.triples())
            .all(|(x, y)| x[0] == y[0] && x[2] == y[2])
}

/// ARRAYs with the same length (element and index compared separately).
pub(super) fn compat_array(a: Rec<'_>, b: Rec<'_>) -> bool {
    equal_common(a, b) && a.word(2) == b.word(2)
}

/// FUNC_PROTOs with the same parameter count and names (types compared
/// separately).
pub(super) fn compat_func_proto(a: Rec<'_>, b: Rec<'_>) -> bool {
    a.w[..2] == b.w[..2] && a.pairs().zip(b.pairs()).all(|(x, y)| x[0] == y[0])
}

/// The kind a FWD declares: UNION with kflag set, else STRUCT.
pub(super) fn fwd_kind(t: Rec<'_>) -> Kind {
    if t.kflag() {
        Kind::Union
    } else {
        Kind::Struct
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Member;
    use crate::write::{Body, OwnedType, PackedBtf};
    use crate::{StrOffset, TypeId};

    fn enum32(name: u32, vals: &[(u32, u32)], size: u32) -> OwnedType {
        OwnedType {
            name: StrOffset(name),
            kind: Kind::Enum,
            kflag: false,
            size_or_type: size,
            body: Body::Enum(vals.iter().map(|&(n, v)| (StrOffset(n), v)).collect()),
        }
    }

    fn packed(ts: &[OwnedType]) -> PackedBtf {
        let mut p = PackedBtf::new();
        for t in ts {
            p.add(t).unwrap();
        }
        p
    }

    fn rec(p: &PackedBtf, id: u32) -> Rec<'_> {
        Rec {
            w: p.record(TypeId(id)).unwrap(),
        }
    }

    #[test]
    fn enum_forwards_are_compatible_across_sizes_and_kinds() {
        let mut e64 = enum32(1, &[], 8);
        e64.kind = Kind::Enum64;
        e64.body = Body::Enum64(vec![(StrOffset(2), 1 << 40)]);
        let p = packed(&[
            enum32(1, &[], 4),
            enum32(1, &[(2, 0), (3, 1)], 4),
            e64,
            enum32(1, &[(2, 0), (3, 2)], 4),
        ]);
        let (fwd, full, e64, other) = (rec(&p, 1), rec(&p, 2), rec(&p, 3), rec(&p, 4));
        assert!(compat_enum(fwd, full));
        assert!(compat_enum(full, fwd));
        assert!(compat_enum(fwd, e64));
        assert!(!compat_enum(full, e64));
        assert!(!compat_enum(full, other));
        assert_eq!(hash_enum(fwd), hash_enum(e64));
    }

    #[test]
    fn struct_hash_ignores_member_types() {
        let m = |t| Member {
            name: StrOffset(5),
            type_id: TypeId(t),
            raw_offset: 32,
            kflag: false,
        };
        let s = |t, size| OwnedType {
            name: StrOffset(1),
            kind: Kind::Struct,
            kflag: false,
            size_or_type: size,
            body: Body::Members(vec![m(t)]),
        };
        let p = packed(&[s(1, 8), s(2, 8), s(1, 16)]);
        assert_eq!(hash_struct(rec(&p, 1)), hash_struct(rec(&p, 2)));
        assert!(shallow_equal_struct(rec(&p, 1), rec(&p, 2)));
        assert!(!shallow_equal_struct(rec(&p, 1), rec(&p, 3)));
    }

    #[test]
    fn info_matches_the_encoding() {
        let p = packed(&[
            OwnedType::fwd(StrOffset(1), true),
            OwnedType::fwd(StrOffset(1), false),
        ]);
        assert_eq!(rec(&p, 1).info(), 0x8700_0000);
        assert_eq!(rec(&p, 2).info(), 0x0700_0000);
    }
}
