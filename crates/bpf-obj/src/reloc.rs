//! ELF relocations of code sections (`.rel<section>`).

use crate::{SectionIndex, SymbolIndex};

/// A BPF ELF relocation type (`R_BPF_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelocType {
    /// `R_BPF_NONE` (0).
    None,
    /// `R_BPF_64_64` (1): the 64-bit immediate of an `LD_IMM64` (maps,
    /// global data, function pointers).
    Imm64,
    /// `R_BPF_64_ABS64` (2): a 64-bit data word.
    Abs64,
    /// `R_BPF_64_ABS32` (3): a 32-bit data word.
    Abs32,
    /// `R_BPF_64_NODYLD32` (4): a 32-bit word in `.BTF`/`.BTF.ext`.
    NoDyld32,
    /// `R_BPF_64_32` (10): the `imm` of a call to a subprogram.
    Call32,
    /// Another value.
    Other(u32),
}

impl RelocType {
    /// Decodes `ELF64_R_TYPE`.
    pub fn from_raw(raw: u32) -> RelocType {
        match raw {
            0 => RelocType::None,
            1 => RelocType::Imm64,
            2 => RelocType::Abs64,
            3 => RelocType::Abs32,
            4 => RelocType::NoDyld32,
            10 => RelocType::Call32,
            other => RelocType::Other(other),
        }
    }
}

/// A relocation against an instruction of a code section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfReloc {
    /// The code section it applies to.
    pub section: SectionIndex,
    /// Index of the instruction within the section (`r_offset / 8`).
    pub insn: u32,
    /// The symbol it refers to.
    pub symbol: Option<SymbolIndex>,
    /// The relocation type.
    pub kind: RelocType,
    /// The explicit addend (`SHT_RELA`); 0 for `SHT_REL`, whose addend is
    /// the instruction's own immediate.
    pub addend: i64,
}
