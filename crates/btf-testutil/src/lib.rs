//! Test support for btfkit: byte assemblers for BTF ([`BtfAsm`]), .BTF.ext
//! ([`ExtAsm`]) and minimal ELF files ([`ElfAsm`]), in either byte order.
//!
//! The assemblers write exactly what they are told. Nothing is validated, so
//! they can produce deliberately malformed input: any header field can be
//! overridden, records can be given raw `info` words, raw bytes can be
//! appended anywhere, and counts need not match the data that follows.
//!
//! This crate deliberately does not depend on `btf-core` (it is one of
//! btf-core's dev-dependencies).
//!
//! ```
//! use btf_testutil::{BtfAsm, Order};
//!
//! let mut a = BtfAsm::new(Order::Big);
//! let int = a.int("int", 4, 1, 32);
//! let _ptr = a.ptr(int);
//! let blob = a.build();
//! assert_eq!(&blob[..4], &[0xeb, 0x9f, 1, 0]);
//! ```

/// Kind numbers (`BTF_KIND_*`).
pub mod kind {
    /// INT.
    pub const INT: u8 = 1;
    /// PTR.
    pub const PTR: u8 = 2;
    /// ARRAY.
    pub const ARRAY: u8 = 3;
    /// STRUCT.
    pub const STRUCT: u8 = 4;
    /// UNION.
    pub const UNION: u8 = 5;
    /// ENUM.
    pub const ENUM: u8 = 6;
    /// FWD.
    pub const FWD: u8 = 7;
    /// TYPEDEF.
    pub const TYPEDEF: u8 = 8;
    /// VOLATILE.
    pub const VOLATILE: u8 = 9;
    /// CONST.
    pub const CONST: u8 = 10;
    /// RESTRICT.
    pub const RESTRICT: u8 = 11;
    /// FUNC.
    pub const FUNC: u8 = 12;
    /// FUNC_PROTO.
    pub const FUNC_PROTO: u8 = 13;
    /// VAR.
    pub const VAR: u8 = 14;
    /// DATASEC.
    pub const DATASEC: u8 = 15;
    /// FLOAT.
    pub const FLOAT: u8 = 16;
    /// DECL_TAG.
    pub const DECL_TAG: u8 = 17;
    /// TYPE_TAG.
    pub const TYPE_TAG: u8 = 18;
    /// ENUM64.
    pub const ENUM64: u8 = 19;
}

/// The BTF / .BTF.ext magic.
pub const MAGIC: u16 = 0xEB9F;

/// Byte order of the bytes an assembler writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Order {
    /// Both byte orders, for tests that must run in each.
    pub const BOTH: [Order; 2] = [Order::Little, Order::Big];

    /// The other byte order.
    pub fn swapped(self) -> Order {
        match self {
            Order::Little => Order::Big,
            Order::Big => Order::Little,
        }
    }

    /// Whether this is [`Order::Big`].
    pub fn is_big(self) -> bool {
        self == Order::Big
    }

    /// Encodes a `u16`.
    pub fn u16(self, v: u16) -> [u8; 2] {
        match self {
            Order::Little => v.to_le_bytes(),
            Order::Big => v.to_be_bytes(),
        }
    }

    /// Encodes a `u32`.
    pub fn u32(self, v: u32) -> [u8; 4] {
        match self {
            Order::Little => v.to_le_bytes(),
            Order::Big => v.to_be_bytes(),
        }
    }

    /// Encodes a `u64`.
    pub fn u64(self, v: u64) -> [u8; 8] {
        match self {
            Order::Little => v.to_le_bytes(),
            Order::Big => v.to_be_bytes(),
        }
    }
}

/// Overwrites the `u32` at byte `at` of `buf` (which must be long enough).
pub fn patch_u32(buf: &mut [u8], order: Order, at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&order.u32(v));
}

/// An `info` word: kflag in bit 31, kind in bits 24–30, vlen in bits 0–23.
/// Values are masked to their fields; use a raw `u32` for anything else.
pub fn info(kind: u8, vlen: u32, kflag: bool) -> u32 {
    u32::from(kflag) << 31 | (u32::from(kind) & 0x7f) << 24 | (vlen & 0x00ff_ffff)
}

/// The `(info_sz, elem_sz)` layout entry of each known kind, indexed by kind
/// number (0..=19), as FORMAT.md §4 lists them.
pub const STANDARD_LAYOUT: [(u8, u8); 20] = [
    (0, 0),  // UNKN
    (4, 0),  // INT
    (0, 0),  // PTR
    (12, 0), // ARRAY
    (0, 12), // STRUCT
    (0, 12), // UNION
    (0, 8),  // ENUM
    (0, 0),  // FWD
    (0, 0),  // TYPEDEF
    (0, 0),  // VOLATILE
    (0, 0),  // CONST
    (0, 0),  // RESTRICT
    (0, 0),  // FUNC
    (0, 8),  // FUNC_PROTO
    (4, 0),  // VAR
    (0, 12), // DATASEC
    (0, 0),  // FLOAT
    (4, 0),  // DECL_TAG
    (0, 0),  // TYPE_TAG
    (0, 12), // ENUM64
];

