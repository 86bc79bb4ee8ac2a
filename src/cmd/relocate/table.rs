//! The default report: a table, one row per relocation, and a summary line.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use comfy_table::{presets, Table};

use super::report::{Doc, Relocation};
use crate::output::style::{Role, Style};

/// Prints the table and the summary.
pub fn print(out: &mut impl Write, doc: &Doc, style: Style) -> Result<()> {
    let header = [
        "section",
        "#",
        "insn",
        "kind",
        "local",
        "target",
        "old → new",
        "status",
    ];
    let rows = doc.relocations.iter().map(|r| {
        [
            r.section.clone(),
            r.record.to_string(),
            r.insn.to_string(),
            r.kind.to_string(),
            r.local.as_ref().map(|l| l.spec.clone()).unwrap_or_default(),
            target(r),
            values(r),
            status(r, style),
        ]
    });
    if std::io::stdout().is_terminal() {
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        t.set_header(header);
        for row in rows {
            t.add_row(row);
        }
        writeln!(out, "{t}")?;
    } else {
        markdown(out, &header, rows.collect())?;
    }
    let s = &doc.summary;
    let targets: Vec<String> = doc
        .targets
        .iter()
        .map(|t| format!("{} ({})", t.name, t.path))
        .collect();
    writeln!(
        out,
        "\n{} relocations against {} [{} semantics]: {} ok, {} poisoned, {} zeroed, {} skipped, {} failed",
        s.records,
        targets.join(", "),
        doc.semantics,
        s.ok,
        s.poisoned,
        s.zeroed,
        s.skipped,
        s.failed
    )?;
    if s.drift > 0 {
        writeln!(
            out,
            "{} relocation(s) differ under --semantics=libbpf (marked 'libbpf:')",
            s.drift
        )?;
    }
    Ok(())
}

fn target(r: &Relocation) -> String {
    match &r.target {
        Some(t) if t.path.is_empty() => format!("[{}] {}", t.type_id, t.type_name),
        Some(t) => format!("[{}] {}::{}", t.type_id, t.type_name, t.path),
        None => "-".into(),
    }
}

fn values(r: &Relocation) -> String {
    let old = r.old.map_or("-".to_string(), |v| v.to_string());
    let new = match (r.status, r.new) {
        ("poisoned", _) => "poison".to_string(),
        (_, Some(v)) => v.to_string(),
        _ => "-".to_string(),
    };
    let mut s = format!("{old} → {new}");
    if let Some(m) = &r.mem_size {
        s.push_str(&format!(" (size {} → {})", m.old, m.new));
    }
    s
}

fn status(r: &Relocation, style: Style) -> String {
    let role = match r.status {
        "ok" => Role::Good,
        _ => Role::Bad,
    };
    let mut s = paint(style, r.status, role);
    if let Some(why) = r.reason.as_ref().or(r.error.as_ref()) {
        s.push_str(": ");
        s.push_str(why);
    }
    if let Some(d) = &r.libbpf {
        let v = d.new.map_or(String::new(), |v| format!(" {v}"));
        let e = d
            .error
            .as_ref()
            .map_or(String::new(), |e| format!(" ({e})"));
        s.push_str(&format!("; libbpf: {}{v}{e}", d.status));
    }
    s
}

/// `text` painted for `role` when colour is on.
pub fn paint(style: Style, text: &str, role: Role) -> String {
    let mut v = Vec::new();
    style.push(&mut v, role, text.as_bytes());
    String::from_utf8_lossy(&v).into_owned()
}

/// A Markdown table, as comfy-table's `ASCII_MARKDOWN` preset draws it but
/// in one pass over the cells (reports can have tens of thousands of rows).
pub fn markdown<const N: usize>(
    out: &mut impl Write,
    header: &[&str; N],
    rows: Vec<[String; N]>,
) -> Result<()> {
    let width = |s: &str| s.chars().count();
    let mut widths: [usize; N] = std::array::from_fn(|i| width(header[i]));
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut line = String::new();
    let mut emit =
        |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> std::io::Result<()> {
            line.clear();
            line.push('|');
            for (cell, w) in cells.zip(widths) {
                line.push(' ');
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', w - width(cell) + 1));
                line.push('|');
            }
            line.push('\n');
            out.write_all(line.as_bytes())
        };
    emit(out, &mut header.iter().copied())?;
    let mut sep = String::from("|");
    for w in widths {
        sep.extend(std::iter::repeat_n('-', w + 2));
        sep.push('|');
    }
    writeln!(out, "{sep}")?;
    for row in &rows {
        emit(out, &mut row.iter().map(String::as_str))?;
    }
    Ok(())
}
