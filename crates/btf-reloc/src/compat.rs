//! The three relations CO-RE uses to compare a local type with a target
//! type (CORE.md §4.6), kept separate as libbpf does (src/relo_core.c):
//!
//! - [`fields_compat`] (`bpf_core_fields_are_compat`): is a same-named
//!   member's type usable? Loose: any struct/union pair, any two pointers,
//!   any two ints.
//! - [`types_compat`] (`__bpf_core_types_are_compat`): TYPE_EXISTS,
//!   TYPE_SIZE, TYPE_ID_TARGET. Shape only, members never compared.
//! - [`types_match`] (`__bpf_core_types_match`): TYPE_MATCHES. Strict and
//!   name-aware, recursing into members.
//!
//! All three are directional (local → target) and return `Err` where
//! libbpf returns a negative error (recursion limits), which aborts the
//! object.

use btf_core::types::TypeData;
use btf_core::{Kind, Type, TypeId};

use crate::name::essential;
use crate::types::{int_info, kind_of, kinds_core_compat, BtfView};
use crate::Error;

/// Bound on `goto recur` loops libbpf leaves unbounded (array chains in
/// [`fields_compat`]); only a looping BTF reaches it.
const MAX_LOOP: usize = 64;

/// libbpf's recursion depth for [`types_compat`] and [`types_match`].
const DEPTH: i32 = 32;

fn name<'a>(v: &BtfView<'a>, t: Option<&Type<'a>>) -> &'a [u8] {
    t.map_or(&b""[..], |t| v.btf.type_name(t))
}

fn too_deep(l: TypeId, t: TypeId) -> Error {
    Error::CompatTooDeep {
        local: l,
        target: t,
    }
}

/// Relation (a): whether a target member of type `tid` can stand for a
/// local member of type `lid`.
pub fn fields_compat(
    l: &BtfView<'_>,
    lid: TypeId,
    t: &BtfView<'_>,
    tid: TypeId,
) -> Result<bool, Error> {
    let (mut lid, mut tid) = (lid, tid);
    for _ in 0..MAX_LOOP {
        let (_, lt) = l.strip(lid)?;
        let (_, tt) = t.strip(tid)?;
        let (lk, tk) = (kind_of(lt.as_ref()), kind_of(tt.as_ref()));
        if lk.is_composite() && tk.is_composite() {
            return Ok(true);
        }
        if !kinds_core_compat(lk, tk) {
            return Ok(false);
        }
        return Ok(match (lk, lt, tt) {
            (Kind::Ptr | Kind::Float, _, _) => true,
            (Kind::Fwd | Kind::Enum | Kind::Enum64, lt, tt) => {
                let ln = essential(name(l, lt.as_ref()));
                let tn = essential(name(t, tt.as_ref()));
                ln.is_empty() || tn.is_empty() || ln == tn
            }
            (Kind::Int, Some(lt), Some(tt)) => {
                let (a, b) = (int_info(&lt), int_info(&tt));
                a.is_some_and(|a| a.offset == 0) && b.is_some_and(|b| b.offset == 0)
            }
            (Kind::Array, Some(lt), Some(tt)) => {
                match (lt.data(), tt.data()) {
                    (TypeData::Array(a), TypeData::Array(b)) => {
                        lid = a.elem_type;
                        tid = b.elem_type;
                    }
                    _ => return Ok(false),
                }
                continue;
            }
            _ => false,
        });
    }
    Err(too_deep(lid, tid))
}

/// Relation (b): TYPE_EXISTS / TYPE_SIZE / TYPE_ID_TARGET compatibility.
pub fn types_compat(
    l: &BtfView<'_>,
    lid: TypeId,
    t: &BtfView<'_>,
    tid: TypeId,
) -> Result<bool, Error> {
    types_compat_level(l, lid, t, tid, DEPTH)
}

fn types_compat_level(
    l: &BtfView<'_>,
    lid: TypeId,
    t: &BtfView<'_>,
    tid: TypeId,
    level: i32,
) -> Result<bool, Error> {
    let (start_l, start_t) = (lid, tid);
    if !kinds_core_compat(kind_of(l.get(lid).as_ref()), kind_of(t.get(tid).as_ref())) {
        return Ok(false);
    }
    let (mut lid, mut tid) = (lid, tid);
    let mut depth = DEPTH;
    loop {
        depth -= 1;
        if depth < 0 {
            return Err(too_deep(start_l, start_t));
        }
        let (li, lt) = l.strip(lid)?;
        let (ti, tt) = t.strip(tid)?;
        let (lk, tk) = (kind_of(lt.as_ref()), kind_of(tt.as_ref()));
        if !kinds_core_compat(lk, tk) {
            return Ok(false);
        }
        let (Some(lt), Some(tt)) = (lt, tt) else {
            // Both void.
            return Ok(true);
        };
        match (lt.data(), tt.data()) {
            (TypeData::Struct(_) | TypeData::Union(_), _)
            | (TypeData::Enum(_) | TypeData::Enum64(_) | TypeData::Fwd(_), _) => return Ok(true),
            (TypeData::Int(a), TypeData::Int(b)) => return Ok(a.offset == 0 && b.offset == 0),
            (TypeData::Ptr(a), TypeData::Ptr(b)) => {
                lid = a;
                tid = b;
            }
            (TypeData::Array(a), TypeData::Array(b)) => {
                lid = a.elem_type;
                tid = b.elem_type;
            }
            (TypeData::FuncProto(lret, lps), TypeData::FuncProto(tret, tps)) => {
                if lps.len() != tps.len() {
                    return Ok(false);
                }
                for (lp, tp) in lps.zip(tps) {
                    if level <= 0 {
                        return Err(too_deep(li, ti));
                    }
                    let (lp, _) = l.strip(lp.type_id)?;
                    let (tp, _) = t.strip(tp.type_id)?;
                    if !types_compat_level(l, lp, t, tp, level - 1)? {
                        return Ok(false);
                    }
                }
                lid = l.strip(lret)?.0;
                tid = t.strip(tret)?.0;
            }
            _ => {
                log::warn!("unexpected kind {lk} relocated, local [{li}], target [{ti}]");
                return Ok(false);
            }
        }
    }
}

