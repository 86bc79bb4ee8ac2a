//! The dedup state: every type (base and own) in one id-indexed arena of
//! wire-format records (`void`, at index 0, is kind 0 like libbpf's `UNKN`), the canonical map, the hypothetical map of one graph
//! comparison, and the candidate table.

use std::borrow::Cow;

use super::par;
use super::table::Table;
use crate::types::{Type, INFO_KIND_MASK, INFO_VLEN_MASK};
use crate::write::{record_words, walk_ref_words};
use crate::{Btf, Error, Kind, Result, StrOffset, TypeId};

/// Where a type stands in the canonical map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Canon {
    /// Not looked at yet.
    Unprocessed,
    /// On the reference pass's stack: meeting it again is a loop.
    InProgress,
    /// Decided: this type's representative, or a step towards it (follow
    /// with [`State::resolve`]). A type mapped to itself is canonical.
    Id(TypeId),
}

/// [`Canon::Unprocessed`] in the packed map.
const UNPROCESSED: u32 = u32::MAX;
/// [`Canon::InProgress`] in the packed map.
const IN_PROGRESS: u32 = u32::MAX - 1;

/// One type record, borrowed from the arena: `name_off`, `info`,
/// `size_or_type`, then the kind's trailing words, exactly as BTF encodes
/// them (native-endian).
#[derive(Clone, Copy, Debug)]
pub(super) struct Rec<'a> {
    pub(super) w: &'a [u32],
}

impl<'a> Rec<'a> {
    #[inline]
    pub(super) fn name(self) -> StrOffset {
        StrOffset(self.w[0])
    }

    /// The raw `info` word (kind, vlen, kflag).
    #[inline]
    pub(super) fn info(self) -> u32 {
        self.w[1]
    }

    #[inline]
    pub(super) fn kind(self) -> Kind {
        Kind::from_info(self.w[1])
    }

    #[inline]
    pub(super) fn kflag(self) -> bool {
        self.w[1] >> 31 != 0
    }

    #[inline]
    pub(super) fn vlen(self) -> u32 {
        self.w[1] & INFO_VLEN_MASK
    }

    #[inline]
    pub(super) fn size_or_type(self) -> u32 {
        self.w[2]
    }

    /// The first three words.
    #[inline]
    pub(super) fn common(self) -> &'a [u32] {
        &self.w[..3]
    }

    /// Members of a STRUCT/UNION (name, type, offset) or entries of an
    /// ENUM64 or DATASEC, three words each.
    #[inline]
    pub(super) fn triples(self) -> std::slice::ChunksExact<'a, u32> {
        self.w[3..].chunks_exact(3)
    }

    /// Parameters of a FUNC_PROTO (name, type) or ENUM entries, two words
    /// each.
    #[inline]
    pub(super) fn pairs(self) -> std::slice::ChunksExact<'a, u32> {
        self.w[3..].chunks_exact(2)
    }

    /// The first trailing word (INT encoding, DECL_TAG component, ARRAY
    /// element type), or 0.
    #[inline]
    pub(super) fn word(self, i: usize) -> u32 {
        self.w.get(3 + i).copied().unwrap_or(0)
    }
}

/// The hypothetical canonical → candidate mapping built by one graph
/// equivalence check, and which entries it touched so clearing is cheap.
#[derive(Debug)]
pub(super) struct Hypot {
    /// Candidate id + 1, or 0 for none. Zero-initialised, so untouched
    /// pages of a big arena cost no memory.
    map: Vec<u32>,
    touched: Vec<TypeId>,
    /// The check matched a FWD in the (immutable) base to a concrete
    /// struct or union: the graphs are only equivalent if the base changed.
    pub(super) adjust_canon: bool,
}

impl Hypot {
    fn new(len: usize) -> Hypot {
        Hypot {
            map: vec![0; len],
            touched: Vec::new(),
            adjust_canon: false,
        }
    }

    #[inline]
    pub(super) fn get(&self, canon: TypeId) -> Option<TypeId> {
        self.map[canon.0 as usize].checked_sub(1).map(TypeId)
    }

    #[inline]
    pub(super) fn set(&mut self, canon: TypeId, cand: TypeId) {
        self.map[canon.0 as usize] = cand.0 + 1;
        self.touched.push(canon);
    }

