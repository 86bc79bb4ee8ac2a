//! ELF sections of a BPF object and what a loader does with each.

use std::fmt;

/// The index of a section in the ELF section header table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SectionIndex(pub usize);

impl fmt::Display for SectionIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a section holds, by its flags and libbpf's naming conventions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// Instructions (`SHF_EXECINSTR`): `.text` subprograms or a program
    /// section such as `xdp` or `tp_btf/sched_switch`.
    Code,
    /// Initialised writable data (`.data`, `.data.*`): an internal map.
    Data,
    /// Read-only data (`.rodata`, `.rodata.*`): an internal map.
    Rodata,
    /// Zero-initialised data (`.bss`, `.bss.*`, `SHT_NOBITS`): an internal map.
    Bss,
    /// BTF-defined map definitions (`.maps`).
    Maps,
    /// Legacy `struct bpf_map_def` definitions (`maps`).
    LegacyMaps,
    /// `.struct_ops` / `.struct_ops.link` initialisers.
    StructOps,
    /// The `license` string.
    License,
    /// The legacy `version` word.
    Version,
    /// `.BTF`.
    Btf,
    /// `.BTF.ext`.
    BtfExt,
    /// A relocation section (`SHT_REL`/`SHT_RELA`).
    Relocations,
    /// A symbol or string table.
    Table,
    /// DWARF and other debug sections.
    Debug,
    /// Anything else.
    Other,
}

/// One ELF section.
#[derive(Clone, Debug)]
pub struct Section<'data> {
    /// Its index in the section header table.
    pub index: SectionIndex,
    /// Its name (lossily decoded if not UTF-8).
    pub name: String,
    /// What it holds.
    pub kind: SectionKind,
    /// `sh_type`.
    pub sh_type: u32,
    /// `sh_flags`.
    pub flags: u64,
    /// `sh_size`: the size in memory (`.bss` has no file bytes).
    pub size: u64,
    /// `sh_addralign`.
    pub align: u64,
    /// File offset and length of the section's bytes, if it has any.
    pub file_range: Option<(u64, u64)>,
    /// The bytes as stored in the file (empty for `SHT_NOBITS`; still
    /// compressed if the section is `SHF_COMPRESSED`).
    pub data: &'data [u8],
}

/// `SHT_NOBITS`.
pub(crate) const SHT_NOBITS: u32 = 8;
/// `SHT_REL`.
const SHT_REL: u32 = 9;
/// `SHT_RELA`.
const SHT_RELA: u32 = 4;
/// `SHT_SYMTAB`.
const SHT_SYMTAB: u32 = 2;
/// `SHT_STRTAB`.
const SHT_STRTAB: u32 = 3;
/// `SHF_EXECINSTR`.
pub(crate) const SHF_EXECINSTR: u64 = 0x4;
/// `SHF_COMPRESSED`.
pub(crate) const SHF_COMPRESSED: u64 = 0x800;

impl SectionKind {
    /// Classifies a section the way libbpf's `bpf_object__elf_collect` does.
    pub fn classify(name: &str, sh_type: u32, flags: u64) -> SectionKind {
        let prefixed = |base: &str| name == base || name.starts_with(&format!("{base}."));
        match sh_type {
            SHT_REL | SHT_RELA => return SectionKind::Relocations,
            SHT_SYMTAB | SHT_STRTAB => return SectionKind::Table,
            _ => {}
        }
        if flags & SHF_EXECINSTR != 0 {
            return SectionKind::Code;
        }
        match name {
            ".maps" => SectionKind::Maps,
            "maps" => SectionKind::LegacyMaps,
            "license" => SectionKind::License,
            "version" => SectionKind::Version,
            ".BTF" => SectionKind::Btf,
            ".BTF.ext" => SectionKind::BtfExt,
            _ if prefixed(".struct_ops") => SectionKind::StructOps,
            _ if prefixed(".data") => SectionKind::Data,
            _ if prefixed(".rodata") => SectionKind::Rodata,
            _ if prefixed(".bss") || sh_type == SHT_NOBITS => SectionKind::Bss,
            _ if name.starts_with(".debug") || name.starts_with(".llvm") => SectionKind::Debug,
            _ => SectionKind::Other,
        }
    }
}

impl Section<'_> {
    /// Whether the section holds instructions.
    pub fn is_code(&self) -> bool {
        self.kind == SectionKind::Code
    }

    /// Whether the section is `.text` or a per-function `.text.*` section
    /// (rustc), whose functions are subprograms rather than entry programs.
    pub fn is_text(&self) -> bool {
        self.name == ".text" || self.name.starts_with(".text.")
    }

    /// Whether the section is `SHF_COMPRESSED`.
    pub fn is_compressed(&self) -> bool {
        self.flags & SHF_COMPRESSED != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify() {
        assert_eq!(SectionKind::classify("xdp", 1, 0x6), SectionKind::Code);
        assert_eq!(
            SectionKind::classify(".rodata.str1.1", 1, 0x32),
            SectionKind::Rodata
        );
        assert_eq!(SectionKind::classify(".bss", 8, 0x3), SectionKind::Bss);
        assert_eq!(
            SectionKind::classify(".relxdp", 9, 0x40),
            SectionKind::Relocations
        );
        assert_eq!(SectionKind::classify(".maps", 1, 0x3), SectionKind::Maps);
        assert_eq!(
            SectionKind::classify(".database", 1, 0x3),
            SectionKind::Other
        );
    }
}
