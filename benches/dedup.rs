//! Criterion benchmarks of `btf_core::dedup` on a whole kernel's BTF: the
//! already deduplicated BTF (nothing to merge: the cost of checking), the
//! same BTF twice (every type of the second copy merges into the first), and
//! the CLI's merge step (`append_btf`) on its own.
//!
//! Input, first found (benches/common/mod.rs): `BTFKIT_BENCH_BTF` (raw BTF;
//! `.gz` is decompressed with `gzip -dc`), `/sys/kernel/btf/vmlinux`, the
//! 6.1 fixture.
//!
//! `cargo bench --bench dedup` measures; `cargo bench --bench dedup --
//! --test` runs each routine once.

mod common;

use std::hint::black_box;
use std::time::Duration;

use btf_core::dedup::{dedup, DedupOptions};
use btf_core::{Btf, BtfBuilder};
use common::{load_input, Input};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

fn benches(c: &mut Criterion) {
    let Input { label, bytes } = load_input();
    let btf = Btf::parse(&bytes).expect("benchmark input must parse");
    eprintln!("dedup bench input: {label} ({} types)", btf.len());
    let opts = DedupOptions::default();

    let once = BtfBuilder::from_btf(&btf);
    let mut twice = BtfBuilder::new();
    twice.append_btf(&btf).expect("append");
    twice.append_btf(&btf).expect("append");

    let mut g = c.benchmark_group("dedup");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(once.len() as u64));
    // dedup consumes its builder: the clone is set-up, outside the timing.
    g.bench_function("kernel", |b| {
        b.iter_batched(
            || once.clone(),
            |c| dedup(black_box(c), None, &opts).expect("dedup"),
            BatchSize::LargeInput,
        )
    });
    g.throughput(Throughput::Elements(twice.len() as u64));
    g.bench_function("kernel_twice", |b| {
        b.iter_batched(
            || twice.clone(),
            |c| dedup(black_box(c), None, &opts).expect("dedup"),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("append_twice", |b| {
        b.iter(|| {
            let mut m = BtfBuilder::new();
            m.append_btf(black_box(&btf)).expect("append");
            m.append_btf(black_box(&btf)).expect("append");
            m
        })
    });
    g.finish();
}

criterion_group!(dedup_benches, benches);
criterion_main!(dedup_benches);
