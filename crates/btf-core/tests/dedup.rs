//! Deduplication (`btf_core::dedup`): the small cases of libbpf's dedup
//! (DWARF2BTF.md §7.3), real kernel BTF (already deduplicated: nothing
//! changes; two copies: one, VAR and DATASEC aside), the BPF fixture
//! objects, and generated multi-unit BTF (proptest): structure kept, result
//! idempotent, every written blob accepted by the kernel where the input is.
//!
//! Tests that need a missing file or `bpf(2)` print a loud SKIP, or fail
//! under `BTFKIT_REQUIRE_ORACLES=1`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use btf_core::dedup::{dedup, dedup_btf, DedupOptions, DedupStream, Deduped};
use btf_core::elf::ElfBtf;
use btf_core::types::{Linkage, VarSecinfo, INT_SIGNED};
use btf_core::write::{Body, OwnedType, PackedBtf};
use btf_core::{Btf, BtfBuilder, Endian, Error, Kind, StrOffset, Type, TypeData, TypeId};
use proptest::prelude::*;

// ---- helpers ---------------------------------------------------------------------------

const VMLINUX: &str = "/sys/kernel/btf/vmlinux";
const REQUIRE_ORACLES_ENV: &str = "BTFKIT_REQUIRE_ORACLES";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Prints a SKIP line past the test harness's capture, or panics when
/// oracles are required.
fn skip(test: &str, why: &str) {
    if std::env::var(REQUIRE_ORACLES_ENV).is_ok_and(|v| v == "1") {
        panic!("{test}: {why}, and {REQUIRE_ORACLES_ENV}=1 forbids skipping");
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIP: {test}: {why} (set {REQUIRE_ORACLES_ENV}=1 to make this a failure)"
    );
}

/// Reports a finding past the capture, so `cargo test` shows it.
fn report(test: &str, what: &str) {
    let _ = writeln!(std::io::stderr(), "{test}: {what}");
}

/// The 6.1 kernel's BTF, gunzipped once.
fn kernel_61() -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| {
        let gz = repo_root().join("fixtures/kernel/linux-6.1.0-56-cloud.btf.gz");
        let raw = std::fs::read(&gz).unwrap_or_else(|e| panic!("{}: {e}", gz.display()));
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .expect("gunzip the kernel fixture");
        out
    })
}

/// The running kernel's BTF, or `None` (after a SKIP line).
fn sysfs_vmlinux(test: &str) -> Option<Vec<u8>> {
    match std::fs::read(VMLINUX) {
        Ok(b) if !b.is_empty() => Some(b),
        _ => {
            skip(test, &format!("{VMLINUX} is not readable"));
            None
        }
    }
}

/// Whether the kernel accepts `bytes`.
fn loads(bytes: &[u8]) -> Result<(), String> {
    btf_sys::load_btf(bytes, 0)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Asserts the kernel accepts `out` if it accepts `input` (skips without
/// `bpf(2)`).
fn assert_loads_where_input_does(test: &str, input: &[u8], out: &[u8]) {
    if !btf_sys::require_bpf_or_skip(test) {
        return;
    }
    if loads(input).is_ok() {
        if let Err(e) = loads(out) {
            panic!("{test}: the kernel accepts the input but not the dedup output: {e}");
        }
    }
}

fn default_opts() -> DedupOptions {
    DedupOptions::default()
}

fn write(d: &Deduped, e: Endian) -> Vec<u8> {
    d.builder.write(e).expect("write the dedup output")
}

/// Types per kind.
fn census<'a>(kinds: impl Iterator<Item = Kind> + 'a) -> BTreeMap<Kind, usize> {
    let mut m = BTreeMap::new();
    for k in kinds {
        *m.entry(k).or_default() += 1;
    }
    m
}

fn btf_census(btf: &Btf<'_>) -> BTreeMap<Kind, usize> {
    census(btf.own_types().map(|t| t.kind()))
}

/// One type as text with names resolved, so types of different blobs (or
/// string sections) compare by content.
fn describe(btf: &Btf<'_>, t: &Type<'_>) -> String {
    let name = |o: StrOffset| String::from_utf8_lossy(btf.name(o).unwrap_or(b"<bad>")).into_owned();
    let mut s = format!(
        "{} '{}' info={:#x} {}",
        t.kind(),
        name(t.name_off()),
        t.info(),
        t.size_or_type()
    );
    match t.data() {
        TypeData::Struct(ms) | TypeData::Union(ms) => {
            for m in ms {
                s += &format!(" {}:{}@{:#x}", name(m.name), m.type_id, m.raw_offset);
            }
        }
        TypeData::Enum(vs) | TypeData::Enum64(vs) => {
            for v in vs {
                s += &format!(" {}={:#x}", name(v.name), v.bits);
            }
        }
        TypeData::FuncProto(_, ps) => {
            for p in ps {
                s += &format!(" {}:{}", name(p.name), p.type_id);
            }
        }
        TypeData::Datasec(vs) => {
            for v in vs {
                s += &format!(" {}@{}+{}", v.type_id, v.offset, v.size);
            }
        }
        TypeData::Int(i) => s += &format!(" {:#x}", i.raw),
        TypeData::Array(a) => s += &format!(" {:?}", a),
        TypeData::Var(_, l) => s += &format!(" {l:?}"),
        TypeData::DeclTag(_, idx) => s += &format!(" {idx}"),
        _ => {}
    }
    s
}

/// The raw BTF of each BPF fixture object.
fn fixture_objects() -> Vec<(PathBuf, Vec<u8>)> {
    let dir = repo_root().join("fixtures/obj");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".el.o") || n.ends_with(".eb.o")
        })
        .collect();
    v.sort();
    assert!(
        v.len() >= 10,
        "expected the BPF fixture objects, found {v:?}"
    );
    v.into_iter()
        .map(|p| {
            let data = std::fs::read(&p).unwrap();
            let elf = ElfBtf::parse(&data).unwrap();
            let btf = elf.btf.expect("fixture has .BTF").into_owned();
            (p, btf)
        })
        .collect()
}

fn names(b: &BtfBuilder, kind: Kind) -> Vec<String> {
    b.types()
        .iter()
        .filter(|t| t.kind == kind)
        .map(|t| String::from_utf8_lossy(b.strings().get(t.name).unwrap_or(b"?")).into_owned())
        .collect()
}

// ---- small cases ------------------------------------------------------------------------

/// libbpf's dedup comment example: two units each know only part of the
/// picture (`struct S`, `A`, `B` as FWDs or definitions); dedup resolves
/// every FWD and leaves one of each.
#[test]
fn cross_unit_forward_declarations_resolve() {
    let mut b = BtfBuilder::new();
    for unit in 0..2 {
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        let fwd = |b: &mut BtfBuilder, n: &str| {
            let s = b.add_str(n);
            b.add(OwnedType::fwd(s, false))
        };
        // Unit 0 defines A and S; unit 1 defines B and S.
        let (a, bb) = if unit == 0 {
            let a = b.add_composite(false, "A", 24, &[]);
            (a, fwd(&mut b, "B"))
        } else {
            let bb = b.add_composite(false, "B", 24, &[]);
            (fwd(&mut b, "A"), bb)
        };
        let s = b.add_composite(false, "S", 16, &[]);
        let pa = b.add(OwnedType::ptr(a));
        let pb = b.add(OwnedType::ptr(bb));
        let ps = b.add(OwnedType::ptr(s));
        let members = |b: &mut BtfBuilder, list: &[(&str, TypeId, u32)]| {
            list.iter()
                .map(|&(n, t, off)| btf_core::types::Member {
                    name: b.add_str(n),
                    type_id: t,
                    raw_offset: off,
                    kflag: false,
                })
                .collect::<Vec<_>>()
        };
        let sm = members(&mut b, &[("a_ptr", pa, 0), ("b_ptr", pb, 64)]);
        b.get_mut(s).unwrap().body = Body::Members(sm);
        if unit == 0 {
            let am = members(
                &mut b,
                &[("a", int, 0), ("self", pa, 64), ("parent", ps, 128)],
            );
            b.get_mut(a).unwrap().body = Body::Members(am);
        } else {
            let bm = members(
                &mut b,
                &[("b", int, 0), ("self", pb, 64), ("parent", ps, 128)],
            );
            b.get_mut(bb).unwrap().body = Body::Members(bm);
        }
    }
    let out = dedup(b, None, &default_opts()).unwrap();
    let c = census(out.builder.types().iter().map(|t| t.kind));
    assert_eq!(c.get(&Kind::Fwd), None, "{c:?}");
    assert_eq!(c[&Kind::Struct], 3);
    assert_eq!(c[&Kind::Ptr], 3);
    assert_eq!(c[&Kind::Int], 1);
    assert_eq!(out.builder.len(), 7);
    let bytes = write(&out, Endian::Little);
    Btf::parse(&bytes).unwrap();
    assert_loads_where_input_does("cross_unit_forward_declarations_resolve", &bytes, &bytes);
}

