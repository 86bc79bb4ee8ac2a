//! `btfkit dwarf2btf` from the command line: outputs (raw, ELF copy, in
//! place), split BTF over a base, determinism across `--jobs`, and errors.

mod common;

use std::path::PathBuf;

use btf_core::elf::ElfBtf;
use btf_core::{Btf, Kind};
use common::*;
use object::{Object, ObjectSection};

fn obj(name: &str) -> PathBuf {
    fixture("dwarf/obj").join(name)
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Runs `btfkit dwarf2btf ARGS…`, expecting success.
fn dwarf2btf(args: &[&std::ffi::OsStr]) {
    let mut all: Vec<&std::ffi::OsStr> = vec!["dwarf2btf".as_ref(), "--quiet".as_ref()];
    all.extend_from_slice(args);
    let out = btfkit(&all);
    assert!(
        out.status.success(),
        "btfkit {all:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

#[test]
fn raw_output_parses_and_dumps() {
    let dir = tmp();
    let out = dir.path().join("kinds.btf");
    dwarf2btf(&[obj("kinds.clang.o").as_os_str(), os("-o"), out.as_os_str()]);
    let bytes = std::fs::read(&out).unwrap();
    let btf = Btf::parse(&bytes).unwrap();
    assert!(btf.types().any(|t| btf.type_name(&t) == b"kitchen_sink"));
    let dump = btfkit([os("dump"), out.as_os_str()]);
    assert!(dump.status.success());
}

/// `--elf-output` writes the input with a .BTF section holding exactly what
/// `-o` writes, every other section unchanged.
#[test]
fn elf_output_adds_btf_section() {
    let dir = tmp();
    let raw = dir.path().join("x.btf");
    let elf = dir.path().join("x.o");
    let input = obj("maps_progs.clang.o");
    dwarf2btf(&[
        input.as_os_str(),
        os("-o"),
        raw.as_os_str(),
        os("--elf-output"),
        elf.as_os_str(),
    ]);
    let written = std::fs::read(&elf).unwrap();
    let btf = ElfBtf::parse(&written).unwrap().btf.expect(".BTF");
    assert_eq!(&*btf, &std::fs::read(&raw).unwrap()[..]);
    same_sections_except_btf(&std::fs::read(&input).unwrap(), &written);
    // btfkit (and bpftool) read it like a BPF object.
    assert!(btfkit([os("dump"), elf.as_os_str()]).status.success());
}

/// `--in-place` adds .BTF, and a second run replaces it.
#[test]
fn in_place_adds_then_replaces() {
    let dir = tmp();
    let copy = dir.path().join("prog");
    std::fs::copy(obj("prog.x86_64"), &copy).unwrap();
    let original = std::fs::read(&copy).unwrap();
    dwarf2btf(&[copy.as_os_str(), os("--in-place")]);
    let once = std::fs::read(&copy).unwrap();
    assert!(ElfBtf::parse(&once).unwrap().btf.is_some());
    same_sections_except_btf(&original, &once);
    dwarf2btf(&[copy.as_os_str(), os("--in-place")]);
    let twice = std::fs::read(&copy).unwrap();
    assert_eq!(
        ElfBtf::parse(&once).unwrap().btf,
        ElfBtf::parse(&twice).unwrap().btf
    );
    let f = object::File::parse(&*twice).unwrap();
    assert_eq!(f.sections().filter(|s| s.name() == Ok(".BTF")).count(), 1);
}

fn same_sections_except_btf(before: &[u8], after: &[u8]) {
    let (a, b) = (
        object::File::parse(before).unwrap(),
        object::File::parse(after).unwrap(),
    );
    for s in a.sections() {
        let name = s.name().unwrap();
        if name == ".BTF" || name.is_empty() || name.starts_with(".rela") {
            continue;
        }
        let t = b
            .section_by_name(name)
            .unwrap_or_else(|| panic!("section {name} lost"));
        let (old, new) = (s.data().unwrap(), t.data().unwrap());
        // The section-name table (clang shares it with .strtab) gains
        // ".BTF" at its end; nothing else changes.
        let grown = new.len() == old.len() + 5 && new.starts_with(old) && new.ends_with(b".BTF\0");
        assert!(old == new || grown, "section {name} changed");
    }
}

/// With `--base`, a module gets split BTF holding only what the base lacks.
#[test]
fn split_btf_over_a_base() {
    let dir = tmp();
    let base = dir.path().join("base.btf");
    let split = dir.path().join("mod.btf");
    let whole = dir.path().join("whole.btf");
    dwarf2btf(&[
        fixture("obj/host_split_base.o").as_os_str(),
        os("-o"),
        base.as_os_str(),
    ]);
    let module = fixture("obj/host_split_mod.o");
    dwarf2btf(&[
        module.as_os_str(),
        os("--base"),
        base.as_os_str(),
        os("-o"),
        split.as_os_str(),
    ]);
    dwarf2btf(&[module.as_os_str(), os("-o"), whole.as_os_str()]);
    let base_bytes = std::fs::read(&base).unwrap();
    let base = Btf::parse(&base_bytes).unwrap();
    let split_bytes = std::fs::read(&split).unwrap();
    let split = Btf::parse_split(&split_bytes, &base).unwrap();
    let whole_bytes = std::fs::read(&whole).unwrap();
    let whole = Btf::parse(&whole_bytes).unwrap();
    assert_eq!(split.first_id().0, base.type_count());
    assert!(
        split.len() < whole.len(),
        "{} vs {}",
        split.len(),
        whole.len()
    );
    // Shared types come from the base: the module's struct refers to them.
    let names: Vec<String> = split
        .own_types()
        .map(|t| String::from_utf8_lossy(split.type_name(&t)).into_owned())
        .collect();
    assert!(!names.iter().any(|n| n == "list_head"), "{names:?}");
    // Same as pahole's split BTF for the same pair (fixtures/raw/split_mod.btf),
    // kind for kind.
    let pahole_base = std::fs::read(fixture("raw/split_base.btf")).unwrap();
    let pahole_base = Btf::parse(&pahole_base).unwrap();
    let pahole = std::fs::read(fixture("raw/split_mod.btf")).unwrap();
    let pahole = Btf::parse_split(&pahole, &pahole_base).unwrap();
    let kinds = |b: &Btf<'_>| {
        let mut k: Vec<Kind> = b
            .own_types()
            .map(|t| t.kind())
            .filter(|k| !matches!(k, Kind::Func | Kind::Var | Kind::Datasec))
            .collect();
        k.sort();
        k
    };
    assert_eq!(kinds(&split), kinds(&pahole));
}

/// The output does not depend on the number of threads.
#[test]
fn same_bytes_for_any_jobs() {
    let dir = tmp();
    let input = obj("multi.clang.o");
    let mut outputs = Vec::new();
    for jobs in ["1", "2", "3", "8"] {
        let out = dir.path().join(format!("j{jobs}.btf"));
        dwarf2btf(&[
            input.as_os_str(),
            os("-j"),
            os(jobs),
            os("-o"),
            out.as_os_str(),
        ]);
        outputs.push(std::fs::read(&out).unwrap());
    }
    for o in &outputs[1..] {
        assert!(o == &outputs[0], "output depends on --jobs");
    }
}

/// Errors exit with status 2 and a one-line message naming the file.
#[test]
fn errors() {
    let dir = tmp();
    let out = dir.path().join("x.btf");
    let not_elf = fixture("raw/kinds.el.btf");
    let r = btfkit([
        os("dwarf2btf"),
        not_elf.as_os_str(),
        os("-o"),
        out.as_os_str(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("kinds.el.btf"));

    // An ELF file without .debug_info.
    let mut data = std::fs::read(obj("bitfields.clang.o")).unwrap();
    let at = find(&data, b".debug_info\0").expect("section name");
    data[at + 1] = b'x';
    let stripped = dir.path().join("nodwarf.o");
    std::fs::write(&stripped, &data).unwrap();
    let r = btfkit([
        os("dwarf2btf"),
        stripped.as_os_str(),
        os("-o"),
        out.as_os_str(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no DWARF"));

    // Nothing to write.
    let r = btfkit([os("dwarf2btf"), obj("bitfields.clang.o").as_os_str()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(!out.exists());

    // Split BTF cannot be loaded: refused before any input is read (the
    // input here does not even exist).
    let missing = dir.path().join("missing.ko");
    let r = btfkit([
        os("dwarf2btf"),
        missing.as_os_str(),
        os("--base"),
        not_elf.as_os_str(),
        os("--verify-load"),
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("cannot load split BTF"), "{err}");
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every fixture, C, C++ and Rust, gives BTF the running kernel loads.
#[test]
fn every_fixture_loads() {
    let t = "every_fixture_loads";
    if !btf_sys::require_bpf_or_skip(t) {
        return;
    }
    let dir = tmp();
    for entry in std::fs::read_dir(fixture("dwarf/obj")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("bpfel") {
            continue;
        }
        let out = dir.path().join("out.btf");
        let r = btfkit([
            os("dwarf2btf"),
            os("--quiet"),
            path.as_os_str(),
            os("-o"),
            out.as_os_str(),
            os("--verify-load"),
        ]);
        assert!(
            r.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&r.stderr)
        );
    }
}
