//! Resolving records against targets: candidates, matching, agreement
//! between candidates, and the two [`Semantics`].
//!
//! libbpf (`bpf_core_calc_relo_insn`) evaluates the cached candidates of a
//! record's root in order; the first match is the reference, later matches
//! must agree with it on the bit offset and on the value and poison
//! decision, and the shared cache entry is then truncated to the matching
//! candidates. Because that cache is shared by every record of the object,
//! a record's result depends on the records processed before it
//! (CORE.md §4.9).
//!
//! [`Semantics::Btfkit`] removes the order dependence: every record is
//! matched against the full candidate list; for each root, the candidates
//! that match *every* record of that root that matches anything are kept
//! (the fixpoint libbpf's pruning approaches), and each record's result is
//! computed from them, or from its own matches when no candidate satisfies
//! all records. Where libbpf succeeds, the results are the same.

// Record errors carry their location and libbpf-style messages; they are
// cold, one per failed record, so their size does not matter.
#![allow(clippy::result_large_err)]

use btf_core::ext::{CoreRelo, CoreReloKind};
use btf_core::TypeId;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::calc::{calc_relo, CalcResult};
use crate::matching::{spec_match, MatchOpts, MatchOutcome};
use crate::spec::{parse_local, Spec};
use crate::target::{Candidate, Targets};
use crate::types::BtfView;
use crate::{Error, Location, RecordError};

/// Which behaviour to follow where libbpf's is order-dependent or wrong
/// (the README lists every difference).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Semantics {
    /// btfkit: results independent of record order, unsigned 32-bit
    /// enumerator values zero-extended, LSHIFT_U64 by the object's byte
    /// order, exact bookkeeping in nested member search.
    #[default]
    Btfkit,
    /// Reproduce libbpf (master, 1.6+) exactly, bugs included.
    Libbpf,
}

/// Engine options.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Which semantics to follow.
    pub semantics: Semantics,
    /// [`relocate_object`](crate::relocate_object): keep only each
    /// record's outcome, not its [`Resolution`]
    /// ([`RecordReport::resolution`](crate::RecordReport::resolution) is
    /// `None`). For callers that need the fixups but no report: it saves
    /// the memory of every record's specs and candidates.
    pub outcomes_only: bool,
    /// Match records on two threads (btfkit semantics; libbpf's is
    /// sequential by nature). Results are the same either way.
    pub parallel: bool,
}

/// One CO-RE relocation record to resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Where it is.
    pub location: Location,
    /// The record.
    pub relo: CoreRelo,
}

/// One candidate and how matching it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateEval<'t> {
    /// The candidate.
    pub cand: Candidate,
    /// Its target spec, or why it does not match.
    pub outcome: MatchOutcome<'t>,
    /// Its values, when it matched.
    pub calc: Option<CalcResult>,
    /// Matched, but left out to agree with the other records of the same
    /// root (pruned by libbpf's cache, or outside btfkit's common set).
    pub pruned: bool,
}

/// The resolved value of one record, before the instruction is looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution<'l, 't> {
    /// Where the record is.
    pub location: Location,
    /// The record.
    pub relo: CoreRelo,
    /// The local spec.
    pub local: Spec<'l>,
    /// Every candidate looked at, in order.
    pub candidates: Candidates<'t>,
    /// Index in `candidates` of the candidate whose result is used (the
    /// first one used); `None` when nothing matched (or for TYPE_ID_LOCAL).
    pub used: Option<usize>,
    /// The values.
    pub calc: CalcResult,
}

impl<'t> Resolution<'_, 't> {
    /// The candidate whose result is used, and its target spec; `None` when
    /// nothing matched (or for TYPE_ID_LOCAL).
    pub fn target(&self) -> Option<(Candidate, &Spec<'t>)> {
        let e = self.candidates.get(self.used?)?;
        match &e.outcome {
            MatchOutcome::Match(s) => Some((e.cand, s)),
            MatchOutcome::NoMatch(_) => None,
        }
    }

    /// The relocation kind.
    pub fn kind(&self) -> CoreReloKind {
        self.relo.kind
    }
}

type Outcome<'l, 't> = Result<Resolution<'l, 't>, RecordError>;

/// The candidates of one record: almost always one, kept inline.
pub type Candidates<'t> = SmallVec<[CandidateEval<'t>; 1]>;

/// Resolves `records` (in file order, already filtered to the ones that
/// belong to a function) against `targets`.
pub fn resolve<'l, 't>(
    local: &BtfView<'l>,
    records: &[Record],
    targets: &Targets<'t>,
    opts: &Options,
) -> Vec<Outcome<'l, 't>> {
    let mut out: Vec<Option<Outcome<'l, 't>>> = Vec::new();
    out.resize_with(records.len(), || None);
    resolve_each(local, records, targets, opts, |i, o| out[i] = Some(o));
    out.into_iter()
        .map(|o| o.expect("every record is resolved once"))
        .collect()
}

