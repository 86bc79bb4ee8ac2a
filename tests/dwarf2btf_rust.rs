//! `btfkit dwarf2btf` on Rust: `#![no_core]` crates compiled to x86-64 with
//! DWARF (fixtures/dwarf/build.sh) must give, for every named type, the BTF
//! rustc's own BPF backend (LLVM 22) wrote for the same source, members
//! compared in offset order; with sanitized names the result must load into
//! the running kernel.

mod common;
mod dwarf2btf_support;

use btf_core::{Btf, Kind};
use btf_dwarf::RustNames;
use dwarf2btf_support::*;

/// The two documented divergences from LLVM for Rust: `char` (LLVM writes
/// void) and niche discriminants not at offset 0 (LLVM puts them there,
/// which the kernel rejects; btfkit wraps them).
const RUST: Allow = Allow {
    rust_char_is_void: true,
    wrapped_discriminants: true,
    gcc: false,
};

fn compare(host: &str, reference: &std::path::Path) -> Report {
    let ours = convert(&dwarf_fixture(host), RustNames::Keep, 1);
    let reference = elf_btf(reference);
    let ours = Btf::parse(&ours).unwrap();
    let reference = Btf::parse(&reference).unwrap();
    let report = compare_named(&ours, &reference, RUST);
    eprintln!("{host}: {}", report.summary());
    assert!(report.differ.is_empty(), "{host}: {}", report.summary());
    report
}

#[test]
fn enums_match_rustc_bpf() {
    let report = compare("obj/rust_enums.x86_64.o", &bpf_fixture("rust_enums.el.o"));
    assert!(report.matched >= 60, "{}", report.summary());
    assert!(report.forward_only.is_empty(), "{}", report.summary());
    assert!(
        report.divergences.iter().any(|d| d.contains("niche")),
        "OffNiche's discriminant should have been wrapped: {}",
        report.summary()
    );
}

#[test]
fn more_enums_match_rustc_bpf() {
    let report = compare(
        "obj/more_enums.x86_64.o",
        &dwarf_fixture("obj/more_enums.bpfel.o"),
    );
    assert!(report.matched >= 40, "{}", report.summary());
}

/// The shapes DWARF2BTF.md §8.1 describes, checked directly.
#[test]
fn variant_union_shape() {
    let bytes = convert(
        &dwarf_fixture("obj/rust_enums.x86_64.o"),
        RustNames::Keep,
        1,
    );
    let btf = Btf::parse(&bytes).unwrap();
    let tuple = find(&btf, Kind::Struct, "Tuple");
    assert_eq!(tuple.size(), Some(16));
    let members: Vec<_> = tuple.members().collect();
    assert_eq!(members.len(), 1);
    assert!(members[0].name.is_empty());
    let union = btf.get(members[0].type_id).unwrap();
    assert_eq!(union.kind(), Kind::Union);
    assert_eq!(union.size(), Some(16));
    let names: Vec<_> = union
        .members()
        .map(|m| String::from_utf8_lossy(btf.name(m.name).unwrap()).into_owned())
        .collect();
    assert_eq!(names, ["", "First", "Second"]);
    assert!(union.members().all(|m| m.bit_offset() == 0));
    let first = btf.get(union.members().nth(1).unwrap().type_id).unwrap();
    let offsets: Vec<_> = first.members().map(|m| m.bit_offset()).collect();
    assert_eq!((first.size(), offsets), (Some(16), vec![32, 64]));

    // OffNiche: the discriminant at byte 8 is wrapped.
    let off = find(&btf, Kind::Struct, "OffNiche");
    let union = btf.get(off.members().next().unwrap().type_id).unwrap();
    let wrapper = btf.get(union.members().next().unwrap().type_id).unwrap();
    assert_eq!((wrapper.kind(), wrapper.size()), (Kind::Struct, Some(16)));
    assert!(btf.type_name(&wrapper).is_empty());
    assert_eq!(wrapper.members().next().unwrap().bit_offset(), 64);

    // Mixed::Pair { a@32, b@16 } is sorted.
    let pair = find(&btf, Kind::Struct, "Pair");
    let offsets: Vec<_> = pair.members().map(|m| m.bit_offset()).collect();
    assert_eq!(offsets, [16, 32]);

    // Pointers are never named, even though rustc names them.
    assert!(btf
        .types()
        .filter(|t| t.kind() == Kind::Ptr)
        .all(|t| btf.type_name(&t).is_empty()));
}

