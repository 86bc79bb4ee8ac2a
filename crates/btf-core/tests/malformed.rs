//! Hand-made hostile inputs. Each case checks the exact error variant, that
//! the message names the byte offset (and type id where there is one), and
//! that the parser's largest single allocation stays proportional to the
//! input, whatever counts the input claims.

mod common;

use std::cell::RefCell;
use std::sync::Once;

use btf_core::elf::ElfBtf;
use btf_core::types::TypeData;
use btf_core::{Btf, BtfBuilder, BtfExt, Endian, Error, Kind, TypeId};
use btf_testutil::{
    info, kind, patch_u32, zlib_stored, zstd_rle_frame, BtfAsm, ElfAsm, ExtAsm, ExtKind, ExtSub,
    Order, ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD,
};
use common::{alloc_budget, largest_alloc};

// ---- helpers -----------------------------------------------------------------

fn parse_err(data: &[u8]) -> Error {
    let (r, largest) = largest_alloc(|| Btf::parse(data).map(|b| b.len()));
    assert!(
        largest <= alloc_budget(data.len()),
        "parsing {} bytes made a {largest}-byte allocation",
        data.len()
    );
    r.expect_err("malformed BTF was accepted")
}

fn ext_err(data: &[u8]) -> Error {
    let (r, largest) = largest_alloc(|| BtfExt::parse(data).map(|e| e.func_info().len()));
    assert!(
        largest <= alloc_budget(data.len()),
        "parsing {} bytes of .BTF.ext made a {largest}-byte allocation",
        data.len()
    );
    r.expect_err("malformed .BTF.ext was accepted")
}

/// Asserts that the error's message contains every fragment.
#[track_caller]
fn names(err: &Error, fragments: &[&str]) {
    let msg = err.to_string();
    for f in fragments {
        assert!(msg.contains(f), "message {msg:?} does not mention {f:?}");
    }
}

fn hex(n: usize) -> String {
    format!("offset {n:#x}")
}

fn tid(id: u32) -> String {
    format!("type [{id}]")
}

fn endian(o: Order) -> Endian {
    match o {
        Order::Little => Endian::Little,
        Order::Big => Endian::Big,
    }
}

/// A small, valid blob: int, ptr, struct with two members.
fn valid(o: Order) -> BtfAsm {
    let mut a = BtfAsm::new(o);
    let int = a.int("int", 4, 1, 32);
    let p = a.ptr(int);
    a.struct_("s", 16, false, &[("a", int, 0), ("p", p, 64)]);
    a
}

// Captures log records per thread so a test can see btf-core's warnings.
thread_local! {
    static LOGGED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            let line = format!("{}: {}", r.level(), r.args());
            let _ = LOGGED.try_with(|l| l.borrow_mut().push(line));
        }
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        log::set_logger(&Capture).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Warn);
    });
    LOGGED.with(|l| l.borrow_mut().clear());
}

fn logged() -> Vec<String> {
    LOGGED.with(|l| l.borrow().clone())
}

// ---- sanity: the baseline parses ---------------------------------------------

#[test]
fn baseline_parses_in_both_orders() {
    for o in Order::BOTH {
        let blob = valid(o).build();
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.endian(), endian(o));
        assert_eq!(btf.len(), 3);
        let s = btf.get(TypeId(3)).unwrap();
        assert_eq!(btf.type_name(&s), b"s");
        assert_eq!(s.members().len(), 2);
    }
}

// ---- too short, magic, header fields -------------------------------------------

#[test]
fn empty_and_tiny_inputs() {
    for len in [0usize, 1] {
        let e = parse_err(&vec![0xeb; len]);
        assert!(
            matches!(e, Error::TooShort { what: "BTF", len: l, need: 24 } if l == len),
            "{e:?}"
        );
        names(&e, &[&format!("{len} bytes"), "BTF header", "needs 24"]);
    }
    for o in Order::BOTH {
        let blob = valid(o).build();
        for len in [2usize, 4, 23] {
            let e = parse_err(&blob[..len]);
            assert!(
                matches!(e, Error::TooShort { what: "BTF", len: l, .. } if l == len),
                "{e:?}"
            );
        }
    }
}

#[test]
fn wrong_magic() {
    for magic in [0x0000u16, 0xffff, 0xeb9e, 0x9feb ^ 0x0100] {
        let mut a = valid(Order::Little);
        a.magic(magic);
        let e = parse_err(&a.build());
        assert!(
            matches!(e, Error::BadMagic { magic: m } if m == magic),
            "{e:?}"
        );
        names(&e, &["offset 0", &format!("{magic:#06x}")]);
    }
    // ELF and garbage are not BTF.
    let e = parse_err(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    assert!(matches!(e, Error::BadMagic { .. }), "{e:?}");
}

#[test]
fn bad_version_and_flags() {
    for o in Order::BOTH {
        for v in [0u8, 2, 0xff] {
            let mut a = valid(o);
            a.version(v);
            let e = parse_err(&a.build());
            assert!(matches!(e, Error::BadHeader { offset: 2, .. }), "{e:?}");
            names(&e, &[&hex(2), &format!("version {v}")]);
        }
        for f in [1u8, 0x80] {
            let mut a = valid(o);
            a.flags(f);
            let e = parse_err(&a.build());
            assert!(matches!(e, Error::BadHeader { offset: 3, .. }), "{e:?}");
            names(&e, &[&hex(3), &format!("flags {f:#x}")]);
        }
    }
}

#[test]
fn hdr_len_too_small_or_too_large() {
    for o in Order::BOTH {
        for h in [0u32, 8, 23] {
            let mut a = valid(o);
            a.hdr_len(h);
            let e = parse_err(&a.build());
            assert!(matches!(e, Error::BadHeader { offset: 4, .. }), "{e:?}");
            names(&e, &[&hex(4), &format!("header length {h} ")]);
        }
        let len = valid(o).build().len() as u32;
        for h in [len + 1, 0x7fff_ffff, u32::MAX] {
            let mut a = valid(o);
            a.hdr_len(h);
            let e = parse_err(&a.build());
            assert!(matches!(e, Error::BadHeader { offset: 4, .. }), "{e:?}");
            names(
                &e,
                &[&hex(4), &format!("header length {h} "), &len.to_string()],
            );
        }
    }
}

#[test]
fn longer_header_with_zero_tail_is_accepted() {
    for o in Order::BOTH {
        let mut a = valid(o);
        a.header_extra(&[0; 16]);
        let blob = a.build();
        assert_eq!(a.hdr_len_value(), 24 + 16);
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.len(), 3);
        assert_eq!(btf.get(TypeId(2)).unwrap().offset(), a.type_offset(2));
    }
}

