//! Errors for reading and writing BTF.
//!
//! Every variant carries the location of the problem: a byte offset from the
//! start of the blob being read and, where one is known, the type id. The
//! caller adds the file and section name (`vmlinux.o: section .BTF: …`).

use crate::{Kind, TypeId};

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong while reading or writing BTF or .BTF.ext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The blob is shorter than the fixed part of its header.
    #[error("{len} bytes is too short for a {what} header (needs {need})")]
    TooShort {
        /// `BTF` or `.BTF.ext`.
        what: &'static str,
        /// Bytes available.
        len: usize,
        /// Bytes needed.
        need: usize,
    },
    /// The first two bytes are not `0xEB9F` in either byte order.
    #[error("bad magic {magic:#06x} at offset 0 (expected 0xeb9f)")]
    BadMagic {
        /// The two bytes read as little-endian.
        magic: u16,
    },
    /// A header field has a value btfkit cannot accept.
    #[error("header at offset {offset:#x}: {what}")]
    BadHeader {
        /// Byte offset of the field.
        offset: usize,
        /// What is wrong, with the value.
        what: String,
    },
    /// A section named by the header does not fit in the blob.
    #[error(
        "{section} (offset {start:#x}, {len} bytes) runs past the end of the data ({total} bytes)"
    )]
    SectionOutOfRange {
        /// The section (`type section`, `string section`, `func_info` …).
        section: &'static str,
        /// Absolute start offset.
        start: u64,
        /// Length claimed by the header.
        len: u64,
        /// Size of the blob.
        total: usize,
    },
    /// The string section is malformed.
    #[error("string section at offset {offset:#x}: {what}")]
    BadStrings {
        /// Absolute offset of the string section.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A type record does not fit in the type section.
    #[error("type [{id}] at offset {offset:#x}: {kind} record with vlen {vlen} runs past the end of the type section at {end:#x}")]
    TruncatedType {
        /// The record's type id.
        id: TypeId,
        /// Absolute offset of the record.
        offset: usize,
        /// Its kind.
        kind: Kind,
        /// Its vlen.
        vlen: u32,
        /// Absolute end of the type section.
        end: usize,
    },
    /// A record's kind is unknown and no layout entry gives its size, so the
    /// type stream cannot be followed past it.
    #[error(
        "type [{id}] at offset {offset:#x}: unknown kind {kind} (no layout entry gives its size)"
    )]
    UnknownKind {
        /// The record's type id.
        id: TypeId,
        /// Absolute offset of the record.
        offset: usize,
        /// The kind number.
        kind: u8,
    },
    /// A string offset lies outside the string section(s).
    #[error("type [{id}] at offset {offset:#x}: {what} offset {name_off} is past the string section ({len} bytes)")]
    StringOutOfRange {
        /// The type holding the reference.
        id: TypeId,
        /// Absolute offset of the record.
        offset: usize,
        /// Which name (`name`, `member 3 name` …).
        what: String,
        /// The offending string offset.
        name_off: u32,
        /// Logical size of the string section(s).
        len: u64,
    },
    /// A type reference points past the last type id.
    #[error("type [{id}] at offset {offset:#x}: {what} refers to type [{target}], but the last type id is {last}")]
    TypeIdOutOfRange {
        /// The type holding the reference.
        id: TypeId,
        /// Absolute offset of the record.
        offset: usize,
        /// Which reference (`type`, `member 2 type`, `index type` …).
        what: String,
        /// The offending id.
        target: u32,
        /// The largest valid id.
        last: u32,
    },
    /// More types than a BTF id can address.
    #[error("type section at offset {offset:#x}: more than {max} types")]
    TooManyTypes {
        /// Absolute offset of the record that overflowed.
        offset: usize,
        /// The limit.
        max: u32,
    },
    /// A chain of references loops without passing through a pointer, or is
    /// deeper than btfkit follows.
    #[error("type [{id}]: {what}")]
    BadChain {
        /// Where the walk started.
        id: TypeId,
        /// What went wrong (`reference loop`, `chain deeper than 64`).
        what: &'static str,
    },
    /// A .BTF.ext subsection or record is malformed.
    #[error("{section} at offset {offset:#x}: {what}")]
    BadExt {
        /// `func_info`, `line_info` or `core_relo`.
        section: &'static str,
        /// Absolute offset within .BTF.ext.
        offset: usize,
        /// What is wrong, with values.
        what: String,
    },
    /// Split BTF was given a base in a different byte order.
    #[error("split BTF is {split}-endian but its base is {base}-endian")]
    BaseEndianMismatch {
        /// Byte order of the split BTF.
        split: &'static str,
        /// Byte order of the base.
        base: &'static str,
    },
    /// The ELF file could not be read.
    #[error("ELF: {0}")]
    Elf(String),
    /// The ELF file has no section of that name.
    #[error("no {0} section")]
    MissingSection(&'static str),
    /// The writer cannot encode a type.
    #[error("cannot write type [{id}]: {what}")]
    Write {
        /// The type being written.
        id: TypeId,
        /// Why.
        what: String,
    },
    /// Deduplication cannot process a type (an unknown kind, a reference
    /// loop without a struct, union or typedef, a dangling reference).
    #[error("dedup: type [{id}]: {what}")]
    Dedup {
        /// The type being deduplicated.
        id: TypeId,
        /// Why.
        what: String,
    },
}
