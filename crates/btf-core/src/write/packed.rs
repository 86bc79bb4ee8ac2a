//! [`PackedBtf`]: a builder that keeps its types in BTF's wire layout.
//!
//! A [`BtfBuilder`] holds one [`OwnedType`] per type, with a heap vector for
//! members or parameters: convenient, but about twice the size of the
//! encoded records and one allocation per composite. A converter that emits
//! millions of types before deduplication (a vmlinux has 3.4 million) keeps
//! them here instead: each record as the native-endian `u32` words it
//! encodes to, one after the other, and the word offset of each record.
//! [`dedup_packed`](crate::dedup::dedup_packed) works on this form directly.

use super::{Body, BtfBuilder, OwnedType, StringTable};
use crate::header::{HEADER_LEN, MAGIC};
use crate::types::{Array, Linkage, Member, Param, VarSecinfo, INFO_VLEN_MASK};
use crate::{Btf, Endian, Error, Kind, Result, StrOffset, TypeId};

/// Types in wire layout plus a string table. Ids are assigned in insertion
/// order from 1 (or after the base, for split BTF), as in [`BtfBuilder`].
#[derive(Clone, Debug)]
pub struct PackedBtf {
    strings: StringTable,
    /// Every record, native-endian, in id order.
    words: Vec<u32>,
    /// Word offset of each record in `words`.
    offs: Vec<u32>,
    first_id: u32,
    /// Records handed on by [`PackedBtf::flush`]; the first record held
    /// has id `first_id + flushed`.
    flushed: u32,
}

impl Default for PackedBtf {
    fn default() -> Self {
        PackedBtf::new()
    }
}

impl PackedBtf {
    /// An empty base BTF.
    pub fn new() -> PackedBtf {
        PackedBtf::with_strings(StringTable::new(), 1)
    }

    /// An empty split BTF on top of `base` (see [`BtfBuilder::new_split`]).
    pub fn new_split(base: &Btf<'_>) -> PackedBtf {
        PackedBtf::with_strings(StringTable::new_split(base), base.type_count())
    }

    /// An empty BTF whose string section starts as `strings` and whose first
    /// type gets id `first_id` (1 for base BTF).
    pub fn with_strings(strings: StringTable, first_id: u32) -> PackedBtf {
        PackedBtf {
            strings,
            words: Vec::new(),
            offs: Vec::new(),
            first_id,
            flushed: 0,
        }
    }

    /// The types and strings of `builder`, packed.
    ///
    /// # Errors
    ///
    /// As for [`PackedBtf::add`].
    pub fn from_builder(builder: &BtfBuilder) -> Result<PackedBtf> {
        let mut p = PackedBtf::with_strings(builder.strings.clone(), builder.first_id);
        p.offs.reserve(builder.types.len());
        for t in &builder.types {
            p.add(t)?;
        }
        Ok(p)
    }

    /// Adds a string and returns its offset; duplicates share one copy.
    pub fn add_str(&mut self, s: impl AsRef<[u8]>) -> StrOffset {
        self.strings.add(s.as_ref())
    }

    /// Adds a type and returns its id.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] for a kind btfkit does not know (its bytes have no
    /// word layout), a body that does not fit the kind, a vlen that does not
    /// fit in 24 bits, or more than 2³² words of records.
    pub fn add(&mut self, t: &OwnedType) -> Result<TypeId> {
        let id = self.next_id();
        let Ok(at) = u32::try_from(self.words.len()) else {
            return Err(Error::Write {
                id,
                what: "more than 2^32 words of types".into(),
            });
        };
        encode_words(&mut self.words, t, id)?;
        self.offs.push(at);
        Ok(id)
    }

