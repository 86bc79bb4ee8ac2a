//! DWARF → BTF: what `pahole -J` does, in Rust, including Rust enums.
//!
//! [`encode`] reads the DWARF (versions 2–5, compressed or not, relocatable
//! or linked) of an ELF file — vmlinux, a kernel module, a C or Rust object
//! or program — and returns the BTF as a [`PackedBtf`] ready to be
//! deduplicated ([`btf_core::dedup::dedup_packed`]) and written.
//!
//! How DWARF maps to BTF follows pahole where pahole is right and LLVM's BPF
//! backend where pahole is not (see `DWARF2BTF.md`):
//!
//! - INT (with pahole's and LLVM's signed `char`), FLOAT, PTR (never named,
//!   even though rustc names pointers), CONST/VOLATILE/RESTRICT, TYPEDEF;
//!   `_Atomic` is dropped, C++ references are pointers.
//! - Multi-dimensional arrays are nested ARRAYs, outermost first (pahole
//!   flattens them).
//! - STRUCT/UNION with bitfields (kflag when a member needs it), members
//!   sorted by offset (the kernel rejects decreasing offsets; rustc
//!   reorders fields), FWD for declarations.
//! - ENUM/ENUM64 with signedness from the underlying type.
//! - Rust enums (`DW_TAG_variant_part`) as LLVM 22 encodes them: a STRUCT
//!   holding one anonymous UNION of the discriminant and one STRUCT per
//!   variant; discriminants not at offset 0 are wrapped so that the kernel
//!   accepts the union (module [`variant`] documents the shape).
//! - `btf_decl_tag` and `btf_type_tag` from clang's annotations.
//! - FUNCs with their real linkage, and VARs in one DATASEC per section;
//!   for the kernel, pahole's choice of functions and per-CPU variables.
//! - Anything without a BTF form becomes a placeholder with a warning
//!   (an empty struct of the right size, or void); conversion never aborts
//!   on unknown DWARF, only on malformed DWARF.
//!
//! Units are decoded in parallel and merged in unit order, so the output
//! does not depend on the number of threads.
//!
//! The result is not deduplicated: every unit contributes its own copy of
//! the types it uses, exactly as pahole's encoder produces them before it
//! calls `btf__dedup`.

#![deny(missing_docs)]
// DWARF constants keep their specification names (DW_TAG_member).
#![allow(non_upper_case_globals)]

mod attrs;
mod context;
mod driver;
mod elf;
mod elf_output;
mod error;
mod finish;
mod funcs;
mod ids;
mod lower;
mod merge;
mod model;
mod names;
mod naming;
mod sections;
mod strtab;
mod tags;
mod types;
mod unit;
pub mod variant;
mod vars;

use std::collections::BTreeMap;

use btf_core::dedup::{DedupOptions, DedupStream, Deduped};
use btf_core::write::PackedBtf;
use btf_core::{Btf, Endian};
use gimli::{Dwarf, EndianSlice, RunTimeEndian};

pub use crate::elf_output::with_btf_section;
pub use crate::error::{Error, Result};
pub use crate::names::{is_valid_identifier, sanitize, RustNames, MAX_NAME_LEN};

use crate::context::{Ctx, Selection};
use crate::elf::ElfInfo;
use crate::sections::DebugSections;

/// Which functions and variables to encode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// `Kernel` for vmlinux and kernel modules (recognised by a
    /// `linux_banner` symbol or a `.gnu.linkonce.this_module` section),
    /// else `Program`.
    #[default]
    Auto,
    /// pahole's choice: FUNCs for functions with a defined `STT_FUNC`
    /// symbol of the same name and named parameters, one per name (the
    /// first unit wins); VARs only for per-CPU variables (`.data..percpu`).
    Kernel,
    /// Every function with code becomes a FUNC, every variable with static
    /// storage a VAR, in one DATASEC per ELF section (what LLVM's BPF
    /// backend does for a BPF object).
    Program,
}

/// How multi-dimensional arrays (`int m[3][4]`) are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Arrays {
    /// `Flat` for split BTF over a base whose arrays are flat (every
    /// pahole-made vmlinux BTF), else `Nested`: module types must be
    /// encoded like the base's to deduplicate against them.
    #[default]
    Auto,
    /// ARRAY 3 of ARRAY 4 of int, as LLVM's BPF backend emits them.
    Nested,
    /// ARRAY 12 of int, as pahole emits them.
    Flat,
}

