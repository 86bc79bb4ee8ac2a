//! [`Btf`]: a parsed, validated, read-only view of one BTF blob.

use crate::header::{detect_endian, Header, Layout};
use crate::types::{RefSlot, Type, TypeData, INFO_VLEN_MASK};
use crate::write::{walk_ref_words, RecordWords};
use crate::{Endian, Error, Kind, Result, StrOffset, Strings, TypeId};

/// Size of the common prefix of every type record.
const PREFIX: usize = 12;

/// The largest number of types btfkit indexes in one blob. The kernel's limit
/// is 2^20 − 1 (`BTF_MAX_TYPE`); btfkit accepts more so it can read anything
/// libbpf reads, but bounds the count so ids stay far from overflow.
pub const MAX_TYPES: u32 = 1 << 28;

/// A parsed BTF blob: an arena of type records indexed by [`TypeId`], over
/// borrowed bytes.
///
/// Parsing makes one pass that records where each type starts and checks that
/// every record fits, then a second pass that checks every string offset and
/// type reference, so all accessors afterwards are infallible lookups.
///
/// Split BTF ([`Btf::parse_split`]) continues the ids and string offsets of a
/// base; lookups below the split's first id go to the base.
#[derive(Debug, Clone)]
pub struct Btf<'a> {
    data: &'a [u8],
    header: Header,
    types: &'a [u8],
    strings: Strings<'a>,
    layout: Option<Layout<'a>>,
    /// Start of each own record, relative to the type section.
    offsets: Vec<u32>,
    first_id: u32,
    str_base: u32,
    base: Option<&'a Btf<'a>>,
    unknown_kinds: Vec<u8>,
}

