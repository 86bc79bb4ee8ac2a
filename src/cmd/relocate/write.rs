//! Writing the relocated object: the input bytes with the patched
//! instruction slots written in place and the `.BTF.ext` header's
//! `core_relo_len` set to 0 (func_info and line_info kept, section sizes
//! unchanged), so a loader does not run CO-RE again.

use anyhow::{bail, Context, Result};
use bpf_obj::Object;
use btf_core::BtfExt;
use btf_reloc::ObjectReport;

/// Offset of `core_relo_len` in the .BTF.ext header.
const CORE_RELO_LEN: usize = 28;

/// The relocated file's bytes.
pub fn relocated_object(
    obj: &Object<'_>,
    ext: Option<&BtfExt<'_>>,
    rep: &ObjectReport<'_, '_>,
) -> Result<Vec<u8>> {
    let mut out = obj.as_bytes().to_vec();
    let e = obj.endian();
    for (r, fx) in rep.fixups() {
        let Some(sec) = r.section else { continue };
        for slot in fx.slots() {
            let off = obj.insn_file_offset(sec, slot.insn).with_context(|| {
                format!(
                    "{}: instruction #{} has no file bytes",
                    r.location, slot.insn
                )
            })? as usize;
            out[off..off + 8].copy_from_slice(&slot.new.encode(e));
        }
    }
    let Some(ext) = ext else {
        return Ok(out);
    };
    if ext.core_relo().is_empty() {
        return Ok(out);
    }
    let Some(sec) = obj.btf_ext_section() else {
        bail!(".BTF.ext is compressed or has no file bytes: cannot remove its core_relo records in place");
    };
    let Some((start, _)) = sec.file_range else {
        bail!(".BTF.ext has no file bytes");
    };
    if ext.header().hdr_len < 32 {
        return Ok(out);
    }
    let at = start as usize + CORE_RELO_LEN;
    out[at..at + 4].copy_from_slice(&e.u32_bytes(0));
    Ok(out)
}
