//! Computing a relocation's value from a spec (libbpf's
//! `bpf_core_calc_field_relo`, `bpf_core_calc_type_relo`,
//! `bpf_core_calc_enumval_relo` and `bpf_core_calc_relo`).

use btf_core::ext::CoreReloKind;
use btf_core::types::TypeData;
use btf_core::{Endian, Kind, TypeId};

use crate::spec::Spec;
use crate::types::{int_info, BtfView};
use crate::{Error, Semantics};

/// The local (expected) and target (new) values of one relocation, before
/// looking at the instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CalcResult {
    /// The value computed from the local BTF: what the compiler should have
    /// put in the instruction.
    pub orig_val: u64,
    /// The value computed from the target: what is written.
    pub new_val: u64,
    /// No target: the instruction is to be poisoned.
    pub poison: bool,
    /// Whether the instruction's current value must equal `orig_val`.
    pub validate: bool,
    /// The field's memory size changed in a way a load/store cannot follow
    /// (neither both pointers nor both unsigned integers).
    pub fail_memsz_adjust: bool,
    /// Local memory size of the field (byte_off relocations on non-bitfields).
    pub orig_sz: u32,
    /// Target memory size of the field.
    pub new_sz: u32,
    /// Local field type behind `orig_sz`.
    pub orig_type_id: TypeId,
    /// Target field type behind `new_sz`.
    pub new_type_id: TypeId,
}

/// The outcome of one side (local or target) of a field relocation.
#[derive(Clone, Copy, Debug, Default)]
struct FieldVal {
    val: u64,
    field_sz: u32,
    type_id: TypeId,
    validate: bool,
}

/// Computes local and target values. The relocation kind is the local
/// spec's (a target spec carries the same kind). `targ` is `None` when no
/// candidate matched.
pub(crate) fn calc_relo(
    local: &Spec<'_>,
    l: &BtfView<'_>,
    targ: Option<(&Spec<'_>, &BtfView<'_>)>,
    sem: Semantics,
) -> Result<CalcResult, Error> {
    let kind = local.kind;
    let mut res = CalcResult {
        validate: true,
        ..CalcResult::default()
    };
    let order = match sem {
        Semantics::Btfkit => l.btf.endian(),
        Semantics::Libbpf => Endian::NATIVE,
    };
    if kind.is_field() {
        let lv = field_val(local, l, order)?;
        res.orig_val = lv.val;
        res.orig_sz = lv.field_sz;
        res.orig_type_id = lv.type_id;
        res.validate = lv.validate;
        let tv = match targ {
            Some((s, v)) => field_val(s, v, order)?,
            // Without a target only field_exists has a value (0, "absent");
            // every other field kind poisons the instruction.
            None if kind == CoreReloKind::FieldExists => FieldVal {
                validate: true,
                ..FieldVal::default()
            },
            None => {
                res.poison = true;
                return Ok(res);
            }
        };
        res.new_val = tv.val;
        res.new_sz = tv.field_sz;
        res.new_type_id = tv.type_id;
        if res.orig_sz != res.new_sz {
            let tview = targ.map(|t| t.1).unwrap_or(l);
            res.fail_memsz_adjust = !safe_size_change(l, res.orig_type_id, tview, res.new_type_id);
        }
    } else if kind.is_type() {
        res.orig_val = type_val(local, l)?;
        res.validate = kind != CoreReloKind::TypeIdTarget;
        res.new_val = match targ {
            Some((s, v)) => type_val(s, v)?,
            None => 0,
        };
    } else if kind.is_enumval() {
        res.orig_val = enum_val(local, l, sem)?;
        // Matching only accepts a target that names the enumerator, so
        // `enum_val` succeeds on it; should it not, the instruction is
        // poisoned as if no candidate had matched.
        match targ.and_then(|(s, v)| enum_val(s, v, sem).ok()) {
            Some(v) => res.new_val = v,
            None if kind == CoreReloKind::EnumvalExists => res.new_val = 0,
            None => res.poison = true,
        }
    } else {
        return Err(Error::UnknownKind(kind.to_raw()));
    }
    Ok(res)
}

/// Whether a load/store may change size between the two field types:
/// both pointers, or both integers without the SIGNED encoding (compared
/// for equality, as libbpf: a CHAR|SIGNED int counts as unsigned).
fn safe_size_change(l: &BtfView<'_>, lid: TypeId, t: &BtfView<'_>, tid: TypeId) -> bool {
    let (Some(a), Some(b)) = (l.get(lid), t.get(tid)) else {
        return false;
    };
    match (a.kind(), b.kind()) {
        (Kind::Ptr, Kind::Ptr) => true,
        (Kind::Int, Kind::Int) => {
            let enc = |t: &btf_core::Type<'_>| int_info(t).map_or(0, |i| i.encoding);
            enc(&a) != 1 && enc(&b) != 1
        }
        _ => false,
    }
}

/// Size of the innermost element of `id` after peeling all array
/// dimensions (libbpf ≥ 1.6 memory-size rule).
fn elem_size(v: &BtfView<'_>, id: TypeId) -> Result<u32, Error> {
    let (mut eid, mut t) = v.strip(id)?;
    let mut guard = 0;
    while let Some(TypeData::Array(a)) = t.map(|t| t.data()) {
        (eid, t) = v.strip(a.elem_type)?;
        guard += 1;
        if guard > 64 {
            return Err(Error::TypeLoop { id });
        }
    }
    v.resolve_size(eid).ok_or(Error::NoSize { id: eid })
}

