//! `--format json`: one JSON document whose per-type objects have the shape
//! of `bpftool -j btf dump`, so jq scripts written for bpftool keep working.
//! The README carries the same schema.
//!
//! # Schema (`btfkit-dump`, version 1)
//!
//! ```text
//! btfkit dump FILE --format json [--pretty] [-B BASE] [--type NAME] [--kind KIND] [--id N] [--closure]
//! ```
//!
//! One JSON document on stdout, followed by a newline:
//!
//! ```json
//! {"schema":"btfkit-dump","version":1,"types":[{"id":1,"kind":"INT","name":"int","size":4,"bits_offset":0,"nr_bits":32,"encoding":"SIGNED"}]}
//! ```
//!
//! | key | type | meaning |
//! |---|---|---|
//! | `schema` | string | always `"btfkit-dump"` |
//! | `version` | integer | `1`. The schema only grows: keys may be added, never renamed or removed |
//! | `types` | array | one object per selected type, by ascending id. For split BTF: only the split's own types (as bpftool does), unless a filter picks base types |
//!
//! ## Type objects
//!
//! Each type object has the keys bpftool's `-j` output has, in the same order:
//! first `id`, `kind`, `name`, then the keys for its kind. Keys that bpftool
//! lacks (marked **+**) always come after bpftool's keys.
//!
//! | kind | keys after `id`, `kind`, `name` |
//! |---|---|
//! | `INT` | `size`, `bits_offset`, `nr_bits`, `encoding` |
//! | `PTR`, `CONST`, `VOLATILE`, `RESTRICT`, `TYPEDEF` | `type_id` |
//! | `TYPE_TAG` | `type_id`, **+**`kflag` |
//! | `ARRAY` | `type_id`, `index_type_id`, `nr_elems` |
//! | `STRUCT`, `UNION` | `size`, `vlen`, `members`, **+**`kflag` |
//! | `ENUM`, `ENUM64` | `encoding`, `size`, `vlen`, `values`, **+**`kflag` |
//! | `FWD` | `fwd_kind`, **+**`kflag` |
//! | `FUNC`, `VAR` | `type_id`, `linkage` |
//! | `FUNC_PROTO` | `ret_type_id`, `vlen`, `params` |
//! | `DATASEC` | `size`, `vlen`, `vars` |
//! | `FLOAT` | `size` |
//! | `DECL_TAG` | `type_id`, `component_idx`, **+**`kflag` |
//! | `UNKNOWN` | **+**`kind_num`, **+**`vlen`, **+**`kflag` |
//!
//! | key | type | meaning |
//! |---|---|---|
//! | `id` | integer | type id; split BTF continues the base's ids |
//! | `kind` | string | one of the kinds above; `UNKNOWN` for a kind number btfkit does not know (sized by the 2026 layout section) |
//! | `name` | string | the name, or `"(anon)"` if anonymous (never `null`) |
//! | `size` | integer | size in bytes (DATASEC: the section size, 0 in `.o` files) |
//! | `bits_offset` | integer | INT: the bit offset in the INT's trailing word (legacy bitfields, normally 0) |
//! | `nr_bits` | integer | INT: number of value bits |
//! | `encoding` | string | INT: `"(none)"`, `"SIGNED"`, `"CHAR"`, `"BOOL"`, or `"UNKN"` for other bit combinations. ENUM/ENUM64: `"SIGNED"` if kflag is set, else `"UNSIGNED"` |
//! | `type_id` | integer | the referenced type (0 = void). ARRAY: element type. FUNC: its FUNC_PROTO. DECL_TAG: the tagged type |
//! | `index_type_id` | integer | ARRAY: index type |
//! | `nr_elems` | integer | ARRAY: number of elements (0 = flexible) |
//! | `vlen` | integer | number of entries in `members` / `values` / `params` / `vars` |
//! | `fwd_kind` | string | `"struct"` or `"union"` |
//! | `linkage` | string | `"static"`, `"global"`, `"extern"`, or `"(unknown)"` |
//! | `ret_type_id` | integer | FUNC_PROTO: return type (0 = void) |
//! | `component_idx` | integer, signed | DECL_TAG: −1 = the declaration itself, else a member or parameter index |
//! | **+**`kflag` | boolean | the record's kind flag. Always present for STRUCT, UNION (member offsets hold bitfield sizes), ENUM, ENUM64 (signed), FWD (union), DECL_TAG, TYPE_TAG (`true`: the name is an `__attribute__((…))` body like `address_space(1)`, not a `btf_decl_tag`/`btf_type_tag` string; bpftool drops this) and UNKNOWN. Other kinds have no use for the flag and the kernel rejects it, so there the key shows up (as `true`) only when the bit is set anyway |
//! | **+**`kind_num` | integer | UNKNOWN: the raw kind number |
//!
//! ## Entries
//!
//! | array | each entry's keys |
//! |---|---|
//! | `members` | `name` string (`"(anon)"` for anonymous members), `type_id` integer, `bits_offset` integer (bit offset, without the bitfield size bits), then `bitfield_size` integer only when the type's kflag is set and the member is a bitfield (size ≠ 0) |
//! | `values` | `name` string, `val` integer (see below) |
//! | `params` | `name` string, `type_id` integer. Varargs is a last entry `{"name":"(anon)","type_id":0}` |
//! | `vars` | `type_id` integer, `offset` integer, `size` integer, then **+**`kind` string and **+**`name` string: the kind and name of the referenced type (a VAR, or a FUNC in `.ksyms`), like the `(VAR 'name')` suffix in bpftool's text output. These two are left out when `type_id` is 0 |
//!
//! ## Numbers
//!
//! All numbers are JSON integers, unsigned unless marked signed. Enum `val` is the
//! value the BTF means:
//!
//! | kind | kflag | `val` range |
//! |---|---|---|
//! | `ENUM` | 0 (unsigned) | 0 … 4294967295 |
//! | `ENUM` | 1 (signed) | −2147483648 … 2147483647 |
//! | `ENUM64` | 0 (unsigned) | 0 … 18446744073709551615 |
//! | `ENUM64` | 1 (signed) | −9223372036854775808 … 9223372036854775807 |
//!
//! ## Names
//!
//! In BTF, names are bytes with no guaranteed encoding. btfkit converts them to
//! UTF-8 lossily: each invalid UTF-8 sequence becomes U+FFFD (as Rust's
//! `String::from_utf8_lossy` does), so two different byte strings can print the
//! same. Escaping follows JSON: `"` and `\` get a backslash; control characters
//! become `\b`, `\f`, `\n`, `\r`, `\t` or `\u00XX`; everything else is copied
//! as is.
//!
//! ## Differences from bpftool (7.1 to 7.8)
//!
//! - **The enum fix.** bpftool sign-extends an unsigned `ENUM` value with bit 31
//!   set to 64 bits. For example it prints a value stored as `0xffffffff` as
//!   `18446744073709551615` and `0x80000000` as `18446744071562067968`, although
//!   its own text output is right. btfkit prints `4294967295` and `2147483648`.
//!   Signed enums and ENUM64 print the same in both.
//! - **Extra keys** (**+** above), always after bpftool's keys.
//! - **Top-level `schema` and `version`**, before `types`.
//! - **Always valid JSON.** bpftool escapes `\n` and `\t` but copies other
//!   control bytes (e.g. `\x01`) and invalid UTF-8 into its output as they
//!   are, which makes invalid JSON, and (seen in 7.1) prints a
//!   backslash in a name as `\n`. btfkit's output is always valid JSON and
//!   its names are escaped correctly.
//! - **`--pretty`** is serde_json's layout (2-space indent, one value per line).
//!   bpftool's `-p` uses a different layout.
//! - **Errors.** If the input cannot be read or parsed, btfkit prints nothing
//!   on stdout, exits with status 2 and reports the error on stderr. bpftool
//!   prints `{"error": …}` on stdout instead. (A failing write to stdout can
//!   still leave a partial document.)