#[test]
fn sections_out_of_range() {
    for o in Order::BOTH {
        let base = valid(o);
        let total = base.build().len();
        let types_len = base.types_len() as u32;
        let str_len = (total - base.strings_start()) as u32;

        // Type section one byte past the end: the strings follow it, so
        // stretch it over them and one more byte.
        let mut a = valid(o);
        a.type_len(types_len + str_len + 1);
        let e = parse_err(&a.build());
        assert!(
            matches!(e, Error::SectionOutOfRange { section: "type section", start: 24, total: t, .. } if t == total),
            "{e:?}"
        );
        names(
            &e,
            &["type section", "offset 0x18", &format!("({total} bytes)")],
        );

        // Absurd lengths and offsets, including ones whose sum overflows u32.
        for (off, len) in [
            (0u32, u32::MAX),
            (u32::MAX - 3, 8),
            (0xffff_fffc, 0xffff_ffff),
        ] {
            let mut a = valid(o);
            a.type_off(off).type_len(len);
            let e = parse_err(&a.build());
            let want_start = 24 + u64::from(off);
            assert!(
                matches!(e, Error::SectionOutOfRange { section: "type section", start, len: l, .. } if start == want_start && l == u64::from(len)),
                "{e:?}"
            );
            names(&e, &[&format!("offset {want_start:#x}")]);
        }

        // String section ending one byte past the data.
        let mut a = valid(o);
        a.str_len(str_len + 1);
        let e = parse_err(&a.build());
        assert!(
            matches!(
                e,
                Error::SectionOutOfRange {
                    section: "string section",
                    ..
                }
            ),
            "{e:?}"
        );
        names(&e, &["string section", &hex(base.strings_start())]);

        let mut a = valid(o);
        a.str_off(u32::MAX);
        let e = parse_err(&a.build());
        assert!(
            matches!(
                e,
                Error::SectionOutOfRange {
                    section: "string section",
                    ..
                }
            ),
            "{e:?}"
        );

        // Layout section past the end, and of a length not a multiple of 4.
        let mut a = valid(o);
        a.layout_standard(&[]).layout_len(0x1000);
        let e = parse_err(&a.build());
        assert!(
            matches!(
                e,
                Error::SectionOutOfRange {
                    section: "layout section",
                    ..
                }
            ),
            "{e:?}"
        );
        let mut a = valid(o);
        a.layout_standard(&[]).layout_len(78);
        let e = parse_err(&a.build());
        assert!(matches!(e, Error::BadHeader { offset: 28, .. }), "{e:?}");
        names(&e, &[&hex(28), "78"]);
    }
}

#[test]
fn section_ending_exactly_at_the_end_is_fine() {
    for o in Order::BOTH {
        // Trailing bytes after the last section are tolerated; the sections
        // themselves end exactly at the end in the default layout.
        let mut a = valid(o);
        a.trailing(&[0xaa; 3]);
        assert_eq!(Btf::parse(&a.build()).unwrap().len(), 3);
    }
}

#[test]
fn misaligned_type_off() {
    for o in Order::BOTH {
        for off in [1u32, 2, 3, 6] {
            let mut a = valid(o);
            a.type_off(off);
            let e = parse_err(&a.build());
            assert!(matches!(e, Error::BadHeader { offset: 8, .. }), "{e:?}");
            names(
                &e,
                &[&hex(8), &format!("offset {off} is not 4-byte aligned")],
            );
        }
    }
}

#[test]
fn bad_string_sections() {
    for o in Order::BOTH {
        let start = valid(o).strings_start();
        let cases: [(&[u8], &str); 4] = [
            (b"\0int\0s\0a\0pX", "not NUL-terminated"),
            (b"int\0s\0a\0p\0", "does not start with an empty string"),
            (b"", "empty"),
            (b"X", "does not start with an empty string"),
        ];
        for (bytes, what) in cases {
            let mut a = valid(o);
            a.strings_raw(bytes);
            let e = parse_err(&a.build());
            assert!(
                matches!(e, Error::BadStrings { offset, .. } if offset == start),
                "{bytes:?}: {e:?}"
            );
            names(&e, &[&hex(start), what]);
        }
    }
}

// ---- truncated records and absurd counts --------------------------------------

#[test]
fn struct_truncated_in_the_middle_of_its_members() {
    for o in Order::BOTH {
        let mut a = BtfAsm::new(o);
        let int = a.int("int", 4, 1, 32);
        let n = a.str("m");
        // vlen 3, but only one whole member and half of another follow.
        let s = a.record(0, info(kind::STRUCT, 3, false), 12);
        a.word(n).word(int).word(0).word(n).word(int);
        let e = parse_err(&a.build());
        let off = a.type_offset(s);
        let end = a.types_start() + a.types_len();
        assert!(
            matches!(e, Error::TruncatedType { id, offset, kind: Kind::Struct, vlen: 3, end: x }
                if id == TypeId(s) && offset == off && x == end),
            "{e:?}"
        );
        names(
            &e,
            &[&tid(s), &hex(off), "STRUCT", "vlen 3", &format!("{end:#x}")],
        );
    }
}

