//! `btfkit dump --ext`: an object's .BTF.ext as a person reads it.
//!
//! For each ELF code section (in the order the section first appears in
//! func_info, line_info, then core_relo), the records of the three
//! subsections are shown together, ordered by instruction:
//!
//! - **func_info**: where each function starts and its BTF FUNC, shown as a
//!   C prototype (rendered by [`btf_core::cdecl::Declarator`]);
//! - **line_info**: the source position of an instruction and the source
//!   line's text (stored in .BTF), trimmed;
//! - **core_relo**: every CO-RE relocation with libbpf's kind name
//!   (`byte_off`, `enumval_value` …), the local root type and the access path
//!   rendered by [`btf_core::ext::AccessSpec`] (`struct task_struct::comm[3]
//!   (0:14:3)`), and for field relocations the field's offset.
//!
//! `insn` is the instruction index in the section (`insn_off / 8`); record
//! numbers (`#3`) count from 0 per section and subsection, like libbpf's
//! `relo #3`.
//!
//! # Text format (the default)
//!
//! One line per record, each starting with the section name so that `grep`
//! keeps the context; a header line and a blank line separate sections:
//!
//! ```text
//! section .text: 1 func_info, 12 line_info, 5 core_relo
//! .text insn 0   func #0   [25] long core_in_text(struct task_struct *t, btfkit_pair_t *p, union btfkit_union_root *u)
//! .text insn 0   line #0   ./core.c:172:0: __attribute__((noinline)) long core_in_text(struct task_struct *t, btfkit_pair_t *p,
//! .text insn 3   relo #0   byte_off       [2] struct task_struct::group_leader (0:13) @ byte 80
//! ...
//!
//! section tp_btf/sched_switch: 1 func_info, 41 line_info, 27 core_relo
//! ...
//! tp_btf/sched_switch insn 15   relo #4   byte_off       [2] struct task_struct::<anon 15>.btfkit_anon_b (0:15:1) @ byte 104
//! tp_btf/sched_switch insn 71   relo #15  byte_off       [2] struct task_struct::in_execve (0:8) @ byte 56 + 2 bits
//! ```
//!
//! The columns: section, `insn N` (or `byte N` when `insn_off` is not a
//! multiple of 8), record kind and number, then per kind: the FUNC's id and
//! prototype (`static`/`extern` shown for those linkages); `file:line:col:`
//! and the source text; the relocation kind (libbpf's name), the root's id
//! and the access path with the access string in parentheses, and for field
//! relocations the field's offset in the root object (`p[0]`).
//!
//! Bit offsets that are not byte-aligned (bitfields) show as
//! `@ byte 7 + 3 bits`. Colour (`--color`) only paints spans; the text is the
//! same.
//!
//! # Invalid records
//!
//! A record that cannot be interpreted (type id out of range, not a FUNC,
//! bad string offset, malformed access string, unknown relocation kind,
//! `insn_off` not a multiple of 8) is still printed, with an
//! `<invalid: reason>` marker (text) or an `"error"` string (JSON) in place of
//! what could not be decoded; a record with a misaligned `insn_off` shows
//! `byte N` instead of `insn N`. Each problem is also reported on stderr with
//! the subsection, section, record number and the record's byte offset in
//! .BTF.ext. The dump is always complete; if any record was invalid the exit
//! status is 2. (A .BTF.ext whose structure is broken — header, record sizes,
//! block lengths — fails before anything is printed, as for BTF.)
//!
//! # Filters
//!
//! `--type`, `--kind`, `--id` and `--closure` select types and do not apply
//! to .BTF.ext; they are ignored with a warning on stderr.
//!
//! # JSON (`--format json`, `--pretty` to indent)
//!
//! One document; field order is fixed, every field is always present (`null`
//! when unknown), and names and source text are converted from bytes to UTF-8
//! lossily (U+FFFD for invalid bytes). The schema only grows.
//!
//! ```text
//! {
//!   "schema": "btfkit-dump-ext",
//!   "version": 1,
//!   "sections": [ {
//!     "name": ".text",                      // ELF section; null if the name offset is bad
//!     "error": null,                        // why the name could not be read
//!     "func_info": [ {
//!       "index": 0, "ext_offset": 48,       // record number, byte offset in .BTF.ext
//!       "insn_off": 0, "insn": 0,           // insn is null unless insn_off % 8 == 0
//!       "type_id": 25, "name": "core_in_text", "linkage": "global",
//!       "prototype": "long core_in_text(struct task_struct *t, ...)",
//!       "error": null } ],
//!     "line_info": [ {
//!       "index": 0, "ext_offset": 100, "insn_off": 0, "insn": 0,
//!       "file": "./core.c", "line": 163, "column": 0,
//!       "text": "long core_in_text(...",    // exactly as stored (not trimmed)
//!       "error": null } ],
//!     "core_relo": [ {
//!       "index": 0, "ext_offset": 900, "insn_off": 24, "insn": 3,
//!       "kind": "byte_off", "kind_raw": 0,  // kind "unknown" for kinds >= 13
//!       "type_id": 2,
//!       "root": {"kind": "STRUCT", "name": "task_struct"},   // null if type_id is bad
//!       "access": "0:13",                   // as stored; null if the offset is bad
//!       "spec": "struct task_struct::group_leader",          // null if invalid
//!       "bit_offset": 640,                  // field kinds only, else null
//!       "steps": [                          // empty if invalid
//!         {"step": "root", "index": 0, "type_id": 2},
//!         {"step": "member", "index": 13, "name": "group_leader", "type_id": 7,
//!          "bit_offset": 640, "bitfield_size": 0},
//!         {"step": "array", "index": 3, "elem_type_id": 9, "flexible": false},
//!         {"step": "enumerator", "index": 1, "name": "PIDTYPE_TGID", "value": 1}
//!       ],
//!       "error": null } ]
//!   } ],
//!   "invalid_records": 0
//! }
//! ```
//!
//! Member `name` is `""` for an anonymous member. Enumerator `value` is the
//! value as the enum means it (negative only for signed enums).
//!
//! # Summary (`--format summary`)
//!
//! A table of record counts per section (plus invalid records), and a table
//! of relocations per kind.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use btf_core::cdecl::{Declarator, TypeName};
use btf_core::ext::{
    AccessSpec, AccessStep, CoreRelo, CoreReloKind, ExtBlock, ExtRecord, FuncInfo, LineInfo,
    SpecKind,
};
use btf_core::types::TypeData;
use btf_core::{Btf, BtfExt, Kind, StrOffset, TypeId};
use serde::Serialize;

