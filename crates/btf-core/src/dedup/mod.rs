//! Type deduplication: libbpf's `btf__dedup`, reimplemented.
//!
//! The algorithm is derived from libbpf's `src/btf.c` (`btf__dedup` and its
//! helpers); the code is btfkit's own. Compilers emit BTF per compilation
//! unit, so a linked object holds the same types many times over; dedup
//! keeps one representative of each and rewrites every reference to it.
//! Two types are merged when their whole reachable type graphs are
//! equivalent, which copes with cycles (`struct list_head *next`) and with
//! forward declarations that one unit has and another resolves.
//!
//! # Passes
//!
//! 0. Split BTF: the base's types are canonical and become candidates
//!    (`split.rs`).
//! 1. Strings: every name moves to one offset per distinct string (the
//!    base's copy for split BTF), since the passes compare names by offset
//!    (`strings.rs`).
//! 2. Primitives (INT, FLOAT, FWD, ENUM, ENUM64), by equality; forward enums
//!    resolve to full ones (`prim.rs`).
//! 3. STRUCT, UNION, TYPEDEF, by type-graph equivalence (`composite.rs`,
//!    `equiv.rs`).
//! 4. FWDs no graph resolved, by unique name (`fwd.rs`).
//! 5. Reference types, after what they refer to (`refs.rs`).
//! 6. Compaction and renumbering (`compact.rs`).
//! 7. A new string section in first-reference order of the kept types;
//!    unreferenced strings disappear (`strings.rs`).
//!
//! VAR and DATASEC are never merged: each stays, with its type remapped.
//!
//! The passes work on the types' wire records (native-endian `u32` words,
//! one arena for all types, see [`PackedBtf`]): equality of two records is
//! mostly a comparison of word slices, and an input of millions of types
//! costs little more memory than its encoded size. [`dedup_packed`] takes
//! that form directly; [`dedup`] packs a [`BtfBuilder`] first.
//!
//! # Where btfkit differs from libbpf
//!
//! - Equal-hash candidates are tried oldest first; libbpf's order depends on
//!   its hash map's growth history. Only ties between several matching
//!   candidates can come out differently (type counts do not).
//! - The string section is ordered by the *output* types (libbpf: by the
//!   input types, before dedup drops any). That makes dedup idempotent byte
//!   for byte; for input without duplicates (a kernel's BTF) both orders are
//!   the same.
//! - The graph walks use explicit stacks, not recursion, so deep or
//!   adversarial graphs cannot overflow the stack; the visiting order is the
//!   recursive one.
//! - Struct candidates whose member signature differs are skipped without a
//!   graph walk (`signature.rs`): the same results, without a million
//!   failing walks over a kernel's anonymous unions.
//! - The structural-identity check that tolerates two copies of one type
//!   in a unit (libbpf's `btf_dedup_identical_types`) is bounded in total
//!   work, not only in depth: libbpf's recursion is exponential on a
//!   crafted fan-out graph. Running out of budget (16,384 pairs, far above
//!   what real BTF needs) answers "not identical", which only keeps a type
//!   that could have been merged.
//! - [`DedupStream`] runs the passes that only look backwards on each batch
//!   of types as it arrives, so a producer can overlap them with its own
//!   work; the result is the same as for the whole input at once.
//! - Input that breaks the passes' assumptions (an unknown kind, a body
//!   that does not fit its kind, a dangling id, a loop of reference types)
//!   is an [`Error::Dedup`](crate::Error::Dedup) naming the type, never a
//!   panic. A struct member of a kind that cannot be in a struct's graph
//!   (VAR, DATASEC, DECL_TAG) is an error as in libbpf, unless the signature
//!   test already ruled the candidate out.
//!
//! ```
//! use btf_core::dedup::{dedup, DedupOptions};
//! use btf_core::{BtfBuilder, Kind, TypeId};
//! use btf_core::write::OwnedType;
//!
//! // Two compilation units, each with `int` and `int *`.
//! let mut b = BtfBuilder::new();
//! for _ in 0..2 {
//!     let int = b.add_int("int", 4, btf_core::types::INT_SIGNED, 32);
//!     b.add(OwnedType::ptr(int));
//! }
//! let out = dedup(b, None, &DedupOptions::default()).unwrap();
//! assert_eq!(out.builder.len(), 2);
//! assert_eq!(out.id_map.get(TypeId(4)), Some(TypeId(2)));
//! assert_eq!(out.builder.get(TypeId(2)).unwrap().kind, Kind::Ptr);
//! ```