/// libbpf's `bpf_core_names_match`: anonymous matches only anonymous,
/// otherwise essential names are equal.
fn names_match(ln: &[u8], tn: &[u8]) -> bool {
    if tn.is_empty() {
        return ln.is_empty();
    }
    essential(ln) == essential(tn)
}

/// Relation (c): TYPE_MATCHES.
pub fn types_match(
    l: &BtfView<'_>,
    lid: TypeId,
    t: &BtfView<'_>,
    tid: TypeId,
) -> Result<bool, Error> {
    types_match_level(l, lid, t, tid, false, DEPTH)
}

fn types_match_level(
    l: &BtfView<'_>,
    lid: TypeId,
    t: &BtfView<'_>,
    tid: TypeId,
    behind_ptr: bool,
    level: i32,
) -> Result<bool, Error> {
    let (start_l, start_t) = (lid, tid);
    if level <= 0 {
        return Err(too_deep(start_l, start_t));
    }
    let (mut lid, mut tid, mut behind_ptr) = (lid, tid, behind_ptr);
    let mut depth = DEPTH;
    loop {
        depth -= 1;
        if depth < 0 {
            return Err(too_deep(start_l, start_t));
        }
        let (li, lt) = l.strip(lid)?;
        let (ti, tt) = t.strip(tid)?;
        if !names_match(name(l, lt.as_ref()), name(t, tt.as_ref())) {
            return Ok(false);
        }
        let (lk, tk) = (kind_of(lt.as_ref()), kind_of(tt.as_ref()));
        let (Some(lt), Some(tt)) = (lt, tt) else {
            return Ok(lk == tk && lk == Kind::Unknown(0));
        };
        match lk {
            Kind::Fwd => {
                let lf = lt.kflag();
                return Ok(if lk == tk {
                    lf == tt.kflag()
                } else {
                    behind_ptr && ((tk == Kind::Struct && !lf) || (tk == Kind::Union && lf))
                });
            }
            Kind::Enum | Kind::Enum64 => {
                return Ok(tk.is_enum() && enums_match(l, &lt, t, &tt));
            }
            Kind::Struct | Kind::Union => {
                if behind_ptr {
                    return Ok(lk == tk || (tk == Kind::Fwd && (lk == Kind::Union) == tt.kflag()));
                }
                if lk != tk {
                    return Ok(false);
                }
                return composites_match(l, &lt, t, &tt, behind_ptr, level);
            }
            Kind::Int => {
                let (Some(a), Some(b)) = (int_info(&lt), int_info(&tt)) else {
                    return Ok(false);
                };
                return Ok(a.size == b.size && a.is_signed() == b.is_signed());
            }
            Kind::Ptr => {
                if lk != tk {
                    return Ok(false);
                }
                behind_ptr = true;
                lid = TypeId(lt.size_or_type());
                tid = TypeId(tt.size_or_type());
            }
            Kind::Array => {
                let (TypeData::Array(a), TypeData::Array(b)) = (lt.data(), tt.data()) else {
                    return Ok(false);
                };
                if a.nelems != b.nelems {
                    return Ok(false);
                }
                lid = a.elem_type;
                tid = b.elem_type;
            }
            Kind::FuncProto => {
                let (TypeData::FuncProto(lret, lps), TypeData::FuncProto(tret, tps)) =
                    (lt.data(), tt.data())
                else {
                    return Ok(false);
                };
                if lps.len() != tps.len() {
                    return Ok(false);
                }
                for (lp, tp) in lps.zip(tps) {
                    if !types_match_level(l, lp.type_id, t, tp.type_id, behind_ptr, level - 1)? {
                        return Ok(false);
                    }
                }
                lid = lret;
                tid = tret;
            }
            _ => {
                log::warn!("unexpected kind {lk} relocated, local [{li}], target [{ti}]");
                return Ok(false);
            }
        }
    }
}

fn enums_match(l: &BtfView<'_>, lt: &Type<'_>, t: &BtfView<'_>, tt: &Type<'_>) -> bool {
    if lt.size_or_type() != tt.size_or_type() || lt.vlen() > tt.vlen() {
        return false;
    }
    lt.enum_values().all(|lv| {
        let ln = l.btf.name(lv.name).unwrap_or_default();
        tt.enum_values()
            .any(|tv| names_match(ln, t.btf.name(tv.name).unwrap_or_default()))
    })
}

fn composites_match(
    l: &BtfView<'_>,
    lt: &Type<'_>,
    t: &BtfView<'_>,
    tt: &Type<'_>,
    behind_ptr: bool,
    level: i32,
) -> Result<bool, Error> {
    if lt.vlen() > tt.vlen() {
        return Ok(false);
    }
    for lm in lt.members() {
        let ln = l.btf.name(lm.name).unwrap_or_default();
        let mut matched = false;
        for tm in tt.members() {
            if !names_match(ln, t.btf.name(tm.name).unwrap_or_default()) {
                continue;
            }
            if types_match_level(l, lm.type_id, t, tm.type_id, behind_ptr, level - 1)? {
                matched = true;
                break;
            }
        }
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}
