//! Human-readable specs in C syntax: `struct task_struct::se.vruntime`,
//! `typedef pair_t::val[1][2]`, `enum pid_type::PIDTYPE_PGID`.
//!
//! The root is shown as declared, named by [`TypeName`] (its C keyword and
//! name, `struct <anon>` if anonymous); the path keeps
//! only what C source would write (named members and subscripts, not the
//! hops through anonymous members, which the raw access string shows). A
//! first index other than 0 shows as a leading `[N]`.

use btf_core::cdecl::TypeName;

use crate::spec::Spec;
use crate::types::BtfView;

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
    let root = TypeName::of_id(view.btf, spec.root).to_string();
    if p.is_empty() {
        root
    } else {
        format!("{root}::{p}")
    }
}
