//! Criterion benchmarks of the btf-core work behind `btfkit dump`: parsing a
//! kernel's BTF, building the name/kind index, lookups, walking and decoding
//! every type, and the `from_btf → write` round trip.
//!
//! Input: see benches/common/mod.rs (`BTFKIT_BENCH_BTF`, else
//! `/sys/kernel/btf/vmlinux`, else the 6.1 kernel fixture).
//!
//! `cargo bench --bench btf_core` measures; `cargo bench --bench btf_core --
//! --test` and `cargo test --benches` run each routine once as a smoke test.
//! See benches/README.md for the targets.

mod common;

use std::hint::black_box;
use std::time::Duration;

use btf_core::{Btf, BtfBuilder, BtfIndex, TypeData, TypeId};
use common::load_input;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// How many names / ids the lookup benchmarks resolve per iteration.
const LOOKUPS: usize = 1_000;

/// Every type decoded the way a dump touches it: the kind-specific data, each
/// member/enumerator/parameter/variable, and every name resolved. Returns a
/// checksum so nothing is optimized away.
fn walk_all(btf: &Btf<'_>) -> u64 {
    let name_len = |off| btf.name(off).map_or(0, |n: &[u8]| n.len() as u64);
    let mut acc = 0u64;
    for t in btf.own_types() {
        acc = acc
            .wrapping_add(u64::from(t.id().0))
            .wrapping_add(u64::from(t.size_or_type()))
            .wrapping_add(name_len(t.name_off()));
        match t.data() {
            TypeData::Int(i) => acc = acc.wrapping_add(u64::from(i.bits) + u64::from(i.offset)),
            TypeData::Array(a) => acc = acc.wrapping_add(u64::from(a.nelems)),
            TypeData::Struct(ms) | TypeData::Union(ms) => {
                for m in ms {
                    acc = acc
                        .wrapping_add(name_len(m.name))
                        .wrapping_add(u64::from(m.type_id.0))
                        .wrapping_add(u64::from(m.bit_offset()))
                        .wrapping_add(u64::from(m.bitfield_size()));
                }
            }
            TypeData::Enum(vs) | TypeData::Enum64(vs) => {
                for v in vs {
                    acc = acc.wrapping_add(name_len(v.name)).wrapping_add(v.bits);
                }
            }
            TypeData::FuncProto(ret, ps) => {
                acc = acc.wrapping_add(u64::from(ret.0));
                for p in ps {
                    acc = acc
                        .wrapping_add(name_len(p.name))
                        .wrapping_add(u64::from(p.type_id.0));
                }
            }
            TypeData::Datasec(vs) => {
                for v in vs {
                    // The raw dump prints each variable's kind and name.
                    if let Some(target) = btf.get(v.type_id) {
                        acc = acc.wrapping_add(name_len(target.name_off()));
                    }
                    acc = acc.wrapping_add(u64::from(v.offset) + u64::from(v.size));
                }
            }
            TypeData::Func(r, l) | TypeData::Var(r, l) => {
                acc = acc.wrapping_add(u64::from(r.0) + u64::from(l.to_raw()));
            }
            TypeData::DeclTag(r, idx) => acc = acc.wrapping_add(u64::from(r.0) ^ idx as u64),
            _ => {}
        }
    }
    acc
}

/// `n` items spread evenly over `items` (deterministic, id order).
fn spread<T: Copy>(items: &[T], n: usize) -> Vec<T> {
    if items.is_empty() {
        return Vec::new();
    }
    let n = n.min(items.len());
    (0..n).map(|i| items[i * items.len() / n]).collect()
}

fn benches(c: &mut Criterion) {
    let input = load_input();
    let bytes = input.bytes.as_slice();
    let btf = Btf::parse(bytes).expect("benchmark input must parse");
    let index = BtfIndex::new(&btf);
    eprintln!(
        "btf_core bench input: {} ({} bytes, {} types, {} distinct names)",
        input.label,
        bytes.len(),
        btf.len(),
        index.name_count()
    );

    // --- parse -----------------------------------------------------------
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(50);
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("parse", |b| {
        b.iter(|| Btf::parse(black_box(bytes)).expect("parse"))
    });
    g.bench_function("parse+index", |b| {
        b.iter(|| {
            let btf = Btf::parse(black_box(bytes)).expect("parse");
            let index = BtfIndex::new(&btf);
            black_box(index.name_count());
            black_box(&btf);
        })
    });
    g.finish();

    // --- index -----------------------------------------------------------
    let mut g = c.benchmark_group("index");
    g.sample_size(50);
    g.bench_function("build", |b| b.iter(|| BtfIndex::new(black_box(&btf))));
    g.finish();

    // --- lookups ---------------------------------------------------------
    // Names of every LOOKUPS-th named type in id order, so the set is stable
    // across runs (hash-map order is not).
    let named: Vec<&[u8]> = btf
        .own_types()
        .map(|t| btf.type_name(&t))
        .filter(|n| !n.is_empty())
        .collect();
    let names = spread(&named, LOOKUPS);
    let all_ids: Vec<TypeId> = btf.own_types().map(|t| t.id()).collect();
    let ids = spread(&all_ids, LOOKUPS);
    let mut g = c.benchmark_group("lookup");
    g.throughput(Throughput::Elements(names.len() as u64));
    g.bench_function(BenchmarkId::new("by_name", names.len()), |b| {
        b.iter(|| {
            let mut found = 0usize;
            for n in &names {
                found += index.by_name(black_box(n)).count();
            }
            assert!(found >= names.len());
            found
        })
    });
    g.throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function(BenchmarkId::new("by_id", ids.len()), |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for &id in &ids {
                let t = btf.get(black_box(id)).expect("id in range");
                acc = acc.wrapping_add(u64::from(t.info()));
            }
            acc
        })
    });
    g.finish();

    // --- walk: decode every type and its members, resolve every name ------
    let mut g = c.benchmark_group("walk");
    g.throughput(Throughput::Elements(btf.len() as u64));
    g.sample_size(30);
    g.bench_function("all_types", |b| b.iter(|| walk_all(black_box(&btf))));
    g.finish();

    // --- write: from_btf and write, checked byte-identical once ------------
    let builder = BtfBuilder::from_btf(&btf);
    let written = builder.write(btf.endian()).expect("write");
    assert!(
        written == bytes,
        "round trip changed the bytes ({} in, {} out)",
        bytes.len(),
        written.len()
    );
    let mut g = c.benchmark_group("write");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("from_btf", |b| {
        b.iter(|| BtfBuilder::from_btf(black_box(&btf)))
    });
    g.bench_function("write", |b| {
        b.iter(|| builder.write(black_box(btf.endian())).expect("write"))
    });
    g.bench_function("round_trip", |b| {
        b.iter(|| {
            let btf = Btf::parse(black_box(bytes)).expect("parse");
            BtfBuilder::from_btf(&btf)
                .write(btf.endian())
                .expect("write")
        })
    });
    g.finish();
}

criterion_group!(btf_core_benches, benches);
criterion_main!(btf_core_benches);
