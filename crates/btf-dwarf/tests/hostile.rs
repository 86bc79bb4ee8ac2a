//! Hostile DWARF gives errors, not panics: the fuzz corpus replayed, and
//! every fixture truncated and bit-flipped, through the fuzz target's body.

mod fuzz_body;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn corpus_replays_without_panics() {
    let corpus = files(&root().join("fuzz/corpus/dwarf2btf"));
    assert!(!corpus.is_empty(), "fuzz/corpus/dwarf2btf is empty");
    for f in corpus
        .iter()
        .chain(&files(&root().join("fixtures/crashers")))
    {
        let name = f.file_name().unwrap().to_string_lossy();
        if f.is_file() && !name.ends_with(".md") {
            fuzz_body::dwarf2btf(&std::fs::read(f).unwrap());
        }
    }
}

/// Cutting an object anywhere (sections then point past the end) must be
/// an error or a smaller result.
#[test]
fn truncated_objects() {
    for name in ["bitfields.clang.o", "rust_enums.x86_64.o", "lto.x86_64"] {
        let data = std::fs::read(root().join("fixtures/dwarf/obj").join(name)).unwrap();
        for len in (0..data.len()).step_by(97) {
            fuzz_body::dwarf2btf(&data[..len]);
        }
    }
}

/// Flipping bytes inside `.debug_info` and `.debug_abbrev` of a linked
/// program exercises every decoder path with nonsense values.
#[test]
fn corrupted_sections() {
    let data = std::fs::read(root().join("fixtures/dwarf/obj/lto.x86_64")).unwrap();
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..3000 {
        let mut copy = data.clone();
        for _ in 0..4 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let at = (rng as usize) % copy.len();
            copy[at] ^= (rng >> 32) as u8 | 1;
        }
        fuzz_body::dwarf2btf(&copy);
    }
}

/// Raw sections: every cut of `.debug_info`, garbage abbreviations.
#[test]
fn raw_sections() {
    let seed =
        std::fs::read(root().join("fuzz/corpus/dwarf2btf/bitfields.gcc-dwarf4.raw")).unwrap();
    for len in (0..seed.len()).step_by(13) {
        fuzz_body::dwarf2btf(&seed[..len]);
    }
    fuzz_body::dwarf2btf(&fuzz_body::raw_input(
        &[1, 0x13, 1, 0, 0],
        b"x\0",
        &[0xff; 64],
    ));
    // A unit header claiming to be huge.
    let mut info = vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
    info.extend_from_slice(&[0; 32]);
    fuzz_body::dwarf2btf(&fuzz_body::raw_input(&[], &[], &info));
}

/// A caught decoder panic must fail the fuzz body, or fuzzing and these
/// tests would take it for an ordinary error and never report it.
#[test]
#[should_panic(expected = "bug in btfkit")]
fn internal_errors_fail_the_fuzz_body() {
    fuzz_body::judge(Err(btf_dwarf::Error::Internal {
        offset: 0,
        what: "index out of bounds".into(),
    }));
}
