//! Type helpers with libbpf's exact semantics: modifier stripping, sizes
//! (`btf__resolve_size`) and the pointer size of a BTF (`determine_ptr_size`).

use btf_core::types::TypeData;
use btf_core::{Btf, Kind, Type, TypeId};

use crate::Error;

/// How many links of a TYPEDEF/modifier chain are followed before the chain
/// is called a loop (libbpf follows them without a bound).
const MAX_STRIP: usize = 64;

/// libbpf's `MAX_RESOLVE_DEPTH` for `btf__resolve_size`.
const MAX_RESOLVE_DEPTH: usize = 32;

/// A BTF together with what the engine computes about it once.
#[derive(Clone, Copy, Debug)]
pub struct BtfView<'a> {
    /// The BTF.
    pub btf: &'a Btf<'a>,
    /// Pointer size in bytes: the size of the INT named `long` (or an alias)
    /// if there is one of 4 or 8 bytes, else 8 (libbpf's `btf_ptr_sz`).
    pub ptr_size: u32,
}

impl<'a> BtfView<'a> {
    /// Wraps `btf`, determining its pointer size.
    pub fn new(btf: &'a Btf<'a>) -> BtfView<'a> {
        BtfView {
            btf,
            ptr_size: determine_ptr_size(btf).unwrap_or(8),
        }
    }

    /// The type with id `id`; `None` for void or an id past the end.
    #[inline]
    pub fn get(&self, id: TypeId) -> Option<Type<'a>> {
        self.btf.get(id)
    }

    /// A type's name, `b""` if anonymous (or void).
    #[inline]
    pub fn name_of(&self, id: TypeId) -> &'a [u8] {
        self.btf
            .get(id)
            .map_or(&b""[..], |t| self.btf.type_name(&t))
    }

    /// Skips CONST, VOLATILE, RESTRICT, TYPE_TAG and TYPEDEF (libbpf's
    /// `skip_mods_and_typedefs`). Returns the id reached and its type (`None`
    /// for void).
    #[inline]
    pub fn strip(&self, id: TypeId) -> Result<(TypeId, Option<Type<'a>>), Error> {
        let mut cur = id;
        for _ in 0..MAX_STRIP {
            match self.btf.get(cur) {
                Some(t) if t.kind().is_modifier() => cur = TypeId(t.size_or_type()),
                other => return Ok((cur, other)),
            }
        }
        Err(Error::TypeLoop { id })
    }

    /// The size of a type, as `btf__resolve_size`: follows modifiers,
    /// typedefs and VARs, multiplies array dimensions, pointers are
    /// [`ptr_size`](Self::ptr_size). `None` for void, FWD, FUNC,
    /// FUNC_PROTO, chains deeper than 32 and results above `u32::MAX`.
    pub fn resolve_size(&self, id: TypeId) -> Option<u32> {
        let mut cur = id;
        let mut nelems: u32 = 1;
        for _ in 0..MAX_RESOLVE_DEPTH {
            let t = self.btf.get(cur)?;
            let size = match t.data() {
                TypeData::Ptr(_) => self.ptr_size,
                TypeData::Array(a) => {
                    if nelems != 0 && a.nelems > u32::MAX / nelems {
                        return None;
                    }
                    nelems *= a.nelems;
                    cur = a.elem_type;
                    continue;
                }
                _ => match t.kind() {
                    Kind::Int
                    | Kind::Struct
                    | Kind::Union
                    | Kind::Enum
                    | Kind::Enum64
                    | Kind::Datasec
                    | Kind::Float => t.size_or_type(),
                    Kind::Typedef
                    | Kind::Volatile
                    | Kind::Const
                    | Kind::Restrict
                    | Kind::Var
                    | Kind::DeclTag
                    | Kind::TypeTag => {
                        cur = TypeId(t.size_or_type());
                        continue;
                    }
                    _ => return None,
                },
            };
            if nelems != 0 && size > u32::MAX / nelems {
                return None;
            }
            return Some(nelems * size);
        }
        None
    }
}

/// Whether the string at `off` is exactly `want`, without scanning past
/// the first differing byte (member search compares many names).
pub(crate) fn name_is(btf: &Btf<'_>, off: btf_core::StrOffset, want: &[u8]) -> bool {
    let mut b = btf;
    loop {
        let own = b.strings();
        let start = b.str_len_total() - own.len() as u32;
        if off.0 >= start {
            let tail = own
                .as_bytes()
                .get((off.0 - start) as usize..)
                .unwrap_or_default();
            return tail.get(want.len()) == Some(&0) && tail.starts_with(want);
        }
        match b.base() {
            Some(base) => b = base,
            None => return false,
        }
    }
}

/// The kind of an optional type, void being `Kind::Unknown(0)` as in libbpf.
pub(crate) fn kind_of(t: Option<&Type<'_>>) -> Kind {
    t.map_or(Kind::Unknown(0), |t| t.kind())
}

/// `btf_kind_core_compat`: same kind, or both ENUM/ENUM64.
pub(crate) fn kinds_core_compat(a: Kind, b: Kind) -> bool {
    a == b || (a.is_enum() && b.is_enum())
}

/// The INT encoding and bit offset of an INT type.
pub(crate) fn int_info(t: &Type<'_>) -> Option<btf_core::types::Int> {
    match t.data() {
        TypeData::Int(i) => Some(i),
        _ => None,
    }
}

/// libbpf's `determine_ptr_size`: the size of the first INT named like
/// `long`, if it is 4 or 8.
fn determine_ptr_size(btf: &Btf<'_>) -> Option<u32> {
    const LONG: [&[u8]; 11] = [
        b"long",
        b"long int",
        b"int long",
        b"unsigned long",
        b"long unsigned",
        b"unsigned long int",
        b"unsigned int long",
        b"long unsigned int",
        b"long int unsigned",
        b"int unsigned long",
        b"int long unsigned",
    ];
    btf.types()
        .filter(|t| t.kind() == Kind::Int && matches!(t.size_or_type(), 4 | 8))
        .find(|t| LONG.contains(&btf.type_name(t)))
        .map(|t| t.size_or_type())
}
