//! Relocating a whole BPF object: records from `.BTF.ext`, mapped to
//! functions, resolved, and planned against the instructions in record
//! order (a later record on the same instruction sees the earlier patch, as
//! in libbpf, which patches in place).

use bpf_obj::{Insn, Object, SectionIndex};
use btf_core::ext::CoreRelo;
use btf_core::BtfExt;
use rustc_hash::FxHashMap;
use std::sync::Arc;

use crate::patch::{plan, FuncInsns};
use crate::resolve::{resolve_each, Options, Record};
use crate::target::Targets;
use crate::types::BtfView;
use crate::{Error, Fixup, Location, Resolution};

/// What happened to one record.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The instruction was patched (ok, zeroed or poisoned).
    Fixed(Fixup),
    /// The record was not applied, as libbpf would not: its instruction is
    /// outside every function (an eliminated `__weak` subprogram), or its
    /// block names a section the object does not have.
    Skipped(String),
    /// The relocation cannot be computed or applied; libbpf would refuse
    /// to load the object.
    Failed(Error),
}

/// One record and what happened to it.
#[derive(Clone, Debug)]
pub struct RecordReport<'l, 't> {
    /// Where the record is.
    pub location: Location,
    /// The record.
    pub relo: CoreRelo,
    /// The code section, when the object has it.
    pub section: Option<SectionIndex>,
    /// The function containing the instruction (shared by its records).
    pub function: Option<Arc<str>>,
    /// Section-relative index of the function's first instruction.
    pub function_start: u32,
    /// The resolution, when the record got that far and
    /// [`Options::outcomes_only`] was off (boxed: reports hold thousands of
    /// records).
    pub resolution: Option<Box<Resolution<'l, 't>>>,
    /// The outcome.
    pub outcome: Outcome,
}

/// Every record of an object, in `.BTF.ext` order.
#[derive(Clone, Debug, Default)]
pub struct ObjectReport<'l, 't> {
    /// The records.
    pub records: Vec<RecordReport<'l, 't>>,
}

impl<'l, 't> ObjectReport<'l, 't> {
    /// Whether any record failed.
    pub fn has_errors(&self) -> bool {
        self.records
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Failed(_)))
    }

    /// Whether any instruction was poisoned.
    pub fn has_poison(&self) -> bool {
        self.records.iter().any(|r| {
            matches!(&r.outcome, Outcome::Fixed(f) if matches!(f.status, crate::Status::Poisoned(_)))
        })
    }

    /// The fixups, in record order.
    pub fn fixups(&self) -> impl Iterator<Item = (&RecordReport<'l, 't>, &Fixup)> {
        self.records.iter().filter_map(|r| match &r.outcome {
            Outcome::Fixed(f) => Some((r, f)),
            _ => None,
        })
    }
}