/// [`resolve`], handing each record's outcome to `sink` with the record's
/// index as soon as it is known, instead of keeping them all: in record
/// order, except that (btfkit semantics) records whose root has several
/// candidates come last, once every record has been matched.
pub(crate) fn resolve_each<'l, 't>(
    local: &BtfView<'l>,
    records: &[Record],
    targets: &Targets<'t>,
    opts: &Options,
    mut sink: impl FnMut(usize, Outcome<'l, 't>),
) {
    // Every root's candidates at once: one pass per target instead of a
    // lookup (or libbpf's scan) per root.
    let roots = records
        .iter()
        .filter(|r| r.relo.kind != CoreReloKind::TypeIdLocal)
        .map(|r| r.relo.type_id);
    let cache = targets
        .find_cands_many(local, roots)
        .into_iter()
        .map(|(root, c)| (root, c.map(Arc::from)))
        .collect();
    let mut engine = Engine {
        local,
        targets,
        opts: *opts,
        cache,
    };
    match opts.semantics {
        Semantics::Libbpf => {
            for (i, r) in records.iter().enumerate() {
                sink(i, engine.libbpf_one(r));
            }
        }
        Semantics::Btfkit => engine.btfkit_each(records, &mut sink),
    }
}

struct Engine<'e, 'l, 't> {
    local: &'e BtfView<'l>,
    targets: &'e Targets<'t>,
    opts: Options,
    cache: FxHashMap<TypeId, Result<Arc<[Candidate]>, Error>>,
}

