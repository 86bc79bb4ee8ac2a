//! Read and write BTF (BPF Type Format) and .BTF.ext exactly.
//!
//! `btf-core` is the foundation of btfkit. Its reader is zero-copy: a [`Btf`]
//! borrows the input bytes, records where each type starts in one validating
//! pass, and decodes records lazily into [`Type`] views. The writer
//! ([`BtfBuilder`]) is separate and owns its data; reading and then writing an
//! unmodified input gives back identical bytes.
//!
//! - All 19 kinds, both byte orders, the classic `info` encoding and the 2026
//!   extension (32-byte header, layout section, wider kind/vlen); records of
//!   unknown kinds that the layout section sizes are kept as
//!   [`TypeData::Unknown`].
//! - Split BTF ([`Btf::parse_split`]) on top of a base.
//! - .BTF.ext ([`BtfExt`]): func_info, line_info and CO-RE relocations,
//!   accepting records larger than known.
//! - ELF objects ([`elf::ElfBtf`]): the .BTF and .BTF.ext sections.
//! - Deduplication ([`dedup()`]), libbpf's `btf__dedup` reimplemented, with
//!   id and string maps for fixing up references held outside the BTF.
//!
//! Malformed input never panics and never makes the reader allocate by a count
//! read from the input; errors name the byte offset and type id.
//!
//! ```
//! use btf_core::{Btf, BtfBuilder, Endian, Kind};
//! use btf_core::write::OwnedType;
//!
//! let mut b = BtfBuilder::new();
//! let int = b.add_int("int", 4, btf_core::types::INT_SIGNED, 32);
//! b.add(OwnedType::ptr(int));
//! let bytes = b.write(Endian::Little).unwrap();
//!
//! let btf = Btf::parse(&bytes).unwrap();
//! let t = btf.get(int).unwrap();
//! assert_eq!(t.kind(), Kind::Int);
//! assert_eq!(btf.type_name(&t), b"int");
//! ```

#![deny(missing_docs)]

mod btf;
pub mod cdecl;
pub mod dedup;
pub mod elf;
mod endian;
mod error;
pub mod ext;
pub mod header;
mod id;
mod index;
mod kind;
mod strings;
pub mod types;
pub mod write;

pub use crate::btf::{Btf, MAX_CHAIN, MAX_TYPES};
pub use crate::dedup::{dedup, dedup_btf, dedup_packed, DedupOptions, Deduped};
pub use crate::endian::Endian;
pub use crate::error::{Error, Result};
pub use crate::ext::BtfExt;
pub use crate::id::{StrOffset, TypeId};
pub use crate::index::BtfIndex;
pub use crate::kind::Kind;
pub use crate::strings::Strings;
pub use crate::types::{Type, TypeData};
pub use crate::write::BtfBuilder;