    /// Adds a type given as its record: native-endian words, `name_off`,
    /// `info`, `size_or_type` and the kind's trailing words.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] for a kind btfkit does not know, a record whose
    /// length does not fit its kind and vlen, or more than 2³² words.
    pub fn add_record(&mut self, w: &[u32]) -> Result<TypeId> {
        let id = self.next_id();
        let fail = |what: String| Err(Error::Write { id, what });
        let Some(&info) = w.get(1) else {
            return fail("a record is at least three words".into());
        };
        match record_len(info) {
            Some(n) if n == w.len() => {}
            Some(n) => return fail(format!("{}-word record, its kind needs {n}", w.len())),
            None => return fail(format!("unknown kind {}", Kind::from_info(info).to_raw())),
        }
        let Ok(at) = u32::try_from(self.words.len()) else {
            return fail("more than 2^32 words of types".into());
        };
        self.words.extend_from_slice(w);
        self.offs.push(at);
        Ok(id)
    }

    /// The record of type `id` as words, if this builder holds it.
    pub fn record(&self, id: TypeId) -> Option<&[u32]> {
        let (start, end) = self.bounds(id)?;
        self.words.get(start..end)
    }

    /// The record of type `id`, mutably (names and references may be
    /// rewritten; the kind and vlen must stay).
    pub fn record_mut(&mut self, id: TypeId) -> Option<&mut [u32]> {
        let (start, end) = self.bounds(id)?;
        self.words.get_mut(start..end)
    }

    /// The id the next type gets.
    fn next_id(&self) -> TypeId {
        TypeId(self.first_id + self.flushed + self.offs.len() as u32)
    }

    /// Hands the records held (native-endian words, and the word offset of
    /// each in them) to `f`, then forgets them: the strings stay, and
    /// later types still get the ids after them. A streaming consumer
    /// ([`DedupStream`](crate::dedup::DedupStream)) takes records this way
    /// while the producer goes on adding, so that they are never held
    /// twice.
    ///
    /// Flushed records are gone: [`record`](PackedBtf::record) no longer
    /// finds them, [`kinds`](PackedBtf::kinds) and
    /// [`to_builder`](PackedBtf::to_builder) see only the records held, and
    /// [`write`](PackedBtf::write) fails.
    pub fn flush<R>(&mut self, f: impl FnOnce(&[u32], &[u32]) -> R) -> R {
        let r = f(&self.words, &self.offs);
        self.flushed += self.offs.len() as u32;
        self.words.clear();
        self.offs.clear();
        r
    }

    /// How many records [`flush`](PackedBtf::flush) handed on.
    pub fn flushed(&self) -> usize {
        self.flushed as usize
    }

    fn bounds(&self, id: TypeId) -> Option<(usize, usize)> {
        let i = id.0.checked_sub(self.first_id + self.flushed)? as usize;
        let start = *self.offs.get(i)? as usize;
        let end = self
            .offs
            .get(i + 1)
            .map_or(self.words.len(), |&e| e as usize);
        Some((start, end))
    }

    /// Sets the `field`-th type reference of type `id` (in record order:
    /// the prefix's type, array element then index, members, parameters,
    /// section entries) to `to`. Returns whether that reference exists.
    pub fn set_ref(&mut self, id: TypeId, field: usize, to: TypeId) -> bool {
        let Some(w) = self.record_mut(id) else {
            return false;
        };
        let mut n = 0;
        let mut done = false;
        for_each_ref_word(w, |r| {
            if n == field {
                *r = to.0;
                done = true;
            }
            n += 1;
        });
        done
    }

    /// The first id this builder assigns.
    pub fn first_id(&self) -> TypeId {
        TypeId(self.first_id)
    }

    /// Number of types added (flushed ones included).
    pub fn len(&self) -> usize {
        self.flushed as usize + self.offs.len()
    }

    /// Whether no types were added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The string table.
    pub fn strings(&self) -> &StringTable {
        &self.strings
    }

