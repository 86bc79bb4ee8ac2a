//! `btfkit dedup`: merging inputs, split output over a base, determinism,
//! kernel acceptance, errors, and a cross-check against libbpf's dedup as
//! pahole runs it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use btf_core::elf::ElfBtf;
use btf_core::{Btf, Kind};
use common::*;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Runs `btfkit dedup ARGS -o OUT` and returns OUT's bytes.
fn dedup_to(dir: &Path, name: &str, args: &[&Path], extra: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let mut cmd: Vec<&std::ffi::OsStr> = vec!["dedup".as_ref()];
    cmd.extend(args.iter().map(|p| p.as_os_str()));
    cmd.extend(extra.iter().map(std::ffi::OsStr::new));
    cmd.push("-o".as_ref());
    cmd.push(out.as_os_str());
    let o = btfkit(&cmd);
    assert!(
        o.status.success(),
        "btfkit {cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read(&out).unwrap()
}

fn census(btf: &Btf<'_>) -> BTreeMap<Kind, usize> {
    let mut m = BTreeMap::new();
    for t in btf.own_types() {
        *m.entry(t.kind()).or_default() += 1;
    }
    m
}

fn loads(bytes: &[u8]) -> bool {
    btf_sys::load_btf(bytes, 0).is_ok()
}

/// The 6.1 kernel BTF twice: one copy's types plus the second copy's VARs
/// and DATASEC; the same bytes on every run; the kernel loads it.
#[test]
fn two_kernel_copies_merge_deterministically() {
    let t = "two_kernel_copies_merge_deterministically";
    let k = kernel_61();
    let dir = tmp();
    let a = dedup_to(dir.path(), "a.btf", &[&k, &k], &[]);
    let b = dedup_to(dir.path(), "b.btf", &[&k, &k], &[]);
    assert!(a == b, "{t}: two runs differ");
    let btf = Btf::parse(&a).unwrap();
    assert_eq!(
        btf.len(),
        95_603,
        "{t}: libbpf gives 95,603 (DWARF2BTF.md §7.3)"
    );
    let c = census(&btf);
    assert_eq!(c[&Kind::Var], 2 * 356);
    assert_eq!(c[&Kind::Datasec], 2);
    assert_eq!(c[&Kind::Struct], 8_211);
    if btf_sys::require_bpf_or_skip(t) {
        assert!(loads(&a), "{t}: the kernel rejects the merged BTF");
    }
}

/// One already deduplicated input: the same types; `--keep-strings` gives
/// the input back byte for byte.
#[test]
fn single_kernel_input_is_unchanged() {
    let t = "single_kernel_input_is_unchanged";
    let k = kernel_61();
    let input = std::fs::read(&k).unwrap();
    let dir = tmp();
    let out = dedup_to(dir.path(), "o.btf", &[&k], &[]);
    assert_eq!(
        out.len(),
        input.len(),
        "{t}: only the string order may change"
    );
    let kept = dedup_to(dir.path(), "k.btf", &[&k], &["--keep-strings"]);
    assert!(kept == input, "{t}: --keep-strings changed the bytes");

    if require_file(t, Path::new(VMLINUX)) {
        let out = dedup_to(dir.path(), "v.btf", &[Path::new(VMLINUX)], &[]);
        let v = std::fs::read(VMLINUX).unwrap();
        assert_eq!(
            Btf::parse(&out).unwrap().len(),
            Btf::parse(&v).unwrap().len()
        );
        if btf_sys::require_bpf_or_skip(t) {
            assert!(loads(&out), "{t}: the kernel rejects dedup of its own BTF");
        }
    }
}

/// Split output: pahole's split fixture comes back byte for byte, whether
/// it is given alone or after its base.
#[test]
fn split_output_over_a_base() {
    let base = fixture("raw/split_base.btf");
    let module = fixture("raw/split_mod.btf");
    let want = std::fs::read(&module).unwrap();
    let dir = tmp();
    let base_arg = base.to_str().unwrap();
    let alone = dedup_to(dir.path(), "a.btf", &[&module], &["--base", base_arg]);
    assert!(alone == want);
    let both = dedup_to(dir.path(), "b.btf", &[&base, &module], &["-B", base_arg]);
    assert!(both == want);
}

/// BPF objects: kinds.el.o + tags.el.o merge into one BTF with each shared
/// type once.
#[test]
fn bpf_objects_merge() {
    let kinds = fixture("obj/kinds.el.o");
    let tags = fixture("obj/tags.el.o");
    let dir = tmp();
    let out = dedup_to(dir.path(), "m.btf", &[&kinds, &tags], &[]);
    let btf = Btf::parse(&out).unwrap();
    let ints: Vec<&[u8]> = btf
        .own_types()
        .filter(|t| t.kind() == Kind::Int)
        .map(|t| btf.type_name(&t))
        .collect();
    let mut unique = ints.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ints.len(), unique.len(), "an INT appears twice");
    let obj_len = |p: &Path| {
        let data = std::fs::read(p).unwrap();
        let btf = ElfBtf::parse(&data).unwrap().btf.unwrap().into_owned();
        Btf::parse(&btf).unwrap().len()
    };
    assert!(btf.len() < obj_len(&kinds) + obj_len(&tags));
}