/// A piece of a section: a word encoded in the assembler's byte order at
/// build time, or raw bytes.
#[derive(Clone, Debug)]
enum Piece {
    Word(u32),
    Bytes(Vec<u8>),
}

fn encode(pieces: &[Piece], order: Order) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Word(w) => out.extend_from_slice(&order.u32(*w)),
            Piece::Bytes(b) => out.extend_from_slice(b),
        }
    }
    out
}

fn pieces_len(pieces: &[Piece]) -> usize {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Word(_) => 4,
            Piece::Bytes(b) => b.len(),
        })
        .sum()
}

/// Assembles a BTF blob: header, type section, optional layout section,
/// string section, in that order (the order every producer uses).
///
/// Header fields default to the values that describe that layout; each can
/// be overridden with a raw value. Type helpers take names as `&str` (added
/// to the string section; `""` is anonymous) and return the new type's id.
#[derive(Clone, Debug)]
pub struct BtfAsm {
    order: Order,
    magic: u16,
    version: u8,
    flags: u8,
    hdr_len: Option<u32>,
    type_off: Option<u32>,
    type_len: Option<u32>,
    str_off: Option<u32>,
    str_len: Option<u32>,
    layout_off: Option<u32>,
    layout_len: Option<u32>,
    layout_fields: bool,
    header_extra: Vec<u8>,
    types: Vec<Piece>,
    types_len: usize,
    record_starts: Vec<usize>,
    layout: Option<Vec<u8>>,
    strings: Vec<u8>,
    str_base: u32,
    first_id: u32,
    trailing: Vec<u8>,
}

impl BtfAsm {
    /// An empty base BTF: no types, a string section holding only `""`.
    pub fn new(order: Order) -> BtfAsm {
        BtfAsm {
            order,
            magic: MAGIC,
            version: 1,
            flags: 0,
            hdr_len: None,
            type_off: None,
            type_len: None,
            str_off: None,
            str_len: None,
            layout_off: None,
            layout_len: None,
            layout_fields: false,
            header_extra: Vec::new(),
            types: Vec::new(),
            types_len: 0,
            record_starts: Vec::new(),
            layout: None,
            strings: vec![0],
            str_base: 0,
            first_id: 1,
            trailing: Vec::new(),
        }
    }

    /// An empty split BTF whose ids start at `base_type_count` (the base's
    /// last id + 1) and whose string offsets start at `base_str_len`. Its own
    /// string section starts empty (no leading NUL).
    pub fn split(order: Order, base_type_count: u32, base_str_len: u32) -> BtfAsm {
        BtfAsm {
            strings: Vec::new(),
            str_base: base_str_len,
            first_id: base_type_count,
            ..BtfAsm::new(order)
        }
    }

    /// The byte order.
    pub fn order(&self) -> Order {
        self.order
    }

    // ---- header -------------------------------------------------------

    /// Sets the magic (written in the assembler's byte order).
    pub fn magic(&mut self, v: u16) -> &mut Self {
        self.magic = v;
        self
    }

    /// Sets the version byte.
    pub fn version(&mut self, v: u8) -> &mut Self {
        self.version = v;
        self
    }

    /// Sets the flags byte.
    pub fn flags(&mut self, v: u8) -> &mut Self {
        self.flags = v;
        self
    }

    /// Overrides the `hdr_len` field (the bytes written do not change).
    pub fn hdr_len(&mut self, v: u32) -> &mut Self {
        self.hdr_len = Some(v);
        self
    }

    /// Overrides the `type_off` field.
    pub fn type_off(&mut self, v: u32) -> &mut Self {
        self.type_off = Some(v);
        self
    }

    /// Overrides the `type_len` field.
    pub fn type_len(&mut self, v: u32) -> &mut Self {
        self.type_len = Some(v);
        self
    }

    /// Overrides the `str_off` field.
    pub fn str_off(&mut self, v: u32) -> &mut Self {
        self.str_off = Some(v);
        self
    }

    /// Overrides the `str_len` field.
    pub fn str_len(&mut self, v: u32) -> &mut Self {
        self.str_len = Some(v);
        self
    }

    /// Overrides the `layout_off` field (implies a 32-byte header).
    pub fn layout_off(&mut self, v: u32) -> &mut Self {
        self.layout_fields = true;
        self.layout_off = Some(v);
        self
    }