    /// Makes room for ids below `len`. Between checks every entry is 0, so
    /// the map is replaced by a fresh zeroed one rather than extended: the
    /// allocator hands out untouched pages, which cost no memory until a
    /// check writes to them (most ids never appear on the canonical side).
    /// It at least doubles, so a stream of batches reallocates rarely.
    fn grow(&mut self, len: usize) {
        if self.map.len() >= len {
            return;
        }
        let len = len.max(self.map.len() * 2);
        if self.touched.is_empty() {
            self.map = vec![0; len];
        } else {
            self.map.resize(len, 0);
        }
    }

    pub(super) fn clear(&mut self) {
        for c in self.touched.drain(..) {
            self.map[c.0 as usize] = 0;
        }
        self.adjust_canon = false;
    }

    /// Number of recorded pairs.
    pub(super) fn len(&self) -> usize {
        self.touched.len()
    }

    /// The `i`-th recorded (canonical, candidate) pair.
    pub(super) fn pair(&self, i: usize) -> (TypeId, TypeId) {
        let canon = self.touched[i];
        (canon, self.get(canon).unwrap_or(TypeId::VOID))
    }
}

/// Everything the passes share.
#[derive(Debug)]
pub(super) struct State {
    /// Every record, in id order.
    pub(super) words: Vec<u32>,
    /// Word offset of each type's record, by id (`0` is `void`, then the
    /// base's types for split BTF, then the types being deduplicated), and
    /// one past the last record.
    pub(super) offs: Vec<u32>,
    /// First id being deduplicated; lower ids are the immutable base.
    pub(super) start: u32,
    map: Vec<u32>,
    pub(super) hypot: Hypot,
    pub(super) table: Table,
    /// The equivalence walk's stack, kept to reuse its allocation.
    pub(super) equiv_stack: Vec<(TypeId, TypeId)>,
    /// Member signatures of structs, unions and typedefs (`signature.rs`);
    /// empty when not computed, which makes every signature 0.
    pub(super) sigs: Vec<u32>,
    /// Signatures are switched off for good (an anonymous FWD was met).
    pub(super) sigs_off: bool,
    /// Threads for the order-independent parts of the passes (`par.rs`);
    /// 0 for one per core.
    pub(super) jobs: usize,
    /// The kind of every id: passes that look at one kind skip the others
    /// without reading their records.
    kinds: Vec<Kind>,
}

impl State {
    /// The arena with `void` and the base's types (if any), no own types
    /// yet: [`State::append`] adds them.
    pub(super) fn empty(base: Option<&Btf<'_>>, collide: bool, jobs: usize) -> Result<State> {
        let start = base.map_or(1, |b| b.type_count());
        let mut words: Vec<u32> = vec![0, 0, 0];
        let mut offs = Vec::with_capacity(start as usize + 1);
        offs.push(0);
        if let Some(b) = base {
            for i in 1..start {
                let id = TypeId(i);
                offs.push(words.len() as u32);
                match b.get(id) {
                    Some(t) => push_base_record(&mut words, &t)?,
                    None => words.extend_from_slice(&[0, 0, 0]),
                }
            }
        }
        offs.push(words.len() as u32);
        let total = start as usize;
        let mut state = State {
            words,
            offs,
            start,
            map: vec![UNPROCESSED; total],
            hypot: Hypot::new(total),
            table: Table::new(collide),
            equiv_stack: Vec::new(),
            sigs: Vec::new(),
            sigs_off: false,
            jobs,
            kinds: Vec::with_capacity(total),
        };
        state.map[0] = 0;
        state.kinds.push(Kind::from_info(0));
        state.check_range(1..total)?;
        Ok(state)
    }