mod compact;
mod composite;
mod equiv;
mod fwd;
mod par;
mod prim;
mod refs;
mod remap;
mod shape;
mod signature;
mod split;
mod state;
mod stream;
mod strings;
mod table;

pub use remap::{IdMap, StrMap};
pub use stream::DedupStream;

use std::time::Instant;

use std::borrow::Cow;
use std::ops::Range;

use crate::write::{decode, Body, PackedBtf, StringTable};
use crate::{Btf, BtfBuilder, Kind, Result, StrOffset, TypeId};
use compact::Kept;
use state::{error, State};

/// How to deduplicate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DedupOptions {
    /// Keep the string section as it is instead of rebuilding it. Names are
    /// still made canonical (equal strings, one offset) but unreferenced
    /// strings stay and the order is unchanged. libbpf skips its string pass
    /// for BTF built from scratch (as pahole does), so this reproduces
    /// pahole's string section; the default rebuilds it, as libbpf does for
    /// BTF read from a file.
    pub keep_strings: bool,
    /// String offsets referenced from outside the BTF (.BTF.ext line_info,
    /// section names, CO-RE access strings) that must survive. They are
    /// visited after every type's names, and [`Deduped::str_map`] gives their
    /// new offsets.
    pub extra_strings: Vec<StrOffset>,
    /// Testing aid: give every type the same hash, so that only the
    /// equality checks keep different types apart (libbpf's
    /// `force_collisions`). Slow.
    pub force_collisions: bool,
    /// Threads for the passes' order-independent parts (checking, hashing);
    /// 0 for one per core. The output does not depend on it.
    pub jobs: usize,
}

/// The result of [`dedup`].
#[derive(Clone, Debug)]
pub struct Deduped {
    /// The deduplicated BTF, ready to [`write`](BtfBuilder::write).
    pub builder: BtfBuilder,
    /// Old type id → new type id.
    pub id_map: IdMap,
    /// Old string offset → new string offset.
    pub str_map: StrMap,
}

/// Deduplicates the types of `builder`.
///
/// For split BTF (a builder made with [`BtfBuilder::new_split`]) `base` must
/// be the base it was made over: its types are immutable and the builder's
/// types are merged into them where equivalent. Otherwise `base` is `None`.
///
/// Output order is the ascending input order of the representatives, so the
/// result is deterministic and deduplicating it again changes nothing.
///
/// # Errors
///
/// [`Error::Dedup`](crate::Error::Dedup) for a base that does not match the
/// builder, an unknown kind, a type whose body does not fit its kind, a
/// reference past the last id or to a string that does not exist, or a loop
/// of reference types that passes through no struct, union or typedef.
pub fn dedup(
    mut builder: BtfBuilder,
    base: Option<&Btf<'_>>,
    opts: &DedupOptions,
) -> Result<Deduped> {
    check_base(builder.first_id(), builder.strings().base_len(), base)?;
    for (i, t) in builder.types().iter().enumerate() {
        let id = TypeId(builder.first_id().0 + i as u32);
        if let Kind::Unknown(raw) = t.kind {
            return Err(error(
                id,
                format!("unknown kind {raw} cannot be deduplicated"),
            ));
        }
        if !crate::write::body_fits(t.kind, &t.body) {
            return Err(error(
                id,
                format!("{} record with a {} body", t.kind, body_name(&t.body)),
            ));
        }
    }
    let packed = PackedBtf::from_builder(&builder)?;
    let (_, types) = builder.parts_mut();
    *types = Vec::new();
    let out = dedup_packed(packed, base, opts)?;
    // Keep the header length and layout section of the input.
    let (strings, types) = builder.parts_mut();
    let (out_strings, out_types) = {
        let mut b = out.builder;
        let (s, t) = b.parts_mut();
        (std::mem::take(s), std::mem::take(t))
    };
    *strings = out_strings;
    *types = out_types;
    Ok(Deduped {
        builder,
        id_map: out.id_map,
        str_map: out.str_map,
    })
}