    /// Overrides the `layout_len` field (implies a 32-byte header).
    pub fn layout_len(&mut self, v: u32) -> &mut Self {
        self.layout_fields = true;
        self.layout_len = Some(v);
        self
    }

    /// Writes the 32-byte header even without a layout section (its layout
    /// fields are then zero).
    pub fn header32(&mut self) -> &mut Self {
        self.layout_fields = true;
        self
    }

    /// Appends bytes to the header after its standard fields; `hdr_len`
    /// grows to cover them unless overridden.
    pub fn header_extra(&mut self, bytes: &[u8]) -> &mut Self {
        self.header_extra.extend_from_slice(bytes);
        self
    }

    /// Appends bytes after the string section (not covered by any section).
    pub fn trailing(&mut self, bytes: &[u8]) -> &mut Self {
        self.trailing.extend_from_slice(bytes);
        self
    }

    // ---- layout section --------------------------------------------------

    /// Adds a layout section with one `(info_sz, elem_sz, flags)` entry per
    /// kind number, starting at kind 0.
    pub fn layout(&mut self, entries: &[(u8, u8, u16)]) -> &mut Self {
        let mut bytes = Vec::with_capacity(entries.len() * 4);
        for &(info_sz, elem_sz, flags) in entries {
            bytes.push(info_sz);
            bytes.push(elem_sz);
            bytes.extend_from_slice(&self.order.u16(flags));
        }
        self.layout = Some(bytes);
        self
    }

    /// Adds a layout section describing kinds 0..=19 as FORMAT.md does, plus
    /// the given extra `(kind, info_sz, elem_sz)` entries (gaps filled with
    /// zeros).
    pub fn layout_standard(&mut self, extra: &[(u8, u8, u8)]) -> &mut Self {
        let mut entries: Vec<(u8, u8, u16)> =
            STANDARD_LAYOUT.iter().map(|&(i, e)| (i, e, 0)).collect();
        for &(k, i, e) in extra {
            let k = usize::from(k);
            if entries.len() <= k {
                entries.resize(k + 1, (0, 0, 0));
            }
            entries[k] = (i, e, 0);
        }
        self.layout(&entries)
    }