/// Conversion options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Worker threads for decoding units; 0 means one per CPU.
    pub jobs: usize,
    /// Which functions and variables to encode.
    pub mode: Mode,
    /// What to do with names the kernel rejects.
    pub rust_names: RustNames,
    /// How multi-dimensional arrays are encoded.
    pub arrays: Arrays,
}

/// Reports progress through the units (implemented by the CLI with a
/// progress bar; [`NoProgress`] does nothing).
pub trait Progress: Sync {
    /// Called once with the number of units.
    fn start(&self, _units: u64) {}
    /// Called as units are merged, with the number merged so far.
    fn advance(&self, _done: u64) {}
    /// Called when all units are done (or on error).
    fn finish(&self) {}
    /// Called with a part of the input (the start of `.debug_info`, when
    /// the file stores it uncompressed and needs no relocation) that will
    /// not be read again. A caller that mapped the input may let the kernel
    /// drop those pages: on vmlinux that is most of the 164 MB of
    /// `.debug_info`, which would otherwise stay resident until the end.
    fn done_with(&self, _input: &[u8]) {}
}

/// A [`Progress`] that reports nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Counts describing one conversion.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Compilation units read.
    pub units: u64,
    /// DIEs read.
    pub dies: u64,
    /// Types in the output before deduplication.
    pub types: u64,
    /// Functions considered for FUNCs.
    pub func_candidates: u64,
    /// Functions skipped because a parameter has no name (kernel mode).
    pub funcs_unnamed_params: u64,
    /// FUNCs emitted.
    pub funcs: u64,
    /// VARs emitted.
    pub vars: u64,
    /// Relocations in DWARF sections that could not be applied (TLS
    /// offsets, for instance, which nothing here needs), and all of them.
    pub skipped_relocations: u64,
    /// Relocations in DWARF sections.
    pub relocations: u64,
    /// Time spent decoding units, summed over the workers (seconds).
    pub decode_seconds: f64,
    /// Time the merging thread spent merging (seconds).
    pub merge_seconds: f64,
    /// Time the merging thread spent deduplicating units as they were
    /// merged ([`encode_dedup`]; seconds).
    pub dedup_seconds: f64,
    /// Problems worked around, by category: count and one example.
    pub warnings: BTreeMap<&'static str, (u64, String)>,
}

impl Stats {
    fn warn(&mut self, category: &'static str, detail: String) {
        let e = self.warnings.entry(category).or_insert((0, String::new()));
        e.0 += 1;
        if e.1.is_empty() {
            e.1 = detail;
        }
    }
}

/// The result of [`encode`].
#[derive(Debug)]
pub struct Encoded {
    /// The BTF, not deduplicated, in wire layout (a vmlinux has millions
    /// of types before deduplication).
    pub builder: PackedBtf,
    /// The byte order of the input, which the BTF should be written in.
    pub endian: Endian,
    /// Whether kernel rules were used.
    pub kernel: bool,
    /// What happened.
    pub stats: Stats,
}

/// Converts the DWARF of the ELF file `data` to BTF. With `base`, the result
/// is split BTF on top of it (for a kernel module over vmlinux).
pub fn encode(
    data: &[u8],
    options: &Options,
    base: Option<&Btf<'_>>,
    progress: &dyn Progress,
) -> Result<Encoded> {
    let file = object::File::parse(data).map_err(|e| Error::Elf(e.to_string()))?;
    let elf = ElfInfo::new(&file)?;
    let sections = DebugSections::load(&file, elf.relocatable)?;
    convert(&elf, &sections, options, base, progress, None)
}

/// The result of [`encode_dedup`].
#[derive(Debug)]
pub struct EncodedDeduped {
    /// The deduplicated BTF, with its id and string maps.
    pub deduped: Deduped,
    /// The byte order of the input, which the BTF should be written in.
    pub endian: Endian,
    /// Whether kernel rules were used.
    pub kernel: bool,
    /// What happened ([`Stats::types`] counts the types before
    /// deduplication).
    pub stats: Stats,
}