/// One side (local or a matched target) of a field relocation.
fn field_val(spec: &Spec<'_>, v: &BtfView<'_>, order: Endian) -> Result<FieldVal, Error> {
    let kind = spec.kind;
    let mut out = FieldVal {
        validate: true,
        ..FieldVal::default()
    };
    if kind == CoreReloKind::FieldExists {
        out.val = 1;
        return Ok(out);
    }
    let acc = spec
        .accessors
        .last()
        .ok_or(Error::UnknownKind(kind.to_raw()))?;
    if acc.name.is_none() {
        match kind {
            CoreReloKind::FieldByteOffset => {
                out.val = u64::from(spec.bit_offset / 8);
                out.field_sz = elem_size(v, acc.type_id)?;
                out.type_id = acc.type_id;
            }
            CoreReloKind::FieldByteSize => {
                out.val = u64::from(
                    v.resolve_size(acc.type_id)
                        .ok_or(Error::NoSize { id: acc.type_id })?,
                );
            }
            k => return Err(Error::ArrayAccessKind { kind: k.name() }),
        }
        return Ok(out);
    }
    let parent = v.get(acc.type_id);
    let m = parent
        .and_then(|p| p.members().get(acc.index as usize))
        .ok_or(Error::NoSize { id: acc.type_id })?;
    let (field_type_id, mt) = v.strip(m.type_id)?;
    let bit_off = u64::from(spec.bit_offset);
    let mut bit_sz = u64::from(m.bitfield_size());
    let bitfield = bit_sz > 0;
    let (byte_off, byte_sz);
    if bitfield {
        let mut sz = u64::from(mt.map_or(0, |t| t.size_or_type()));
        if sz == 0 {
            return Err(Error::NoSize { id: field_type_id });
        }
        let mut off = bit_off / 8 / sz * sz;
        while bit_off + bit_sz - off * 8 > sz * 8 {
            if sz >= 8 {
                return Err(Error::BitfieldTooBig {
                    bit_offset: spec.bit_offset,
                    bit_size: bit_sz as u32,
                });
            }
            sz *= 2;
            off = bit_off / 8 / sz * sz;
        }
        (byte_off, byte_sz) = (off, sz);
    } else {
        byte_sz = u64::from(
            v.resolve_size(field_type_id)
                .ok_or(Error::NoSize { id: field_type_id })?,
        );
        byte_off = bit_off / 8;
        bit_sz = byte_sz * 8;
    }
    out.validate = !bitfield;
    out.val = match kind {
        CoreReloKind::FieldByteOffset => {
            if !bitfield {
                out.field_sz = elem_size(v, field_type_id)?;
                out.type_id = field_type_id;
            }
            byte_off
        }
        CoreReloKind::FieldByteSize => byte_sz,
        CoreReloKind::FieldSigned => {
            out.validate = true;
            let signed = match mt {
                Some(t) if t.kind().is_enum() => t.kflag(),
                Some(t) => int_info(&t).is_some_and(|i| i.is_signed()),
                None => false,
            };
            u64::from(signed)
        }
        CoreReloKind::FieldLshiftU64 => match order {
            Endian::Little => 64u64.wrapping_sub(bit_off + bit_sz - byte_off * 8),
            Endian::Big => (8u64.wrapping_sub(byte_sz))
                .wrapping_mul(8)
                .wrapping_add(bit_off - byte_off * 8),
        },
        CoreReloKind::FieldRshiftU64 => {
            out.validate = true;
            64u64.wrapping_sub(bit_sz)
        }
        k => return Err(Error::UnknownKind(k.to_raw())),
    };
    Ok(out)
}

/// One side (local or a matched target) of a type relocation.
fn type_val(spec: &Spec<'_>, v: &BtfView<'_>) -> Result<u64, Error> {
    Ok(match spec.kind {
        CoreReloKind::TypeIdTarget | CoreReloKind::TypeIdLocal => u64::from(spec.root.0),
        CoreReloKind::TypeExists | CoreReloKind::TypeMatches => 1,
        CoreReloKind::TypeSize => u64::from(
            v.resolve_size(spec.root)
                .ok_or(Error::NoSize { id: spec.root })?,
        ),
        k => return Err(Error::UnknownKind(k.to_raw())),
    })
}

/// One side (local or a matched target) of an enumerator relocation.
/// Parsing and matching check that the spec names an enumerator; should it
/// not, this is the error parsing gives for that.
fn enum_val(spec: &Spec<'_>, v: &BtfView<'_>, sem: Semantics) -> Result<u64, Error> {
    if spec.kind == CoreReloKind::EnumvalExists {
        return Ok(1);
    }
    let acc = spec.accessors.first();
    let t = acc.and_then(|a| v.get(a.type_id));
    let e = acc
        .zip(t)
        .and_then(|(a, t)| t.enum_values().nth(a.index as usize));
    let (Some(t), Some(e)) = (t, e) else {
        return Err(Error::BadEnumAccess {
            access: spec.access_string(),
            id: acc.map_or(spec.root, |a| a.type_id),
            vlen: t.map_or(0, |t| t.vlen()),
        });
    };
    Ok(match (t.kind(), sem) {
        // libbpf reads `btf_enum.val` as __s32: always sign-extended.
        (Kind::Enum, Semantics::Libbpf) => e.low32() as i32 as i64 as u64,
        _ => e.bits,
    })
}
