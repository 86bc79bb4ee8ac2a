//! The relocation report: one record per relocation, as JSON and as the
//! source of the table.
//!
//! # JSON schema (`btfkit relocate --format json`)
//!
//! One document:
//!
//! ```text
//! {
//!   "schema": "btfkit.relocate", "version": 1,
//!   "object": PATH, "semantics": "btfkit" | "libbpf",
//!   "targets": [ { "name": "vmlinux", "path": PATH, "types": N } ... ],
//!   "summary": { "records", "ok", "poisoned", "zeroed", "skipped", "failed", "drift" },
//!   "relocations": [ RELOCATION ... ]          // .BTF.ext order
//! }
//! RELOCATION = {
//!   "section": ELF section, "record": index in the section's block (libbpf's relo #N),
//!   "ext_offset": byte offset of the record in .BTF.ext, "insn": section-relative index,
//!   "function": name | null, "function_insn": index relative to the function | null,
//!   "kind": libbpf's name (byte_off … type_matches), "kind_raw": u32,
//!   "local": { "type_id", "type" (C spelling), "path" (C syntax), "access" (raw), "spec" } | null,
//!   "target": { "btf", "type_id", "type", "path", "access", "bit_offset" } | null,
//!   "old": value found in the instruction | null, "new": value written | null (poisoned),
//!   "expected": local value the instruction had to hold | null, "validated": bool,
//!   "mem_size": { "old", "new" } | null,
//!   "status": "ok" | "poisoned" | "zeroed" | "skipped" | "error",
//!   "reason": why (poisoned, zeroed, skipped) | null, "error": message | null,
//!   "insns": [ { "index", "old": INSN, "new": INSN } ],   // INSN = { code, dst, src, off, imm }
//!   "candidates": N,                                       // candidates considered
//!   "libbpf": { "status", "new", "error" } | null,          // only where libbpf differs
//!   "source": { "file", "line", "column", "text" } | null, // with --explain
//!   "explain": EXPLANATION | null                           // with --explain, when not ok
//! }
//! ```
//!
//! Values are JSON integers (unsigned 64-bit values above 2⁶³ stay
//! unsigned; `old` is signed as the instruction holds it). Names are lossy
//! UTF-8. The schema only grows.

use std::path::Path;

use btf_core::cdecl::TypeName;
use btf_reloc::explain::{explain, source_line};
use btf_reloc::{render, ObjectReport, Outcome, RecordReport, Semantics, Status, Targets};
use serde::Serialize;

use super::load::ParsedObject;

/// What the report needs besides the records.
pub struct Context<'c, 'a> {
    /// The object's path.
    pub object: &'c Path,
    /// The parsed object.
    pub parsed: &'c ParsedObject<'a>,
    /// The targets.
    pub targets: &'c Targets<'c>,
    /// The targets' paths, in order.
    pub target_paths: Vec<&'c Path>,
    /// The semantics used.
    pub semantics: Semantics,
    /// Whether to explain failures.
    pub explain: bool,
}

/// The whole report.
#[derive(Serialize, Debug)]
pub struct Doc {
    /// `btfkit.relocate`.
    pub schema: &'static str,
    /// 1.
    pub version: u32,
    /// The object's path.
    pub object: String,
    /// `btfkit` or `libbpf`.
    pub semantics: &'static str,
    /// The targets.
    pub targets: Vec<TargetInfo>,
    /// Counts.
    pub summary: Summary,
    /// One per record.
    pub relocations: Vec<Relocation>,
}

/// A target BTF.
#[derive(Serialize, Debug)]
pub struct TargetInfo {
    /// Its name (`vmlinux`, a module file name).
    pub name: String,
    /// Its path.
    pub path: String,
    /// Number of type ids (void included).
    pub types: u32,
}

/// Counts by status.
#[derive(Serialize, Debug, Default)]
pub struct Summary {
    /// All records.
    pub records: usize,
    /// Patched with the target value.
    pub ok: usize,
    /// Poisoned.
    pub poisoned: usize,
    /// No target, value 0.
    pub zeroed: usize,
    /// Not applied (outside every function).
    pub skipped: usize,
    /// Failed.
    pub failed: usize,
    /// Records where libbpf's result differs.
    pub drift: usize,
}

/// One relocation.
#[derive(Serialize, Debug)]
pub struct Relocation {
    pub section: String,
    pub record: usize,
    pub ext_offset: usize,
    pub insn: u32,
    pub function: Option<String>,
    pub function_insn: Option<u32>,
    pub kind: &'static str,
    pub kind_raw: u32,
    pub local: Option<LocalSpec>,
    pub target: Option<TargetSpec>,
    pub old: Option<i128>,
    pub new: Option<u64>,
    pub expected: Option<u64>,
    pub validated: bool,
    pub mem_size: Option<MemSize>,
    pub status: &'static str,
    pub reason: Option<String>,
    pub error: Option<String>,
    pub insns: Vec<SlotChange>,
    pub candidates: usize,
    pub libbpf: Option<Drift>,
    pub source: Option<Source>,
    pub explain: Option<Explain>,
}