/// `enum e;` in one unit, `enum e : 64-bit` in another: the forward merges
/// into the ENUM64, whichever comes first.
#[test]
fn enum_forward_resolves_to_enum64() {
    for fwd_first in [true, false] {
        let mut b = BtfBuilder::new();
        let mut ptrs = Vec::new();
        let mut add_unit = |b: &mut BtfBuilder, fwd: bool| {
            let e = if fwd {
                b.add_enum("e", 4, false, &[])
            } else {
                b.add_enum("e", 8, false, &[("BIG", 1 << 40)])
            };
            ptrs.push(b.add(OwnedType::ptr(e)));
        };
        add_unit(&mut b, fwd_first);
        add_unit(&mut b, !fwd_first);
        let out = dedup(b, None, &default_opts()).unwrap();
        let kinds: Vec<Kind> = out.builder.types().iter().map(|t| t.kind).collect();
        assert_eq!(kinds.iter().filter(|k| k.is_enum()).count(), 1, "{kinds:?}");
        assert!(kinds.contains(&Kind::Enum64));
        assert_eq!(kinds.iter().filter(|&&k| k == Kind::Ptr).count(), 1);
        assert_eq!(out.id_map.get(ptrs[0]), out.id_map.get(ptrs[1]));
    }
}

/// A unit that emitted two identical `int[4]` for two fields still matches
/// a unit that shares one (libbpf's identical-types check).
#[test]
fn duplicate_identical_arrays_in_one_unit() {
    let mut b = BtfBuilder::new();
    for dup in [true, false] {
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        let a1 = b.add(OwnedType::array(int, int, 4));
        let a2 = if dup {
            b.add(OwnedType::array(int, int, 4))
        } else {
            a1
        };
        b.add_composite(false, "s", 32, &[("a", a1, 0, 0), ("b", a2, 128, 0)]);
    }
    let out = dedup(b, None, &default_opts()).unwrap();
    let c = census(out.builder.types().iter().map(|t| t.kind));
    assert_eq!(c[&Kind::Struct], 1, "{c:?}");
    assert_eq!(c[&Kind::Int], 1);
    assert_eq!(c[&Kind::Array], 1);
}

/// `struct l<k>` has `fan` members, all of type `l<k-1>` (`l0` is `int`).
/// Returns the top of the chain.
fn fan_out_chain(b: &mut BtfBuilder, int: TypeId, depth: usize, fan: u32) -> TypeId {
    let names: Vec<String> = (0..fan).map(|i| format!("m{i}")).collect();
    let mut t = int;
    for level in 1..=depth {
        let ms: Vec<_> = names
            .iter()
            .zip(0..)
            .map(|(n, i)| (&n[..], t, i * 32, 0))
            .collect();
        t = b.add_composite(false, &format!("l{level}"), 4 * fan, &ms);
    }
    t
}

/// Two units with `struct top { struct l<depth> a, b; }`, where each level
/// of the `l` chain has `fan` members of the level below. The first unit
/// shares one chain; the second emits a separate copy of the chain for `a`
/// and `b` and `top` before them, so the graph check of the second `top`
/// meets the first unit's `l<depth>` paired with two different but
/// identical candidates.
fn fan_out_units(depth: usize, fan: u32) -> BtfBuilder {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, INT_SIGNED, 32);
    let l = fan_out_chain(&mut b, int, depth, fan);
    b.add_composite(false, "top", 8, &[("a", l, 0, 0), ("b", l, 32, 0)]);

    let top = b.add_composite(false, "top", 8, &[]);
    let int = b.add_int("int", 4, INT_SIGNED, 32);
    let la = fan_out_chain(&mut b, int, depth, fan);
    let lb = fan_out_chain(&mut b, int, depth, fan);
    let ms = vec![member(&mut b, "a", la, 0), member(&mut b, "b", lb, 32)];
    b.get_mut(top).unwrap().body = Body::Members(ms);
    b
}

/// The identical-types check on the input above revisits the same pair of
/// levels `fan` times per level: about `fan^depth` pairs (8^14 here)
/// unless already-proven pairs are remembered. It must finish, and still
/// merge everything.
#[test]
fn identical_check_on_fan_out_chains() {
    let (depth, fan) = (15, 8);
    let out = dedup(fan_out_units(depth, fan), None, &default_opts()).unwrap();
    let c = census(out.builder.types().iter().map(|t| t.kind));
    assert_eq!(c[&Kind::Int], 1, "{c:?}");
    assert_eq!(c[&Kind::Struct], depth + 1, "{c:?}");
    assert_eq!(out.builder.len(), depth + 2);
}

/// Levels `1..depth` of `n` structs each, `struct l<k>` with `n` members,
/// member `j` of struct `i` of type struct `(i + shift * j) % n` of the
/// level below (`int` below level 1); level `depth` is one struct over the
/// `n` of the level below. All levels look like [`fan_out_chain`]'s.
fn lattice(b: &mut BtfBuilder, int: TypeId, depth: usize, n: u32, shift: u32) -> TypeId {
    let names: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
    let mut below = vec![int; n as usize];
    for level in 1..depth {
        let name = format!("l{level}");
        below = (0..n)
            .map(|i| {
                let ms: Vec<_> = names
                    .iter()
                    .zip(0..n)
                    .map(|(m, j)| (&m[..], below[((i + shift * j) % n) as usize], j * 32, 0))
                    .collect();
                b.add_composite(false, &name, 4 * n, &ms)
            })
            .collect();
    }
    let ms: Vec<_> = names
        .iter()
        .zip(&below)
        .zip(0..)
        .map(|((m, &t), j)| (&m[..], t, j * 32, 0))
        .collect();
    b.add_composite(false, &format!("l{depth}"), 4 * n, &ms)
}

/// As [`identical_check_on_fan_out_chains`], but `b`'s copy of the chain
/// is a lattice of `n` identical structs per level whose members are
/// permuted against `a`'s: the identical-types check meets `n^2` distinct
/// pairs per level, `n^3` steps (about 49,000 in all), so remembering
/// proven pairs is not enough. The check gives up ("not identical"), so the second `top` is
/// kept; everything below it still merges into the first unit's chain.
#[test]
fn identical_check_gives_up_on_permuted_lattices() {
    let (depth, n) = (15, 16);
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, INT_SIGNED, 32);
    let l = fan_out_chain(&mut b, int, depth, n);
    let top1 = b.add_composite(false, "top", 8, &[("a", l, 0, 0), ("b", l, 32, 0)]);

    let top = b.add_composite(false, "top", 8, &[]);
    let int = b.add_int("int", 4, INT_SIGNED, 32);
    let la = lattice(&mut b, int, depth, n, 0);
    let lb = lattice(&mut b, int, depth, n, 1);
    let ms = vec![member(&mut b, "a", la, 0), member(&mut b, "b", lb, 32)];
    b.get_mut(top).unwrap().body = Body::Members(ms);

    let out = dedup(b, None, &default_opts()).unwrap();
    let c = census(out.builder.types().iter().map(|t| t.kind));
    assert_eq!(c[&Kind::Int], 1, "{c:?}");
    assert_eq!(c[&Kind::Struct], depth + 2, "{c:?}");
    assert_eq!(out.id_map.get(la), out.id_map.get(l));
    assert_eq!(out.id_map.get(lb), out.id_map.get(l));
    assert_ne!(out.id_map.get(top), out.id_map.get(top1));
}

