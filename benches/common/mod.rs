//! The kernel BTF every benchmark reads, shared by benches/btf_core.rs,
//! benches/dedup.rs and benches/core_reloc.rs (each declares `mod common;`).
//!
//! Input, first found:
//! 1. the file named by `BTFKIT_BENCH_BTF` (raw BTF, not ELF; `.gz` is
//!    decompressed with `gzip -dc`);
//! 2. `/sys/kernel/btf/vmlinux`, if it reads and is not empty;
//! 3. `fixtures/kernel/linux-6.1.0-56-cloud.btf.gz`, decompressed in memory
//!    with `gzip -dc`.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const SYSFS_VMLINUX: &str = "/sys/kernel/btf/vmlinux";
pub const FIXTURE: &str = "fixtures/kernel/linux-6.1.0-56-cloud.btf.gz";

/// The benchmark input: its bytes and where they came from.
pub struct Input {
    pub label: String,
    pub bytes: Vec<u8>,
}

/// Reads the input, first found of the list above.
pub fn load_input() -> Input {
    if let Some(p) = std::env::var_os("BTFKIT_BENCH_BTF") {
        let p = PathBuf::from(p);
        let bytes = if p.extension().is_some_and(|e| e == "gz") {
            gunzip(&p)
        } else {
            std::fs::read(&p).unwrap_or_else(|e| panic!("BTFKIT_BENCH_BTF={}: {e}", p.display()))
        };
        return Input {
            label: p.display().to_string(),
            bytes,
        };
    }
    // sysfs files report size 4096 in stat; fs::read copes (reads to EOF).
    if let Ok(bytes) = std::fs::read(SYSFS_VMLINUX) {
        if !bytes.is_empty() {
            return Input {
                label: SYSFS_VMLINUX.to_string(),
                bytes,
            };
        }
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    Input {
        label: format!("{} (no {SYSFS_VMLINUX})", fixture.display()),
        bytes: gunzip(&fixture),
    }
}

/// Decompresses a .gz file into memory with `gzip -dc`.
pub fn gunzip(path: &Path) -> Vec<u8> {
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("running gzip -dc {}: {e}", path.display()));
    assert!(
        out.status.success(),
        "gzip -dc {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
