//! BTF-defined maps: the `.maps` section described by the `.maps` DATASEC.
//!
//! Each map is a global variable of an anonymous struct whose members encode
//! attributes in their *types* (libbpf's `bpf_helpers.h` macros):
//! `__uint(name, N)` is `int (*name)[N]` (the number is the array length),
//! `__type(key, T)` is `T *key`, and `__array(values, struct inner)` is a
//! zero-length array of pointers to an inner map definition. This follows
//! libbpf's `parse_btf_map_def` (src/libbpf.c) for the attributes a loader
//! needs; unknown attributes are kept by name so callers can reject them.

use btf_core::types::TypeData;
use btf_core::{Btf, Kind, TypeId};

use crate::{Error, Object, Result, SectionKind};

/// One BTF-defined map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapDef {
    /// The variable's name (the map's name).
    pub name: String,
    /// Byte offset of the definition in `.maps` (from its ELF symbol).
    pub offset: Option<u64>,
    /// The VAR's type: the definition struct.
    pub def_type: TypeId,
    /// `type`: `BPF_MAP_TYPE_*`.
    pub map_type: Option<u32>,
    /// `max_entries`.
    pub max_entries: Option<u32>,
    /// `map_flags`.
    pub map_flags: Option<u32>,
    /// `numa_node`.
    pub numa_node: Option<u32>,
    /// `pinning` (`LIBBPF_PIN_BY_NAME` = 1).
    pub pinning: Option<u32>,
    /// `map_extra`.
    pub map_extra: Option<u32>,
    /// Key size: `key_size`, or the size of the `key` type.
    pub key_size: Option<u32>,
    /// Value size: `value_size`, or the size of the `value` type.
    pub value_size: Option<u32>,
    /// The `key` type.
    pub key_type: Option<TypeId>,
    /// The `value` type.
    pub value_type: Option<TypeId>,
    /// For map-in-map (`__array(values, …)`): the inner map's definition.
    pub inner: Option<Box<MapDef>>,
    /// Members btfkit does not know, by name.
    pub unknown: Vec<String>,
}

/// The maps defined in `.maps`, in DATASEC order. Empty if the object has no
/// `.maps` DATASEC.
pub fn parse_maps(obj: &Object<'_>, btf: &Btf<'_>) -> Result<Vec<MapDef>> {
    let Some(sec) = btf
        .own_types()
        .find(|t| t.kind() == Kind::Datasec && btf.type_name(t) == b".maps")
    else {
        return Ok(Vec::new());
    };
    let maps_sec = obj
        .sections()
        .iter()
        .find(|s| s.kind == SectionKind::Maps)
        .map(|s| s.index);
    let mut out = Vec::new();
    for v in sec.datasec_vars() {
        let Some(var) = btf.get(v.type_id).filter(|t| t.kind() == Kind::Var) else {
            continue;
        };
        let name = String::from_utf8_lossy(btf.type_name(&var)).into_owned();
        let offset = obj
            .symbols()
            .iter()
            .find(|s| s.name == name && s.section.is_some() && s.section == maps_sec)
            .map(|s| s.value);
        let def_type = TypeId(var.size_or_type());
        let mut def = parse_def(btf, &name, def_type, 0)?;
        def.offset = offset;
        out.push(def);
    }
    Ok(out)
}

fn bad(name: &str, what: impl Into<String>) -> Error {
    Error::BadMap {
        name: name.to_string(),
        what: what.into(),
    }
}

fn parse_def(btf: &Btf<'_>, name: &str, def_type: TypeId, depth: u32) -> Result<MapDef> {
    let sid = btf.skip_modifiers(def_type)?;
    let st = btf
        .get(sid)
        .filter(|t| t.kind() == Kind::Struct)
        .ok_or_else(|| bad(name, format!("type [{def_type}] is not a struct")))?;
    let mut def = MapDef {
        name: name.to_string(),
        def_type,
        ..MapDef::default()
    };
    for m in st.members() {
        let mname = String::from_utf8_lossy(btf.name(m.name).unwrap_or_default()).into_owned();
        let uint = || {
            pointed_array_len(btf, m.type_id)
                .ok_or_else(|| bad(name, format!("member {mname} is not __uint(...)")))
        };
        match mname.as_str() {
            "type" => def.map_type = Some(uint()?),
            "max_entries" => def.max_entries = Some(uint()?),
            "map_flags" => def.map_flags = Some(uint()?),
            "numa_node" => def.numa_node = Some(uint()?),
            "pinning" => def.pinning = Some(uint()?),
            "map_extra" => def.map_extra = Some(uint()?),
            "key_size" => def.key_size = Some(uint()?),
            "value_size" => def.value_size = Some(uint()?),
            "key" | "value" => {
                let target = pointee(btf, m.type_id)
                    .ok_or_else(|| bad(name, format!("member {mname} is not __type(...)")))?;
                let size = u32::try_from(btf.resolve_size(target)?).map_err(|_| {
                    bad(
                        name,
                        format!("member {mname}: size does not fit in 32 bits"),
                    )
                })?;
                if mname == "key" {
                    def.key_type = Some(target);
                    def.key_size = Some(size);
                } else {
                    def.value_type = Some(target);
                    def.value_size = Some(size);
                }
            }
            "values" if depth == 0 => {
                let inner = inner_def_type(btf, m.type_id)
                    .ok_or_else(|| bad(name, "member values is not __array(values, ...)"))?;
                if let Some(inner) = inner {
                    let inner_name = format!("{name}.inner");
                    def.inner = Some(Box::new(parse_def(btf, &inner_name, inner, depth + 1)?));
                }
            }
            _ => def.unknown.push(mname),
        }
    }
    Ok(def)
}

/// `int (*x)[N]` → N.
fn pointed_array_len(btf: &Btf<'_>, id: TypeId) -> Option<u32> {
    let arr = pointee(btf, id)?;
    match btf.get(arr)?.data() {
        TypeData::Array(a) => Some(a.nelems),
        _ => None,
    }
}

/// `T *x` → T.
fn pointee(btf: &Btf<'_>, id: TypeId) -> Option<TypeId> {
    let p = btf.skip_modifiers(id).ok()?;
    match btf.get(p)?.data() {
        TypeData::Ptr(t) => Some(t),
        _ => None,
    }
}

/// `struct inner *values[]` → `Some(struct inner)`; `None` if not an array
/// of pointers. A pointer to void (`__array(values, void)`) gives `Some(None)`.
fn inner_def_type(btf: &Btf<'_>, id: TypeId) -> Option<Option<TypeId>> {
    let a = btf.skip_modifiers(id).ok()?;
    let TypeData::Array(arr) = btf.get(a)?.data() else {
        return None;
    };
    let elem = pointee(btf, arr.elem_type)?;
    Some((!elem.is_void()).then_some(elem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_progs_fixture() {
        for f in ["maps_progs.el.o", "maps_progs.eb.o"] {
            let p = format!("{}/../../fixtures/obj/{f}", env!("CARGO_MANIFEST_DIR"));
            let data = std::fs::read(p).unwrap();
            let obj = Object::parse(&data).unwrap();
            let btf = Btf::parse(obj.btf().unwrap()).unwrap();
            let maps = parse_maps(&obj, &btf).unwrap();
            assert!(maps.len() >= 6, "{f}: {maps:?}");
            for m in &maps {
                assert!(m.map_type.is_some(), "{f}: {m:?}");
                assert!(m.offset.is_some(), "{f}: {m:?}");
            }
            assert!(maps.iter().any(|m| m.inner.is_some()), "{f}: no map-in-map");
        }
    }
}
