//! Per-kind signature hashes and equality notions on [`OwnedType`].
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

use super::table::combine;
use crate::types::{Array, Member, Param};
use crate::write::{Body, OwnedType};
use crate::Kind;

/// The raw `info` word this type encodes to (kind, vlen, kflag), as the
/// writer encodes it; comparing it compares all three at once.
#[inline]
pub(super) fn info(t: &OwnedType) -> u32 {
    u32::from(t.kflag) << 31 | u32::from(t.kind.to_raw() & 0x7f) << 24 | t.vlen()
}

pub(super) fn members(t: &OwnedType) -> &[Member] {
    match &t.body {
        Body::Members(ms) => ms,
        _ => &[],
    }
}

pub(super) fn params(t: &OwnedType) -> &[Param] {
    match &t.body {
        Body::Params(ps) => ps,
        _ => &[],
    }
}

pub(super) fn array(t: &OwnedType) -> Array {
    match &t.body {
        Body::Array(a) => *a,
        _ => Array {
            elem_type: crate::TypeId::VOID,
            index_type: crate::TypeId::VOID,
            nelems: 0,
        },
    }
}

/// Calls `f` on every type id `t` refers to, in record order (the prefix's
/// type, array element then index, members, parameters, section entries).
/// Unlike `OwnedType::refs_mut` it allocates nothing, which matters at one
/// call per type.
pub(super) fn for_each_ref(t: &mut OwnedType, mut f: impl FnMut(&mut u32)) {
    if t.kind.has_type_ref() {
        f(&mut t.size_or_type);
    }
    match &mut t.body {
        Body::Array(a) => {
            f(&mut a.elem_type.0);
            f(&mut a.index_type.0);
        }
        Body::Members(ms) => ms.iter_mut().for_each(|m| f(&mut m.type_id.0)),
        Body::Params(ps) => ps.iter_mut().for_each(|p| f(&mut p.type_id.0)),
        Body::Datasec(vs) => vs.iter_mut().for_each(|v| f(&mut v.type_id.0)),
        _ => {}
    }
}

/// The trailing word of an INT or DECL_TAG.
fn trailing_word(t: &OwnedType) -> u32 {
    match t.body {
        Body::Int(raw) => raw,
        Body::DeclTag(idx) => idx as u32,
        _ => 0,
    }
}

// ---- hashes ---------------------------------------------------------------------------

/// Name, info and the size/type field.
pub(super) fn hash_common(t: &OwnedType) -> u64 {
    combine(combine(combine(0, t.name.0), info(t)), t.size_or_type)
}

/// TYPEDEF: name and info only; the target is compared by the graph walk.
pub(super) fn hash_typedef(t: &OwnedType) -> u64 {
    combine(combine(0, t.name.0), info(t))
}

/// INT and DECL_TAG: the common fields plus the trailing word.
pub(super) fn hash_int_tag(t: &OwnedType) -> u64 {
    combine(hash_common(t), trailing_word(t))
}

/// ENUM and ENUM64: the name alone, so that a forward enum, a full enum and
/// an ENUM64 of the same name meet in one chain.
pub(super) fn hash_enum(t: &OwnedType) -> u64 {
    combine(0, t.name.0)
}

/// STRUCT and UNION: common fields and member names and offsets, not member
/// types (they may not be canonical yet).
pub(super) fn hash_struct(t: &OwnedType) -> u64 {
    members(t).iter().fold(hash_common(t), |h, m| {
        combine(combine(h, m.name.0), m.raw_offset)
    })
}

/// ARRAY, with its (by now canonical) element and index types.
pub(super) fn hash_array(t: &OwnedType) -> u64 {
    let a = array(t);
    let h = combine(hash_common(t), a.elem_type.0);
    combine(combine(h, a.index_type.0), a.nelems)
}

/// FUNC_PROTO, with its (by now canonical) parameter types.
pub(super) fn hash_func_proto(t: &OwnedType) -> u64 {
    params(t).iter().fold(hash_common(t), |h, p| {
        combine(combine(h, p.name.0), p.type_id.0)
    })
}

// ---- equalities -----------------------------------------------------------------------

/// Same name, info and size/type field.
#[inline]
pub(super) fn equal_common(a: &OwnedType, b: &OwnedType) -> bool {
    a.name == b.name && info(a) == info(b) && a.size_or_type == b.size_or_type
}

/// TYPEDEFs with the same name and info (targets compared separately).
pub(super) fn equal_typedef(a: &OwnedType, b: &OwnedType) -> bool {
    a.name == b.name && info(a) == info(b)
}

