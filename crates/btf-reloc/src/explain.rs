//! `--explain`: why a relocation did not resolve, in terms a programmer can
//! act on: the candidates considered, the first member or enumerator of the
//! path that did not match, the nearest names in the target, and the source
//! line of the instruction.

use btf_core::cdecl::TypeName;
use btf_core::{Btf, BtfExt, TypeId};

use crate::matching::{MatchOutcome, MismatchReason};
use crate::name::essential;
use crate::target::Targets;
use crate::types::BtfView;
use crate::Resolution;

/// One candidate as `--explain` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateNote {
    /// The target's name.
    pub btf: String,
    /// The candidate's id in that target.
    pub id: TypeId,
    /// Its C spelling (`struct task_struct`).
    pub name: String,
    /// Whether it matched.
    pub matched: bool,
    /// Matched but not used, to agree with the other records of the root.
    pub pruned: bool,
    /// Why it did not match.
    pub why: Option<String>,
}

/// Why a relocation failed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Explanation {
    /// The essential name searched for.
    pub essential_name: String,
    /// Every candidate considered.
    pub candidates: Vec<CandidateNote>,
    /// The first step that did not match, in words.
    pub failing_step: Option<String>,
    /// Nearest names in the target (edit distance), closest first.
    pub nearest: Vec<String>,
}

