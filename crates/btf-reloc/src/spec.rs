//! Specs: where a relocation points, in the local BTF or in a target.
//!
//! Follows libbpf's model (src/relo_core.c, `struct bpf_core_spec`): a
//! **raw** spec holding every index of the access string (hops into
//! anonymous members included) and a **high-level** list of
//! [`Accessor`]s holding only the first index, named members and array
//! subscripts. Matching walks the high-level accessors by name and rebuilds
//! the target's raw spec.

use btf_core::ext::{parse_access_indices, AccessError, CoreReloKind, MAX_ACCESS_LEN};
use btf_core::types::TypeData;
use btf_core::TypeId;
use smallvec::SmallVec;

use crate::types::{kind_of, BtfView};
use crate::Error;

/// libbpf's `BPF_CORE_SPEC_MAX_LEN` (the access-string limit btf-core
/// parses with).
pub const MAX_SPEC_LEN: usize = MAX_ACCESS_LEN;

/// One high-level step of a spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accessor<'a> {
    /// For a member: the (stripped) struct or union holding it. For a
    /// subscript or the first index: the (stripped) element or root type.
    /// For an enumerator: the (stripped) enum.
    pub type_id: TypeId,
    /// Member, subscript or enumerator index.
    pub index: u32,
    /// Member or enumerator name; `None` for a subscript (and the first
    /// index of a field spec).
    pub name: Option<&'a [u8]>,
}

/// A parsed (local) or matched (target) relocation spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec<'a> {
    /// The root type as named by the record or candidate (not stripped).
    pub root: TypeId,
    /// The relocation kind.
    pub kind: CoreReloKind,
    /// Every index, anonymous members included.
    pub(crate) raw: SmallVec<[u32; 6]>,
    /// The high-level accessors. Empty for type relocations.
    pub(crate) accessors: SmallVec<[Accessor<'a>; 4]>,
    /// Bit offset of the field from the start of the root (field kinds).
    pub bit_offset: u32,
}

impl<'a> Spec<'a> {
    /// An empty spec rooted at `root`.
    pub(crate) fn empty(root: TypeId, kind: CoreReloKind) -> Spec<'a> {
        Spec {
            root,
            kind,
            raw: SmallVec::new(),
            accessors: SmallVec::new(),
            bit_offset: 0,
        }
    }

    /// Every index of the raw spec, anonymous members included.
    pub fn raw(&self) -> &[u32] {
        &self.raw
    }

    /// The high-level accessors (first index, named members, subscripts;
    /// the enumerator for enum relocations; none for type relocations).
    pub fn accessors(&self) -> &[Accessor<'a>] {
        &self.accessors
    }

    /// The raw spec as an access string (`0:3:0`).
    pub fn access_string(&self) -> String {
        let mut s = String::new();
        for (i, v) in self.raw.iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{v}"));
        }
        s
    }
}

/// Parses a record's access string against its local BTF (libbpf's
/// `bpf_core_parse_spec`).
pub fn parse_local<'a>(
    view: &BtfView<'a>,
    root: TypeId,
    kind: CoreReloKind,
    access: &[u8],
) -> Result<Spec<'a>, Error> {
    let text = || String::from_utf8_lossy(access).into_owned();
    if access.is_empty() || access[0] == b':' {
        return Err(Error::EmptyAccess { access: text() });
    }
    if kind.is_type() {
        if access != b"0" {
            return Err(Error::TypeAccessNotZero { access: text() });
        }
        return Ok(Spec::empty(root, kind));
    }
    let raw = parse_indices(access)?;
    let mut spec = Spec::empty(root, kind);
    spec.raw = raw;
    let (mut id, t) = view.strip(root)?;
    let first = spec.raw[0];
    spec.accessors.push(Accessor {
        type_id: id,
        index: first,
        name: None,
    });
    if kind.is_enumval() {
        let t = t
            .filter(|t| t.kind().is_enum())
            .ok_or_else(|| Error::NotAnEnum {
                id,
                kind: kind_of(t.as_ref()).name().to_string(),
            })?;
        let value = (spec.raw.len() == 1)
            .then(|| t.enum_values().nth(first as usize))
            .flatten()
            .ok_or_else(|| Error::BadEnumAccess {
                access: text(),
                id,
                vlen: t.vlen(),
            })?;
        spec.accessors[0].name = Some(view.btf.name(value.name).unwrap_or_default());
        return Ok(spec);
    }
    if !kind.is_field() {
        return Err(Error::UnknownKind(kind.to_raw()));
    }
    let size = view.resolve_size(id).ok_or(Error::NoSize { id })?;
    let mut bits = element_bits(first, size)?;
    for position in 1..spec.raw.len() {
        let index = spec.raw[position];
        let (sid, t) = view.strip(id)?;
        let Some(t) = t else {
            return Err(unexpected(position, sid, None));
        };
        match t.data() {
            TypeData::Struct(ms) | TypeData::Union(ms) => {
                let m = ms.get(index as usize).ok_or(Error::MemberOutOfRange {
                    position,
                    index,
                    id: sid,
                    vlen: t.vlen(),
                })?;
                bits = add_bits(bits, u64::from(m.bit_offset()))?;
                // Anonymous means an empty name, not a zero offset: as in
                // libbpf, a non-zero offset may point at an empty string.
                let name = view.btf.name(m.name).unwrap_or_default();
                if !name.is_empty() {
                    spec.accessors.push(Accessor {
                        type_id: sid,
                        index,
                        name: Some(name),
                    });
                }
                id = m.type_id;
            }
            TypeData::Array(a) => {
                let (elem, _) = view.strip(a.elem_type)?;
                let flex = is_flex(view, spec.accessors.last(), a.nelems);
                if !flex && index >= a.nelems {
                    return Err(Error::SubscriptOutOfRange {
                        position,
                        index,
                        id: sid,
                        nelems: a.nelems,
                    });
                }
                spec.accessors.push(Accessor {
                    type_id: elem,
                    index,
                    name: None,
                });
                let size = view.resolve_size(elem).ok_or(Error::NoSize { id: elem })?;
                bits = add_bits(bits, element_bits(index, size)?)?;
                id = elem;
            }
            _ => return Err(unexpected(position, sid, Some(&t))),
        }
    }
    spec.bit_offset = u32::try_from(bits).map_err(|_| Error::BitOffsetOverflow)?;
    Ok(spec)
}

