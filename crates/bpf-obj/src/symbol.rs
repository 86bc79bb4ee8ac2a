//! ELF symbols of a BPF object.

use std::fmt;

use crate::SectionIndex;

/// The index of a symbol in `.symtab`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymbolIndex(pub usize);

impl fmt::Display for SymbolIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `STT_*`: what a symbol names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolType {
    /// `STT_NOTYPE` (externs, labels).
    NoType,
    /// `STT_OBJECT`: a variable or map.
    Object,
    /// `STT_FUNC`: a program or subprogram.
    Func,
    /// `STT_SECTION`: the section itself.
    Section,
    /// `STT_FILE`.
    File,
    /// Another value.
    Other(u8),
}

/// `STB_*`: a symbol's visibility to the linker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolBinding {
    /// `STB_LOCAL` (`static`).
    Local,
    /// `STB_GLOBAL`.
    Global,
    /// `STB_WEAK` (`__weak`).
    Weak,
    /// Another value.
    Other(u8),
}

/// One `.symtab` entry.
#[derive(Clone, Debug)]
pub struct Symbol {
    /// Index in the symbol table.
    pub index: SymbolIndex,
    /// Name (lossily decoded if not UTF-8); empty for section symbols.
    pub name: String,
    /// `st_value`: byte offset in its section for relocatable objects.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
    /// `STT_*`.
    pub kind: SymbolType,
    /// `STB_*`.
    pub binding: SymbolBinding,
    /// The section it is defined in; `None` for undefined (extern),
    /// absolute and common symbols.
    pub section: Option<SectionIndex>,
}

impl SymbolType {
    /// Decodes the low nibble of `st_info`.
    pub fn from_st_info(st_info: u8) -> SymbolType {
        match st_info & 0x0f {
            0 => SymbolType::NoType,
            1 => SymbolType::Object,
            2 => SymbolType::Func,
            3 => SymbolType::Section,
            4 => SymbolType::File,
            other => SymbolType::Other(other),
        }
    }
}

impl SymbolBinding {
    /// Decodes the high nibble of `st_info`.
    pub fn from_st_info(st_info: u8) -> SymbolBinding {
        match st_info >> 4 {
            0 => SymbolBinding::Local,
            1 => SymbolBinding::Global,
            2 => SymbolBinding::Weak,
            other => SymbolBinding::Other(other),
        }
    }
}