/// Explains `res` (meant for poisoned or zeroed relocations).
pub fn explain(
    local: &BtfView<'_>,
    res: &Resolution<'_, '_>,
    targets: &Targets<'_>,
) -> Explanation {
    let root_name = local.name_of(res.local.root);
    let mut ex = Explanation {
        essential_name: String::from_utf8_lossy(essential(root_name)).into_owned(),
        ..Explanation::default()
    };
    for e in &res.candidates {
        let t = &targets.get(e.cand.target).view;
        let why = match &e.outcome {
            MatchOutcome::Match(_) => None,
            MatchOutcome::NoMatch(m) => {
                Some(describe(local, res, t, m.step, m.target_type, &m.reason))
            }
        };
        ex.candidates.push(CandidateNote {
            btf: targets.get(e.cand.target).name.clone(),
            id: e.cand.id,
            name: TypeName::of_id(t.btf, e.cand.id).to_string(),
            matched: e.calc.is_some(),
            pruned: e.pruned,
            why,
        });
    }
    let first_miss = res.candidates.iter().find_map(|e| match &e.outcome {
        MatchOutcome::NoMatch(m) => Some((e.cand, m)),
        MatchOutcome::Match(_) => None,
    });
    if res.candidates.is_empty() && res.relo.kind != btf_core::ext::CoreReloKind::TypeIdLocal {
        ex.failing_step = Some(format!(
            "no type named {} (or a ___flavor of it) of a compatible kind in {}",
            ex.essential_name,
            targets.get(0).name
        ));
        let names = targets.list().iter().flat_map(|t| t.index().names());
        ex.nearest = nearest(essential(root_name), names);
    } else if let Some((cand, m)) = first_miss {
        if res.used.is_none() {
            let t = &targets.get(cand.target).view;
            ex.failing_step = Some(describe(local, res, t, m.step, m.target_type, &m.reason));
            let want = res
                .local
                .accessors
                .get(m.step)
                .and_then(|a| a.name)
                .unwrap_or_default();
            let names: Vec<&[u8]> = match m.reason {
                MismatchReason::NoMember | MismatchReason::MemberIncompatible { .. } => {
                    let mut v = Vec::new();
                    member_names(t, m.target_type, &mut v, 0);
                    v
                }
                MismatchReason::NoEnumerator => t
                    .get(m.target_type)
                    .map(|ty| {
                        ty.enum_values()
                            .map(|v| t.btf.name(v.name).unwrap_or_default())
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            ex.nearest = nearest(want, names.into_iter());
        }
    }
    ex
}

fn describe(
    local: &BtfView<'_>,
    res: &Resolution<'_, '_>,
    t: &BtfView<'_>,
    step: usize,
    target_type: TypeId,
    reason: &MismatchReason,
) -> String {
    let acc = res.local.accessors.get(step);
    let name = acc
        .and_then(|a| a.name)
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let in_t = || format!("{} [{}]", TypeName::of_id(t.btf, target_type), target_type);
    match reason {
        MismatchReason::TypeIncompatible => format!(
            "{} is not compatible with local {} (kind or shape differs)",
            in_t(),
            TypeName::of_id(local.btf, res.local.root)
        ),
        MismatchReason::TypeMismatch => format!(
            "{} does not match local {} (members, sizes, signedness or names differ)",
            in_t(),
            TypeName::of_id(local.btf, res.local.root)
        ),
        MismatchReason::NotAnEnum => format!("{} is not an enum", in_t()),
        MismatchReason::NoEnumerator => format!("{} has no enumerator {name}", in_t()),
        MismatchReason::NotComposite => {
            format!("member {name}: {} is not a struct or union", in_t())
        }
        MismatchReason::NoMember => format!("{} has no member {name}", in_t()),
        MismatchReason::MemberIncompatible { member_type } => format!(
            "member {name} of {} has type {} [{member_type}], incompatible with the local field's type",
            in_t(),
            TypeName::of_id(t.btf, *member_type)
        ),
        MismatchReason::NotArray => format!("step {step}: {} is not an array", in_t()),
        MismatchReason::SubscriptOutOfRange { nelems } => format!(
            "subscript [{}] is past the end of {} ({nelems} elements)",
            acc.map_or(0, |a| a.index),
            in_t()
        ),
    }
}

/// Member names of a struct, descending into anonymous members.
fn member_names<'a>(t: &BtfView<'a>, id: TypeId, out: &mut Vec<&'a [u8]>, depth: u32) {
    let Ok((_, Some(ty))) = t.strip(id) else {
        return;
    };
    if !ty.kind().is_composite() || depth > 16 {
        return;
    }
    for m in ty.members() {
        let n = t.btf.name(m.name).unwrap_or_default();
        if n.is_empty() {
            member_names(t, m.type_id, out, depth + 1);
        } else {
            out.push(n);
        }
    }
}

/// Up to 5 names closest to `want` by edit distance, within a third of its
/// length (at least 2), closest first, ties by name.
pub fn nearest<'a>(want: &[u8], names: impl Iterator<Item = &'a [u8]>) -> Vec<String> {
    let limit = (want.len() / 3).max(2);
    let mut scored: Vec<(usize, &[u8])> = names
        .filter(|n| n.len().abs_diff(want.len()) <= limit && *n != want)
        .filter_map(|n| {
            let d = edit_distance(want, n);
            (d <= limit).then_some((d, n))
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored
        .into_iter()
        .take(5)
        .map(|(_, n)| String::from_utf8_lossy(n).into_owned())
        .collect()
}

/// Levenshtein distance over bytes.
pub fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A source position from line_info.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// File name as recorded (`./core.c`).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// Column.
    pub column: u32,
    /// The source text of the line, trimmed.
    pub text: String,
}

/// The line_info entry covering byte offset `insn_off` of `section`: the
/// last one at or before it.
pub fn source_line(
    btf: &Btf<'_>,
    ext: &BtfExt<'_>,
    section: &str,
    insn_off: u32,
) -> Option<SourceLine> {
    let block = ext
        .line_info()
        .blocks()
        .iter()
        .find(|b| btf.name(b.sec_name) == Some(section.as_bytes()))?;
    let li = block
        .iter()
        .filter(|l| l.insn_off <= insn_off)
        .max_by_key(|l| l.insn_off)?;
    let s = |off| String::from_utf8_lossy(btf.name(off).unwrap_or_default()).into_owned();
    Some(SourceLine {
        file: s(li.file_name),
        line: li.line_number(),
        column: li.column(),
        text: s(li.line).trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_nearest() {
        assert_eq!(edit_distance(b"kitten", b"sitting"), 3);
        assert_eq!(edit_distance(b"", b"abc"), 3);
        let names: [&[u8]; 4] = [b"i_atime_sec", b"i_mtime", b"i_atime", b"flags"];
        assert_eq!(
            nearest(b"i_atim", names.into_iter()),
            ["i_atime", "i_mtime"]
        );
    }
}
