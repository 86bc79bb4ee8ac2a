//! Helpers shared by the integration tests: running the binary, finding
//! fixtures, and the oracle policy (skip loudly, or fail under
//! `BTFKIT_REQUIRE_ORACLES=1`, which CI sets).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The variable under which a missing oracle tool is a failure.
pub const REQUIRE_ORACLES_ENV: &str = "BTFKIT_REQUIRE_ORACLES";

/// The kernel's BTF.
pub const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under fixtures/.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// Every compiled BPF object under fixtures/obj that carries .BTF.
pub fn bpf_objects() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixture("obj"))
        .expect("fixtures/obj")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.ends_with(".el.o") || name.ends_with(".eb.o")
        })
        .collect();
    v.sort();
    assert!(
        v.len() >= 10,
        "expected the BPF fixture objects, found {v:?}"
    );
    v
}

/// Every raw BTF file under fixtures/raw that stands alone (no base needed).
pub fn raw_btfs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixture("raw"))
        .expect("fixtures/raw")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "btf"))
        .filter(|p| !p.ends_with("split_mod.btf"))
        .collect();
    v.sort();
    v
}

/// The 6.1 kernel BTF, decompressed once into cargo's per-target temp dir
/// (shared by every test binary, written through a rename so concurrent
/// tests never see half a file).
pub fn kernel_61() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let out = dir.join("linux-6.1.0-56-cloud.btf");
        if out.exists() {
            return out;
        }
        let gz = fixture("kernel/linux-6.1.0-56-cloud.btf.gz");
        let data = Command::new("gzip")
            .arg("-dc")
            .arg(&gz)
            .output()
            .expect("gzip runs");
        assert!(data.status.success(), "gzip -dc {}", gz.display());
        let tmp = dir.join(format!("linux-6.1.0-56-cloud.btf.{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(&tmp, &data.stdout).expect("write decompressed BTF");
        std::fs::rename(&tmp, &out).expect("rename decompressed BTF");
        out
    })
    .clone()
}

/// Says a test was skipped, past libtest's output capture, or panics when
/// oracles are required.
pub fn skip(test: &str, why: &str) {
    if std::env::var(REQUIRE_ORACLES_ENV).is_ok_and(|v| v == "1") {
        panic!("{test}: {why}, and {REQUIRE_ORACLES_ENV}=1 forbids skipping");
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIP: {test}: {why} (set {REQUIRE_ORACLES_ENV}=1 to make this a failure)"
    );
}

/// Whether `tool` runs (`tool --version` or `tool version` succeeds); skips
/// loudly (or fails) when not.
pub fn require_tool(test: &str, tool: &str) -> bool {
    let ok = ["--version", "version"].iter().any(|arg| {
        Command::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !ok {
        skip(test, &format!("{tool} is not installed"));
    }
    ok
}

/// Whether `path` exists; skips loudly (or fails) when not.
pub fn require_file(test: &str, path: &Path) -> bool {
    let ok = path.exists();
    if !ok {
        skip(test, &format!("{} does not exist", path.display()));
    }
    ok
}

/// Runs btfkit with `args`, colour off by default.
pub fn btfkit<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(args)
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("btfkit runs")
}

/// Runs a command and returns its stdout, panicking with its stderr if it fails.
pub fn run_ok(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Asserts two outputs are byte-identical, showing the first differing line.
pub fn assert_same_bytes(what: &str, ours: &[u8], theirs: &[u8]) {
    if ours == theirs {
        return;
    }
    let a: Vec<&[u8]> = ours.split(|&b| b == b'\n').collect();
    let b: Vec<&[u8]> = theirs.split(|&b| b == b'\n').collect();
    let i = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    panic!(
        "{what}: outputs differ at line {} ({} vs {} lines)\n  btfkit: {}\n  oracle: {}",
        i + 1,
        a.len(),
        b.len(),
        a.get(i)
            .map(|l| String::from_utf8_lossy(l))
            .unwrap_or_default(),
        b.get(i)
            .map(|l| String::from_utf8_lossy(l))
            .unwrap_or_default(),
    );
}
