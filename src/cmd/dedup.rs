//! `btfkit dedup`: merge the BTF of several files into one and deduplicate
//! it (libbpf's `btf__dedup`, as pahole runs it), writing raw BTF.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use btf_core::dedup::{dedup, DedupOptions};
use btf_core::{Btf, BtfBuilder, Endian, Kind};

use crate::cli::DedupArgs;
use crate::exit;
use crate::input::{parse_btf, InputFile};

/// Runs `btfkit dedup`.
pub fn run(args: &DedupArgs) -> Result<i32> {
    let base_file = args.base.as_deref().map(InputFile::open).transpose()?;
    let base_sections = base_file.as_ref().map(|f| f.btf_sections()).transpose()?;
    let base = match (&base_file, &base_sections) {
        (Some(f), Some(s)) => Some(parse_btf(&s.btf, None, f.path(), s.section)?),
        _ => None,
    };

    let mut builder = None;
    let mut endian = None;
    let mut before = Counts::default();
    for path in &args.inputs {
        let e = append_input(&mut builder, path, base.as_ref(), &mut before)?;
        if *endian.get_or_insert(e) != e {
            bail!(
                "{}: {}-endian BTF cannot be merged with {}-endian inputs",
                path.display(),
                e.name(),
                endian.map_or("", Endian::name)
            );
        }
    }
    let (Some(builder), Some(endian)) = (builder, endian) else {
        bail!("no input files");
    };
    let input_types = builder.len();
    let deduped = dedup(builder, base.as_ref(), &options(args)).context("deduplicating")?;
    let bytes = deduped
        .builder
        .write(endian)
        .context("encoding the result")?;
    crate::output::write_atomic(&args.output, &bytes)?;

    if args.stats {
        let after = Counts::of(deduped.builder.types().iter().map(|t| t.kind));
        print_stats(&before, &after, input_types, bytes.len())?;
    }
    Ok(exit::SUCCESS)
}

fn options(args: &DedupArgs) -> DedupOptions {
    DedupOptions {
        keep_strings: args.keep_strings,
        ..DedupOptions::default()
    }
}

/// Parses one input and appends its types; returns its byte order.
///
/// With a base, an input is first read as complete BTF (a BPF object, a
/// standalone file) and, if that fails, as split BTF over the base (a
/// kernel module's .BTF). The first input starts the builder as a verbatim
/// copy when it fits (standalone without a base, split with one), so that
/// `--keep-strings` keeps its string section exactly.
fn append_input(
    builder: &mut Option<BtfBuilder>,
    path: &Path,
    base: Option<&Btf<'_>>,
    counts: &mut Counts,
) -> Result<Endian> {
    let file = InputFile::open(path)?;
    let sections = file.btf_sections()?;
    let btf = match (Btf::parse(&sections.btf), base) {
        (Ok(btf), _) => btf,
        (Err(_), Some(b)) => parse_btf(&sections.btf, Some(b), path, sections.section)?,
        (Err(e), None) => {
            return Err(e).with_context(|| {
                format!(
                    "{}: {} (split BTF needs --base)",
                    path.display(),
                    sections.section
                )
            })
        }
    };
    counts.add(btf.own_types().map(|t| t.kind()));
    if builder.is_none() && btf.base().is_some() == base.is_some() {
        *builder = Some(BtfBuilder::from_btf(&btf));
        return Ok(btf.endian());
    }
    let b = builder.get_or_insert_with(|| match base {
        Some(b) => BtfBuilder::new_split(b),
        None => BtfBuilder::new(),
    });
    b.append_btf(&btf)
        .with_context(|| format!("{}: {}", path.display(), sections.section))?;
    Ok(btf.endian())
}

/// Types per kind, in kind order.
#[derive(Default)]
struct Counts(BTreeMap<Kind, usize>);

impl Counts {
    fn of(kinds: impl Iterator<Item = Kind>) -> Counts {
        let mut c = Counts::default();
        c.add(kinds);
        c
    }

    fn add(&mut self, kinds: impl Iterator<Item = Kind>) {
        for k in kinds {
            *self.0.entry(k).or_default() += 1;
        }
    }
}

/// `--stats`: types per kind before and after, then totals.
fn print_stats(before: &Counts, after: &Counts, input: usize, bytes: usize) -> Result<()> {
    let mut out = crate::output::stdout();
    writeln!(out, "{:<12} {:>9} {:>9}", "kind", "input", "output")?;
    for (kind, n) in &before.0 {
        let m = after.0.get(kind).copied().unwrap_or(0);
        writeln!(out, "{:<12} {n:>9} {m:>9}", kind.name())?;
    }
    let total: usize = after.0.values().sum();
    writeln!(out, "{:<12} {input:>9} {total:>9}", "total")?;
    writeln!(out, "{bytes} bytes written")?;
    out.flush()?;
    Ok(())
}
