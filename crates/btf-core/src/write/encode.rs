//! Encoding a [`BtfBuilder`] into bytes.

use super::{push_words, Body, BtfBuilder, OwnedType};
use crate::header::MAGIC;
use crate::{Endian, Result, TypeId};

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
    let mut words = Vec::new();
    for (i, t) in b.types.iter().enumerate() {
        encode_type(&mut types, &mut words, t, TypeId(b.first_id + i as u32))?;
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

/// Appends the record of `t` (as type `id`, for errors) in `out`'s byte
/// order: the words [`push_words`] gives, each in that order, then an
/// unknown kind's bytes as they are. `words` is scratch space, reused
/// across records so that this allocates only as it grows.
fn encode_type(out: &mut Out, words: &mut Vec<u32>, t: &OwnedType, id: TypeId) -> Result<()> {
    words.clear();
    push_words(words, t, id)?;
    for &w in words.iter() {
        out.u32(w);
    }
    if let Body::Unknown { data, .. } = &t.body {
        out.buf.extend_from_slice(data);
    }
    Ok(())
}
