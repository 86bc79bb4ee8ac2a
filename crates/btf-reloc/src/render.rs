//! Human-readable specs in C syntax: `struct task_struct::se.vruntime`,
//! `typedef pair_t::val[1][2]`, `enum pid_type::PIDTYPE_PGID`.
//!
//! The root is shown as declared (its C keyword and name); the path keeps
//! only what C source would write (named members and subscripts, not the
//! hops through anonymous members, which the raw access string shows). A
//! first index other than 0 shows as a leading `[N]`.

use btf_core::{Kind, TypeId};

use crate::spec::Spec;
use crate::types::BtfView;

/// The C spelling of a type's name: `struct s`, `union u`, `enum e`,
/// `typedef t`, `int`, `<anon>` parts for anonymous types.
pub fn type_name(view: &BtfView<'_>, id: TypeId) -> String {
    let Some(t) = view.get(id) else {
        return "void".into();
    };
    let name = String::from_utf8_lossy(view.btf.type_name(&t));
    let name = if name.is_empty() {
        "<anon>".into()
    } else {
        name
    };
    let keyword = match t.kind() {
        Kind::Struct => "struct",
        Kind::Union => "union",
        Kind::Enum | Kind::Enum64 => "enum",
        Kind::Typedef => "typedef",
        Kind::Fwd if t.kflag() => "union",
        Kind::Fwd => "struct",
        Kind::Int | Kind::Float => return name.into_owned(),
        k => return format!("{} {name}", k.name().to_lowercase()),
    };
    format!("{keyword} {name}")
}

/// The access path in C syntax, without the root: `se.vruntime`,
/// `comm[3]`, `[1].pid`, `PIDTYPE_PGID`; empty for type relocations.
pub fn path(spec: &Spec<'_>) -> String {
    let mut out = String::new();
    for (i, acc) in spec.accessors.iter().enumerate() {
        match acc.name {
            Some(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&String::from_utf8_lossy(name));
            }
            None if i == 0 && acc.index == 0 => {}
            None => {
                out.push('[');
                out.push_str(&acc.index.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// `ROOT::PATH`, or just the root for type relocations.
pub fn spec(view: &BtfView<'_>, spec: &Spec<'_>) -> String {
    let p = path(spec);
    let root = type_name(view, spec.root);
    if p.is_empty() {
        root
    } else {
        format!("{root}::{p}")
    }
}
