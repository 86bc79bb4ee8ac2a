//! `--explain` in text form, after the table.

use std::io::Write;

use anyhow::Result;

use super::report::Doc;
use super::table::paint;
use crate::output::style::{Role, Style};

/// Prints one block per relocation that is not ok.
pub fn print(out: &mut impl Write, doc: &Doc, style: Style) -> Result<()> {
    for r in doc.relocations.iter().filter(|r| r.status != "ok") {
        let spec = r.local.as_ref().map_or(String::new(), |l| l.spec.clone());
        let func = match (&r.function, r.function_insn) {
            (Some(f), Some(i)) => format!(" ({f}+{i})"),
            _ => String::new(),
        };
        writeln!(
            out,
            "\n{} #{} insn {}{func}: {} {spec}: {}",
            r.section,
            r.record,
            r.insn,
            r.kind,
            paint(style, r.status, Role::Bad)
        )?;
        if let Some(why) = r.reason.as_ref().or(r.error.as_ref()) {
            writeln!(out, "  why:       {why}")?;
        }
        if let Some(s) = &r.source {
            writeln!(
                out,
                "  source:    {}:{}:{}: {}",
                s.file, s.line, s.column, s.text
            )?;
        }
        if let Some(ins) = r.insns.first() {
            writeln!(
                out,
                "  insn:      #{} code={:#04x} dst={} src={} off={} imm={}",
                ins.index, ins.old.code, ins.old.dst, ins.old.src, ins.old.off, ins.old.imm
            )?;
        }
        let Some(e) = &r.explain else {
            continue;
        };
        writeln!(out, "  searched:  {} (essential name)", e.essential_name)?;
        if e.candidates.is_empty() {
            writeln!(out, "  candidates: none")?;
        }
        for c in &e.candidates {
            let verdict = match (&c.why, c.matched, c.pruned) {
                (Some(why), _, _) => why.clone(),
                (None, true, true) => {
                    "matches, but not the candidate the other relocations of this type agree on"
                        .into()
                }
                (None, true, false) => "matches".into(),
                (None, false, _) => "does not match".into(),
            };
            writeln!(
                out,
                "  candidate: [{}] {} in {}: {verdict}",
                c.type_id, c.type_name, c.btf
            )?;
        }
        if let Some(step) = &e.failing_step {
            writeln!(out, "  failing:   {step}")?;
        }
        if !e.nearest.is_empty() {
            writeln!(out, "  nearest:   {}", e.nearest.join(", "))?;
        }
    }
    Ok(())
}