use crate::cli::{DumpArgs, DumpFormat};
use crate::output::style::{Role, Style};
use crate::output::{self, flush_if_full, push_num};

/// Runs `btfkit dump --ext`.
pub fn run(
    args: &DumpArgs,
    btf: &Btf<'_>,
    ext: &BtfExt<'_>,
    _elf: &[u8],
    style: Style,
) -> Result<i32> {
    if !args.types.is_empty() || !args.kinds.is_empty() || !args.ids.is_empty() || args.closure {
        eprintln!(
            "btfkit: warning: --type, --kind, --id and --closure select types; they do not apply to --ext and are ignored"
        );
    }
    let dump = Dump::new(btf, ext);
    match args.format {
        DumpFormat::Raw => render_text(&dump, style)?,
        DumpFormat::Json => render_json(&dump, args.pretty)?,
        DumpFormat::Summary => render_summary(&dump)?,
    }
    report_problems(&dump, &args.file.display().to_string())
}

// ---- the model ---------------------------------------------------------------

/// Everything the renderers show, decoded once.
struct Dump<'a> {
    sections: Vec<Section<'a>>,
    invalid: usize,
}

struct Section<'a> {
    /// The section name's string offset (the key: equal offsets, one section).
    name_off: StrOffset,
    name: Option<String>,
    error: Option<String>,
    funcs: Vec<Func>,
    lines: Vec<Line>,
    relos: Vec<Relo<'a>>,
}

impl Section<'_> {
    /// Invalid records, plus one if the name is unreadable.
    fn invalid(&self) -> usize {
        let bad = |c: &Common| !c.errors.is_empty();
        usize::from(self.error.is_some())
            + self.funcs.iter().filter(|f| bad(&f.common)).count()
            + self.lines.iter().filter(|l| bad(&l.common)).count()
            + self.relos.iter().filter(|r| bad(&r.common)).count()
    }
}

/// What every record has.
struct Common {
    index: usize,
    ext_offset: usize,
    insn_off: u32,
    errors: Vec<String>,
}