/// What is known about a record before candidates are looked at.
enum Prepared<'l> {
    /// TYPE_ID_LOCAL: needs no candidate.
    Local(Spec<'l>),
    /// Everything else.
    Search(Spec<'l>),
}

impl<'l, 't> Engine<'_, 'l, 't> {
    fn err(rec: &Record, error: Error) -> RecordError {
        RecordError {
            location: rec.location.clone(),
            error,
        }
    }

    fn prepare(&self, rec: &Record) -> Result<Prepared<'l>, Error> {
        let btf = self.local.btf;
        let root = rec.relo.type_id;
        if root.0 > btf.last_id().0 {
            return Err(Error::RootOutOfRange {
                id: root,
                last: btf.last_id(),
            });
        }
        let access = btf
            .name(rec.relo.access_str)
            .ok_or(Error::AccessStrOutOfRange(rec.relo.access_str.0))?;
        let kind = rec.relo.kind;
        if kind == CoreReloKind::TypeIdLocal {
            return Ok(Prepared::Local(parse_local(
                self.local, root, kind, access,
            )?));
        }
        let t = btf.get(root).ok_or(Error::VoidRoot)?;
        if t.name_off().is_empty() || btf.type_name(&t).is_empty() {
            return Err(Error::AnonymousRoot {
                id: root,
                kind: t.kind().name().to_string(),
            });
        }
        Ok(Prepared::Search(parse_local(
            self.local, root, kind, access,
        )?))
    }

    /// The candidates of `root`: from the cache, which [`resolve_each`]
    /// fills for every root of its records.
    fn cands(&self, root: TypeId) -> Result<Arc<[Candidate]>, Error> {
        match self.cache.get(&root) {
            Some(c) => c.clone(),
            None => self.targets.find_cands(self.local, root).map(Arc::from),
        }
    }

    fn matching_opts(&self) -> MatchOpts {
        MatchOpts {
            libbpf_member_quirk: self.opts.semantics == Semantics::Libbpf,
        }
    }

    fn eval(&self, spec: &Spec<'l>, cand: Candidate) -> Result<CandidateEval<'t>, Error> {
        let t = &self.targets.get(cand.target).view;
        let outcome = spec_match(spec, self.local, t, cand.id, self.matching_opts())?;
        let calc = match &outcome {
            MatchOutcome::Match(ts) => Some(calc_relo(
                spec,
                self.local,
                Some((ts, t)),
                self.opts.semantics,
            )?),
            MatchOutcome::NoMatch(_) => None,
        };
        Ok(CandidateEval {
            cand,
            outcome,
            calc,
            pruned: false,
        })
    }

    fn local_only(&self, rec: &Record, spec: Spec<'l>) -> Resolution<'l, 't> {
        let root = u64::from(spec.root.0);
        Resolution {
            location: rec.location.clone(),
            relo: rec.relo,
            local: spec,
            candidates: Candidates::new(),
            used: None,
            calc: CalcResult {
                orig_val: root,
                new_val: root,
                validate: false,
                ..CalcResult::default()
            },
        }
    }

    fn no_target(&self, spec: &Spec<'l>) -> Result<CalcResult, Error> {
        calc_relo(spec, self.local, None, self.opts.semantics)
    }

    /// libbpf: candidates from the shared, pruned cache, in record order.
    fn libbpf_one(&mut self, rec: &Record) -> Outcome<'l, 't> {
        let spec = match self.prepare(rec).map_err(|e| Self::err(rec, e))? {
            Prepared::Local(spec) => return Ok(self.local_only(rec, spec)),
            Prepared::Search(spec) => spec,
        };
        let cands = self.cands(spec.root).map_err(|e| Self::err(rec, e))?;
        let mut evals = Candidates::with_capacity(cands.len());
        for &c in cands.iter() {
            evals.push(self.eval(&spec, c).map_err(|e| Self::err(rec, e))?);
        }
        let used: SmallVec<[usize; 4]> = (0..evals.len())
            .filter(|&i| evals[i].calc.is_some())
            .collect();
        let res = self.finish(rec, spec, evals, &used)?;
        if let Some(Ok(list)) = self.cache.get_mut(&res.local.root) {
            let kept: Vec<Candidate> = res
                .candidates
                .iter()
                .filter(|e| e.calc.is_some())
                .map(|e| e.cand)
                .collect();
            if !kept.is_empty() {
                *list = kept.into();
            }
        }
        Ok(res)
    }

    /// btfkit: match everything against full lists, then agree per root.
    /// A record whose root has at most one candidate needs no agreement
    /// (its common set is that candidate, or nothing) and is finished at
    /// once; the others wait until every record has been matched.
    fn btfkit_each(&mut self, records: &[Record], sink: &mut impl FnMut(usize, Outcome<'l, 't>)) {
        let mut waiting: Vec<(usize, Spec<'l>, Candidates<'t>)> = Vec::new();
        let mut take = |i: usize, step: Step<'l, 't>| match step {
            Step::Done(outcome) => sink(i, outcome),
            Step::Wait(spec, evals) => waiting.push((i, spec, evals)),
        };
        if self.opts.parallel && records.len() >= 2 * PARALLEL_BLOCK {
            self.btfkit_steps_parallel(records, &mut take);
        } else {
            for (i, rec) in records.iter().enumerate() {
                take(i, self.btfkit_step(rec));
            }
        }
        let common = common_sets(waiting.iter().map(|(_, spec, evals)| (spec, evals)));
        for (i, spec, mut evals) in waiting {
            let set = common.get(&spec.root);
            let matched = |e: &CandidateEval<'_>| e.calc.is_some();
            let in_common = |e: &CandidateEval<'_>| set.is_some_and(|s| s.contains(&e.cand));
            let use_common = set.is_some_and(|s| !s.is_empty());
            let used: SmallVec<[usize; 4]> = (0..evals.len())
                .filter(|&j| matched(&evals[j]) && (!use_common || in_common(&evals[j])))
                .collect();
            for (j, e) in evals.iter_mut().enumerate() {
                e.pruned = matched(e) && !used.contains(&j);
            }
            sink(i, self.finish(&records[i], spec, evals, &used));
        }
    }

    /// btfkit's first pass over one record: finished, unless its root has
    /// several candidates.
    fn btfkit_step(&self, rec: &Record) -> Step<'l, 't> {
        let spec = match self.prepare(rec) {
            Err(e) => return Step::Done(Err(Self::err(rec, e))),
            Ok(Prepared::Local(spec)) => return Step::Done(Ok(self.local_only(rec, spec))),
            Ok(Prepared::Search(spec)) => spec,
        };
        let evals = self.cands(spec.root).and_then(|cands| {
            cands
                .iter()
                .map(|&c| self.eval(&spec, c))
                .collect::<Result<Candidates<'t>, _>>()
        });
        match evals {
            Err(e) => Step::Done(Err(Self::err(rec, e))),
            Ok(evals) if evals.len() <= 1 => {
                let used: SmallVec<[usize; 4]> = (0..evals.len())
                    .filter(|&j| evals[j].calc.is_some())
                    .collect();
                Step::Done(self.finish(rec, spec, evals, &used))
            }
            Ok(evals) => Step::Wait(spec, evals),
        }
    }

    /// [`btfkit_step`](Self::btfkit_step) for every record on two threads:
    /// blocks of records alternate between this thread and a helper, and
    /// `take` sees the steps in record order.
    fn btfkit_steps_parallel(
        &self,
        records: &[Record],
        take: &mut impl FnMut(usize, Step<'l, 't>),
    ) {
        let blocks: Vec<std::ops::Range<usize>> = (0..records.len())
            .step_by(PARALLEL_BLOCK)
            .map(|s| s..(s + PARALLEL_BLOCK).min(records.len()))
            .collect();
        let steps = |r: std::ops::Range<usize>| -> Vec<Step<'l, 't>> {
            records[r].iter().map(|rec| self.btfkit_step(rec)).collect()
        };
        std::thread::scope(|scope| {
            let (to_helper, helper_in) = std::sync::mpsc::channel::<std::ops::Range<usize>>();
            let (helper_out, from_helper) = std::sync::mpsc::channel::<Vec<Step<'l, 't>>>();
            scope.spawn(move || {
                for r in helper_in {
                    if helper_out.send(steps(r)).is_err() {
                        break;
                    }
                }
            });
            for pair in blocks.chunks(2) {
                if let Some(second) = pair.get(1) {
                    let _ = to_helper.send(second.clone());
                }
                for (i, step) in pair[0].clone().zip(steps(pair[0].clone())) {
                    take(i, step);
                }
                if let Some(second) = pair.get(1) {
                    let done = from_helper.recv().unwrap_or_else(|_| steps(second.clone()));
                    for (i, step) in second.clone().zip(done) {
                        take(i, step);
                    }
                }
            }
            drop(to_helper);
        });
    }

    /// Checks that the used candidates agree and builds the resolution.
    fn finish(
        &self,
        rec: &Record,
        spec: Spec<'l>,
        evals: Candidates<'t>,
        used: &[usize],
    ) -> Outcome<'l, 't> {
        let describe = |c: Candidate| format!("[{}] in {}", c.id, self.targets.get(c.target).name);
        let decision = |c: &CalcResult| {
            format!(
                "{} {}",
                if c.poison { "failure" } else { "success" },
                c.new_val
            )
        };
        let mut reference: Option<(usize, u32, CalcResult)> = None;
        for &j in used {
            let e = &evals[j];
            let (MatchOutcome::Match(ts), Some(calc)) = (&e.outcome, e.calc) else {
                continue;
            };
            let Some((r, bits, rcalc)) = reference else {
                reference = Some((j, ts.bit_offset, calc));
                continue;
            };
            let first = evals[r].cand;
            if ts.bit_offset != bits {
                return Err(Self::err(
                    rec,
                    Error::OffsetAmbiguity {
                        first: describe(first),
                        first_bits: bits,
                        second: describe(e.cand),
                        second_bits: ts.bit_offset,
                    },
                ));
            }
            if calc.poison != rcalc.poison || calc.new_val != rcalc.new_val {
                return Err(Self::err(
                    rec,
                    Error::DecisionAmbiguity {
                        first: describe(first),
                        first_value: decision(&rcalc),
                        second: describe(e.cand),
                        second_value: decision(&calc),
                    },
                ));
            }
        }
        let (used, calc) = match reference {
            Some((r, _, calc)) => (Some(r), calc),
            None => (None, self.no_target(&spec).map_err(|e| Self::err(rec, e))?),
        };
        Ok(Resolution {
            location: rec.location.clone(),
            relo: rec.relo,
            local: spec,
            candidates: evals,
            used,
            calc,
        })
    }
}

/// Records per block handed to the helper thread.
const PARALLEL_BLOCK: usize = 256;

/// A record after btfkit's first pass.
enum Step<'l, 't> {
    /// Finished.
    Done(Outcome<'l, 't>),
    /// Matched against a root with several candidates: waits for the
    /// per-root agreement.
    Wait(Spec<'l>, Candidates<'t>),
}

/// For each root: the candidates that match every record of that root that
/// matches at least one candidate.
fn common_sets<'a, 'l: 'a, 't: 'a>(
    matched: impl Iterator<Item = (&'a Spec<'l>, &'a Candidates<'t>)>,
) -> FxHashMap<TypeId, CandidateSet> {
    let mut sets: FxHashMap<TypeId, CandidateSet> = FxHashMap::default();
    for (spec, evals) in matched {
        let matched: CandidateSet = evals
            .iter()
            .filter(|e| e.calc.is_some())
            .map(|e| e.cand)
            .collect();
        if matched.is_empty() {
            continue;
        }
        sets.entry(spec.root)
            .and_modify(|s| s.retain(|c| matched.contains(c)))
            .or_insert(matched);
    }
    sets
}

/// A few candidates (almost always one), in candidate order.
type CandidateSet = SmallVec<[Candidate; 2]>;