#[test]
fn truncated_prefix() {
    for o in Order::BOTH {
        for extra in [4usize, 8, 11] {
            let mut a = valid(o);
            let next = a.next_id();
            let off = a.types_start() + a.types_len();
            a.bytes(&vec![0; extra]);
            let e = parse_err(&a.build());
            assert!(
                matches!(e, Error::TruncatedType { id, offset, .. } if id == TypeId(next) && offset == off),
                "{e:?}"
            );
            names(&e, &[&tid(next), &hex(off)]);
        }
    }
}

#[test]
fn huge_vlen_in_a_tiny_section_does_not_allocate() {
    for o in Order::BOTH {
        for k in [
            kind::STRUCT,
            kind::UNION,
            kind::ENUM,
            kind::FUNC_PROTO,
            kind::DATASEC,
            kind::ENUM64,
        ] {
            let mut a = BtfAsm::new(o);
            let id = a.record(0, info(k, 0x00ff_ffff, false), 4);
            a.word(0);
            let blob = a.build();
            assert!(blob.len() < 64);
            let e = parse_err(&blob); // also checks the allocation bound
            assert!(
                matches!(e, Error::TruncatedType { id: i, vlen: 0x00ff_ffff, .. } if i == TypeId(id)),
                "{e:?}"
            );
            names(&e, &[&tid(id), &hex(a.type_offset(id)), "vlen 16777215"]);
        }
    }
}

#[test]
fn many_tiny_records_allocate_in_proportion() {
    // 20,000 PTRs to void: the offsets table grows with the input, which is
    // fine, and is the only large allocation.
    let mut a = BtfAsm::new(Order::Little);
    for _ in 0..20_000 {
        a.ptr(0);
    }
    let blob = a.build();
    let (r, largest) = largest_alloc(|| Btf::parse(&blob).map(|b| b.len()));
    assert_eq!(r.unwrap(), 20_000);
    assert!(largest <= alloc_budget(blob.len()), "{largest}");
}

// ---- unknown kinds ---------------------------------------------------------------

#[test]
fn unknown_kind_without_layout() {
    for o in Order::BOTH {
        for k in [0u8, 20, 31, 0x7f] {
            let mut a = valid(o);
            let id = a.record(0, info(k, 2, false), 0);
            a.word(1).word(2);
            let e = parse_err(&a.build());
            let off = a.type_offset(id);
            assert!(
                matches!(e, Error::UnknownKind { id: i, offset, kind: kk } if i == TypeId(id) && offset == off && kk == k),
                "{e:?}"
            );
            names(&e, &[&tid(id), &hex(off), &format!("unknown kind {k}")]);
        }
    }
}

#[test]
fn unknown_kind_with_a_layout_section_but_no_entry_for_it() {
    for o in Order::BOTH {
        let mut a = valid(o);
        a.layout_standard(&[]); // kinds 0..=19 only
        let id = a.record(0, info(21, 0, false), 0);
        let e = parse_err(&a.build());
        assert!(
            matches!(e, Error::UnknownKind { id: i, kind: 21, .. } if i == TypeId(id)),
            "{e:?}"
        );
        // Kind 0 is never sized by the layout section, even with an entry.
        let mut a = valid(o);
        a.layout_standard(&[]);
        let id = a.record(0, info(0, 0, false), 0);
        let e = parse_err(&a.build());
        assert!(
            matches!(e, Error::UnknownKind { id: i, kind: 0, .. } if i == TypeId(id)),
            "{e:?}"
        );
    }
}

#[test]
fn unknown_kind_with_a_layout_entry_is_kept() {
    capture_logs();
    for o in Order::BOTH {
        let mut a = valid(o);
        a.layout_standard(&[(20, 4, 8), (0x7f, 0, 4)]);
        let name = a.str("newkind");
        let u = a.record(name, info(20, 2, true), 0x1234);
        a.word(0xaaaa_aaaa).word(1).word(2).word(3).word(4);
        let u2 = a.record(0, info(0x7f, 3, false), 0);
        a.word(5).word(6).word(7);
        // A known type after the unknown ones: the stream resynchronised.
        let after = a.ptr(u);
        let blob = a.build();
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.len(), 6);
        assert_eq!(btf.unknown_kinds(), &[20, 0x7f]);
        let t = btf.get(TypeId(u)).unwrap();
        assert_eq!(t.kind(), Kind::Unknown(20));
        assert_eq!(t.vlen(), 2);
        assert!(t.kflag());
        assert_eq!(btf.type_name(&t), b"newkind");
        assert_eq!(t.offset(), a.type_offset(u));
        match t.data() {
            TypeData::Unknown(raw) => assert_eq!(raw.len(), 4 + 2 * 8),
            other => panic!("{other:?}"),
        }
        let t2 = btf.get(TypeId(u2)).unwrap();
        assert!(matches!(t2.data(), TypeData::Unknown(r) if r.len() == 12));
        let p = btf.get(TypeId(after)).unwrap();
        assert_eq!(p.kind(), Kind::Ptr);
        assert_eq!(p.type_ref(), Some(TypeId(u)));
        // A warning names the kind once, however many records use it.
        let warnings = logged();
        let for20: Vec<_> = warnings
            .iter()
            .filter(|w| w.contains("unknown kind 20"))
            .collect();
        assert_eq!(for20.len(), 1, "{warnings:?}");
        assert!(for20[0].starts_with("WARN"), "{for20:?}");
        assert!(for20[0].contains(&tid(u)), "{for20:?}");
        // And it survives the writer byte for byte.
        assert_eq!(
            BtfBuilder::from_btf(&btf).write(endian(o)).unwrap(),
            blob,
            "unknown kinds must round-trip"
        );
        LOGGED.with(|l| l.borrow_mut().clear());
    }
}

