//! Encoding a [`BtfBuilder`] into bytes.

use super::{Body, BtfBuilder, OwnedType};
use crate::header::MAGIC;
use crate::types::INFO_VLEN_MASK;
use crate::{Endian, Error, Result, TypeId};

struct Out {
    buf: Vec<u8>,
    e: Endian,
}

impl Out {
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&self.e.u32_bytes(v));
    }
}

pub(super) fn write(b: &BtfBuilder, endian: Endian) -> Result<Vec<u8>> {
    let mut types = Out {
        buf: Vec::with_capacity(b.types.len() * 24),
        e: endian,
    };
    for (i, t) in b.types.iter().enumerate() {
        encode_type(&mut types, t, TypeId(b.first_id + i as u32))?;
    }
    let layout: &[u8] = b.layout.as_deref().unwrap_or(&[]);
    let strings = b.strings.as_bytes();
    let hdr_len = b.hdr_len;
    let type_len = types.buf.len() as u32;
    let mut out = Out {
        buf: Vec::with_capacity(hdr_len as usize + types.buf.len() + layout.len() + strings.len()),
        e: endian,
    };
    out.buf.extend_from_slice(&endian.u16_bytes(MAGIC));
    out.buf.push(1); // version
    out.buf.push(0); // flags
    out.u32(hdr_len);
    out.u32(0); // type_off
    out.u32(type_len);
    out.u32(type_len + layout.len() as u32); // str_off
    out.u32(strings.len() as u32);
    if hdr_len >= 32 {
        out.u32(if layout.is_empty() { 0 } else { type_len });
        out.u32(layout.len() as u32);
    }
    out.buf.extend_from_slice(&types.buf);
    out.buf.extend_from_slice(layout);
    out.buf.extend_from_slice(strings);
    Ok(out.buf)
}

fn encode_type(out: &mut Out, t: &OwnedType, id: TypeId) -> Result<()> {
    let vlen = t.vlen();
    if vlen > INFO_VLEN_MASK {
        return Err(Error::Write {
            id,
            what: format!("vlen {vlen} does not fit in 24 bits"),
        });
    }
    let info = u32::from(t.kflag) << 31 | u32::from(t.kind.to_raw() & 0x7f) << 24 | vlen;
    out.u32(t.name.0);
    out.u32(info);
    out.u32(t.size_or_type);
    match &t.body {
        Body::None | Body::Func(_) => {}
        Body::Int(raw) => out.u32(*raw),
        Body::Array(a) => {
            out.u32(a.elem_type.0);
            out.u32(a.index_type.0);
            out.u32(a.nelems);
        }
        Body::Members(ms) => {
            for m in ms {
                out.u32(m.name.0);
                out.u32(m.type_id.0);
                out.u32(m.raw_offset);
            }
        }
        Body::Enum(vs) => {
            for (n, v) in vs {
                out.u32(n.0);
                out.u32(*v);
            }
        }
        Body::Enum64(vs) => {
            for (n, v) in vs {
                out.u32(n.0);
                out.u32(*v as u32);
                out.u32((*v >> 32) as u32);
            }
        }
        Body::Params(ps) => {
            for p in ps {
                out.u32(p.name.0);
                out.u32(p.type_id.0);
            }
        }
        Body::Var(l) => out.u32(l.to_raw()),
        Body::Datasec(vs) => {
            for v in vs {
                out.u32(v.type_id.0);
                out.u32(v.offset);
                out.u32(v.size);
            }
        }
        Body::DeclTag(idx) => out.u32(*idx as u32),
        Body::Unknown { data, .. } => out.buf.extend_from_slice(data),
    }
    Ok(())
}
