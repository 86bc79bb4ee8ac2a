//! C declarations: a type wrapped around a declarator, inside out.
//!
//! C reads a declaration from the name outwards: `int (*cb)(int)` is "cb is
//! a pointer to a function taking int, returning int". Rendering runs the
//! same way: starting from the declarator (a name, or nothing for a type
//! name), each type in the chain wraps it (a pointer prepends `*`, an array
//! appends `[N]`, a prototype appends the parameter list, a pointer
//! declarator is parenthesised before `[]` or `()`) until a named base type
//! (`int`, `struct s`, a typedef) ends the chain.

use std::borrow::Cow;

use crate::types::TypeData;
use crate::{Btf, Kind, TypeId};

/// Renders types of one BTF as C declarations.
///
/// | type | `declare(id, "x")` | `declare(id, "")` |
/// |---|---|---|
/// | INT, FLOAT, TYPEDEF | `unsigned int x` | `unsigned int` |
/// | STRUCT, UNION, ENUM, ENUM64, FWD | `struct s x` | `struct s` |
/// | anonymous STRUCT (UNION, ENUM) | `struct {...} x` | `struct {...}` |
/// | PTR | `char *x` | `char *` |
/// | CONST, VOLATILE, RESTRICT of a base type | `const char x` | `const char` |
/// | CONST, VOLATILE, RESTRICT of a pointer | `char *const x` | `char *const` |
/// | CONST, VOLATILE, RESTRICT of an array | `const int x[4]` | `const int[4]` |
/// | ARRAY | `int x[2][3]` | `int[2][3]` |
/// | PTR to ARRAY | `int (*x)[4]` | `int (*)[4]` |
/// | FUNC_PROTO | `long x(int a, ...)` | `long (int a, ...)` |
/// | PTR to FUNC_PROTO | `int (*x)(void)` | `int (*)(void)` |
/// | void | `void x` | `void` |
///
/// - A prototype without parameters is `(void)`; a last parameter of type
///   void without a name is C's `...`; parameter names are kept.
/// - TYPE_TAGs are left out (they are attributes, not C types).
/// - Kinds that are not C types (FUNC, VAR, DATASEC, DECL_TAG, unknown
///   kinds) render as `<KIND [id]>`; an id past the last type as
///   `<bad type id>`.
/// - Past [`Declarator::MAX_DEPTH`] nested types the remaining type renders
///   as `...`, and once [`Declarator::MAX_PARAMS`] parameters have been
///   rendered for one declaration the remaining parameter lists end in
///   `...`: a reference cycle (`ptr` → `const` → `ptr`…) or prototypes
///   whose parameters point back at them cannot make rendering loop or grow
///   without bound (work is at most about `MAX_PARAMS × MAX_DEPTH` types).
#[derive(Clone, Copy, Debug)]
pub struct Declarator<'b, 'a> {
    btf: &'b Btf<'a>,
}

/// Work left for one declaration: parameters are where it can fan out.
struct Budget {
    params: usize,
}

impl<'b, 'a> Declarator<'b, 'a> {
    /// How many types deep a declaration is followed.
    pub const MAX_DEPTH: usize = 32;

    /// How many parameters one declaration renders at most, over all the
    /// prototypes it contains.
    pub const MAX_PARAMS: usize = 4096;

    /// A renderer for types of `btf`.
    pub fn new(btf: &'b Btf<'a>) -> Declarator<'b, 'a> {
        Declarator { btf }
    }

    /// Type `id` declared with `declarator`: a name (`"p"`), or `""` for the
    /// type name alone (C's abstract declarator).
    pub fn declare(&self, id: TypeId, declarator: &str) -> String {
        let mut budget = Budget {
            params: Self::MAX_PARAMS,
        };
        self.decl(id, declarator, 0, &mut budget)
    }

