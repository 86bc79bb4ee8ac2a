//! Times parsing and indexing a BTF file: `cargo run --release --example parse_time -- FILE`.
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("/sys/kernel/btf/vmlinux".into());
    let data = std::fs::read(&path).expect("read input");
    let mut parsed = std::time::Duration::MAX;
    let mut indexed = std::time::Duration::MAX;
    for _ in 0..20 {
        let t = Instant::now();
        let btf = btf_core::Btf::parse(&data).expect("parse");
        parsed = parsed.min(t.elapsed());
        let idx = btf_core::BtfIndex::new(&btf);
        indexed = indexed.min(t.elapsed());
        std::hint::black_box(idx);
    }
    let btf = btf_core::Btf::parse(&data).expect("parse");
    let idx = btf_core::BtfIndex::new(&btf);
    println!(
        "{} types, parse {:?}, parse+index {:?}, {} names",
        btf.len(),
        parsed,
        indexed,
        idx.name_count()
    );
    let out = btf_core::BtfBuilder::from_btf(&btf)
        .write(btf.endian())
        .expect("write");
    println!("round trip identical: {}", out == data);
}