/// `struct list { struct list *next; }` in three units, plus a struct that
/// differs only in a member type: cycles close, distinct types stay.
#[test]
fn pointer_cycles_and_distinct_same_named_structs() {
    let mut b = BtfBuilder::new();
    for unit in 0..3 {
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        let long = b.add_int("long", 8, INT_SIGNED, 64);
        let list = b.add_composite(false, "list", 16, &[]);
        let p = b.add(OwnedType::ptr(list));
        let v = if unit == 2 { long } else { int };
        let ms = vec![member(&mut b, "next", p, 0), member(&mut b, "v", v, 64)];
        b.get_mut(list).unwrap().body = Body::Members(ms);
    }
    let out = dedup(b, None, &default_opts()).unwrap();
    let c = census(out.builder.types().iter().map(|t| t.kind));
    assert_eq!(c[&Kind::Struct], 2, "{c:?}");
    assert_eq!(c[&Kind::Ptr], 2);
    assert_eq!(c[&Kind::Int], 2);
}

fn member(b: &mut BtfBuilder, n: &str, t: TypeId, off: u32) -> btf_core::types::Member {
    btf_core::types::Member {
        name: b.add_str(n),
        type_id: t,
        raw_offset: off,
        kflag: false,
    }
}

/// VARs and DATASECs are never merged; their types are.
#[test]
fn vars_and_datasecs_are_kept() {
    let mut b = BtfBuilder::new();
    for _ in 0..2 {
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        let v = b.add_var("counter", int, Linkage::Global);
        b.add_datasec(
            ".data",
            4,
            vec![VarSecinfo {
                type_id: v,
                offset: 0,
                size: 4,
            }],
        );
    }
    let out = dedup(b, None, &default_opts()).unwrap();
    let kinds: Vec<Kind> = out.builder.types().iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::Int,
            Kind::Var,
            Kind::Datasec,
            Kind::Var,
            Kind::Datasec
        ]
    );
    assert_eq!(out.builder.get(TypeId(4)).unwrap().size_or_type, 1);
    let Body::Datasec(vs) = &out.builder.get(TypeId(5)).unwrap().body else {
        panic!("DATASEC body");
    };
    assert_eq!(vs[0].type_id, TypeId(4));
}

/// Reference loops that pass through no struct are errors, not hangs or
/// stack overflows; so are dangling ids and unknown kinds.
#[test]
fn malformed_input_is_an_error() {
    let mut b = BtfBuilder::new();
    b.add(OwnedType::ptr(TypeId(2)));
    b.add(OwnedType::konst(TypeId(1)));
    let e = dedup(b, None, &default_opts()).unwrap_err();
    assert!(matches!(e, Error::Dedup { .. }), "{e}");
    assert!(e.to_string().contains("loop"), "{e}");

    let mut b = BtfBuilder::new();
    b.add(OwnedType::ptr(TypeId(7)));
    let e = dedup(b, None, &default_opts()).unwrap_err();
    assert!(e.to_string().contains("past the last id"), "{e}");

    let mut b = BtfBuilder::new();
    b.add(OwnedType {
        name: StrOffset::EMPTY,
        kind: Kind::Unknown(42),
        kflag: false,
        size_or_type: 0,
        body: Body::Unknown {
            vlen: 0,
            data: Vec::new(),
        },
    });
    let e = dedup(b, None, &default_opts()).unwrap_err();
    assert!(e.to_string().contains("unknown kind 42"), "{e}");

    let mut b = BtfBuilder::new();
    b.add(OwnedType {
        name: StrOffset::EMPTY,
        kind: Kind::Struct,
        kflag: false,
        size_or_type: 0,
        body: Body::None,
    });
    assert!(dedup(b, None, &default_opts()).is_err());
}

/// A long chain of pointers does not overflow the stack (the walks are
/// iterative).
#[test]
fn deep_reference_chain() {
    let mut b = BtfBuilder::new();
    let mut t = b.add_int("int", 4, INT_SIGNED, 32);
    for _ in 0..200_000 {
        t = b.add(OwnedType::ptr(t));
    }
    let out = dedup(b, None, &default_opts()).unwrap();
    assert_eq!(out.builder.len(), 200_001);
}

/// Strings only .BTF.ext refers to survive when passed as extra strings;
/// `str_map` and `id_map` give their new places.
#[test]
fn id_and_string_maps() {
    let mut b = BtfBuilder::new();
    let unused = b.add_str("only_in_line_info");
    let i1 = b.add_int("int", 4, INT_SIGNED, 32);
    let p1 = b.add(OwnedType::ptr(i1));
    let i2 = b.add_int("int", 4, INT_SIGNED, 32);
    let p2 = b.add(OwnedType::ptr(i2));
    let dropped = b.clone();

    let out = dedup(dropped, None, &default_opts()).unwrap();
    assert_eq!(out.str_map.get(unused), None);
    assert_eq!(out.builder.strings().as_bytes(), b"\0int\0");

    let opts = DedupOptions {
        extra_strings: vec![unused],
        ..default_opts()
    };
    let out = dedup(b, None, &opts).unwrap();
    let new = out.str_map.get(unused).unwrap();
    assert_eq!(
        out.builder.strings().get(new),
        Some(&b"only_in_line_info"[..])
    );
    assert_eq!(out.id_map.get(TypeId::VOID), Some(TypeId::VOID));
    assert_eq!(out.id_map.get(i2), out.id_map.get(i1));
    assert_eq!(out.id_map.get(p2), Some(TypeId(2)));
    assert_eq!(out.id_map.get(p1), Some(TypeId(2)));
    assert_eq!(out.id_map.get(TypeId(5)), None);
    assert_eq!(out.id_map.len(), 5);
}

/// Split BTF: types the base has collapse into base ids; a struct the base
/// only forward-declares stays in the split, the base FWD untouched.
#[test]
fn split_over_a_base() {
    let mut base = BtfBuilder::new();
    let int = base.add_int("int", 4, INT_SIGNED, 32);
    let fwd_name = base.add_str("later");
    let fwd = base.add(OwnedType::fwd(fwd_name, false));
    base.add(OwnedType::ptr(fwd));
    base.add_composite(false, "pair", 8, &[("a", int, 0, 0), ("b", int, 32, 0)]);
    let base_bytes = base.write(Endian::Little).unwrap();
    let base = Btf::parse(&base_bytes).unwrap();

    let mut unit = BtfBuilder::new();
    let int = unit.add_int("int", 4, INT_SIGNED, 32);
    let pair = unit.add_composite(false, "pair", 8, &[("a", int, 0, 0), ("b", int, 32, 0)]);
    let later = unit.add_composite(false, "later", 4, &[("x", int, 0, 0)]);
    unit.add(OwnedType::ptr(later));
    unit.add(OwnedType::ptr(pair));
    let unit_bytes = unit.write(Endian::Little).unwrap();
    let unit = Btf::parse(&unit_bytes).unwrap();

    let mut split = BtfBuilder::new_split(&base);
    split.append_btf(&unit).unwrap();
    let out = dedup(split, Some(&base), &default_opts()).unwrap();
    let kinds: Vec<Kind> = out.builder.types().iter().map(|t| t.kind).collect();
    // `later`, a pointer to it, a pointer to base `pair`.
    assert_eq!(kinds, [Kind::Struct, Kind::Ptr, Kind::Ptr], "{kinds:?}");
    assert_eq!(out.builder.first_id(), TypeId(5));
    assert_eq!(out.id_map.get(TypeId(5)), Some(TypeId(1)), "int → base int");
    assert_eq!(
        out.id_map.get(TypeId(6)),
        Some(TypeId(4)),
        "pair → base pair"
    );
    let bytes = out.builder.write(Endian::Little).unwrap();
    let parsed = Btf::parse_split(&bytes, &base).unwrap();
    assert_eq!(parsed.len(), 3);
    // The split strings hold only what the base lacks.
    assert_eq!(parsed.strings().as_bytes(), b"x\0");

    // The builder and the base must agree.
    let b = BtfBuilder::new_split(&base);
    assert!(dedup(b.clone(), None, &default_opts()).is_err());
    assert!(dedup(BtfBuilder::new(), Some(&base), &default_opts()).is_err());
}

