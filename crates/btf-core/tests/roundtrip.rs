//! Round trips: generated BTF (proptest) and real BTF (the running kernel's,
//! and every fixture) must survive parse → `BtfBuilder::from_btf` → write
//! byte for byte; arbitrary and mutated bytes must never make a parser panic.

mod common;
#[path = "../../../fuzz/src/lib.rs"]
mod entry;

use std::path::{Path, PathBuf};

use btf_core::elf::ElfBtf;
use btf_core::types::{Array, Linkage, Member, Param, VarSecinfo};
use btf_core::write::{Body, OwnedType};
use btf_core::{Btf, BtfBuilder, BtfExt, Endian, Kind, TypeId};
use btf_testutil::{info, BtfAsm, ExtAsm, ExtKind, ExtSub, Order};
use common::{files_in, repo_root};
use proptest::prelude::*;
use proptest::sample::select;

// ---- generated types -----------------------------------------------------------------

/// A type to add, with names as bytes and type references as seeds that are
/// reduced modulo the number of ids once the whole list is known (so forward
/// references and self references happen too).
#[derive(Clone, Debug)]
struct Gen {
    kind: Kind,
    name: Vec<u8>,
    kflag: bool,
    /// Size, or a reference seed for kinds whose prefix names a type.
    sot: u32,
    body: GenBody,
}

#[derive(Clone, Debug)]
enum GenBody {
    None,
    Int(u32),
    Array(u32, u32, u32),
    Members(Vec<(Vec<u8>, u32, u32)>),
    Enum(Vec<(Vec<u8>, u32)>),
    Enum64(Vec<(Vec<u8>, u64)>),
    Func(u32),
    Params(Vec<(Vec<u8>, u32)>),
    Var(u32),
    Datasec(Vec<(u32, u32, u32)>),
    DeclTag(i32),
}

fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => Just(Vec::new()),
        3 => select(vec!["int", "long", "char", "task_struct", "list_head", ".data", "x"])
            .prop_map(|s| s.as_bytes().to_vec()),
        4 => "[a-zA-Z_][a-zA-Z0-9_.]{0,12}".prop_map(String::into_bytes),
        1 => prop::collection::vec(1u8..=255, 1..16),
    ]
}

fn small_vec<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(s, 0..6)
}

fn linkage_word() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..3, 1 => any::<u32>()]
}

