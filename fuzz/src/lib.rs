//! The bodies of btfkit's fuzz targets, shared with btf-core's stable tests
//! (crates/btf-core/tests/ include this file by path), so that a corpus or
//! crasher replayed on stable runs exactly what the fuzzer ran.
//!
//! Only `btf_core` and `std` may be used here.

#![allow(dead_code)]

use btf_core::dedup::{DedupOptions, DedupStream, Deduped};
use btf_core::elf::ElfBtf;
use btf_core::write::{OwnedType, PackedBtf};
use btf_core::{Btf, BtfBuilder, BtfExt, BtfIndex, Endian};

/// Touches everything a parsed BTF exposes: every type's data, names,
/// references, the index, and the chain walkers.
pub fn walk(btf: &Btf<'_>) {
    let mut n = 0usize;
    for t in btf.types() {
        n += btf.type_name(&t).len();
        let _ = t.data();
        for m in t.members() {
            n += btf.name(m.name).map_or(0, |s| s.len());
            let _ = (m.bit_offset(), m.bitfield_size());
        }
        for v in t.enum_values() {
            n += btf.name(v.name).map_or(0, |s| s.len());
            let _ = v.value();
        }
        for p in t.params() {
            n += btf.name(p.name).map_or(0, |s| s.len());
        }
        for v in t.datasec_vars() {
            let _ = btf.get(v.type_id);
        }
        for (r, _) in t.references() {
            let _ = btf.get(r);
        }
        let _ = btf.skip_modifiers(t.id());
        let _ = btf.resolve_size(t.id());
    }
    let idx = BtfIndex::new(btf);
    for name in idx.names().take(64) {
        n += idx.by_name(name).count();
    }
    std::hint::black_box(n);
}

/// parse → walk → builder round trip: writing must succeed, the result must
/// parse, hold the same types, and be a fixed point of another round trip.
pub fn roundtrip_checked(btf: &Btf<'_>, base: Option<&Btf<'_>>) {
    walk(btf);
    let b = BtfBuilder::from_btf(btf);
    for endian in [btf.endian(), other(btf.endian())] {
        let out = b.write(endian).expect("writing a parsed BTF must not fail");
        let again = match base {
            Some(base) if base.endian() == endian => Btf::parse_split(&out, base),
            Some(_) => continue,
            None => Btf::parse(&out),
        }
        .expect("re-parsing written BTF must succeed");
        assert_eq!(again.len(), btf.len());
        for (x, y) in btf.own_types().zip(again.own_types()) {
            assert_eq!(
                OwnedType::from_type(&x),
                OwnedType::from_type(&y),
                "type [{}] changed in the round trip",
                x.id()
            );
        }
        let out2 = BtfBuilder::from_btf(&again).write(endian).unwrap();
        assert_eq!(out, out2, "the round trip is not a fixed point");
    }
}

/// The other byte order.
pub fn other(e: Endian) -> Endian {
    match e {
        Endian::Little => Endian::Big,
        Endian::Big => Endian::Little,
    }
}

/// The `parse_btf` fuzz target's body.
pub fn parse_btf(data: &[u8]) {
    if let Ok(btf) = Btf::parse(data) {
        roundtrip_checked(&btf, None);
    }
}

/// The `parse_btf_ext` fuzz target's body.
pub fn parse_btf_ext(data: &[u8]) {
    if let Ok(ext) = BtfExt::parse(data) {
        walk_ext(&ext);
    }
}

/// Decodes every record of a .BTF.ext.
pub fn walk_ext(ext: &BtfExt<'_>) {
    let mut n = 0u64;
    for b in ext.func_info().blocks() {
        n += b.iter().map(|r| u64::from(r.type_id.0)).sum::<u64>();
        let _ = b.record_offset(b.len().saturating_sub(1));
    }
    for b in ext.line_info().blocks() {
        n += b.iter().map(|r| u64::from(r.line_number())).sum::<u64>();
    }
    for b in ext.core_relo().blocks() {
        n += b.iter().map(|r| u64::from(r.kind.to_raw())).sum::<u64>();
    }
    n += (ext.func_info().len() + ext.line_info().len() + ext.core_relo().len()) as u64;
    std::hint::black_box(n);
}

