//! `btfkit check`: relocate one object against many target BTFs in
//! parallel and show which relocations succeed where.
//!
//! # JSON schema (`btfkit check --format json`)
//!
//! ```text
//! {
//!   "schema": "btfkit.check", "version": 1, "object": PATH, "semantics": "btfkit" | "libbpf",
//!   "targets": [ { "name", "path", "error": message | null,
//!                  "ok", "poisoned", "zeroed", "skipped", "failed" } ... ],
//!   "relocations": [ { "section", "record", "insn", "kind", "spec",
//!                      "results": [ { "status", "new": u64 | null, "reason": text | null } ... ] } ... ]
//! }
//! ```
//!
//! `results[i]` belongs to `targets[i]`; a target that could not be read
//! has an `error` and no results are computed for it (status `error`).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use btf_reloc::{relocate_object, render, Options, Outcome, Target, Targets};
use comfy_table::{presets, Table};
use rayon::prelude::*;
use serde::Serialize;

use super::relocate::load::{ObjectInput, ParsedObject, TargetInput};
use super::relocate::report::outcome_parts;
use super::relocate::semantics;
use crate::cli::{CheckArgs, RelocateFormat};

/// One cell of the matrix.
#[derive(Serialize, Debug, Clone)]
struct Cell {
    status: &'static str,
    new: Option<u64>,
    reason: Option<String>,
}

/// One target's column.
#[derive(Serialize, Debug)]
struct Column {
    name: String,
    path: String,
    error: Option<String>,
    ok: usize,
    poisoned: usize,
    zeroed: usize,
    skipped: usize,
    failed: usize,
    #[serde(skip)]
    cells: Vec<Cell>,
}

/// One relocation's row.
#[derive(Serialize, Debug)]
struct Row {
    section: String,
    record: usize,
    insn: u32,
    kind: &'static str,
    spec: String,
    results: Vec<Cell>,
}

#[derive(Serialize, Debug)]
struct Doc {
    schema: &'static str,
    version: u32,
    object: String,
    semantics: &'static str,
    targets: Vec<Column>,
    relocations: Vec<Row>,
}