impl Common {
    fn insn(&self) -> Option<u32> {
        (self.insn_off % 8 == 0).then_some(self.insn_off / 8)
    }

    fn error(&self) -> Option<String> {
        (!self.errors.is_empty()).then(|| self.errors.join("; "))
    }
}

struct Func {
    common: Common,
    type_id: TypeId,
    name: Option<String>,
    linkage: Option<&'static str>,
    prototype: Option<String>,
}

struct Line {
    common: Common,
    file: Option<String>,
    line: u32,
    column: u32,
    text: Option<String>,
}

/// A relocation's root type, when its id is valid.
struct Root {
    kind: Kind,
    name: String,
    /// As C names it (`struct task_struct`).
    c: String,
}

struct Relo<'a> {
    common: Common,
    kind: CoreReloKind,
    type_id: TypeId,
    root: Option<Root>,
    access: Option<String>,
    spec: Option<AccessSpec<'a>>,
}

impl<'a> Dump<'a> {
    fn new(btf: &Btf<'a>, ext: &BtfExt<'_>) -> Dump<'a> {
        let mut dump = Dump {
            sections: Vec::new(),
            invalid: 0,
        };
        for block in ext.func_info().blocks() {
            let base = dump.section(btf, block.sec_name).funcs.len();
            let funcs: Vec<Func> = records(block, base)
                .into_iter()
                .map(|(c, r)| decode_func(btf, c, r))
                .collect();
            dump.section(btf, block.sec_name).funcs.extend(funcs);
        }
        for block in ext.line_info().blocks() {
            let base = dump.section(btf, block.sec_name).lines.len();
            let lines: Vec<Line> = records(block, base)
                .into_iter()
                .map(|(c, r)| decode_line(btf, c, r))
                .collect();
            dump.section(btf, block.sec_name).lines.extend(lines);
        }
        for block in ext.core_relo().blocks() {
            let base = dump.section(btf, block.sec_name).relos.len();
            let relos: Vec<Relo<'a>> = records(block, base)
                .into_iter()
                .map(|(c, r)| decode_relo(btf, c, r))
                .collect();
            dump.section(btf, block.sec_name).relos.extend(relos);
        }
        dump.invalid = dump.sections.iter().map(Section::invalid).sum();
        dump
    }

    /// The section named at `name_off`, created on first use. Blocks whose
    /// names read the same are one section.
    fn section(&mut self, btf: &Btf<'a>, name_off: StrOffset) -> &mut Section<'a> {
        let name = btf.name(name_off).map(lossy);
        let found = self
            .sections
            .iter()
            .position(|s| s.name_off == name_off || (name.is_some() && s.name == name));
        let pos = match found {
            Some(p) => p,
            None => {
                let error = name
                    .is_none()
                    .then(|| format!("section name offset {name_off} is past the string section"));
                self.sections.push(Section {
                    name_off,
                    name,
                    error,
                    funcs: Vec::new(),
                    lines: Vec::new(),
                    relos: Vec::new(),
                });
                self.sections.len() - 1
            }
        };
        &mut self.sections[pos]
    }
}

/// The records of a block with their number and .BTF.ext offset; a
/// misaligned `insn_off` is always a record's first error.
fn records<T: ExtRecord + HasInsnOff>(block: &ExtBlock<'_, T>, base: usize) -> Vec<(Common, T)> {
    block
        .iter()
        .enumerate()
        .map(|(i, rec)| {
            let insn_off = rec.insn_off();
            let mut errors = Vec::new();
            if insn_off % 8 != 0 {
                errors.push(format!("insn_off {insn_off} is not a multiple of 8"));
            }
            let common = Common {
                index: base + i,
                ext_offset: block.record_offset(i),
                insn_off,
                errors,
            };
            (common, rec)
        })
        .collect()
}

/// The instruction offset every record starts with.
trait HasInsnOff {
    fn insn_off(&self) -> u32;
}

impl HasInsnOff for FuncInfo {
    fn insn_off(&self) -> u32 {
        self.insn_off
    }
}

impl HasInsnOff for LineInfo {
    fn insn_off(&self) -> u32 {
        self.insn_off
    }
}

impl HasInsnOff for CoreRelo {
    fn insn_off(&self) -> u32 {
        self.insn_off
    }
}

