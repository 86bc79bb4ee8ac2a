//! `btfkit dump` against `bpftool btf dump file`, byte for byte, on every
//! input bpftool reads: the running kernel, the 6.1 kernel, every fixture
//! object in both byte orders, raw BTF and split BTF.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn compare(test: &str, file: &Path, base: Option<&Path>) {
    let mut ours = vec!["dump".as_ref(), file.as_os_str()];
    let mut theirs = Command::new("bpftool");
    theirs.args(["btf", "dump"]);
    if let Some(b) = base {
        ours.extend(["--base".as_ref(), b.as_os_str()]);
        theirs.arg("-B").arg(b);
    }
    theirs.arg("file").arg(file);
    let out = btfkit(&ours);
    assert!(
        out.status.success(),
        "{test}: btfkit dump {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = run_ok(&mut theirs);
    assert!(!expected.is_empty(), "{test}: bpftool printed nothing");
    assert_same_bytes(
        &format!("{test}: {}", file.display()),
        &out.stdout,
        &expected,
    );
}

#[test]
fn vmlinux_matches_bpftool() {
    let t = "vmlinux_matches_bpftool";
    if require_tool(t, "bpftool") && require_file(t, Path::new(VMLINUX)) {
        compare(t, Path::new(VMLINUX), None);
    }
}

#[test]
fn kernel_61_matches_bpftool() {
    let t = "kernel_61_matches_bpftool";
    if require_tool(t, "bpftool") {
        compare(t, &kernel_61(), None);
    }
}

#[test]
fn fixture_objects_match_bpftool() {
    let t = "fixture_objects_match_bpftool";
    if require_tool(t, "bpftool") {
        for obj in bpf_objects() {
            compare(t, &obj, None);
        }
    }
}

#[test]
fn raw_fixtures_match_bpftool() {
    let t = "raw_fixtures_match_bpftool";
    if require_tool(t, "bpftool") {
        for f in raw_btfs() {
            compare(t, &f, None);
        }
    }
}

#[test]
fn split_btf_matches_bpftool() {
    let t = "split_btf_matches_bpftool";
    if require_tool(t, "bpftool") {
        compare(
            t,
            &fixture("raw/split_mod.btf"),
            Some(&fixture("raw/split_base.btf")),
        );
    }
}

/// The two byte orders of one source dump identically (bpftool's own
/// behaviour, and a check of the big-endian reader that needs no oracle).
#[test]
fn byte_orders_dump_the_same() {
    for el in bpf_objects()
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".el.o"))
    {
        let eb = el.to_string_lossy().replace(".el.o", ".eb.o");
        let a = btfkit(["dump".as_ref(), el.as_os_str()]);
        let b = btfkit(["dump", eb.as_str()]);
        assert!(a.status.success() && b.status.success());
        assert_same_bytes(&eb, &a.stdout, &b.stdout);
    }
}

/// Filters select the same lines a full dump prints, ids unchanged.
#[test]
fn filters_select_lines_of_the_full_dump() {
    let obj = fixture("obj/kinds.el.o");
    let full = String::from_utf8(btfkit(["dump".as_ref(), obj.as_os_str()]).stdout).unwrap();
    let records: Vec<&str> = full.split_inclusive('\n').fold(Vec::new(), |mut v, line| {
        if line.starts_with('[') {
            v.push(line);
        } else if let Some(last) = v.last_mut() {
            // Member lines belong to the record above: rebuild it from the full text.
            let start = full.find(*last).unwrap();
            *last = &full[start..start + last.len() + line.len()];
        }
        v
    });
    let structs = btfkit([
        "dump".as_ref(),
        obj.as_os_str(),
        "--kind".as_ref(),
        "struct".as_ref(),
    ]);
    let got = String::from_utf8(structs.stdout).unwrap();
    let want: String = records
        .iter()
        .filter(|r| r.split(' ').nth(1) == Some("STRUCT"))
        .copied()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);

    let one = btfkit([
        "dump".as_ref(),
        obj.as_os_str(),
        "--type".as_ref(),
        "poi*".as_ref(),
    ]);
    let got = String::from_utf8(one.stdout).unwrap();
    assert!(got.starts_with('[') && got.contains(" 'point'"), "{got}");
    for rec in got.split_inclusive('\n').filter(|l| l.starts_with('[')) {
        assert!(
            full.contains(rec),
            "filtered line not in the full dump: {rec}"
        );
    }
}

/// `--closure` adds exactly what the selected types reach.
#[test]
fn closure_is_transitive_and_keeps_ids() {
    let obj = fixture("obj/kinds.el.o");
    let out = btfkit([
        "dump".as_ref(),
        obj.as_os_str(),
        "--type".as_ref(),
        "point".as_ref(),
        "--closure".as_ref(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let ids: Vec<u32> = text
        .lines()
        .filter(|l| l.starts_with('['))
        .map(|l| l[1..l.find(']').unwrap()].parse().unwrap())
        .collect();
    // Every type_id mentioned in the output must itself be in the output.
    for word in text.split_whitespace() {
        if let Some(v) = word.strip_prefix("type_id=") {
            let v: u32 = v.trim_end_matches(',').parse().unwrap();
            assert!(
                v == 0 || ids.contains(&v),
                "type {v} is referenced but missing"
            );
        }
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

/// `--id` prints exactly the records of those ids, ascending and once each,
/// as the full dump prints them; `--kind` narrows the ids further; an id
/// past the end is an error naming the range.
#[test]
fn ids_select_their_records() {
    let obj = fixture("obj/kinds.el.o");
    let dump = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec!["dump".as_ref(), obj.as_os_str()];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        btfkit(&args)
    };
    let full = String::from_utf8(dump(&[]).stdout).unwrap();
    let record = |id: u32| -> String {
        let start = full.find(&format!("[{id}] ")).unwrap();
        let end = full[start + 1..]
            .find("\n[")
            .map_or(full.len(), |e| start + 2 + e);
        full[start..end].to_string()
    };
    let out = dump(&["--id", "5", "--id", "2", "--id", "5"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        record(2) + &record(5)
    );

    let kind_of = |id| record(id).split(' ').nth(1).unwrap().to_ascii_lowercase();
    let kind_of_2 = kind_of(2);
    assert_ne!(
        kind_of_2,
        kind_of(5),
        "the fixture must give ids 2 and 5 different kinds"
    );
    let out = dump(&["--id", "2", "--id", "5", "--kind", &kind_of_2]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), record(2));

    let last = full.lines().filter(|l| l.starts_with('[')).count();
    let past = (last + 1).to_string();
    let out = dump(&["--id", &past]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("--id {past}")) && err.contains(&format!("to {last}")),
        "{err}"
    );
}
