//! `btfkit dwarf2btf` on C: the BPF fixture sources compiled for x86-64
//! with DWARF (fixtures/dwarf/build.sh) must give, for every named type, the
//! BTF that clang's BPF backend wrote for the same source
//! (fixtures/obj/*.el.o), ids aside.

mod common;
mod dwarf2btf_support;

use btf_core::Btf;
use btf_dwarf::RustNames;
use dwarf2btf_support::*;

/// Converts `host` and compares it with `reference`.
fn compare(host: &str, reference: &str, allow: Allow) -> Report {
    let ours = convert(&dwarf_fixture(host), RustNames::Keep, 1);
    let reference = elf_btf(&bpf_fixture(reference));
    let ours = Btf::parse(&ours).unwrap();
    let reference = Btf::parse(&reference).unwrap();
    compare_named(&ours, &reference, allow)
}

fn assert_matches(host: &str, reference: &str) -> Report {
    let allow = Allow {
        gcc: host.contains(".gcc") || host.contains(".zdebug"),
        ..Allow::default()
    };
    let report = compare(host, reference, allow);
    assert!(
        report.differ.is_empty(),
        "{host} vs {reference}: {}",
        report.summary()
    );
    assert!(report.matched > 0, "{host}: nothing compared");
    // core.c names some types only inside CO-RE builtins
    // (bpf_core_type_exists(pid_t) and the like): LLVM's BPF backend records
    // them, a host build has no DWARF for them. Every other fixture must
    // define every named type the reference defines.
    if reference != "core.el.o" {
        assert!(
            report.missing_in_ours.is_empty(),
            "{host} lacks types {reference} defines: {}",
            report.summary()
        );
    }
    eprintln!("{host}: {}", report.summary());
    report
}

#[test]
fn kinds_clang() {
    assert_matches("obj/kinds.clang.o", "kinds.el.o");
}

#[test]
fn bitfields_clang() {
    assert_matches("obj/bitfields.clang.o", "bitfields.el.o");
}

#[test]
fn tags_clang() {
    assert_matches("obj/tags.clang.o", "tags.el.o");
}

#[test]
fn maps_progs_clang() {
    assert_matches("obj/maps_progs.clang.o", "maps_progs.el.o");
}

#[test]
fn core_clang() {
    assert_matches("obj/core.clang.o", "core.el.o");
}

/// GCC's DWARF (abstract origins, its own forms and more declared types)
/// for the same sources: every type btfkit writes that clang's BPF backend
/// also wrote must match.
#[test]
fn gcc_objects() {
    for (host, reference) in [
        ("obj/kinds.gcc.o", "kinds.el.o"),
        ("obj/bitfields.gcc.o", "bitfields.el.o"),
        ("obj/bitfields.gcc-dwarf4.o", "bitfields.el.o"),
        ("obj/maps_progs.gcc.o", "maps_progs.el.o"),
        ("obj/core.gcc.o", "core.el.o"),
        ("obj/kinds.zdebug.o", "kinds.el.o"),
    ] {
        assert_matches(host, reference);
    }
}

/// The same object as DWARF 4, and with compressed debug sections (zlib,
/// zstd), converts to the same types (GNU .zdebug is a gcc object, above).
#[test]
fn dwarf_flavours() {
    for host in [
        "obj/kinds.clang-dwarf4.o",
        "obj/kinds.zlib.o",
        "obj/kinds.zstd.o",
    ] {
        assert_matches(host, "kinds.el.o");
    }
}