    /// The kind of every type held, in id order.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.offs
            .iter()
            .map(|&o| Kind::from_info(self.words[o as usize + 1]))
    }

    /// Unpacks into a [`BtfBuilder`] with the same ids, strings and bytes.
    pub fn to_builder(&self) -> BtfBuilder {
        let mut b = BtfBuilder::new();
        b.strings = self.strings.clone();
        b.first_id = self.first_id + self.flushed;
        b.types = (0..self.offs.len())
            .filter_map(|i| self.record(TypeId(self.first_id + self.flushed + i as u32)))
            .map(decode)
            .collect();
        b
    }

    /// Encodes everything as a BTF blob in byte order `endian`.
    pub fn write(&self, endian: Endian) -> Result<Vec<u8>> {
        if self.flushed > 0 {
            return Err(Error::Write {
                id: TypeId(self.first_id),
                what: format!("{} types were flushed", self.flushed),
            });
        }
        let strings = self.strings.as_bytes();
        let type_len = u32::try_from(self.words.len() * 4).map_err(|_| Error::Write {
            id: TypeId(self.first_id),
            what: "more than 4 GiB of types".into(),
        })?;
        let mut out = Vec::with_capacity(HEADER_LEN as usize + type_len as usize + strings.len());
        out.extend_from_slice(&endian.u16_bytes(MAGIC));
        out.push(1); // version
        out.push(0); // flags
        for v in [HEADER_LEN, 0, type_len, type_len, strings.len() as u32] {
            out.extend_from_slice(&endian.u32_bytes(v));
        }
        for &w in &self.words {
            out.extend_from_slice(&endian.u32_bytes(w));
        }
        out.extend_from_slice(strings);
        Ok(out)
    }

    /// The parts, for dedup: strings, the words and record offsets held,
    /// and the id of the first record held.
    pub(crate) fn into_parts(self) -> (StringTable, Vec<u32>, Vec<u32>, u32) {
        let first = self.first_id + self.flushed;
        (self.strings, self.words, self.offs, first)
    }
}

/// Appends the record `t` encodes to (as type `id`, for errors) to `w`.
///
/// Only records of known kinds whose body fits: the packed form has no
/// room for an unknown kind's bytes.
pub(crate) fn encode_words(w: &mut Vec<u32>, t: &OwnedType, id: TypeId) -> Result<()> {
    if !body_fits(t.kind, &t.body) {
        return Err(Error::Write {
            id,
            what: format!("{} record with a mismatched body", t.kind),
        });
    }
    push_words(w, t, id)
}

/// Appends the words of `t`'s record (as type `id`, for errors) to `w`,
/// whatever its body: the one encoder of records, which the byte writer
/// ([`BtfBuilder::write`]) shares. A [`Body::Unknown`]'s data are bytes,
/// not words; only its 3-word prefix is pushed, and the caller appends the
/// bytes.
pub(crate) fn push_words(w: &mut Vec<u32>, t: &OwnedType, id: TypeId) -> Result<()> {
    let vlen = t.vlen();
    if vlen > INFO_VLEN_MASK {
        return Err(Error::Write {
            id,
            what: format!("vlen {vlen} does not fit in 24 bits"),
        });
    }
    let info = u32::from(t.kflag) << 31 | u32::from(t.kind.to_raw() & 0x7f) << 24 | vlen;
    w.extend_from_slice(&[t.name.0, info, t.size_or_type]);
    match &t.body {
        Body::None | Body::Func(_) | Body::Unknown { .. } => {}
        Body::Int(raw) => w.push(*raw),
        Body::Array(a) => w.extend_from_slice(&[a.elem_type.0, a.index_type.0, a.nelems]),
        Body::Members(ms) => {
            for m in ms {
                w.extend_from_slice(&[m.name.0, m.type_id.0, m.raw_offset]);
            }
        }
        Body::Enum(vs) => vs.iter().for_each(|(n, v)| w.extend_from_slice(&[n.0, *v])),
        Body::Enum64(vs) => {
            for (n, v) in vs {
                w.extend_from_slice(&[n.0, *v as u32, (*v >> 32) as u32]);
            }
        }
        Body::Params(ps) => {
            for p in ps {
                w.extend_from_slice(&[p.name.0, p.type_id.0]);
            }
        }
        Body::Var(l) => w.push(l.to_raw()),
        Body::Datasec(vs) => {
            for v in vs {
                w.extend_from_slice(&[v.type_id.0, v.offset, v.size]);
            }
        }
        Body::DeclTag(idx) => w.push(*idx as u32),
    }
    Ok(())
}

