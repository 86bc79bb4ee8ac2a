//! `btfkit dump --format summary` against counts computed independently.
//!
//! Per-kind counts must equal those of bpftool's raw listing (lines starting
//! with `[`, by kind), the top-10 tables must equal the ten largest `size=` /
//! `vlen=` values of that listing, and the bytes per kind must add up to the
//! type section length read straight from the BTF header. bpftool is an
//! oracle: without it those comparisons print `SKIP: …` and pass, unless
//! `BTFKIT_REQUIRE_ORACLES=1`. Run with stdout captured, so the tables come
//! out in their non-terminal (ASCII Markdown) form.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::{btfkit, fixture, kernel_61, require_file, require_tool};

/// Runs `btfkit dump ARGS… --format summary`, which must succeed.
fn summary(args: &[&str]) -> String {
    let out = btfkit(
        std::iter::once("dump")
            .chain(args.iter().copied())
            .chain(["--format", "summary"]),
    );
    assert!(
        out.status.success(),
        "btfkit dump {args:?} --format summary failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("summary is UTF-8")
}

/// The rows (cells trimmed) of the Markdown table that follows the line
/// `title`, header and separator removed.
fn table(text: &str, title: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines().skip_while(|l| *l != title);
    assert_eq!(lines.next(), Some(title), "no table {title:?} in\n{text}");
    let lines: Vec<&str> = lines
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(lines.len() >= 2, "table {title:?} has no header");
    assert!(
        lines[1].chars().all(|c| c == '|' || c == '-'),
        "{title:?}: no separator under the header"
    );
    lines[2..]
        .iter()
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// Per-kind `(count, kflag, bytes)` from the Kinds table, and the total row.
type KindRows = BTreeMap<String, (u64, u64, u64)>;

fn kinds(text: &str, title: &str) -> (KindRows, (u64, u64, u64)) {
    let mut map = KindRows::new();
    let mut total = None;
    for r in table(text, title) {
        let n = |i: usize| r[i].parse::<u64>().unwrap();
        let v = (n(1), n(2), n(3));
        if r[0] == "total" {
            total = Some(v);
        } else {
            assert!(map.insert(r[0].clone(), v).is_none(), "{} twice", r[0]);
        }
    }
    (map, total.expect("total row"))
}

/// The type section length from the BTF header of a raw blob or an ELF
/// object's .BTF section.
fn type_len(path: &Path) -> u64 {
    let data = std::fs::read(path).unwrap();
    let btf: Vec<u8> = if btf_core::elf::is_elf(&data) {
        btf_core::elf::ElfBtf::parse(&data)
            .unwrap()
            .btf
            .expect(".BTF")
            .into_owned()
    } else {
        data
    };
    let word = |off: usize| {
        let b: [u8; 4] = btf[off..off + 4].try_into().unwrap();
        match &btf[..2] {
            [0x9f, 0xeb] => u32::from_le_bytes(b),
            [0xeb, 0x9f] => u32::from_be_bytes(b),
            m => panic!("{}: bad magic {m:?}", path.display()),
        }
    };
    u64::from(word(12))
}

/// What bpftool's raw listing says: types per kind, and `(value, id)` of
/// every type with a `size=` / `vlen=` on its first line.
#[derive(Default)]
struct Listing {
    kinds: BTreeMap<String, u64>,
    sizes: Vec<(u64, u64)>,
    vlens: Vec<(u64, u64)>,
}

fn bpftool_listing(path: &Path, base: Option<&Path>) -> Listing {
    let mut cmd = Command::new("bpftool");
    cmd.args(["btf", "dump"]);
    if let Some(b) = base {
        cmd.arg("-B").arg(b);
    }
    let out = cmd.arg("file").arg(path).output().expect("run bpftool");
    assert!(out.status.success(), "bpftool on {}", path.display());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut l = Listing::default();
    for line in text.lines().filter(|l| l.starts_with('[')) {
        let (id, rest) = line[1..].split_once("] ").unwrap();
        let id: u64 = id.parse().unwrap();
        let kind = rest.split(' ').next().unwrap();
        *l.kinds.entry(kind.to_string()).or_default() += 1;
        let field = |key: &str| {
            // Fields follow the quoted name; look after its closing quote.
            let tail = &rest[rest.rfind('\'').map_or(0, |i| i + 1)..];
            tail.split(' ')
                .find_map(|w| w.strip_prefix(key))
                .map(|v| v.trim_end_matches(',').parse::<u64>().unwrap())
        };
        if let Some(size) = field("size=") {
            l.sizes.push((size, id));
        }
        if kind != "FUNC" {
            if let Some(vlen) = field("vlen=") {
                l.vlens.push((vlen, id));
            }
        }
    }
    l
}

fn top10(mut v: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    v.truncate(10);
    v
}

fn top_rows(text: &str, title: &str) -> Vec<(u64, u64)> {
    table(text, title)
        .iter()
        .map(|r| (r[3].parse().unwrap(), r[0].parse().unwrap()))
        .collect()
}

/// Checks one input's summary: bytes against the header, and with bpftool
/// the counts and the top tables against its listing.
fn check(path: &Path, base: Option<&Path>, oracle: bool) {
    let ctx = path.display().to_string();
    let mut args = vec![path.to_str().unwrap()];
    if let Some(b) = base {
        args.extend(["-B", b.to_str().unwrap()]);
    }
    let text = summary(&args);
    let (rows, total) = kinds(&text, "Kinds");
    let len = type_len(path);
    let sum: u64 = rows.values().map(|r| r.2).sum();
    assert_eq!(sum, len, "{ctx}: bytes per kind vs type section length");
    assert_eq!(total.2, len, "{ctx}: total bytes");
    assert_eq!(total.0, rows.values().map(|r| r.0).sum::<u64>(), "{ctx}");
    assert_eq!(total.1, rows.values().map(|r| r.1).sum::<u64>(), "{ctx}");
    assert!(
        text.contains(&format!("| {len} bytes at offset")),
        "{ctx}: type section row"
    );
    if !oracle {
        return;
    }
    let listing = bpftool_listing(path, base);
    let counts: BTreeMap<String, u64> = rows.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    assert_eq!(counts, listing.kinds, "{ctx}: types per kind");
    assert_eq!(
        top_rows(&text, "Largest types by size"),
        top10(listing.sizes),
        "{ctx}: largest by size"
    );
    assert_eq!(
        top_rows(&text, "Most entries (vlen)"),
        top10(listing.vlens),
        "{ctx}: most entries"
    );
}

fn btf_fixtures() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for (dir, ext) in [("obj", "o"), ("raw", "btf")] {
        for e in std::fs::read_dir(fixture(dir)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap();
            // No .BTF in the host objects; split_mod needs its base.
            if p.extension().is_some_and(|x| x == ext)
                && !name.starts_with("host_")
                && name != "split_mod.btf"
            {
                v.push(p);
            }
        }
    }
    v.sort();
    assert_eq!(v.len(), 16);
    v
}

#[test]
fn fixtures_counts_and_bytes() {
    let oracle = require_tool("fixtures_counts_and_bytes", "bpftool");
    for p in btf_fixtures() {
        check(&p, None, oracle);
    }
}

#[test]
fn split_counts_and_bytes() {
    let oracle = require_tool("split_counts_and_bytes", "bpftool");
    check(
        &fixture("raw/split_mod.btf"),
        Some(&fixture("raw/split_base.btf")),
        oracle,
    );
    let text = summary(&[
        fixture("raw/split_mod.btf").to_str().unwrap(),
        "-B",
        fixture("raw/split_base.btf").to_str().unwrap(),
    ]);
    assert!(
        text.contains("| split BTF      | yes: base has ids 1 to 23,"),
        "{text}"
    );
    assert!(
        text.contains("| types          | 13 (ids 24 to 36)"),
        "{text}"
    );
}

#[test]
fn running_kernel_counts_and_bytes() {
    let path = Path::new("/sys/kernel/btf/vmlinux");
    if !require_file("running_kernel_counts_and_bytes", path) {
        return;
    }
    let oracle = require_tool("running_kernel_counts_and_bytes", "bpftool");
    check(path, None, oracle);
}

#[test]
fn kernel_6_1_counts_and_bytes() {
    let oracle = require_tool("kernel_6_1_counts_and_bytes", "bpftool");
    let path = kernel_61();
    check(&path, None, oracle);
}

#[test]
fn filters_restrict_the_tables() {
    let p = fixture("obj/kinds.el.o");
    let p = p.to_str().unwrap();
    let text = summary(&[p, "--kind", "enum", "--kind", "enum64"]);
    let (rows, total) = kinds(&text, "Kinds (selected types)");
    assert_eq!(rows.keys().collect::<Vec<_>>(), ["ENUM", "ENUM64"]);
    // kinds.c: 4 ENUMs (1 signed), 2 ENUM64s (1 signed).
    assert_eq!(rows["ENUM"].0, 4);
    assert_eq!(rows["ENUM"].1, 1);
    assert_eq!(rows["ENUM64"], (2, 1, 2 * (12 + 3 * 12)));
    assert_eq!(total.0, 6);
    assert!(text.contains("| selected       | 6 types"), "{text}");
    for (_, id) in top_rows(&text, "Largest types by size") {
        assert!((30..=36).contains(&id), "{id} is not an enum");
    }
    // The file table still describes the whole file.
    assert!(
        text.contains("| types          | 133 (ids 1 to 133)"),
        "{text}"
    );
}
