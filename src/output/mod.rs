//! Output plumbing shared by the subcommands: buffered stdout, colour.

pub mod style;

use std::io::{self, Write};

/// A large buffered writer on stdout: one `write(2)` per 256 KiB, not per
/// line. It writes to a duplicate of the stdout descriptor, bypassing std's
/// line-buffered `Stdout`, which would rescan every chunk for newlines.
pub fn stdout() -> io::BufWriter<Box<dyn Write>> {
    io::BufWriter::with_capacity(256 * 1024, unbuffered_stdout())
}

#[cfg(unix)]
fn unbuffered_stdout() -> Box<dyn Write> {
    use std::os::fd::AsFd;
    match io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(io::stdout()),
    }
}

#[cfg(not(unix))]
fn unbuffered_stdout() -> Box<dyn Write> {
    Box::new(io::stdout())
}

/// Appends the decimal digits of `v`.
#[inline]
pub fn push_num<T: itoa::Integer>(out: &mut Vec<u8>, v: T) {
    let mut buf = itoa::Buffer::new();
    out.extend_from_slice(buf.format(v).as_bytes());
}

/// Writes `buf` out when it has grown past a threshold, so memory stays
/// bounded while the renderers work on a plain `Vec<u8>`.
#[inline]
pub fn flush_if_full(buf: &mut Vec<u8>, w: &mut impl Write) -> io::Result<()> {
    if buf.len() >= 128 * 1024 {
        w.write_all(buf)?;
        buf.clear();
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename, so a reader never sees a half-written file.
///
/// Only regular files are replaced that way: a device, FIFO or socket
/// (`-o /dev/null`, `-o /dev/stdout`) is written directly, since renaming
/// over it would replace the device node itself. A symlink is followed, so
/// the file it points at is replaced and the link stays.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).with_context(|| format!("{}", path.display()))?
        }
        _ => path.to_path_buf(),
    };
    if let Ok(m) = std::fs::metadata(&target) {
        if !m.is_file() && !m.is_dir() {
            return std::fs::write(&target, bytes).with_context(|| format!("{}", path.display()));
        }
    }
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.btfkit-{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, &target));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("{}", path.display()))
}
