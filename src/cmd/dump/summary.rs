//! `--format summary`: tables describing a BTF blob at a glance.
//!
//! 1. **File**: where the BTF came from, byte order, header length, section
//!    sizes, number of strings, the layout section, split-BTF base, and how
//!    many types the dump selected.
//! 2. **Kinds**: per kind (kind-number order, kinds that occur only), the
//!    number of types, how many have the kind flag set, and the bytes their
//!    records take in the type section (12-byte prefix plus trailing data),
//!    then a `total` row. Unfiltered, the bytes add up to the type section's
//!    length.
//! 3. **Largest types by size**: the ten largest by the size field (INT,
//!    STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT), ties by id.
//! 4. **Most entries (vlen)**: the ten with the most members, enumerators,
//!    parameters or section variables (FUNC's vlen is its linkage and does
//!    not count), ties by id.
//!
//! Tables 2–4 cover only the selected types (`--type`, `--kind`, `--id`,
//! `--closure`); table 1 always describes the whole file. Numbers are plain
//! decimals (no grouping) so the output greps and parses easily. On a
//! terminal the tables use UTF-8 box drawing; otherwise ASCII in Markdown
//! layout, so a summary pasted into an issue renders as tables. Names are
//! lossy UTF-8 with control characters escaped.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use btf_core::{Btf, Kind, Type};
use comfy_table::{presets, CellAlignment, Table};

use super::{selected_ids, Selection};
use crate::input::BtfSections;

/// How many rows the top-N tables show.
const TOP_N: usize = 10;

/// Prints the summary.
pub fn run(btf: &Btf<'_>, sel: &Selection, s: &BtfSections<'_>) -> Result<i32> {
    let tty = std::io::stdout().is_terminal();
    let stats = Stats::collect(btf, sel);
    let mut text = String::new();
    let mut section = |title: &str, table: Table| {
        text.push_str(title);
        text.push_str("\n\n");
        text.push_str(&table.to_string());
        text.push_str("\n\n");
    };
    section("File", file_table(btf, sel, s, &stats, tty));
    section(
        if sel.ids().is_some() {
            "Kinds (selected types)"
        } else {
            "Kinds"
        },
        kinds_table(&stats, tty),
    );
    section(
        "Largest types by size",
        top_table(btf, &stats.by_size, "Size", tty),
    );
    section(
        "Most entries (vlen)",
        top_table(btf, &stats.by_vlen, "Vlen", tty),
    );
    text.pop();
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(crate::exit::SUCCESS)
}

/// Per-kind totals.
#[derive(Clone, Copy, Default)]
struct KindStats {
    count: u64,
    kflag: u64,
    bytes: u64,
}

/// Everything the tables need, gathered in one pass over the selection.
struct Stats {
    /// Indexed by raw kind number (0–127).
    kinds: Vec<KindStats>,
    selected: u64,
    /// `(value, id)`, the `TOP_N` largest, descending value then ascending id.
    by_size: Vec<(u64, u32)>,
    by_vlen: Vec<(u64, u32)>,
}

impl Stats {
    fn collect(btf: &Btf<'_>, sel: &Selection) -> Stats {
        let mut kinds = vec![KindStats::default(); 128];
        let mut selected = 0;
        let mut sizes = Vec::new();
        let mut vlens = Vec::new();
        for id in selected_ids(btf, sel) {
            let Some(t) = btf.get(id) else { continue };
            selected += 1;
            let k = &mut kinds[usize::from(t.kind().to_raw()) & 0x7f];
            k.count += 1;
            k.kflag += u64::from(t.kflag());
            k.bytes += record_len(&t);
            if let Some(size) = t.size() {
                sizes.push((u64::from(size), id.0));
            }
            if has_entries(t.kind()) {
                vlens.push((u64::from(t.vlen()), id.0));
            }
        }
        Stats {
            kinds,
            selected,
            by_size: top(sizes),
            by_vlen: top(vlens),
        }
    }
}

/// Bytes a record takes in the type section.
fn record_len(t: &Type<'_>) -> u64 {
    12 + t.trailing().len() as u64
}

/// Kinds whose vlen counts trailing entries.
fn has_entries(k: Kind) -> bool {
    matches!(
        k,
        Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 | Kind::FuncProto | Kind::Datasec
    )
}

/// The `TOP_N` largest values, descending; equal values by ascending id.
fn top(mut v: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    let order = |a: &(u64, u32), b: &(u64, u32)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
    if v.len() > TOP_N {
        v.select_nth_unstable_by(TOP_N - 1, order);
        v.truncate(TOP_N);
    }
    v.sort_unstable_by(order);
    v
}

fn new_table(tty: bool, header: &[&str]) -> Table {
    let mut t = Table::new();
    if tty {
        t.load_preset(presets::UTF8_FULL_CONDENSED);
    } else {
        t.force_no_tty().load_preset(presets::ASCII_MARKDOWN);
    }
    t.set_header(header.to_vec());
    t
}

