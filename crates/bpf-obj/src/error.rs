//! Errors for reading BPF objects.

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What is wrong with a BPF object. Every variant names where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ELF container could not be read.
    #[error("ELF: {0}")]
    Elf(String),
    /// The file is not a 64-bit relocatable object for `EM_BPF`.
    #[error("not a BPF object: {0}")]
    NotBpf(String),
    /// A code section's size is not a multiple of 8 bytes.
    #[error("section {section}: size {size} is not a multiple of 8 (one instruction)")]
    BadCodeSize {
        /// The section name.
        section: String,
        /// Its size in bytes.
        size: u64,
    },
    /// A function symbol does not lie on whole instructions inside its section.
    #[error("symbol {name:?} in section {section}: value {value:#x} size {size:#x} is not whole instructions inside the section ({section_size:#x} bytes)")]
    BadFunction {
        /// The symbol name.
        name: String,
        /// The section name.
        section: String,
        /// `st_value`.
        value: u64,
        /// `st_size`.
        size: u64,
        /// The section's size.
        section_size: u64,
    },
    /// A relocation of a code section is not on an instruction.
    #[error("section {section}: relocation at offset {offset:#x} is not on an instruction")]
    BadReloc {
        /// The relocated section.
        section: String,
        /// `r_offset`.
        offset: u64,
    },
    /// BTF or .BTF.ext could not be read.
    #[error("{0}")]
    Btf(#[from] btf_core::Error),
    /// A map definition in `.maps` is malformed.
    #[error("map {name:?}: {what}")]
    BadMap {
        /// The map (variable) name.
        name: String,
        /// What is wrong.
        what: String,
    },
}