/// Mixed byte orders cannot be merged; split BTF needs its base; a missing
/// file is named. All exit 2.
#[test]
fn errors() {
    let dir = tmp();
    let out = dir.path().join("x.btf");
    let run = |args: &[&std::ffi::OsStr]| {
        let o = btfkit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let el = fixture("obj/kinds.el.o");
    let eb = fixture("obj/kinds.eb.o");
    let e = run(&[
        "dedup".as_ref(),
        el.as_os_str(),
        eb.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(
        e.contains("big-endian") || e.contains("little-endian"),
        "{e}"
    );

    let m = fixture("raw/split_mod.btf");
    let e = run(&[
        "dedup".as_ref(),
        m.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(e.contains("--base"), "{e}");

    let missing = dir.path().join("nope.btf");
    let e = run(&[
        "dedup".as_ref(),
        missing.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(e.contains("nope.btf"), "{e}");
    assert!(!out.exists(), "no output on error");
}

/// `--stats` prints types per kind before and after.
#[test]
fn stats() {
    let k = fixture("obj/kinds.el.o");
    let dir = tmp();
    let out = dir.path().join("s.btf");
    let o = btfkit([
        "dedup".as_ref(),
        k.as_os_str(),
        k.as_os_str(),
        "--stats".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("kind "), "{text}");
    let total = text.lines().find(|l| l.starts_with("total")).unwrap();
    let n: Vec<usize> = total
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(n[0], 2 * 133);
    assert!(n[1] < n[0]);
}

/// Cross-check against libbpf. pahole 1.24 encodes each compilation unit
/// and, with several units in one file, runs libbpf's `btf__dedup` over all
/// of them (skipping the string pass: pahole's strings are deduplicated as
/// they are added, so its section stays in insertion order). Encoding each
/// object on its own (one unit each, which dedup leaves as it is) and
/// merging those with `btfkit dedup --keep-strings` must give what pahole
/// gives for the two objects linked together, byte for byte. Without
/// `--keep-strings` the types are the same and only the string order may
/// differ (btfkit orders by first use in the output).
#[test]
fn matches_libbpf_via_pahole() {
    let t = "matches_libbpf_via_pahole";
    if !require_tool(t, "pahole") || !require_tool(t, "ld") {
        return;
    }
    let dir = tmp();
    let d = dir.path();
    let objs = [
        fixture("obj/host_split_base.o"),
        fixture("obj/host_split_mod.o"),
    ];
    let linked = d.join("linked.o");
    let mut ld = Command::new("ld");
    ld.arg("-r").arg("-o").arg(&linked).args(&objs);
    run_ok(&mut ld);
    let pahole = |input: &Path, out: &Path| {
        let mut c = Command::new("pahole");
        c.arg("--btf_gen_floats")
            .arg("-J")
            .arg(format!("--btf_encode_detached={}", out.display()))
            .arg(input);
        run_ok(&mut c);
    };
    let libbpf = d.join("libbpf.btf");
    pahole(&linked, &libbpf);
    let per_object: Vec<PathBuf> = objs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let p = d.join(format!("unit{i}.btf"));
            pahole(o, &p);
            p
        })
        .collect();
    let inputs: Vec<&Path> = per_object.iter().map(PathBuf::as_path).collect();
    let theirs = std::fs::read(&libbpf).unwrap();
    let kept = dedup_to(d, "kept.btf", &inputs, &["--keep-strings"]);
    assert!(kept == theirs, "{t}: the bytes differ from libbpf's");

    let ours = dedup_to(d, "ours.btf", &inputs, &[]);
    let (a, b) = (Btf::parse(&ours).unwrap(), Btf::parse(&theirs).unwrap());
    assert_eq!(
        census(&a),
        census(&b),
        "{t}: types per kind differ from libbpf's"
    );
    let dump = |btf: &Btf<'_>| -> Vec<String> {
        btf.own_types()
            .map(|t| {
                let refs: Vec<u32> = t.references().map(|(id, _)| id.0).collect();
                format!("{} {:?} {:?}", t.kind(), btf.type_name(&t), refs)
            })
            .collect()
    };
    assert_eq!(dump(&a), dump(&b), "{t}: types differ from libbpf's");
}