    /// Appends own records (`own_words`, the record of each next id
    /// starting at `own_offs`) and checks them: known kinds, lengths that
    /// fit, references to ids that exist by now. Returns the new ids.
    ///
    /// The first append to an arena without own types takes `own_words`
    /// over instead of copying it.
    pub(super) fn append(
        &mut self,
        own_words: Cow<'_, [u32]>,
        own_offs: &[u32],
    ) -> Result<std::ops::Range<u32>> {
        let first = self.end();
        let shift = self.words.len();
        let too_many = || error(TypeId(first), "more than 2^32 words of types");
        if u32::try_from(shift + own_words.len()).is_err()
            || u32::try_from(first as usize + own_offs.len()).is_err()
        {
            return Err(too_many());
        }
        // `offs` ends with one past the last record; the new records go
        // there.
        self.offs.pop();
        self.offs.extend(own_offs.iter().map(|&o| o + shift as u32));
        match own_words {
            Cow::Owned(mut own) if first == self.start && own.len() > self.words.len() => {
                own.splice(0..0, self.words.drain(..));
                self.words = own;
            }
            own => self.words.extend_from_slice(&own),
        }
        self.offs.push(self.words.len() as u32);
        let end = self.end() as usize;
        self.map.resize(end, UNPROCESSED);
        self.hypot.grow(end);
        self.check_range(first as usize..end)?;
        Ok(first..end as u32)
    }

    /// The checks of [`State::append`] over `range` (own ids also get their
    /// lengths checked), in parallel; records the kinds and fixes VAR and
    /// DATASEC as their own representatives. A record whose length does not
    /// fit its kind is reported before any dangling reference, as if
    /// lengths were checked first.
    fn check_range(&mut self, range: std::ops::Range<usize>) -> Result<()> {
        let (start, total) = (self.start as usize, self.end() as usize);
        let parts = par::split(range.clone(), par::threads(self.jobs, range.len()));
        let (w, o) = (&self.words, &self.offs);
        let scans = par::map(parts, |r| scan(w, o, r, start, total));
        if let Some(e) = scans.iter().find_map(|s| s.bad_len.clone()) {
            return Err(e);
        }
        if let Some((id, bad)) = scans.iter().find_map(|s| s.bad_ref) {
            return Err(error(
                id,
                format!("refers to type [{bad}], past the last id {}", total - 1),
            ));
        }
        for s in scans {
            // Variables and sections are never merged: each stays as it is.
            for &i in &s.fixed {
                self.map[i as usize] = i;
            }
            self.kinds.extend_from_slice(&s.kinds);
        }
        Ok(())
    }

    /// The record of `id` (validated at construction, so in range).
    #[inline(always)]
    pub(super) fn ty(&self, id: TypeId) -> Rec<'_> {
        let i = id.0 as usize;
        Rec {
            w: &self.words[self.offs[i] as usize..self.offs[i + 1] as usize],
        }
    }

    /// The kind of `id` (as `self.ty(id).kind()`, one load).
    #[inline(always)]
    pub(super) fn kind(&self, id: TypeId) -> Kind {
        self.kinds[id.0 as usize]
    }

    /// One past the last id.
    #[inline]
    pub(super) fn end(&self) -> u32 {
        self.offs.len() as u32 - 1
    }

    /// The ids being deduplicated, ascending.
    pub(super) fn own_ids(&self) -> impl Iterator<Item = TypeId> {
        (self.start..self.end()).map(TypeId)
    }

    #[inline]
    pub(super) fn canon(&self, id: TypeId) -> Canon {
        match self.map[id.0 as usize] {
            UNPROCESSED => Canon::Unprocessed,
            IN_PROGRESS => Canon::InProgress,
            to => Canon::Id(TypeId(to)),
        }
    }

    #[inline]
    pub(super) fn set_canon(&mut self, id: TypeId, to: TypeId) {
        self.map[id.0 as usize] = to.0;
    }

    /// Marks `id` as on the reference pass's stack.
    #[inline]
    pub(super) fn set_in_progress(&mut self, id: TypeId) {
        self.map[id.0 as usize] = IN_PROGRESS;
    }

    #[inline]
    pub(super) fn is_mapped(&self, id: TypeId) -> bool {
        self.map[id.0 as usize] < IN_PROGRESS
    }

    /// Follows the canonical map as far as it goes: the representative if
    /// one is known, else `id` itself.
    #[inline]
    pub(super) fn resolve(&self, id: TypeId) -> TypeId {
        MapView(&self.map).resolve(id)
    }

    /// The canonical map for reading and the record of `id` for writing, at
    /// the same time.
    pub(super) fn split_for_rewrite(&mut self, id: TypeId) -> (MapView<'_>, &mut [u32]) {
        let i = id.0 as usize;
        let (at, end) = (self.offs[i] as usize, self.offs[i + 1] as usize);
        (MapView(&self.map), &mut self.words[at..end])
    }

    /// A FWD that already resolves to a struct or union gives that type;
    /// anything else stays `id`.
    pub(super) fn resolve_fwd(&self, id: TypeId) -> TypeId {
        if self.kind(id) != Kind::Fwd {
            return id;
        }
        let target = self.resolve(id);
        if self.kind(target) == Kind::Fwd {
            id
        } else {
            target
        }
    }
}

