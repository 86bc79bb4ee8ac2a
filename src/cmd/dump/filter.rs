//! Choosing which types a dump shows: `--type`, `--kind`, `--id`,
//! `--closure`.
//!
//! Values of one flag are alternatives (any may match); different flags must
//! all match. `--closure` then adds every type the chosen ones refer to,
//! transitively. Ids are never renumbered: a dump line for type 42 reads the
//! same in a filtered dump, a full dump and a verifier log.

use anyhow::{bail, Result};
use btf_core::{Btf, Kind, TypeId};

use crate::cli::DumpArgs;

/// The types to show: all of them, or a sorted set of ids.
#[derive(Debug, Default)]
pub struct Selection {
    ids: Option<Vec<TypeId>>,
}

impl Selection {
    /// Everything in the blob (for split BTF, the split's own types).
    pub fn all() -> Selection {
        Selection { ids: None }
    }

    /// Builds the selection described by the arguments.
    pub fn new(args: &DumpArgs, btf: &Btf<'_>) -> Result<Selection> {
        if args.types.is_empty() && args.kinds.is_empty() && args.ids.is_empty() {
            if args.closure {
                bail!("--closure needs --type, --kind or --id to say where to start");
            }
            return Ok(Selection::all());
        }
        let kinds = args
            .kinds
            .iter()
            .map(|k| parse_kind(k))
            .collect::<Result<Vec<_>>>()?;
        for &id in &args.ids {
            if id == 0 || id > btf.last_id().0 {
                bail!(
                    "--id {id}: no such type (ids run from {} to {})",
                    btf.first_id(),
                    btf.last_id()
                );
            }
        }
        // With --id the candidates are those ids alone, not a scan of the
        // whole blob; --type and --kind then narrow them down.
        let candidates: Box<dyn Iterator<Item = TypeId>> = if args.ids.is_empty() {
            Box::new((btf.first_id().0..btf.type_count()).map(TypeId))
        } else {
            Box::new(args.ids.iter().map(|&i| TypeId(i)))
        };
        let mut picked: Vec<TypeId> = candidates
            .filter(|&id| {
                let Some(t) = btf.get(id) else { return false };
                let by_kind = kinds.is_empty() || kinds.contains(&t.kind());
                let by_name = args.types.is_empty()
                    || args
                        .types
                        .iter()
                        .any(|p| glob_match(p.as_bytes(), btf.type_name(&t)));
                by_kind && by_name
            })
            .collect();
        picked.sort_unstable();
        picked.dedup();
        if args.closure {
            picked = closure(btf, picked);
        }
        Ok(Selection { ids: Some(picked) })
    }

    /// The chosen ids, ascending, or `None` for all.
    pub fn ids(&self) -> Option<&[TypeId]> {
        self.ids.as_deref()
    }
}

fn parse_kind(s: &str) -> Result<Kind> {
    Kind::from_name(s).ok_or_else(|| {
        let all: Vec<_> = Kind::ALL
            .iter()
            .map(|k| k.name().to_ascii_lowercase())
            .collect();
        anyhow::anyhow!("--kind {s}: unknown kind (one of {})", all.join(", "))
    })
}

/// Every id reachable from `roots` through type references, roots included,
/// ascending. Iterative, so a reference loop only revisits nothing.
pub fn closure(btf: &Btf<'_>, roots: Vec<TypeId>) -> Vec<TypeId> {
    let mut seen = vec![false; btf.type_count() as usize];
    let mut stack = roots;
    let mut out = Vec::new();
    while let Some(id) = stack.pop() {
        let Some(slot) = seen.get_mut(id.0 as usize) else {
            continue;
        };
        if *slot || id.is_void() {
            continue;
        }
        *slot = true;
        out.push(id);
        if let Some(t) = btf.get(id) {
            stack.extend(t.references().map(|(r, _)| r));
        }
    }
    out.sort_unstable();
    out
}

/// Shell-style glob over bytes: `*` any run, `?` one byte, `[abc]`/`[a-z]`/
/// `[!x]` a class. Without metacharacters it is an exact comparison.
pub fn glob_match(pat: &[u8], name: &[u8]) -> bool {
    // Iterative matcher with one backtrack point for the last `*`: linear in
    // practice, never exponential.
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class_match(&pat[p..], name[n]) {
                        if matched {
                            p += next;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == b'[' {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                c if c == name[n] => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                p = sp + 1;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Matches one byte against a `[...]` class at the start of `pat`. Returns
/// whether it matched and the class's length, or `None` if unterminated.
fn class_match(pat: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pat.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pat.len() {
        if pat[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if pat.get(i + 1) == Some(&b'-') && pat.get(i + 2).is_some_and(|&e| e != b']') {
            if pat[i] <= c && c <= pat[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if pat[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match(b"task_struct", b"task_struct"));
        assert!(!glob_match(b"task_struct", b"task_structs"));
        assert!(glob_match(b"task_*", b"task_struct"));
        assert!(glob_match(b"*_struct", b"task_struct"));
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"t?sk", b"task"));
        assert!(glob_match(b"[tm]ask", b"mask"));
        assert!(!glob_match(b"[!tm]ask", b"mask"));
        assert!(glob_match(b"[a-c]x", b"bx"));
        assert!(glob_match(b"a*b*c", b"aXbYbZc"));
        assert!(!glob_match(b"a*b*c", b"aXbYbZ"));
        assert!(glob_match(b"[x", b"[x"));
    }
}