/// The split fixture pahole produced against `split_base.btf` is already
/// deduplicated: dedup reproduces it byte for byte, and so does merging
/// the base itself in as an input.
#[test]
fn pahole_split_fixture_is_reproduced() {
    let dir = repo_root().join("fixtures/raw");
    let base_bytes = std::fs::read(dir.join("split_base.btf")).unwrap();
    let mod_bytes = std::fs::read(dir.join("split_mod.btf")).unwrap();
    let base = Btf::parse(&base_bytes).unwrap();
    let module = Btf::parse_split(&mod_bytes, &base).unwrap();

    let out = dedup_btf(&module, &default_opts()).unwrap();
    assert!(write(&out, Endian::Little) == mod_bytes);

    let mut b = BtfBuilder::new_split(&base);
    b.append_btf(&base).unwrap();
    b.append_btf(&module).unwrap();
    let out = dedup(b, Some(&base), &default_opts()).unwrap();
    assert!(write(&out, Endian::Little) == mod_bytes);
}

// ---- kernel BTF -------------------------------------------------------------------------

/// Dedup of an already deduplicated kernel BTF keeps every type (same ids,
/// same records up to string offsets). The bytes differ only in the string
/// section: pahole writes strings in insertion order (libbpf skips the
/// string pass for BTF built from scratch) and may keep strings only
/// skipped functions used, while dedup writes them in first-reference
/// order. With `keep_strings` the output is byte-identical. A second dedup
/// is byte-identical to the first.
fn already_deduped_is_unchanged(test: &str, input: &[u8]) {
    let btf = Btf::parse(input).unwrap();
    let out = dedup_btf(&btf, &default_opts()).unwrap();
    let bytes = write(&out, btf.endian());
    let parsed = Btf::parse(&bytes).unwrap();
    assert_eq!(parsed.len(), btf.len(), "{test}: type count changed");
    for (a, b) in btf.own_types().zip(parsed.own_types()) {
        assert_eq!(
            describe(&btf, &a),
            describe(&parsed, &b),
            "{test}: type [{}]",
            a.id()
        );
    }
    assert_eq!(parsed.types_section().len(), btf.types_section().len());
    let old_strings: HashSet<&[u8]> = btf.strings().iter().map(|(_, s)| s).collect();
    assert!(parsed
        .strings()
        .iter()
        .all(|(_, s)| old_strings.contains(s)));
    let identical = bytes == input;
    let why = if identical {
        "byte-identical".to_string()
    } else {
        format!(
            "not byte-identical: same {} types; string section {} → {} bytes, in first-reference \
             order instead of the producer's insertion order (unreferenced strings dropped)",
            btf.len(),
            btf.strings().len(),
            parsed.strings().len()
        )
    };
    report(test, &why);

    let keep = DedupOptions {
        keep_strings: true,
        ..default_opts()
    };
    let kept = write(&dedup_btf(&btf, &keep).unwrap(), btf.endian());
    assert!(
        kept == input,
        "{test}: keep_strings output differs from the input"
    );

    let again = write(&dedup_btf(&parsed, &default_opts()).unwrap(), btf.endian());
    assert!(again == bytes, "{test}: a second dedup changed the bytes");
    assert_loads_where_input_does(test, input, &bytes);
}

#[test]
fn kernel_61_dedup_changes_nothing() {
    already_deduped_is_unchanged("kernel_61_dedup_changes_nothing", kernel_61());
}

#[test]
fn vmlinux_dedup_changes_nothing() {
    let t = "vmlinux_dedup_changes_nothing";
    if let Some(v) = sysfs_vmlinux(t) {
        already_deduped_is_unchanged(t, &v);
    }
}

/// Two copies of a kernel BTF dedup to one, except that libbpf never merges
/// VAR and DATASEC: the second copy's variables and section stay (with
/// their types pointing into the first copy). For 6.1 that is 95,246 + 356
/// VAR + 1 DATASEC = 95,603, libbpf's count.
fn two_copies_dedup_to_one(test: &str, input: &[u8]) {
    let btf = Btf::parse(input).unwrap();
    let single = write(&dedup_btf(&btf, &default_opts()).unwrap(), btf.endian());
    let single = Btf::parse(&single).unwrap();

    let mut b = BtfBuilder::new();
    b.append_btf(&btf).unwrap();
    b.append_btf(&btf).unwrap();
    let streamed = dedup_streamed(&b, None, &[btf.len()]);
    let out = dedup(b, None, &default_opts()).unwrap();
    let bytes = write(&out, btf.endian());
    // Fed one copy at a time: the same.
    assert!(
        write(&streamed, btf.endian()) == bytes,
        "{test}: streamed dedup differs"
    );
    let parsed = Btf::parse(&bytes).unwrap();

    let kinds = btf_census(&btf);
    let extra = kinds.get(&Kind::Var).unwrap_or(&0) + kinds.get(&Kind::Datasec).unwrap_or(&0);
    assert_eq!(parsed.len(), btf.len() + extra, "{test}");
    let mut expected = btf_census(&single);
    for k in [Kind::Var, Kind::Datasec] {
        if let Some(n) = expected.get_mut(&k) {
            *n *= 2;
        }
    }
    assert_eq!(btf_census(&parsed), expected, "{test}");
    // The first copy comes out exactly as a single dedup does.
    for (a, b) in single.own_types().zip(parsed.own_types()) {
        assert_eq!(
            describe(&single, &a),
            describe(&parsed, &b),
            "{test}: [{}]",
            a.id()
        );
    }
    // Every duplicate id maps where its original does, VAR/DATASEC aside.
    let n = btf.len() as u32;
    for i in 1..=n {
        let k = btf.get(TypeId(i)).unwrap().kind();
        if !matches!(k, Kind::Var | Kind::Datasec) {
            assert_eq!(out.id_map.get(TypeId(i + n)), out.id_map.get(TypeId(i)));
        }
    }
    report(
        test,
        &format!(
            "{} + {} types → {} ({extra} VAR/DATASEC kept twice)",
            btf.len(),
            btf.len(),
            parsed.len()
        ),
    );
    assert_loads_where_input_does(test, input, &bytes);
}

#[test]
fn kernel_61_two_copies_dedup_to_one() {
    two_copies_dedup_to_one("kernel_61_two_copies_dedup_to_one", kernel_61());
}

#[test]
fn vmlinux_two_copies_dedup_to_one() {
    let t = "vmlinux_two_copies_dedup_to_one";
    if let Some(v) = sysfs_vmlinux(t) {
        two_copies_dedup_to_one(t, &v);
    }
}

/// force_collisions (every hash equal) gives the same bytes: candidates
/// are tried in the same order, only more of them.
#[test]
fn forced_collisions_change_nothing() {
    for (path, btf_bytes) in fixture_objects() {
        let btf = Btf::parse(&btf_bytes).unwrap();
        let normal = write(&dedup_btf(&btf, &default_opts()).unwrap(), btf.endian());
        let opts = DedupOptions {
            force_collisions: true,
            ..default_opts()
        };
        let forced = write(&dedup_btf(&btf, &opts).unwrap(), btf.endian());
        assert!(normal == forced, "{}", path.display());
    }
}

// ---- fixture objects --------------------------------------------------------------------

/// Each BPF fixture object: a single unit is already unique except for
/// what clang repeats (modifier chains, FUNC_PROTOs); dedup keeps every
/// name, is idempotent, and big- and little-endian objects give the same
/// types.
#[test]
fn fixture_objects_dedup_sensibly() {
    let mut by_stem: HashMap<String, Vec<String>> = HashMap::new();
    for (path, bytes) in fixture_objects() {
        let btf = Btf::parse(&bytes).unwrap();
        let out = dedup_btf(&btf, &default_opts()).unwrap();
        let written = write(&out, btf.endian());
        let parsed = Btf::parse(&written).unwrap();
        assert!(parsed.len() <= btf.len());
        let named = |b: &Btf<'_>| -> HashSet<(Kind, Vec<u8>)> {
            b.own_types()
                .filter(|t| !t.name_off().is_empty())
                .map(|t| (t.kind(), b.type_name(&t).to_vec()))
                .collect()
        };
        let lost: Vec<_> = named(&btf).difference(&named(&parsed)).cloned().collect();
        // Only FWDs may go, resolved to their definitions.
        assert!(
            lost.iter().all(|(k, _)| *k == Kind::Fwd),
            "{}: {lost:?}",
            path.display()
        );
        let again = write(&dedup_btf(&parsed, &default_opts()).unwrap(), btf.endian());
        assert!(again == written, "{}: not idempotent", path.display());
        assert_loads_where_input_does("fixture_objects_dedup_sensibly", &bytes, &written);

        let stem = path.file_name().unwrap().to_string_lossy();
        let stem = stem.split('.').next().unwrap().to_string();
        let dump: Vec<String> = parsed.own_types().map(|t| describe(&parsed, &t)).collect();
        by_stem.entry(stem).or_default().push(dump.join("\n"));
    }
    for (stem, dumps) in by_stem {
        assert!(
            dumps.windows(2).all(|w| w[0] == w[1]),
            "{stem}: el and eb differ"
        );
    }
}