    /// Adds a layout section of raw bytes.
    pub fn layout_raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.layout = Some(bytes.to_vec());
        self
    }

    // ---- strings -----------------------------------------------------------

    /// Appends a string (no deduplication) and returns its logical offset;
    /// `""` returns 0 without adding anything.
    pub fn str(&mut self, s: &str) -> u32 {
        self.str_bytes(s.as_bytes())
    }

    /// Like [`str`](Self::str) for arbitrary bytes (a NUL inside `s` is kept).
    pub fn str_bytes(&mut self, s: &[u8]) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let off = self.str_base + self.strings.len() as u32;
        self.strings.extend_from_slice(s);
        self.strings.push(0);
        off
    }

    /// Replaces the whole string section with raw bytes.
    pub fn strings_raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.strings = bytes.to_vec();
        self
    }

    /// The logical length of the strings so far (base included for split).
    pub fn str_len_total(&self) -> u32 {
        self.str_base + self.strings.len() as u32
    }

    // ---- raw type section ------------------------------------------------

    /// The id the next record gets.
    pub fn next_id(&self) -> u32 {
        self.first_id + self.record_starts.len() as u32
    }

    /// Number of records started so far.
    pub fn type_count(&self) -> u32 {
        self.next_id()
    }

    /// Starts a record with a raw 12-byte prefix and returns its id. Any
    /// trailing data must follow with [`word`](Self::word) or
    /// [`bytes`](Self::bytes).
    pub fn record(&mut self, name_off: u32, info: u32, size_or_type: u32) -> u32 {
        let id = self.next_id();
        self.record_starts.push(self.types_len);
        self.word(name_off).word(info).word(size_or_type);
        id
    }

    /// Appends one word to the type section.
    pub fn word(&mut self, v: u32) -> &mut Self {
        self.types.push(Piece::Word(v));
        self.types_len += 4;
        self
    }

    /// Appends raw bytes to the type section.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.types.push(Piece::Bytes(b.to_vec()));
        self.types_len += b.len();
        self
    }

    /// Current size of the type section.
    pub fn types_len(&self) -> usize {
        self.types_len
    }

    fn simple(&mut self, kind: u8, name: &str, kflag: bool, size_or_type: u32) -> u32 {
        let n = self.str(name);
        self.record(n, info(kind, 0, kflag), size_or_type)
    }

    // ---- typed records ---------------------------------------------------

    /// INT of `size` bytes with `encoding` (1 signed, 2 char, 4 bool) and
    /// `bits` value bits.
    pub fn int(&mut self, name: &str, size: u32, encoding: u8, bits: u8) -> u32 {
        self.int_raw(name, size, u32::from(encoding) << 24 | u32::from(bits))
    }

    /// INT with a raw trailing word.
    pub fn int_raw(&mut self, name: &str, size: u32, raw: u32) -> u32 {
        let id = self.simple(kind::INT, name, false, size);
        self.word(raw);
        id
    }

    /// PTR to `to`.
    pub fn ptr(&mut self, to: u32) -> u32 {
        self.simple(kind::PTR, "", false, to)
    }

    /// ARRAY of `nelems` `elem`s indexed by `index`.
    pub fn array(&mut self, elem: u32, index: u32, nelems: u32) -> u32 {
        let id = self.simple(kind::ARRAY, "", false, 0);
        self.word(elem).word(index).word(nelems);
        id
    }

    fn composite(
        &mut self,
        k: u8,
        name: &str,
        size: u32,
        kflag: bool,
        members: &[(&str, u32, u32)],
    ) -> u32 {
        let n = self.str(name);
        let names: Vec<u32> = members.iter().map(|m| self.str(m.0)).collect();
        let id = self.record(n, info(k, members.len() as u32, kflag), size);
        for (m, name) in members.iter().zip(names) {
            self.word(name).word(m.1).word(m.2);
        }
        id
    }

    /// STRUCT with `(name, type, raw offset word)` members.
    pub fn struct_(
        &mut self,
        name: &str,
        size: u32,
        kflag: bool,
        members: &[(&str, u32, u32)],
    ) -> u32 {
        self.composite(kind::STRUCT, name, size, kflag, members)
    }

    /// UNION with `(name, type, raw offset word)` members.
    pub fn union_(
        &mut self,
        name: &str,
        size: u32,
        kflag: bool,
        members: &[(&str, u32, u32)],
    ) -> u32 {
        self.composite(kind::UNION, name, size, kflag, members)
    }

    /// ENUM with `(name, stored 32 bits)` values; `signed` is the kflag.
    pub fn enum_(&mut self, name: &str, size: u32, signed: bool, values: &[(&str, u32)]) -> u32 {
        let n = self.str(name);
        let names: Vec<u32> = values.iter().map(|v| self.str(v.0)).collect();
        let id = self.record(n, info(kind::ENUM, values.len() as u32, signed), size);
        for (v, name) in values.iter().zip(names) {
            self.word(name).word(v.1);
        }
        id
    }

    /// ENUM64 with `(name, value)` values; `signed` is the kflag.
    pub fn enum64(&mut self, name: &str, size: u32, signed: bool, values: &[(&str, u64)]) -> u32 {
        let n = self.str(name);
        let names: Vec<u32> = values.iter().map(|v| self.str(v.0)).collect();
        let id = self.record(n, info(kind::ENUM64, values.len() as u32, signed), size);
        for (v, name) in values.iter().zip(names) {
            self.word(name).word(v.1 as u32).word((v.1 >> 32) as u32);
        }
        id
    }

    /// FWD of a struct, or of a union if `union`.
    pub fn fwd(&mut self, name: &str, union: bool) -> u32 {
        self.simple(kind::FWD, name, union, 0)
    }

    /// TYPEDEF of `to`.
    pub fn typedef(&mut self, name: &str, to: u32) -> u32 {
        self.simple(kind::TYPEDEF, name, false, to)
    }

    /// VOLATILE of `to`.
    pub fn volatile(&mut self, to: u32) -> u32 {
        self.simple(kind::VOLATILE, "", false, to)
    }

    /// CONST of `to`.
    pub fn const_(&mut self, to: u32) -> u32 {
        self.simple(kind::CONST, "", false, to)
    }

    /// RESTRICT of `to`.
    pub fn restrict(&mut self, to: u32) -> u32 {
        self.simple(kind::RESTRICT, "", false, to)
    }

    /// FUNC of the FUNC_PROTO `proto` with a raw linkage (stored in vlen).
    pub fn func(&mut self, name: &str, proto: u32, linkage: u32) -> u32 {
        let n = self.str(name);
        self.record(n, info(kind::FUNC, linkage, false), proto)
    }

    /// FUNC_PROTO returning `ret` with `(name, type)` parameters.
    pub fn func_proto(&mut self, ret: u32, params: &[(&str, u32)]) -> u32 {
        let names: Vec<u32> = params.iter().map(|p| self.str(p.0)).collect();
        let id = self.record(0, info(kind::FUNC_PROTO, params.len() as u32, false), ret);
        for (p, name) in params.iter().zip(names) {
            self.word(name).word(p.1);
        }
        id
    }

    /// VAR of type `ty` with a raw linkage.
    pub fn var(&mut self, name: &str, ty: u32, linkage: u32) -> u32 {
        let id = self.simple(kind::VAR, name, false, ty);
        self.word(linkage);
        id
    }

    /// DATASEC of `size` bytes with `(type, offset, size)` entries.
    pub fn datasec(&mut self, name: &str, size: u32, vars: &[(u32, u32, u32)]) -> u32 {
        let n = self.str(name);
        let id = self.record(n, info(kind::DATASEC, vars.len() as u32, false), size);
        for v in vars {
            self.word(v.0).word(v.1).word(v.2);
        }
        id
    }

    /// FLOAT of `size` bytes.
    pub fn float(&mut self, name: &str, size: u32) -> u32 {
        self.simple(kind::FLOAT, name, false, size)
    }

    /// DECL_TAG on `ty` (`component_idx` −1 for the declaration itself).
    pub fn decl_tag(&mut self, name: &str, ty: u32, component_idx: i32, kflag: bool) -> u32 {
        let id = self.simple(kind::DECL_TAG, name, kflag, ty);
        self.word(component_idx as u32);
        id
    }

    /// TYPE_TAG on `to`.
    pub fn type_tag(&mut self, name: &str, to: u32, kflag: bool) -> u32 {
        self.simple(kind::TYPE_TAG, name, kflag, to)
    }

    // ---- output ------------------------------------------------------------

    fn header_bytes_len(&self) -> usize {
        let fixed = if self.layout_fields || self.layout.is_some() {
            32
        } else {
            24
        };
        fixed + self.header_extra.len()
    }

    /// The `hdr_len` value that will be written.
    pub fn hdr_len_value(&self) -> u32 {
        self.hdr_len.unwrap_or(self.header_bytes_len() as u32)
    }

    /// Absolute offset at which the header says the type section starts.
    pub fn types_start(&self) -> usize {
        self.hdr_len_value() as usize + self.type_off.unwrap_or(0) as usize
    }

    /// Absolute offset of the record of type `id` in the built blob, as the
    /// header locates it (so it follows `hdr_len`/`type_off` overrides).
    pub fn type_offset(&self, id: u32) -> usize {
        let idx = (id - self.first_id) as usize;
        self.types_start() + self.record_starts[idx]
    }

    /// Absolute offset of the string section as written (not as overridden).
    pub fn strings_start(&self) -> usize {
        self.header_bytes_len() + self.types_len() + self.layout.as_ref().map_or(0, |l| l.len())
    }

    /// Encodes the blob.
    pub fn build(&self) -> Vec<u8> {
        let o = self.order;
        let types = encode(&self.types, o);
        let layout = self.layout.as_deref().unwrap_or(&[]);
        let type_len = types.len() as u32;
        let layout_len = layout.len() as u32;
        let mut out = Vec::new();
        out.extend_from_slice(&o.u16(self.magic));
        out.push(self.version);
        out.push(self.flags);
        out.extend_from_slice(&o.u32(self.hdr_len_value()));
        out.extend_from_slice(&o.u32(self.type_off.unwrap_or(0)));
        out.extend_from_slice(&o.u32(self.type_len.unwrap_or(type_len)));
        out.extend_from_slice(&o.u32(self.str_off.unwrap_or(type_len + layout_len)));
        out.extend_from_slice(&o.u32(self.str_len.unwrap_or(self.strings.len() as u32)));
        if self.layout_fields || self.layout.is_some() {
            let off = if self.layout.is_some() { type_len } else { 0 };
            out.extend_from_slice(&o.u32(self.layout_off.unwrap_or(off)));
            out.extend_from_slice(&o.u32(self.layout_len.unwrap_or(layout_len)));
        }
        out.extend_from_slice(&self.header_extra);
        out.extend_from_slice(&types);
        out.extend_from_slice(layout);
        out.extend_from_slice(&self.strings);
        out.extend_from_slice(&self.trailing);
        out
    }
}