/// Whether `body` is the body kind `kind` has.
pub(crate) fn body_fits(kind: Kind, body: &Body) -> bool {
    match kind {
        Kind::Int => matches!(body, Body::Int(_)),
        Kind::Array => matches!(body, Body::Array(_)),
        Kind::Struct | Kind::Union => matches!(body, Body::Members(_)),
        Kind::Enum => matches!(body, Body::Enum(_)),
        Kind::Enum64 => matches!(body, Body::Enum64(_)),
        Kind::Func => matches!(body, Body::Func(_)),
        Kind::FuncProto => matches!(body, Body::Params(_)),
        Kind::Var => matches!(body, Body::Var(_)),
        Kind::Datasec => matches!(body, Body::Datasec(_)),
        Kind::DeclTag => matches!(body, Body::DeclTag(_)),
        Kind::Ptr
        | Kind::Fwd
        | Kind::Typedef
        | Kind::Volatile
        | Kind::Const
        | Kind::Restrict
        | Kind::Float
        | Kind::TypeTag => matches!(body, Body::None),
        Kind::Unknown(_) => false,
    }
}

/// The number of words of a record of `kind` with `vlen` entries; `None`
/// for unknown kinds.
#[inline]
pub(crate) fn record_words(kind: Kind, vlen: u32) -> Option<usize> {
    // Callers pass a vlen of at most 24 bits, so at most 3 * 2^24 + 3
    // words: the cast loses nothing even with a 32-bit usize.
    kind.trailing_words(vlen).map(|n| 3 + n as usize)
}

/// The number of words of a record whose `info` word is `info`; `None` for
/// kinds btfkit does not know.
#[inline]
pub fn record_len(info: u32) -> Option<usize> {
    record_words(Kind::from_info(info), info & INFO_VLEN_MASK)
}

/// Calls `f` on every type-id word of the record `w` (whose length fits its
/// kind, see [`record_len`]), in record order: the prefix's type, array
/// element then index, members, parameters, section entries.
#[inline]
pub fn for_each_ref_word(w: &mut [u32], f: impl FnMut(&mut u32)) {
    walk_ref_words(Kind::from_info(w[1]), w, f);
}

/// The words of one record, shared or exclusive, in whatever form they are
/// stored, handed to a visitor `F`. It lets [`walk_ref_words`] be the one
/// place that knows which words of a record are type ids, for writers
/// ([`for_each_ref_word`]), readers that hold the words shared (the dedup
/// scan, which runs on several threads at once) and the parser's checks on
/// raw bytes alike.
///
/// The entry stride is a const generic so that each walk compiles to the
/// same constant-stride `chunks_exact` loop it would be written as by hand:
/// the dedup scan runs this over millions of records.
pub(crate) trait RecordWords<F> {
    /// Calls `f` on word `i` of the record (0 is `name_off`, 1 `info`); the
    /// record is long enough for its kind.
    fn visit(&mut self, i: usize, f: &mut F);

    /// Calls `f` on word `at` of each `N`-word entry after the 3-word prefix.
    fn visit_entries<const N: usize>(&mut self, at: usize, f: &mut F);
}

impl<F: FnMut(u32)> RecordWords<F> for &[u32] {
    #[inline]
    fn visit(&mut self, i: usize, f: &mut F) {
        f(self[i]);
    }

    #[inline]
    fn visit_entries<const N: usize>(&mut self, at: usize, f: &mut F) {
        self[3..].chunks_exact(N).for_each(|e| f(e[at]));
    }
}

impl<F: FnMut(&mut u32)> RecordWords<F> for &mut [u32] {
    #[inline]
    fn visit(&mut self, i: usize, f: &mut F) {
        f(&mut self[i]);
    }