    fn decl(&self, id: TypeId, inner: &str, depth: usize, budget: &mut Budget) -> String {
        if depth > Self::MAX_DEPTH {
            return join("...", inner);
        }
        if id.is_void() {
            return join("void", inner);
        }
        let Some(t) = self.btf.get(id) else {
            return join(&format!("<bad type {id}>"), inner);
        };
        let name = String::from_utf8_lossy(self.btf.type_name(&t));
        let named = |kw: &str| {
            if name.is_empty() {
                format!("{kw} {{...}}")
            } else {
                format!("{kw} {name}")
            }
        };
        match t.data() {
            TypeData::Int(_) | TypeData::Float | TypeData::Typedef(_) => join(&name, inner),
            TypeData::Struct(_) => join(&named("struct"), inner),
            TypeData::Union(_) => join(&named("union"), inner),
            TypeData::Enum(_) | TypeData::Enum64(_) => join(&named("enum"), inner),
            TypeData::Fwd(union) => join(&named(if union { "union" } else { "struct" }), inner),
            TypeData::Ptr(to) => self.decl(to, &format!("*{inner}"), depth + 1, budget),
            TypeData::Const(to) | TypeData::Volatile(to) | TypeData::Restrict(to) => {
                let q = match t.kind() {
                    Kind::Const => "const",
                    Kind::Volatile => "volatile",
                    _ => "restrict",
                };
                if self.qualifies_base(to) {
                    format!("{q} {}", self.decl(to, inner, depth + 1, budget))
                } else {
                    self.decl(to, &join(q, inner), depth + 1, budget)
                }
            }
            TypeData::TypeTag(to) => self.decl(to, inner, depth + 1, budget),
            TypeData::Array(a) => {
                let inner = format!("{}[{}]", wrap(inner), a.nelems);
                self.decl(a.elem_type, &inner, depth + 1, budget)
            }
            TypeData::FuncProto(ret, params) => {
                let mut list = Vec::new();
                for p in params {
                    if budget.params == 0 {
                        list.push("...".to_string());
                        break;
                    }
                    budget.params -= 1;
                    if p.type_id.is_void() && p.name.is_empty() {
                        list.push("...".to_string());
                    } else {
                        let pname = self.btf.name(p.name).unwrap_or_default();
                        let pname = String::from_utf8_lossy(pname);
                        list.push(self.decl(p.type_id, &pname, depth + 1, budget));
                    }
                }
                if list.is_empty() {
                    list.push("void".into());
                }
                let inner = format!("{}({})", wrap(inner), list.join(", "));
                self.decl(ret, &inner, depth + 1, budget)
            }
            _ => join(&format!("<{} [{id}]>", t.kind()), inner),
        }
    }

    /// Whether a qualifier on `to` goes before the base type (`const int`)
    /// rather than into the declarator (`int *const`): true unless the first
    /// type after further qualifiers and type tags is a pointer or a
    /// prototype. A qualified array is an array of qualified elements in C,
    /// so its qualifier goes before the base type (`const int x[4]`).
    fn qualifies_base(&self, mut to: TypeId) -> bool {
        for _ in 0..Self::MAX_DEPTH {
            match self.btf.get(to).map(|t| t.data()) {
                Some(
                    TypeData::Const(next)
                    | TypeData::Volatile(next)
                    | TypeData::Restrict(next)
                    | TypeData::TypeTag(next),
                ) => to = next,
                Some(TypeData::Ptr(_) | TypeData::FuncProto(..)) => return false,
                _ => return true,
            }
        }
        true
    }
}

/// `base inner`, or `base` alone; no space before a subscript (`int[4]`).
fn join(base: &str, inner: &str) -> String {
    if inner.is_empty() {
        base.to_string()
    } else if inner.starts_with('[') {
        format!("{base}{inner}")
    } else {
        format!("{base} {inner}")
    }
}

/// Parenthesises a pointer declarator (`*p`, `const *p`) before `[]` or
/// `()`.
fn wrap(inner: &str) -> Cow<'_, str> {
    let mut rest = inner;
    while let Some(r) = ["const ", "volatile ", "restrict "]
        .iter()
        .find_map(|q| rest.strip_prefix(q))
    {
        rest = r;
    }
    if rest.starts_with('*') {
        Cow::Owned(format!("({inner})"))
    } else {
        Cow::Borrowed(inner)
    }
}
