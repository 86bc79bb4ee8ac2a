//! man/ and the shell completions are generated from the CLI definition; this
//! test fails when they are stale. Regenerate with `BTFKIT_BLESS=1 cargo test
//! --test man_pages`.

mod common;

use std::path::Path;

use common::*;

fn check_dir(generated: &Path, committed: &Path) {
    let bless = std::env::var_os("BTFKIT_BLESS").is_some();
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(generated).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap();
        let want = std::fs::read(&p).unwrap();
        let have = std::fs::read(committed.join(name)).unwrap_or_default();
        if want != have {
            if bless {
                std::fs::create_dir_all(committed).unwrap();
                std::fs::write(committed.join(name), &want).unwrap();
            } else {
                stale.push(name.to_string_lossy().into_owned());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files in {}: {stale:?}; run `BTFKIT_BLESS=1 cargo test --test man_pages`",
        committed.display()
    );
}

#[test]
fn man_pages_are_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let out = btfkit(["man".as_ref(), dir.path().as_os_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_dir(dir.path(), &root().join("man"));
}

#[test]
fn completions_are_fresh() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, file) in [
        ("bash", "btfkit.bash"),
        ("zsh", "_btfkit"),
        ("fish", "btfkit.fish"),
    ] {
        let out = btfkit(["completions", shell]);
        assert!(out.status.success());
        std::fs::write(dir.path().join(file), &out.stdout).unwrap();
    }
    check_dir(dir.path(), &root().join("man/completions"));
}