/// Deduplicates the types of a [`PackedBtf`], as [`dedup`] does for a
/// [`BtfBuilder`], without ever holding the input as [`OwnedType`]s: the
/// form for inputs with millions of types (`btfkit dwarf2btf` on vmlinux).
///
/// [`OwnedType`]: crate::write::OwnedType
///
/// # Errors
///
/// As for [`dedup`].
pub fn dedup_packed(
    packed: PackedBtf,
    base: Option<&Btf<'_>>,
    opts: &DedupOptions,
) -> Result<Deduped> {
    check_base(packed.first_id(), packed.strings().base_len(), base)?;
    if packed.flushed() > 0 {
        return Err(error(
            packed.first_id(),
            format!("{} records were flushed", packed.flushed()),
        ));
    }
    let mut clock = Clock::start(packed.len());
    let first_id = packed.first_id();
    let (old_strings, mut words, offs, _) = packed.into_parts();
    let mut canon = strings::Canonical::new(&old_strings, base);
    canon.rewrite(&mut words, &offs, first_id, opts.jobs)?;
    clock.lap("canonical strings");

    let mut state = start_state(base, opts)?;
    let ids = state.append(Cow::Owned(words), &offs)?;
    drop(offs);
    clock.lap("arena check");
    forward_passes(&mut state, ids, &mut clock)?;
    let (kept, id_map) = finish_types(state, &mut clock)?;
    conclude(kept, id_map, first_id, &old_strings, canon, opts, clock)
}

/// The arena with `void` and, for split BTF, the base's types, which are
/// the first candidates; ready for own types.
fn start_state(base: Option<&Btf<'_>>, opts: &DedupOptions) -> Result<State> {
    let mut state = State::empty(base, opts.force_collisions, opts.jobs)?;
    state.compute_signatures(0..state.end() as usize);
    state.prepare_base();
    Ok(state)
}

/// The passes that only look backwards, over own ids just appended:
/// member signatures, primitives, structs/unions/typedefs.
fn forward_passes(state: &mut State, ids: Range<u32>, clock: &mut Clock) -> Result<()> {
    state.compute_signatures(ids.start as usize..ids.end as usize);
    clock.lap("signatures");
    state.dedup_primitives(ids.clone());
    clock.lap("primitives");
    state.dedup_composites(ids)?;
    clock.lap("structs, unions, typedefs");
    Ok(())
}

/// The passes that need every type: FWDs by unique name, reference types,
/// compaction.
fn finish_types(mut state: State, clock: &mut Clock) -> Result<(Kept, IdMap)> {
    state.resolve_remaining_fwds();
    state.dedup_references()?;
    clock.lap("reference types");
    let out = state.compact()?;
    clock.lap("compaction");
    Ok(out)
}

/// The end of dedup after the type passes: the extra strings' offsets
/// (every name has been through `canon` by now), the string section and
/// the result.
fn conclude(
    kept: Kept,
    id_map: IdMap,
    first_id: TypeId,
    old_strings: &StringTable,
    mut canon: strings::Canonical<'_>,
    opts: &DedupOptions,
    mut clock: Clock,
) -> Result<Deduped> {
    let extra = opts
        .extra_strings
        .iter()
        .map(|&off| canon.offset(first_id, off))
        .collect::<Result<Vec<_>>>()?;
    let (builder, str_map) = finish_strings(kept, first_id, old_strings, &extra, canon, opts)?;
    clock.lap("string section");
    clock.done(builder.len());
    Ok(Deduped {
        builder,
        id_map,
        str_map,
    })
}