/// When [`encode_dedup`] deduplicates. The result is the same either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Schedule {
    /// [`Schedule::Overlapped`] when the decoding workers leave a core free
    /// (`jobs` below the number of cores), else [`Schedule::After`].
    #[default]
    Auto,
    /// The calling thread deduplicates the types of merged units as far as
    /// it can while later units are still being decoded ([`DedupStream`]).
    /// With every core decoding, that only slows the decoders down
    /// (measured on vmlinux with 2 cores: more CPU time in all, as both
    /// compete for the caches).
    Overlapped,
    /// Deduplication follows the conversion.
    After,
}

/// [`encode`], then deduplication with `dedup`: the result of
/// [`dedup_packed`](btf_core::dedup::dedup_packed) on what [`encode`]
/// returns, scheduled as `schedule` says.
///
/// # Errors
///
/// As for [`encode`]; [`Error::Btf`] if deduplication fails.
pub fn encode_dedup(
    data: &[u8],
    options: &Options,
    dedup: &DedupOptions,
    schedule: Schedule,
    base: Option<&Btf<'_>>,
    progress: &dyn Progress,
) -> Result<EncodedDeduped> {
    let file = object::File::parse(data).map_err(|e| Error::Elf(e.to_string()))?;
    let elf = ElfInfo::new(&file)?;
    let sections = DebugSections::load(&file, elf.relocatable)?;
    convert_dedup(&elf, &sections, options, dedup, schedule, base, progress)
}

/// [`encode_dedup`] on loaded sections.
fn convert_dedup(
    elf: &ElfInfo<'_>,
    sections: &DebugSections<'_>,
    options: &Options,
    dedup: &DedupOptions,
    schedule: Schedule,
    base: Option<&Btf<'_>>,
    progress: &dyn Progress,
) -> Result<EncodedDeduped> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let overlapped = match schedule {
        Schedule::Auto => jobs(options) < cores,
        Schedule::Overlapped => true,
        Schedule::After => false,
    };
    let (encoded, deduped) = if overlapped {
        let mut stream = DedupStream::new(base, dedup)?;
        let encoded = convert(elf, sections, options, base, progress, Some(&mut stream))?;
        let deduped = stream.finish(encoded.builder)?;
        ((encoded.stats, encoded.endian, encoded.kernel), deduped)
    } else {
        let encoded = convert(elf, sections, options, base, progress, None)?;
        let deduped = btf_core::dedup::dedup_packed(encoded.builder, base, dedup)?;
        ((encoded.stats, encoded.endian, encoded.kernel), deduped)
    };
    let (stats, endian, kernel) = encoded;
    Ok(EncodedDeduped {
        deduped,
        endian,
        kernel,
        stats,
    })
}

/// DWARF sections given directly, without an ELF file around them (tests,
/// fuzzing). Absent sections are empty. Without an ELF section table no
/// variable can be placed, so there are no VARs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawDwarf<'a> {
    /// `.debug_info`.
    pub debug_info: &'a [u8],
    /// `.debug_abbrev`.
    pub debug_abbrev: &'a [u8],
    /// `.debug_str`.
    pub debug_str: &'a [u8],
    /// `.debug_str_offsets`.
    pub debug_str_offsets: &'a [u8],
    /// `.debug_line`.
    pub debug_line: &'a [u8],
    /// `.debug_line_str`.
    pub debug_line_str: &'a [u8],
    /// `.debug_addr`.
    pub debug_addr: &'a [u8],
    /// The sections are big-endian.
    pub big_endian: bool,
}

/// Converts DWARF sections given directly (see [`RawDwarf`]).
pub fn encode_dwarf(raw: &RawDwarf<'_>, options: &Options) -> Result<Encoded> {
    let elf = ElfInfo::synthetic(raw.big_endian);
    let sections = DebugSections::from_raw(raw)?;
    convert(&elf, &sections, options, None, &NoProgress, None)
}

/// [`encode_dwarf`], then deduplication, as [`encode_dedup`] does.
///
/// # Errors
///
/// As for [`encode_dedup`].
pub fn encode_dwarf_dedup(
    raw: &RawDwarf<'_>,
    options: &Options,
    dedup: &DedupOptions,
    schedule: Schedule,
) -> Result<EncodedDeduped> {
    let elf = ElfInfo::synthetic(raw.big_endian);
    let sections = DebugSections::from_raw(raw)?;
    convert_dedup(&elf, &sections, options, dedup, schedule, None, &NoProgress)
}

/// Types the streaming dedup is fed at a time: feeding unit by unit costs
/// more (each batch starts with cold caches) for no gain in overlap.
const STREAM_BATCH: usize = 1 << 16;