/// Unit-only enums with explicit discriminants: sizes, signedness, ENUM64.
#[test]
fn c_like_enums() {
    let bytes = convert(
        &dwarf_fixture("obj/rust_enums.x86_64.o"),
        RustNames::Keep,
        1,
    );
    let btf = Btf::parse(&bytes).unwrap();
    let small = find(&btf, Kind::Enum, "SignedSmall");
    assert_eq!((small.size(), small.kflag()), (Some(1), true));
    let values: Vec<i128> = small.enum_values().map(|v| v.value()).collect();
    assert_eq!(values, [-3, 0, 100]);
    let big = find(&btf, Kind::Enum64, "Big");
    assert!(big.kflag());
    assert_eq!(big.enum_values().next().unwrap().value(), i64::MIN as i128);
    let bigu = find(&btf, Kind::Enum64, "BigU");
    assert!(!bigu.kflag());
    assert_eq!(
        bigu.enum_values().nth(1).unwrap().value(),
        0xffff_ffff_ffff_fff0_u64 as i128
    );
}

/// `()` is a 0-size INT, named `()` like LLVM's; fat pointers are structs
/// of a data pointer and a length.
#[test]
fn unit_and_fat_pointers() {
    let bytes = convert(
        &dwarf_fixture("obj/more_enums.x86_64.o"),
        RustNames::Keep,
        1,
    );
    let btf = Btf::parse(&bytes).unwrap();
    let unit = find(&btf, Kind::Int, "()");
    assert_eq!(unit.size(), Some(0));
    let slice = find(&btf, Kind::Struct, "&[u8]");
    let names: Vec<_> = slice
        .members()
        .map(|m| String::from_utf8_lossy(btf.name(m.name).unwrap()).into_owned())
        .collect();
    assert_eq!(
        (slice.size(), names),
        (Some(16), vec!["data_ptr".into(), "length".into()])
    );
}

/// With the default `--rust-names=sanitize` every name is one the kernel
/// accepts, and the kernel loads the result.
#[test]
fn sanitized_rust_btf_loads() {
    let t = "sanitized_rust_btf_loads";
    for host in ["obj/rust_enums.x86_64.o", "obj/more_enums.x86_64.o"] {
        let bytes = convert(&dwarf_fixture(host), RustNames::Sanitize, 0);
        let btf = Btf::parse(&bytes).unwrap();
        let generic = btf
            .types()
            .find(|t| btf.type_name(t).starts_with(b"MyOption_3C_"))
            .map(|t| btf.type_name(&t).to_vec());
        assert!(generic.is_some(), "{host}: no sanitized MyOption<…>");
        if btf_sys::require_bpf_or_skip(t) {
            if let Err(e) = btf_sys::load_btf(&bytes, 0) {
                panic!("{host}: kernel rejected sanitized BTF: {e}");
            }
        }
    }
}

/// With `--rust-names=keep` the kernel rejects the names, as it rejects
/// rustc's own BPF output.
#[test]
fn kept_rust_names_are_rejected() {
    let t = "kept_rust_names_are_rejected";
    let bytes = convert(
        &dwarf_fixture("obj/rust_enums.x86_64.o"),
        RustNames::Keep,
        0,
    );
    if btf_sys::require_bpf_or_skip(t) {
        assert!(btf_sys::load_btf(&bytes, 0).is_err());
    }
}

fn find<'a>(btf: &'a Btf<'a>, kind: Kind, name: &str) -> btf_core::Type<'a> {
    btf.types()
        .find(|t| t.kind() == kind && btf.type_name(t) == name.as_bytes())
        .unwrap_or_else(|| panic!("no {kind} '{name}'"))
}

/// core's own generic enums (niches in `Option<&u8>`, `Option<bool>`,
/// `Option<NonZeroU32>`; a real tag in `Option<u64>`; `Result<(), u32>`):
/// the enum shape, the unit type, and a kernel that loads the result.
#[test]
fn core_generic_enums() {
    let kept = convert(
        &dwarf_fixture("obj/core_enums.x86_64.o"),
        RustNames::Keep,
        0,
    );
    let btf = Btf::parse(&kept).unwrap();
    for name in [
        "Option<&u8>",
        "Option<bool>",
        "Option<core::num::nonzero::NonZero<u32>>",
        "Option<u64>",
        "Result<(), u32>",
        "Result<&str, u8>",
        "&[u16]",
        "&str",
    ] {
        let t = find(&btf, Kind::Struct, name);
        if name.starts_with("Option") || name.starts_with("Result") {
            let union = btf.get(t.members().next().unwrap().type_id).unwrap();
            assert_eq!(union.kind(), Kind::Union, "{name}");
            assert!(union.members().all(|m| m.bit_offset() == 0), "{name}");
        }
    }
    let ordering = find(&btf, Kind::Enum, "Ordering");
    assert!(ordering.kflag());
    let t = "core_generic_enums";
    let sanitized = convert(
        &dwarf_fixture("obj/core_enums.x86_64.o"),
        RustNames::Sanitize,
        0,
    );
    if btf_sys::require_bpf_or_skip(t) {
        if let Err(e) = btf_sys::load_btf(&sanitized, 0) {
            panic!("kernel rejected core_enums BTF: {e}");
        }
    }
}
