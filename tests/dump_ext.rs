//! `btfkit dump --ext` against independent truth:
//!
//! - fixtures/tools/btfinfo.py (a separate Python .BTF.ext decoder): record
//!   counts per section and subsection, and every CO-RE relocation's
//!   `(insn_off, kind, type_id, access)`;
//! - `llvm-readelf-19 -S` and `llvm-objdump-19 -d`: section names and where
//!   each function starts;
//! - `llvm-objdump-19 -dr`: its CO-RE annotations (kind, root, access path)
//!   and the relocated instruction's offset/immediate for `byte_off`;
//! - `llvm-dwarfdump-19 --debug-line`: line_info positions;
//! - the C and Rust sources in fixtures/src: line_info text is the source line
//!   at that number, and the CO-RE paths are the fields core.c reads.
//!
//! Missing tools skip loudly (SKIP: on stderr), or fail under
//! `BTFKIT_REQUIRE_ORACLES=1`.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

const OBJDUMP: &str = "llvm-objdump-19";
const READELF: &str = "llvm-readelf-19";
const OBJCOPY: &str = "llvm-objcopy-19";
const DWARFDUMP: &str = "llvm-dwarfdump-19";

/// The objects the brief names; some checks run on every fixture object.
const NAMED: [&str; 4] = [
    "core.el.o",
    "core.eb.o",
    "maps_progs.el.o",
    "rust_enums.el.o",
];

fn obj(name: &str) -> PathBuf {
    fixture(&format!("obj/{name}"))
}

fn text(out: &[u8]) -> String {
    String::from_utf8(out.to_vec()).expect("UTF-8 output")
}

