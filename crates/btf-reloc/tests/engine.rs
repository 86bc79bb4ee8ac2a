//! Engine tests on hand-assembled BTF, every case in both byte orders.

use bpf_obj::Insn;
use btf_core::ext::{CoreRelo, CoreReloKind as K};
use btf_core::{Btf, StrOffset, TypeId};
use btf_reloc::{
    plan, resolve, BtfView, Error, FuncInsns, Location, Options, PoisonReason, Record, Semantics,
    Status, Target, Targets,
};
use btf_testutil::{BtfAsm, Order};

const SIGNED: u8 = 1;

fn rec(i: usize, root: u32, access: u32, kind: K) -> Record {
    Record {
        location: Location {
            section: "prog".into(),
            record: i,
            ext_offset: 32 + 16 * i,
            insn: i as u32,
        },
        relo: CoreRelo {
            insn_off: 8 * i as u32,
            type_id: TypeId(root),
            access_str: StrOffset(access),
            kind,
        },
    }
}

/// Per record: the target (id, raw spec) if one matched, the new value and
/// whether it poisons; or the error.
type Outcomes = Vec<Result<(Option<(u32, Vec<u32>)>, u64, bool), Error>>;

/// Resolves `records` and returns (status, value) or the error per record.
fn run(local: &[u8], target: &[u8], records: &[Record], sem: Semantics) -> Outcomes {
    let lb = Btf::parse(local).unwrap();
    let tb = Btf::parse(target).unwrap();
    let lv = BtfView::new(&lb);
    let targets = Targets::new(Target::new("t", &tb));
    resolve(
        &lv,
        records,
        &targets,
        &Options {
            semantics: sem,
            ..Options::default()
        },
    )
    .into_iter()
    .map(|r| {
        r.map(|res| {
            let t = res.target().map(|(c, s)| (c.id.0, s.raw().to_vec()));
            (t, res.calc.new_val, res.calc.poison)
        })
        .map_err(|e| e.error)
    })
    .collect()
}

/// `struct s { int a; int b; }` locally; target has `s___1 {a, b}` and
/// `s___2 {b, x}`: libbpf's result depends on record order (CORE.md §4.9).
fn ambiguity(order: Order) -> (Vec<u8>, Vec<u8>, u32, u32, u32) {
    let mut l = BtfAsm::new(order);
    let int = l.int("int", 4, SIGNED, 32);
    let s = l.struct_("s", 8, false, &[("a", int, 0), ("b", int, 32)]);
    let a = l.str("0:0");
    let b = l.str("0:1");
    let mut t = BtfAsm::new(order);
    let tint = t.int("int", 4, SIGNED, 32);
    t.struct_("s___1", 8, false, &[("a", tint, 0), ("b", tint, 32)]);
    t.struct_("s___2", 8, false, &[("b", tint, 0), ("x", tint, 32)]);
    (l.build(), t.build(), s, a, b)
}

#[test]
fn libbpf_pruning_is_order_dependent_btfkit_is_not() {
    for order in Order::BOTH {
        let (l, t, s, a, b) = ambiguity(order);
        let ab = [
            rec(0, s, a, K::FieldByteOffset),
            rec(1, s, b, K::FieldByteOffset),
        ];
        let ba = [
            rec(0, s, b, K::FieldByteOffset),
            rec(1, s, a, K::FieldByteOffset),
        ];
        // libbpf: a then b succeeds (a prunes to s___1), b then a fails.
        let r = run(&l, &t, &ab, Semantics::Libbpf);
        assert_eq!(r[0].as_ref().unwrap().1, 0);
        assert_eq!(r[1].as_ref().unwrap().1, 4);
        let r = run(&l, &t, &ba, Semantics::Libbpf);
        assert!(
            matches!(
                r[0],
                Err(Error::OffsetAmbiguity {
                    first_bits: 32,
                    second_bits: 0,
                    ..
                })
            ),
            "{r:?}"
        );
        // btfkit: both orders give a = 0, b = 4 (s___1 matches both records).
        for recs in [&ab, &ba] {
            let r = run(&l, &t, recs, Semantics::Btfkit);
            for (rec, res) in recs.iter().zip(&r) {
                let want = if rec.relo.access_str.0 == a { 0 } else { 4 };
                let (target, v, _) = res.as_ref().unwrap();
                assert_eq!(*v, want);
                assert_eq!(target.as_ref().unwrap().0, 2, "s___1 is type 2");
            }
        }
    }
}

