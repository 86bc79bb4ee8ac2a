//! Criterion benchmarks of the CO-RE engine (`btfkit relocate`): 10,000
//! field relocations over 1,000 distinct root types against a kernel BTF,
//! **including** parsing the kernel BTF and the candidate search (one pass
//! over the target for all roots).
//!
//! The local side is synthetic (no clang needed): the first 1,000 named
//! structs of the target with enough int/pointer members each get a local
//! copy holding those members (as `long` / `void *`, at other offsets), and
//! 10 relocations each: byte_off of every member, then byte_sz,
//! field_exists, signed, lshift_u64, rshift_u64 (pointers take the first
//! three), as `benches/core_gen.py` does for a real clang object. Each
//! relocation patches an ALU instruction holding the local value.
//!
//! Target, first found (benches/common/mod.rs): `BTFKIT_BENCH_BTF` (raw
//! BTF; `.gz` via `gzip -dc`), `/sys/kernel/btf/vmlinux`,
//! `fixtures/kernel/linux-6.1.0-56-cloud.btf.gz`.
//!
//! `cargo bench --bench core_reloc` measures; `-- --test` runs each routine
//! once. Goal: `parse+index+resolve+patch` ≤ 50 ms.

mod common;

use std::hint::black_box;
use std::time::Duration;

use bpf_obj::Insn;
use btf_core::ext::{CoreRelo, CoreReloKind};
use btf_core::types::{TypeData, INT_SIGNED};
use btf_core::write::OwnedType;
use btf_core::{Btf, BtfBuilder, Endian, Kind, TypeId};
use btf_reloc::{plan, resolve, BtfView, FuncInsns, Location, Options, Record, Target, Targets};
use criterion::{criterion_group, criterion_main, Criterion};

const ROOTS: usize = 1_000;
const PER_ROOT: usize = 10;

/// The synthetic object: local BTF bytes, records, instructions.
struct Case {
    btf: Vec<u8>,
    records: Vec<Record>,
    insns: Vec<Insn>,
}

fn build_case(target: &Btf<'_>) -> Case {
    let mut b = BtfBuilder::new();
    let long = b.add_int("long", 8, INT_SIGNED, 64);
    let vptr = b.add(OwnedType::ptr(TypeId::VOID));
    let mut seen = std::collections::HashSet::new();
    let mut roots = Vec::new();
    for t in target.types() {
        if t.kind() != Kind::Struct || roots.len() == ROOTS {
            continue;
        }
        let name = target.type_name(&t);
        if name.is_empty() || name.windows(3).any(|w| w == b"___") || !seen.insert(name) {
            continue;
        }
        let mut fields = Vec::new();
        for m in t.members().filter(|m| m.bitfield_size() == 0) {
            let mname = target.name(m.name).unwrap_or_default();
            let Ok(s) = target.skip_modifiers(m.type_id) else {
                continue;
            };
            let is_ptr = match target.get(s).map(|t| t.data()) {
                Some(TypeData::Int(_)) => false,
                Some(TypeData::Ptr(_)) => true,
                _ => continue,
            };
            if !mname.is_empty() {
                fields.push((String::from_utf8_lossy(mname).into_owned(), is_ptr));
            }
        }
        let combos: Vec<(usize, u32)> = (0..6u32)
            .flat_map(|k| {
                fields
                    .iter()
                    .enumerate()
                    .filter(move |(_, f)| k < 3 || !f.1)
                    .map(move |(i, _)| (i, k))
            })
            .take(PER_ROOT)
            .collect();
        if combos.len() == PER_ROOT {
            roots.push((String::from_utf8_lossy(name).into_owned(), fields, combos));
        }
    }
    let mut records = Vec::new();
    let section: std::sync::Arc<str> = "socket".into();
    for (name, fields, combos) in &roots {
        let members: Vec<(&str, TypeId, u32, u8)> = fields
            .iter()
            .enumerate()
            .map(|(i, (n, p))| (n.as_str(), if *p { vptr } else { long }, i as u32 * 64, 0))
            .collect();
        let id = b.add_composite(false, name, 8 * fields.len() as u32, &members);
        for &(field, kind) in combos {
            let access = b.add_str(format!("0:{field}"));
            let i = records.len();
            records.push(Record {
                location: Location {
                    section: section.clone(),
                    record: i,
                    ext_offset: 0,
                    insn: i as u32,
                },
                relo: CoreRelo {
                    insn_off: 8 * i as u32,
                    type_id: id,
                    access_str: access,
                    kind: CoreReloKind::from_raw(kind),
                },
            });
        }
    }
    let btf = b.write(Endian::NATIVE).unwrap();
    // The instructions hold the local values: resolve once against the
    // local BTF itself to learn them.
    let local = Btf::parse(&btf).unwrap();
    let targets = Targets::new(Target::new("self", &local));
    let insns = resolve(
        &BtfView::new(&local),
        &records,
        &targets,
        &Options::default(),
    )
    .into_iter()
    .map(|r| Insn {
        code: 0xb7,
        dst: 0,
        src: 0,
        off: 0,
        imm: r.unwrap().calc.orig_val as i32,
    })
    .collect();
    Case {
        btf,
        records,
        insns,
    }
}

fn run(case: &Case, target_bytes: &[u8]) -> usize {
    let local = Btf::parse(&case.btf).unwrap();
    let tbtf = Btf::parse(target_bytes).unwrap();
    let targets = Targets::new(Target::new("vmlinux", &tbtf));
    let view = BtfView::new(&local);
    let func = FuncInsns {
        insns: &case.insns,
        start: 0,
    };
    let resolved = resolve(&view, &case.records, &targets, &Options::default());
    let planned = resolved
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|r| plan(r, func, r.location.insn, Default::default()).ok())
        .count();
    planned
}

fn bench(c: &mut Criterion) {
    let common::Input {
        label,
        bytes: target,
    } = common::load_input();
    let tbtf = Btf::parse(&target).unwrap();
    let case = build_case(&tbtf);
    let n = run(&case, &target);
    eprintln!(
        "core_reloc: {} relocations over {} roots against {label}: {n} planned",
        case.records.len(),
        case.records.len() / PER_ROOT
    );
    let mut g = c.benchmark_group("core_reloc");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("parse+index+resolve+patch 10k", |b| {
        b.iter(|| black_box(run(&case, &target)))
    });
    g.bench_function("parse+index", |b| {
        b.iter(|| {
            let t = Btf::parse(&target).unwrap();
            black_box(Target::new("vmlinux", &t).index().len())
        })
    });
    let targets = Targets::new(Target::new("vmlinux", &tbtf));
    let local = Btf::parse(&case.btf).unwrap();
    let view = BtfView::new(&local);
    g.bench_function("resolve 10k (parsed target)", |b| {
        b.iter(|| black_box(resolve(&view, &case.records, &targets, &Options::default()).len()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
