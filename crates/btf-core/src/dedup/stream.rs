//! Deduplication fed in batches, while the producer is still producing.
//!
//! Most of the work of dedup only ever looks backwards: a type is checked,
//! signed, and (for primitives, structs, unions and typedefs) merged into
//! an *earlier* candidate, through graphs that reach only types before it or
//! in its own batch. So those passes can run on each batch as it arrives,
//! in id order, and give exactly what they give over the whole input at
//! once. Only the tail needs everything: FWDs resolved by unique name, the
//! reference types (which wait for the FWDs), compaction and strings.
//!
//! A converter that decodes compilation units on worker threads
//! (`btfkit dwarf2btf`) feeds each unit as it is merged, so the struct pass
//! overlaps the decoding instead of following it.
//!
//! Why a batch may be processed before the next one exists: the primitive
//! pass merges a type into the first equal earlier one, so later types
//! change nothing for it, except that a full enum takes over an earlier
//! forward-declared one; that forward can only meet, in a graph check, a
//! candidate-side enum of the same name that is itself a forward (a full one
//! before the taking-over enum would have taken it over instead), and both
//! then resolve to the same type either way. A struct's graph check pairs
//! types of the struct's batch with earlier canonical types, and what it
//! records is only ever about those.

use std::borrow::Cow;

use super::state::State;
use super::strings::Canonical;
use super::{
    check_base, conclude, finish_types, forward_passes, start_state, Clock, DedupOptions, Deduped,
};
use crate::write::PackedBtf;
use crate::{Btf, Result};

/// Deduplication fed one batch of records at a time.
///
/// Feed the records in id order, each batch referring only to types fed
/// before it or in it, with names already canonical: one string offset per
/// distinct string, the base's own offset for strings the base has (a
/// [`StringTable`](crate::write::StringTable) used through
/// [`add`](crate::write::StringTable::add) gives that). Then
/// [`finish`](DedupStream::finish) with the [`PackedBtf`] the records came
/// from. The result is what [`dedup_packed`](super::dedup_packed) gives for
/// the same records.
///
/// ```
/// use btf_core::dedup::{DedupOptions, DedupStream};
/// use btf_core::write::{OwnedType, PackedBtf};
/// use btf_core::TypeId;
///
/// let mut packed = PackedBtf::new();
/// let mut stream = DedupStream::new(None, &DedupOptions::default()).unwrap();
/// // Two units, each with `double` and `double *`, fed one at a time.
/// for _ in 0..2 {
///     let name = packed.add_str("double");
///     let double = packed.add(&OwnedType::float(name, 8)).unwrap();
///     packed.add(&OwnedType::ptr(double)).unwrap();
///     stream.feed_packed(&mut packed).unwrap();
/// }
/// let out = stream.finish(packed).unwrap();
/// assert_eq!(out.builder.len(), 2);
/// assert_eq!(out.id_map.get(TypeId(4)), Some(TypeId(2)));
/// ```
#[derive(Debug)]
pub struct DedupStream<'b> {
    base: Option<&'b Btf<'b>>,
    state: State,
    opts: DedupOptions,
    /// Records fed so far.
    fed: usize,
}

impl<'b> DedupStream<'b> {
    /// A stream for base BTF (`base` is `None`) or for split BTF over
    /// `base`.
    ///
    /// # Errors
    ///
    /// [`Error::Dedup`](crate::Error::Dedup) for a base with a kind btfkit
    /// does not know or a dangling reference.
    pub fn new(base: Option<&'b Btf<'b>>, opts: &DedupOptions) -> Result<DedupStream<'b>> {
        Ok(DedupStream {
            base,
            state: start_state(base, opts)?,
            opts: opts.clone(),
            fed: 0,
        })
    }

    /// Feeds the next records: `words` holds them one after the other
    /// (native-endian, as [`PackedBtf`] keeps them) and `offs` the word
    /// offset of each. Runs every pass that looks only backwards on them.
    ///
    /// # Errors
    ///
    /// As for [`dedup_packed`](super::dedup_packed); a reference to a type
    /// not fed yet counts as dangling.
    pub fn feed(&mut self, words: &[u32], offs: &[u32]) -> Result<()> {
        self.feed_words(Cow::Borrowed(words), offs)
    }

    /// Feeds the records `packed` holds and [flushes](PackedBtf::flush)
    /// them there.
    ///
    /// # Errors
    ///
    /// As for [`feed`](DedupStream::feed).
    pub fn feed_packed(&mut self, packed: &mut PackedBtf) -> Result<()> {
        packed.flush(|words, offs| self.feed(words, offs))
    }

    fn feed_words(&mut self, words: Cow<'_, [u32]>, offs: &[u32]) -> Result<()> {
        let ids = self.state.append(words, offs)?;
        self.fed += offs.len();
        forward_passes(&mut self.state, ids, &mut Clock::silent())
    }

    /// Feeds what `rest` still holds, runs the remaining passes and returns
    /// the deduplicated BTF, its strings those of `rest`. `rest` must be
    /// the [`PackedBtf`] every fed record was flushed from, or one that
    /// continues its ids with the same strings.
    ///
    /// [`Deduped::str_map`] covers the strings the kept types use.
    ///
    /// # Errors
    ///
    /// As for [`feed`](DedupStream::feed), and
    /// [`Error::Dedup`](crate::Error::Dedup) if `rest` does not continue
    /// the records fed.
    pub fn finish(mut self, rest: PackedBtf) -> Result<Deduped> {
        let first_id = rest.first_id();
        check_base(first_id, rest.strings().base_len(), self.base)?;
        if rest.flushed() != self.fed {
            return Err(super::state::error(
                first_id,
                format!(
                    "{} records were fed, but the builder flushed {}",
                    self.fed,
                    rest.flushed()
                ),
            ));
        }
        let (old_strings, words, offs, _) = rest.into_parts();
        self.feed_words(Cow::Owned(words), &offs)?;
        drop(offs);
        let mut clock = Clock::start(self.fed);
        let mut canon = Canonical::new(&old_strings, self.base);
        let (mut kept, id_map) = finish_types(self.state, &mut clock)?;
        // Names are canonical already; this records the offsets the kept
        // types use, for the string map.
        canon.rewrite(&mut kept.words, &kept.offs, first_id, self.opts.jobs)?;
        conclude(
            kept,
            id_map,
            first_id,
            &old_strings,
            canon,
            &self.opts,
            clock,
        )
    }
}