/// The bit offset of element `index` of an array of `size`-byte elements.
/// Both come from the input (access string, BTF), so the product is checked.
pub(crate) fn element_bits(index: u32, size: u32) -> Result<u64, Error> {
    u64::from(index)
        .checked_mul(u64::from(size))
        .and_then(|b| b.checked_mul(8))
        .ok_or(Error::BitOffsetOverflow)
}

/// `bits + more`, checked like [`element_bits`].
pub(crate) fn add_bits(bits: u64, more: u64) -> Result<u64, Error> {
    bits.checked_add(more).ok_or(Error::BitOffsetOverflow)
}

fn unexpected(position: usize, id: TypeId, t: Option<&btf_core::Type<'_>>) -> Error {
    Error::UnexpectedKind {
        position,
        id,
        kind: kind_of(t).name().to_string(),
    }
}

/// Splits `0:1:2` into indices with btf-core's access-string parser
/// (decimal digits only, each at most `i32::MAX`, at most
/// [`MAX_SPEC_LEN`] of them), its errors mapped onto the engine's.
fn parse_indices(access: &[u8]) -> Result<SmallVec<[u32; 6]>, Error> {
    parse_access_indices(access)
        .map(SmallVec::from_vec)
        .map_err(|e| index_error(access, e))
}

/// The engine's error for an access string btf-core cannot split.
fn index_error(access: &[u8], e: AccessError) -> Error {
    let text = || String::from_utf8_lossy(access).into_owned();
    match e {
        AccessError::Empty => Error::EmptyAccess { access: text() },
        AccessError::TooLong { .. } => Error::AccessTooLong,
        AccessError::NotANumber { position, .. } | AccessError::IndexTooLarge { position, .. } => {
            Error::AccessSyntax {
                access: text(),
                position,
            }
        }
        // `parse_access_indices` reports only the errors above; anything
        // else (the enum is non-exhaustive) is still a malformed string.
        _ => Error::AccessSyntax {
            access: text(),
            position: 0,
        },
    }
}

/// libbpf's `is_flex_arr`: a zero-length array that is the last member of
/// the struct named by the previous high-level accessor.
pub(crate) fn is_flex(view: &BtfView<'_>, prev: Option<&Accessor<'_>>, nelems: u32) -> bool {
    let Some(prev) = prev.filter(|p| p.name.is_some()) else {
        return false;
    };
    if nelems > 0 {
        return false;
    }
    view.get(prev.type_id)
        .filter(|t| t.kind().is_composite())
        .is_some_and(|t| t.vlen().checked_sub(1) == Some(prev.index))
}

#[cfg(test)]
mod tests {
    use btf_core::types::INT_SIGNED;
    use btf_core::write::Body;
    use btf_core::{Btf, BtfBuilder, Endian, StrOffset};

    use super::*;

    #[test]
    fn indices() {
        assert_eq!(parse_indices(b"0:1:22").unwrap().as_slice(), [0, 1, 22]);
        assert_eq!(
            parse_indices(b"2147483647").unwrap().as_slice(),
            [i32::MAX as u32]
        );
        for bad in [
            &b"0::1"[..],
            b"0:",
            b"-1",
            b"+1",
            b" 1",
            b"2147483648",
            b"1a",
            b"99999999999",
        ] {
            assert!(parse_indices(bad).is_err(), "{bad:?}");
        }
        let long = vec!["0"; 65].join(":");
        assert_eq!(parse_indices(long.as_bytes()), Err(Error::AccessTooLong));
        let ok = vec!["0"; 64].join(":");
        assert_eq!(parse_indices(ok.as_bytes()).unwrap().len(), 64);
        // Leading zeros do not count against the value (libbpf's `%d`).
        assert_eq!(parse_indices(b"00000000001").unwrap().as_slice(), [1]);
    }

    /// A member whose name offset is not 0 but points at an empty string
    /// is anonymous (libbpf checks the name, not the offset): it stays in
    /// the raw spec but gets no high-level accessor.
    #[test]
    fn empty_name_at_nonzero_offset_is_anonymous() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        let inner = b.add_composite(false, "", 4, &[("x", int, 0, 0)]);
        let outer = b.add_composite(false, "outer", 4, &[("", inner, 0, 0)]);
        // The NUL that ends "ab" is an empty string at a non-zero offset.
        let empty = StrOffset(b.add_str("ab").0 + 2);
        match &mut b.get_mut(outer).unwrap().body {
            Body::Members(ms) => ms[0].name = empty,
            other => panic!("{other:?}"),
        }
        for endian in [Endian::Little, Endian::Big] {
            let bytes = b.write(endian).unwrap();
            let btf = Btf::parse(&bytes).unwrap();
            let view = BtfView::new(&btf);
            let spec = parse_local(&view, outer, CoreReloKind::FieldByteOffset, b"0:0:0").unwrap();
            assert_eq!(spec.raw(), [0, 0, 0]);
            let names: Vec<_> = spec.accessors().iter().map(|a| a.name).collect();
            assert_eq!(names, [None, Some(&b"x"[..])]);
            assert_eq!(spec.accessors()[1].type_id, inner);
        }
    }
}