    #[inline]
    fn visit_entries<const N: usize>(&mut self, at: usize, f: &mut F) {
        self[3..].chunks_exact_mut(N).for_each(|e| f(&mut e[at]));
    }
}

/// Calls `f` on every type-id word of the record `r` of kind `kind`, in
/// record order: the prefix's type, array element then index, members,
/// parameters, section entries. Unknown kinds have none.
#[inline]
pub(crate) fn walk_ref_words<F, R: RecordWords<F>>(kind: Kind, mut r: R, mut f: F) {
    let f = &mut f;
    if kind.has_type_ref() {
        r.visit(2, f);
    }
    match kind {
        Kind::Array => {
            r.visit(3, f);
            r.visit(4, f);
        }
        Kind::Struct | Kind::Union => r.visit_entries::<3>(1, f),
        Kind::FuncProto => r.visit_entries::<2>(1, f),
        Kind::Datasec => r.visit_entries::<3>(0, f),
        _ => {}
    }
}

/// Calls `f` on every string-offset word of the record `w` (whose length
/// fits its kind), in libbpf's order: the type's name, then its members',
/// enumerators' or parameters' names. Stops at the first error.
#[inline]
pub fn for_each_name_word<E>(
    w: &mut [u32],
    mut f: impl FnMut(&mut u32) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    f(&mut w[0])?;
    match Kind::from_info(w[1]) {
        Kind::Struct | Kind::Union | Kind::Enum64 => {
            w[3..].chunks_exact_mut(3).try_for_each(|m| f(&mut m[0]))
        }
        Kind::Enum | Kind::FuncProto => w[3..].chunks_exact_mut(2).try_for_each(|p| f(&mut p[0])),
        _ => Ok(()),
    }
}