/// One .BTF.ext subsection: a record size and blocks of records.
#[derive(Clone, Debug, Default)]
pub struct ExtSub {
    pieces: Vec<Piece>,
}

impl ExtSub {
    /// A subsection whose first word (the record size) is `rec_size`.
    pub fn new(rec_size: u32) -> ExtSub {
        ExtSub {
            pieces: vec![Piece::Word(rec_size)],
        }
    }

    /// A subsection with no bytes at all (not even a record size).
    pub fn empty() -> ExtSub {
        ExtSub::default()
    }

    /// Appends a block for ELF section `sec_name` (a .BTF string offset)
    /// whose `num_info` is the number of records given; each record is given
    /// as words.
    pub fn block(mut self, sec_name: u32, records: &[&[u32]]) -> ExtSub {
        self.pieces.push(Piece::Word(sec_name));
        self.pieces.push(Piece::Word(records.len() as u32));
        for r in records {
            self.pieces.extend(r.iter().map(|&w| Piece::Word(w)));
        }
        self
    }

    /// Appends a block header with a raw `num_info` followed by `words`,
    /// whatever their number.
    pub fn block_raw(mut self, sec_name: u32, num_info: u32, words: &[u32]) -> ExtSub {
        self.pieces.push(Piece::Word(sec_name));
        self.pieces.push(Piece::Word(num_info));
        self.pieces.extend(words.iter().map(|&w| Piece::Word(w)));
        self
    }

