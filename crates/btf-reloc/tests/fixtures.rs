//! The engine on the committed fixtures: `core.{el,eb}.o` against its own
//! BTF, the 6.1 kernel BTF and the minimized 6.1 BTF.

use std::io::Read;

use bpf_obj::Object;
use btf_core::{Btf, BtfExt};
use btf_reloc::{
    relocate_object, BtfView, Error, ObjectReport, Options, Outcome, Semantics, Status, Target,
    Targets,
};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap()
}

fn kernel_61() -> Vec<u8> {
    let gz = fixture("fixtures/kernel/linux-6.1.0-56-cloud.btf.gz");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// `(section, record) → (status, value, target id)` for every fixed record.
type Summary = Vec<(String, usize, &'static str, Option<u64>, Option<u32>)>;

fn summarize(rep: &ObjectReport<'_, '_>) -> Summary {
    rep.records
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Fixed(f) => (
                r.location.section.to_string(),
                r.location.record,
                f.status.name(),
                f.value,
                r.resolution
                    .as_ref()
                    .and_then(|x| x.target())
                    .map(|t| t.0.id.0),
            ),
            Outcome::Skipped(_) => (
                r.location.section.to_string(),
                r.location.record,
                "skipped",
                None,
                None,
            ),
            Outcome::Failed(_) => (
                r.location.section.to_string(),
                r.location.record,
                "error",
                None,
                None,
            ),
        })
        .collect()
}

fn relocate_with<R>(
    obj_name: &str,
    target: &[u8],
    sem: Semantics,
    f: impl FnOnce(&ObjectReport<'_, '_>) -> R,
) -> R {
    let data = fixture(&format!("fixtures/obj/{obj_name}"));
    let obj = Object::parse(&data).unwrap();
    let btf = Btf::parse(obj.btf().unwrap()).unwrap();
    let ext = BtfExt::parse(obj.btf_ext().unwrap()).unwrap();
    let tbtf = if target.is_empty() {
        btf.clone()
    } else {
        Btf::parse(target).unwrap()
    };
    let targets = Targets::new(Target::new("t", &tbtf));
    let rep = relocate_object(
        &obj,
        &BtfView::new(&btf),
        &ext,
        &targets,
        &Options {
            semantics: sem,
            ..Options::default()
        },
    );
    f(&rep)
}

#[test]
fn self_relocation_is_identity_except_bitfields() {
    for obj in ["core.el.o", "core.eb.o"] {
        for sem in [Semantics::Btfkit, Semantics::Libbpf] {
            relocate_with(obj, &[], sem, |rep| {
                // libbpf sign-extends E820_TYPE_SOFT_RESERVED (0xefffffff)
                // and then rejects clang's zero-extended immediate.
                let errors: Vec<_> = rep
                    .records
                    .iter()
                    .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
                    .map(|r| (&*r.location.section, r.location.record))
                    .collect();
                // core.eb.o has one more record before it (see PROVENANCE).
                let e820 = if obj == "core.el.o" { 22 } else { 23 };
                let want: Vec<(&str, usize)> = match sem {
                    Semantics::Btfkit => vec![],
                    Semantics::Libbpf => vec![("raw_tp/sched_process_exec", e820)],
                };
                assert_eq!(errors, want, "{obj}");
                for (r, fx) in rep.fixups() {
                    assert_eq!(fx.status, Status::Ok, "{obj} {}", r.location);
                    let spec = &r.resolution.as_ref().unwrap().local;
                    let name = String::from_utf8_lossy(
                        spec.accessors()
                            .last()
                            .and_then(|a| a.name)
                            .unwrap_or_default(),
                    )
                    .into_owned();
                    let bitfield = ["in_execve", "btfkit_signed_bits", "sched_reset_on_fork"]
                        .contains(&name.as_str());
                    if !bitfield {
                        assert_eq!(fx.value, Some(fx.expected), "{obj} {}", r.location);
                        assert_eq!(fx.found, i128::from(fx.expected), "{obj} {}", r.location);
                    }
                }
            });
        }
    }
}