fn decode_func(btf: &Btf<'_>, common: Common, rec: FuncInfo) -> Func {
    let mut func = Func {
        common,
        type_id: rec.type_id,
        name: None,
        linkage: None,
        prototype: None,
    };
    match btf.get(rec.type_id).map(|t| (t, t.data())) {
        None => func.common.errors.push(bad_id(btf, rec.type_id)),
        Some((t, TypeData::Func(proto, linkage))) => {
            let name = lossy(btf.type_name(&t));
            func.linkage = Some(linkage.name());
            match btf.get(proto).map(|p| p.kind()) {
                Some(Kind::FuncProto) => {
                    let prefix = match linkage {
                        btf_core::types::Linkage::Static => "static ",
                        btf_core::types::Linkage::Extern => "extern ",
                        _ => "",
                    };
                    let decl = Declarator::new(btf).declare(proto, &name);
                    func.prototype = Some(format!("{prefix}{decl}"));
                }
                other => func.common.errors.push(format!(
                    "FUNC [{}] '{name}' has type [{proto}], which is {}, not FUNC_PROTO",
                    rec.type_id,
                    other.map_or("void", |k| k.name())
                )),
            }
            func.name = Some(name);
        }
        Some((t, _)) => func.common.errors.push(format!(
            "type [{}] is {} '{}', not FUNC",
            rec.type_id,
            t.kind(),
            lossy(btf.type_name(&t))
        )),
    }
    func
}

fn decode_line(btf: &Btf<'_>, mut common: Common, rec: LineInfo) -> Line {
    let file = btf.name(rec.file_name).map(lossy);
    if file.is_none() {
        common.errors.push(format!(
            "file name offset {} is past the string section",
            rec.file_name
        ));
    }
    let text = btf.name(rec.line).map(lossy);
    if text.is_none() {
        common.errors.push(format!(
            "line text offset {} is past the string section",
            rec.line
        ));
    }
    Line {
        common,
        file,
        line: rec.line_number(),
        column: rec.column(),
        text,
    }
}

fn decode_relo<'a>(btf: &Btf<'a>, mut common: Common, rec: CoreRelo) -> Relo<'a> {
    let root = btf.get(rec.type_id).map(|t| Root {
        kind: t.kind(),
        name: lossy(btf.type_name(&t)),
        c: TypeName::of(btf, &t).to_string(),
    });
    let access = btf.name(rec.access_str).map(lossy);
    let spec = match AccessSpec::from_relo(btf, &rec) {
        Ok(s) => Some(s),
        Err(e) => {
            common.errors.push(e.to_string());
            None
        }
    };
    Relo {
        common,
        kind: rec.kind,
        type_id: rec.type_id,
        root,
        access,
        spec,
    }
}