/// kinds.el.o + tags.el.o merged: shared types (`int`, `char`, ...) appear
/// once, each object's own types stay, VAR/DATASEC of both stay.
#[test]
fn kinds_and_tags_merge() {
    let objs: HashMap<String, Vec<u8>> = fixture_objects()
        .into_iter()
        .map(|(p, b)| (p.file_name().unwrap().to_string_lossy().into_owned(), b))
        .collect();
    let kinds = Btf::parse(&objs["kinds.el.o"]).unwrap();
    let tags = Btf::parse(&objs["tags.el.o"]).unwrap();
    let mut b = BtfBuilder::new();
    b.append_btf(&kinds).unwrap();
    b.append_btf(&tags).unwrap();
    let out = dedup(b, None, &default_opts()).unwrap();
    let solo = |btf: &Btf<'_>| dedup_btf(btf, &default_opts()).unwrap().builder.len();
    let merged = out.builder.len();
    assert!(merged < solo(&kinds) + solo(&tags), "nothing shared?");
    assert!(merged > solo(&kinds).max(solo(&tags)));

    let ints = names(&out.builder, Kind::Int);
    let unique: HashSet<&String> = ints.iter().collect();
    assert_eq!(unique.len(), ints.len(), "an INT twice: {ints:?}");
    assert!(ints.contains(&"int".to_string()));
    for k in [Kind::Var, Kind::Datasec] {
        let both =
            btf_census(&kinds).get(&k).unwrap_or(&0) + btf_census(&tags).get(&k).unwrap_or(&0);
        assert_eq!(names(&out.builder, k).len(), both, "{k}");
    }
    for k in [
        Kind::Struct,
        Kind::Union,
        Kind::Enum,
        Kind::Typedef,
        Kind::Func,
    ] {
        let mut want: Vec<String> = Vec::new();
        for btf in [&kinds, &tags] {
            let one = dedup_btf(btf, &default_opts()).unwrap();
            want.extend(names(&one.builder, k));
        }
        // Anonymous types may merge across the objects; compare names.
        want.retain(|n| !n.is_empty());
        want.sort();
        want.dedup();
        let mut got = names(&out.builder, k);
        got.retain(|n| !n.is_empty());
        got.sort();
        assert_eq!(got, want, "{k}");
    }
    let bytes = write(&out, Endian::Little);
    assert!(Btf::parse(&bytes).is_ok());
}

// ---- generated units (proptest) ---------------------------------------------------------

/// The C integer types the generator uses: name, size, encoding.
const INTS: [(&str, u32, u8); 4] = [
    ("int", 4, INT_SIGNED),
    ("unsigned int", 4, 0),
    ("char", 1, INT_SIGNED),
    ("long", 8, INT_SIGNED),
];

/// What a field's type is.
#[derive(Clone, Debug)]
enum Field {
    Int(usize),
    Ptr(Target),
    /// A struct embedded by value: only ever an earlier struct, so structs
    /// never contain themselves.
    Value(usize),
    Array(usize, u32),
    Typedef(usize),
    Enum(usize),
    /// A function pointer: return int, parameters.
    FnPtr(usize, Vec<Target>),
}

#[derive(Clone, Debug)]
enum Target {
    Void,
    Int(usize),
    Struct(usize),
    Enum(usize),
    /// `const int`.
    ConstInt(usize),
}

#[derive(Clone, Debug)]
struct StructDef {
    union: bool,
    fields: Vec<Field>,
}

/// One consistent C world (each name one definition, unless `versions`),
/// seen by several compilation units.
#[derive(Clone, Debug)]
struct World {
    structs: Vec<StructDef>,
    /// Typedef `t<i>` of an int.
    typedefs: Vec<usize>,
    /// Enum `e<i>` with this many enumerators.
    enums: Vec<u32>,
    units: Vec<Unit>,
    /// Some units see a second version of some structs (an extra member).
    versions: bool,
}

#[derive(Clone, Debug)]
struct Unit {
    /// Which structs this unit defines (others it only forward-declares,
    /// unless embedded by value, which forces the definition).
    defines: Vec<bool>,
    /// Which version of each struct this unit sees.
    version: Vec<bool>,
    /// Which enums this unit defines (others appear as `enum e;`).
    enums: Vec<bool>,
    /// Emit a fresh ARRAY for every use instead of sharing one.
    dup_arrays: bool,
    /// Functions `f<i>` of one pointer parameter.
    funcs: Vec<Target>,
}

fn arb_target(n_structs: usize, n_enums: usize) -> impl Strategy<Value = Target> {
    (0u8..5, any::<u8>()).prop_map(move |(k, s)| {
        let s = s as usize;
        match k {
            0 => Target::Void,
            1 => Target::Int(s % INTS.len()),
            2 if n_enums > 0 => Target::Enum(s % n_enums),
            3 => Target::ConstInt(s % INTS.len()),
            _ => Target::Struct(s % n_structs),
        }
    })
}

fn arb_field(
    idx: usize,
    n_structs: usize,
    n_typedefs: usize,
    n_enums: usize,
) -> impl Strategy<Value = Field> {
    let targets = proptest::collection::vec(arb_target(n_structs, n_enums), 0..3);
    (
        0u8..8,
        any::<u8>(),
        1u32..5,
        arb_target(n_structs, n_enums),
        targets,
    )
        .prop_map(move |(k, s, n, target, params)| {
            let s = s as usize;
            match k {
                0 => Field::Int(s % INTS.len()),
                1 | 2 => Field::Ptr(target),
                3 if idx > 0 => Field::Value(s % idx),
                4 => Field::Array(s % INTS.len(), n),
                5 if n_typedefs > 0 => Field::Typedef(s % n_typedefs),
                6 if n_enums > 0 => Field::Enum(s % n_enums),
                7 => Field::FnPtr(s % INTS.len(), params),
                _ => Field::Int(s % INTS.len()),
            }
        })
}

fn arb_world() -> impl Strategy<Value = World> {
    (1usize..7, 0usize..3, 0usize..3, 1usize..5, any::<bool>()).prop_flat_map(
        |(n_structs, n_typedefs, n_enums, n_units, versions)| {
            let structs: Vec<_> = (0..n_structs)
                .map(|i| {
                    (
                        proptest::bool::weighted(0.15),
                        proptest::collection::vec(
                            arb_field(i, n_structs, n_typedefs, n_enums),
                            1..5,
                        ),
                    )
                        .prop_map(|(union, fields)| StructDef { union, fields })
                })
                .collect();
            let unit = (
                proptest::collection::vec(proptest::bool::weighted(0.6), n_structs),
                proptest::collection::vec(any::<bool>(), n_structs),
                proptest::collection::vec(any::<bool>(), n_enums),
                proptest::bool::weighted(0.3),
                proptest::collection::vec(arb_target(n_structs, n_enums), 0..3),
            )
                .prop_map(|(defines, version, enums, dup_arrays, funcs)| Unit {
                    defines,
                    version,
                    enums,
                    dup_arrays,
                    funcs,
                });
            (
                structs,
                proptest::collection::vec(0..INTS.len(), n_typedefs),
                proptest::collection::vec(1u32..4, n_enums),
                proptest::collection::vec(unit, n_units),
                Just(versions),
            )
                .prop_map(|(structs, typedefs, enums, units, versions)| World {
                    structs,
                    typedefs,
                    enums,
                    units,
                    versions,
                })
        },
    )
}