fn gen_type() -> impl Strategy<Value = Gen> {
    let kflag = any::<bool>;
    let g = |kind, name, kflag, sot, body| Gen {
        kind,
        name,
        kflag,
        sot,
        body,
    };
    prop_oneof![
        (name(), kflag(), any::<u32>(), any::<u32>()).prop_map(move |(n, k, s, raw)| g(
            Kind::Int,
            n,
            k,
            s,
            GenBody::Int(raw)
        )),
        (
            select(vec![
                Kind::Ptr,
                Kind::Typedef,
                Kind::Volatile,
                Kind::Const,
                Kind::Restrict,
                Kind::TypeTag
            ]),
            name(),
            kflag(),
            any::<u32>()
        )
            .prop_map(move |(kind, n, k, to)| g(kind, n, k, to, GenBody::None)),
        (name(), kflag(), any::<u32>(), any::<(u32, u32, u32)>()).prop_map(
            move |(n, k, unused, (e, i, c))| g(Kind::Array, n, k, unused, GenBody::Array(e, i, c))
        ),
        (
            any::<bool>(),
            name(),
            kflag(),
            any::<u32>(),
            small_vec((name(), any::<u32>(), any::<u32>()))
        )
            .prop_map(move |(u, n, k, size, ms)| {
                let kind = if u { Kind::Union } else { Kind::Struct };
                g(kind, n, k, size, GenBody::Members(ms))
            }),
        (
            name(),
            kflag(),
            any::<u32>(),
            small_vec((name(), any::<u32>()))
        )
            .prop_map(move |(n, k, size, vs)| g(Kind::Enum, n, k, size, GenBody::Enum(vs))),
        (
            name(),
            kflag(),
            any::<u32>(),
            small_vec((name(), any::<u64>()))
        )
            .prop_map(move |(n, k, size, vs)| g(
                Kind::Enum64,
                n,
                k,
                size,
                GenBody::Enum64(vs)
            )),
        (name(), kflag(), any::<u32>()).prop_map(move |(n, k, unused)| g(
            Kind::Fwd,
            n,
            k,
            unused,
            GenBody::None
        )),
        (
            name(),
            kflag(),
            any::<u32>(),
            prop_oneof![4 => 0u32..3, 1 => 0u32..=0x00ff_ffff]
        )
            .prop_map(move |(n, k, proto, l)| g(Kind::Func, n, k, proto, GenBody::Func(l))),
        (
            name(),
            kflag(),
            any::<u32>(),
            small_vec((name(), any::<u32>()))
        )
            .prop_map(move |(n, k, ret, ps)| g(
                Kind::FuncProto,
                n,
                k,
                ret,
                GenBody::Params(ps)
            )),
        (name(), kflag(), any::<u32>(), linkage_word()).prop_map(move |(n, k, ty, l)| g(
            Kind::Var,
            n,
            k,
            ty,
            GenBody::Var(l)
        )),
        (
            name(),
            kflag(),
            any::<u32>(),
            small_vec(any::<(u32, u32, u32)>())
        )
            .prop_map(move |(n, k, size, vs)| g(
                Kind::Datasec,
                n,
                k,
                size,
                GenBody::Datasec(vs)
            )),
        (name(), kflag(), any::<u32>()).prop_map(move |(n, k, size)| g(
            Kind::Float,
            n,
            k,
            size,
            GenBody::None
        )),
        (name(), kflag(), any::<u32>(), any::<i32>()).prop_map(move |(n, k, ty, idx)| g(
            Kind::DeclTag,
            n,
            k,
            ty,
            GenBody::DeclTag(idx)
        )),
    ]
}

fn gen_types(max: usize) -> impl Strategy<Value = Vec<Gen>> {
    prop::collection::vec(gen_type(), 0..max)
}

/// Adds the generated types to `b`; returns what was added and each name.
/// References are reduced into `0..=last`, where `last` is the last id once
/// all of `gens` are added.
fn add_all(b: &mut BtfBuilder, gens: &[Gen]) -> Vec<(OwnedType, Vec<u8>)> {
    let last = b.first_id().0 + b.len() as u32 + gens.len() as u32 - 1;
    let r = |seed: u32| TypeId(seed % (last + 1));
    let mut out = Vec::new();
    for g in gens {
        let mut s = |n: &[u8]| b.add_str(n);
        let body = match &g.body {
            GenBody::None => Body::None,
            GenBody::Int(raw) => Body::Int(*raw),
            GenBody::Array(e, i, n) => Body::Array(Array {
                elem_type: r(*e),
                index_type: r(*i),
                nelems: *n,
            }),
            GenBody::Members(ms) => Body::Members(
                ms.iter()
                    .map(|(n, t, off)| Member {
                        name: s(n),
                        type_id: r(*t),
                        raw_offset: *off,
                        kflag: g.kflag,
                    })
                    .collect(),
            ),
            GenBody::Enum(vs) => Body::Enum(vs.iter().map(|(n, v)| (s(n), *v)).collect()),
            GenBody::Enum64(vs) => Body::Enum64(vs.iter().map(|(n, v)| (s(n), *v)).collect()),
            GenBody::Func(l) => Body::Func(Linkage::from_raw(*l)),
            GenBody::Params(ps) => Body::Params(
                ps.iter()
                    .map(|(n, t)| Param {
                        name: s(n),
                        type_id: r(*t),
                    })
                    .collect(),
            ),
            GenBody::Var(l) => Body::Var(Linkage::from_raw(*l)),
            GenBody::Datasec(vs) => Body::Datasec(
                vs.iter()
                    .map(|&(t, offset, size)| VarSecinfo {
                        type_id: r(t),
                        offset,
                        size,
                    })
                    .collect(),
            ),
            GenBody::DeclTag(i) => Body::DeclTag(*i),
        };
        let name = s(&g.name);
        let sot = if g.kind.has_type_ref() {
            r(g.sot).0
        } else {
            g.sot
        };
        let t = OwnedType {
            name,
            kind: g.kind,
            kflag: g.kflag,
            size_or_type: sot,
            body,
        };
        b.add(t.clone());
        out.push((t, g.name.clone()));
    }
    out
}