// ---- references out of range ----------------------------------------------------

/// Builds `valid()` plus one record made by `add`, which returns the new id;
/// the blob then has `last` = that id. Checks the error for reference `what`
/// to target 99.
#[track_caller]
fn bad_ref(o: Order, what: &str, add: impl FnOnce(&mut BtfAsm) -> u32) {
    let mut a = valid(o);
    let id = add(&mut a);
    let last = a.next_id() - 1;
    let e = parse_err(&a.build());
    let off = a.type_offset(id);
    assert!(
        matches!(&e, Error::TypeIdOutOfRange { id: i, offset, what: w, target: 99, last: l }
            if *i == TypeId(id) && *offset == off && w == what && *l == last),
        "{what}: {e:?}"
    );
    names(
        &e,
        &[
            &tid(id),
            &hex(off),
            &format!("{what} refers to type [99]"),
            &format!("last type id is {last}"),
        ],
    );
}

#[test]
fn type_ids_out_of_range_in_every_slot() {
    for o in Order::BOTH {
        bad_ref(o, "type", |a| a.ptr(99));
        bad_ref(o, "type", |a| a.typedef("t", 99));
        bad_ref(o, "type", |a| a.const_(99));
        bad_ref(o, "type", |a| a.volatile(99));
        bad_ref(o, "type", |a| a.restrict(99));
        bad_ref(o, "type", |a| a.type_tag("tag", 99, false));
        bad_ref(o, "type", |a| a.func("f", 99, 1));
        bad_ref(o, "type", |a| a.func_proto(99, &[]));
        bad_ref(o, "type", |a| a.var("v", 99, 1));
        bad_ref(o, "type", |a| a.decl_tag("tag", 99, -1, false));
        bad_ref(o, "element type", |a| a.array(99, 1, 4));
        bad_ref(o, "index type", |a| a.array(1, 99, 4));
        bad_ref(o, "member 1 type", |a| {
            a.struct_("bad", 8, false, &[("x", 1, 0), ("y", 99, 32)])
        });
        bad_ref(o, "member 0 type", |a| {
            a.union_("u", 8, false, &[("x", 99, 0)])
        });
        bad_ref(o, "parameter 2 type", |a| {
            a.func_proto(1, &[("a", 1), ("b", 2), ("c", 99)])
        });
        bad_ref(o, "variable 1 type", |a| {
            let v = a.var("v", 1, 1);
            a.datasec(".data", 8, &[(v, 0, 4), (99, 4, 4)])
        });
        // One past the last id is already out of range.
        let mut a = valid(o);
        let next = a.next_id();
        let p = a.ptr(next + 1);
        let e = parse_err(&a.build());
        assert!(
            matches!(e, Error::TypeIdOutOfRange { id, target, last, .. }
                if id == TypeId(p) && target == next + 1 && last == next),
            "{e:?}"
        );
    }
}

#[test]
fn self_reference_at_the_last_id_is_in_range() {
    for o in Order::BOTH {
        let mut a = valid(o);
        let next = a.next_id();
        assert_eq!(a.ptr(next), next);
        assert!(Btf::parse(&a.build()).is_ok());
    }
}

#[test]
fn name_offsets_out_of_range() {
    for o in Order::BOTH {
        let check = |a: &BtfAsm, id: u32, what: &str, name_off: u32| {
            let e = parse_err(&a.build());
            let len = u64::from(a.str_len_total());
            let off = a.type_offset(id);
            assert!(
                matches!(&e, Error::StringOutOfRange { id: i, offset, what: w, name_off: n, len: l }
                    if *i == TypeId(id) && *offset == off && w == what && *n == name_off && *l == len),
                "{what}: {e:?}"
            );
            names(
                &e,
                &[
                    &tid(id),
                    &hex(off),
                    &format!("{what} offset {name_off}"),
                    &format!("({len} bytes)"),
                ],
            );
        };
        // The type's own name: exactly one past the end, and far past it.
        for bad in [0u32, 1, 0x00ff_ffff] {
            let mut a = valid(o);
            let n = a.str_len_total() + bad;
            let id = a.record(n, info(kind::FWD, 0, false), 0);
            check(&a, id, "name", n);
        }
        let mut a = valid(o);
        let n = a.str_len_total() + 7;
        let id = a.record(0, info(kind::STRUCT, 2, false), 4);
        a.word(0).word(1).word(0).word(n).word(1).word(0);
        check(&a, id, "member 1 name", n);

        let mut a = valid(o);
        let n = a.str_len_total() + 7;
        let id = a.record(0, info(kind::ENUM, 1, false), 4);
        a.word(n).word(1);
        check(&a, id, "enumerator 0 name", n);

        let mut a = valid(o);
        let n = a.str_len_total() + 7;
        let id = a.record(0, info(kind::ENUM64, 1, true), 8);
        a.word(n).word(1).word(2);
        check(&a, id, "enumerator 0 name", n);

        let mut a = valid(o);
        let n = a.str_len_total() + 7;
        let id = a.record(0, info(kind::FUNC_PROTO, 1, false), 0);
        a.word(n).word(1);
        check(&a, id, "parameter 0 name", n);
    }
}

// ---- loops -----------------------------------------------------------------------