    /// Appends one word.
    pub fn word(mut self, w: u32) -> ExtSub {
        self.pieces.push(Piece::Word(w));
        self
    }

    /// Appends raw bytes.
    pub fn bytes(mut self, b: &[u8]) -> ExtSub {
        self.pieces.push(Piece::Bytes(b.to_vec()));
        self
    }

    /// Encoded size.
    pub fn len(&self) -> usize {
        pieces_len(&self.pieces)
    }

    /// Whether the subsection has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which .BTF.ext subsection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtKind {
    /// func_info (header fields at 8 and 12).
    FuncInfo = 0,
    /// line_info (header fields at 16 and 20).
    LineInfo = 1,
    /// core_relo (header fields at 24 and 28).
    CoreRelo = 2,
}

/// Assembles a .BTF.ext section: header (32 bytes by default, 24 with
/// [`hdr24`](Self::hdr24)), then func_info, line_info and core_relo back to
/// back. Every header field can be overridden.
#[derive(Clone, Debug)]
pub struct ExtAsm {
    order: Order,
    magic: u16,
    version: u8,
    flags: u8,
    hdr_len: Option<u32>,
    hdr24: bool,
    fields: [Option<u32>; 6],
    subs: [ExtSub; 3],
    trailing: Vec<u8>,
}

impl ExtAsm {
    /// An empty .BTF.ext with a 32-byte header.
    pub fn new(order: Order) -> ExtAsm {
        ExtAsm {
            order,
            magic: MAGIC,
            version: 1,
            flags: 0,
            hdr_len: None,
            hdr24: false,
            fields: [None; 6],
            subs: Default::default(),
            trailing: Vec::new(),
        }
    }

    /// Sets the magic.
    pub fn magic(&mut self, v: u16) -> &mut Self {
        self.magic = v;
        self
    }

    /// Sets the version byte.
    pub fn version(&mut self, v: u8) -> &mut Self {
        self.version = v;
        self
    }

    /// Sets the flags byte.
    pub fn flags(&mut self, v: u8) -> &mut Self {
        self.flags = v;
        self
    }

    /// Writes the 24-byte header (no core_relo fields).
    pub fn hdr24(&mut self) -> &mut Self {
        self.hdr24 = true;
        self
    }

    /// Overrides the `hdr_len` field (the bytes written do not change).
    pub fn hdr_len(&mut self, v: u32) -> &mut Self {
        self.hdr_len = Some(v);
        self
    }

    /// Sets a subsection's contents.
    pub fn sub(&mut self, which: ExtKind, sub: ExtSub) -> &mut Self {
        self.subs[which as usize] = sub;
        self
    }

    /// Overrides a subsection's offset field.
    pub fn sub_off(&mut self, which: ExtKind, v: u32) -> &mut Self {
        self.fields[which as usize * 2] = Some(v);
        self
    }

    /// Overrides a subsection's length field.
    pub fn sub_len(&mut self, which: ExtKind, v: u32) -> &mut Self {
        self.fields[which as usize * 2 + 1] = Some(v);
        self
    }

    /// Appends bytes after the last subsection.
    pub fn trailing(&mut self, b: &[u8]) -> &mut Self {
        self.trailing.extend_from_slice(b);
        self
    }

    fn header_bytes_len(&self) -> usize {
        if self.hdr24 {
            24
        } else {
            32
        }
    }

    /// The subsection's offset relative to the end of the header, as
    /// written (before overrides).
    fn natural_off(&self, which: ExtKind) -> u32 {
        self.subs[..which as usize]
            .iter()
            .map(|s| s.len() as u32)
            .sum()
    }

    /// Absolute offset of a subsection as the header locates it.
    pub fn sub_start(&self, which: ExtKind) -> usize {
        let h = self.hdr_len.unwrap_or(self.header_bytes_len() as u32) as usize;
        h + self.fields[which as usize * 2].unwrap_or(self.natural_off(which)) as usize
    }