/// The [`OwnedType`] a record (of a known kind, with a fitting length)
/// encodes.
pub(crate) fn decode(w: &[u32]) -> OwnedType {
    let kind = Kind::from_info(w[1]);
    let kflag = w[1] >> 31 != 0;
    let vlen = w[1] & INFO_VLEN_MASK;
    let tail = &w[3..];
    let word = |i: usize| tail.get(i).copied().unwrap_or(0);
    let body = match kind {
        Kind::Int => Body::Int(word(0)),
        Kind::Array => Body::Array(Array {
            elem_type: TypeId(word(0)),
            index_type: TypeId(word(1)),
            nelems: word(2),
        }),
        Kind::Struct | Kind::Union => Body::Members(
            tail.chunks_exact(3)
                .map(|m| Member {
                    name: StrOffset(m[0]),
                    type_id: TypeId(m[1]),
                    raw_offset: m[2],
                    kflag,
                })
                .collect(),
        ),
        Kind::Enum => Body::Enum(
            tail.chunks_exact(2)
                .map(|v| (StrOffset(v[0]), v[1]))
                .collect(),
        ),
        Kind::Enum64 => Body::Enum64(
            tail.chunks_exact(3)
                .map(|v| (StrOffset(v[0]), u64::from(v[2]) << 32 | u64::from(v[1])))
                .collect(),
        ),
        Kind::Func => Body::Func(Linkage::from_raw(vlen)),
        Kind::FuncProto => Body::Params(
            tail.chunks_exact(2)
                .map(|p| Param {
                    name: StrOffset(p[0]),
                    type_id: TypeId(p[1]),
                })
                .collect(),
        ),
        Kind::Var => Body::Var(Linkage::from_raw(word(0))),
        Kind::Datasec => Body::Datasec(
            tail.chunks_exact(3)
                .map(|v| VarSecinfo {
                    type_id: TypeId(v[0]),
                    offset: v[1],
                    size: v[2],
                })
                .collect(),
        ),
        Kind::DeclTag => Body::DeclTag(word(0) as i32),
        Kind::Unknown(_) => Body::Unknown {
            vlen,
            data: Vec::new(),
        },
        _ => Body::None,
    };
    OwnedType {
        name: StrOffset(w[0]),
        kind,
        kflag,
        size_or_type: w[2],
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::INT_SIGNED;

    #[test]
    fn packed_writes_what_the_builder_writes() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        let p = b.add(OwnedType::ptr(int));
        b.add_composite(false, "s", 8, &[("a", int, 0, 0), ("b", p, 35, 3)]);
        b.add_enum("e", 8, true, &[("x", -1), ("y", 1 << 40)]);
        let proto = b.add_func_proto(int, &[("a", p)]);
        b.add_func("f", proto, Linkage::Global);
        let v = b.add_var("v", int, Linkage::Static);
        b.add_datasec(
            ".data",
            4,
            vec![VarSecinfo {
                type_id: v,
                offset: 0,
                size: 4,
            }],
        );
        b.add_decl_tag("tag", v, -1);
        b.add(OwnedType::array(int, int, 3));
        let packed = PackedBtf::from_builder(&b).unwrap();
        assert_eq!(packed.len(), b.len());
        for e in [Endian::Little, Endian::Big] {
            assert_eq!(packed.write(e).unwrap(), b.write(e).unwrap());
        }
        assert_eq!(packed.to_builder().types(), b.types());
    }

    #[test]
    fn byte_writer_keeps_what_packed_refuses() {
        // The byte writer shares push_words but not the body check:
        // unknown kinds keep their bytes, and a body that does not fit its
        // kind is written as it is, as before the two encoders were merged.
        let mut b = BtfBuilder::new();
        let odd = OwnedType {
            body: Body::Int(7),
            ..OwnedType::ptr(TypeId(0))
        };
        b.add(odd.clone());
        b.add(OwnedType {
            name: StrOffset(0),
            kind: Kind::Unknown(20),
            kflag: true,
            size_or_type: 5,
            body: Body::Unknown {
                vlen: 1,
                data: vec![1, 2, 3, 4],
            },
        });
        let blob = b.write(Endian::Big).unwrap();
        let words: [u32; 7] = [0, 2 << 24, 0, 7, 0, 1 << 31 | 20 << 24 | 1, 5];
        let mut want: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        want.extend_from_slice(&[1, 2, 3, 4]);
        assert_eq!(&blob[HEADER_LEN as usize..][..want.len()], &want[..]);
        assert!(PackedBtf::new().add(&odd).is_err());
    }

    #[test]
    fn shared_and_exclusive_walks_see_the_same_refs() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        let p = b.add(OwnedType::ptr(int));
        b.add_composite(false, "s", 8, &[("a", int, 0, 0), ("b", p, 32, 0)]);
        let proto = b.add_func_proto(int, &[("a", p), ("b", int)]);
        b.add_func("f", proto, Linkage::Global);
        let v = b.add_var("v", int, Linkage::Static);
        b.add_datasec(
            ".data",
            4,
            vec![VarSecinfo {
                type_id: v,
                offset: 0,
                size: 4,
            }],
        );
        let arr = b.add(OwnedType::array(p, int, 3));
        let mut packed = PackedBtf::from_builder(&b).unwrap();
        for id in 1..=packed.len() as u32 {
            let w = packed.record_mut(TypeId(id)).unwrap();
            let mut shared = Vec::new();
            walk_ref_words(Kind::from_info(w[1]), &*w, |r: u32| shared.push(r));
            let mut exclusive = Vec::new();
            for_each_ref_word(w, |r| exclusive.push(*r));
            assert_eq!(shared, exclusive, "type {id}");
        }
        // Spot checks of the layout itself: array element then index,
        // prototype return then parameters.
        let refs = |p: &mut PackedBtf, id: TypeId| {
            let mut out = Vec::new();
            for_each_ref_word(p.record_mut(id).unwrap(), |r| out.push(TypeId(*r)));
            out
        };
        assert_eq!(refs(&mut packed, arr), [p, int]);
        assert_eq!(refs(&mut packed, proto), [int, p, int]);
    }
}