/// Appends the record of base type `t` as native-endian words, straight
/// from its bytes (a kernel's 100,000 base types are copied for every
/// module deduplicated against it). The info word keeps only the bits BTF
/// defines, as re-encoding the type would.
fn push_base_record(words: &mut Vec<u32>, t: &Type<'_>) -> Result<()> {
    if let Kind::Unknown(raw) = t.kind() {
        return Err(error(
            t.id(),
            format!("unknown kind {raw} cannot be deduplicated"),
        ));
    }
    let defined = INFO_VLEN_MASK | (INFO_KIND_MASK << 24) | (1 << 31);
    words.extend_from_slice(&[t.name_off().0, t.info() & defined, t.size_or_type()]);
    let e = t.endian();
    words.extend(
        t.trailing()
            .chunks_exact(4)
            .map(|c| e.u32([c[0], c[1], c[2], c[3]])),
    );
    Ok(())
}

/// The canonical map, borrowed on its own.
#[derive(Clone, Copy)]
pub(super) struct MapView<'a>(&'a [u32]);

impl MapView<'_> {
    /// See [`State::resolve`].
    #[inline]
    pub(super) fn resolve(self, mut id: TypeId) -> TypeId {
        loop {
            let next = self.0[id.0 as usize];
            if next >= IN_PROGRESS || next == id.0 {
                return id;
            }
            id = TypeId(next);
        }
    }
}

/// What [`scan`] found in a range of ids.
struct Scan {
    /// The first own record whose length does not fit its kind.
    bad_len: Option<Error>,
    /// The first record (before any `bad_len`) referring to an id past the
    /// last, and that id.
    bad_ref: Option<(TypeId, u32)>,
    /// VAR and DATASEC ids, which are their own representatives.
    fixed: Vec<u32>,
    /// The kind of each id of the range (complete only without errors).
    kinds: Vec<Kind>,
}

/// Checks the records of the ids in `range` (those from `start` on are the
/// own types, whose lengths are checked too): lengths that fit the kind,
/// references below `total` (the words
/// [`for_each_ref_word`](crate::write::for_each_ref_word) visits). Stops at
/// the first bad length.
fn scan(
    words: &[u32],
    offs: &[u32],
    range: std::ops::Range<usize>,
    start: usize,
    total: usize,
) -> Scan {
    let mut out = Scan {
        bad_len: None,
        bad_ref: None,
        fixed: Vec::new(),
        kinds: Vec::with_capacity(range.len()),
    };
    for i in range {
        let id = TypeId(i as u32);
        let (at, end) = (offs[i] as usize, offs[i + 1] as usize);
        let info = words.get(at + 1).copied().unwrap_or(0);
        let kind = Kind::from_info(info);
        out.kinds.push(kind);
        if i >= start {
            let Some(len) = record_words(kind, info & INFO_VLEN_MASK) else {
                let raw = kind.to_raw();
                out.bad_len = Some(error(
                    id,
                    format!("unknown kind {raw} cannot be deduplicated"),
                ));
                return out;
            };
            if end.checked_sub(at) != Some(len) {
                out.bad_len = Some(error(id, format!("{kind} record does not fit its kind")));
                return out;
            }
        }
        if out.bad_ref.is_some() {
            continue;
        }
        let mut bad = None;
        // The walk behind for_each_ref_word, on shared words: inlined into
        // the same chunks_exact loops this scan had written out.
        walk_ref_words(kind, &words[at..end], |r: u32| {
            if r as usize >= total {
                bad = Some(r);
            }
        });
        if let Some(bad) = bad {
            out.bad_ref = Some((id, bad));
        }
        if matches!(kind, Kind::Var | Kind::Datasec) {
            out.fixed.push(i as u32);
        }
    }
    out
}

/// A dedup error about type `id`.
pub(super) fn error(id: TypeId, what: impl Into<String>) -> Error {
    Error::Dedup {
        id,
        what: what.into(),
    }
}
