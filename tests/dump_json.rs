//! `btfkit dump --format json` against bpftool's `-j` output.
//!
//! bpftool is the oracle: the `types` arrays must agree key by key and in
//! key order, except for (a) the documented enum-value fix, asserted
//! specifically so that a change on either side fails the test, and (b)
//! btfkit's extra keys, which must come after bpftool's and are checked for
//! consistency on their own. Without bpftool the oracle tests print
//! `SKIP: …` and pass, unless `BTFKIT_REQUIRE_ORACLES=1`.
//!
//! Our output is also reserialised through serde_json: the compact form must
//! be byte-identical to serde_json's compact form and `--pretty` to its
//! pretty form, which checks escaping, number formatting and layout.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;

mod common;

use common::{fixture, kernel_61, require_file, require_tool};

// ---------------------------------------------------------------------------
// An order-preserving JSON value (serde_json's own Value sorts object keys).

#[derive(Clone, Debug, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        match self {
            J::Obj(kv) => kv.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    fn str(&self, key: &str) -> &str {
        match self.get(key) {
            Some(J::Str(s)) => s,
            other => panic!("{key}: not a string: {other:?} in {self:?}"),
        }
    }

    fn u64(&self, key: &str) -> u64 {
        match self.get(key) {
            Some(J::Num(n)) if n.as_u64().is_some() => n.as_u64().unwrap(),
            other => panic!("{key}: not a u64: {other:?}"),
        }
    }

    fn bool(&self, key: &str) -> bool {
        match self.get(key) {
            Some(J::Bool(b)) => *b,
            other => panic!("{key}: not a bool: {other:?}"),
        }
    }

    fn arr(&self, key: &str) -> &[J] {
        match self.get(key) {
            Some(J::Arr(a)) => a,
            other => panic!("{key}: not an array: {other:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = J;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<J, E> {
                Ok(J::Bool(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<J, E> {
                Ok(J::Num(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<J, E> {
                Ok(J::Num(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<J, E> {
                Number::from_f64(v)
                    .map(J::Num)
                    .ok_or_else(|| E::custom("bad float"))
            }
            fn visit_str<E>(self, v: &str) -> Result<J, E> {
                Ok(J::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<J, E> {
                Ok(J::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(J::Arr(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v: Vec<(String, J)> = Vec::new();
                while let Some((k, x)) = a.next_entry::<String, J>()? {
                    assert!(v.iter().all(|(old, _)| *old != k), "duplicate key {k:?}");
                    v.push((k, x));
                }
                Ok(J::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for J {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            J::Null => s.serialize_unit(),
            J::Bool(b) => s.serialize_bool(*b),
            J::Num(n) => n.serialize(s),
            J::Str(x) => s.serialize_str(x),
            J::Arr(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for x in v {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            J::Obj(kv) => {
                let mut m = s.serialize_map(Some(kv.len()))?;
                for (k, v) in kv {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

fn parse(bytes: &[u8], what: &str) -> J {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{what}: invalid JSON: {e}"))
}

// ---------------------------------------------------------------------------
// Running the tools.

/// Runs `btfkit dump ARGS…` (through the shared [`common::btfkit`]).
fn dump(args: &[&str]) -> Output {
    common::btfkit(std::iter::once("dump").chain(args.iter().copied()))
}

/// Runs `btfkit dump ARGS…`, which must succeed, and returns stdout.
fn dump_ok(args: &[&str]) -> Vec<u8> {
    let out = dump(args);
    assert!(
        out.status.success(),
        "btfkit dump {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `bpftool -j btf dump [-B base] file path`.
fn bpftool_json(path: &Path, base: Option<&Path>) -> Output {
    let mut cmd = Command::new("bpftool");
    cmd.arg("-j");
    cmd.args(["btf", "dump"]);
    if let Some(b) = base {
        cmd.arg("-B").arg(b);
    }
    cmd.arg("file").arg(path);
    cmd.output().expect("run bpftool")
}

fn fixture_files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixture(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no fixtures/{dir}/*.{ext}");
    v
}

// ---------------------------------------------------------------------------
// The comparison.

/// What a comparison found, for assertions about coverage.
#[derive(Default, Debug)]
struct Tally {
    types: usize,
    /// Unsigned ENUM values with bit 31 set: bpftool sign-extends them.
    enum_fixes: usize,
}

/// Kinds whose objects always carry btfkit's `kflag` key.
const KFLAG_KINDS: &[&str] = &[
    "STRUCT", "UNION", "ENUM", "ENUM64", "FWD", "DECL_TAG", "TYPE_TAG", "UNKNOWN",
];

/// Checks our document's frame and returns its `types`.
fn our_types(doc: &J) -> &[J] {
    assert_eq!(doc.keys(), ["schema", "version", "types"], "top-level keys");
    assert_eq!(doc.str("schema"), "btfkit-dump");
    assert_eq!(doc.u64("version"), 1);
    doc.arr("types")
}

/// Compares one type object: bpftool's keys first, in bpftool's order, equal
/// values (enum fix aside), then only the documented extra keys.
fn compare_type(ours: &J, theirs: &J, tally: &mut Tally, ctx: &str) {
    let ok = ours.keys();
    let tk = theirs.keys();
    assert!(
        ok.len() >= tk.len() && ok[..tk.len()] == tk[..],
        "{ctx}: key order differs:\n ours   {ok:?}\n theirs {tk:?}"
    );
    let kind = theirs.str("kind");
    for key in &tk {
        let (a, b) = (ours.get(key).unwrap(), theirs.get(key).unwrap());
        match *key {
            "values" if kind == "ENUM" && theirs.str("encoding") == "UNSIGNED" => {
                compare_unsigned_enum_values(a, b, tally, ctx)
            }
            "vars" => compare_datasec_vars(a, b, ctx),
            _ => assert_eq!(a, b, "{ctx}: key {key:?} differs"),
        }
    }
    let extra = &ok[tk.len()..];
    let kflag_always = KFLAG_KINDS.contains(&kind);
    match extra {
        [] => assert!(!kflag_always, "{ctx}: {kind} lacks \"kflag\""),
        ["kflag"] => {
            if !kflag_always {
                assert!(ours.bool("kflag"), "{ctx}: kflag false shown on {kind}");
            }
        }
        other => panic!("{ctx}: unexpected extra keys {other:?}"),
    }
    // Where bpftool shows the flag indirectly, the two must agree.
    if kflag_always {
        let kflag = ours.bool("kflag");
        match kind {
            "ENUM" | "ENUM64" => assert_eq!(kflag, theirs.str("encoding") == "SIGNED", "{ctx}"),
            "FWD" => assert_eq!(kflag, theirs.str("fwd_kind") == "union", "{ctx}"),
            "STRUCT" | "UNION" => {
                let bitfields = theirs
                    .arr("members")
                    .iter()
                    .any(|m| m.get("bitfield_size").is_some());
                assert!(kflag || !bitfields, "{ctx}: bitfield_size without kflag");
            }
            _ => {}
        }
    }
    tally.types += 1;
}

/// The documented difference: bpftool sign-extends an unsigned ENUM value
/// with bit 31 set into 64 bits; btfkit prints the stored 32 bits.
fn compare_unsigned_enum_values(ours: &J, theirs: &J, tally: &mut Tally, ctx: &str) {
    let (J::Arr(a), J::Arr(b)) = (ours, theirs) else {
        panic!("{ctx}: values not arrays");
    };
    assert_eq!(a.len(), b.len(), "{ctx}: number of values");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.keys(), ["name", "val"], "{ctx}");
        assert_eq!(x.keys(), y.keys(), "{ctx}");
        assert_eq!(x.get("name"), y.get("name"), "{ctx}");
        let ours = x.u64("val");
        let theirs = y.u64("val");
        assert!(ours <= u64::from(u32::MAX), "{ctx}: {ours} exceeds 32 bits");
        if ours >= 1 << 31 {
            let sign_extended = ours as u32 as i32 as i64 as u64;
            assert_eq!(
                theirs, sign_extended,
                "{ctx}: bpftool no longer sign-extends unsigned enum values \
                 (ours {ours}); update the documented difference"
            );
            tally.enum_fixes += 1;
        } else {
            assert_eq!(ours, theirs, "{ctx}: enum value");
        }
    }
}

/// DATASEC `vars`: bpftool's three keys equal, then our `kind` and `name`
/// (checked against the referenced type later) or nothing for id 0.
fn compare_datasec_vars(ours: &J, theirs: &J, ctx: &str) {
    let (J::Arr(a), J::Arr(b)) = (ours, theirs) else {
        panic!("{ctx}: vars not arrays");
    };
    assert_eq!(a.len(), b.len(), "{ctx}: number of vars");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(y.keys(), ["type_id", "offset", "size"], "{ctx}");
        for k in ["type_id", "offset", "size"] {
            assert_eq!(x.get(k), y.get(k), "{ctx}: var {k}");
        }
        if x.u64("type_id") == 0 {
            assert_eq!(x.keys(), ["type_id", "offset", "size"], "{ctx}");
        } else {
            assert_eq!(
                x.keys(),
                ["type_id", "offset", "size", "kind", "name"],
                "{ctx}"
            );
        }
    }
}

/// The DATASEC extras name the referenced types as the dump itself does.
fn check_datasec_names(types: &[&J], ctx: &str) {
    let by_id: HashMap<u64, &J> = types.iter().map(|t| (t.u64("id"), *t)).collect();
    for t in types.iter().filter(|t| t.str("kind") == "DATASEC") {
        for v in t.arr("vars") {
            let id = v.u64("type_id");
            if id == 0 {
                continue;
            }
            let target = by_id
                .get(&id)
                .unwrap_or_else(|| panic!("{ctx}: var type {id} not in the dump"));
            assert_eq!(v.str("kind"), target.str("kind"), "{ctx}: var {id} kind");
            assert_eq!(v.str("name"), target.str("name"), "{ctx}: var {id} name");
        }
    }
}

/// Our output must be exactly what serde_json prints for the same value:
/// compact without `--pretty`, two-space pretty with it; one trailing
/// newline each.
fn check_layout(compact: &[u8], pretty: &[u8], ctx: &str) -> J {
    let doc = parse(compact, ctx);
    let pdoc = parse(pretty, ctx);
    assert!(
        doc == pdoc,
        "{ctx}: --pretty differs from compact in content"
    );
    let mut want = serde_json::to_vec(&doc).unwrap();
    want.push(b'\n');
    assert!(
        compact == want,
        "{ctx}: compact layout differs from serde_json's"
    );
    let mut want = serde_json::to_vec_pretty(&doc).unwrap();
    want.push(b'\n');
    assert!(
        pretty == want,
        "{ctx}: --pretty layout differs from serde_json's"
    );
    doc
}

/// Dumps `path` with both tools and compares. `base` for split BTF.
fn compare_file(path: &Path, base: Option<&Path>) -> Tally {
    let ctx = path.display().to_string();
    let mut args = vec![path.to_str().unwrap(), "--format", "json"];
    if let Some(b) = base {
        args.extend(["-B", b.to_str().unwrap()]);
    }
    let theirs = bpftool_json(path, base);
    let ours = dump(&args);
    if !theirs.status.success() {
        // bpftool cannot read it (no .BTF, split without base): neither can
        // we, and then stdout stays empty.
        assert!(
            !ours.status.success(),
            "{ctx}: bpftool failed, btfkit did not"
        );
        assert_eq!(ours.status.code(), Some(2), "{ctx}");
        assert!(ours.stdout.is_empty(), "{ctx}: output on error");
        return Tally::default();
    }
    assert!(
        ours.status.success(),
        "{ctx}: btfkit failed: {}",
        String::from_utf8_lossy(&ours.stderr)
    );
    // The layout check reserialises everything; on kernel-sized input
    // (tens of MB, debug build) the fixtures' coverage of it is enough.
    let doc = if ours.stdout.len() < 1 << 20 {
        args.push("--pretty");
        let pretty = dump_ok(&args);
        check_layout(&ours.stdout, &pretty, &ctx)
    } else {
        parse(&ours.stdout, &ctx)
    };
    let theirs = parse(&theirs.stdout, &format!("bpftool on {ctx}"));
    assert_eq!(theirs.keys(), ["types"]);
    let a = our_types(&doc);
    let b = theirs.arr("types");
    assert_eq!(a.len(), b.len(), "{ctx}: number of types");
    let mut tally = Tally::default();
    for (x, y) in a.iter().zip(b) {
        compare_type(x, y, &mut tally, &format!("{ctx}: type {}", y.u64("id")));
    }
    // Names for DATASEC vars: the split's own types plus the base's.
    let base_doc =
        base.map(|b| parse(&dump_ok(&[b.to_str().unwrap(), "--format", "json"]), "base"));
    let mut all: Vec<&J> = a.iter().collect();
    if let Some(bd) = &base_doc {
        all.extend(our_types(bd));
    }
    check_datasec_names(&all, &ctx);
    tally
}

// ---------------------------------------------------------------------------
// Tests.

#[test]
fn objects_match_bpftool() {
    if !require_tool("objects_match_bpftool", "bpftool") {
        return;
    }
    let mut fixes = 0;
    let mut compared = 0;
    for path in fixture_files("obj", "o") {
        let t = compare_file(&path, None);
        fixes += t.enum_fixes;
        compared += usize::from(t.types > 0);
    }
    // 7 el/eb pairs; the two host objects have no .BTF.
    assert_eq!(compared, 12);
    // kinds.c has 0x80000000 and 0xffffffff in an unsigned enum, core.c
    // 0xefffffff; both byte orders.
    assert!(fixes >= 6, "only {fixes} enum values exercised the fix");
}

#[test]
fn little_and_big_endian_objects_dump_the_same() {
    for path in fixture_files("obj", "o") {
        let name = path.file_name().unwrap().to_str().unwrap();
        let Some(stem) = name.strip_suffix(".el.o") else {
            continue;
        };
        let eb = path.with_file_name(format!("{stem}.eb.o"));
        let a = dump_ok(&[path.to_str().unwrap(), "--format", "json"]);
        let b = dump_ok(&[eb.to_str().unwrap(), "--format", "json"]);
        assert!(a == b, "{stem}: el and eb JSON differ");
    }
}

#[test]
fn raw_blobs_match_bpftool() {
    if !require_tool("raw_blobs_match_bpftool", "bpftool") {
        return;
    }
    let mut fixes = 0;
    for path in fixture_files("raw", "btf") {
        // split_mod.btf without its base fails on both sides.
        fixes += compare_file(&path, None).enum_fixes;
    }
    assert!(
        fixes >= 4,
        "kinds.{{el,eb}}.btf should exercise the enum fix"
    );
}

#[test]
fn split_btf_matches_bpftool() {
    if !require_tool("split_btf_matches_bpftool", "bpftool") {
        return;
    }
    let t = compare_file(
        &fixture("raw/split_mod.btf"),
        Some(&fixture("raw/split_base.btf")),
    );
    assert!(t.types > 0);
    let doc = parse(
        &dump_ok(&[
            fixture("raw/split_mod.btf").to_str().unwrap(),
            "-B",
            fixture("raw/split_base.btf").to_str().unwrap(),
            "--format",
            "json",
        ]),
        "split",
    );
    // Only the split's own ids, continuing the base's.
    let first = our_types(&doc)[0].u64("id");
    let base = parse(
        &dump_ok(&[
            fixture("raw/split_base.btf").to_str().unwrap(),
            "--format",
            "json",
        ]),
        "base",
    );
    assert_eq!(first, our_types(&base).last().unwrap().u64("id") + 1);
}

#[test]
fn running_kernel_matches_bpftool() {
    let path = Path::new("/sys/kernel/btf/vmlinux");
    if !require_file("running_kernel_matches_bpftool", path)
        || !require_tool("running_kernel_matches_bpftool", "bpftool")
    {
        return;
    }
    let t = compare_file(path, None);
    assert!(t.types > 10_000);
    assert!(t.enum_fixes > 0, "vmlinux has unsigned enums above 2^31");
}

#[test]
fn kernel_6_1_matches_bpftool() {
    if !require_tool("kernel_6_1_matches_bpftool", "bpftool") {
        return;
    }
    let path = kernel_61();
    let t = compare_file(&path, None);
    assert!(t.types > 10_000);
    assert!(t.enum_fixes > 0);
}

#[test]
fn enum_values_as_the_btf_means_them() {
    // Independent of bpftool: the exact numbers from fixtures/src/kinds.c.
    let doc = parse(
        &dump_ok(&[
            fixture("obj/kinds.el.o").to_str().unwrap(),
            "--format",
            "json",
            "--kind",
            "enum",
            "--kind",
            "enum64",
        ]),
        "kinds",
    );
    let vals = |name: &str| -> Vec<String> {
        let t = our_types(&doc)
            .iter()
            .find(|t| t.str("name") == name)
            .unwrap_or_else(|| panic!("no {name}"));
        t.arr("values")
            .iter()
            .map(|v| serde_json::to_string(v.get("val").unwrap()).unwrap())
            .collect()
    };
    assert_eq!(vals("e_unsigned"), ["0", "1", "2147483648", "4294967295"]);
    assert_eq!(vals("e_signed"), ["-2147483648", "-1", "0", "42"]);
    assert_eq!(
        vals("e64_unsigned"),
        ["1", "1099511627776", "18446744073709551615"]
    );
    assert_eq!(
        vals("e64_signed"),
        ["-9223372036854775808", "-4294967296", "4886718345"]
    );
    for t in our_types(&doc) {
        assert!(matches!(t.str("kind"), "ENUM" | "ENUM64"));
    }
}

#[test]
fn tag_kflag_is_shown() {
    let doc = parse(
        &dump_ok(&[
            fixture("obj/tags.el.o").to_str().unwrap(),
            "--format",
            "json",
        ]),
        "tags",
    );
    let tags: Vec<&J> = our_types(&doc)
        .iter()
        .filter(|t| matches!(t.str("kind"), "DECL_TAG" | "TYPE_TAG"))
        .collect();
    assert!(tags.len() >= 29);
    // clang's btf_decl_tag/btf_type_tag are plain tags, kflag 0.
    assert!(tags.iter().all(|t| !t.bool("kflag")));
}

// A hand-made little-endian blob: names with bytes that need escaping, and
// an unknown kind sized by the layout section.

fn blob(types: &[u32], strings: &[u8], layout: Option<&[u8]>) -> Vec<u8> {
    let hdr_len: u32 = if layout.is_some() { 32 } else { 24 };
    let type_len = (types.len() * 4) as u32;
    let layout_len = layout.map_or(0, |l| l.len() as u32);
    let mut v = Vec::new();
    v.extend_from_slice(&0xeb9fu16.to_le_bytes());
    v.extend_from_slice(&[1, 0]);
    let str_off = type_len + layout_len;
    for w in [hdr_len, 0, type_len, str_off, strings.len() as u32] {
        v.extend_from_slice(&w.to_le_bytes());
    }
    if layout.is_some() {
        for w in [type_len, layout_len] {
            v.extend_from_slice(&w.to_le_bytes());
        }
    }
    for w in types {
        v.extend_from_slice(&w.to_le_bytes());
    }
    v.extend_from_slice(layout.unwrap_or_default());
    v.extend_from_slice(strings);
    v
}

const fn info(kind: u32, vlen: u32, kflag: bool) -> u32 {
    (kflag as u32) << 31 | kind << 24 | vlen
}

#[test]
fn names_are_escaped_and_lossy() {
    // Strings: "", "a\"b\\c", "tab\there\n\x01", "bad\xff\xfeutf8", "é|'".
    let strings: &[u8] = b"\0a\"b\\c\0tab\there\n\x01\0bad\xff\xfeutf8\0\xc3\xa9|'\0";
    let off = |s: &[u8]| {
        strings
            .windows(s.len() + 1)
            .position(|w| &w[..s.len()] == s && w[s.len()] == 0)
            .unwrap() as u32
    };
    let n1 = off(b"a\"b\\c");
    let n2 = off(b"tab\there\n\x01");
    let n3 = off(b"bad\xff\xfeutf8");
    let n4 = off(b"\xc3\xa9|'");
    let types = [
        // [1] INT "a\"b\\c" size 4, 32 bits, signed.
        n1,
        info(1, 0, false),
        4,
        1 << 24 | 32,
        // [2] STRUCT "tab…" size 4, one member "bad…" of type 1, one anonymous.
        n2,
        info(4, 2, false),
        4,
        n3,
        1,
        0,
        0,
        1,
        0,
        // [3] ENUM "é|'" unsigned, one value named "a\"b\\c" = 0xffffffff.
        n4,
        info(6, 1, false),
        4,
        n1,
        0xffff_ffff,
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.btf");
    std::fs::write(&path, blob(&types, strings, None)).unwrap();
    let p = path.to_str().unwrap();
    let compact = dump_ok(&[p, "--format", "json"]);
    let pretty = dump_ok(&[p, "--format", "json", "--pretty"]);
    let doc = check_layout(&compact, &pretty, "names");
    let t = our_types(&doc);
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert_eq!(t[0].str("name"), "a\"b\\c");
    assert_eq!(t[1].str("name"), "tab\there\n\x01");
    let members = t[1].arr("members");
    assert_eq!(members[0].str("name"), lossy(b"bad\xff\xfeutf8"));
    assert_eq!(members[0].str("name"), "bad\u{fffd}\u{fffd}utf8");
    assert_eq!(members[1].str("name"), "(anon)");
    assert_eq!(t[2].str("name"), "é|'");
    assert_eq!(t[2].arr("values")[0].u64("val"), 4_294_967_295);
    // The escapes themselves, in the bytes.
    let text = String::from_utf8(compact).unwrap();
    assert!(text.contains(r#""name":"a\"b\\c""#), "{text}");
    assert!(text.contains(r#""name":"tab\there\n\u0001""#), "{text}");
}

#[test]
fn unknown_kind_from_layout_section() {
    // Layout for kinds 0..=20; kind 20 has 4 bytes of info and 8 per vlen.
    let mut layout = Vec::new();
    for kind in 0u8..=20 {
        let (info_sz, elem_sz) = match kind {
            1 | 14 | 17 => (4, 0),
            3 => (12, 0),
            4 | 5 | 15 | 19 => (0, 12),
            6 | 13 => (0, 8),
            20 => (4, 8),
            _ => (0, 0),
        };
        layout.extend_from_slice(&[info_sz, elem_sz, 0, 0]);
    }
    let strings = b"\0int\0newkind\0";
    let types = [
        1,
        info(1, 0, false),
        4,
        1 << 24 | 32,
        5,
        info(20, 1, true),
        1,
        0xaaaa_aaaa,
        0xbbbb_bbbb,
        0xcccc_cccc,
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newkind.btf");
    std::fs::write(&path, blob(&types, strings, Some(&layout))).unwrap();
    let p = path.to_str().unwrap();
    let compact = dump_ok(&[p, "--format", "json"]);
    let pretty = dump_ok(&[p, "--format", "json", "--pretty"]);
    let doc = check_layout(&compact, &pretty, "newkind");
    let t = &our_types(&doc)[1];
    assert_eq!(
        t.keys(),
        ["id", "kind", "name", "kind_num", "vlen", "kflag"]
    );
    assert_eq!(t.str("kind"), "UNKNOWN");
    assert_eq!(t.str("name"), "newkind");
    assert_eq!(t.u64("kind_num"), 20);
    assert_eq!(t.u64("vlen"), 1);
    assert!(t.bool("kflag"));
}

#[test]
fn filters_apply() {
    let p = fixture("obj/maps_progs.el.o");
    let p = p.to_str().unwrap();
    let all = parse(&dump_ok(&[p, "--format", "json"]), "all");
    let some = parse(
        &dump_ok(&[p, "--format", "json", "--kind", "datasec", "--closure"]),
        "closure",
    );
    let all = our_types(&all);
    let some = our_types(&some);
    assert!(!some.is_empty() && some.len() < all.len());
    // Every selected object is the same as in the full dump.
    for t in some {
        let id = t.u64("id");
        assert_eq!(Some(t), all.iter().find(|a| a.u64("id") == id));
    }
    let none = parse(
        &dump_ok(&[p, "--format", "json", "--type", "no_such_*"]),
        "none",
    );
    assert!(our_types(&none).is_empty());
    assert_eq!(
        dump_ok(&[p, "--format", "json", "--type", "no_such_*", "--pretty"]),
        b"{\n  \"schema\": \"btfkit-dump\",\n  \"version\": 1,\n  \"types\": []\n}\n"
    );
}

#[test]
fn errors_leave_stdout_empty() {
    let out = dump(&[
        fixture("obj/host_split_base.o").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