fn right_align(t: &mut Table, columns: &[usize]) {
    for &c in columns {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn file_table(
    btf: &Btf<'_>,
    sel: &Selection,
    s: &BtfSections<'_>,
    stats: &Stats,
    tty: bool,
) -> Table {
    let h = btf.header();
    let mut t = new_table(tty, &["Field", "Value"]);
    t.add_row(vec!["source".to_string(), s.section.to_string()]);
    t.add_row(vec![
        "byte order".to_string(),
        format!("{}-endian", btf.endian().name()),
    ]);
    t.add_row(vec![
        "header".to_string(),
        format!(
            "{} bytes, version {}, flags {:#x}",
            h.hdr_len, h.version, h.flags
        ),
    ]);
    t.add_row(vec![
        "type section".to_string(),
        format!("{} bytes at offset {}", h.type_len, h.type_off),
    ]);
    let strings = btf.strings().as_bytes();
    let count = strings.iter().filter(|&&b| b == 0).count();
    t.add_row(vec![
        "string section".to_string(),
        format!(
            "{} bytes at offset {}, {count} strings",
            h.str_len, h.str_off
        ),
    ]);
    t.add_row(vec![
        "layout section".to_string(),
        match (h.layout, btf.layout()) {
            (Some((off, len)), Some(l)) => {
                format!("{len} bytes at offset {off}, {} kinds", l.len())
            }
            _ => "none".to_string(),
        },
    ]);
    let own = if btf.is_empty() {
        "none".to_string()
    } else {
        format!("{} to {}", btf.first_id(), btf.last_id())
    };
    t.add_row(vec![
        "types".to_string(),
        format!("{} (ids {own})", btf.len()),
    ]);
    t.add_row(vec![
        "split BTF".to_string(),
        match btf.base() {
            Some(b) => format!(
                "yes: base has ids 1 to {}, {} string bytes",
                b.last_id(),
                b.str_len_total()
            ),
            None => "no".to_string(),
        },
    ]);
    if !btf.unknown_kinds().is_empty() {
        let kinds: Vec<String> = btf.unknown_kinds().iter().map(|k| k.to_string()).collect();
        t.add_row(vec![
            "unknown kinds".to_string(),
            format!("{} (sized by the layout section)", kinds.join(", ")),
        ]);
    }
    if let Some(ext) = &s.ext {
        t.add_row(vec![".BTF.ext".to_string(), format!("{} bytes", ext.len())]);
    }
    if sel.ids().is_some() {
        t.add_row(vec![
            "selected".to_string(),
            format!("{} types", stats.selected),
        ]);
    }
    t
}

fn kinds_table(stats: &Stats, tty: bool) -> Table {
    let mut t = new_table(tty, &["Kind", "Count", "kflag set", "Bytes"]);
    let mut total = KindStats::default();
    for (raw, k) in stats.kinds.iter().enumerate() {
        if k.count == 0 {
            continue;
        }
        let kind = Kind::from_raw(raw as u8);
        let name = match kind {
            Kind::Unknown(n) => format!("UNKNOWN({n})"),
            known => known.name().to_string(),
        };
        t.add_row(vec![
            name,
            k.count.to_string(),
            k.kflag.to_string(),
            k.bytes.to_string(),
        ]);
        total.count += k.count;
        total.kflag += k.kflag;
        total.bytes += k.bytes;
    }
    t.add_row(vec![
        "total".to_string(),
        total.count.to_string(),
        total.kflag.to_string(),
        total.bytes.to_string(),
    ]);
    right_align(&mut t, &[1, 2, 3]);
    t
}

fn top_table(btf: &Btf<'_>, rows: &[(u64, u32)], what: &str, tty: bool) -> Table {
    let mut t = new_table(tty, &["Id", "Kind", "Name", what]);
    for &(value, id) in rows {
        let Some(ty) = btf.get(btf_core::TypeId(id)) else {
            continue;
        };
        t.add_row(vec![
            id.to_string(),
            ty.kind().name().to_string(),
            display_name(btf.type_name(&ty), tty),
            value.to_string(),
        ]);
    }
    right_align(&mut t, &[0, 3]);
    t
}

/// A name for a table cell: `(anon)` when empty, lossy UTF-8, control
/// characters escaped, and `|` escaped in Markdown output.
fn display_name(name: &[u8], tty: bool) -> String {
    if name.is_empty() {
        return "(anon)".to_string();
    }
    let mut out = String::with_capacity(name.len());
    for c in String::from_utf8_lossy(name).chars() {
        match c {
            '|' if !tty => out.push_str("\\|"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{display_name, top};

    #[test]
    fn top_n_orders_by_value_then_id() {
        let v: Vec<(u64, u32)> = (0..30).map(|i| (u64::from(i % 7), i)).collect();
        let t = top(v);
        assert_eq!(t.len(), 10);
        assert_eq!(&t[..4], &[(6, 6), (6, 13), (6, 20), (6, 27)]);
        assert_eq!(t[4], (5, 5));
        assert_eq!(top(vec![(1, 2), (1, 1)]), vec![(1, 1), (1, 2)]);
    }

    #[test]
    fn names_for_cells() {
        assert_eq!(display_name(b"", false), "(anon)");
        assert_eq!(display_name(b"a|b\n", false), "a\\|b\\n");
        assert_eq!(display_name(b"a|b", true), "a|b");
        assert_eq!(display_name(b"x\xff", true), "x\u{fffd}");
    }
}
