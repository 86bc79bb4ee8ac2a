//! `btfkit dwarf2btf`: generate BTF from DWARF, like `pahole -J`.
//!
//! The conversion itself is `btf-dwarf`'s; this module reads the input and
//! the optional base, runs the conversion with a progress bar on a
//! terminal, deduplicates (libbpf's algorithm, `btf_core::dedup`) and
//! writes raw BTF and/or an ELF copy with a `.BTF` section.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use btf_core::dedup::DedupOptions;
use btf_core::{BtfBuilder, Endian, Kind};
use btf_dwarf::{Arrays, Mode, Options, Progress, RustNames, Stats};

use crate::cli::{ArraysArg, Dwarf2btfArgs, Dwarf2btfMode, RustNamesArg};
use crate::exit;
use crate::input::{parse_btf, InputFile};

/// Inputs with at least this many compilation units get a progress bar
/// (on a terminal): vmlinux has about 2,000, a module a few dozen.
const PROGRESS_MIN_UNITS: u64 = 200;

/// Runs `btfkit dwarf2btf`.
pub fn run(args: &Dwarf2btfArgs) -> Result<i32> {
    if args.output.is_none() && args.elf_output.is_none() && !args.in_place && !args.verify_load {
        bail!("nothing to write: give -o FILE, --elf-output FILE or --in-place");
    }
    if args.verify_load && args.base.is_some() {
        bail!(
            "{}: --verify-load cannot load split BTF (the kernel loads module BTF itself)",
            args.input.display()
        );
    }
    let input = InputFile::open(&args.input)?;
    let base_file = args.base.as_deref().map(InputFile::open).transpose()?;
    let base_sections = base_file.as_ref().map(|f| f.btf_sections()).transpose()?;
    let base = match (&base_file, &base_sections) {
        (Some(f), Some(s)) => Some(parse_btf(&s.btf, None, f.path(), s.section)?),
        _ => None,
    };

    let started = Instant::now();
    let progress = Feedback::new(args.quiet, input.mapping());
    let (builder, endian, kernel, stats) = if args.no_dedup {
        let e = btf_dwarf::encode(input.bytes(), &options(args), base.as_ref(), &progress)
            .with_context(|| format!("{}", args.input.display()))?;
        (e.builder.to_builder(), e.endian, e.kernel, e.stats)
    } else {
        let opts = DedupOptions {
            jobs: args.jobs,
            ..DedupOptions::default()
        };
        let e = btf_dwarf::encode_dedup(
            input.bytes(),
            &options(args),
            &opts,
            btf_dwarf::Schedule::Auto,
            base.as_ref(),
            &progress,
        )
        .with_context(|| format!("{}", args.input.display()))?;
        (e.deduped.builder, e.endian, e.kernel, e.stats)
    };
    let converted = started.elapsed();
    let before = stats.types as usize;
    let bytes = builder.write(endian).context("encoding BTF")?;

    if let Some(path) = &args.output {
        crate::output::write_atomic(path, &bytes)?;
    }
    if args.elf_output.is_some() || args.in_place {
        let elf = btf_dwarf::with_btf_section(input.bytes(), &bytes)
            .with_context(|| format!("{}: adding .BTF", args.input.display()))?;
        let path = args.elf_output.as_deref().unwrap_or(&args.input);
        crate::output::write_atomic(path, &elf)?;
    }
    if !args.quiet {
        report_warnings(&stats);
    }
    if args.stats {
        let timing = Timing {
            converted: converted.as_secs_f64(),
            total: started.elapsed().as_secs_f64(),
        };
        print_stats(&stats, kernel, before, &builder, bytes.len(), timing)?;
    }
    if args.verify_load {
        // The running kernel reads BTF in its own byte order only.
        let native;
        let to_load = if endian == Endian::NATIVE {
            &bytes
        } else {
            native = builder.write(Endian::NATIVE).context("encoding BTF")?;
            &native
        };
        verify_load(to_load, &args.input)?;
    }
    Ok(exit::SUCCESS)
}

fn options(args: &Dwarf2btfArgs) -> Options {
    Options {
        jobs: args.jobs,
        mode: match args.mode {
            Dwarf2btfMode::Auto => Mode::Auto,
            Dwarf2btfMode::Kernel => Mode::Kernel,
            Dwarf2btfMode::Program => Mode::Program,
        },
        rust_names: match args.rust_names {
            RustNamesArg::Sanitize => RustNames::Sanitize,
            RustNamesArg::Keep => RustNames::Keep,
        },
        arrays: match args.arrays {
            ArraysArg::Auto => Arrays::Auto,
            ArraysArg::Nested => Arrays::Nested,
            ArraysArg::Flat => Arrays::Flat,
        },
    }
}