#[test]
fn ptr_self_loop_parses_and_terminates() {
    for o in Order::BOTH {
        let mut a = BtfAsm::new(o);
        let p = a.ptr(1);
        let blob = a.build();
        let btf = Btf::parse(&blob).unwrap();
        // skip_modifiers stops at the first non-modifier: the PTR itself.
        assert_eq!(btf.skip_modifiers(TypeId(p)).unwrap(), TypeId(p));
        // A pointer's size does not depend on its target.
        assert_eq!(btf.resolve_size(TypeId(p)).unwrap(), 8);
        // A loop through a typedef and a pointer is fine as well.
        let mut a = BtfAsm::new(o);
        let t = a.typedef("t", 2);
        a.ptr(t);
        let blob = a.build();
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.skip_modifiers(TypeId(t)).unwrap(), TypeId(2));
        assert_eq!(btf.resolve_size(TypeId(t)).unwrap(), 8);
    }
}

#[test]
fn modifier_loops_give_bad_chain() {
    for o in Order::BOTH {
        // typedef a -> typedef b -> typedef a
        let mut a = BtfAsm::new(o);
        let t1 = a.typedef("a", 2);
        a.typedef("b", t1);
        // const -> const (self)
        let c = a.const_(3);
        // volatile -> type_tag -> restrict -> volatile
        let v = a.volatile(5);
        a.type_tag("tag", 6, false);
        a.restrict(v);
        // array of itself, and a var of itself
        let arr = a.array(7, 0, 2);
        let var = a.var("v", 8, 0);
        let blob = a.build();
        let btf = Btf::parse(&blob).expect("loops are not a parse error");
        for start in [t1, 2, c, v, 5, 6] {
            let e = btf.skip_modifiers(TypeId(start)).unwrap_err();
            assert!(
                matches!(e, Error::BadChain { id, .. } if id == TypeId(start)),
                "{e:?}"
            );
            names(&e, &[&tid(start), "64"]);
            let e = btf.resolve_size(TypeId(start)).unwrap_err();
            assert!(
                matches!(e, Error::BadChain { id, .. } if id == TypeId(start)),
                "{e:?}"
            );
        }
        for start in [arr, var] {
            let e = btf.resolve_size(TypeId(start)).unwrap_err();
            assert!(
                matches!(e, Error::BadChain { id, .. } if id == TypeId(start)),
                "{e:?}"
            );
            names(&e, &[&tid(start)]);
        }
        // The index and the walkers cope with the loops too.
        common_walk(&btf);
    }
}

#[test]
fn long_chains_are_bounded() {
    for o in Order::BOTH {
        let mut a = BtfAsm::new(o);
        let int = a.int("int", 4, 1, 32);
        let mut cur = int;
        for _ in 0..200 {
            cur = a.const_(cur);
        }
        let blob = a.build();
        let btf = Btf::parse(&blob).unwrap();
        let e = btf.skip_modifiers(TypeId(cur)).unwrap_err();
        assert!(matches!(e, Error::BadChain { .. }), "{e:?}");
        // Within the limit the chain resolves.
        assert_eq!(btf.skip_modifiers(TypeId(int + 60)).unwrap(), TypeId(int));
        assert_eq!(btf.resolve_size(TypeId(int + 60)).unwrap(), 4);
        // Nested arrays multiply without overflowing.
        let mut a = BtfAsm::new(o);
        let int = a.int("int", 4, 1, 32);
        let mut cur = int;
        for _ in 0..10 {
            cur = a.array(cur, int, u32::MAX);
        }
        let blob = a.build();
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.resolve_size(TypeId(cur)).unwrap(), u64::MAX);
    }
}

fn common_walk(btf: &Btf<'_>) {
    for t in btf.types() {
        let _ = t.data();
        for _ in t.references() {}
    }
    let _ = btf_core::BtfIndex::new(btf);
}

// ---- split BTF -------------------------------------------------------------------

#[test]
fn split_with_wrong_endian_base() {
    for o in Order::BOTH {
        let base_blob = valid(o.swapped()).build();
        let base = Btf::parse(&base_blob).unwrap();
        let mut s = BtfAsm::split(o, base.type_count(), base.str_len_total());
        s.ptr(1);
        let split_blob = s.build();
        let (r, largest) = largest_alloc(|| Btf::parse_split(&split_blob, &base).map(|b| b.len()));
        assert!(largest <= alloc_budget(split_blob.len()));
        let e = r.unwrap_err();
        let (sp, bs) = (endian(o).name(), endian(o.swapped()).name());
        assert!(
            matches!(e, Error::BaseEndianMismatch { split, base } if split == sp && base == bs),
            "{e:?}"
        );
        names(&e, &[&format!("{sp}-endian"), &format!("{bs}-endian")]);
    }
}