#[test]
fn against_linux_6_1() {
    let k = kernel_61();
    // Values from libbpf 1.1's log (`bpftool -d gen min_core_btf`).
    let want: [(&str, usize, u64); 12] = [
        (".text", 0, 2480),
        (".text", 1, 2420),
        (".text", 4, 200),
        ("tp_btf/sched_switch", 0, 2416),
        ("tp_btf/sched_switch", 2, 2979),
        ("tp_btf/sched_switch", 3, 208),
        ("tp_btf/sched_switch", 5, 2432),
        ("tp_btf/sched_switch", 6, 2272),
        ("tp_btf/sched_switch", 7, 256),
        ("tp_btf/sched_switch", 8, 2192),
        ("tp_btf/sched_switch", 15, 2344),
        ("raw_tp/sched_process_exec", 0, 2340),
    ];
    for obj in ["core.el.o", "core.eb.o"] {
        let s = relocate_with(obj, &k, Semantics::Btfkit, summarize);
        for (sec, rec, v) in want {
            let got = s.iter().find(|r| r.0 == sec && r.1 == rec).unwrap();
            assert_eq!((got.2, got.3), ("ok", Some(v)), "{obj} {sec} #{rec}");
        }
        let count = |st: &str| s.iter().filter(|r| r.2 == st).count();
        assert_eq!(
            (count("poisoned"), count("zeroed"), count("error")),
            (9, 6, 0),
            "{obj}"
        );
        // E820_TYPE_SOFT_RESERVED: zero-extended by btfkit.
        let e820 = s
            .iter()
            .find(|r| r.0 == "raw_tp/sched_process_exec" && r.3 == Some(0xefff_ffff));
        assert!(e820.is_some(), "{obj}");
    }
    // libbpf sign-extends it and then rejects the instruction.
    relocate_with("core.el.o", &k, Semantics::Libbpf, |rep| {
        let failed: Vec<_> = rep
            .records
            .iter()
            .filter_map(|r| match &r.outcome {
                Outcome::Failed(e) => Some((r.location.record, e.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(failed.len(), 1);
        assert!(matches!(
            failed[0].1,
            Error::UnexpectedValue {
                expected: 0xffff_ffff_efff_ffff,
                ..
            }
        ));
    });
}

#[test]
fn minimized_btf_gives_the_same_results() {
    let k = kernel_61();
    let min = fixture("fixtures/raw/core.min-6.1.btf");
    let strip_ids = |s: Summary| -> Vec<_> {
        s.into_iter()
            .map(|(sec, r, st, v, id)| {
                (
                    sec,
                    r,
                    st,
                    if id.is_some() && v.is_some_and(|v| v > 100 && v < 200_000) {
                        None
                    } else {
                        v
                    },
                )
            })
            .collect()
    };
    let full = relocate_with("core.el.o", &k, Semantics::Btfkit, summarize);
    let small = relocate_with("core.el.o", &min, Semantics::Btfkit, summarize);
    // Type ids differ between the two files; everything else is equal.
    let (full, small): (Vec<_>, Vec<_>) = (strip_ids(full), strip_ids(small));
    for (a, b) in full.iter().zip(&small) {
        if a.3 != b.3 {
            // Only target_type_id values may differ (ids are renumbered).
            assert!(a.3.is_none() || b.3.is_none() || a.2 == b.2, "{a:?} {b:?}");
        }
        assert_eq!(a.2, b.2, "{a:?} {b:?}");
    }
}

/// Patches one core_relo record field of `core.el.o`.
fn with_record_field(record: usize, field: usize, value: u32) -> Vec<u8> {
    let mut data = fixture("fixtures/obj/core.el.o");
    let obj = Object::parse(&data).unwrap();
    let ext_sec = obj.btf_ext_section().unwrap();
    let (start, _) = ext_sec.file_range.unwrap();
    let ext = BtfExt::parse(obj.btf_ext().unwrap()).unwrap();
    let block = &ext.core_relo().blocks()[0];
    let at = start as usize + block.record_offset(record) + 4 * field;
    data[at..at + 4].copy_from_slice(&value.to_le_bytes());
    data
}

fn errors_of(data: &[u8]) -> Vec<String> {
    let obj = Object::parse(data).unwrap();
    let btf = Btf::parse(obj.btf().unwrap()).unwrap();
    let ext = BtfExt::parse(obj.btf_ext().unwrap()).unwrap();
    let targets = Targets::new(Target::new("self", &btf));
    let rep = relocate_object(
        &obj,
        &BtfView::new(&btf),
        &ext,
        &targets,
        &Options::default(),
    );
    rep.records
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Failed(e) => Some(format!("{}: {e}", r.location)),
            _ => None,
        })
        .collect()
}

#[test]
fn malformed_records_name_the_record() {
    // (record, field: 0 insn_off 1 type_id 2 access_str 3 kind, value, message)
    let cases: [(usize, usize, u32, &str); 5] = [
        (0, 0, 3, "insn_off 3 is not a multiple of 8"),
        (
            0,
            0,
            0x10_0000,
            "instruction #131072 is past the end of section .text",
        ),
        (1, 1, 9999, "local type [9999] is past the last type id"),
        (
            1,
            2,
            0x7fff_ffff,
            "access string offset 2147483647 is past the .BTF string section",
        ),
        (1, 3, 77, "unknown relocation kind 77"),
    ];
    for (record, field, value, msg) in cases {
        let errs = errors_of(&with_record_field(record, field, value));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with(&format!(
                "section .text record #{record} (.BTF.ext offset 0x"
            )),
            "{}",
            errs[0]
        );
        assert!(errs[0].contains(msg), "{} does not contain {msg}", errs[0]);
    }
}

#[test]
fn results_do_not_depend_on_record_order() {
    let k = kernel_61();
    let data = fixture("fixtures/obj/core.el.o");
    let obj = Object::parse(&data).unwrap();
    let btf = Btf::parse(obj.btf().unwrap()).unwrap();
    let ext = BtfExt::parse(obj.btf_ext().unwrap()).unwrap();
    let tbtf = Btf::parse(&k).unwrap();
    let targets = Targets::new(Target::new("t", &tbtf));
    let view = BtfView::new(&btf);
    let mut records = Vec::new();
    for block in ext.core_relo().blocks() {
        let section = String::from_utf8_lossy(btf.name(block.sec_name).unwrap()).into_owned();
        for (i, relo) in block.iter().enumerate() {
            records.push(btf_reloc::Record {
                location: btf_reloc::Location {
                    section: section.as_str().into(),
                    record: i,
                    ext_offset: block.record_offset(i),
                    insn: relo.insn_off / 8,
                },
                relo,
            });
        }
    }
    let key = |rs: Vec<Result<btf_reloc::Resolution<'_, '_>, btf_reloc::RecordError>>| {
        let mut v: Vec<_> = rs
            .into_iter()
            .map(|r| match r {
                Ok(r) => (r.location.clone(), Some((r.calc, r.target().map(|t| t.0)))),
                Err(e) => (e.location.clone(), None),
            })
            .collect();
        v.sort_by(|a, b| (&a.0.section, a.0.record).cmp(&(&b.0.section, b.0.record)));
        v
    };
    let opts = Options {
        semantics: Semantics::Btfkit,
        ..Options::default()
    };
    let base = key(btf_reloc::resolve(&view, &records, &targets, &opts));
    let mut shuffled = records.clone();
    for seed in 0..8u64 {
        // A deterministic shuffle (xorshift).
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        assert_eq!(
            key(btf_reloc::resolve(&view, &shuffled, &targets, &opts)),
            base,
            "seed {seed}"
        );
    }
    // Matching on two threads (enough records for several blocks) gives
    // every record the same resolution, in the same order.
    let many: Vec<_> = (0..60).flat_map(|_| shuffled.iter().cloned()).collect();
    assert!(many.len() > 1000);
    let parallel = Options {
        parallel: true,
        ..opts
    };
    assert!(
        btf_reloc::resolve(&view, &many, &targets, &parallel)
            == btf_reloc::resolve(&view, &many, &targets, &opts),
        "parallel and sequential resolutions differ"
    );
}

/// The one-pass candidate search for many roots gives, for every type of
/// every fixture object, what the per-root search (full name index) gives
/// against the 6.1 kernel BTF.
#[test]
fn candidate_search_for_many_roots_matches_per_root_search() {
    let kernel = kernel_61();
    let tbtf = Btf::parse(&kernel).unwrap();
    let targets = Targets::new(Target::new("vmlinux", &tbtf));
    for name in ["core.el.o", "core.eb.o", "kinds.el.o", "bitfields.el.o"] {
        let data = fixture(&format!("fixtures/obj/{name}"));
        let obj = Object::parse(&data).unwrap();
        let btf = Btf::parse(obj.btf().unwrap()).unwrap();
        let view = BtfView::new(&btf);
        let ids: Vec<btf_core::TypeId> = (0..=btf.last_id().0).map(btf_core::TypeId).collect();
        let many = targets.find_cands_many(&view, ids.iter().copied());
        let mut found = 0;
        for id in &ids {
            let one = targets.find_cands(&view, *id);
            found += one.as_ref().map_or(0, Vec::len);
            assert_eq!(many[id], one, "{name}: root [{id}]");
        }
        assert!(found > 0, "{name}: some type has kernel candidates");
    }
}
