//! Loading the DWARF sections: decompression (SHF_COMPRESSED zlib/zstd and
//! GNU `.zdebug_*`) and, for relocatable objects, relocation.
//!
//! Linked files (vmlinux, executables) are used in place, straight from the
//! mapped input. Relocatable objects (`.o`, `.ko`) carry zeros where DWARF
//! holds section offsets and addresses, with the real values in `.rela.*`
//! sections; those sections are copied and patched here.

use std::borrow::Cow;

use gimli::SectionId;
use object::{
    Architecture, CompressionFormat, Object, ObjectSection, ObjectSymbol, RelocationEncoding,
    RelocationFlags, RelocationKind, RelocationTarget,
};
use rustc_hash::FxHashMap;

use crate::{Error, Result};

/// The largest ratio of a compressed section's declared size to its
/// compressed bytes that is believed. DWARF compresses about 4–10:1; a forged
/// `ch_size` in a tiny file must not make the decompressor reserve gigabytes.
const MAX_COMPRESSION_RATIO: u64 = 4096;

/// The DWARF sections btfkit reads.
const SECTIONS: [SectionId; 7] = [
    SectionId::DebugAbbrev,
    SectionId::DebugAddr,
    SectionId::DebugInfo,
    SectionId::DebugLine,
    SectionId::DebugLineStr,
    SectionId::DebugStr,
    SectionId::DebugStrOffsets,
];

/// One loaded DWARF section.
#[derive(Debug, Default)]
pub(crate) struct Loaded<'data> {
    /// The (decompressed, relocated) bytes.
    pub data: Cow<'data, [u8]>,
    /// For relocatable objects: the ELF section that each address-sized
    /// relocation at a given offset points into. This is how a variable's
    /// `DW_OP_addr` (or its `.debug_addr` slot) is placed in a section
    /// when every section starts at address 0.
    pub addr_targets: FxHashMap<u64, usize>,
}

/// Every DWARF section btfkit reads, by gimli's section id.
#[derive(Debug, Default)]
pub(crate) struct DebugSections<'data> {
    sections: FxHashMap<SectionId, Loaded<'data>>,
    /// Relocations that could not be applied (unknown type or out of
    /// range), and all relocations seen.
    pub skipped_relocations: u64,
    pub relocations: u64,
}

impl<'data> DebugSections<'data> {
    /// Loads, decompresses and (for relocatable files) relocates the DWARF
    /// sections of `file`.
    pub fn load(file: &object::File<'data>, relocatable: bool) -> Result<DebugSections<'data>> {
        let mut out = DebugSections::default();
        for id in SECTIONS {
            let Some(section) = file.section_by_name(id.name()) else {
                continue;
            };
            let mut loaded = Loaded {
                data: section_data(&section, id.name())?,
                addr_targets: FxHashMap::default(),
            };
            if relocatable {
                let (skipped, total) = relocate(file, &section, &mut loaded)?;
                out.skipped_relocations += skipped;
                out.relocations += total;
            }
            out.sections.insert(id, loaded);
        }
        if out.get(SectionId::DebugInfo).is_empty() {
            return Err(Error::NoDwarf);
        }
        Ok(out)
    }

    /// Sections given directly.
    pub fn from_raw(raw: &crate::RawDwarf<'data>) -> Result<DebugSections<'data>> {
        let mut out = DebugSections::default();
        for (id, data) in [
            (SectionId::DebugInfo, raw.debug_info),
            (SectionId::DebugAbbrev, raw.debug_abbrev),
            (SectionId::DebugStr, raw.debug_str),
            (SectionId::DebugStrOffsets, raw.debug_str_offsets),
            (SectionId::DebugLine, raw.debug_line),
            (SectionId::DebugLineStr, raw.debug_line_str),
            (SectionId::DebugAddr, raw.debug_addr),
        ] {
            out.sections.insert(
                id,
                Loaded {
                    data: Cow::Borrowed(data),
                    addr_targets: FxHashMap::default(),
                },
            );
        }
        if raw.debug_info.is_empty() {
            return Err(Error::NoDwarf);
        }
        Ok(out)
    }

    /// The bytes of section `id` (empty if the file lacks it).
    pub fn get(&self, id: SectionId) -> &[u8] {
        self.sections.get(&id).map_or(&[], |l| &l.data)
    }

    /// Whether section `id` is a slice of the input file itself (stored
    /// uncompressed and not relocated), rather than a decoded copy.
    pub fn is_input(&self, id: SectionId) -> bool {
        self.sections
            .get(&id)
            .is_some_and(|l| matches!(l.data, Cow::Borrowed(_)))
    }

    /// The ELF section an address-sized relocation at `offset` of section
    /// `id` points into (relocatable files only).
    pub fn addr_target(&self, id: SectionId, offset: u64) -> Option<usize> {
        self.sections.get(&id)?.addr_targets.get(&offset).copied()
    }
}

/// A section's contents, decompressed if needed.
fn section_data<'data>(
    section: &object::Section<'data, '_>,
    name: &str,
) -> Result<Cow<'data, [u8]>> {
    let err = |what: String| Error::Section {
        section: name.to_string(),
        what,
    };
    let compressed = section.compressed_data().map_err(|e| err(e.to_string()))?;
    let packed = compressed.data.len() as u64;
    if compressed.format != CompressionFormat::None
        && compressed.uncompressed_size > packed.saturating_mul(MAX_COMPRESSION_RATIO)
    {
        return Err(err(format!(
            "claims {} bytes uncompressed from {packed} compressed bytes",
            compressed.uncompressed_size
        )));
    }
    compressed.decompress().map_err(|e| err(e.to_string()))
}