use std::io::Write;

use anyhow::Result;
use btf_core::types::{Linkage, INT_BOOL, INT_CHAR, INT_SIGNED};
use btf_core::{Btf, Kind, StrOffset, Type, TypeData};

use super::{selected_ids, Selection};
use crate::output::{self, flush_if_full, push_num};

/// `"name":` as a byte string, built at compile time.
macro_rules! key {
    ($k:literal) => {
        concat!("\"", $k, "\":").as_bytes()
    };
}

/// The value of the top-level `schema` key.
pub const SCHEMA: &str = "btfkit-dump";
/// The value of the top-level `version` key.
pub const SCHEMA_VERSION: u32 = 1;

/// Prints the selected types as one JSON document.
pub fn run(btf: &Btf<'_>, sel: &Selection, pretty: bool) -> Result<i32> {
    if pretty {
        render::<true>(btf, sel)
    } else {
        render::<false>(btf, sel)
    }
}

fn render<const PRETTY: bool>(btf: &Btf<'_>, sel: &Selection) -> Result<i32> {
    let mut w = output::stdout();
    let names = Names::new(btf);
    let mut j = Json::<PRETTY>::new(Vec::with_capacity(256 * 1024));
    j.open(b'{');
    j.key(key!("schema"));
    j.string(SCHEMA.as_bytes());
    j.kv_num(key!("version"), SCHEMA_VERSION);
    j.key(key!("types"));
    j.open(b'[');
    for id in selected_ids(btf, sel) {
        if let Some(t) = btf.get(id) {
            j.elem();
            type_object(&mut j, btf, &names, &t);
        }
        flush_if_full(&mut j.out, &mut w)?;
    }
    j.close(b']');
    j.close(b'}');
    j.out.push(b'\n');
    w.write_all(&j.out)?;
    w.flush()?;
    Ok(crate::exit::SUCCESS)
}

