//! Functions: entry programs and subprograms, from `STT_FUNC` symbols.

use crate::{SectionIndex, SymbolIndex};

/// A function in a code section, as libbpf's `bpf_object__add_programs`
/// finds them: one per `STT_FUNC` symbol, spanning `st_size` bytes from
/// `st_value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// The symbol's name.
    pub name: String,
    /// The symbol.
    pub symbol: SymbolIndex,
    /// The code section.
    pub section: SectionIndex,
    /// Index of the first instruction within the section.
    pub insn_start: u32,
    /// Number of instruction slots.
    pub insn_count: u32,
    /// An entry program (in its own section such as `xdp`) rather than a
    /// subprogram in `.text` (or rustc's per-function `.text.*`).
    pub is_entry: bool,
    /// Whether the symbol is global (or weak) rather than static.
    pub is_global: bool,
}

impl Function {
    /// Whether section-relative instruction `idx` belongs to this function.
    pub fn contains(&self, idx: u32) -> bool {
        idx >= self.insn_start && idx - self.insn_start < self.insn_count
    }

    /// One past the last instruction index.
    pub fn insn_end(&self) -> u32 {
        self.insn_start + self.insn_count
    }
}