fn bad_id(btf: &Btf<'_>, id: TypeId) -> String {
    if id.is_void() {
        "type id 0 (void) is not a FUNC".to_string()
    } else {
        format!("type [{id}] is past the last type id {}", btf.last_id())
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---- text -----------------------------------------------------------------------

/// One line of a section's listing, before rendering, for sorting.
enum Item<'s, 'a> {
    Func(&'s Func),
    Line(&'s Line),
    Relo(&'s Relo<'a>),
}

impl Item<'_, '_> {
    fn common(&self) -> &Common {
        match self {
            Item::Func(f) => &f.common,
            Item::Line(l) => &l.common,
            Item::Relo(r) => &r.common,
        }
    }

    fn order(&self) -> u8 {
        match self {
            Item::Func(_) => 0,
            Item::Line(_) => 1,
            Item::Relo(_) => 2,
        }
    }
}

/// The longest relocation kind name (`enumval_exists`, `target_type_id`).
const KIND_WIDTH: usize = 14;

fn render_text(dump: &Dump<'_>, style: Style) -> Result<()> {
    let mut w = output::stdout();
    let mut out = Vec::with_capacity(64 * 1024);
    for (n, sec) in dump.sections.iter().enumerate() {
        if n > 0 {
            out.push(b'\n');
        }
        let name = sec
            .name
            .clone()
            .unwrap_or_else(|| format!("<invalid name {}>", sec.name_off));
        out.extend_from_slice(b"section ");
        style.push(&mut out, Role::Name, name.as_bytes());
        let _ = write!(
            Buf(&mut out),
            ": {} func_info, {} line_info, {} core_relo",
            sec.funcs.len(),
            sec.lines.len(),
            sec.relos.len()
        );
        if let Some(e) = &sec.error {
            out.push(b' ');
            invalid(&mut out, style, e);
        }
        out.push(b'\n');

        let mut items: Vec<Item<'_, '_>> = sec
            .funcs
            .iter()
            .map(Item::Func)
            .chain(sec.lines.iter().map(Item::Line))
            .chain(sec.relos.iter().map(Item::Relo))
            .collect();
        items.sort_by_key(|i| (i.common().insn_off, i.order(), i.common().index));
        let pos_width = items
            .iter()
            .map(|i| digits(position(i.common()).1))
            .max()
            .unwrap_or(1);
        let idx_width = items
            .iter()
            .map(|i| digits(i.common().index as u64))
            .max()
            .unwrap_or(1);
        for item in &items {
            let c = item.common();
            out.extend_from_slice(name.as_bytes());
            let (label, pos) = position(c);
            out.push(b' ');
            out.extend_from_slice(label.as_bytes());
            out.push(b' ');
            let mut b = itoa::Buffer::new();
            let p = b.format(pos);
            style.push(&mut out, Role::Number, p.as_bytes());
            pad(&mut out, pos_width - p.len() + 2);
            let tag = match item {
                Item::Func(_) => "func",
                Item::Line(_) => "line",
                Item::Relo(_) => "relo",
            };
            style.push(&mut out, Role::Kind, tag.as_bytes());
            out.extend_from_slice(b" #");
            let i = b.format(c.index);
            out.extend_from_slice(i.as_bytes());
            pad(&mut out, idx_width - i.len() + 2);
            match item {
                Item::Func(f) => func_text(&mut out, style, f),
                Item::Line(l) => line_text(&mut out, style, l),
                Item::Relo(r) => relo_text(&mut out, style, r),
            }
            // insn_off problems are not part of the decoded text.
            if c.insn_off % 8 != 0 {
                out.push(b' ');
                invalid(&mut out, style, &c.errors[0]);
            }
            out.push(b'\n');
            flush_if_full(&mut out, &mut w)?;
        }
    }
    w.write_all(&out)?;
    w.flush()?;
    Ok(())
}

/// `("insn", index)`, or `("byte", insn_off)` when misaligned.
fn position(c: &Common) -> (&'static str, u64) {
    match c.insn() {
        Some(i) => ("insn", u64::from(i)),
        None => ("byte", u64::from(c.insn_off)),
    }
}

/// The errors of a record other than a misaligned insn_off, which the line
/// reports separately.
fn own_errors(c: &Common) -> Option<String> {
    let skip = usize::from(c.insn_off % 8 != 0);
    (c.errors.len() > skip).then(|| c.errors[skip..].join("; "))
}

fn func_text(out: &mut Vec<u8>, style: Style, f: &Func) {
    type_id(out, style, f.type_id);
    out.push(b' ');
    match (&f.prototype, &f.name) {
        (Some(p), _) => style.push(out, Role::Name, p.as_bytes()),
        (None, Some(n)) => style.push(out, Role::Name, n.as_bytes()),
        (None, None) => {}
    }
    if let Some(e) = own_errors(&f.common) {
        if f.name.is_some() {
            out.push(b' ');
        }
        invalid(out, style, &e);
    }
}

fn line_text(out: &mut Vec<u8>, style: Style, l: &Line) {
    let file = l.file.as_deref().unwrap_or("<invalid>");
    let _ = write!(Buf(out), "{file}:");
    let mut b = itoa::Buffer::new();
    style.push(out, Role::Number, b.format(l.line).as_bytes());
    out.push(b':');
    push_num(out, l.column);
    out.push(b':');
    if let Some(t) = l.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        out.push(b' ');
        out.extend_from_slice(t.as_bytes());
    }
    if let Some(e) = own_errors(&l.common) {
        out.push(b' ');
        invalid(out, style, &e);
    }
}

fn relo_text(out: &mut Vec<u8>, style: Style, r: &Relo<'_>) {
    let kind = r.kind.to_string();
    style.push(out, Role::Kind, kind.as_bytes());
    pad(out, KIND_WIDTH.saturating_sub(kind.len()) + 1);
    type_id(out, style, r.type_id);
    out.push(b' ');
    match &r.spec {
        Some(spec) => {
            let path = spec.path().to_string();
            style.push(out, Role::Name, path.as_bytes());
            let _ = write!(Buf(out), " ({})", spec.access_string());
            if spec.kind() == SpecKind::Field {
                let bits = spec.bit_offset();
                let _ = write!(Buf(out), " @ byte {}", bits / 8);
                if bits % 8 != 0 {
                    let _ = write!(Buf(out), " + {} bits", bits % 8);
                }
            }
        }
        None => {
            if let Some(root) = &r.root {
                style.push(out, Role::Name, root.c.as_bytes());
                out.push(b' ');
            }
            invalid(out, style, own_errors(&r.common).as_deref().unwrap_or("?"));
            match &r.access {
                Some(a) => {
                    let _ = write!(Buf(out), " ({a})");
                }
                None => out.extend_from_slice(b" (?)"),
            }
        }
    }
}

fn type_id(out: &mut Vec<u8>, style: Style, id: TypeId) {
    out.push(b'[');
    let mut b = itoa::Buffer::new();
    style.push(out, Role::Id, b.format(id.0).as_bytes());
    out.push(b']');
}

fn invalid(out: &mut Vec<u8>, style: Style, why: &str) {
    style.push(out, Role::Bad, format!("<invalid: {why}>").as_bytes());
}

fn pad(out: &mut Vec<u8>, n: usize) {
    out.extend(std::iter::repeat_n(b' ', n));
}

fn digits(v: u64) -> usize {
    itoa::Buffer::new().format(v).len()
}

/// `fmt::Write` into a byte buffer.
struct Buf<'v>(&'v mut Vec<u8>);

impl std::fmt::Write for Buf<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

// ---- JSON -------------------------------------------------------------------------

#[derive(Serialize)]
struct JsonDoc {
    schema: &'static str,
    version: u32,
    sections: Vec<JsonSection>,
    invalid_records: usize,
}

#[derive(Serialize)]
struct JsonSection {
    name: Option<String>,
    error: Option<String>,
    func_info: Vec<JsonFunc>,
    line_info: Vec<JsonLine>,
    core_relo: Vec<JsonRelo>,
}

#[derive(Serialize)]
struct JsonFunc {
    index: usize,
    ext_offset: usize,
    insn_off: u32,
    insn: Option<u32>,
    type_id: u32,
    name: Option<String>,
    linkage: Option<&'static str>,
    prototype: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonLine {
    index: usize,
    ext_offset: usize,
    insn_off: u32,
    insn: Option<u32>,
    file: Option<String>,
    line: u32,
    column: u32,
    text: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonRelo {
    index: usize,
    ext_offset: usize,
    insn_off: u32,
    insn: Option<u32>,
    kind: &'static str,
    kind_raw: u32,
    type_id: u32,
    root: Option<JsonRoot>,
    access: Option<String>,
    spec: Option<String>,
    bit_offset: Option<u64>,
    steps: Vec<JsonStep>,
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonRoot {
    kind: &'static str,
    name: String,
}

#[derive(Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
enum JsonStep {
    Root {
        index: u32,
        type_id: u32,
    },
    Member {
        index: u32,
        name: String,
        type_id: u32,
        bit_offset: u32,
        bitfield_size: u32,
    },
    Array {
        index: u32,
        elem_type_id: u32,
        flexible: bool,
    },
    Enumerator {
        index: u32,
        name: String,
        value: i128,
    },
}

impl From<&AccessStep<'_>> for JsonStep {
    fn from(s: &AccessStep<'_>) -> JsonStep {
        match *s {
            AccessStep::Root { index, type_id } => JsonStep::Root {
                index,
                type_id: type_id.0,
            },
            AccessStep::Member {
                index,
                name,
                type_id,
                bit_offset,
                bitfield_size,
                ..
            } => JsonStep::Member {
                index,
                name: lossy(name),
                type_id: type_id.0,
                bit_offset,
                bitfield_size,
            },
            AccessStep::Array {
                index,
                elem_type,
                flexible,
                ..
            } => JsonStep::Array {
                index,
                elem_type_id: elem_type.0,
                flexible,
            },
            AccessStep::Enumerator { index, name, value } => JsonStep::Enumerator {
                index,
                name: lossy(name),
                value,
            },
        }
    }
}

fn json_doc(dump: &Dump<'_>) -> JsonDoc {
    let sections = dump
        .sections
        .iter()
        .map(|s| JsonSection {
            name: s.name.clone(),
            error: s.error.clone(),
            func_info: s
                .funcs
                .iter()
                .map(|f| JsonFunc {
                    index: f.common.index,
                    ext_offset: f.common.ext_offset,
                    insn_off: f.common.insn_off,
                    insn: f.common.insn(),
                    type_id: f.type_id.0,
                    name: f.name.clone(),
                    linkage: f.linkage,
                    prototype: f.prototype.clone(),
                    error: f.common.error(),
                })
                .collect(),
            line_info: s
                .lines
                .iter()
                .map(|l| JsonLine {
                    index: l.common.index,
                    ext_offset: l.common.ext_offset,
                    insn_off: l.common.insn_off,
                    insn: l.common.insn(),
                    file: l.file.clone(),
                    line: l.line,
                    column: l.column,
                    text: l.text.clone(),
                    error: l.common.error(),
                })
                .collect(),
            core_relo: s
                .relos
                .iter()
                .map(|r| JsonRelo {
                    index: r.common.index,
                    ext_offset: r.common.ext_offset,
                    insn_off: r.common.insn_off,
                    insn: r.common.insn(),
                    kind: r.kind.name(),
                    kind_raw: r.kind.to_raw(),
                    type_id: r.type_id.0,
                    root: r.root.as_ref().map(|root| JsonRoot {
                        kind: root.kind.name(),
                        name: root.name.clone(),
                    }),
                    access: r.access.clone(),
                    spec: r.spec.as_ref().map(|s| s.path().to_string()),
                    bit_offset: r
                        .spec
                        .as_ref()
                        .filter(|s| s.kind() == SpecKind::Field)
                        .map(|s| s.bit_offset()),
                    steps: r
                        .spec
                        .as_ref()
                        .map(|s| s.steps().iter().map(JsonStep::from).collect())
                        .unwrap_or_default(),
                    error: r.common.error(),
                })
                .collect(),
        })
        .collect();
    JsonDoc {
        schema: "btfkit-dump-ext",
        version: 1,
        sections,
        invalid_records: dump.invalid,
    }
}

fn render_json(dump: &Dump<'_>, pretty: bool) -> Result<()> {
    let doc = json_doc(dump);
    let mut w = output::stdout();
    if pretty {
        serde_json::to_writer_pretty(&mut w, &doc)?;
    } else {
        serde_json::to_writer(&mut w, &doc)?;
    }
    w.write_all(b"\n")?;
    w.flush()?;
    Ok(())
}

// ---- summary ----------------------------------------------------------------------

fn render_summary(dump: &Dump<'_>) -> Result<()> {
    use comfy_table::{presets, CellAlignment, Table};

    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN).force_no_tty();
    table.set_header(["section", "func_info", "line_info", "core_relo", "invalid"]);
    let mut totals = [0usize; 4];
    for s in &dump.sections {
        let bad = s.invalid();
        let row = [s.funcs.len(), s.lines.len(), s.relos.len(), bad];
        for (t, v) in totals.iter_mut().zip(row) {
            *t += v;
        }
        let name = s
            .name
            .clone()
            .unwrap_or_else(|| format!("<invalid name {}>", s.name_off));
        let mut cells = vec![name];
        cells.extend(row.iter().map(|v| v.to_string()));
        table.add_row(cells);
    }
    let mut cells = vec!["total".to_string()];
    cells.extend(totals.iter().map(|v| v.to_string()));
    table.add_row(cells);
    for i in 1..5 {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "{table}");

    let mut by_kind: Vec<(u32, &'static str, usize)> = Vec::new();
    for r in dump.sections.iter().flat_map(|s| &s.relos) {
        let raw = r.kind.to_raw();
        match by_kind.iter_mut().find(|k| k.0 == raw) {
            Some(k) => k.2 += 1,
            None => by_kind.push((raw, r.kind.name(), 1)),
        }
    }
    if !by_kind.is_empty() {
        by_kind.sort();
        let mut kinds = Table::new();
        kinds.load_preset(presets::ASCII_MARKDOWN).force_no_tty();
        kinds.set_header(["core_relo kind", "#", "records"]);
        for (raw, name, n) in by_kind {
            kinds.add_row([name.to_string(), raw.to_string(), n.to_string()]);
        }
        for i in 1..3 {
            if let Some(c) = kinds.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        let _ = writeln!(out, "\n{kinds}");
    }
    let mut w = output::stdout();
    w.write_all(out.as_bytes())?;
    w.flush()?;
    Ok(())
}

// ---- problems -----------------------------------------------------------------------

/// Reports every invalid record on stderr; exit status 2 if there was one.
fn report_problems(dump: &Dump<'_>, file: &str) -> Result<i32> {
    if dump.invalid == 0 {
        return Ok(crate::exit::SUCCESS);
    }
    let mut err = std::io::stderr().lock();
    for s in &dump.sections {
        let name = s
            .name
            .clone()
            .unwrap_or_else(|| format!("<invalid name {}>", s.name_off));
        if let Some(e) = &s.error {
            writeln!(err, "btfkit: {file}: .BTF.ext section {name}: {e}")?;
        }
        let all = s
            .funcs
            .iter()
            .map(|f| ("func_info", &f.common))
            .chain(s.lines.iter().map(|l| ("line_info", &l.common)))
            .chain(s.relos.iter().map(|r| ("core_relo", &r.common)));
        for (sub, c) in all {
            if let Some(e) = c.error() {
                writeln!(
                    err,
                    "btfkit: {file}: .BTF.ext {sub} record #{} of section {name} at offset {:#x}: {e}",
                    c.index, c.ext_offset
                )?;
            }
        }
    }
    writeln!(
        err,
        "btfkit: error: {file}: {} invalid .BTF.ext record(s); the dump shows them marked <invalid: …>",
        dump.invalid
    )?;
    Ok(crate::exit::ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use btf_core::types::{Linkage, INT_SIGNED};
    use btf_core::write::OwnedType;
    use btf_core::{BtfBuilder, Endian};

    #[test]
    fn prototypes_use_c_declarators() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        let char_ = b.add_int("char", 1, INT_SIGNED, 8);
        let cb_proto = b.add_func_proto(int, &[("", int), ("", TypeId::VOID)]);
        let cb = b.add(OwnedType::ptr(cb_proto));
        let arr = b.add(OwnedType::array(char_, int, 4));
        let ptr_arr = b.add(OwnedType::ptr(arr));
        let cint = b.add(OwnedType::konst(int));
        let ptr_cint = b.add(OwnedType::ptr(cint));
        let ptr_int = b.add(OwnedType::ptr(int));
        let const_ptr = b.add(OwnedType::konst(ptr_int));
        let s = b.add_composite(false, "", 4, &[("x", int, 0, 0)]);
        let ptr_s = b.add(OwnedType::ptr(s));
        let proto = b.add_func_proto(
            ptr_int,
            &[
                ("cb", cb),
                ("p", ptr_arr),
                ("q", ptr_cint),
                ("r", const_ptr),
                ("s", ptr_s),
            ],
        );
        let f = b.add_func("f", proto, Linkage::Static);
        let void_proto = b.add_func_proto(TypeId::VOID, &[]);
        let g = b.add_func("g", void_proto, Linkage::Extern);
        let bytes = b.write(Endian::Little).unwrap();
        let btf = Btf::parse(&bytes).unwrap();
        let c = Declarator::new(&btf);
        assert_eq!(
            c.declare(proto, "f"),
            "int *f(int (*cb)(int, ...), char (*p)[4], const int *q, int *const r, struct {...} *s)"
        );
        assert_eq!(c.declare(void_proto, "g"), "void g(void)");
        let rec = |type_id| FuncInfo {
            insn_off: 0,
            type_id,
        };
        let common = || Common {
            index: 0,
            ext_offset: 0,
            insn_off: 0,
            errors: Vec::new(),
        };
        let func = decode_func(&btf, common(), rec(f));
        assert_eq!(
            func.prototype.unwrap(),
            format!("static {}", c.declare(proto, "f"))
        );
        assert_eq!(func.linkage, Some("static"));
        let func = decode_func(&btf, common(), rec(g));
        assert_eq!(func.prototype.unwrap(), "extern void g(void)");
        let bad = decode_func(&btf, common(), rec(int));
        assert_eq!(bad.common.errors, ["type [1] is INT 'int', not FUNC"]);
        let bad = decode_func(&btf, common(), rec(TypeId(999)));
        assert!(bad.common.errors[0].contains("past the last type id"));
    }
}
