//! Criterion benchmarks of `btf_core::dedup` on a whole kernel's BTF: the
//! already deduplicated BTF (nothing to merge: the cost of checking), the
//! same BTF twice (every type of the second copy merges into the first), and
//! the CLI's merge step (`append_btf`) on its own.
//!
//! Input, first found: `BTFKIT_BENCH_BTF` (raw BTF; `.gz` is decompressed
//! with `gzip -dc`), `/sys/kernel/btf/vmlinux`, the 6.1 fixture.
//!
//! `cargo bench --bench dedup` measures; `cargo bench --bench dedup --
//! --test` runs each routine once.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use btf_core::dedup::{dedup, DedupOptions};
use btf_core::{Btf, BtfBuilder};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const SYSFS_VMLINUX: &str = "/sys/kernel/btf/vmlinux";
const FIXTURE: &str = "fixtures/kernel/linux-6.1.0-56-cloud.btf.gz";

fn load_input() -> (String, Vec<u8>) {
    if let Some(p) = std::env::var_os("BTFKIT_BENCH_BTF") {
        let p = PathBuf::from(p);
        let bytes = if p.extension().is_some_and(|e| e == "gz") {
            gunzip(&p)
        } else {
            std::fs::read(&p).unwrap_or_else(|e| panic!("BTFKIT_BENCH_BTF={}: {e}", p.display()))
        };
        return (p.display().to_string(), bytes);
    }
    if let Ok(bytes) = std::fs::read(SYSFS_VMLINUX) {
        if !bytes.is_empty() {
            return (SYSFS_VMLINUX.to_string(), bytes);
        }
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    (fixture.display().to_string(), gunzip(&fixture))
}

fn gunzip(path: &Path) -> Vec<u8> {
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("running gzip -dc {}: {e}", path.display()));
    assert!(out.status.success(), "gzip -dc {} failed", path.display());
    out.stdout
}

fn benches(c: &mut Criterion) {
    let (label, bytes) = load_input();
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