#[test]
fn enum_sign_extension_differs() {
    for order in Order::BOTH {
        let mut l = BtfAsm::new(order);
        let e = l.enum_("e", 4, false, &[("A", 1), ("BIG", 0xefff_ffff)]);
        let acc = l.str("1");
        let mut t = BtfAsm::new(order);
        t.enum_("e___v2", 4, false, &[("BIG", 0xefff_ffff)]);
        let recs = [rec(0, e, acc, K::EnumvalValue)];
        let (l, t) = (l.build(), t.build());
        let r = run(&l, &t, &recs, Semantics::Btfkit);
        assert_eq!(r[0].as_ref().unwrap().1, 0xefff_ffff);
        let r = run(&l, &t, &recs, Semantics::Libbpf);
        assert_eq!(r[0].as_ref().unwrap().1, 0xffff_ffff_efff_ffff);
    }
}

#[test]
fn enum_matches_enum64_and_missing_enumerator() {
    for order in Order::BOTH {
        let mut l = BtfAsm::new(order);
        let e = l.enum_("e", 4, false, &[("A", 1), ("B", 2), ("GONE", 3)]);
        let b = l.str("1");
        let gone = l.str("2");
        let mut t = BtfAsm::new(order);
        t.enum64("e", 8, false, &[("B___x", 1 << 40), ("A", 7)]);
        let recs = [
            rec(0, e, b, K::EnumvalValue),
            rec(1, e, gone, K::EnumvalValue),
            rec(2, e, gone, K::EnumvalExists),
        ];
        let r = run(&l.build(), &t.build(), &recs, Semantics::Btfkit);
        assert_eq!(
            r[0].as_ref().unwrap().1,
            1 << 40,
            "flavored enumerator of an ENUM64"
        );
        assert!(r[1].as_ref().unwrap().2, "missing enumerator value poisons");
        assert_eq!(r[2].as_ref().unwrap(), &(None, 0, false));
    }
}

/// Local `struct t { int x; struct { int y; int arr[4]; }; u32 bf:3; }`.
#[test]
fn anonymous_members_arrays_and_bitfields() {
    for order in Order::BOTH {
        let mut l = BtfAsm::new(order);
        let int = l.int("int", 4, SIGNED, 32);
        let u32_ = l.int("unsigned int", 4, 0, 32);
        let sz = l.int("__ARRAY_SIZE_TYPE__", 4, 0, 32);
        let arr = l.array(int, sz, 4);
        let anon = l.struct_("", 20, false, &[("y", int, 0), ("arr", arr, 32)]);
        let t_ = l.struct_(
            "t",
            28,
            true,
            &[("x", int, 0), ("", anon, 32), ("bf", u32_, 3 << 24 | 192)],
        );
        let y = l.str("0:1:0");
        let arr2 = l.str("0:1:1:2");
        let bf = l.str("0:2");
        // Target: y and arr moved, inside a nested anonymous union; bf moved
        // so it straddles a 4-byte boundary.
        let mut t = BtfAsm::new(order);
        let tint = t.int("int", 4, SIGNED, 32);
        let tu32 = t.int("unsigned int", 4, 0, 32);
        let tsz = t.int("__ARRAY_SIZE_TYPE__", 4, 0, 32);
        let tarr = t.array(tint, tsz, 8);
        let inner = t.struct_(
            "",
            36,
            false,
            &[("pad", tint, 0), ("y", tint, 32), ("arr", tarr, 64)],
        );
        let un = t.union_("", 36, false, &[("", inner, 0)]);
        t.struct_(
            "t",
            64,
            true,
            &[
                ("x", tint, 0),
                ("z", tint, 32),
                ("", un, 64),
                ("bf", tu32, 3 << 24 | (46 * 8 + 7)),
            ],
        );
        let recs = [
            rec(0, t_, y, K::FieldByteOffset),
            rec(1, t_, arr2, K::FieldByteOffset),
            rec(2, t_, bf, K::FieldByteOffset),
            rec(3, t_, bf, K::FieldByteSize),
            rec(4, t_, bf, K::FieldLshiftU64),
            rec(5, t_, bf, K::FieldRshiftU64),
            rec(6, t_, bf, K::FieldSigned),
        ];
        let r = run(&l.build(), &t.build(), &recs, Semantics::Btfkit);
        let v = |i: usize| r[i].as_ref().unwrap().1;
        let (target, _, _) = r[0].as_ref().unwrap();
        assert_eq!(
            target.as_ref().unwrap().1,
            [0, 2, 0, 1],
            "raw spec through two anonymous members"
        );
        assert_eq!(v(0), 8 + 4);
        assert_eq!(v(1), 8 + 8 + 2 * 4);
        // bit 375..378: a 4-byte load at 44 covers bits 352..383.
        assert_eq!(v(2), 44);
        assert_eq!(v(3), 4);
        let lshift = match order {
            Order::Little => 64 - (375 + 3 - 44 * 8),
            Order::Big => (8 - 4) * 8 + (375 - 44 * 8),
        };
        assert_eq!(v(4), lshift, "LSHIFT by the object's byte order");
        assert_eq!(v(5), 61);
        assert_eq!(v(6), 0);
    }
}