/// Emits one unit's types into a builder, each C type once (as a compiler
/// does), except arrays when `dup_arrays` is set.
struct UnitEmitter<'a> {
    b: &'a mut BtfBuilder,
    world: &'a World,
    unit: &'a Unit,
    /// Structs this unit defines: those it chose, and those they embed.
    defined: Vec<bool>,
    memo: HashMap<String, TypeId>,
    /// Struct sizes in bytes in this unit (computed up front: a pointer
    /// cycle may reach a struct while the struct embedding it is still
    /// being emitted).
    sizes: Vec<u32>,
}

impl UnitEmitter<'_> {
    fn once(&mut self, key: String, make: impl FnOnce(&mut Self) -> TypeId) -> TypeId {
        if let Some(&id) = self.memo.get(&key) {
            return id;
        }
        let id = make(self);
        self.memo.insert(key, id);
        id
    }

    fn int(&mut self, i: usize) -> TypeId {
        self.once(format!("int{i}"), |e| {
            let (n, size, enc) = INTS[i];
            e.b.add_int(n, size, enc, (size * 8) as u8)
        })
    }

    fn enum_(&mut self, i: usize) -> TypeId {
        self.once(format!("enum{i}"), |e| {
            let name = format!("e{i}");
            let n = if e.unit.enums[i] { e.world.enums[i] } else { 0 };
            let values: Vec<(String, i64)> =
                (0..n).map(|v| (format!("E{i}_{v}"), v as i64)).collect();
            let values: Vec<(&str, i64)> = values.iter().map(|(s, v)| (s.as_str(), *v)).collect();
            e.b.add_enum(&name, 4, false, &values)
        })
    }

    fn ptr(&mut self, to: TypeId) -> TypeId {
        self.once(format!("ptr{}", to.0), |e| e.b.add(OwnedType::ptr(to)))
    }

    fn target(&mut self, t: &Target) -> TypeId {
        match *t {
            Target::Void => TypeId::VOID,
            Target::Int(i) => self.int(i),
            Target::Enum(i) => self.enum_(i),
            Target::ConstInt(i) => {
                let int = self.int(i);
                self.once(format!("const{i}"), |e| e.b.add(OwnedType::konst(int)))
            }
            Target::Struct(i) => {
                if self.defined[i] {
                    self.strukt(i)
                } else {
                    self.once(format!("fwd{i}"), |e| {
                        let n = e.b.add_str(format!("s{i}"));
                        e.b.add(OwnedType::fwd(n, e.world.structs[i].union))
                    })
                }
            }
        }
    }

    /// The struct, defined (placeholder first, so pointers to itself work).
    fn strukt(&mut self, i: usize) -> TypeId {
        if let Some(&id) = self.memo.get(&format!("struct{i}")) {
            return id;
        }
        let def = &self.world.structs[i];
        let id = self.b.add_composite(def.union, &format!("s{i}"), 0, &[]);
        self.memo.insert(format!("struct{i}"), id);
        let mut fields: Vec<(TypeId, u32)> = def.fields.iter().map(|f| self.field(f)).collect();
        if self.world.versions && self.unit.version[i] {
            fields.push((self.int(3), 8));
        }
        let mut members = Vec::new();
        let mut off = 0u32;
        let mut size = 0u32;
        for (n, &(t, sz)) in fields.iter().enumerate() {
            let at = if def.union { 0 } else { off };
            members.push(member(self.b, &format!("f{n}"), t, at * 8));
            off += sz;
            size = size.max(at + sz);
        }
        debug_assert_eq!(size, self.sizes[i]);
        let t = self.b.get_mut(id).unwrap();
        t.size_or_type = size;
        t.body = Body::Members(members);
        id
    }

    /// A field's type and size in bytes.
    fn field(&mut self, f: &Field) -> (TypeId, u32) {
        match f {
            Field::Int(i) => (self.int(*i), INTS[*i].1),
            Field::Ptr(t) => {
                let to = self.target(t);
                (self.ptr(to), 8)
            }
            Field::Value(j) => (self.strukt(*j), self.sizes[*j]),
            Field::Array(i, n) => {
                let int = self.int(*i);
                let key = if self.unit.dup_arrays {
                    format!("array{}", self.memo.len())
                } else {
                    format!("array{i}x{n}")
                };
                let id = self.once(key, |e| e.b.add(OwnedType::array(int, int, *n)));
                (id, INTS[*i].1 * n)
            }
            Field::Typedef(i) => {
                let int = self.int(self.world.typedefs[*i]);
                let id = self.once(format!("typedef{i}"), |e| {
                    let n = e.b.add_str(format!("t{i}"));
                    e.b.add(OwnedType::typedef(n, int))
                });
                (id, INTS[self.world.typedefs[*i]].1)
            }
            Field::Enum(i) => (self.enum_(*i), 4),
            Field::FnPtr(ret, params) => {
                let ret = self.int(*ret);
                let ps: Vec<TypeId> = params
                    .iter()
                    .map(|p| {
                        let t = self.target(p);
                        self.ptr(t)
                    })
                    .collect();
                let key = format!("proto{}:{ps:?}", ret.0);
                let proto = self.once(key, |e| {
                    let named: Vec<(String, TypeId)> = ps
                        .iter()
                        .enumerate()
                        .map(|(k, &t)| (format!("p{k}"), t))
                        .collect();
                    let named: Vec<(&str, TypeId)> =
                        named.iter().map(|(n, t)| (n.as_str(), *t)).collect();
                    e.b.add_func_proto(ret, &named)
                });
                (self.ptr(proto), 8)
            }
        }
    }

    fn emit(&mut self) {
        for i in 0..self.world.structs.len() {
            if self.defined[i] {
                self.strukt(i);
            }
        }
        for (k, t) in self.unit.funcs.iter().enumerate() {
            let to = self.target(t);
            let p = self.ptr(to);
            let int = self.int(0);
            let proto = self.b.add_func_proto(int, &[("arg", p)]);
            self.b.add_func(&format!("f{k}"), proto, Linkage::Static);
        }
    }
}

/// Each struct's size in bytes as `unit` sees it (versions included).
fn struct_sizes(w: &World, unit: &Unit) -> Vec<u32> {
    let mut sizes: Vec<u32> = Vec::with_capacity(w.structs.len());
    for (i, def) in w.structs.iter().enumerate() {
        let mut fields: Vec<u32> = def
            .fields
            .iter()
            .map(|f| match f {
                Field::Int(k) => INTS[*k].1,
                Field::Ptr(_) | Field::FnPtr(..) => 8,
                Field::Value(j) => sizes[*j],
                Field::Array(k, n) => INTS[*k].1 * n,
                Field::Typedef(t) => INTS[w.typedefs[*t]].1,
                Field::Enum(_) => 4,
            })
            .collect();
        if w.versions && unit.version[i] {
            fields.push(8);
        }
        let size = if def.union {
            fields.iter().copied().max().unwrap_or(0)
        } else {
            fields.iter().sum()
        };
        sizes.push(size);
    }
    sizes
}

/// Appends one unit's types to `b`.
fn build_unit(b: &mut BtfBuilder, w: &World, unit: &Unit) {
    // Embedding by value needs the definition; embedded structs are always
    // earlier ones, so one backwards sweep closes the set.
    let mut defined = unit.defines.clone();
    for i in (0..w.structs.len()).rev() {
        if defined[i] {
            for f in &w.structs[i].fields {
                if let Field::Value(j) = f {
                    defined[*j] = true;
                }
            }
        }
    }
    UnitEmitter {
        b,
        world: w,
        unit,
        defined,
        memo: HashMap::new(),
        sizes: struct_sizes(w, unit),
    }
    .emit();
}

/// The world's BTF and the type count after each unit.
fn build_world_units(w: &World) -> (BtfBuilder, Vec<usize>) {
    let mut b = BtfBuilder::new();
    let mut ends = Vec::new();
    for unit in &w.units {
        build_unit(&mut b, w, unit);
        ends.push(b.len());
    }
    (b, ends)
}