/// Applies the relocations of `section` to `loaded`. Returns how many were
/// skipped, and how many there were.
fn relocate<'data>(
    file: &object::File<'data>,
    section: &object::Section<'data, '_>,
    loaded: &mut Loaded<'data>,
) -> Result<(u64, u64)> {
    let mut relocs = section.relocations().peekable();
    if relocs.peek().is_none() {
        return Ok((0, 0));
    }
    let arch = file.architecture();
    let big_endian = !file.is_little_endian();
    let data = loaded.data.to_mut();
    let mut skipped = 0;
    let mut total = 0;
    for (offset, reloc) in relocs {
        total += 1;
        let Some((op, width)) = operation(arch, &reloc) else {
            skipped += 1;
            continue;
        };
        let (value, target_section) = match reloc.target() {
            RelocationTarget::Symbol(idx) => match file.symbol_by_index(idx) {
                Ok(sym) => (sym.address(), sym.section_index().map(|s| s.0)),
                Err(_) => {
                    skipped += 1;
                    continue;
                }
            },
            RelocationTarget::Section(idx) => (0, Some(idx.0)),
            _ => (0, None),
        };
        let Some(slot) = usize::try_from(offset)
            .ok()
            .and_then(|o| data.get_mut(o..o.checked_add(width)?))
        else {
            skipped += 1;
            continue;
        };
        let current = read_uint(slot, big_endian);
        let addend = if reloc.has_implicit_addend() {
            current as i64
        } else {
            reloc.addend()
        };
        let target = value.wrapping_add(addend as u64);
        let new = match op {
            Op::Set => target,
            Op::Add => current.wrapping_add(target),
            Op::Sub => current.wrapping_sub(target),
        };
        write_uint(slot, new, big_endian);
        if let Some(target) = target_section {
            if op == Op::Set && (width == 8 || width == 4) {
                loaded.addr_targets.insert(offset, target);
            }
        }
    }
    Ok((skipped, total))
}

/// What a relocation does to its slot.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    /// Store `S + A`.
    Set,
    /// Add `S + A` (RISC-V's label differences: `ADDn` then `SUBn`).
    Add,
    /// Subtract `S + A`.
    Sub,
}

/// What a relocation btfkit knows how to apply does, and its width in
/// bytes. DWARF only needs absolute values; PC-relative, TLS and
/// instruction relocations are skipped.
fn operation(arch: Architecture, reloc: &object::Relocation) -> Option<(Op, usize)> {
    let raw = match reloc.flags() {
        RelocationFlags::Elf { r_type } => Some(r_type),
        _ => None,
    };
    match (arch, raw) {
        // object maps only BPF's instruction relocations; DWARF uses
        // R_BPF_64_ABS64 (2), R_BPF_64_ABS32 (3), R_BPF_64_NODYLD32 (4).
        (Architecture::Bpf, Some(2)) => return Some((Op::Set, 8)),
        (Architecture::Bpf, Some(3 | 4)) => return Some((Op::Set, 4)),
        (Architecture::Bpf, _) => return None,
        // R_RISCV_ADD8/16/32/64 (33-36), R_RISCV_SUB8/16/32/64 (37-40).
        (Architecture::Riscv64 | Architecture::Riscv32, Some(t @ 33..=40)) => {
            let op = if t <= 36 { Op::Add } else { Op::Sub };
            return Some((op, 1 << ((t - 33) % 4)));
        }
        _ => {}
    }
    if reloc.kind() != RelocationKind::Absolute || reloc.encoding() != RelocationEncoding::Generic {
        return None;
    }
    match reloc.size() {
        64 => Some((Op::Set, 8)),
        32 => Some((Op::Set, 4)),
        16 => Some((Op::Set, 2)),
        _ => None,
    }
}

fn read_uint(bytes: &[u8], big_endian: bool) -> u64 {
    let mut v = 0u64;
    if big_endian {
        for &b in bytes {
            v = v << 8 | u64::from(b);
        }
    } else {
        for &b in bytes.iter().rev() {
            v = v << 8 | u64::from(b);
        }
    }
    v
}

fn write_uint(bytes: &mut [u8], mut v: u64, big_endian: bool) {
    let n = bytes.len();
    for i in 0..n {
        let at = if big_endian { n - 1 - i } else { i };
        bytes[at] = v as u8;
        v >>= 8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint_round_trip_both_orders() {
        for be in [false, true] {
            let mut b = [0u8; 4];
            write_uint(&mut b, 0x1234_5678, be);
            assert_eq!(read_uint(&b, be), 0x1234_5678);
        }
        let mut b = [0u8; 4];
        write_uint(&mut b, 0x1234_5678, false);
        assert_eq!(b, [0x78, 0x56, 0x34, 0x12]);
    }
}