/// Loads the result into the running kernel (`BPF_BTF_LOAD`), which is the
/// final word on whether BTF is valid.
/// Split BTF (`--base`) is refused before any work is done.
fn verify_load(bytes: &[u8], input: &Path) -> Result<()> {
    btf_sys::load_btf(bytes, 0)
        .map(drop)
        .with_context(|| format!("{}: the kernel rejected the generated BTF", input.display()))
}

/// Prints each kind of problem the conversion worked around once, with a
/// count and an example.
fn report_warnings(stats: &Stats) {
    for (what, (count, example)) in &stats.warnings {
        let example = if example.is_empty() {
            String::new()
        } else {
            format!(" (e.g. {example})")
        };
        log::warn!("{what}: {count}{example}");
    }
    // A few (TLS offsets) are expected; many mean an unsupported machine.
    if stats.skipped_relocations * 20 > stats.relocations {
        log::warn!(
            "relocations in DWARF sections not applied: {} of {}",
            stats.skipped_relocations,
            stats.relocations
        );
    }
}

struct Timing {
    converted: f64,
    total: f64,
}

fn print_stats(
    stats: &Stats,
    kernel: bool,
    before: usize,
    after: &BtfBuilder,
    bytes: usize,
    timing: Timing,
) -> Result<()> {
    let mut counts: Vec<(Kind, usize)> = Vec::new();
    for t in after.types() {
        match counts.iter_mut().find(|(k, _)| *k == t.kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((t.kind, 1)),
        }
    }
    counts.sort_by_key(|&(k, n)| (std::cmp::Reverse(n), k));
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "units {}  DIEs {}  rules {}  FUNC candidates {} (skipped for unnamed parameters {})",
        stats.units,
        stats.dies,
        if kernel { "kernel" } else { "program" },
        stats.func_candidates,
        stats.funcs_unnamed_params
    )?;
    writeln!(
        err,
        "types {before} before dedup, {} after; {bytes} bytes",
        after.len(),
    )?;
    writeln!(
        err,
        "time: conversion and dedup {:.2} s (decoding {:.2} s over all threads, merging {:.2} s, \
         dedup while merging {:.2} s), total {:.2} s",
        timing.converted,
        stats.decode_seconds,
        stats.merge_seconds,
        stats.dedup_seconds,
        timing.total
    )?;
    let line: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
    writeln!(err, "{}", line.join(", "))?;
    Ok(())
}

/// What the conversion reports back: progress for the bar, and parts of
/// the mapped input it is done with, whose pages are then dropped.
struct Feedback<'m> {
    bar: Option<indicatif::ProgressBar>,
    map: Option<&'m memmap2::Mmap>,
}

impl<'m> Feedback<'m> {
    /// A progress bar over compilation units, on stderr, only on a
    /// terminal and only for inputs big enough to wait for.
    fn new(quiet: bool, map: Option<&'m memmap2::Mmap>) -> Feedback<'m> {
        let show = !quiet && std::io::stderr().is_terminal();
        Feedback {
            bar: show.then(indicatif::ProgressBar::hidden),
            map,
        }
    }
}

/// Page size for `madvise` (4 KiB covers every Linux architecture's
/// minimum; larger pages are multiples).
const PAGE: usize = 4096;

impl Progress for Feedback<'_> {
    fn done_with(&self, part: &[u8]) {
        let Some(map) = self.map else { return };
        let base = map.as_ptr() as usize;
        let start = (part.as_ptr() as usize).wrapping_sub(base);
        let Some(end) = start.checked_add(part.len()).filter(|&e| e <= map.len()) else {
            return;
        };
        let (start, end) = (start.next_multiple_of(PAGE), end / PAGE * PAGE);
        if end > start {
            // Safety: the mapping is private and read-only; dropped pages
            // are read back from the unchanged file if touched again, so
            // the bytes every reference sees stay the same. This only
            // lowers resident memory.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }

    fn start(&self, units: u64) {
        let Some(bar) = &self.bar else { return };
        if units < PROGRESS_MIN_UNITS {
            return;
        }
        bar.set_length(units);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} dwarf2btf [{bar:40}] {pos}/{len} units ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }

    fn advance(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