/// Dedup through a [`DedupStream`] fed in batches that end after the given
/// numbers of types (the rest, if any, at [`DedupStream::finish`]).
fn dedup_streamed(input: &BtfBuilder, base: Option<&Btf<'_>>, ends: &[usize]) -> Deduped {
    let mut stream = DedupStream::new(base, &default_opts()).unwrap();
    let mut packed = PackedBtf::with_strings(input.strings().clone(), input.first_id().0);
    let mut types = input.types().iter();
    let mut start = 0;
    for &end in ends {
        for t in types.by_ref().take(end - start) {
            packed.add(t).unwrap();
        }
        stream.feed_packed(&mut packed).unwrap();
        start = end;
    }
    for t in types {
        packed.add(t).unwrap();
    }
    stream.finish(packed).unwrap()
}

/// Types and names of a builder, seeing through to its base (split BTF).
#[derive(Clone, Copy)]
struct View<'a> {
    b: &'a BtfBuilder,
    base: Option<&'a Btf<'a>>,
}

impl View<'_> {
    fn get(&self, id: TypeId) -> Option<OwnedType> {
        match self.base {
            Some(base) if id < self.b.first_id() => base.get(id).map(|t| OwnedType::from_type(&t)),
            _ => self.b.get(id).cloned(),
        }
    }

    fn name(&self, off: StrOffset) -> Vec<u8> {
        let s = match self.base {
            Some(base) if off.0 < self.b.strings().base_len() => base.name(off),
            _ => self.b.strings().get(off),
        };
        s.unwrap_or(b"<bad>").to_vec()
    }
}

/// Whether input type `a` and output type `b` have the same structure,
/// following references by structure rather than by id: a bisimulation,
/// where a pair met again is assumed equal (cycles). Dedup may resolve a
/// forward declaration (`struct s;`, `enum e;`) to its definition, so an
/// input FWD matches an output definition of the same name and kind.
fn same_structure(inp: View<'_>, out: View<'_>, a: TypeId, b: TypeId) -> Result<(), String> {
    let mut seen = HashSet::new();
    let mut work = vec![(a, b)];
    let name = |v: View<'_>, o: StrOffset| v.name(o);
    while let Some((a, b)) = work.pop() {
        if !seen.insert((a, b)) {
            continue;
        }
        let (ta, tb) = match (inp.get(a), out.get(b)) {
            (None, None) if a.is_void() && b.is_void() => continue,
            (Some(x), Some(y)) => (x, y),
            _ => return Err(format!("[{a}] vs [{b}]: void against a type")),
        };
        let ctx = || format!("in [{a}] {:?} vs out [{b}] {:?}", ta.kind, tb.kind);
        if name(inp, ta.name) != name(out, tb.name) {
            return Err(format!("{}: names differ", ctx()));
        }
        if ta.kind == Kind::Fwd {
            let want = if ta.kflag { Kind::Union } else { Kind::Struct };
            if (tb.kind == Kind::Fwd && tb.kflag == ta.kflag) || tb.kind == want {
                continue;
            }
            return Err(format!("{}: FWD resolved to the wrong kind", ctx()));
        }
        if ta.kind.is_enum() && ta.vlen() == 0 && tb.kind.is_enum() {
            continue;
        }
        // The base is immutable: where a split definition was matched to a
        // base forward declaration (libbpf records base FWD → split type
        // but cannot change the base), the base keeps its FWD.
        let in_base = out.base.is_some() && b < out.b.first_id();
        let base_fwd = tb.kind == Kind::Fwd || (tb.kind.is_enum() && tb.vlen() == 0);
        if in_base
            && base_fwd
            && (ta.kind == tb.kind || ta.kind.is_composite() || ta.kind.is_enum())
        {
            continue;
        }
        if ta.kind != tb.kind || ta.kflag != tb.kflag || ta.vlen() != tb.vlen() {
            return Err(format!("{}: kind, kflag or vlen differ", ctx()));
        }
        if !ta.kind.has_type_ref() && ta.size_or_type != tb.size_or_type {
            return Err(format!("{}: sizes differ", ctx()));
        }
        if ta.kind.has_type_ref() {
            work.push((TypeId(ta.size_or_type), TypeId(tb.size_or_type)));
        }
        match (&ta.body, &tb.body) {
            (Body::Members(x), Body::Members(y)) => {
                for (m, n) in x.iter().zip(y) {
                    if name(inp, m.name) != name(out, n.name) || m.raw_offset != n.raw_offset {
                        return Err(format!("{}: members differ", ctx()));
                    }
                    work.push((m.type_id, n.type_id));
                }
            }
            (Body::Params(x), Body::Params(y)) => {
                for (p, q) in x.iter().zip(y) {
                    if name(inp, p.name) != name(out, q.name) {
                        return Err(format!("{}: parameters differ", ctx()));
                    }
                    work.push((p.type_id, q.type_id));
                }
            }
            (Body::Array(x), Body::Array(y)) => {
                if x.nelems != y.nelems {
                    return Err(format!("{}: lengths differ", ctx()));
                }
                work.push((x.elem_type, y.elem_type));
                work.push((x.index_type, y.index_type));
            }
            (Body::Enum(x), Body::Enum(y)) => {
                let xs: Vec<_> = x.iter().map(|&(n, v)| (name(inp, n), v)).collect();
                let ys: Vec<_> = y.iter().map(|&(n, v)| (name(out, n), v)).collect();
                if xs != ys {
                    return Err(format!("{}: enumerators differ", ctx()));
                }
            }
            (x, y) => {
                let same = match (x, y) {
                    (Body::Int(p), Body::Int(q)) => p == q,
                    (Body::Func(p), Body::Func(q)) => p == q,
                    (Body::None, Body::None) => true,
                    _ => false,
                };
                if !same {
                    return Err(format!("{}: bodies differ", ctx()));
                }
            }
        }
    }
    Ok(())
}

/// Two output records that are identical (same ids everywhere) would be a
/// missed merge; VAR and DATASEC excepted.
fn no_identical_records(out: &BtfBuilder) -> Result<(), String> {
    let mut seen: HashMap<&OwnedType, usize> = HashMap::new();
    for (i, t) in out.types().iter().enumerate() {
        if matches!(t.kind, Kind::Var | Kind::Datasec) {
            continue;
        }
        if let Some(j) = seen.insert(t, i) {
            return Err(format!("types {} and {} are identical", j + 1, i + 1));
        }
    }
    Ok(())
}

/// With one definition per name, every defined struct, union and enum
/// comes out once and no FWD of a defined name is left.
fn fully_merged(w: &World, out: &BtfBuilder) -> Result<(), String> {
    let mut count: HashMap<(Kind, Vec<u8>), usize> = HashMap::new();
    for t in out.types() {
        let n = out.strings().get(t.name).unwrap_or_default().to_vec();
        *count.entry((t.kind, n)).or_default() += 1;
    }
    for (i, s) in w.structs.iter().enumerate() {
        let kind = if s.union { Kind::Union } else { Kind::Struct };
        let n = format!("s{i}").into_bytes();
        let defs = count.get(&(kind, n.clone())).copied().unwrap_or(0);
        if defs > 1 {
            return Err(format!("s{i} defined {defs} times"));
        }
        if defs == 1 && count.contains_key(&(Kind::Fwd, n)) {
            return Err(format!("s{i} still forward-declared"));
        }
    }
    for (k, n) in count {
        if k.0 == Kind::Enum && n > 1 {
            return Err(format!("enum {} {n} times", String::from_utf8_lossy(&k.1)));
        }
    }
    Ok(())
}