/// INTs or DECL_TAGs, trailing word included.
pub(super) fn equal_int_tag(a: &OwnedType, b: &OwnedType) -> bool {
    equal_common(a, b) && trailing_word(a) == trailing_word(b)
}

/// ENUMs (or ENUM64s) with identical enumerators.
pub(super) fn equal_enum(a: &OwnedType, b: &OwnedType) -> bool {
    if !equal_common(a, b) {
        return false;
    }
    match (&a.body, &b.body) {
        (Body::Enum(x), Body::Enum(y)) => x == y,
        (Body::Enum64(x), Body::Enum64(y)) => x == y,
        _ => false,
    }
}

/// An ENUM or ENUM64 with no enumerators: a forward declaration.
pub(super) fn is_enum_fwd(t: &OwnedType) -> bool {
    t.kind.is_enum() && t.vlen() == 0
}

/// Equal enums, or a forward enum and any enum of the same name (size and
/// ENUM/ENUM64 ignored, since `enum e;` does not say which it will be).
pub(super) fn compat_enum(a: &OwnedType, b: &OwnedType) -> bool {
    if !is_enum_fwd(a) && !is_enum_fwd(b) {
        return equal_enum(a, b);
    }
    a.name == b.name && a.kind.is_enum() && b.kind.is_enum()
}

/// STRUCTs/UNIONs with the same common fields and member names and offsets.
pub(super) fn shallow_equal_struct(a: &OwnedType, b: &OwnedType) -> bool {
    equal_common(a, b)
        && members(a)
            .iter()
            .zip(members(b))
            .all(|(x, y)| x.name == y.name && x.raw_offset == y.raw_offset)
}

/// ARRAYs with identical element type, index type and length.
pub(super) fn equal_array(a: &OwnedType, b: &OwnedType) -> bool {
    equal_common(a, b) && array(a) == array(b)
}

/// ARRAYs with the same length (element and index compared separately).
pub(super) fn compat_array(a: &OwnedType, b: &OwnedType) -> bool {
    equal_common(a, b) && array(a).nelems == array(b).nelems
}

/// FUNC_PROTOs with identical return and parameter types and names.
pub(super) fn equal_func_proto(a: &OwnedType, b: &OwnedType) -> bool {
    equal_common(a, b) && params(a) == params(b)
}

/// FUNC_PROTOs with the same parameter count and names (types compared
/// separately).
pub(super) fn compat_func_proto(a: &OwnedType, b: &OwnedType) -> bool {
    a.name == b.name
        && info(a) == info(b)
        && params(a)
            .iter()
            .zip(params(b))
            .all(|(x, y)| x.name == y.name)
}

/// The kind a FWD declares: UNION with kflag set, else STRUCT.
pub(super) fn fwd_kind(t: &OwnedType) -> Kind {
    if t.kflag {
        Kind::Union
    } else {
        Kind::Struct
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn enum_forwards_are_compatible_across_sizes_and_kinds() {
        let fwd = enum32(1, &[], 4);
        let full = enum32(1, &[(2, 0), (3, 1)], 4);
        let mut e64 = enum32(1, &[], 8);
        e64.kind = Kind::Enum64;
        e64.body = Body::Enum64(vec![(StrOffset(2), 1 << 40)]);
        assert!(compat_enum(&fwd, &full));
        assert!(compat_enum(&full, &fwd));
        assert!(compat_enum(&fwd, &e64));
        assert!(!compat_enum(&full, &e64));
        assert!(!compat_enum(&full, &enum32(1, &[(2, 0), (3, 2)], 4)));
        assert_eq!(hash_enum(&fwd), hash_enum(&e64));
    }

    #[test]
    fn struct_hash_ignores_member_types() {
        let m = |t| Member {
            name: StrOffset(5),
            type_id: TypeId(t),
            raw_offset: 32,
            kflag: false,
        };
        let s = |t| OwnedType {
            name: StrOffset(1),
            kind: Kind::Struct,
            kflag: false,
            size_or_type: 8,
            body: Body::Members(vec![m(t)]),
        };
        assert_eq!(hash_struct(&s(1)), hash_struct(&s(2)));
        assert!(shallow_equal_struct(&s(1), &s(2)));
        let mut other = s(1);
        other.size_or_type = 16;
        assert!(!shallow_equal_struct(&s(1), &other));
    }

    #[test]
    fn info_matches_the_encoding() {
        let mut t = OwnedType::fwd(StrOffset(1), true);
        assert_eq!(info(&t), 0x8700_0000);
        t.kflag = false;
        assert_eq!(info(&t), 0x0700_0000);
    }
}
