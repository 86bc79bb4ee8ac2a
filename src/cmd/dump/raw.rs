//! The raw listing, byte-identical to `bpftool btf dump file FILE` (bpftool
//! ≥ 7.1, `format raw`), quirks included: the comma after a VAR's type id,
//! the `(KIND 'name')` suffix on DATASEC entries, enum values printed by the
//! signedness flag, `LL`/`ULL` only on ENUM64, DECL_TAG/TYPE_TAG kflag never
//! shown, names never escaped.

use std::io::Write;

use anyhow::Result;
use btf_core::types::{Linkage, INT_BOOL, INT_CHAR, INT_SIGNED};
use btf_core::{Btf, Kind, StrOffset, Type, TypeData};

use super::{selected_ids, Selection};
use crate::output::style::{Role, Style};
use crate::output::{self, flush_if_full, push_num};

/// Prints the selected types.
pub fn run(btf: &Btf<'_>, sel: &Selection, style: Style) -> Result<i32> {
    let mut w = output::stdout();
    let mut buf = Vec::with_capacity(256 * 1024);
    let r = Renderer { btf, style };
    for id in selected_ids(btf, sel) {
        if let Some(t) = btf.get(id) {
            r.type_record(&mut buf, &t);
        }
        flush_if_full(&mut buf, &mut w)?;
    }
    w.write_all(&buf)?;
    w.flush()?;
    Ok(crate::exit::SUCCESS)
}

/// Renders types in bpftool's raw format.
pub struct Renderer<'b, 'a> {
    /// The BTF the types come from.
    pub btf: &'b Btf<'a>,
    /// Colour.
    pub style: Style,
}

impl Renderer<'_, '_> {
    /// Appends one type's lines, ending with a newline.
    pub fn type_record(&self, out: &mut Vec<u8>, t: &Type<'_>) {
        let s = self.style;
        out.push(b'[');
        let mut b = itoa::Buffer::new();
        s.push(out, Role::Id, b.format(t.id().0).as_bytes());
        out.extend_from_slice(b"] ");
        s.push(out, Role::Kind, t.kind().name().as_bytes());
        out.extend_from_slice(b" '");
        self.name(out, t.name_off());
        out.push(b'\'');
        self.details(out, t);
        out.push(b'\n');
    }

    fn name(&self, out: &mut Vec<u8>, off: StrOffset) {
        match self.btf.name(off) {
            Some(n) if !n.is_empty() => self.style.push(out, Role::Name, n),
            Some(_) => out.extend_from_slice(b"(anon)"),
            None => out.extend_from_slice(b"(invalid)"),
        }
    }

    fn field(&self, out: &mut Vec<u8>, key: &str, v: impl itoa::Integer) {
        out.push(b' ');
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        push_num(out, v);
    }

    fn details(&self, out: &mut Vec<u8>, t: &Type<'_>) {
        let size = t.size_or_type();
        match t.data() {
            TypeData::Int(i) => {
                self.field(out, "size", size);
                self.field(out, "bits_offset", i.offset);
                self.field(out, "nr_bits", i.bits);
                out.extend_from_slice(b" encoding=");
                out.extend_from_slice(match i.encoding {
                    0 => b"(none)".as_slice(),
                    INT_SIGNED => b"SIGNED",
                    INT_CHAR => b"CHAR",
                    INT_BOOL => b"BOOL",
                    _ => b"UNKN",
                });
            }
            TypeData::Ptr(r)
            | TypeData::Typedef(r)
            | TypeData::Volatile(r)
            | TypeData::Const(r)
            | TypeData::Restrict(r)
            | TypeData::TypeTag(r) => self.field(out, "type_id", r.0),
            TypeData::Array(a) => {
                self.field(out, "type_id", a.elem_type.0);
                self.field(out, "index_type_id", a.index_type.0);
                self.field(out, "nr_elems", a.nelems);
            }
            TypeData::Struct(members) | TypeData::Union(members) => {
                self.field(out, "size", size);
                self.field(out, "vlen", t.vlen());
                for m in members {
                    out.extend_from_slice(b"\n\t'");
                    self.name(out, m.name);
                    out.push(b'\'');
                    self.field(out, "type_id", m.type_id.0);
                    self.field(out, "bits_offset", m.bit_offset());
                    if m.bitfield_size() != 0 {
                        self.field(out, "bitfield_size", m.bitfield_size());
                    }
                }
            }
            TypeData::Enum(values) | TypeData::Enum64(values) => {
                let is64 = t.kind() == Kind::Enum64;
                out.extend_from_slice(if t.kflag() {
                    b" encoding=SIGNED".as_slice()
                } else {
                    b" encoding=UNSIGNED"
                });
                self.field(out, "size", size);
                self.field(out, "vlen", t.vlen());
                for v in values {
                    out.extend_from_slice(b"\n\t'");
                    self.name(out, v.name);
                    out.extend_from_slice(b"' val=");
                    match (is64, t.kflag()) {
                        (false, true) => push_num(out, v.low32() as i32),
                        (false, false) => push_num(out, v.low32()),
                        (true, true) => {
                            push_num(out, v.bits as i64);
                            out.extend_from_slice(b"LL");
                        }
                        (true, false) => {
                            push_num(out, v.bits);
                            out.extend_from_slice(b"ULL");
                        }
                    }
                }
            }
            TypeData::Fwd(union) => {
                out.extend_from_slice(if union {
                    b" fwd_kind=union".as_slice()
                } else {
                    b" fwd_kind=struct"
                });
            }
            TypeData::Func(proto, linkage) => {
                self.field(out, "type_id", proto.0);
                linkage_field(out, b" linkage=", linkage);
            }
            TypeData::FuncProto(ret, params) => {
                self.field(out, "ret_type_id", ret.0);
                self.field(out, "vlen", t.vlen());
                for p in params {
                    out.extend_from_slice(b"\n\t'");
                    self.name(out, p.name);
                    out.push(b'\'');
                    self.field(out, "type_id", p.type_id.0);
                }
            }
            TypeData::Var(ty, linkage) => {
                self.field(out, "type_id", ty.0);
                linkage_field(out, b", linkage=", linkage);
            }
            TypeData::Datasec(vars) => {
                self.field(out, "size", size);
                self.field(out, "vlen", t.vlen());
                for v in vars {
                    out.extend_from_slice(b"\n\ttype_id=");
                    push_num(out, v.type_id.0);
                    self.field(out, "offset", v.offset);
                    self.field(out, "size", v.size);
                    if let Some(target) = self.btf.get(v.type_id) {
                        out.extend_from_slice(b" (");
                        out.extend_from_slice(target.kind().name().as_bytes());
                        out.extend_from_slice(b" '");
                        self.name(out, target.name_off());
                        out.extend_from_slice(b"')");
                    }
                }
            }
            TypeData::Float => self.field(out, "size", size),
            TypeData::DeclTag(ty, idx) => {
                self.field(out, "type_id", ty.0);
                self.field(out, "component_idx", idx);
            }
            TypeData::Unknown(_) => {}
        }
    }
}

fn linkage_field(out: &mut Vec<u8>, prefix: &[u8], linkage: Linkage) {
    out.extend_from_slice(prefix);
    out.extend_from_slice(linkage.name().as_bytes());
}
