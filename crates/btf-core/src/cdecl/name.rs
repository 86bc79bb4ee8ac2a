//! A type named with its C keyword: `struct task_struct`, `typedef pid_t`.

use std::fmt;

use crate::{Btf, Kind, Type, TypeId};

/// A type as C source refers to it by name.
///
/// | kind | rendering |
/// |---|---|
/// | STRUCT, UNION | `struct s`, `union u` |
/// | ENUM, ENUM64 | `enum e` |
/// | TYPEDEF | `typedef pid_t` (the keyword says what the name is) |
/// | FWD | `struct s`, or `union u` when its kflag is set |
/// | INT, FLOAT | the name alone: `unsigned int`, `double` |
/// | void (id 0), an id past the last type | `void` |
/// | anything else | the lower-case kind and the name: `ptr <anon>`, `func f` |
///
/// An anonymous type shows `<anon>` in place of its name
/// (`struct <anon>`); an anonymous INT or FLOAT, which C cannot have, shows
/// its kind too (`int <anon>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeName<'a> {
    /// `None` for void.
    kind: Option<(Kind, bool)>,
    name: &'a [u8],
}

impl<'a> TypeName<'a> {
    /// Names `ty`, a type of `btf`.
    pub fn of(btf: &Btf<'a>, ty: &Type<'a>) -> TypeName<'a> {
        TypeName::new(ty.kind(), ty.kflag(), btf.type_name(ty))
    }

    /// Names the type `id` of `btf`; void and ids past the last type are
    /// `void`.
    pub fn of_id(btf: &Btf<'a>, id: TypeId) -> TypeName<'a> {
        match btf.get(id) {
            Some(t) => TypeName::of(btf, &t),
            None => TypeName::VOID,
        }
    }

    /// `void`.
    pub const VOID: TypeName<'static> = TypeName {
        kind: None,
        name: b"",
    };

    /// Names a type from its parts: kind, kflag (which tells a union FWD from
    /// a struct FWD) and name (empty if anonymous).
    pub fn new(kind: Kind, kflag: bool, name: &'a [u8]) -> TypeName<'a> {
        TypeName {
            kind: Some((kind, kflag)),
            name,
        }
    }
}

impl fmt::Display for TypeName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((kind, kflag)) = self.kind else {
            return f.write_str("void");
        };
        let name = String::from_utf8_lossy(self.name);
        let name = if name.is_empty() {
            "<anon>".into()
        } else {
            name
        };
        let keyword = match kind {
            Kind::Struct => "struct",
            Kind::Union => "union",
            Kind::Enum | Kind::Enum64 => "enum",
            Kind::Typedef => "typedef",
            Kind::Fwd if kflag => "union",
            Kind::Fwd => "struct",
            Kind::Int | Kind::Float if !self.name.is_empty() => return f.write_str(&name),
            other => return write!(f, "{} {name}", other.name().to_ascii_lowercase()),
        };
        write!(f, "{keyword} {name}")
    }
}
