//! The CO-RE relocation engine: resolve `.BTF.ext` `core_relo` records of a
//! BPF object against target BTF (a kernel's, plus module BTF) and patch
//! the instructions exactly as libbpf does.
//!
//! The engine is a set of pure functions:
//!
//! 1. [`Target::new`] wraps each target BTF and builds an essential-name
//!    index once (no scan per relocation); [`Targets`] orders them libbpf's
//!    way (main BTF first, modules only when it has no candidate).
//! 2. [`resolve`] turns records into [`Resolution`]s: the local [`Spec`]
//!    parsed from the access string, the candidates matched, the local and
//!    target values ([`CalcResult`]).
//! 3. [`plan`] turns a resolution and the relocated instruction into a
//!    [`Fixup`]: the patched slots, or the poison call, with the status
//!    (ok / poisoned / zeroed).
//!
//! [`relocate_object`] runs all three over a [`bpf_obj::Object`].
//!
//! The algorithm follows libbpf's `src/relo_core.c` and the driver in
//! `src/libbpf.c` (CORE.md §4); deliberate differences are selected by
//! [`Semantics`] and listed in the README. Errors ([`Error`], located by
//! [`RecordError`]) are the cases where libbpf refuses the whole object.
//!
//! ```
//! use btf_core::{Btf, BtfExt};
//! use btf_reloc::{relocate_object, BtfView, Options, Target, Targets};
//!
//! let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/obj/core.el.o")).unwrap();
//! let obj = bpf_obj::Object::parse(&data).unwrap();
//! let btf = Btf::parse(obj.btf().unwrap()).unwrap();
//! let ext = BtfExt::parse(obj.btf_ext().unwrap()).unwrap();
//! // Relocate against the object's own BTF: every field resolves to itself.
//! let targets = Targets::new(Target::new("self", &btf));
//! let report = relocate_object(&obj, &BtfView::new(&btf), &ext, &targets, &Options::default());
//! assert!(!report.has_errors());
//! ```

#![deny(missing_docs)]

mod calc;
mod compat;
mod error;
pub mod explain;
mod matching;
pub mod name;
mod object;
mod patch;
pub mod render;
mod resolve;
mod spec;
mod target;
mod types;

pub use crate::calc::CalcResult;
pub use crate::compat::{fields_compat, types_compat, types_match};
pub use crate::error::{Error, Location, RecordError};
pub use crate::matching::{MatchOutcome, Mismatch, MismatchReason};
pub use crate::object::{patched_sections, relocate_object, ObjectReport, Outcome, RecordReport};
pub use crate::patch::{plan, Fixup, FuncInsns, PoisonReason, SlotPatch, Status, POISON_IMM};
pub use crate::resolve::{
    resolve, CandidateEval, Candidates, Options, Record, Resolution, Semantics,
};
pub use crate::spec::{parse_local, Accessor, Spec, MAX_SPEC_LEN};
pub use crate::target::{Candidate, NameIndex, Target, Targets};
pub use crate::types::BtfView;
