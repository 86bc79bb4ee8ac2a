//! A BPF ELF object model: what a loader (or a CO-RE relocator) needs to know
//! about a relocatable `.o` produced by clang or rustc for `bpfel`/`bpfeb`.
//!
//! [`Object::parse`] reads, in one pass and without copying code:
//!
//! - every [`Section`] with its kind (code, data, `.maps`, `.BTF` …), flags
//!   and file range, so tools can patch bytes in place;
//! - the symbol table ([`Symbol`]);
//! - [`Function`]s: one per `STT_FUNC` symbol in an executable section —
//!   entry programs in their own sections and subprograms in `.text` — as
//!   libbpf discovers them;
//! - ELF relocations of code sections ([`ElfReloc`]): map references,
//!   subprogram calls, global data;
//! - the instructions of each code section ([`Insn`], two slots for
//!   `LD_IMM64`), decoded in the object's byte order;
//! - the raw `.BTF` and `.BTF.ext` bytes, and BTF-defined maps from the
//!   `.maps` section ([`maps::parse_maps`]).
//!
//! Malformed input never panics: errors ([`Error`]) name the section, symbol
//! or byte offset.
//!
//! ```
//! let data = std::fs::read(concat!(
//!     env!("CARGO_MANIFEST_DIR"),
//!     "/../../fixtures/obj/maps_progs.el.o"
//! ))
//! .unwrap();
//! let obj = bpf_obj::Object::parse(&data).unwrap();
//! let xdp = obj.functions().iter().find(|f| obj.section(f.section).name == "xdp").unwrap();
//! assert!(xdp.is_entry);
//! let insns = obj.insns(xdp.section).unwrap();
//! assert!(insns.len() >= xdp.insn_count as usize);
//! ```

#![deny(missing_docs)]

mod error;
mod function;
pub mod insn;
pub mod maps;
mod object;
mod reloc;
mod section;
mod symbol;

pub use crate::error::{Error, Result};
pub use crate::function::Function;
pub use crate::insn::Insn;
pub use crate::object::Object;
pub use crate::reloc::{ElfReloc, RelocType};
pub use crate::section::{Section, SectionIndex, SectionKind};
pub use crate::symbol::{Symbol, SymbolBinding, SymbolIndex, SymbolType};
pub use btf_core::Endian;