#[test]
fn split_references_and_names() {
    for o in Order::BOTH {
        let base_blob = valid(o).build();
        let base = Btf::parse(&base_blob).unwrap();
        let (count, strs) = (base.type_count(), base.str_len_total());

        // Good: refers to base ids and to itself, uses base and own names.
        let mut s = BtfAsm::split(o, count, strs);
        let own = s.str("own");
        let p = s.ptr(3);
        s.struct_("own", 8, false, &[("a", p, 0)]);
        let t = s.record(1, info(kind::TYPEDEF, 0, false), 1); // "int" from the base
        let blob = s.build();
        let split = Btf::parse_split(&blob, &base).unwrap();
        assert_eq!(split.first_id(), TypeId(count));
        assert_eq!(split.type_name(&split.get(TypeId(t)).unwrap()), b"int");
        assert_eq!(split.name(btf_core::StrOffset(own)), Some(&b"own"[..]));
        assert_eq!(split.get(TypeId(1)).unwrap().kind(), Kind::Int);

        // An id past the split's last one.
        let mut s = BtfAsm::split(o, count, strs);
        let p = s.ptr(count + 5);
        let e = Btf::parse_split(&s.build(), &base).unwrap_err();
        assert!(
            matches!(e, Error::TypeIdOutOfRange { id, target, last, .. }
                if id == TypeId(p) && target == count + 5 && last == count),
            "{e:?}"
        );
        names(&e, &[&tid(p), &hex(s.type_offset(p))]);

        // A name past the split's strings.
        let mut s = BtfAsm::split(o, count, strs);
        s.str("x");
        let f = s.record(strs + 2, info(kind::FWD, 0, false), 0);
        let e = Btf::parse_split(&s.build(), &base).unwrap_err();
        assert!(
            matches!(e, Error::StringOutOfRange { id, name_off, .. } if id == TypeId(f) && name_off == strs + 2),
            "{e:?}"
        );

        // Split BTF parsed without its base: its strings lack the leading NUL.
        let mut s = BtfAsm::split(o, count, strs);
        s.str("x");
        s.fwd("", false);
        let e = parse_err(&s.build());
        assert!(matches!(e, Error::BadStrings { .. }), "{e:?}");
        names(&e, &["split BTF without its base"]);

        // Not NUL-terminated split strings.
        let mut s = BtfAsm::split(o, count, strs);
        s.strings_raw(b"abc");
        let e = Btf::parse_split(&s.build(), &base).unwrap_err();
        assert!(matches!(e, Error::BadStrings { .. }), "{e:?}");
    }
}

// ---- .BTF.ext --------------------------------------------------------------------

fn good_ext(o: Order) -> ExtAsm {
    let mut e = ExtAsm::new(o);
    e.sub(
        ExtKind::FuncInfo,
        ExtSub::new(8).block(1, &[&[0, 2], &[64, 3]]),
    );
    e.sub(
        ExtKind::LineInfo,
        ExtSub::new(16).block(1, &[&[0, 1, 1, 10 << 10 | 2]]),
    );
    e.sub(
        ExtKind::CoreRelo,
        ExtSub::new(16).block(1, &[&[8, 3, 1, 0]]),
    );
    e
}

#[test]
fn ext_baseline() {
    for o in Order::BOTH {
        let blob = good_ext(o).build();
        let ext = BtfExt::parse(&blob).unwrap();
        assert_eq!(ext.func_info().len(), 2);
        assert_eq!(ext.line_info().len(), 1);
        assert_eq!(ext.core_relo().len(), 1);
        let li = ext.line_info().blocks()[0].iter().next().unwrap();
        assert_eq!((li.line_number(), li.column()), (10, 2));
        // 24-byte header: no core_relo.
        let mut e = good_ext(o);
        e.hdr24();
        let blob = e.build();
        let ext = BtfExt::parse(&blob).unwrap();
        assert!(ext.core_relo().is_empty());
        assert_eq!(ext.header().core_relo, None);
        // Larger records than known are read by their prefix.
        let mut e = ExtAsm::new(o);
        e.sub(
            ExtKind::FuncInfo,
            ExtSub::new(12).block(1, &[&[8, 2, 0xdead]]),
        );
        let blob = e.build();
        let ext = BtfExt::parse(&blob).unwrap();
        let fi = ext.func_info().blocks()[0].iter().next().unwrap();
        assert_eq!((fi.insn_off, fi.type_id), (8, TypeId(2)));
    }
}