/// A minimal streaming JSON writer over a byte buffer. The caller keeps the
/// structure right (keys only inside objects, one value after each key);
/// `PRETTY` selects two-space indentation at compile time.
struct Json<const PRETTY: bool> {
    out: Vec<u8>,
    depth: usize,
    /// No element written yet in the innermost object or array.
    first: bool,
}

const INDENT: &[u8] = &[b' '; 64];

impl<const PRETTY: bool> Json<PRETTY> {
    fn new(out: Vec<u8>) -> Self {
        Json {
            out,
            depth: 0,
            first: true,
        }
    }

    #[inline]
    fn newline(&mut self) {
        self.out.push(b'\n');
        let mut n = self.depth * 2;
        while n > 0 {
            let k = n.min(INDENT.len());
            self.out.extend_from_slice(&INDENT[..k]);
            n -= k;
        }
    }

    /// Separates a new element from the previous one.
    #[inline]
    fn elem(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        if PRETTY {
            self.newline();
        }
    }

    /// Starts an object (`{`) or array (`[`).
    #[inline]
    fn open(&mut self, c: u8) {
        self.out.push(c);
        self.depth += 1;
        self.first = true;
    }

    /// Ends an object (`}`) or array (`]`).
    #[inline]
    fn close(&mut self, c: u8) {
        self.depth -= 1;
        if PRETTY && !self.first {
            self.newline();
        }
        self.out.push(c);
        self.first = false;
    }

    /// Writes a key made by `key!`.
    #[inline]
    fn key(&mut self, quoted: &[u8]) {
        self.elem();
        self.out.extend_from_slice(quoted);
        if PRETTY {
            self.out.push(b' ');
        }
    }

    /// Any integer, through itoa.
    #[inline]
    fn num<T: itoa::Integer>(&mut self, v: T) {
        push_num(&mut self.out, v);
    }

    #[inline]
    fn bool(&mut self, v: bool) {
        self.out
            .extend_from_slice(if v { b"true".as_slice() } else { b"false" });
    }

    /// A string known to need no escaping (kind names, fixed words).
    #[inline]
    fn plain(&mut self, s: &str) {
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
    }

    /// Any byte string: lossily UTF-8, escaped.
    #[inline]
    fn string(&mut self, s: &[u8]) {
        push_json_string(&mut self.out, s);
    }