fn endian(big: bool) -> Endian {
    if big {
        Endian::Big
    } else {
        Endian::Little
    }
}

/// Checks that `btf` holds exactly `added`, with the right names.
fn same_types(btf: &Btf<'_>, added: &[(OwnedType, Vec<u8>)]) -> Result<(), TestCaseError> {
    prop_assert_eq!(btf.len(), added.len());
    for (t, (want, name)) in btf.own_types().zip(added) {
        prop_assert_eq!(&OwnedType::from_type(&t), want, "type [{}]", t.id());
        prop_assert_eq!(btf.type_name(&t), &name[..], "name of type [{}]", t.id());
        if let Body::Members(ms) = &want.body {
            for (m, want) in t.members().zip(ms) {
                prop_assert!(btf.name(m.name).is_some());
                prop_assert_eq!(m.name, want.name);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// builder → write → parse gives the same types; parse → from_btf →
    /// write gives the same bytes, in both byte orders and across them.
    #[test]
    fn builder_write_parse_roundtrip(gens in gen_types(40), big in any::<bool>()) {
        let mut b = BtfBuilder::new();
        let added = add_all(&mut b, &gens);
        let e = endian(big);
        let bytes = b.write(e).unwrap();
        let btf = Btf::parse(&bytes).unwrap();
        prop_assert_eq!(btf.endian(), e);
        same_types(&btf, &added)?;
        prop_assert_eq!(&BtfBuilder::from_btf(&btf).write(e).unwrap(), &bytes);

        // The other byte order holds the same types, and converting back
        // gives the original bytes.
        let other = b.write(entry::other(e)).unwrap();
        prop_assert_eq!(other.len(), bytes.len());
        let obtf = Btf::parse(&other).unwrap();
        same_types(&obtf, &added)?;
        prop_assert_eq!(&BtfBuilder::from_btf(&obtf).write(e).unwrap(), &bytes);

        entry::roundtrip_checked(&btf, None);
    }

    /// The same for split BTF on top of a generated base.
    #[test]
    fn split_roundtrip(base_gens in gen_types(20), gens in gen_types(20), big in any::<bool>()) {
        let e = endian(big);
        let mut bb = BtfBuilder::new();
        add_all(&mut bb, &base_gens);
        let base_bytes = bb.write(e).unwrap();
        let base = Btf::parse(&base_bytes).unwrap();

        let mut b = BtfBuilder::new_split(&base);
        prop_assert_eq!(b.first_id(), TypeId(base.type_count()));
        let added = add_all(&mut b, &gens);
        let bytes = b.write(e).unwrap();
        let split = Btf::parse_split(&bytes, &base).unwrap();
        prop_assert_eq!(split.first_id(), TypeId(base.type_count()));
        same_types(&split, &added)?;
        prop_assert_eq!(&BtfBuilder::from_btf(&split).write(e).unwrap(), &bytes);
        entry::roundtrip_checked(&split, Some(&base));
        // The fuzz target's encoding of the pair parses the same way.
        if let Some(input) = entry::split_input(&base_bytes, &bytes) {
            entry::parse_split(&input);
        }
    }

    /// Unknown kinds sized by a layout section survive byte for byte.
    #[test]
    fn unknown_kinds_with_layout_roundtrip(
        recs in prop::collection::vec(
            (20u8..=0x7f, 0u32..5, any::<bool>(), any::<u32>(), 0u8..3),
            1..12,
        ),
        sizes in prop::collection::vec((0u8..4, 0u8..4), 108),
        big in any::<bool>(),
    ) {
        let o = if big { Order::Big } else { Order::Little };
        let mut a = BtfAsm::new(o);
        let extra: Vec<(u8, u8, u8)> = (20u8..=0x7f)
            .map(|k| {
                let (i, e) = sizes[usize::from(k - 20)];
                (k, i * 4, e * 4)
            })
            .collect();
        a.layout_standard(&extra);
        let int = a.int("int", 4, 1, 32);
        for &(k, vlen, kflag, sot, known) in &recs {
            // Mix in known kinds so resynchronisation is exercised.
            match known {
                0 => {
                    a.ptr(int);
                }
                1 => {
                    a.struct_("s", 4, kflag, &[("a", int, 0)]);
                }
                _ => {}
            }
            let (i, e) = sizes[usize::from(k - 20)];
            let n = a.str("u");
            a.record(n, info(k, vlen, kflag), sot);
            for w in 0..(u32::from(i) + vlen * u32::from(e)) {
                a.word(w.wrapping_mul(0x9e37_79b9));
            }
        }
        let bytes = a.build();
        let btf = Btf::parse(&bytes).unwrap();
        prop_assert!(!btf.unknown_kinds().is_empty());
        let again = BtfBuilder::from_btf(&btf).write(endian(big)).unwrap();
        prop_assert_eq!(&again, &bytes);
        entry::parse_btf(&bytes);
    }

    /// No entry point panics on arbitrary bytes.
    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        entry::parse_btf(&data);
        entry::parse_btf_ext(&data);
        entry::parse_elf(&data);
        entry::parse_split(&data);
    }

    /// Nor on bytes that start like a BTF header (to get past the magic).
    #[test]
    fn header_like_bytes_never_panic(
        big in any::<bool>(),
        hdr_len in prop_oneof![Just(24u32), Just(32), 0u32..64],
        fields in any::<[u32; 6]>(),
        small in any::<[u16; 6]>(),
        body in prop::collection::vec(any::<u8>(), 0..400),
        use_small in any::<bool>(),
    ) {
        let o = if big { Order::Big } else { Order::Little };
        let mut data = Vec::new();
        data.extend_from_slice(&o.u16(0xeb9f));
        data.extend_from_slice(&[1, 0]);
        data.extend_from_slice(&o.u32(hdr_len));
        for i in 0..6 {
            let v = if use_small { u32::from(small[i]) % 512 } else { fields[i] };
            data.extend_from_slice(&o.u32(v));
        }
        data.extend_from_slice(&body);
        entry::parse_btf(&data);
        entry::parse_btf_ext(&data);
        entry::parse_split(&data);
    }

    /// Nor on mutations of valid BTF: byte flips, word overwrites and
    /// truncations.
    #[test]
    fn mutated_btf_never_panics(
        gens in gen_types(24),
        big in any::<bool>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..8),
        words in prop::collection::vec(
            (any::<prop::sample::Index>(), prop_oneof![Just(0u32), Just(u32::MAX), Just(0x00ff_ffff), any::<u32>()]),
            0..3,
        ),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut b = BtfBuilder::new();
        add_all(&mut b, &gens);
        let e = endian(big);
        let mut data = b.write(e).unwrap();
        for (i, x) in flips {
            let at = i.index(data.len());
            data[at] ^= x;
        }
        for (i, w) in words {
            let at = i.index(data.len() / 4) * 4;
            let bytes = match e { Endian::Big => w.to_be_bytes(), Endian::Little => w.to_le_bytes() };
            data[at..at + 4].copy_from_slice(&bytes);
        }
        if let Some(c) = cut {
            data.truncate(c.index(data.len() + 1));
        }
        entry::parse_btf(&data);
        let base = b.write(e).unwrap();
        if let Some(input) = entry::split_input(&base, &data) {
            entry::parse_split(&input);
        }
    }

    /// Nor on mutations of valid .BTF.ext.
    #[test]
    fn mutated_btf_ext_never_panics(
        big in any::<bool>(),
        hdr24 in any::<bool>(),
        blocks in prop::collection::vec((0usize..3, 1u32..4, prop::collection::vec(any::<u32>(), 1..4)), 0..6),
        extra_words in 0u32..3,
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let o = if big { Order::Big } else { Order::Little };
        let mins = [8u32, 16, 16];
        let mut subs = [ExtSub::new(8 + 4 * extra_words), ExtSub::new(16 + 4 * extra_words), ExtSub::new(16 + 4 * extra_words)];
        let mut used = [false; 3];
        for (which, sec, words) in &blocks {
            let rec_words = (mins[*which] / 4 + extra_words) as usize;
            let recs: Vec<Vec<u32>> = words.iter().map(|&w| vec![w; rec_words]).collect();
            let refs: Vec<&[u32]> = recs.iter().map(|r| &r[..]).collect();
            subs[*which] = std::mem::take(&mut subs[*which]).block(*sec, &refs);
            used[*which] = true;
        }
        let mut a = ExtAsm::new(o);
        if hdr24 {
            a.hdr24();
        }
        for (i, which) in [ExtKind::FuncInfo, ExtKind::LineInfo, ExtKind::CoreRelo].into_iter().enumerate() {
            if used[i] {
                a.sub(which, std::mem::take(&mut subs[i]));
            }
        }
        let mut data = a.build();
        let ext = BtfExt::parse(&data).unwrap();
        prop_assert_eq!(ext.func_info().len() + ext.line_info().len() + if hdr24 { 0 } else { ext.core_relo().len() },
            blocks.iter().filter(|b| !hdr24 || b.0 != 2).map(|b| b.2.len()).sum::<usize>());
        for (i, x) in flips {
            let at = i.index(data.len());
            data[at] ^= x;
        }
        if let Some(c) = cut {
            data.truncate(c.index(data.len() + 1));
        }
        entry::parse_btf_ext(&data);
    }
}

// ---- real BTF ------------------------------------------------------------------------

fn require_oracles() -> bool {
    std::env::var("BTFKIT_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

fn skip(what: &str) {
    use std::io::Write;
    assert!(
        !require_oracles(),
        "{what} is missing and BTFKIT_REQUIRE_ORACLES=1"
    );
    // Past libtest's capture of passing tests' output, so the skip is seen.
    let _ = writeln!(std::io::stderr(), "SKIP: {what} is missing; not tested");
}

/// Parses `data` as base BTF and checks that it round-trips byte for byte.
fn assert_roundtrip(label: &str, data: &[u8]) -> usize {
    let btf = Btf::parse(data).unwrap_or_else(|e| panic!("{label}: {e}"));
    let out = BtfBuilder::from_btf(&btf)
        .write(btf.endian())
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    assert!(out == data, "{label}: the round trip changed the bytes");
    entry::roundtrip_checked(&btf, None);
    btf.len()
}

fn assert_split_roundtrip(label: &str, data: &[u8], base: &Btf<'_>) -> usize {
    let split = Btf::parse_split(data, base).unwrap_or_else(|e| panic!("{label}: {e}"));
    let out = BtfBuilder::from_btf(&split).write(split.endian()).unwrap();
    assert!(
        out == data,
        "{label}: the split round trip changed the bytes"
    );
    entry::roundtrip_checked(&split, Some(base));
    split.len()
}

#[test]
fn vmlinux_roundtrip() {
    let path = Path::new("/sys/kernel/btf/vmlinux");
    let Ok(data) = std::fs::read(path) else {
        skip("/sys/kernel/btf/vmlinux");
        return;
    };
    let n = assert_roundtrip("vmlinux", &data);
    assert!(n > 1000, "vmlinux has only {n} types");
    // Kernel modules' BTF is split BTF on top of vmlinux.
    let base = Btf::parse(&data).unwrap();
    let mut modules = 0;
    for m in files_in(Path::new("/sys/kernel/btf")) {
        if m.file_name().is_some_and(|f| f == "vmlinux") {
            continue;
        }
        let Ok(md) = std::fs::read(&m) else { continue };
        assert_split_roundtrip(&m.display().to_string(), &md, &base);
        modules += 1;
    }
    eprintln!("vmlinux: {n} types round-tripped; {modules} module(s) as split BTF");
}

fn fixtures() -> PathBuf {
    repo_root().join("fixtures")
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

/// Every ELF object under fixtures/obj: .BTF round-trips byte for byte in
/// its own byte order, .BTF.ext parses, and bpfel/bpfeb twins hold the same
/// types.
#[test]
fn fixture_objects_roundtrip() {
    let objs: Vec<PathBuf> = files_in(&fixtures().join("obj"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    if objs.is_empty() {
        skip("fixtures/obj/*.o");
        return;
    }
    let (mut with_btf, mut big) = (0, 0);
    for path in &objs {
        let label = path.display().to_string();
        let data = std::fs::read(path).unwrap();
        let elf = ElfBtf::parse(&data).unwrap_or_else(|e| panic!("{label}: {e}"));
        entry::parse_elf(&data);
        let Some(btf_bytes) = &elf.btf else {
            continue;
        };
        with_btf += 1;
        let btf = Btf::parse(btf_bytes).unwrap_or_else(|e| panic!("{label}: .BTF: {e}"));
        assert_eq!(
            btf.endian() == Endian::Big,
            elf.big_endian,
            "{label}: .BTF byte order differs from the ELF file's"
        );
        big += usize::from(elf.big_endian);
        assert_roundtrip(&label, btf_bytes);
        if let Some(ext) = &elf.btf_ext {
            let ext = BtfExt::parse(ext).unwrap_or_else(|e| panic!("{label}: .BTF.ext: {e}"));
            assert_eq!(ext.endian(), btf.endian());
            entry::walk_ext(&ext);
            for b in ext.func_info().blocks() {
                assert!(
                    btf.name(b.sec_name).is_some(),
                    "{label}: func_info section name"
                );
                for r in b.iter() {
                    let f = btf.get(r.type_id).expect("func_info names a type");
                    assert_eq!(f.kind(), Kind::Func, "{label}");
                }
            }
            for b in ext.line_info().blocks() {
                for r in b.iter() {
                    assert!(btf.name(r.file_name).is_some(), "{label}: line_info file");
                    assert!(btf.name(r.line).is_some(), "{label}: line_info line");
                }
            }
            for b in ext.core_relo().blocks() {
                for r in b.iter() {
                    assert!(btf.get(r.type_id).is_some(), "{label}: core_relo type");
                    assert!(btf.name(r.access_str).is_some(), "{label}: access string");
                }
            }
        }
    }
    // bpfel/bpfeb twins: the same types and strings, bytes swapped.
    for el in objs
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".el.o"))
    {
        let eb = PathBuf::from(el.to_string_lossy().replace(".el.o", ".eb.o"));
        let (Ok(el_data), Ok(eb_data)) = (std::fs::read(el), std::fs::read(&eb)) else {
            continue;
        };
        let (el_elf, eb_elf) = (
            ElfBtf::parse(&el_data).unwrap(),
            ElfBtf::parse(&eb_data).unwrap(),
        );
        let (Some(a), Some(b)) = (&el_elf.btf, &eb_elf.btf) else {
            continue;
        };
        let (a, b) = (Btf::parse(a).unwrap(), Btf::parse(b).unwrap());
        let label = el.display();
        assert_eq!(a.endian(), Endian::Little, "{label}");
        assert_eq!(b.endian(), Endian::Big, "{label}");
        assert_eq!(a.len(), b.len(), "{label}: type counts differ");
        for (x, y) in a.own_types().zip(b.own_types()) {
            assert_eq!(
                OwnedType::from_type(&x),
                OwnedType::from_type(&y),
                "{label}: type [{}] differs between bpfel and bpfeb",
                x.id()
            );
        }
        assert_eq!(a.strings().as_bytes(), b.strings().as_bytes(), "{label}");
        let swapped = BtfBuilder::from_btf(&a).write(Endian::Big).unwrap();
        assert!(
            swapped == b.as_bytes(),
            "{label}: bpfel .BTF written big-endian differs from the bpfeb .BTF"
        );
    }
    eprintln!(
        "fixtures/obj: {} objects, {with_btf} with .BTF ({big} big-endian)",
        objs.len()
    );
    if objs.iter().any(|p| p.to_string_lossy().ends_with(".eb.o")) {
        assert!(big > 0, "no big-endian .BTF was checked");
    }
}

/// Every raw BTF file under fixtures/raw (split ones over a `*base*` file
/// beside them) and every gzipped kernel BTF under fixtures/kernel.
#[test]
fn fixture_raw_btf_roundtrip() {
    let raw: Vec<PathBuf> = files_in(&fixtures().join("raw"));
    let kernels: Vec<PathBuf> = files_in(&fixtures().join("kernel"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".btf.gz"))
        .collect();
    if raw.is_empty() && kernels.is_empty() {
        skip("fixtures/raw and fixtures/kernel");
        return;
    }
    let data: Vec<(PathBuf, Vec<u8>)> = raw
        .iter()
        .map(|p| (p.clone(), std::fs::read(p).unwrap()))
        .filter(|(_, d)| d.starts_with(&[0x9f, 0xeb]) || d.starts_with(&[0xeb, 0x9f]))
        .collect();
    let bases: Vec<(&PathBuf, Btf<'_>)> = data
        .iter()
        .filter_map(|(p, d)| Btf::parse(d).ok().map(|b| (p, b)))
        .collect();
    let (mut n_base, mut n_split) = (0, 0);
    for (path, bytes) in &data {
        let label = path.display().to_string();
        if Btf::parse(bytes).is_ok() {
            assert_roundtrip(&label, bytes);
            n_base += 1;
            continue;
        }
        // Split BTF: over a base whose name says so.
        let mut done = false;
        for (bp, base) in &bases {
            let bname = bp.file_name().unwrap().to_string_lossy();
            if bname.contains("base") && Btf::parse_split(bytes, base).is_ok() {
                assert_split_roundtrip(&label, bytes, base);
                // The fuzz target's view of the pair.
                if let Some(input) = entry::split_input(base.as_bytes(), bytes) {
                    entry::parse_split(&input);
                }
                done = true;
                n_split += 1;
                break;
            }
        }
        assert!(
            done,
            "{label}: neither base BTF nor split BTF over a *base* file: {}",
            Btf::parse(bytes).unwrap_err()
        );
    }
    for k in &kernels {
        let bytes = gunzip(&std::fs::read(k).unwrap());
        assert_roundtrip(&k.display().to_string(), &bytes);
        n_base += 1;
    }
    eprintln!("fixtures: {n_base} base and {n_split} split BTF blobs round-tripped");
}

/// The split pair in fixtures/raw, when present, by name.
#[test]
fn fixture_split_pair() {
    let dir = fixtures().join("raw");
    let (Ok(base), Ok(split)) = (
        std::fs::read(dir.join("split_base.btf")),
        std::fs::read(dir.join("split_mod.btf")),
    ) else {
        skip("fixtures/raw/split_{base,mod}.btf");
        return;
    };
    let b = Btf::parse(&base).unwrap();
    let s = Btf::parse_split(&split, &b).unwrap();
    assert_eq!(s.first_id(), TypeId(b.type_count()));
    assert_eq!(
        s.str_len_total(),
        b.str_len_total() + s.strings().len() as u32
    );
    // Every name in the split resolves, some of them in the base.
    for t in s.own_types() {
        assert!(s.name(t.name_off()).is_some(), "type [{}]", t.id());
        for (r, _) in t.references() {
            assert!(r.is_void() || s.get(r).is_some());
        }
    }
    assert_split_roundtrip("split_mod.btf", &split, &b);
    // Without its base, split BTF is refused with a hint.
    let e = Btf::parse(&split).unwrap_err();
    assert!(e.to_string().contains("without its base"), "{e}");
}
