//! The library API on the DWARF fixtures: options, statistics, determinism.

use std::path::{Path, PathBuf};

use btf_core::dedup::{dedup_packed, DedupOptions};
use btf_core::{Btf, Kind};
use btf_dwarf::{encode, encode_dedup, Arrays, Mode, NoProgress, Options, RustNames, Schedule};

fn fixture(name: &str) -> Vec<u8> {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/dwarf/obj")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn bytes(data: &[u8], options: &Options) -> Vec<u8> {
    let enc = encode(data, options, None, &NoProgress).unwrap();
    enc.builder.write(enc.endian).unwrap()
}

/// Units are decoded in parallel but merged in order: the same bytes for
/// any number of threads, before deduplication too.
#[test]
fn output_does_not_depend_on_jobs() {
    let data = fixture("multi.clang.o");
    let one = bytes(
        &data,
        &Options {
            jobs: 1,
            ..Options::default()
        },
    );
    for jobs in [2, 3, 5, 16] {
        assert!(
            one == bytes(
                &data,
                &Options {
                    jobs,
                    ..Options::default()
                }
            ),
            "jobs {jobs}"
        );
    }
}

/// Deduplicating while units are still being decoded gives what
/// deduplicating afterwards gives, on every fixture (objects with several
/// units, linked programs whose `.debug_str` shares string tails).
#[test]
fn overlapped_dedup_gives_the_same_bytes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/dwarf/obj");
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let data = fixture(&name);
        let run = |schedule| {
            let out = encode_dedup(
                &data,
                &Options::default(),
                &DedupOptions::default(),
                schedule,
                None,
                &NoProgress,
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            (
                out.deduped.builder.write(out.endian).unwrap(),
                out.stats.types,
            )
        };
        let after = run(Schedule::After);
        assert!(after == run(Schedule::Overlapped), "{name}");
        // And both are dedup of the plain conversion.
        let enc = encode(&data, &Options::default(), None, &NoProgress).unwrap();
        let d = dedup_packed(enc.builder, None, &DedupOptions::default()).unwrap();
        assert!(after.0 == d.builder.write(enc.endian).unwrap(), "{name}");
        compared += 1;
    }
    assert!(compared >= 20, "{compared} fixtures");
}

#[test]
fn stats_count_what_was_done() {
    let enc = encode(
        &fixture("multi.clang.o"),
        &Options::default(),
        None,
        &NoProgress,
    )
    .unwrap();
    let s = &enc.stats;
    assert_eq!(s.units, 6);
    assert!(s.dies > 900 && s.funcs > 20 && s.vars > 30, "{s:?}");
    assert_eq!(s.types, enc.builder.len() as u64);
    assert!(!enc.kernel);
    // extras.c has complex types, which have no BTF encoding.
    assert!(
        s.warnings.keys().any(|w| w.contains("base types")),
        "{:?}",
        s.warnings
    );
}

/// Kernel rules on a program: VARs only in `.data..percpu` (none here), and
/// FUNCs only for functions with a symbol of their name.
#[test]
fn kernel_rules() {
    let data = fixture("prog.x86_64");
    let enc = encode(
        &data,
        &Options {
            mode: Mode::Kernel,
            ..Options::default()
        },
        None,
        &NoProgress,
    )
    .unwrap();
    assert!(enc.kernel);
    assert_eq!(enc.stats.vars, 0);
    let b = enc.builder.write(enc.endian).unwrap();
    let btf = Btf::parse(&b).unwrap();
    let funcs: Vec<_> = btf
        .types()
        .filter(|t| t.kind() == Kind::Func)
        .map(|t| String::from_utf8_lossy(btf.type_name(&t)).into_owned())
        .collect();
    // `bump` was inlined away: no symbol, no FUNC.
    assert_eq!(funcs, ["entry", "_start"]);
}

#[test]
fn arrays_nested_or_flat() {
    let data = fixture("kinds.clang.o");
    let count = |arrays| {
        let b = bytes(
            &data,
            &Options {
                arrays,
                ..Options::default()
            },
        );
        let btf = Btf::parse(&b).unwrap();
        let nested = btf
            .types()
            .filter(|t| {
                matches!(t.data(), btf_core::TypeData::Array(a)
                if btf.get(a.elem_type).is_some_and(|e| e.kind() == Kind::Array))
            })
            .count();
        nested
    };
    assert!(count(Arrays::Nested) > 0);
    assert_eq!(count(Arrays::Flat), 0);
}

/// Sanitising touches only names the kernel rejects.
#[test]
fn rust_names() {
    let data = fixture("rust_enums.x86_64.o");
    let names = |rust_names| {
        let b = bytes(
            &data,
            &Options {
                rust_names,
                ..Options::default()
            },
        );
        let btf = Btf::parse(&b).unwrap();
        btf.types()
            .map(|t| String::from_utf8_lossy(btf.type_name(&t)).into_owned())
            .collect::<Vec<_>>()
    };
    let (kept, fixed) = (names(RustNames::Keep), names(RustNames::Sanitize));
    assert!(kept.iter().any(|n| n == "MyOption<&enums_bpf::Point>"));
    assert!(fixed
        .iter()
        .any(|n| n == "MyOption_3C__26_enums_bpf_3A__3A_Point_3E_"));
    assert!(kept.iter().any(|n| n == "Holder") && fixed.iter().any(|n| n == "Holder"));
}

/// The ELF writer keeps the input's bytes and appends .BTF.
#[test]
fn elf_output_keeps_the_input() {
    let data = fixture("tags.clang.o");
    let btf = bytes(&data, &Options::default());
    let out = btf_dwarf::with_btf_section(&data, &btf).unwrap();
    assert_eq!(&out[64..data.len()], &data[64..]);
    let elf = btf_core::elf::ElfBtf::parse(&out).unwrap();
    assert_eq!(elf.btf.as_deref(), Some(&btf[..]));
    // Replacing works too, and is idempotent.
    let again = btf_dwarf::with_btf_section(&out, &btf).unwrap();
    assert_eq!(
        btf_core::elf::ElfBtf::parse(&again).unwrap().btf.as_deref(),
        Some(&btf[..])
    );
}

/// After LTO, one unit's types refer to another's (`DW_FORM_ref_addr`):
/// the references land on the other unit's types.
#[test]
fn cross_unit_references() {
    let data = fixture("lto.x86_64");
    let b = bytes(&data, &Options::default());
    let btf = Btf::parse(&b).unwrap();
    let shared: Vec<_> = btf
        .types()
        .filter(|t| t.kind() == Kind::Struct && btf.type_name(t) == b"shared")
        .collect();
    assert_eq!(shared.len(), 2, "one per unit before dedup");
    for s in shared {
        for m in s.members() {
            let t = btf.get(m.type_id).expect("member type resolved");
            assert_ne!(t.kind(), Kind::Struct, "{:?}", btf.name(m.name));
        }
        let a = s.members().next().unwrap();
        let int = btf.get(a.type_id).unwrap();
        assert_eq!((int.kind(), btf.type_name(&int)), (Kind::Int, &b"int"[..]));
    }
}