/// Decodes and merges every unit. With `stream`, each unit's types go to it
/// as soon as they are final (no reference into a later unit waits for a
/// fix-up); the rest stay in the returned builder.
fn convert(
    elf: &ElfInfo<'_>,
    sections: &DebugSections<'_>,
    options: &Options,
    base: Option<&Btf<'_>>,
    progress: &dyn Progress,
    mut stream: Option<&mut DedupStream<'_>>,
) -> Result<Encoded> {
    let endian = if elf.big_endian {
        RunTimeEndian::Big
    } else {
        RunTimeEndian::Little
    };
    let mut dwarf =
        Dwarf::load(|id| -> Result<_> { Ok(EndianSlice::new(sections.get(id), endian)) })?;
    dwarf.populate_abbreviations_cache(gimli::AbbreviationsCacheStrategy::Duplicates);
    let headers = unit_headers(&dwarf)?;
    let selection = match options.mode {
        Mode::Kernel => Selection::Kernel,
        Mode::Program => Selection::Program,
        Mode::Auto if elf.is_kernel => Selection::Kernel,
        Mode::Auto => Selection::Program,
    };
    let debug_str = sections.get(gimli::SectionId::DebugStr);
    let (builder, preload) = strtab::preloaded(base, debug_str, stream.is_some());
    let flatten_arrays = match options.arrays {
        Arrays::Nested => false,
        Arrays::Flat => true,
        Arrays::Auto => base.is_some_and(has_flat_arrays),
    };
    let ctx = Ctx {
        dwarf,
        sections,
        elf,
        selection,
        rust_names: options.rust_names,
        flatten_arrays,
        headers,
        strings: lower::StrTarget {
            debug_str,
            preload: preload.as_ref(),
        },
    };
    let mut merger = merge::Merger::new(
        builder,
        selection,
        strtab::Canonical::new(preload.as_ref(), debug_str.len()),
    );
    let jobs = jobs(options);
    let decode = std::sync::Mutex::new(0f64);
    let mut merge_time = 0f64;
    let mut dedup_time = 0f64;
    driver::run(&ctx, jobs, progress, &decode, |unit| {
        let t = std::time::Instant::now();
        merger.add(unit)?;
        merge_time += t.elapsed().as_secs_f64();
        if let Some(s) = stream.as_deref_mut() {
            if let Some(settled) = merger.flushable(STREAM_BATCH) {
                let t = std::time::Instant::now();
                s.feed_packed(settled)?;
                dedup_time += t.elapsed().as_secs_f64();
            }
        }
        Ok(())
    })?;
    let (builder, mut stats) = merger.finish(elf)?;
    stats.skipped_relocations = sections.skipped_relocations;
    stats.relocations = sections.relocations;
    stats.decode_seconds = decode.into_inner().unwrap_or_else(|e| e.into_inner());
    stats.merge_seconds = merge_time;
    stats.dedup_seconds = dedup_time;
    Ok(Encoded {
        builder,
        endian: if elf.big_endian {
            Endian::Big
        } else {
            Endian::Little
        },
        kernel: selection == Selection::Kernel,
        stats,
    })
}

/// Decoding workers: `options.jobs`, or one per core.
fn jobs(options: &Options) -> usize {
    match options.jobs {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Whether a BTF's arrays are flattened: it has arrays, and none of an
/// array (pahole's encoding).
fn has_flat_arrays(btf: &Btf<'_>) -> bool {
    let mut arrays = false;
    for t in btf.types() {
        if let btf_core::TypeData::Array(a) = t.data() {
            arrays = true;
            if btf
                .get(a.elem_type)
                .is_some_and(|e| e.kind() == btf_core::Kind::Array)
            {
                return false;
            }
        }
    }
    arrays
}

/// Every compilation unit header, in order.
fn unit_headers<'a>(dwarf: &Dwarf<attrs::R<'a>>) -> Result<Vec<gimli::UnitHeader<attrs::R<'a>>>> {
    let mut headers = Vec::new();
    let mut iter = dwarf.units();
    loop {
        let at = headers.last().map_or(0, |h: &gimli::UnitHeader<_>| {
            context::unit_start(h) + h.length_including_self() as u64
        });
        match iter.next() {
            Ok(Some(h)) => headers.push(h),
            Ok(None) => return Ok(headers),
            Err(e) => return Err(Error::dwarf(at, e)),
        }
    }
}