impl<'a> Btf<'a> {
    /// Parses a complete (base) BTF blob.
    pub fn parse(data: &'a [u8]) -> Result<Btf<'a>> {
        Btf::parse_inner(data, None)
    }

    /// Parses split BTF whose ids and strings continue those of `base`.
    pub fn parse_split(data: &'a [u8], base: &'a Btf<'a>) -> Result<Btf<'a>> {
        Btf::parse_inner(data, Some(base))
    }

    fn parse_inner(data: &'a [u8], base: Option<&'a Btf<'a>>) -> Result<Btf<'a>> {
        let endian = detect_endian(data)?;
        if let Some(b) = base {
            if b.endian() != endian {
                return Err(Error::BaseEndianMismatch {
                    split: endian.name(),
                    base: b.endian().name(),
                });
            }
        }
        let header = Header::parse(data)?;
        let str_range = header.str_range();
        let strings = Strings::new(&data[str_range.clone()], base.is_some(), str_range.start)?;
        let layout = header.layout_range().map(|r| Layout::new(&data[r], endian));
        let mut btf = Btf {
            data,
            header,
            types: &data[header.type_range()],
            strings,
            layout,
            offsets: Vec::new(),
            first_id: base.map_or(1, |b| b.type_count()),
            str_base: base.map_or(0, |b| b.str_len_total()),
            base,
            unknown_kinds: Vec::new(),
        };
        btf.index_records()?;
        btf.validate_refs()?;
        Ok(btf)
    }

    /// First pass: find where each record starts; check each fits.
    fn index_records(&mut self) -> Result<()> {
        let e = self.header.endian;
        let types = self.types;
        let abs = self.header.type_range().start;
        // Bounded by the input's size, not by any count read from it.
        let mut offsets = Vec::with_capacity(types.len() / PREFIX);
        let mut pos = 0usize;
        while pos < types.len() {
            let id = TypeId(self.first_id.saturating_add(offsets.len() as u32));
            if offsets.len() as u32 >= MAX_TYPES {
                return Err(Error::TooManyTypes {
                    offset: abs + pos,
                    max: MAX_TYPES,
                });
            }
            let info = e.read_u32(types, pos + 4);
            let (Some(info), true) = (info, pos + PREFIX <= types.len()) else {
                return Err(Error::TruncatedType {
                    id,
                    offset: abs + pos,
                    kind: Kind::Unknown(0),
                    vlen: 0,
                    end: abs + types.len(),
                });
            };
            let kind = Kind::from_info(info);
            let vlen = info & INFO_VLEN_MASK;
            let trailing = match kind.trailing_size(vlen) {
                Some(n) => n,
                None => self.unknown_size(kind, vlen, id, abs + pos)?,
            };
            let end = (pos + PREFIX) as u64 + trailing;
            if end > types.len() as u64 {
                return Err(Error::TruncatedType {
                    id,
                    offset: abs + pos,
                    kind,
                    vlen,
                    end: abs + types.len(),
                });
            }
            offsets.push(pos as u32);
            pos = end as usize;
        }
        self.offsets = offsets;
        Ok(())
    }

    /// Sizes a record of a kind btfkit does not know from the layout section.
    fn unknown_size(&mut self, kind: Kind, vlen: u32, id: TypeId, offset: usize) -> Result<u64> {
        let raw = kind.to_raw();
        let entry = self.layout.and_then(|l| l.get(raw)).filter(|_| raw != 0);
        let Some(entry) = entry else {
            return Err(Error::UnknownKind {
                id,
                offset,
                kind: raw,
            });
        };
        if !self.unknown_kinds.contains(&raw) {
            log::warn!("type [{id}]: unknown kind {raw}, sized by the layout section");
            self.unknown_kinds.push(raw);
        }
        Ok(u64::from(entry.info_sz) + u64::from(vlen) * u64::from(entry.elem_sz))
    }

    /// Second pass: every string offset and type reference is in range.
    /// A quick check over the raw records first; the decoding check below
    /// runs only to describe a failure.
    fn validate_refs(&self) -> Result<()> {
        if self.refs_in_range() {
            return Ok(());
        }
        self.validate_refs_decoded()
    }

    /// Whether every string offset and type reference is in range: the
    /// same conditions as [`validate_refs_decoded`](Self::validate_refs_decoded)
    /// (never fewer), read straight from the record bytes.
    fn refs_in_range(&self) -> bool {
        let e = self.header.endian;
        let last = self.last_id().0;
        let str_total = self.str_len_total();
        let types = self.types;
        let word = |b: &[u8], off: usize| e.read_u32(b, off).unwrap_or(0);
        let mut ok = true;
        for (i, &start) in self.offsets.iter().enumerate() {
            let end = self.offsets.get(i + 1).map_or(types.len(), |&o| o as usize);
            let rec = types.get(start as usize..end).unwrap_or_default();
            let rest = rec.get(PREFIX..).unwrap_or_default();
            let info = word(rec, 4);
            let kind = Kind::from_info(info);
            ok &= word(rec, 0) < str_total;
            walk_ref_words(kind, RawRecord { bytes: rec, e }, |r: u32| ok &= r <= last);
            // Member, enumerator and parameter names (the words
            // for_each_name_word visits in packed records). Constant
            // strides, so each loop needs no division.
            let mut name_ok = |v: &[u8]| ok &= word(v, 0) < str_total;
            match kind {
                Kind::Struct | Kind::Union | Kind::Enum64 => {
                    rest.chunks_exact(12).for_each(&mut name_ok);
                }
                Kind::Enum | Kind::FuncProto => rest.chunks_exact(8).for_each(&mut name_ok),
                _ => {}
            }
        }
        ok
    }

    /// Every string offset and type reference is in range, through the
    /// decoded views; the error names the first one that is not.
    fn validate_refs_decoded(&self) -> Result<()> {
        let last = self.last_id().0;
        let str_total = self.str_len_total();
        for ty in self.own_types() {
            let bad_str = |what: String, off: StrOffset| Error::StringOutOfRange {
                id: ty.id(),
                offset: ty.offset(),
                what,
                name_off: off.0,
                len: u64::from(str_total),
            };
            let bad_id = |slot: RefSlot, target: TypeId| Error::TypeIdOutOfRange {
                id: ty.id(),
                offset: ty.offset(),
                what: slot.to_string(),
                target: target.0,
                last,
            };
            // Offsets inside the section always resolve: it ends with a NUL.
            let str_ok = |off: StrOffset| off.0 < str_total;
            let id_ok = |id: TypeId| id.0 <= last;
            if !str_ok(ty.name_off()) {
                return Err(bad_str("name".into(), ty.name_off()));
            }
            if let Some(t) = ty.type_ref() {
                if !id_ok(t) {
                    return Err(bad_id(RefSlot::Prefix, t));
                }
            }
            match ty.data() {
                TypeData::Array(a) => {
                    if !id_ok(a.elem_type) {
                        return Err(bad_id(RefSlot::ArrayElem, a.elem_type));
                    }
                    if !id_ok(a.index_type) {
                        return Err(bad_id(RefSlot::ArrayIndex, a.index_type));
                    }
                }
                TypeData::Struct(ms) | TypeData::Union(ms) => {
                    for (i, m) in ms.enumerate() {
                        if !str_ok(m.name) {
                            return Err(bad_str(format!("member {i} name"), m.name));
                        }
                        if !id_ok(m.type_id) {
                            return Err(bad_id(RefSlot::Member(i as u32), m.type_id));
                        }
                    }
                }
                TypeData::Enum(vs) | TypeData::Enum64(vs) => {
                    for (i, v) in vs.enumerate() {
                        if !str_ok(v.name) {
                            return Err(bad_str(format!("enumerator {i} name"), v.name));
                        }
                    }
                }
                TypeData::FuncProto(_, ps) => {
                    for (i, p) in ps.enumerate() {
                        if !str_ok(p.name) {
                            return Err(bad_str(format!("parameter {i} name"), p.name));
                        }
                        if !id_ok(p.type_id) {
                            return Err(bad_id(RefSlot::Param(i as u32), p.type_id));
                        }
                    }
                }
                TypeData::Datasec(vs) => {
                    for (i, v) in vs.enumerate() {
                        if !id_ok(v.type_id) {
                            return Err(bad_id(RefSlot::DatasecVar(i as u32), v.type_id));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The whole blob this view was parsed from.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The decoded header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Byte order of the blob.
    pub fn endian(&self) -> Endian {
        self.header.endian
    }

    /// The base, for split BTF.
    pub fn base(&self) -> Option<&'a Btf<'a>> {
        self.base
    }

    /// The first id stored in this blob: 1, or the base's type count.
    pub fn first_id(&self) -> TypeId {
        TypeId(self.first_id)
    }

    /// The last valid id (base included); `TypeId(0)` if there are no types.
    pub fn last_id(&self) -> TypeId {
        TypeId(self.type_count() - 1)
    }

    /// Number of ids, counting `void` and the base's types.
    pub fn type_count(&self) -> u32 {
        self.first_id + self.offsets.len() as u32
    }

    /// Number of types stored in this blob (not counting the base or `void`).
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// Whether this blob stores no types.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// This blob's own string section.
    pub fn strings(&self) -> Strings<'a> {
        self.strings
    }

    /// The type section's raw bytes.
    pub fn types_section(&self) -> &'a [u8] {
        self.types
    }

    /// The layout section, if the header has one.
    pub fn layout(&self) -> Option<Layout<'a>> {
        self.layout
    }

    /// Kind numbers of unknown kinds that the layout section sized.
    pub fn unknown_kinds(&self) -> &[u8] {
        &self.unknown_kinds
    }

    /// The logical length of the string sections: the base's plus this one's.
    pub fn str_len_total(&self) -> u32 {
        self.str_base + self.strings.len() as u32
    }

    /// Resolves a logical string offset (base first for split BTF).
    #[inline]
    pub fn name(&self, off: StrOffset) -> Option<&'a [u8]> {
        if off.0 < self.str_base {
            return self.base?.name(off);
        }
        self.strings.get(off.0 - self.str_base)
    }

    /// The name of a type, `b""` if anonymous.
    pub fn type_name(&self, ty: &Type<'a>) -> &'a [u8] {
        self.name(ty.name_off()).unwrap_or_default()
    }

    /// The type with id `id`, looking in the base for lower ids. `None` for
    /// `void` (id 0) and ids past the last.
    #[inline]
    pub fn get(&self, id: TypeId) -> Option<Type<'a>> {
        if id.0 < self.first_id {
            return self.base?.get(id);
        }
        let idx = (id.0 - self.first_id) as usize;
        let start = *self.offsets.get(idx)? as usize;
        let end = self
            .offsets
            .get(idx + 1)
            .map_or(self.types.len(), |&o| o as usize);
        let record = self.types.get(start..end)?;
        let (prefix, rest) = record.split_at_checked(PREFIX)?;
        let abs = self.header.type_range().start + start;
        Some(Type::decode(
            id,
            self.header.endian,
            abs as u32,
            prefix,
            rest,
        ))
    }

    /// The types stored in this blob, in id order (not the base's).
    pub fn own_types(&self) -> impl ExactSizeIterator<Item = Type<'a>> + '_ {
        (0..self.offsets.len() as u32).map(move |i| {
            self.get(TypeId(self.first_id + i))
                .expect("ids within offsets always resolve")
        })
    }

    /// The id, kind and name offset of every own type, in id order, read
    /// from the 12-byte record headers only: cheaper than
    /// [`own_types`](Self::own_types) for scans that look at a few kinds.
    pub fn own_kinds(&self) -> impl ExactSizeIterator<Item = (TypeId, Kind, StrOffset)> + '_ {
        let e = self.header.endian;
        let types = self.types;
        self.offsets.iter().enumerate().map(move |(i, &off)| {
            let off = off as usize;
            let name_off = e.read_u32(types, off).unwrap_or(0);
            let info = e.read_u32(types, off + 4).unwrap_or(0);
            (
                TypeId(self.first_id + i as u32),
                Kind::from_info(info),
                StrOffset(name_off),
            )
        })
    }

    /// All types, base first, in id order.
    pub fn types(&self) -> impl Iterator<Item = Type<'a>> + '_ {
        (1..self.type_count()).filter_map(move |i| self.get(TypeId(i)))
    }

    /// Follows TYPEDEF, CONST, VOLATILE, RESTRICT and TYPE_TAG to the first
    /// other type. Errors on a loop or a chain deeper than 64.
    pub fn skip_modifiers(&self, id: TypeId) -> Result<TypeId> {
        let mut cur = id;
        for _ in 0..MAX_CHAIN {
            match self.get(cur) {
                Some(t) if t.kind().is_modifier() => cur = TypeId(t.size_or_type()),
                _ => return Ok(cur),
            }
        }
        Err(Error::BadChain {
            id,
            what: "modifier chain deeper than 64 (a loop?)",
        })
    }

    /// Size in bytes of a type, as C's `sizeof` would give it: follows
    /// modifiers and typedefs, multiplies arrays, pointers are 8 bytes.
    pub fn resolve_size(&self, id: TypeId) -> Result<u64> {
        let mut cur = id;
        let mut mult: u64 = 1;
        for _ in 0..MAX_CHAIN {
            let Some(t) = self.get(cur) else {
                return Ok(0);
            };
            match t.kind() {
                Kind::Ptr => return Ok(mult.saturating_mul(8)),
                Kind::Array => {
                    let crate::types::TypeData::Array(a) = t.data() else {
                        return Ok(0);
                    };
                    mult = mult.saturating_mul(u64::from(a.nelems));
                    cur = a.elem_type;
                }
                k if k.is_modifier() || k == Kind::Var => cur = TypeId(t.size_or_type()),
                _ => return Ok(mult.saturating_mul(u64::from(t.size().unwrap_or(0)))),
            }
        }
        Err(Error::BadChain {
            id,
            what: "type chain deeper than 64 (a loop?)",
        })
    }
}

/// One undecoded record in the blob's byte order, for
/// [`walk_ref_words`]: words that do not fit read as 0, as the quick check
/// in [`Btf::refs_in_range`] reads them.
struct RawRecord<'a> {
    bytes: &'a [u8],
    e: Endian,
}

impl RawRecord<'_> {
    #[inline]
    fn word(b: &[u8], e: Endian, i: usize) -> u32 {
        e.read_u32(b, 4 * i).unwrap_or(0)
    }
}

impl<F: FnMut(u32)> RecordWords<F> for RawRecord<'_> {
    #[inline]
    fn visit(&mut self, i: usize, f: &mut F) {
        f(RawRecord::word(self.bytes, self.e, i));
    }

    #[inline]
    fn visit_entries<const N: usize>(&mut self, at: usize, f: &mut F) {
        let rest = self.bytes.get(PREFIX..).unwrap_or_default();
        for entry in rest.chunks_exact(4 * N) {
            f(RawRecord::word(entry, self.e, at));
        }
    }
}

/// How far btfkit follows chains of references before calling them a loop.
pub const MAX_CHAIN: usize = 64;