#[test]
fn bitfield_needing_more_than_8_bytes_is_an_error() {
    let mut l = BtfAsm::new(Order::Little);
    let u64_ = l.int("unsigned long", 8, 0, 64);
    let s = l.struct_("s", 16, true, &[("bf", u64_, 60 << 24 | 4)]);
    let acc = l.str("0:0");
    let mut t = BtfAsm::new(Order::Little);
    let tu64 = t.int("unsigned long", 8, 0, 64);
    t.struct_("s", 16, true, &[("bf", tu64, 60 << 24 | 36)]);
    let r = run(
        &l.build(),
        &t.build(),
        &[rec(0, s, acc, K::FieldByteOffset)],
        Semantics::Btfkit,
    );
    assert!(matches!(r[0], Err(Error::BitfieldTooBig { .. })), "{r:?}");
}

#[test]
fn type_kinds_and_missing_targets() {
    for order in Order::BOTH {
        let mut l = BtfAsm::new(order);
        let int = l.int("int", 4, SIGNED, 32);
        let s = l.struct_("s", 4, false, &[("a", int, 0)]);
        let td = l.typedef("s_t", s);
        let missing = l.struct_("nope", 4, false, &[("a", int, 0)]);
        let zero = l.str("0");
        let mut t = BtfAsm::new(order);
        let tint = t.int("int", 4, SIGNED, 32);
        let ts = t.struct_(
            "s",
            12,
            false,
            &[("a", tint, 0), ("b", tint, 32), ("c", tint, 64)],
        );
        t.typedef("s_t", ts);
        let recs = [
            rec(0, s, zero, K::TypeExists),
            rec(1, s, zero, K::TypeSize),
            rec(2, s, zero, K::TypeIdTarget),
            rec(3, td, zero, K::TypeMatches),
            rec(4, missing, zero, K::TypeSize),
            rec(5, missing, zero, K::TypeIdTarget),
            rec(6, missing, zero, K::TypeExists),
            rec(7, missing, zero, K::TypeIdLocal),
        ];
        let r = run(&l.build(), &t.build(), &recs, Semantics::Btfkit);
        let v: Vec<(u64, bool)> = r
            .iter()
            .map(|r| {
                let r = r.as_ref().unwrap();
                (r.1, r.2)
            })
            .collect();
        assert_eq!(
            v,
            [
                (1, false),
                (12, false),
                (2, false),
                (1, false),
                (0, false),
                (0, false),
                (0, false),
                (u64::from(missing), false)
            ]
        );
    }
}

