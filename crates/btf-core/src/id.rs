//! Typed indices into BTF: type ids and string offsets.

use std::fmt;

/// A BTF type id. Id 0 is `void` and is never stored in a type section.
///
/// In split BTF, ids continue after the base's last id, so a `TypeId` is only
/// meaningful together with the [`Btf`](crate::Btf) (and base) it came from.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct TypeId(pub u32);

impl TypeId {
    /// The implicit `void` type.
    pub const VOID: TypeId = TypeId(0);

    /// Whether this is the implicit `void` type (id 0).
    pub fn is_void(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A byte offset into the (logical, split-aware) string section.
///
/// Offset 0 is the empty string; a type whose name is at offset 0 is anonymous.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct StrOffset(pub u32);

impl StrOffset {
    /// The empty string: an anonymous name.
    pub const EMPTY: StrOffset = StrOffset(0);

    /// Whether this offset names the empty string.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for StrOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