/// The string section of the kept types (rebuilt, or the old one with
/// `keep_strings`) and the builder holding them.
fn finish_strings(
    mut kept: Kept,
    first_id: TypeId,
    old_strings: &StringTable,
    extra: &[StrOffset],
    canon: strings::Canonical<'_>,
    opts: &DedupOptions,
) -> Result<(BtfBuilder, StrMap)> {
    let (new_strings, str_map) = if opts.keep_strings {
        (old_strings.clone(), canon.into_map())
    } else {
        strings::compact(
            &mut kept.words,
            &kept.offs,
            first_id,
            old_strings,
            extra,
            canon,
        )?
    };
    let mut builder = BtfBuilder::new();
    builder.set_first_id(first_id);
    let (strings, types) = builder.parts_mut();
    *strings = new_strings;
    *types = kept
        .offs
        .iter()
        .enumerate()
        .map(|(i, &at)| {
            let end = kept
                .offs
                .get(i + 1)
                .map_or(kept.words.len(), |&e| e as usize);
            decode(&kept.words[at as usize..end])
        })
        .collect();
    Ok((builder, str_map))
}

fn body_name(body: &Body) -> &'static str {
    match body {
        Body::None => "empty",
        Body::Int(_) => "INT",
        Body::Array(_) => "ARRAY",
        Body::Members(_) => "member",
        Body::Enum(_) => "ENUM",
        Body::Enum64(_) => "ENUM64",
        Body::Func(_) => "FUNC",
        Body::Params(_) => "parameter",
        Body::Var(_) => "VAR",
        Body::Datasec(_) => "DATASEC",
        Body::DeclTag(_) => "DECL_TAG",
        Body::Unknown { .. } => "raw",
    }
}

/// Times the passes for `log::debug!` (`btfkit -v`-style diagnostics).
struct Clock {
    start: Instant,
    last: Instant,
    input: usize,
    /// Laps are not logged (the passes over each batch of a stream).
    silent: bool,
}

impl Clock {
    fn start(input: usize) -> Clock {
        let now = Instant::now();
        Clock {
            start: now,
            last: now,
            input,
            silent: false,
        }
    }

    /// A clock whose laps log nothing.
    fn silent() -> Clock {
        Clock {
            silent: true,
            ..Clock::start(0)
        }
    }

    fn lap(&mut self, pass: &str) {
        if self.silent {
            return;
        }
        let now = Instant::now();
        log::debug!("dedup: {pass}: {:?}", now - self.last);
        self.last = now;
    }

    fn done(&self, output: usize) {
        log::debug!(
            "dedup: {} → {output} types in {:?}",
            self.input,
            self.start.elapsed()
        );
    }
}

/// Deduplicates a parsed BTF: [`dedup`] of [`BtfBuilder::from_btf`], over
/// `btf`'s own base for split BTF.
///
/// # Errors
///
/// As for [`dedup`].
pub fn dedup_btf(btf: &Btf<'_>, opts: &DedupOptions) -> Result<Deduped> {
    dedup(BtfBuilder::from_btf(btf), btf.base(), opts)
}

/// A split builder needs its base; a base builder must not get one.
fn check_base(first: TypeId, str_base: u32, base: Option<&Btf<'_>>) -> Result<()> {
    let base_ids = base.map_or(1, |b| b.type_count());
    let base_strs = base.map_or(0, |b| b.str_len_total());
    if first.0 == base_ids && str_base == base_strs {
        return Ok(());
    }
    let what = match base {
        None => format!("split BTF starting at id {first} needs its base"),
        Some(b) => format!(
            "base has {} types and {} bytes of strings, but the builder starts at id {first} \
             after {} bytes of strings",
            b.type_count(),
            b.str_len_total(),
            str_base
        ),
    };
    Err(error(TypeId(first.0), what))
}
