//! Command-line behaviour: exit statuses, errors, pipes, colour.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::*;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn missing_file_is_exit_2() {
    let out = btfkit(["dump", "/nonexistent/btf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("btfkit: error: /nonexistent/btf"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_error_is_exit_2() {
    let out = btfkit(["dump", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_magic_names_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("junk.btf");
    std::fs::write(&f, [0u8; 64]).unwrap();
    let out = btfkit(["dump".as_ref(), f.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    let msg = stderr(&out);
    assert!(
        msg.contains("junk.btf: raw BTF: bad magic 0x0000 at offset 0"),
        "{msg}"
    );
}

#[test]
fn truncated_type_names_id_and_offset() {
    let data = std::fs::read(fixture("raw/kinds.el.btf")).unwrap();
    // Cut the type section short in place: shrink type_len by 5 bytes and
    // move the string section up, so the header stays consistent.
    let mut cut = data.clone();
    let type_len = u32::from_le_bytes(cut[12..16].try_into().unwrap());
    cut[12..16].copy_from_slice(&(type_len - 6).to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cut.btf");
    std::fs::write(&f, &cut).unwrap();
    let out = btfkit(["dump".as_ref(), f.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    let msg = stderr(&out);
    assert!(
        msg.contains("cut.btf: raw BTF: type [") && msg.contains("at offset 0x"),
        "{msg}"
    );
}

#[test]
fn split_without_base_says_so() {
    let out = btfkit(["dump".as_ref(), fixture("raw/split_mod.btf").as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("split BTF without its base?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_kind_filter_lists_kinds() {
    let out = btfkit([
        "dump".as_ref(),
        fixture("raw/kinds.el.btf").as_os_str(),
        "--kind".as_ref(),
        "strukt".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("func_proto"), "{}", stderr(&out));
}

#[test]
fn closed_pipe_exits_quietly() {
    let input = if std::path::Path::new(VMLINUX).exists() {
        std::path::PathBuf::from(VMLINUX)
    } else {
        kernel_61()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .arg("dump")
        .arg(&input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .as_mut()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert!(err.is_empty(), "stderr: {err}");
}

#[test]
fn colour_only_when_asked() {
    let f = fixture("raw/kinds.el.btf");
    let plain = btfkit(["dump".as_ref(), f.as_os_str()]);
    assert!(!plain.stdout.contains(&0x1b), "colour in a pipe");
    let forced = btfkit([
        "--color".as_ref(),
        "always".as_ref(),
        "dump".as_ref(),
        f.as_os_str(),
    ]);
    assert!(
        forced.stdout.contains(&0x1b),
        "no colour with --color=always"
    );
    let never = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(["--color", "never", "dump"])
        .arg(&f)
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(!never.stdout.contains(&0x1b), "--color=never ignored");
    // Stripping the escapes gives back the plain output exactly.
    let stripped = strip_ansi(&forced.stdout);
    assert_same_bytes("colour stripped", &stripped, &plain.stdout);
}

fn strip_ansi(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1b {
            while i < b.len() && b[i] != b'm' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn input_is_never_modified() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("k.o");
    std::fs::copy(fixture("obj/kinds.el.o"), &f).unwrap();
    let before = std::fs::read(&f).unwrap();
    let meta = std::fs::metadata(&f).unwrap().modified().unwrap();
    assert!(btfkit(["dump".as_ref(), f.as_os_str()]).status.success());
    assert_eq!(std::fs::read(&f).unwrap(), before);
    assert_eq!(std::fs::metadata(&f).unwrap().modified().unwrap(), meta);
}

/// Regression: `-o` onto a device or FIFO used to rename a temp file over
/// it, replacing `/dev/null` with a regular file. A FIFO stands in for the
/// device so a regression cannot damage the machine.
#[test]
fn output_to_a_fifo_keeps_the_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        skip("output_to_a_fifo_keeps_the_fifo", "mkfifo is not available");
        return;
    }
    // The read end is opened without blocking before btfkit runs, so a
    // regression (the FIFO renamed away, or btfkit failing before it opens
    // -o) shows as missing bytes instead of a reader waiting forever. The
    // output is far smaller than a pipe's buffer, so btfkit never blocks.
    let mut reader = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
            .unwrap()
    };
    let input = fixture("raw/kinds.el.btf");
    let out = btfkit([
        "dedup".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        fifo.as_os_str(),
    ]);
    let mut got = Vec::new();
    if let Err(e) = reader.read_to_end(&mut got) {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::WouldBlock,
            "reading the FIFO: {e}"
        );
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(
        got.starts_with(&[0x9f, 0xeb]),
        "no BTF came through the FIFO"
    );
}

/// A symlinked output is followed: the file it names is replaced, the link
/// stays.
#[test]
fn output_through_a_symlink_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.btf");
    let link = dir.path().join("link.btf");
    std::fs::write(&real, b"old").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let input = fixture("raw/kinds.el.btf");
    let out = btfkit([
        "dedup".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        link.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read(&real).unwrap().starts_with(&[0x9f, 0xeb]));
}