#[test]
fn type_matches_is_strict() {
    let mut l = BtfAsm::new(Order::Little);
    let int = l.int("int", 4, SIGNED, 32);
    let s = l.struct_("s", 8, false, &[("a", int, 0), ("b", int, 32)]);
    let zero = l.str("0");
    let mut t = BtfAsm::new(Order::Little);
    let uint = t.int("unsigned int", 4, 0, 32);
    t.struct_("s", 8, false, &[("a", uint, 0), ("b", uint, 32)]);
    let r = run(
        &l.build(),
        &t.build(),
        &[
            rec(0, s, zero, K::TypeMatches),
            rec(1, s, zero, K::TypeExists),
        ],
        Semantics::Btfkit,
    );
    assert_eq!(r[0].as_ref().unwrap().1, 0, "signedness differs: no match");
    assert_eq!(r[1].as_ref().unwrap().1, 1, "but the type exists");
}

#[test]
fn bad_access_strings_and_ids_are_errors() {
    let mut l = BtfAsm::new(Order::Little);
    let int = l.int("int", 4, SIGNED, 32);
    let s = l.struct_("s", 4, false, &[("a", int, 0)]);
    let anon = l.struct_("", 4, false, &[("a", int, 0)]);
    let cases = [
        (l.str("0:5"), s, K::FieldByteOffset),
        (l.str("0:-1"), s, K::FieldByteOffset),
        (l.str(":0"), s, K::FieldByteOffset),
        (l.str("0:0:0"), s, K::FieldByteOffset),
        (l.str("1"), s, K::TypeExists),
        (l.str("0"), s, K::EnumvalExists),
        (l.str("0:0"), anon, K::FieldByteOffset),
        (l.str("0:0"), 99, K::FieldByteOffset),
        (0xffff, s, K::FieldByteOffset),
        (l.str("0:0"), s, K::Unknown(13)),
    ];
    let recs: Vec<Record> = cases
        .iter()
        .enumerate()
        .map(|(i, &(a, r, k))| rec(i, r, a, k))
        .collect();
    let lb = l.build();
    let r = run(&lb, &lb, &recs, Semantics::Btfkit);
    let errs: Vec<&Error> = r.iter().map(|r| r.as_ref().unwrap_err()).collect();
    assert!(matches!(
        errs[0],
        Error::MemberOutOfRange {
            position: 1,
            index: 5,
            ..
        }
    ));
    assert!(matches!(errs[1], Error::AccessSyntax { position: 1, .. }));
    assert!(matches!(errs[2], Error::EmptyAccess { .. }));
    assert!(matches!(errs[3], Error::UnexpectedKind { position: 2, .. }));
    assert!(matches!(errs[4], Error::TypeAccessNotZero { .. }));
    assert!(matches!(errs[5], Error::NotAnEnum { .. }));
    assert!(matches!(errs[6], Error::AnonymousRoot { .. }));
    assert!(matches!(errs[7], Error::RootOutOfRange { .. }));
    assert!(matches!(errs[8], Error::AccessStrOutOfRange(0xffff)));
    assert!(matches!(errs[9], Error::UnknownKind(13)));
}

/// Plans `kind` on `insns` for local `int a; long b;` → target where `a`
/// is `long` and `b` sits at 64000.
fn patch_case(
    kind: K,
    access: &str,
    insns: &[Insn],
    sem: Semantics,
) -> Result<btf_reloc::Fixup, Error> {
    let mut l = BtfAsm::new(Order::Little);
    let uint = l.int("unsigned int", 4, 0, 32);
    let long = l.int("long", 8, SIGNED, 64);
    let s = l.struct_(
        "s",
        16,
        false,
        &[("a", uint, 0), ("b", long, 64), ("c", long, 128 - 64)],
    );
    let acc = l.str(access);
    let mut t = BtfAsm::new(Order::Little);
    let tulong = t.int("unsigned long", 8, 0, 64);
    let tint = t.int("int", 4, SIGNED, 32);
    t.struct_(
        "s",
        64008,
        false,
        &[("a", tulong, 0), ("c", tint, 64), ("b", tulong, 64000 * 8)],
    );
    let (lb, tb) = (l.build(), t.build());
    let (lb, tb) = (Btf::parse(&lb).unwrap(), Btf::parse(&tb).unwrap());
    let lv = BtfView::new(&lb);
    let targets = Targets::new(Target::new("t", &tb));
    let mut res = resolve(
        &lv,
        &[rec(0, s, acc, kind)],
        &targets,
        &Options {
            semantics: sem,
            ..Options::default()
        },
    );
    let res = res.remove(0).map_err(|e| e.error)?;
    plan(&res, FuncInsns { insns, start: 0 }, 0, sem)
}