/// Runs `btfkit check`.
pub fn run(args: &CheckArgs) -> Result<i32> {
    let paths = expand(&args.kernel_btf)?;
    let object = ObjectInput::open(&args.object)?;
    let parsed = object.parse()?;
    // The matrix needs each record's outcome only.
    let opts = Options {
        semantics: semantics(args.semantics),
        outcomes_only: true,
        // Targets are relocated in parallel already.
        parallel: false,
    };
    let work = || -> Vec<Column> {
        paths
            .par_iter()
            .map(|p| column(&parsed, p, &opts))
            .collect()
    };
    let mut columns = match args.jobs {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .context("thread pool")?
            .install(work),
        None => work(),
    };
    let rows = rows(&parsed, &mut columns);
    let doc = Doc {
        schema: "btfkit.check",
        version: 1,
        object: args.object.display().to_string(),
        semantics: match opts.semantics {
            btf_reloc::Semantics::Btfkit => "btfkit",
            btf_reloc::Semantics::Libbpf => "libbpf",
        },
        targets: columns,
        relocations: rows,
    };
    let mut out = crate::output::stdout();
    match args.format {
        RelocateFormat::Json if args.pretty => serde_json::to_writer_pretty(&mut out, &doc)?,
        RelocateFormat::Json => serde_json::to_writer(&mut out, &doc)?,
        RelocateFormat::Table => print_table(&mut out, &doc)?,
    }
    if args.format == RelocateFormat::Json {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    let unreadable = doc.targets.iter().any(|c| c.error.is_some());
    let bad = doc.targets.iter().any(|c| c.poisoned > 0 || c.failed > 0);
    for c in doc.targets.iter().filter(|c| c.error.is_some()) {
        eprintln!("btfkit: error: {}", c.error.as_deref().unwrap_or_default());
    }
    Ok(if unreadable {
        crate::exit::ERROR
    } else if bad {
        crate::exit::NEGATIVE
    } else {
        crate::exit::SUCCESS
    })
}

/// Files given, and the files of directories given (sorted, hidden files
/// skipped).
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("{}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file())
                .filter(|f| {
                    !f.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

impl Column {
    /// Adds a record's cell and counts it under its status.
    fn push(&mut self, outcome: &Outcome) {
        let (status, reason, error, new) = outcome_parts(outcome);
        match status {
            "ok" => self.ok += 1,
            "poisoned" => self.poisoned += 1,
            "zeroed" => self.zeroed += 1,
            "skipped" => self.skipped += 1,
            _ => self.failed += 1,
        }
        // The matrix has one text column: a failure's message is its reason.
        self.cells.push(Cell {
            status,
            new,
            reason: reason.or(error),
        });
    }
}

/// Relocates against one target file.
fn column(parsed: &ParsedObject<'_>, path: &Path, opts: &Options) -> Column {
    let mut col = Column {
        name: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        path: path.display().to_string(),
        error: None,
        ok: 0,
        poisoned: 0,
        zeroed: 0,
        skipped: 0,
        failed: 0,
        cells: Vec::new(),
    };
    if let Err(e) = fill(parsed, path, opts, &mut col) {
        col.error = Some(format!("{e:#}"));
    }
    col
}

fn fill(parsed: &ParsedObject<'_>, path: &Path, opts: &Options, col: &mut Column) -> Result<()> {
    let input = TargetInput::open(path)?;
    let sections = input.sections()?;
    let btf = crate::input::parse_btf(&sections.btf, None, path, sections.section)?;
    let targets = Targets::new(Target::new(col.name.clone(), &btf));
    let Some(ext) = &parsed.ext else {
        return Ok(());
    };
    let rep = relocate_object(&parsed.obj, &parsed.view(), ext, &targets, opts);
    for r in &rep.records {
        col.push(&r.outcome);
    }
    Ok(())
}

/// The rows: one per record, with each target's cell (moved out of the
/// columns).
fn rows(parsed: &ParsedObject<'_>, columns: &mut [Column]) -> Vec<Row> {
    let Some(ext) = &parsed.ext else {
        return Vec::new();
    };
    let local = parsed.view();
    let mut rows = Vec::with_capacity(ext.core_relo().len());
    let mut cells: Vec<_> = columns
        .iter_mut()
        .map(|c| (std::mem::take(&mut c.cells).into_iter(), c.error.clone()))
        .collect();
    for block in ext.core_relo().blocks() {
        let section = String::from_utf8_lossy(local.btf.name(block.sec_name).unwrap_or_default())
            .into_owned();
        for (record, relo) in block.iter().enumerate() {
            let spec = local
                .btf
                .name(relo.access_str)
                .and_then(|a| btf_reloc::parse_local(&local, relo.type_id, relo.kind, a).ok())
                .map(|s| render::spec(&local, &s))
                .unwrap_or_else(|| format!("[{}]", relo.type_id));
            let results = cells
                .iter_mut()
                .map(|(cells, error)| {
                    cells.next().unwrap_or_else(|| Cell {
                        status: "error",
                        new: None,
                        reason: error.clone(),
                    })
                })
                .collect();
            rows.push(Row {
                section: section.clone(),
                record,
                insn: relo.insn_off / 8,
                kind: relo.kind.name(),
                spec,
                results,
            });
        }
    }
    rows
}

fn print_table(out: &mut impl Write, doc: &Doc) -> Result<()> {
    let mut t = Table::new();
    if std::io::stdout().is_terminal() {
        t.load_preset(presets::UTF8_FULL_CONDENSED);
    } else {
        t.force_no_tty().load_preset(presets::ASCII_MARKDOWN);
    }
    let mut header = vec![
        "section".to_string(),
        "insn".into(),
        "kind".into(),
        "local".into(),
    ];
    header.extend(doc.targets.iter().map(|c| c.name.clone()));
    t.set_header(header);
    for r in &doc.relocations {
        let mut row = vec![
            r.section.clone(),
            r.insn.to_string(),
            r.kind.to_string(),
            r.spec.clone(),
        ];
        row.extend(r.results.iter().map(|c| match (c.status, c.new) {
            ("ok", Some(v)) => v.to_string(),
            ("zeroed", _) => "0 (zeroed)".into(),
            (s, _) => s.to_uppercase(),
        }));
        t.add_row(row);
    }
    writeln!(out, "{t}")?;
    for c in &doc.targets {
        match &c.error {
            Some(e) => writeln!(out, "{}: unreadable: {e}", c.name)?,
            None => writeln!(
                out,
                "{}: {} ok, {} poisoned, {} zeroed, {} skipped, {} failed",
                c.name, c.ok, c.poisoned, c.zeroed, c.skipped, c.failed
            )?,
        }
    }
    Ok(())
}
