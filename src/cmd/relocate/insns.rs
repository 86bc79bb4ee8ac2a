//! `--dump-insns`: every instruction of every code section after CO-RE
//! (no linking), one line each, in the format the libbpf-oracle comparator
//! reads: `INSN <section> <index> code=0x%02x dst=%u src=%u off=%d imm=%d`.

use std::io::Write;

use anyhow::Result;
use bpf_obj::Object;
use btf_reloc::{patched_sections, ObjectReport};

/// Prints the instructions of `obj` with `rep`'s fixups applied.
pub fn dump(out: &mut impl Write, obj: &Object<'_>, rep: &ObjectReport<'_, '_>) -> Result<()> {
    for (sec, insns) in patched_sections(obj, rep) {
        let name = &obj.section(sec).name;
        for (i, n) in insns.iter().enumerate() {
            writeln!(
                out,
                "INSN {name} {i} code=0x{:02x} dst={} src={} off={} imm={}",
                n.code, n.dst, n.src, n.off, n.imm
            )?;
        }
    }
    Ok(())
}