fn ldx(size_code: u8, off: i16) -> Insn {
    Insn {
        code: 0x61 | size_code,
        dst: 1,
        src: 2,
        off,
        imm: 0,
    }
}

#[test]
fn patching_as_libbpf() {
    for sem in [Semantics::Btfkit, Semantics::Libbpf] {
        // LDX of an unsigned field that grows: offset and size rewritten.
        let fx = patch_case(K::FieldByteOffset, "0:0", &[ldx(0x00, 0)], sem).unwrap();
        assert_eq!(fx.status, Status::Ok);
        assert_eq!(fx.mem_size, Some((4, 8)));
        assert_eq!(fx.slots()[0].new.code, 0x79);
        // A signed field changing size: poisoned.
        let fx = patch_case(K::FieldByteOffset, "0:2", &[ldx(0x18, 8)], sem).unwrap();
        assert_eq!(
            fx.status,
            Status::Poisoned(PoisonReason::UnsafeSizeChange {
                local: 8,
                target: 4
            })
        );
        assert_eq!(fx.slots()[0].new, Insn::call(0xbad2310));
        // Offset beyond 32767 on a load: error; on an ALU: written as is.
        let e = patch_case(K::FieldByteOffset, "0:1", &[ldx(0x18, 8)], sem).unwrap_err();
        assert!(matches!(e, Error::OffTooBig { value: 64000, .. }));
        let alu = Insn {
            code: 0x07,
            dst: 1,
            src: 0,
            off: 0,
            imm: 8,
        };
        let fx = patch_case(K::FieldByteOffset, "0:1", &[alu], sem).unwrap();
        assert_eq!(fx.slots()[0].new.imm, 64000);
        // The instruction must hold the local value.
        let wrong = Insn { imm: 9, ..alu };
        let e = patch_case(K::FieldByteOffset, "0:1", &[wrong], sem).unwrap_err();
        assert!(
            matches!(
                e,
                Error::UnexpectedValue {
                    expected: 8,
                    new: 64000,
                    ..
                }
            ),
            "{e}"
        );
        // LD_IMM64: both halves; poison replaces both.
        let lo = Insn {
            code: 0x18,
            dst: 1,
            src: 0,
            off: 0,
            imm: 8,
        };
        let hi = Insn::default();
        let fx = patch_case(K::FieldByteSize, "0:1", &[lo, hi], sem).unwrap();
        assert_eq!(fx.slots().len(), 2);
        let e = patch_case(K::FieldByteSize, "0:1", &[lo], sem).unwrap_err();
        assert!(matches!(e, Error::BadLdImm64 { .. }));
        // A jump cannot be relocated.
        let ja = Insn {
            code: 0x05,
            ..Insn::default()
        };
        assert!(matches!(
            patch_case(K::FieldExists, "0:0", &[ja], sem),
            Err(Error::UnrecognizedInsn { .. })
        ));
        // Register-source ALU cannot be relocated.
        let x = Insn { code: 0x0f, ..alu };
        assert!(matches!(
            patch_case(K::FieldByteOffset, "0:1", &[x], sem),
            Err(Error::SrcNotImm { .. })
        ));
    }
}