/// The local side.
#[derive(Serialize, Debug)]
pub struct LocalSpec {
    pub type_id: u32,
    #[serde(rename = "type")]
    pub type_name: String,
    pub path: String,
    pub access: String,
    pub spec: String,
}

/// The matched target.
#[derive(Serialize, Debug)]
pub struct TargetSpec {
    pub btf: String,
    pub type_id: u32,
    #[serde(rename = "type")]
    pub type_name: String,
    pub path: String,
    pub access: String,
    pub bit_offset: u32,
}

/// A load/store size change.
#[derive(Serialize, Debug)]
pub struct MemSize {
    pub old: u32,
    pub new: u32,
}

/// One changed instruction slot.
#[derive(Serialize, Debug)]
pub struct SlotChange {
    pub index: u32,
    pub old: InsnJson,
    pub new: InsnJson,
}

/// An instruction's fields.
#[derive(Serialize, Debug)]
pub struct InsnJson {
    pub code: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

/// libbpf's result where it differs.
#[derive(Serialize, Debug)]
pub struct Drift {
    pub status: &'static str,
    pub new: Option<u64>,
    pub error: Option<String>,
}

/// A source position.
#[derive(Serialize, Debug)]
pub struct Source {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub text: String,
}

/// Why a relocation is not ok.
#[derive(Serialize, Debug)]
pub struct Explain {
    pub essential_name: String,
    pub candidates: Vec<ExplainCandidate>,
    pub failing_step: Option<String>,
    pub nearest: Vec<String>,
}

/// One candidate considered.
#[derive(Serialize, Debug)]
pub struct ExplainCandidate {
    pub btf: String,
    pub type_id: u32,
    #[serde(rename = "type")]
    pub type_name: String,
    pub matched: bool,
    pub pruned: bool,
    pub why: Option<String>,
}

fn insn_json(i: &bpf_obj::Insn) -> InsnJson {
    InsnJson {
        code: i.code,
        dst: i.dst,
        src: i.src,
        off: i.off,
        imm: i.imm,
    }
}

/// Status name, reason, error and new value of an outcome (shared with
/// `btfkit check`, so both commands name outcomes the same way).
pub(crate) fn outcome_parts(
    o: &Outcome,
) -> (&'static str, Option<String>, Option<String>, Option<u64>) {
    match o {
        Outcome::Fixed(f) => {
            let reason = (f.status != Status::Ok).then(|| f.status.reason());
            (f.status.name(), reason, None, f.value)
        }
        Outcome::Skipped(why) => ("skipped", Some(why.clone()), None, None),
        Outcome::Failed(e) => ("error", None, Some(e.to_string()), None),
    }
}

/// Builds the report from the engine's results (and libbpf's, to show
/// drift).
pub fn build(
    ctx: &Context<'_, '_>,
    rep: &ObjectReport<'_, '_>,
    libbpf: Option<&ObjectReport<'_, '_>>,
) -> Doc {
    let local = ctx.parsed.view();
    let mut summary = Summary {
        records: rep.records.len(),
        ..Summary::default()
    };
    let mut relocations = Vec::with_capacity(rep.records.len());
    let mut names = Names::default();
    for (i, r) in rep.records.iter().enumerate() {
        let (status, reason, error, new) = outcome_parts(&r.outcome);
        match status {
            "ok" => summary.ok += 1,
            "poisoned" => summary.poisoned += 1,
            "zeroed" => summary.zeroed += 1,
            "skipped" => summary.skipped += 1,
            _ => summary.failed += 1,
        }
        let drift = libbpf
            .and_then(|l| l.records.get(i))
            .and_then(|l| drift(r, l));
        summary.drift += usize::from(drift.is_some());
        relocations.push(relocation(
            ctx, &local, &mut names, r, status, reason, error, new, drift,
        ));
    }
    Doc {
        schema: "btfkit.relocate",
        version: 1,
        object: ctx.object.display().to_string(),
        semantics: match ctx.semantics {
            Semantics::Btfkit => "btfkit",
            Semantics::Libbpf => "libbpf",
        },
        targets: ctx
            .targets
            .list()
            .iter()
            .zip(&ctx.target_paths)
            .map(|(t, p)| TargetInfo {
                name: t.name.clone(),
                path: p.display().to_string(),
                types: t.view.btf.type_count(),
            })
            .collect(),
        summary,
        relocations,
    }
}

/// libbpf's outcome, if it differs from ours.
fn drift(ours: &RecordReport<'_, '_>, theirs: &RecordReport<'_, '_>) -> Option<Drift> {
    let slots = |o: &Outcome| match o {
        Outcome::Fixed(f) => Some(
            f.slots()
                .iter()
                .map(|s| (s.insn, s.new))
                .collect::<Vec<_>>(),
        ),
        _ => None,
    };
    let (a, b) = (outcome_parts(&ours.outcome), outcome_parts(&theirs.outcome));
    let same = a.0 == b.0 && a.3 == b.3 && slots(&ours.outcome) == slots(&theirs.outcome);
    (!same).then_some(Drift {
        status: b.0,
        new: b.3,
        error: b.2,
    })
}

/// C spellings of type names, computed once per (BTF, id): roots repeat.
#[derive(Default)]
struct Names {
    cache: std::collections::HashMap<(usize, u32), String>,
}

impl Names {
    /// `btf` is `usize::MAX` for the local BTF, else the target index.
    fn get(&mut self, btf: usize, view: &btf_reloc::BtfView<'_>, id: btf_core::TypeId) -> String {
        self.cache
            .entry((btf, id.0))
            .or_insert_with(|| TypeName::of_id(view.btf, id).to_string())
            .clone()
    }
}

#[allow(clippy::too_many_arguments)]
fn relocation(
    ctx: &Context<'_, '_>,
    local: &btf_reloc::BtfView<'_>,
    names: &mut Names,
    r: &RecordReport<'_, '_>,
    status: &'static str,
    reason: Option<String>,
    error: Option<String>,
    new: Option<u64>,
    drift: Option<Drift>,
) -> Relocation {
    let res = r.resolution.as_ref();
    let access = local
        .btf
        .name(r.relo.access_str)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .unwrap_or_default();
    let local_spec = match res {
        Some(res) => {
            let type_name = names.get(usize::MAX, local, res.local.root);
            let path = render::path(&res.local);
            let spec = if path.is_empty() {
                type_name.clone()
            } else {
                format!("{type_name}::{path}")
            };
            Some(LocalSpec {
                type_id: res.local.root.0,
                type_name,
                path,
                access: res.local.access_string(),
                spec,
            })
        }
        None => (r.relo.type_id.0 <= local.btf.last_id().0).then(|| {
            let type_name = names.get(usize::MAX, local, r.relo.type_id);
            LocalSpec {
                type_id: r.relo.type_id.0,
                spec: format!("{type_name} ({access})"),
                type_name,
                path: String::new(),
                access: access.clone(),
            }
        }),
    };
    let target = res.and_then(|res| res.target()).map(|(c, spec)| {
        let t = ctx.targets.get(c.target);
        TargetSpec {
            btf: t.name.clone(),
            type_id: c.id.0,
            type_name: names.get(c.target, &t.view, c.id),
            path: render::path(spec),
            access: spec.access_string(),
            bit_offset: spec.bit_offset,
        }
    });
    let fixup = match &r.outcome {
        Outcome::Fixed(f) => Some(f),
        _ => None,
    };
    let not_ok = status != "ok";
    let explanation = (ctx.explain && not_ok)
        .then(|| res.map(|res| explain(local, res, ctx.targets)))
        .flatten()
        .map(|e| Explain {
            essential_name: e.essential_name,
            candidates: e
                .candidates
                .into_iter()
                .map(|c| ExplainCandidate {
                    btf: c.btf,
                    type_id: c.id.0,
                    type_name: c.name,
                    matched: c.matched,
                    pruned: c.pruned,
                    why: c.why,
                })
                .collect(),
            failing_step: e.failing_step,
            nearest: e.nearest,
        });
    let source = ctx
        .explain
        .then(|| {
            let ext = ctx.parsed.ext.as_ref()?;
            source_line(&ctx.parsed.btf, ext, &r.location.section, r.relo.insn_off)
        })
        .flatten()
        .map(|s| Source {
            file: s.file,
            line: s.line,
            column: s.column,
            text: s.text,
        });
    Relocation {
        section: r.location.section.to_string(),
        record: r.location.record,
        ext_offset: r.location.ext_offset,
        insn: r.location.insn,
        function: r.function.as_deref().map(str::to_owned),
        function_insn: r
            .function
            .as_ref()
            .map(|_| r.location.insn - r.function_start),
        kind: r.relo.kind.name(),
        kind_raw: r.relo.kind.to_raw(),
        local: local_spec,
        target,
        old: fixup.map(|f| f.found),
        new,
        expected: fixup.map(|f| f.expected),
        validated: fixup.is_some_and(|f| f.validated),
        mem_size: fixup
            .and_then(|f| f.mem_size)
            .map(|(old, new)| MemSize { old, new }),
        status,
        reason,
        error,
        insns: fixup
            .map(|f| {
                f.slots()
                    .iter()
                    .map(|s| SlotChange {
                        index: s.insn,
                        old: insn_json(&s.old),
                        new: insn_json(&s.new),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        candidates: res.map_or(0, |r| r.candidates.len()),
        libbpf: drift,
        source,
        explain: explanation,
    }
}