/// Relocates every CO-RE record of `obj` (whose BTF is `local` and
/// `.BTF.ext` is `ext`) against `targets`. Pure: the object is not changed;
/// apply the fixups with [`patched_sections`].
pub fn relocate_object<'l, 't>(
    obj: &Object<'_>,
    local: &BtfView<'l>,
    ext: &BtfExt<'_>,
    targets: &Targets<'t>,
    opts: &Options,
) -> ObjectReport<'l, 't> {
    let total = ext.core_relo().len();
    let mut reports = Vec::with_capacity(total);
    let mut pending = Vec::with_capacity(total);
    // The last function's name, shared by its records (records come
    // grouped by function).
    let mut last_fn: Option<(SectionIndex, u32, Arc<str>)> = None;
    for block in ext.core_relo().blocks() {
        let name = local.btf.name(block.sec_name);
        let section_name = name.map_or_else(
            || format!("<bad name offset {}>", block.sec_name.0),
            |n| String::from_utf8_lossy(n).into_owned(),
        );
        let section = name
            .and_then(|_| obj.section_by_name(&section_name))
            .filter(|s| s.is_code());
        let shared: Arc<str> = section_name.as_str().into();
        for (i, relo) in block.iter().enumerate() {
            let location = Location {
                section: shared.clone(),
                record: i,
                ext_offset: block.record_offset(i),
                insn: relo.insn_off / 8,
            };
            let mut report = RecordReport {
                location: location.clone(),
                relo,
                section: section.map(|s| s.index),
                function: None,
                function_start: 0,
                resolution: None,
                outcome: Outcome::Skipped(String::new()),
            };
            report.outcome = match (name, section) {
                _ if relo.insn_off % 8 != 0 => Outcome::Failed(Error::InsnOffUnaligned {
                    insn_off: relo.insn_off,
                }),
                (None, _) => {
                    Outcome::Skipped("the block's section name is not a .BTF string".into())
                }
                (Some(_), None) => {
                    Outcome::Skipped(format!("the object has no code section {section_name}"))
                }
                (Some(_), Some(s)) => {
                    let count = (s.data.len() / 8) as u32;
                    match obj.function_at(s.index, location.insn) {
                        _ if location.insn >= count => Outcome::Failed(Error::InsnOutOfRange {
                            insn: location.insn,
                            what: format!("section {section_name}"),
                            count,
                        }),
                        None => Outcome::Skipped(
                            "the instruction is outside every function (eliminated __weak subprogram?)"
                                .into(),
                        ),
                        Some(f) => {
                            let name = match &last_fn {
                                Some((sec, start, name))
                                    if *sec == s.index && *start == f.insn_start =>
                                {
                                    name.clone()
                                }
                                _ => {
                                    let name: Arc<str> = f.name.as_str().into();
                                    last_fn = Some((s.index, f.insn_start, name.clone()));
                                    name
                                }
                            };
                            report.function = Some(name);
                            report.function_start = f.insn_start;
                            pending.push((reports.len(), f.insn_start, f.insn_count));
                            Outcome::Skipped(String::new())
                        }
                    }
                }
            };
            reports.push(report);
        }
    }
    let records: Vec<Record> = pending
        .iter()
        .map(|&(r, _, _)| Record {
            location: reports[r].location.clone(),
            relo: reports[r].relo,
        })
        .collect();
    // Outcomes are planned in record order as they arrive; the few that
    // arrive early (after a record that waits for its root's agreement)
    // wait in `early`.
    let mut insns: FxHashMap<SectionIndex, Vec<Insn>> = FxHashMap::default();
    let mut early: FxHashMap<usize, Result<Resolution<'l, 't>, crate::RecordError>> =
        FxHashMap::default();
    let mut next = 0;
    let mut apply = |i: usize, res: Result<Resolution<'l, 't>, crate::RecordError>| {
        let (r, start, count) = pending[i];
        let report = &mut reports[r];
        let res = match res {
            Ok(res) => res,
            Err(e) => {
                report.outcome = Outcome::Failed(e.error);
                return;
            }
        };
        let Some(sec) = report.section else {
            return;
        };
        let code = insns
            .entry(sec)
            .or_insert_with(|| obj.insns(sec).unwrap_or_default());
        let end = (start as usize + count as usize).min(code.len());
        let func = FuncInsns {
            insns: code.get(start as usize..end).unwrap_or_default(),
            start,
        };
        report.outcome = match plan(&res, func, report.location.insn, opts.semantics) {
            Ok(fx) => {
                fx.apply(code);
                Outcome::Fixed(fx)
            }
            Err(e) => Outcome::Failed(e),
        };
        if !opts.outcomes_only {
            report.resolution = Some(Box::new(res));
        }
    };
    resolve_each(local, &records, targets, opts, |i, res| {
        if i != next {
            early.insert(i, res);
            return;
        }
        apply(i, res);
        next += 1;
        while let Some(res) = early.remove(&next) {
            apply(next, res);
            next += 1;
        }
    });
    debug_assert!(early.is_empty() && next == records.len());
    ObjectReport { records: reports }
}

/// Every code section's instructions with the report's fixups applied, in
/// section order (sections without fixups included).
pub fn patched_sections(
    obj: &Object<'_>,
    report: &ObjectReport<'_, '_>,
) -> Vec<(SectionIndex, Vec<Insn>)> {
    let mut out: Vec<(SectionIndex, Vec<Insn>)> = obj
        .code_sections()
        .map(|s| (s.index, obj.insns(s.index).unwrap_or_default()))
        .collect();
    for (r, fx) in report.fixups() {
        if let Some((_, insns)) = out.iter_mut().find(|(i, _)| Some(*i) == r.section) {
            fx.apply(insns);
        }
    }
    out
}