/// The `parse_elf` fuzz target's body.
pub fn parse_elf(data: &[u8]) {
    let Ok(elf) = ElfBtf::parse(data) else {
        return;
    };
    if let Some(b) = &elf.btf {
        parse_btf(b);
    }
    if let Some(e) = &elf.btf_ext {
        parse_btf_ext(e);
    }
    // Resolve .BTF.ext names and type ids against .BTF, as a dumper would.
    if let (Some(b), Some(e)) = (&elf.btf, &elf.btf_ext) {
        if let (Ok(btf), Ok(ext)) = (Btf::parse(b), BtfExt::parse(e)) {
            let mut n = 0usize;
            for blk in ext.func_info().blocks() {
                n += btf.name(blk.sec_name).map_or(0, |s| s.len());
                n += blk.iter().filter(|r| btf.get(r.type_id).is_some()).count();
            }
            for blk in ext.line_info().blocks() {
                for r in blk.iter() {
                    n += btf.name(r.file_name).map_or(0, |s| s.len());
                    n += btf.name(r.line).map_or(0, |s| s.len());
                }
            }
            for blk in ext.core_relo().blocks() {
                for r in blk.iter() {
                    n += btf.name(r.access_str).map_or(0, |s| s.len());
                    let _ = btf.skip_modifiers(r.type_id);
                }
            }
            std::hint::black_box(n);
        }
    }
}

/// The `parse_split` fuzz target's body: the first two bytes (little-endian)
/// say where the rest is cut into base and split.
pub fn parse_split(data: &[u8]) {
    let Some((cut, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let at = usize::from(u16::from_le_bytes(*cut)).min(rest.len());
    let (base, split) = rest.split_at(at);
    let Ok(base) = Btf::parse(base) else {
        return;
    };
    if let Ok(split) = Btf::parse_split(split, &base) {
        roundtrip_checked(&split, Some(&base));
    }
}

/// Builds a `parse_split` input from a base and a split blob.
pub fn split_input(base: &[u8], split: &[u8]) -> Option<Vec<u8>> {
    let cut = u16::try_from(base.len()).ok()?;
    let mut v = cut.to_le_bytes().to_vec();
    v.extend_from_slice(base);
    v.extend_from_slice(split);
    Some(v)
}

/// Deduplicates a BTF (the input after its first byte): an error or output
/// that parses, never a panic. Then the same types fed to a [`DedupStream`]
/// in batches of 1 to 16 types (the first byte says how many) must give the
/// same bytes, and a stream may not accept what whole-input dedup rejects.
/// (A stream rejects a batch that refers to a later one, which dedup of
/// the whole input accepts: such inputs are not compared.)
pub fn dedup(data: &[u8]) {
    let Some((&every, rest)) = data.split_first() else {
        return;
    };
    let Ok(btf) = Btf::parse(rest) else {
        return;
    };
    // Re-interned names: one offset per distinct string, as a stream needs.
    let mut input = BtfBuilder::new();
    if input.append_btf(&btf).is_err() {
        return;
    }
    let opts = DedupOptions {
        jobs: 1,
        ..DedupOptions::default()
    };
    let whole = btf_core::dedup::dedup(input.clone(), None, &opts);
    if let Ok(d) = &whole {
        let bytes = d
            .builder
            .write(Endian::Little)
            .expect("dedup output encodes");
        Btf::parse(&bytes).expect("dedup output parses");
    }
    let Some(streamed) = streamed(&input, usize::from(every % 16) + 1, &opts) else {
        return;
    };
    match (whole, streamed) {
        (Ok(a), Ok(b)) => assert!(
            deduped_bytes(&a) == deduped_bytes(&b),
            "streamed dedup differs from whole-input dedup"
        ),
        (Err(e), Ok(_)) => panic!("a stream accepted what dedup rejects: {e}"),
        _ => {}
    }
}

/// `input` through a [`DedupStream`], `every` types per batch; `None` if a
/// batch was refused.
fn streamed(
    input: &BtfBuilder,
    every: usize,
    opts: &DedupOptions,
) -> Option<btf_core::Result<Deduped>> {
    let mut stream = DedupStream::new(None, opts).ok()?;
    let mut packed = PackedBtf::with_strings(input.strings().clone(), input.first_id().0);
    for batch in input.types().chunks(every) {
        for t in batch {
            packed.add(t).ok()?;
        }
        stream.feed_packed(&mut packed).ok()?;
    }
    Some(stream.finish(packed))
}

fn deduped_bytes(d: &Deduped) -> Vec<u8> {
    d.builder
        .write(Endian::Little)
        .expect("dedup output encodes")
}