    /// Encodes the section.
    pub fn build(&self) -> Vec<u8> {
        let o = self.order;
        let mut out = Vec::new();
        out.extend_from_slice(&o.u16(self.magic));
        out.push(self.version);
        out.push(self.flags);
        let h = self.header_bytes_len();
        out.extend_from_slice(&o.u32(self.hdr_len.unwrap_or(h as u32)));
        let n = if self.hdr24 { 2 } else { 3 };
        for (i, which) in [ExtKind::FuncInfo, ExtKind::LineInfo, ExtKind::CoreRelo][..n]
            .iter()
            .enumerate()
        {
            let off = self.fields[i * 2].unwrap_or(self.natural_off(*which));
            let len = self.fields[i * 2 + 1].unwrap_or(self.subs[i].len() as u32);
            out.extend_from_slice(&o.u32(off));
            out.extend_from_slice(&o.u32(len));
        }
        for s in &self.subs[..n] {
            out.extend_from_slice(&encode(&s.pieces, o));
        }
        out.extend_from_slice(&self.trailing);
        out
    }
}

/// `SHF_COMPRESSED`.
pub const SHF_COMPRESSED: u64 = 0x800;
/// `ELFCOMPRESS_ZLIB`.
pub const ELFCOMPRESS_ZLIB: u32 = 1;
/// `ELFCOMPRESS_ZSTD`.
pub const ELFCOMPRESS_ZSTD: u32 = 2;
/// `EM_BPF`.
pub const EM_BPF: u16 = 247;

#[derive(Clone, Debug)]
struct ElfSection {
    name: String,
    sh_type: u32,
    flags: u64,
    data: Vec<u8>,
}

/// Assembles a minimal 64-bit relocatable ELF file: an ELF header, the
/// sections' contents, a `.shstrtab` and the section header table.
#[derive(Clone, Debug)]
pub struct ElfAsm {
    order: Order,
    machine: u16,
    sections: Vec<ElfSection>,
}

impl ElfAsm {
    /// An ELF file for `EM_BPF` with no sections yet.
    pub fn new(order: Order) -> ElfAsm {
        ElfAsm {
            order,
            machine: EM_BPF,
            sections: Vec::new(),
        }
    }

    /// Sets `e_machine`.
    pub fn machine(&mut self, m: u16) -> &mut Self {
        self.machine = m;
        self
    }

    /// Adds a `SHT_PROGBITS` section.
    pub fn section(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.section_with(name, 1, 0, data)
    }

    /// Adds a section with a raw type and flags.
    pub fn section_with(&mut self, name: &str, sh_type: u32, flags: u64, data: &[u8]) -> &mut Self {
        self.sections.push(ElfSection {
            name: name.to_string(),
            sh_type,
            flags,
            data: data.to_vec(),
        });
        self
    }

    /// Adds an `SHF_COMPRESSED` section: an `Elf64_Chdr` claiming
    /// `ch_type` and `ch_size`, followed by `payload` as is.
    pub fn compressed_section(
        &mut self,
        name: &str,
        ch_type: u32,
        ch_size: u64,
        payload: &[u8],
    ) -> &mut Self {
        let o = self.order;
        let mut data = Vec::new();
        data.extend_from_slice(&o.u32(ch_type));
        data.extend_from_slice(&o.u32(0));
        data.extend_from_slice(&o.u64(ch_size));
        data.extend_from_slice(&o.u64(1));
        data.extend_from_slice(payload);
        self.section_with(name, 1, SHF_COMPRESSED, &data)
    }

    /// Encodes the file.
    pub fn build(&self) -> Vec<u8> {
        let o = self.order;
        let align8 = |v: &mut Vec<u8>| v.resize(v.len().next_multiple_of(8), 0);
        // .shstrtab contents: "", each name, ".shstrtab".
        let mut shstr = vec![0u8];
        let mut name_offs = Vec::new();
        for s in &self.sections {
            name_offs.push(shstr.len() as u32);
            shstr.extend_from_slice(s.name.as_bytes());
            shstr.push(0);
        }
        let shstr_name = shstr.len() as u32;
        shstr.extend_from_slice(b".shstrtab\0");

        let mut out = vec![0u8; 64];
        let mut offsets = Vec::new();
        for s in &self.sections {
            align8(&mut out);
            offsets.push(out.len() as u64);
            out.extend_from_slice(&s.data);
        }
        let shstr_off = out.len() as u64;
        out.extend_from_slice(&shstr);
        align8(&mut out);
        let shoff = out.len() as u64;
        let shnum = self.sections.len() as u16 + 2;

        let shdr = |out: &mut Vec<u8>, name: u32, ty: u32, flags: u64, off: u64, size: u64| {
            out.extend_from_slice(&o.u32(name));
            out.extend_from_slice(&o.u32(ty));
            out.extend_from_slice(&o.u64(flags));
            out.extend_from_slice(&o.u64(0)); // addr
            out.extend_from_slice(&o.u64(off));
            out.extend_from_slice(&o.u64(size));
            out.extend_from_slice(&o.u32(0)); // link
            out.extend_from_slice(&o.u32(0)); // info
            out.extend_from_slice(&o.u64(if flags & SHF_COMPRESSED != 0 { 8 } else { 1 }));
            out.extend_from_slice(&o.u64(0)); // entsize
        };
        shdr(&mut out, 0, 0, 0, 0, 0);
        for (i, s) in self.sections.iter().enumerate() {
            shdr(
                &mut out,
                name_offs[i],
                s.sh_type,
                s.flags,
                offsets[i],
                s.data.len() as u64,
            );
        }
        shdr(&mut out, shstr_name, 3, 0, shstr_off, shstr.len() as u64);

        // ELF header.
        let mut h = Vec::with_capacity(64);
        h.extend_from_slice(b"\x7fELF");
        h.push(2); // ELFCLASS64
        h.push(if o.is_big() { 2 } else { 1 });
        h.push(1); // EV_CURRENT
        h.extend_from_slice(&[0; 9]);
        h.extend_from_slice(&o.u16(1)); // ET_REL
        h.extend_from_slice(&o.u16(self.machine));
        h.extend_from_slice(&o.u32(1));
        h.extend_from_slice(&o.u64(0)); // entry
        h.extend_from_slice(&o.u64(0)); // phoff
        h.extend_from_slice(&o.u64(shoff));
        h.extend_from_slice(&o.u32(0)); // flags
        h.extend_from_slice(&o.u16(64)); // ehsize
        h.extend_from_slice(&o.u16(0)); // phentsize
        h.extend_from_slice(&o.u16(0)); // phnum
        h.extend_from_slice(&o.u16(64)); // shentsize
        h.extend_from_slice(&o.u16(shnum));
        h.extend_from_slice(&o.u16(shnum - 1)); // shstrndx
        out[..64].copy_from_slice(&h);
        out
    }
}