fn check_world(w: &World) -> Result<(), TestCaseError> {
    let (input, ends) = build_world_units(w);
    let input_bytes = input.write(Endian::Little).unwrap();
    Btf::parse(&input_bytes).map_err(|e| TestCaseError::fail(format!("generated input: {e}")))?;

    let out = dedup(input.clone(), None, &default_opts())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let bytes = write(&out, Endian::Little);
    let parsed = Btf::parse(&bytes).map_err(|e| TestCaseError::fail(format!("output: {e}")))?;
    prop_assert!(parsed.len() <= input.len());

    let (vi, vo) = (
        View {
            b: &input,
            base: None,
        },
        View {
            b: &out.builder,
            base: None,
        },
    );
    for (old, new) in out.id_map.iter() {
        same_structure(vi, vo, old, new).map_err(TestCaseError::fail)?;
    }
    no_identical_records(&out.builder).map_err(TestCaseError::fail)?;
    if !w.versions {
        fully_merged(w, &out.builder).map_err(TestCaseError::fail)?;
    }

    let again = write(
        &dedup_btf(&parsed, &default_opts()).unwrap(),
        Endian::Little,
    );
    prop_assert!(again == bytes, "dedup is not idempotent");

    let forced = DedupOptions {
        force_collisions: true,
        ..default_opts()
    };
    prop_assert!(
        write(
            &dedup(input.clone(), None, &forced).unwrap(),
            Endian::Little
        ) == bytes
    );

    // Fed one unit at a time, or all but the last unit and then the rest:
    // the same bytes and the same id map.
    for ends in [&ends[..], &ends[..ends.len() - 1]] {
        let streamed = dedup_streamed(&input, None, ends);
        prop_assert!(
            write(&streamed, Endian::Little) == bytes,
            "streamed dedup differs"
        );
        prop_assert!(streamed.id_map.iter().eq(out.id_map.iter()));
    }

    if btf_sys::probe().is_available() && loads(&input_bytes).is_ok() {
        loads(&bytes).map_err(|e| TestCaseError::fail(format!("kernel rejects output: {e}")))?;
    }
    Ok(())
}

/// `default`, or PROPTEST_CASES when set.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Split BTF: the first unit, deduplicated, is the base; the other units
/// are appended over it and deduplicated against it.
fn check_split_world(w: &World) -> Result<(), TestCaseError> {
    let mut base_b = BtfBuilder::new();
    build_unit(&mut base_b, w, &w.units[0]);
    let base_bytes = write(
        &dedup(base_b, None, &default_opts()).unwrap(),
        Endian::Little,
    );
    let base = Btf::parse(&base_bytes).unwrap();
    let mut input = BtfBuilder::new_split(&base);
    let mut ends = Vec::new();
    for unit in &w.units[1..] {
        let mut u = BtfBuilder::new();
        build_unit(&mut u, w, unit);
        let bytes = u.write(Endian::Little).unwrap();
        input.append_btf(&Btf::parse(&bytes).unwrap()).unwrap();
        ends.push(input.len());
    }
    let out = dedup(input.clone(), Some(&base), &default_opts())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let bytes = write(&out, Endian::Little);
    let streamed = dedup_streamed(&input, Some(&base), &ends);
    prop_assert!(
        write(&streamed, Endian::Little) == bytes,
        "streamed split dedup differs"
    );
    let parsed =
        Btf::parse_split(&bytes, &base).map_err(|e| TestCaseError::fail(format!("output: {e}")))?;

    let (vi, vo) = (
        View {
            b: &input,
            base: Some(&base),
        },
        View {
            b: &out.builder,
            base: Some(&base),
        },
    );
    for (old, new) in out.id_map.iter() {
        same_structure(vi, vo, old, new).map_err(TestCaseError::fail)?;
    }
    no_identical_records(&out.builder).map_err(TestCaseError::fail)?;

    // Not idempotent in general, as in libbpf: a split struct whose graph
    // reached a base FWD stays in the split (the base cannot change), even
    // if the base FWD then resolves to a split type and a later struct
    // merges into the base; a second dedup can then merge the first one
    // too. It never adds types and keeps every structure.
    let again = dedup_btf(&parsed, &default_opts()).unwrap();
    prop_assert!(again.builder.len() <= out.builder.len());
    let v2 = View {
        b: &again.builder,
        base: Some(&base),
    };
    for (old, new) in out.id_map.iter() {
        let mid = again.id_map.get(new).unwrap();
        same_structure(vi, v2, old, mid).map_err(TestCaseError::fail)?;
    }
    Ok(())
}

proptest! {
    // PROPTEST_CASES still raises the count for a longer soak.
    #![proptest_config(ProptestConfig::with_cases(cases(192)))]

    /// Generated multi-unit BTF: every input type keeps its structure under
    /// its new id, nothing mergeable is left, one definition per name
    /// merges fully, dedup is idempotent and collision-proof, and the
    /// kernel accepts the output whenever it accepts the input.
    #[test]
    fn generated_units_keep_structure(w in arb_world()) {
        check_world(&w)?;
    }

    /// The same over a base made of the first unit: base types are reused,
    /// never changed, and no split type repeats one.
    #[test]
    fn generated_split_units_keep_structure(w in arb_world()) {
        check_split_world(&w)?;
    }

    /// Arbitrary records (any kinds, any references): dedup returns an
    /// error or a result that parses; it never panics or hangs.
    #[test]
    fn arbitrary_records_never_panic(recs in proptest::collection::vec((0u8..20, any::<u32>(), any::<u32>(), any::<bool>()), 1..40)) {
        let mut b = BtfBuilder::new();
        let n = recs.len() as u32 + 1;
        let name = b.add_str("x");
        for (k, a, c, flag) in recs {
            let kind = Kind::from_raw(k);
            let r = TypeId(a % n);
            let body = match kind {
                Kind::Int => Body::Int(32),
                Kind::Array => Body::Array(btf_core::types::Array { elem_type: r, index_type: TypeId(c % n), nelems: c % 4 }),
                Kind::Struct | Kind::Union => Body::Members(vec![btf_core::types::Member { name, type_id: r, raw_offset: 0, kflag: false }]),
                Kind::Enum => Body::Enum(if flag { vec![] } else { vec![(name, c)] }),
                Kind::Enum64 => Body::Enum64(vec![(name, u64::from(c))]),
                Kind::Func => Body::Func(Linkage::Static),
                Kind::FuncProto => Body::Params(vec![btf_core::types::Param { name, type_id: TypeId(c % n) }]),
                Kind::Var => Body::Var(Linkage::Global),
                Kind::Datasec => Body::Datasec(vec![VarSecinfo { type_id: r, offset: 0, size: 4 }]),
                Kind::DeclTag => Body::DeclTag(-1),
                _ => Body::None,
            };
            let sot = if kind.has_type_ref() { r.0 } else { c % 16 };
            b.add(OwnedType { name: if flag { name } else { StrOffset::EMPTY }, kind, kflag: flag && kind == Kind::Fwd, size_or_type: sot, body });
        }
        if let Ok(out) = dedup(b, None, &default_opts()) {
            let bytes = write(&out, Endian::Little);
            prop_assert!(Btf::parse(&bytes).is_ok());
        }
    }
}

/// Big enough for the passes to use several threads: names whose strings
/// appear twice in the section, the second copy first used in the second
/// half, must come out as with one thread (the first copy).
#[test]
fn threads_do_not_change_the_output() {
    use btf_core::dedup::dedup_packed;
    use btf_core::write::{PackedBtf, StringTable};
    let make = || {
        // "a" at 1 and 5, "b" at 3 and 7, "c" at 9.
        let strings = StringTable::from_existing(b"\0a\0b\0a\0b\0c\0", 0);
        let mut p = PackedBtf::with_strings(strings, 1);
        let units = 100_000u32;
        for u in 0..units {
            let (a, b) = if u < units / 2 { (1, 3) } else { (5, 7) };
            let int = p.add_record(&[a, 1 << 24, 4, 32]).unwrap();
            let st = p
                .add_record(&[b, 4 << 24 | 2, 8, a, int.0, 0, 9, int.0, 32])
                .unwrap();
            p.add_record(&[0, 2 << 24, st.0]).unwrap();
        }
        p
    };
    let one = dedup_packed(
        make(),
        None,
        &DedupOptions {
            jobs: 1,
            ..default_opts()
        },
    )
    .unwrap();
    let two = dedup_packed(
        make(),
        None,
        &DedupOptions {
            jobs: 2,
            ..default_opts()
        },
    )
    .unwrap();
    assert_eq!(one.builder.len(), 3);
    assert_eq!(write(&one, Endian::Little), write(&two, Endian::Little));
    assert_eq!(format!("{:?}", one.id_map), format!("{:?}", two.id_map));
    assert_eq!(format!("{:?}", one.str_map), format!("{:?}", two.str_map));
    assert_eq!(one.str_map.get(StrOffset(5)), one.str_map.get(StrOffset(1)));
}
