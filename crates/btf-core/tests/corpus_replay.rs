//! Replays the fuzz corpora (fuzz/corpus/<target>/*) and the saved crashers
//! (fixtures/crashers/*) through the fuzz targets' own code, on stable: no
//! nightly, no libFuzzer. Every file goes through every entry point, and the
//! parsers' largest allocation must stay proportional to the file's size.

mod common;
#[path = "../../../fuzz/src/lib.rs"]
mod entry;

use std::path::{Path, PathBuf};

use common::{alloc_budget, files_in, largest_alloc, repo_root};

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 5] = [
    ("parse_btf", entry::parse_btf),
    ("parse_btf_ext", entry::parse_btf_ext),
    ("parse_elf", entry::parse_elf),
    ("parse_split", entry::parse_split),
    ("dedup", entry::dedup),
];

fn replay(path: &Path) {
    let data = std::fs::read(path).unwrap();
    for (name, target) in TARGETS {
        let result = std::panic::catch_unwind(|| largest_alloc(|| target(&data)).1);
        match result {
            Ok(largest) => {
                // The round trip in parse_btf copies the input a few times;
                // nothing may be sized by a count read from it.
                let budget = alloc_budget(data.len()).max(1 << 20);
                assert!(
                    largest <= budget,
                    "{}: target {name} made a {largest}-byte allocation for {} bytes",
                    path.display(),
                    data.len()
                );
            }
            Err(_) => panic!("{}: target {name} panicked", path.display()),
        }
    }
}

fn corpus_files() -> Vec<PathBuf> {
    let root = repo_root().join("fuzz/corpus");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs.iter().flat_map(|d| files_in(d)).collect()
}

#[test]
fn fuzz_corpus_replays_cleanly() {
    let files = corpus_files();
    assert!(
        !files.is_empty(),
        "fuzz/corpus/*/ is empty: regenerate it with fuzz/make_corpus.py"
    );
    for (name, _) in TARGETS {
        assert!(
            !files_in(&repo_root().join("fuzz/corpus").join(name)).is_empty(),
            "fuzz/corpus/{name}/ has no seeds"
        );
    }
    for f in &files {
        replay(f);
    }
    eprintln!("replayed {} corpus files", files.len());
}

#[test]
fn crashers_replay_cleanly() {
    let files = files_in(&repo_root().join("fixtures/crashers"));
    for f in &files {
        replay(f);
    }
    eprintln!("replayed {} crashers", files.len());
}