/// `btfkit dump FILE --ext …`, asserting success.
fn dump_ext(file: &Path, extra: &[&str]) -> String {
    let mut args: Vec<&std::ffi::OsStr> = vec!["dump".as_ref(), file.as_os_str(), "--ext".as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let out = btfkit(&args);
    assert!(
        out.status.success(),
        "btfkit dump {} --ext {extra:?}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    text(&out.stdout)
}

fn dump_json(file: &Path) -> Value {
    let out = dump_ext(file, &["--format", "json"]);
    let v: Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["schema"], "btfkit-dump-ext");
    assert_eq!(v["version"], 1);
    v
}

fn sections(v: &Value) -> &Vec<Value> {
    v["sections"].as_array().expect("sections")
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn relos(v: &Value) -> Vec<(String, &Value)> {
    sections(v)
        .iter()
        .flat_map(|sec| {
            let name = s(&sec["name"]).to_string();
            sec["core_relo"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |r| (name.clone(), r))
        })
        .collect()
}

fn run_tool(cmd: &mut Command) -> String {
    text(&run_ok(cmd))
}

// ---- btfinfo.py -------------------------------------------------------------------

/// Extracts .BTF and .BTF.ext with llvm-objcopy and runs btfinfo.py `mode`.
fn btfinfo(dir: &Path, file: &Path, mode: &str) -> String {
    let b = dir.join("btf");
    let x = dir.join("btf.ext");
    run_ok(
        Command::new(OBJCOPY)
            .arg(format!("--dump-section=.BTF={}", b.display()))
            .arg(format!("--dump-section=.BTF.ext={}", x.display()))
            .arg(file)
            .arg(dir.join("discard.o")),
    );
    run_tool(
        Command::new("python3")
            .arg(fixture("tools/btfinfo.py"))
            .arg(mode)
            .arg(&b)
            .arg(&x),
    )
}

#[test]
fn counts_and_relocations_match_btfinfo() {
    let t = "counts_and_relocations_match_btfinfo";
    if !(require_tool(t, "python3") && require_tool(t, OBJCOPY)) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for file in bpf_objects() {
        let what = file.display().to_string();
        let v = dump_json(&file);
        assert_eq!(n(&v["invalid_records"]), 0, "{what}");

        // Counts: "func_info rec_size= 8 n=  3 .text".
        let mut theirs: BTreeMap<(String, String), u64> = BTreeMap::new();
        for line in btfinfo(dir.path(), &file, "ext").lines() {
            let label = line.split_whitespace().next().unwrap().to_string();
            let count = line.split("n=").nth(1).unwrap().trim_start();
            let (num, sec) = count.split_once(' ').unwrap();
            *theirs.entry((label, sec.to_string())).or_default() += num.parse::<u64>().unwrap();
        }
        let mut ours = BTreeMap::new();
        for sec in sections(&v) {
            for sub in ["func_info", "line_info", "core_relo"] {
                let len = sec[sub].as_array().unwrap().len() as u64;
                if len > 0 {
                    ours.insert((sub.to_string(), s(&sec["name"]).to_string()), len);
                }
            }
        }
        assert_eq!(ours, theirs, "{what}: record counts");

        // Relocations, in order per section:
        // "tp_btf/x insn_off=16 byte_off [2] struct task_struct 0:10".
        let mut theirs: BTreeMap<String, Vec<(u64, String, u64, String)>> = BTreeMap::new();
        for line in btfinfo(dir.path(), &file, "relos").lines() {
            let w: Vec<&str> = line.split_whitespace().collect();
            let id = w[3].trim_matches(['[', ']']).parse().unwrap();
            let insn = w[1].strip_prefix("insn_off=").unwrap().parse().unwrap();
            theirs.entry(w[0].to_string()).or_default().push((
                insn,
                w[2].to_string(),
                id,
                w[w.len() - 1].to_string(),
            ));
        }
        let mut ours: BTreeMap<String, Vec<(u64, String, u64, String)>> = BTreeMap::new();
        for (sec, r) in relos(&v) {
            ours.entry(sec).or_default().push((
                n(&r["insn_off"]),
                s(&r["kind"]).to_string(),
                n(&r["type_id"]),
                s(&r["access"]).to_string(),
            ));
        }
        assert_eq!(ours, theirs, "{what}: core_relo tuples");
    }
}

// ---- ELF: sections and function starts ------------------------------------------------

/// Executable sections per `llvm-readelf -SW`.
fn exec_sections(file: &Path) -> Vec<String> {
    let out = run_tool(Command::new(READELF).arg("-SW").arg(file));
    out.lines()
        .filter_map(|l| {
            let rest = l.split_once("] ")?.1;
            let w: Vec<&str> = rest.split_whitespace().collect();
            // name type address off size es flags lk inf al (flags may be empty)
            (w.len() == 10 && w[6].contains('X')).then(|| w[0].to_string())
        })
        .collect()
}

/// `(section, byte offset) -> symbol` for every function `llvm-objdump -d`
/// shows.
fn function_starts(file: &Path) -> HashMap<(String, u64), String> {
    let out = run_tool(Command::new(OBJDUMP).arg("-d").arg(file));
    let mut sec = String::new();
    let mut map = HashMap::new();
    for l in out.lines() {
        if let Some(name) = l.strip_prefix("Disassembly of section ") {
            sec = name.trim_end_matches(':').to_string();
        } else if let Some((addr, rest)) = l.split_once(" <") {
            if addr.len() == 16 && rest.ends_with(">:") {
                let off = u64::from_str_radix(addr, 16).unwrap();
                map.insert((sec.clone(), off), rest.trim_end_matches(">:").to_string());
            }
        }
    }
    map
}

#[test]
fn sections_and_function_starts_match_the_elf() {
    let t = "sections_and_function_starts_match_the_elf";
    if !(require_tool(t, READELF) && require_tool(t, OBJDUMP)) {
        return;
    }
    for file in bpf_objects() {
        let what = file.display().to_string();
        let v = dump_json(&file);
        let exec = exec_sections(&file);
        let starts = function_starts(&file);
        let mut seen = 0;
        for sec in sections(&v) {
            let name = s(&sec["name"]);
            assert!(
                exec.iter().any(|e| e == name),
                "{what}: {name} is not an executable section ({exec:?})"
            );
            for f in sec["func_info"].as_array().unwrap() {
                let off = n(&f["insn_off"]);
                assert_eq!(n(&f["insn"]), off / 8);
                let sym = starts
                    .get(&(name.to_string(), off))
                    .unwrap_or_else(|| panic!("{what}: no function starts at {name}+{off}"));
                let btf_name = s(&f["name"]);
                // C symbols are the FUNC names; Rust's are v0-mangled and end
                // with <len><name>.
                assert!(
                    sym == btf_name || sym.ends_with(&format!("{}{btf_name}", btf_name.len())),
                    "{what}: {name}+{off}: symbol {sym} vs FUNC {btf_name}"
                );
                assert!(s(&f["prototype"]).contains(&format!("{btf_name}(")));
                seen += 1;
            }
        }
        // Every function the disassembler shows has its func_info.
        assert_eq!(seen, starts.len(), "{what}: func_info count vs functions");
    }
}

// ---- line_info --------------------------------------------------------------------------

fn source_for(file: &str) -> PathBuf {
    match file {
        "./enums.rs" => fixture("src/rust/enums.rs"),
        f => fixture(&format!("src/{}", f.trim_start_matches("./"))),
    }
}

#[test]
fn line_info_text_is_the_source_line() {
    let mut sources: HashMap<String, Vec<String>> = HashMap::new();
    for name in NAMED {
        let file = obj(name);
        let v = dump_json(&file);
        let raw = dump_ext(&file, &[]);
        let mut checked = 0;
        for sec in sections(&v) {
            for l in sec["line_info"].as_array().unwrap() {
                let path = s(&l["file"]);
                let lines = sources.entry(path.to_string()).or_insert_with(|| {
                    let p = source_for(path);
                    std::fs::read_to_string(&p)
                        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                        .lines()
                        .map(str::to_string)
                        .collect()
                });
                let no = n(&l["line"]) as usize;
                let recorded = s(&l["text"]);
                let src = &lines[no - 1];
                assert_eq!(
                    src.trim_end(),
                    recorded.trim_end(),
                    "{name}: {path}:{no} does not hold the recorded line text"
                );
                assert!(n(&l["column"]) as usize <= src.len() + 1);
                // The text listing shows it trimmed after file:line:col.
                let shown = format!("{path}:{no}:{}: {}", n(&l["column"]), recorded.trim());
                assert!(raw.contains(&shown), "{name}: listing lacks {shown:?}");
                checked += 1;
            }
        }
        assert!(checked > 0, "{name}: no line_info");
    }
}

#[test]
fn line_info_positions_match_dwarf() {
    let t = "line_info_positions_match_dwarf";
    if !require_tool(t, DWARFDUMP) {
        return;
    }
    for file in bpf_objects() {
        let what = file.display().to_string();
        let out = run_tool(Command::new(DWARFDUMP).arg("--debug-line").arg(&file));
        // "0x0000000000000038    177      7      0   0   0   0  is_stmt"
        let mut rows = std::collections::HashSet::new();
        let mut addrs = std::collections::HashSet::new();
        for l in out.lines() {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() >= 3 && w[0].starts_with("0x") && w[0].len() == 18 {
                let a = u64::from_str_radix(&w[0][2..], 16).unwrap();
                rows.insert((
                    a,
                    w[1].parse::<u64>().unwrap(),
                    w[2].parse::<u64>().unwrap(),
                ));
                addrs.insert(a);
            }
        }
        let v = dump_json(&file);
        for sec in sections(&v) {
            let starts: Vec<u64> = sec["func_info"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| n(&f["insn_off"]))
                .collect();
            for l in sec["line_info"].as_array().unwrap() {
                let key = (n(&l["insn_off"]), n(&l["line"]), n(&l["column"]));
                if rows.contains(&key) {
                    continue;
                }
                // A function's first record carries the declaration's line
                // (DW_AT_decl_line), which the line table need not have: it
                // must then be a function start, column 0, on a line naming
                // the function, at an address the line table covers.
                let name = sec["func_info"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| n(&f["insn_off"]) == key.0)
                    .map(|f| s(&f["name"]).to_string());
                assert!(
                    starts.contains(&key.0) && key.2 == 0 && addrs.contains(&key.0),
                    "{what}: {} line_info {key:?} is not in .debug_line",
                    s(&sec["name"])
                );
                let name = name.unwrap();
                assert!(
                    s(&l["text"]).contains(&name),
                    "{what}: function start line {key:?} does not name {name}"
                );
            }
        }
    }
}

// ---- CO-RE against llvm-objdump and core.c -----------------------------------------------------

/// One `CO-RE <kind> [id] text` annotation of `llvm-objdump -dr`, with the
/// instruction text it follows.
struct LlvmRelo {
    section: String,
    insn_off: u64,
    kind: String,
    type_id: u64,
    text: String,
    insn: String,
}

fn llvm_relos(file: &Path) -> Vec<LlvmRelo> {
    let out = run_tool(Command::new(OBJDUMP).arg("-dr").arg(file));
    let mut sec = String::new();
    let mut last_insn = String::new();
    let mut v = Vec::new();
    for l in out.lines() {
        if let Some(name) = l.strip_prefix("Disassembly of section ") {
            sec = name.trim_end_matches(':').to_string();
        } else if let Some((addr, rest)) = l.trim_start().split_once(":  CO-RE <") {
            let (kind, rest) = rest.split_once("> [").unwrap();
            let (id, text) = rest.split_once("] ").unwrap();
            v.push(LlvmRelo {
                section: sec.clone(),
                insn_off: u64::from_str_radix(addr, 16).unwrap(),
                kind: kind.to_string(),
                type_id: id.parse().unwrap(),
                text: text.to_string(),
                insn: last_insn.clone(),
            });
        } else if l
            .trim_start()
            .split_once(':')
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            last_insn = l.rsplit('\t').next().unwrap_or_default().to_string();
        }
    }
    v
}

/// The last hex number of an instruction: the load/store offset or the
/// immediate (`r1 = *(u8 *)(r7 + 0x5b)`, `r1 = 0x50`).
fn last_hex(insn: &str) -> Option<u64> {
    let at = insn.rfind("0x")?;
    let digits: String = insn[at + 2..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    u64::from_str_radix(&digits, 16).ok()
}

#[test]
fn core_relocations_agree_with_llvm_objdump() {
    let t = "core_relocations_agree_with_llvm_objdump";
    if !require_tool(t, OBJDUMP) {
        return;
    }
    for name in ["core.el.o", "core.eb.o"] {
        let file = obj(name);
        let v = dump_json(&file);
        let ours = relos(&v);
        let theirs = llvm_relos(&file);
        assert_eq!(ours.len(), theirs.len(), "{name}: relocation count");
        let mut offsets_checked = 0;
        for l in &theirs {
            let (_, r) = ours
                .iter()
                .find(|(sec, r)| *sec == l.section && n(&r["insn_off"]) == l.insn_off)
                .unwrap_or_else(|| panic!("{name}: no relocation at {}+{}", l.section, l.insn_off));
            let what = format!("{name}: {}+{}", l.section, l.insn_off);
            assert_eq!(s(&r["kind"]), l.kind, "{what}");
            assert_eq!(n(&r["type_id"]), l.type_id, "{what}");
            let spec = s(&r["spec"]);
            let access = s(&r["access"]);
            match l.kind.as_str() {
                "enumval_exists" | "enumval_value" => {
                    // llvm-objdump 19 prints 32-bit enumerators sign-extended;
                    // btfkit prints them as the (unsigned) enum means them.
                    let (ours_name, ours_val) = spec.split_once(" = ").unwrap();
                    let (their_name, their_val) = l.text.split_once(" = ").unwrap();
                    assert_eq!(ours_name, their_name, "{what}");
                    let ours_val: i128 = ours_val.parse().unwrap();
                    let their_val: i128 = their_val.parse().unwrap();
                    let sext = i128::from(ours_val as u32 as i32 as u64);
                    assert!(
                        ours_val == their_val || (their_val == sext && ours_val < 1 << 32),
                        "{what}: {ours_val} vs {their_val}"
                    );
                    let step = &r["steps"][0];
                    assert_eq!(step["step"], "enumerator");
                    assert_eq!(step["value"].to_string(), ours_val.to_string());
                }
                "local_type_id" | "target_type_id" | "type_exists" | "type_size"
                | "type_matches" => {
                    assert_eq!(spec, l.text, "{what}");
                    assert_eq!(access, "0");
                }
                _ => {
                    assert_eq!(format!("{spec} ({access})"), l.text, "{what}");
                    // byte_off on a plain (non-bitfield) field: the compiled
                    // instruction holds the offset btfkit computed.
                    let steps = r["steps"].as_array().unwrap();
                    let bitfield = steps
                        .last()
                        .is_some_and(|st| st["bitfield_size"].as_u64().unwrap_or(0) != 0);
                    if l.kind == "byte_off" && !bitfield {
                        let bits = n(&r["bit_offset"]);
                        assert_eq!(Some(bits / 8), last_hex(&l.insn), "{what}: {}", l.insn);
                        offsets_checked += 1;
                    }
                }
            }
        }
        assert!(
            offsets_checked >= 10,
            "{name}: {offsets_checked} offsets checked"
        );
    }
}

/// The relocations core.c asks for, as `(section, kind, reading)`.
const CORE_C_READS: &[(&str, &str, &str)] = &[
    // .text: core_in_text
    (
        ".text",
        "byte_off",
        "struct task_struct::group_leader (0:13)",
    ),
    (".text", "byte_off", "struct task_struct::tgid (0:11)"),
    (
        ".text",
        "byte_off",
        "typedef btfkit_pair_t::val[1][2] (0:1:1:2)",
    ),
    (
        ".text",
        "byte_off",
        "union btfkit_union_root::parts.hi (0:1:1)",
    ),
    (
        ".text",
        "byte_off",
        "struct task_struct::se.sum_exec_runtime (0:3:1)",
    ),
    // core_switch
    (
        "tp_btf/sched_switch",
        "byte_off",
        "struct task_struct::pid (0:10)",
    ),
    (
        "tp_btf/sched_switch",
        "byte_off",
        "struct task_struct::comm[3] (0:14:3)",
    ),
    (
        "tp_btf/sched_switch",
        "byte_off",
        "struct task_struct::se.vruntime (0:3:0)",
    ),
    (
        "tp_btf/sched_switch",
        "byte_off",
        "struct task_struct::<anon 15>.btfkit_anon_b (0:15:1)",
    ),
    (
        "tp_btf/sched_switch",
        "byte_off",
        "struct task_struct::real_parent (0:12)",
    ),
    (
        "tp_btf/sched_switch",
        "byte_off",
        "struct mm_struct::start_code (0:0)",
    ),
    (
        "tp_btf/sched_switch",
        "byte_off",
        "struct task_struct::tasks.next (0:4:0)",
    ),
    (
        "tp_btf/sched_switch",
        "byte_sz",
        "struct task_struct::pid (0:10)",
    ),
    (
        "tp_btf/sched_switch",
        "byte_sz",
        "struct task_struct::comm (0:14)",
    ),
    (
        "tp_btf/sched_switch",
        "byte_sz",
        "struct task_struct::mm (0:5)",
    ),
    (
        "tp_btf/sched_switch",
        "field_exists",
        "struct task_struct::__state (0:0)",
    ),
    (
        "tp_btf/sched_switch",
        "field_exists",
        "struct task_struct___old::state (0:0)",
    ),
    (
        "tp_btf/sched_switch",
        "field_exists",
        "struct task_struct::btfkit_missing_field (0:16)",
    ),
    (
        "tp_btf/sched_switch",
        "lshift_u64",
        "struct task_struct::in_execve (0:8)",
    ),
    (
        "tp_btf/sched_switch",
        "signed",
        "struct task_struct::btfkit_signed_bits (0:9)",
    ),
    (
        "tp_btf/sched_switch",
        "rshift_u64",
        "struct task_struct::btfkit_signed_bits (0:9)",
    ),
    // core_types
    (
        "raw_tp/sched_process_exec",
        "signed",
        "struct task_struct::sched_reset_on_fork (0:6)",
    ),
    (
        "raw_tp/sched_process_exec",
        "local_type_id",
        "struct task_struct (0)",
    ),
    (
        "raw_tp/sched_process_exec",
        "target_type_id",
        "struct mm_struct (0)",
    ),
    (
        "raw_tp/sched_process_exec",
        "local_type_id",
        "typedef btfkit_pair_t (0)",
    ),
    (
        "raw_tp/sched_process_exec",
        "type_exists",
        "struct task_struct___old (0)",
    ),
    (
        "raw_tp/sched_process_exec",
        "type_exists",
        "typedef pid_t (0)",
    ),
    (
        "raw_tp/sched_process_exec",
        "type_exists",
        "struct btfkit_no_such_type (0)",
    ),
    (
        "raw_tp/sched_process_exec",
        "type_size",
        "union btfkit_union_root (0)",
    ),
    (
        "raw_tp/sched_process_exec",
        "type_size",
        "enum pid_type (0)",
    ),
    (
        "raw_tp/sched_process_exec",
        "enumval_exists",
        "enum pid_type::PIDTYPE_TGID = 1 (1)",
    ),
    (
        "raw_tp/sched_process_exec",
        "enumval_exists",
        "enum pid_type::PIDTYPE_BTFKIT_MISSING = 5 (5)",
    ),
    (
        "raw_tp/sched_process_exec",
        "enumval_exists",
        "enum pid_type___old::PIDTYPE_MAX___old = 3 (1)",
    ),
    (
        "raw_tp/sched_process_exec",
        "enumval_value",
        "enum pid_type::PIDTYPE_PGID = 2 (2)",
    ),
    (
        "raw_tp/sched_process_exec",
        "enumval_value",
        "enum e820_type::E820_TYPE_SOFT_RESERVED = 4026531839 (1)",
    ),
    (
        "raw_tp/sched_process_exec",
        "enumval_value",
        "enum perf_callchain_context::PERF_CONTEXT_USER = 18446744073709551104 (2)",
    ),
    (
        "raw_tp/sched_process_exec",
        "type_matches",
        "struct task_struct___match (0)",
    ),
    (
        "raw_tp/sched_process_exec",
        "type_matches",
        "typedef pid_t (0)",
    ),
    // core_kprobe: BPF_CORE_READ_STR_INTO(&comm, t, comm)
    (
        "kprobe/do_exit",
        "byte_off",
        "struct task_struct::comm (0:14)",
    ),
];

#[test]
fn core_relocations_name_the_fields_core_c_reads() {
    for name in ["core.el.o", "core.eb.o"] {
        let file = obj(name);
        let v = dump_json(&file);
        let got: Vec<(String, String, String)> = relos(&v)
            .into_iter()
            .map(|(sec, r)| {
                let reading = format!("{} ({})", s(&r["spec"]), s(&r["access"]));
                (sec, s(&r["kind"]).to_string(), reading)
            })
            .collect();
        for &(sec, kind, reading) in CORE_C_READS {
            assert!(
                got.iter()
                    .any(|g| g.0 == sec && g.1 == kind && g.2 == reading),
                "{name}: no {kind} relocation {reading} in {sec}"
            );
        }
        // All 13 kinds occur.
        let kinds: std::collections::BTreeSet<&str> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(kinds.len(), 13, "{name}: {kinds:?}");

        // The same readings in the text listing, one line each, with the
        // section first and the field offset last.
        let raw = dump_ext(&file, &[]);
        assert!(raw
            .lines()
            .any(|l| l.starts_with("tp_btf/sched_switch insn ")
                && l.contains(" relo #")
                && l.contains("byte_off")
                && l.ends_with("[2] struct task_struct::comm[3] (0:14:3) @ byte 91")));
        assert!(raw
            .lines()
            .any(|l| l.starts_with("tp_btf/sched_switch insn ")
                && l.ends_with("[2] struct task_struct::in_execve (0:8) @ byte 56 + 2 bits")));
        assert!(raw
            .lines()
            .any(|l| l.starts_with("raw_tp/sched_process_exec insn ")
                && l.contains("type_exists")
                && l.ends_with("[35] struct btfkit_no_such_type (0)")));
    }

    // el and eb differ by one byte_sz of the PROBED bitfield read
    // (fixtures/PROVENANCE.md); everything else is the same.
    let readings = |name: &str| {
        let v = dump_json(&obj(name));
        let mut r: Vec<String> = relos(&v)
            .into_iter()
            .map(|(sec, r)| {
                format!(
                    "{sec} {} {} ({})",
                    s(&r["kind"]),
                    s(&r["spec"]),
                    s(&r["access"])
                )
            })
            .collect();
        r.sort();
        r
    };
    let el = readings("core.el.o");
    let mut eb = readings("core.eb.o");
    for x in &el {
        let i = eb
            .iter()
            .position(|y| y == x)
            .unwrap_or_else(|| panic!("eb lacks {x}"));
        eb.remove(i);
    }
    assert_eq!(
        eb,
        ["raw_tp/sched_process_exec byte_sz struct task_struct::sched_reset_on_fork (0:6)"]
    );
}

#[test]
fn func_info_shows_prototypes() {
    let raw = dump_ext(&obj("maps_progs.el.o"), &[]);
    let v = dump_json(&obj("maps_progs.el.o"));
    let text_funcs: Vec<(&str, &str)> = sections(&v)
        .iter()
        .filter(|s| s["name"] == ".text")
        .flat_map(|sec| sec["func_info"].as_array().unwrap())
        .map(|f| (s(&f["name"]), s(&f["linkage"])))
        .collect();
    assert_eq!(text_funcs.len(), 3);
    assert!(text_funcs.contains(&("bump", "static")));
    for line in raw.lines().filter(|l| l.contains(" func #")) {
        let (sec, _) = line.split_once(' ').unwrap();
        assert!(
            ["socket", "xdp", "tc", ".text"].contains(&sec) || sec.contains('/'),
            "{line}"
        );
    }
    assert!(
        raw.contains(" static "),
        "static function shown as such:\n{raw}"
    );
    let core = dump_ext(&obj("core.el.o"), &[]);
    assert!(core.lines().any(|l| {
        l.starts_with(".text insn 0 ")
        && l.ends_with(
            "long core_in_text(struct task_struct *t, btfkit_pair_t *p, union btfkit_union_root *u)"
        )
    }));
    assert!(core.contains("int core_switch(unsigned long long *ctx)"));
}

// ---- every fixture, every format --------------------------------------------------------

#[test]
fn every_fixture_dumps_in_every_format() {
    for file in bpf_objects() {
        let what = file.display().to_string();
        let raw = dump_ext(&file, &[]);
        let v = dump_json(&file);
        let summary = dump_ext(&file, &["--format", "summary"]);
        assert!(!raw.contains("<invalid"), "{what}");
        let (mut f, mut l, mut r) = (0, 0, 0);
        for sec in sections(&v) {
            let name = s(&sec["name"]);
            let nf = sec["func_info"].as_array().unwrap().len();
            let nl = sec["line_info"].as_array().unwrap().len();
            let nr = sec["core_relo"].as_array().unwrap().len();
            assert!(
                raw.contains(&format!(
                    "section {name}: {nf} func_info, {nl} line_info, {nr} core_relo\n"
                )),
                "{what}: header of {name}"
            );
            let listed = raw
                .lines()
                .filter(|x| x.starts_with(&format!("{name} ")))
                .count();
            assert_eq!(listed, nf + nl + nr, "{what}: lines of {name}");
            (f, l, r) = (f + nf, l + nl, r + nr);
        }
        let total = summary
            .lines()
            .find(|x| x.starts_with("| total"))
            .unwrap_or_else(|| panic!("{what}: no total row in\n{summary}"));
        let cells: Vec<&str> = total.split('|').map(str::trim).collect();
        assert_eq!(
            cells[2..6],
            [f.to_string(), l.to_string(), r.to_string(), "0".into()]
        );
        // --pretty is the same document.
        let pretty: Value =
            serde_json::from_str(&dump_ext(&file, &["--format", "json", "--pretty"])).unwrap();
        assert_eq!(pretty, v);
    }
}

#[test]
fn raw_btf_has_no_ext() {
    let out = btfkit([
        "dump".as_ref(),
        fixture("raw/kinds.el.btf").as_os_str(),
        "--ext".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no .BTF.ext"));
}

#[test]
fn type_filters_are_ignored_with_a_warning() {
    let file = obj("core.el.o");
    let plain = btfkit(["dump".as_ref(), file.as_os_str(), "--ext".as_ref()]);
    let filtered = btfkit([
        "dump".as_ref(),
        file.as_os_str(),
        "--ext".as_ref(),
        "--type".as_ref(),
        "task_struct".as_ref(),
    ]);
    assert!(filtered.status.success());
    assert_eq!(plain.stdout, filtered.stdout);
    assert!(plain.stderr.is_empty());
    assert!(String::from_utf8_lossy(&filtered.stderr).contains("ignored"));
}

#[test]
fn colour_only_when_asked_and_never_in_json() {
    let file = obj("core.el.o");
    let f = file.as_os_str();
    let plain = btfkit(["dump".as_ref(), f, "--ext".as_ref()]);
    assert!(!plain.stdout.contains(&0x1b));
    let coloured = btfkit([
        "--color".as_ref(),
        "always".as_ref(),
        "dump".as_ref(),
        f,
        "--ext".as_ref(),
    ]);
    assert!(coloured.status.success());
    assert!(coloured.stdout.contains(&0x1b));
    // Stripping the escapes gives the plain text.
    let mut stripped = Vec::new();
    let mut it = coloured.stdout.iter();
    while let Some(&b) = it.next() {
        if b == 0x1b {
            for &c in it.by_ref() {
                if c == b'm' {
                    break;
                }
            }
        } else {
            stripped.push(b);
        }
    }
    assert_same_bytes("colour stripped", &stripped, &plain.stdout);
    let json = btfkit([
        "--color".as_ref(),
        "always".as_ref(),
        "dump".as_ref(),
        f,
        "--ext".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert!(!json.stdout.contains(&0x1b));
}

// ---- invalid records ----------------------------------------------------------------------

/// File offset and size of a section of a little-endian ELF64 file.
fn elf_section(elf: &[u8], want: &str) -> (usize, usize) {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap()) as usize;
    assert_eq!(&elf[..6], b"\x7fELF\x02\x01", "little-endian ELF64");
    let (shoff, shentsize, shnum, shstrndx) =
        (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let sh = |i: usize| shoff + i * shentsize;
    let strtab = u64_at(sh(shstrndx) + 0x18);
    (0..shnum)
        .find_map(|i| {
            let name_at = strtab + u32_at(sh(i));
            let end = elf[name_at..].iter().position(|&b| b == 0).unwrap();
            (&elf[name_at..name_at + end] == want.as_bytes())
                .then(|| (u64_at(sh(i) + 0x18), u64_at(sh(i) + 0x20)))
        })
        .unwrap_or_else(|| panic!("no section {want}"))
}

#[test]
fn invalid_records_are_marked_and_exit_2() {
    let mut elf = std::fs::read(obj("core.el.o")).unwrap();
    let (ext, _) = elf_section(&elf, ".BTF.ext");
    let rd = |e: &[u8], o: usize| u32::from_le_bytes(e[o..o + 4].try_into().unwrap());
    let hdr_len = rd(&elf, ext + 4) as usize;
    let func = ext + hdr_len + rd(&elf, ext + 8) as usize; // func_info subsection
    let line = ext + hdr_len + rd(&elf, ext + 16) as usize;
    let core = ext + hdr_len + rd(&elf, ext + 24) as usize;
    // First block of each subsection: rec_size, sec_name_off, num_info, records.
    let first = |sub: usize| sub + 12;
    let core_rec = |i: usize| first(core) + 16 * i;
    let sec_name = rd(&elf, core + 4);
    let mut put = |at: usize, v: u32| elf[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put(core_rec(0) + 4, 0xffff); // type id out of range
    put(core_rec(1), 4); // insn_off not a multiple of 8
    put(core_rec(2) + 8, sec_name); // access string ".text"
    put(core_rec(3) + 12, 99); // unknown kind
    put(first(func) + 4, 2); // func_info naming struct task_struct
    put(first(line) + 16 + 8, 0x7fff_0000); // line text offset out of range

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.o");
    std::fs::write(&bad, &elf).unwrap();
    let out = btfkit(["dump".as_ref(), bad.as_os_str(), "--ext".as_ref()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "invalid records make exit status 2"
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    let rel = |abs: usize| abs - ext;

    // The dump is complete: every record is listed, the bad ones marked.
    let good = dump_ext(&obj("core.el.o"), &[]);
    assert_eq!(stdout.lines().count(), good.lines().count());
    // Columns are padded; compare with runs of spaces squashed.
    let squashed: Vec<String> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let expect_out = [
        ".text insn 3 relo #0 byte_off [65535] <invalid: type [65535] is past the last type id 52> (0:13)",
        ".text byte 4 relo #1 byte_off [2] struct task_struct::tgid (0:11) @ byte 64 <invalid: insn_off 4 is not a multiple of 8>",
        ".text insn 16 relo #2 byte_off [16] typedef btfkit_pair_t <invalid: access string index 0 (\".text\") is not a decimal number> (.text)",
        ".text insn 24 relo #3 unknown(99) [21] union btfkit_union_root <invalid: unknown relocation kind 99> (0:1:1)",
        ".text insn 0 func #0 [2] <invalid: type [2] is STRUCT 'task_struct', not FUNC>",
        ".text insn 7 line #1 ./core.c:177:7: <invalid: line text offset 2147418112 is past the string section>",
    ];
    for e in expect_out {
        assert!(
            squashed.iter().any(|l| l == e),
            "stdout lacks {e:?}:\n{stdout}"
        );
    }
    assert!(stdout.starts_with("section .text: 1 func_info"));
    // stderr names subsection, record, section and the .BTF.ext offset.
    let expect_err = [
        format!(
            "core_relo record #0 of section .text at offset {:#x}: type [65535]",
            rel(core_rec(0))
        ),
        format!(
            "core_relo record #1 of section .text at offset {:#x}: insn_off 4",
            rel(core_rec(1))
        ),
        format!(
            "core_relo record #2 of section .text at offset {:#x}: access string",
            rel(core_rec(2))
        ),
        format!(
            "core_relo record #3 of section .text at offset {:#x}: unknown relocation kind 99",
            rel(core_rec(3))
        ),
        format!(
            "func_info record #0 of section .text at offset {:#x}: type [2] is STRUCT",
            rel(first(func))
        ),
        format!(
            "line_info record #1 of section .text at offset {:#x}: line text offset",
            rel(first(line) + 16)
        ),
        "6 invalid .BTF.ext record(s)".to_string(),
    ];
    for e in &expect_err {
        assert!(stderr.contains(e.as_str()), "stderr lacks {e:?}:\n{stderr}");
    }

    // JSON: still one valid document, with the errors in place.
    let out = btfkit([
        "dump".as_ref(),
        bad.as_os_str(),
        "--ext".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON despite bad records");
    assert_eq!(n(&v["invalid_records"]), 6);
    let text_sec = &sections(&v)[0];
    let r = &text_sec["core_relo"];
    assert_eq!(r[0]["root"], Value::Null);
    assert_eq!(r[0]["spec"], Value::Null);
    assert!(s(&r[0]["error"]).contains("65535"));
    assert_eq!(n(&r[0]["ext_offset"]) as usize, rel(core_rec(0)));
    assert_eq!(r[1]["insn"], Value::Null);
    assert_eq!(n(&r[1]["insn_off"]), 4);
    assert_eq!(r[1]["spec"], "struct task_struct::tgid");
    assert_eq!(r[2]["access"], ".text");
    assert_eq!(r[3]["kind"], "unknown");
    assert_eq!(r[3]["kind_raw"], 99);
    assert_eq!(r[4]["error"], Value::Null);
    assert!(s(&text_sec["func_info"][0]["error"]).contains("not FUNC"));
    assert_eq!(text_sec["line_info"][1]["text"], Value::Null);
    // Untouched sections are unaffected.
    for sec in &sections(&v)[1..] {
        for sub in ["func_info", "line_info", "core_relo"] {
            for rec in sec[sub].as_array().unwrap() {
                assert_eq!(rec["error"], Value::Null);
            }
        }
    }

    // Summary counts them too.
    let out = btfkit([
        "dump".as_ref(),
        bad.as_os_str(),
        "--ext".as_ref(),
        "--format".as_ref(),
        "summary".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let summary = text(&out.stdout);
    let row = summary.lines().find(|l| l.starts_with("| .text")).unwrap();
    assert!(row.trim_end().ends_with("6 |"), "{row}");
}