#[test]
fn ext_truncated_header_and_bad_fields() {
    for o in Order::BOTH {
        let blob = good_ext(o).build();
        for len in [0usize, 1, 2, 12, 23] {
            let e = ext_err(&blob[..len]);
            assert!(
                matches!(e, Error::TooShort { what: ".BTF.ext", len: l, .. } if l == len),
                "{len}: {e:?}"
            );
            names(&e, &[".BTF.ext header"]);
        }
        let mut e = good_ext(o);
        e.magic(0x1234);
        assert!(matches!(ext_err(&e.build()), Error::BadMagic { .. }));
        let mut e = good_ext(o);
        e.version(2);
        let err = ext_err(&e.build());
        assert!(
            matches!(
                err,
                Error::BadExt {
                    section: "header",
                    offset: 2,
                    ..
                }
            ),
            "{err:?}"
        );
        names(&err, &[&hex(2), "version 2"]);
        let mut e = good_ext(o);
        e.flags(4);
        let err = ext_err(&e.build());
        assert!(
            matches!(
                err,
                Error::BadExt {
                    section: "header",
                    offset: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        for h in [0u32, 23, 0x10000, u32::MAX] {
            let mut e = good_ext(o);
            e.hdr_len(h);
            let err = ext_err(&e.build());
            assert!(
                matches!(
                    err,
                    Error::BadExt {
                        section: "header",
                        offset: 4,
                        ..
                    }
                ),
                "{err:?}"
            );
            names(&err, &[&hex(4), &format!("header length {h} ")]);
        }
    }
}

#[test]
fn ext_bad_rec_size() {
    for o in Order::BOTH {
        for (which, name, bad) in [
            (ExtKind::FuncInfo, "func_info", [0u32, 4, 7, 9, 10]),
            (ExtKind::LineInfo, "line_info", [0, 8, 12, 17, 18]),
            (ExtKind::CoreRelo, "core_relo", [0, 4, 12, 15, 22]),
        ] {
            for rec in bad {
                let mut e = good_ext(o);
                e.sub(which, ExtSub::new(rec).block_raw(1, 1, &[0; 6]));
                let at = e.sub_start(which);
                let err = ext_err(&e.build());
                assert!(
                    matches!(&err, Error::BadExt { section, offset, .. } if *section == name && *offset == at),
                    "{name} {rec}: {err:?}"
                );
                names(&err, &[name, &hex(at), &format!("record size {rec} ")]);
            }
        }
    }
}

#[test]
fn ext_num_info_zero_and_huge() {
    for o in Order::BOTH {
        let mut e = good_ext(o);
        e.sub(ExtKind::LineInfo, ExtSub::new(16).block_raw(1, 0, &[]));
        let at = e.sub_start(ExtKind::LineInfo) + 4;
        let err = ext_err(&e.build());
        assert!(
            matches!(err, Error::BadExt { section: "line_info", offset, .. } if offset == at),
            "{err:?}"
        );
        names(&err, &["line_info", &hex(at), "no records"]);

        for num in [2u32, 0x1000_0000, u32::MAX] {
            let mut e = good_ext(o);
            e.sub(ExtKind::FuncInfo, ExtSub::new(8).block_raw(1, num, &[0, 2]));
            let at = e.sub_start(ExtKind::FuncInfo) + 4;
            let blob = e.build();
            let err = ext_err(&blob); // checks that nothing was sized by num
            assert!(
                matches!(err, Error::BadExt { section: "func_info", offset, .. } if offset == at),
                "{err:?}"
            );
            names(&err, &[&hex(at), &format!("{num} records of 8 bytes")]);
        }

        // A second block truncated in its header.
        let mut e = good_ext(o);
        e.sub(
            ExtKind::CoreRelo,
            ExtSub::new(16).block(1, &[&[0, 1, 1, 0]]).word(1),
        );
        let at = e.sub_start(ExtKind::CoreRelo) + 4 + 8 + 16;
        let err = ext_err(&e.build());
        assert!(
            matches!(err, Error::BadExt { section: "core_relo", offset, .. } if offset == at),
            "{err:?}"
        );
        names(&err, &[&hex(at), "truncated block header"]);

        // A subsection too short to hold its record size.
        let mut e = good_ext(o);
        e.sub(ExtKind::FuncInfo, ExtSub::empty().bytes(&[8, 0]));
        let err = ext_err(&e.build());
        assert!(
            matches!(
                err,
                Error::BadExt {
                    section: "func_info",
                    ..
                }
            ),
            "{err:?}"
        );
        names(&err, &["2 bytes cannot hold a record size"]);
    }
}

#[test]
fn ext_misaligned_or_out_of_range_offsets() {
    for o in Order::BOTH {
        for which in [ExtKind::FuncInfo, ExtKind::LineInfo, ExtKind::CoreRelo] {
            let mut e = good_ext(o);
            let natural = e.sub_start(which) as u32 - 32;
            e.sub_off(which, natural + 2);
            let at = e.sub_start(which);
            let err = ext_err(&e.build());
            assert!(
                matches!(err, Error::BadExt { offset, .. } if offset == at),
                "{which:?}: {err:?}"
            );
            names(&err, &[&hex(at), "not 4-byte aligned"]);

            for (off, len) in [(0u32, u32::MAX), (u32::MAX - 3, 4), (0x1000, 16)] {
                let mut e = good_ext(o);
                e.sub_off(which, off).sub_len(which, len);
                let err = ext_err(&e.build());
                assert!(
                    matches!(err, Error::SectionOutOfRange { start, .. } if start == 32 + u64::from(off)),
                    "{which:?}: {err:?}"
                );
            }
        }
    }
}

// ---- ELF ---------------------------------------------------------------------------

fn elf_err(data: &[u8]) -> Error {
    let (r, largest) = largest_alloc(|| ElfBtf::parse(data).map(|e| e.btf.map(|b| b.len())));
    assert!(
        largest <= alloc_budget(data.len()).max(1 << 20),
        "reading a {}-byte ELF file made a {largest}-byte allocation",
        data.len()
    );
    r.expect_err("garbage ELF was accepted")
}

#[test]
fn elf_garbage() {
    for data in [
        &b""[..],
        b"\x7f",
        b"\x7fELF",
        b"\x7fELF\x02\x01\x01",
        &[
            0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
        ],
        b"not an ELF file at all, just some text that is long enough to look like a header....",
    ] {
        let e = elf_err(data);
        assert!(matches!(e, Error::Elf(_)), "{e:?}");
    }
    // A valid file cut short and one with its section table pointing away.
    for o in Order::BOTH {
        let mut a = ElfAsm::new(o);
        a.section(".BTF", &valid(o).build());
        let elf = a.build();
        for len in [16usize, 63, 64, elf.len() - 1] {
            let _ = ElfBtf::parse(&elf[..len]); // must not panic
        }
        let mut bad = elf.clone();
        // e_shoff far past the end.
        let shoff_at = 0x28;
        bad[shoff_at..shoff_at + 8].copy_from_slice(&o.u64(u64::MAX / 2));
        assert!(matches!(elf_err(&bad), Error::Elf(_)));
    }
}

#[test]
fn elf_sections_are_found_in_both_orders() {
    for o in Order::BOTH {
        let btf = valid(o).build();
        let ext = good_ext(o).build();
        let mut a = ElfAsm::new(o);
        a.section(".text", &[0; 16])
            .section(".BTF", &btf)
            .section(".BTF.ext", &ext);
        let elf = a.build();
        let e = ElfBtf::parse(&elf).unwrap();
        assert_eq!(e.big_endian, o.is_big());
        assert!(e.is_bpf);
        assert_eq!(e.btf.as_deref(), Some(&btf[..]));
        assert_eq!(e.btf_ext.as_deref(), Some(&ext[..]));
        assert!(e.btf_file_offset.is_some());

        // No .BTF at all.
        let mut a = ElfAsm::new(o);
        a.section(".text", &[0; 8]);
        let elf = a.build();
        let e = ElfBtf::parse(&elf).unwrap();
        assert!(e.btf.is_none() && e.btf_ext.is_none());

        // Malformed BTF inside a good ELF is reported by Btf::parse.
        let mut a = ElfAsm::new(o);
        a.section(".BTF", &btf[..20]);
        let elf = a.build();
        let e = ElfBtf::parse(&elf).unwrap();
        assert!(matches!(
            Btf::parse(e.btf.as_deref().unwrap()),
            Err(Error::TooShort { .. })
        ));
    }
}

#[test]
fn elf_compressed_sections() {
    for o in Order::BOTH {
        let btf = valid(o).build();
        // Well-formed zlib: decompressed transparently.
        let mut a = ElfAsm::new(o);
        a.compressed_section(
            ".BTF",
            ELFCOMPRESS_ZLIB,
            btf.len() as u64,
            &zlib_stored(&btf),
        );
        let elf = a.build();
        let e = ElfBtf::parse(&elf).unwrap();
        assert_eq!(e.btf.as_deref(), Some(&btf[..]));

        // Declared size does not match the data.
        let mut a = ElfAsm::new(o);
        a.compressed_section(
            ".BTF",
            ELFCOMPRESS_ZLIB,
            btf.len() as u64 + 1,
            &zlib_stored(&btf),
        );
        assert!(matches!(elf_err(&a.build()), Error::Elf(_)));

        // Corrupt stream, unknown compression type.
        let mut a = ElfAsm::new(o);
        a.compressed_section(".BTF", ELFCOMPRESS_ZLIB, 64, b"\x78\x01garbage");
        assert!(matches!(elf_err(&a.build()), Error::Elf(_)));
        let mut a = ElfAsm::new(o);
        a.compressed_section(".BTF", 99, 64, &[0; 16]);
        assert!(matches!(elf_err(&a.build()), Error::Elf(_)));
        let mut a = ElfAsm::new(o);
        a.compressed_section(".BTF.ext", ELFCOMPRESS_ZSTD, 64, &[0; 16]);
        assert!(matches!(elf_err(&a.build()), Error::Elf(_)));
    }
}

#[test]
fn elf_compressed_section_with_absurd_size_does_not_allocate_it() {
    // ch_size claims gigabytes for a few bytes of payload. Reading must fail
    // without reserving anything of that size (elf_err checks the largest
    // allocation).
    for o in Order::BOTH {
        for (ty, size) in [
            (ELFCOMPRESS_ZLIB, 3u64 << 30),
            (ELFCOMPRESS_ZLIB, 1 << 40),
            (ELFCOMPRESS_ZLIB, u64::MAX),
            (ELFCOMPRESS_ZSTD, 3 << 30),
        ] {
            let mut a = ElfAsm::new(o);
            a.compressed_section(".BTF", ty, size, &zlib_stored(b"\0\0\0\0"));
            let e = elf_err(&a.build());
            assert!(matches!(e, Error::Elf(_)), "{e:?}");
            names(&e, &[".BTF"]);
        }
    }
}

#[test]
fn elf_zstd_section_decompresses() {
    for o in Order::BOTH {
        // 3 × 1000 bytes of 0x41, honestly declared.
        let frame = zstd_rle_frame(3, 1000, 0x41);
        let mut a = ElfAsm::new(o);
        a.compressed_section(".BTF.ext", ELFCOMPRESS_ZSTD, 3000, &frame);
        let elf = a.build();
        let e = ElfBtf::parse(&elf).unwrap();
        assert_eq!(e.btf_ext.as_deref(), Some(&[0x41; 3000][..]));
    }
}

#[test]
fn elf_zstd_bomb_is_not_inflated_past_its_declared_size() {
    // 256 RLE blocks of 128 KiB: 32 MiB from about 1 KiB, declared as 4 KiB
    // (a plausible ratio). Decompression must stop at the declared size.
    for o in Order::BOTH {
        let frame = zstd_rle_frame(256, 128 * 1024, 0);
        let mut a = ElfAsm::new(o);
        a.compressed_section(".BTF", ELFCOMPRESS_ZSTD, 4096, &frame);
        let e = elf_err(&a.build());
        assert!(matches!(e, Error::Elf(_)), "{e:?}");
        names(&e, &[".BTF"]);
    }
}

// ---- writer limits -------------------------------------------------------------------

#[test]
fn writer_rejects_vlen_overflow() {
    let mut b = BtfBuilder::new();
    b.add(btf_core::write::OwnedType {
        name: btf_core::StrOffset(0),
        kind: Kind::Unknown(20),
        kflag: false,
        size_or_type: 0,
        body: btf_core::write::Body::Unknown {
            vlen: 1 << 24,
            data: Vec::new(),
        },
    });
    let e = b.write(Endian::Little).unwrap_err();
    assert!(matches!(e, Error::Write { id: TypeId(1), .. }), "{e:?}");
    names(&e, &["type [1]", "vlen 16777216"]);
}

#[test]
fn patched_info_words() {
    // Flip a valid record's info word to every kind number: the parser must
    // either accept or return a located error, in both orders.
    for o in Order::BOTH {
        let a = valid(o);
        let blob = a.build();
        let at = a.type_offset(2) + 4;
        for k in 0..=0x7fu32 {
            for vlen in [0u32, 1, 0xffff, 0x00ff_ffff] {
                let mut b = blob.clone();
                patch_u32(&mut b, o, at, k << 24 | vlen);
                let (r, largest) = largest_alloc(|| Btf::parse(&b).map(|x| x.len()));
                assert!(largest <= alloc_budget(b.len()));
                if let Err(e) = r {
                    let msg = e.to_string();
                    assert!(msg.contains("offset"), "{msg}");
                }
            }
        }
    }
}