    /// A name at a string offset: `(anon)` when empty, `(invalid)` when the
    /// offset does not resolve (the parser has ruled that out).
    ///
    /// One pass finds the terminating NUL and checks that the name needs no
    /// escaping, the case for nearly every name; anything else takes
    /// [`push_json_string`].
    #[inline]
    fn name(&mut self, names: &Names<'_>, off: StrOffset) {
        let Some(tail) = names.tail(off.0) else {
            self.out.extend_from_slice(b"\"(invalid)\"");
            return;
        };
        let start = self.out.len();
        self.out.push(b'"');
        // Copy whole words while they hold only plain bytes; stop at the
        // first byte that is not (the NUL, normally).
        let mut i = 0;
        while let Some(chunk) = tail.get(i..i + 8) {
            let word: [u8; 8] = chunk.try_into().unwrap_or_default();
            self.out.extend_from_slice(&word);
            let special = special_bytes(u64::from_le_bytes(word));
            if special != 0 {
                let plain = (special.trailing_zeros() / 8) as usize;
                self.out.truncate(self.out.len() - 8 + plain);
                i += plain;
                break;
            }
            i += 8;
        }
        // Near the end of the section: byte by byte.
        if tail.len() < i + 8 {
            while let Some(&b) = tail.get(i) {
                if !PLAIN[b as usize] {
                    break;
                }
                self.out.push(b);
                i += 1;
            }
        }
        match tail.get(i) {
            Some(0) | None if i == 0 => {
                self.out.truncate(start);
                self.out.extend_from_slice(b"\"(anon)\"");
            }
            Some(0) | None => self.out.push(b'"'),
            Some(_) => {
                self.out.truncate(start);
                let len = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
                self.string(&tail[..len]);
            }
        }
    }

    /// A key and a u32 value, the commonest pair.
    #[inline]
    fn kv_num(&mut self, quoted: &[u8], v: u32) {
        self.key(quoted);
        push_u32(&mut self.out, v);
    }

    #[inline]
    fn kflag(&mut self, t: &Type<'_>) {
        self.key(key!("kflag"));
        self.bool(t.kflag());
    }
}

/// The string sections a name offset may point into: this blob's and, for
/// split BTF, its bases', each with the logical offset it starts at. Same
/// lookup as [`Btf::name`], minus the per-call NUL search.
struct Names<'a> {
    /// `(first logical offset, bytes)`, own section first (highest offset).
    levels: Vec<(u32, &'a [u8])>,
}

impl<'a> Names<'a> {
    fn new(btf: &Btf<'a>) -> Names<'a> {
        let mut levels = Vec::new();
        let mut cur = Some(btf);
        while let Some(b) = cur {
            let bytes = b.strings().as_bytes();
            levels.push((b.str_len_total() - bytes.len() as u32, bytes));
            cur = b.base();
        }
        Names { levels }
    }

    /// The bytes from the string at `off` to the end of its section.
    #[inline]
    fn tail(&self, off: u32) -> Option<&'a [u8]> {
        let &(start, bytes) = self.levels.iter().find(|(start, _)| off >= *start)?;
        bytes.get((off - start) as usize..)
    }
}

/// Whether a byte can be copied into a JSON string as is: printable ASCII
/// other than `"` and `\`. Non-ASCII bytes take the slow path for the UTF-8
/// check.
const fn plain_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x80 {
        t[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    t
}
static PLAIN: [bool; 256] = plain_table();

/// A mask with bit 7 set in the lowest byte of `w` (little-endian order) that
/// is not [`PLAIN`]: below 0x20 (NUL included), `"`, `\\`, or non-ASCII.
/// Bytes above the lowest flagged one may be flagged wrongly (borrows), so
/// only the lowest set bit is meaningful.
#[inline]
fn special_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    let quote = zero_byte(w ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(w ^ (ONES * u64::from(b'\\')));
    control | quote | backslash | (w & HIGH)
}

/// Appends the decimal digits of `v`. Same result as
/// [`push_num`], but copies a fixed-size block instead of calling memcpy
/// for a few bytes.
#[inline]
fn push_u32(out: &mut Vec<u8>, v: u32) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let n = v.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut tmp = [0u8; 10];
    let mut rest = v;
    let mut i = n;
    while rest >= 100 {
        let pair = (rest % 100) as usize * 2;
        rest /= 100;
        i -= 2;
        tmp[i] = PAIRS[pair];
        tmp[i + 1] = PAIRS[pair + 1];
    }
    if rest >= 10 {
        let pair = rest as usize * 2;
        tmp[0] = PAIRS[pair];
        tmp[1] = PAIRS[pair + 1];
    } else {
        tmp[0] = b'0' + rest as u8;
    }
    let len = out.len();
    out.extend_from_slice(&tmp);
    out.truncate(len + n);
}