#[test]
fn poisoned_ld_imm64_replaces_both_slots() {
    let mut l = BtfAsm::new(Order::Big);
    let e = l.enum_("e", 4, false, &[("A", 1)]);
    let acc = l.str("0");
    let mut t = BtfAsm::new(Order::Big);
    t.enum_("e", 4, false, &[("Z", 1)]);
    let (lb, tb) = (l.build(), t.build());
    let (lb, tb) = (Btf::parse(&lb).unwrap(), Btf::parse(&tb).unwrap());
    let lv = BtfView::new(&lb);
    let targets = Targets::new(Target::new("t", &tb));
    let res = resolve(
        &lv,
        &[rec(0, e, acc, K::EnumvalValue)],
        &targets,
        &Options::default(),
    )
    .remove(0)
    .unwrap();
    let insns = [
        Insn {
            code: 0x18,
            dst: 0,
            src: 0,
            off: 0,
            imm: 1,
        },
        Insn::default(),
    ];
    let fx = plan(
        &res,
        FuncInsns {
            insns: &insns,
            start: 0,
        },
        0,
        Semantics::Btfkit,
    )
    .unwrap();
    assert_eq!(fx.status, Status::Poisoned(PoisonReason::NoTarget));
    assert!(fx.slots().iter().all(|s| s.new == Insn::call(0xbad2310)));
    assert_eq!(fx.to_string(), "enumval_value=poison");
}

/// Candidates come from the main BTF; module BTF (split on it) is searched
/// only when the main BTF has none, as libbpf does.
#[test]
fn module_btf_is_searched_only_without_main_candidates() {
    for order in Order::BOTH {
        let mut l = BtfAsm::new(order);
        let int = l.int("int", 4, SIGNED, 32);
        let in_main = l.struct_("in_main", 4, false, &[("a", int, 0)]);
        let in_mod = l.struct_("in_mod", 8, false, &[("a", int, 0), ("b", int, 32)]);
        let acc = l.str("0:1");
        let acc0 = l.str("0:0");
        let zero = l.str("0");
        let mut base = BtfAsm::new(order);
        let bint = base.int("int", 4, SIGNED, 32);
        base.struct_("in_main", 4, false, &[("a", bint, 0)]);
        let base_count = base.type_count();
        let base_str = base.str_len_total();
        let mut m = BtfAsm::split(order, base_count, base_str);
        // The module's copy of in_main is never used; in_mod only exists here.
        m.struct_("in_main", 8, false, &[("x", bint, 0), ("a", bint, 32)]);
        let mid = m.struct_(
            "in_mod",
            12,
            false,
            &[("z", bint, 0), ("a", bint, 32), ("b", bint, 64)],
        );
        let (lb, bb, mb) = (l.build(), base.build(), m.build());
        let lb = Btf::parse(&lb).unwrap();
        let bb = Btf::parse(&bb).unwrap();
        let mb = Btf::parse_split(&mb, &bb).unwrap();
        let mut targets = Targets::new(Target::new("vmlinux", &bb));
        targets.add_module(Target::new("mod", &mb));
        let recs = [
            rec(0, in_main, acc0, K::FieldByteOffset),
            rec(1, in_mod, acc, K::FieldByteOffset),
            rec(2, in_mod, zero, K::TypeIdTarget),
        ];
        let lv = BtfView::new(&lb);
        // The one-pass search for all roots agrees with the per-root one.
        let ids: Vec<TypeId> = (0..=lb.last_id().0).map(TypeId).collect();
        let many = targets.find_cands_many(&lv, ids.iter().copied());
        for id in &ids {
            assert_eq!(many[id], targets.find_cands(&lv, *id), "root [{id}]");
        }
        let r = resolve(&lv, &recs, &targets, &Options::default());
        let r: Vec<_> = r.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(r[0].target().unwrap().0.target, 0);
        assert_eq!(r[0].calc.new_val, 0);
        assert_eq!(r[1].target().unwrap().0.target, 1, "found in the module");
        assert_eq!(r[1].calc.new_val, 8);
        assert_eq!(
            r[2].calc.new_val,
            u64::from(mid),
            "module type ids continue the base's"
        );
    }
}