/// Wraps `data` in a valid zlib stream made of stored (uncompressed)
/// deflate blocks, for building well-formed compressed ELF sections without
/// a compressor.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(c) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = c.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&(b << 16 | a).to_be_bytes());
    out
}

/// A zstd frame of `blocks` RLE blocks, each expanding one byte to
/// `block_len` (at most 128 KiB) bytes: a few bytes that decompress to
/// `blocks × block_len`, for decompression-bomb tests.
pub fn zstd_rle_frame(blocks: u32, block_len: u32, byte: u8) -> Vec<u8> {
    assert!(block_len <= 128 * 1024 && blocks > 0);
    let mut out = 0xFD2F_B528u32.to_le_bytes().to_vec();
    out.push(0x00); // frame header descriptor: no content size, no checksum
    out.push(7 << 3); // window descriptor: 2^(10 + 7) = 128 KiB
    for i in 0..blocks {
        let last = u32::from(i + 1 == blocks);
        let header = last | 1 << 1 | block_len << 3; // RLE block
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.push(byte);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_defaults() {
        let mut a = BtfAsm::new(Order::Little);
        let int = a.int("int", 4, 1, 32);
        assert_eq!(int, 1);
        assert_eq!(a.ptr(int), 2);
        let b = a.build();
        assert_eq!(&b[..8], &[0x9f, 0xeb, 1, 0, 24, 0, 0, 0]);
        // type_len = 16 + 12, str_off = type_len, str_len = "\0int\0".
        assert_eq!(&b[12..16], &28u32.to_le_bytes());
        assert_eq!(&b[16..20], &28u32.to_le_bytes());
        assert_eq!(&b[20..24], &5u32.to_le_bytes());
        assert_eq!(b.len(), 24 + 28 + 5);
        assert_eq!(a.type_offset(2), 24 + 16);
    }

    #[test]
    fn big_endian_and_layout() {
        let mut a = BtfAsm::new(Order::Big);
        a.layout_standard(&[(20, 4, 8)]);
        a.record(0, info(20, 1, false), 0);
        a.word(7).word(8).word(9);
        let b = a.build();
        assert_eq!(&b[..8], &[0xeb, 0x9f, 1, 0, 0, 0, 0, 32]);
        assert_eq!(&b[28..32], &(21u32 * 4).to_be_bytes());
    }

    #[test]
    fn ext_layout() {
        let mut e = ExtAsm::new(Order::Little);
        e.sub(ExtKind::FuncInfo, ExtSub::new(8).block(1, &[&[0, 2]]));
        e.sub(
            ExtKind::LineInfo,
            ExtSub::new(16).block(1, &[&[0, 1, 1, 1 << 10]]),
        );
        let b = e.build();
        assert_eq!(b.len(), 32 + 20 + 28);
        assert_eq!(e.sub_start(ExtKind::LineInfo), 52);
    }

    #[test]
    fn zlib_adler() {
        // Adler-32 of "Wikipedia" is 0x11E60398.
        let z = zlib_stored(b"Wikipedia");
        assert_eq!(&z[z.len() - 4..], &[0x11, 0xe6, 0x03, 0x98]);
    }
}