/// Appends `s` as a JSON string literal: lossy UTF-8 (invalid sequences
/// become U+FFFD, as `String::from_utf8_lossy`), `"` `\` and control
/// characters escaped.
pub fn push_json_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    if s.iter().all(|&b| PLAIN[b as usize]) {
        out.extend_from_slice(s);
    } else {
        for chunk in s.utf8_chunks() {
            escape_valid(out, chunk.valid().as_bytes());
            if !chunk.invalid().is_empty() {
                out.extend_from_slice("\u{fffd}".as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Escapes valid UTF-8: runs of bytes that need nothing are copied whole.
fn escape_valid(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ],
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
}

/// Appends one type's object.
fn type_object<const P: bool>(j: &mut Json<P>, btf: &Btf<'_>, names: &Names<'_>, t: &Type<'_>) {
    j.open(b'{');
    j.kv_num(key!("id"), t.id().0);
    j.key(key!("kind"));
    j.plain(t.kind().name());
    j.key(key!("name"));
    j.name(names, t.name_off());
    let size = t.size_or_type();
    let mut kflag_shown = true;
    match t.data() {
        TypeData::Int(i) => {
            j.kv_num(key!("size"), size);
            j.kv_num(key!("bits_offset"), i.offset.into());
            j.kv_num(key!("nr_bits"), i.bits.into());
            j.key(key!("encoding"));
            j.plain(match i.encoding {
                0 => "(none)",
                INT_SIGNED => "SIGNED",
                INT_CHAR => "CHAR",
                INT_BOOL => "BOOL",
                _ => "UNKN",
            });
            kflag_shown = false;
        }
        TypeData::Ptr(r)
        | TypeData::Typedef(r)
        | TypeData::Volatile(r)
        | TypeData::Const(r)
        | TypeData::Restrict(r) => {
            j.kv_num(key!("type_id"), r.0);
            kflag_shown = false;
        }
        TypeData::TypeTag(r) => {
            j.kv_num(key!("type_id"), r.0);
            j.kflag(t);
        }
        TypeData::Array(a) => {
            j.kv_num(key!("type_id"), a.elem_type.0);
            j.kv_num(key!("index_type_id"), a.index_type.0);
            j.kv_num(key!("nr_elems"), a.nelems);
            kflag_shown = false;
        }
        TypeData::Struct(members) | TypeData::Union(members) => {
            j.kv_num(key!("size"), size);
            j.kv_num(key!("vlen"), t.vlen());
            j.key(key!("members"));
            j.open(b'[');
            for m in members {
                j.elem();
                j.open(b'{');
                j.key(key!("name"));
                j.name(names, m.name);
                j.kv_num(key!("type_id"), m.type_id.0);
                j.kv_num(key!("bits_offset"), m.bit_offset());
                let bits = m.bitfield_size();
                if bits != 0 {
                    j.kv_num(key!("bitfield_size"), bits);
                }
                j.close(b'}');
            }
            j.close(b']');
            j.kflag(t);
        }
        TypeData::Enum(values) | TypeData::Enum64(values) => {
            let is64 = t.kind() == Kind::Enum64;
            let signed = t.kflag();
            j.key(key!("encoding"));
            j.plain(if signed { "SIGNED" } else { "UNSIGNED" });
            j.kv_num(key!("size"), size);
            j.kv_num(key!("vlen"), t.vlen());
            j.key(key!("values"));
            j.open(b'[');
            for v in values {
                j.elem();
                j.open(b'{');
                j.key(key!("name"));
                j.name(names, v.name);
                j.key(key!("val"));
                match (is64, signed) {
                    (false, false) => j.num(v.low32()),
                    (false, true) => j.num(v.low32() as i32),
                    (true, false) => j.num(v.bits),
                    (true, true) => j.num(v.bits as i64),
                }
                j.close(b'}');
            }
            j.close(b']');
            j.kflag(t);
        }
        TypeData::Fwd(union) => {
            j.key(key!("fwd_kind"));
            j.plain(if union { "union" } else { "struct" });
            j.kflag(t);
        }
        TypeData::Func(proto, linkage) => {
            j.kv_num(key!("type_id"), proto.0);
            linkage_key(j, linkage);
            kflag_shown = false;
        }
        TypeData::Var(ty, linkage) => {
            j.kv_num(key!("type_id"), ty.0);
            linkage_key(j, linkage);
            kflag_shown = false;
        }
        TypeData::FuncProto(ret, params) => {
            j.kv_num(key!("ret_type_id"), ret.0);
            j.kv_num(key!("vlen"), t.vlen());
            j.key(key!("params"));
            j.open(b'[');
            for p in params {
                j.elem();
                j.open(b'{');
                j.key(key!("name"));
                j.name(names, p.name);
                j.kv_num(key!("type_id"), p.type_id.0);
                j.close(b'}');
            }
            j.close(b']');
            kflag_shown = false;
        }
        TypeData::Datasec(vars) => {
            j.kv_num(key!("size"), size);
            j.kv_num(key!("vlen"), t.vlen());
            j.key(key!("vars"));
            j.open(b'[');
            for v in vars {
                j.elem();
                j.open(b'{');
                j.kv_num(key!("type_id"), v.type_id.0);
                j.kv_num(key!("offset"), v.offset);
                j.kv_num(key!("size"), v.size);
                if let Some(target) = btf.get(v.type_id) {
                    j.key(key!("kind"));
                    j.plain(target.kind().name());
                    j.key(key!("name"));
                    j.name(names, target.name_off());
                }
                j.close(b'}');
            }
            j.close(b']');
            kflag_shown = false;
        }
        TypeData::Float => {
            j.kv_num(key!("size"), size);
            kflag_shown = false;
        }
        TypeData::DeclTag(ty, idx) => {
            j.kv_num(key!("type_id"), ty.0);
            j.key(key!("component_idx"));
            j.num(idx);
            j.kflag(t);
        }
        TypeData::Unknown(_) => {
            j.kv_num(key!("kind_num"), t.kind().to_raw().into());
            j.kv_num(key!("vlen"), t.vlen());
            j.kflag(t);
        }
    }
    if !kflag_shown && t.kflag() {
        j.kflag(t);
    }
    j.close(b'}');
}

fn linkage_key<const P: bool>(j: &mut Json<P>, linkage: Linkage) {
    j.key(key!("linkage"));
    j.plain(linkage.name());
}

#[cfg(test)]
mod tests {
    use super::push_json_string;

    fn esc(s: &[u8]) -> String {
        let mut v = Vec::new();
        push_json_string(&mut v, s);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn escaping() {
        assert_eq!(esc(b"task_struct"), r#""task_struct""#);
        assert_eq!(esc(b""), r#""""#);
        assert_eq!(esc(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(esc(b"\n\r\t\x08\x0c"), r#""\n\r\t\b\f""#);
        assert_eq!(esc(b"\x00\x1f\x7f"), "\"\\u0000\\u001f\x7f\"");
        assert_eq!(esc("é'".as_bytes()), "\"é'\"");
        // Invalid UTF-8 becomes U+FFFD, as String::from_utf8_lossy does.
        let bad = b"a\xffb\xe2\x82c\"";
        assert_eq!(
            esc(bad),
            serde_json::to_string(&String::from_utf8_lossy(bad)).unwrap()
        );
    }

    #[test]
    fn escaping_matches_serde_json_for_all_bytes() {
        for b in 0u8..=255 {
            let s = [b'x', b, b'y'];
            assert_eq!(
                esc(&s),
                serde_json::to_string(&String::from_utf8_lossy(&s)).unwrap(),
                "byte {b:#x}"
            );
        }
    }
}
