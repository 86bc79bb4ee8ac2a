//! `BPF_BTF_LOAD`: handing a BTF blob to the kernel's verifier.

use std::fmt;

use crate::{sys_bpf, Attr, BtfFd, BtfLoadAttr, Cmd, Errno};

/// Log buffer size of the first attempt that asks for a log (64 KiB).
pub const DEFAULT_INITIAL_LOG_SIZE: usize = 64 * 1024;

/// Largest log buffer [`load_btf`] grows to (16 MiB): room for the level-1
/// log of a whole `vmlinux` BTF (about 10 MB on Linux 6.18, x86-64).
pub const DEFAULT_MAX_LOG_SIZE: usize = 16 * 1024 * 1024;

/// Smallest log buffer the kernel accepts; smaller sizes are rounded up.
pub const MIN_LOG_SIZE: usize = 128;

/// How [`load_btf_with`] runs the load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Verifier log level: 0 to load without a log (a log is still fetched
    /// if the load fails), 1 for the usual log, 2 for the verbose one. The
    /// kernel rejects bits outside `0xf` with `EINVAL`.
    pub log_level: u32,
    /// Log buffer size for the first attempt with a log.
    pub initial_log_size: usize,
    /// The log buffer is grown (at least doubling) while the kernel reports
    /// it too small, up to this size.
    pub max_log_size: usize,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            log_level: 0,
            initial_log_size: DEFAULT_INITIAL_LOG_SIZE,
            max_log_size: DEFAULT_MAX_LOG_SIZE,
        }
    }
}

/// A BTF object the kernel accepted, with its verifier log.
#[derive(Debug)]
pub struct LoadedBtf {
    /// The new kernel object.
    pub fd: BtfFd,
    /// The verifier log, trimmed; empty if none was requested.
    pub log: String,
}

/// Why `BPF_BTF_LOAD` failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The kernel refused the blob.
    #[error("BPF_BTF_LOAD failed: {errno}{}", Verdict(.log, *.log_truncated))]
    Kernel {
        /// The kernel's errno: usually `EINVAL` for malformed BTF, `EPERM`
        /// without `CAP_BPF`, `ENOSPC` if even the largest log buffer was too
        /// small.
        errno: Errno,
        /// The verifier log, trimmed; its last lines say what was wrong.
        /// Empty if the failure happened before the verifier ran (e.g.
        /// `EPERM`).
        log: String,
        /// Whether `log` was cut short because it outgrew
        /// [`LoadOptions::max_log_size`]. Unless `BPF_LOG_FIXED` (8) is in
        /// the log level, the kernel keeps the *end* of an overflowing log,
        /// so the verdict is still there.
        log_truncated: bool,
    },
    /// The blob is larger than the kernel's 32-bit size field can describe.
    #[error("BPF_BTF_LOAD failed: BTF blob of {len} bytes is too large")]
    TooLarge {
        /// The blob's length in bytes.
        len: usize,
    },
    /// Not running on Linux.
    #[error("BPF_BTF_LOAD failed: bpf(2) is only available on Linux")]
    Unsupported,
}

impl LoadError {
    /// The kernel's errno, if the kernel was asked.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            LoadError::Kernel { errno, .. } => Some(*errno),
            LoadError::TooLarge { .. } | LoadError::Unsupported => None,
        }
    }

    /// The verifier log (trimmed), or `""`.
    pub fn log(&self) -> &str {
        match self {
            LoadError::Kernel { log, .. } => log,
            LoadError::TooLarge { .. } | LoadError::Unsupported => "",
        }
    }
}

/// Formats the tail of a verifier log for [`LoadError`]'s message.
struct Verdict<'a>(&'a str, bool);

impl fmt::Display for Verdict<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Verdict(log, truncated) = *self;
        let summary = verdict(log);
        if !summary.is_empty() {
            write!(f, ": {summary}")?;
        }
        if truncated {
            f.write_str(" (verifier log truncated)")?;
        }
        Ok(())
    }
}

/// The part of a verifier log that says what went wrong.
///
/// At log level 1 the kernel echoes the header and every type it checked
/// before the bad one, so the full log of a large blob runs to megabytes.
/// The complaint is on the last line. A member's complaint is an indented
/// line under its struct's `[id] STRUCT name …` line, possibly after other
/// members, so for those the owning type's line is prepended.
fn verdict(log: &str) -> String {
    let indented = |line: &&str| line.starts_with(char::is_whitespace);
    let mut lines = log
        .lines()
        .rev()
        .map(str::trim_end)
        .filter(|l| !l.is_empty());
    let Some(last) = lines.next() else {
        return String::new();
    };
    if indented(&last) {
        if let Some(owner) = lines.find(|l| !indented(l)) {
            return format!("{} {}", owner.trim(), last.trim());
        }
    }
    last.trim().to_owned()
}

/// Loads `data` as BTF into the kernel and returns the new object.
///
/// With `log_level` 0 the first attempt runs without a verifier log, as that
/// is cheapest; if it fails, the load is repeated with a log so that the
/// error can say why. See [`load_btf_with`] for the log buffer policy.
///
/// # Errors
///
/// [`LoadError::Kernel`] with the errno and the verifier's log, e.g.
/// `BPF_BTF_LOAD failed: Invalid argument (EINVAL): [2] PTR p type_id=1 Invalid name`.
pub fn load_btf(data: &[u8], log_level: u32) -> Result<BtfFd, LoadError> {
    let options = LoadOptions {
        log_level,
        ..LoadOptions::default()
    };
    load_btf_with(data, &options).map(|loaded| loaded.fd)
}

/// Loads `data` as BTF into the kernel, returning the object and its log.
///
/// A log buffer starts at [`LoadOptions::initial_log_size`]; while the kernel
/// answers `ENOSPC` (log too small) it is grown to the size the kernel says
/// it needs (Linux 6.4+) or at least doubled, up to
/// [`LoadOptions::max_log_size`].
///
/// # Errors
///
/// As for [`load_btf`].
pub fn load_btf_with(data: &[u8], options: &LoadOptions) -> Result<LoadedBtf, LoadError> {
    let len = data.len();
    let btf_size = u32::try_from(len).map_err(|_| LoadError::TooLarge { len })?;

    if options.log_level == 0 {
        match attempt(data, btf_size, &mut [], 0) {
            Ok(fd) => {
                return Ok(LoadedBtf {
                    fd,
                    log: String::new(),
                })
            }
            // No log can explain these; don't ask the kernel again.
            Err(Failure::Unsupported) => return Err(LoadError::Unsupported),
            Err(Failure::Errno { errno, .. }) if !log_may_explain(errno) => {
                return Err(LoadError::Kernel {
                    errno,
                    log: String::new(),
                    log_truncated: false,
                })
            }
            Err(Failure::Errno { .. }) => {}
        }
    }

    let log_level = options.log_level.max(1);
    // The kernel takes a u32 log size and rejects anything above 1 GiB, far
    // above any sensible maximum; clamp so the arithmetic below cannot
    // overflow the u32 either.
    let max = options
        .max_log_size
        .clamp(MIN_LOG_SIZE, u32::MAX as usize >> 2);
    let mut size = options.initial_log_size.clamp(MIN_LOG_SIZE, max);
    loop {
        let mut log = vec![0u8; size];
        match attempt(data, btf_size, &mut log, log_level) {
            Ok(fd) => {
                return Ok(LoadedBtf {
                    fd,
                    log: log_text(&log),
                })
            }
            Err(Failure::Unsupported) => return Err(LoadError::Unsupported),
            Err(Failure::Errno {
                errno: Errno::ENOSPC,
                log_true_size,
            }) if size < max => {
                // `log_true_size` is 0 before Linux 6.4; doubling still gets
                // there in a handful of rounds.
                size = (size * 2).max(log_true_size as usize).min(max);
            }
            Err(Failure::Errno { errno, .. }) => {
                return Err(LoadError::Kernel {
                    errno,
                    log: log_text(&log),
                    // ENOSPC with a log means "log overflowed", and the
                    // kernel reports it in place of the real verdict.
                    log_truncated: errno == Errno::ENOSPC,
                });
            }
        }
    }
}

/// Whether repeating a failed load with a verifier log could say more.
fn log_may_explain(errno: Errno) -> bool {
    // Permission and "no bpf(2)" failures happen before the verifier runs.
    !matches!(errno, Errno::EPERM | Errno::EACCES | Errno::ENOSYS)
}

/// How one `BPF_BTF_LOAD` call failed.
enum Failure {
    /// The kernel said no.
    Errno {
        errno: Errno,
        /// The log size the kernel would have needed (0 if unknown).
        log_true_size: u32,
    },
    /// There is no kernel to ask.
    Unsupported,
}

/// One `BPF_BTF_LOAD` call; `log` empty means no log.
fn attempt(data: &[u8], btf_size: u32, log: &mut [u8], log_level: u32) -> Result<BtfFd, Failure> {
    let (log_buf, log_size, log_level) = if log.is_empty() {
        (0, 0, 0)
    } else {
        // Callers keep `log.len()` at most 1 GiB.
        (log.as_mut_ptr() as u64, log.len() as u32, log_level)
    };
    let mut attr = Attr::new(BtfLoadAttr {
        btf: data.as_ptr() as u64,
        btf_size,
        btf_log_buf: log_buf,
        btf_log_size: log_size,
        btf_log_level: log_level,
        ..BtfLoadAttr::default()
    });
    // SAFETY: `data` is readable for `btf_size` bytes and `log` writable for
    // `log_size` bytes, both borrowed for the whole call.
    let result = unsafe { sys_bpf(Cmd::BtfLoad, &mut attr, Attr::SIZE) };
    match result {
        // SAFETY: BPF_BTF_LOAD returns a new BTF object descriptor.
        Ok(ret) => unsafe { BtfFd::from_syscall(ret) }.map_err(|_| Failure::Errno {
            errno: Errno::EBADF,
            log_true_size: 0,
        }),
        Err(err) => match Errno::from_io(&err) {
            Some(errno) => Err(Failure::Errno {
                errno,
                log_true_size: attr.read::<BtfLoadAttr>().btf_log_true_size,
            }),
            None => Err(Failure::Unsupported),
        },
    }
}

/// The kernel's NUL-terminated log as trimmed text.
fn log_text(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    use super::*;
    use crate::testblob::BtfBuilder;
    use crate::{btf_data, require_bpf_or_skip};

    /// `int` and a pointer to it that wrongly has a name.
    fn named_pointer() -> Vec<u8> {
        BtfBuilder::new().int("int", 4, true).ptr("p", 1).build()
    }

    /// `struct foo { int a; int b; }` with `b` placed before `a`.
    fn misordered_members() -> Vec<u8> {
        BtfBuilder::new()
            .int("int", 4, true)
            .structure("foo", 8, &[("a", 1, 32), ("b", 1, 0)])
            .build()
    }

    /// `count` valid INTs, so that a level-1 log has one line per type.
    fn many_ints(count: usize) -> BtfBuilder {
        (0..count).fold(BtfBuilder::new(), |b, i| b.int(&format!("int{i}"), 4, true))
    }

    fn expect_kernel_error(
        result: Result<impl fmt::Debug, LoadError>,
    ) -> (Errno, String, bool, String) {
        match result {
            Err(err @ LoadError::Kernel { .. }) => {
                let message = err.to_string();
                let LoadError::Kernel {
                    errno,
                    log,
                    log_truncated,
                } = err
                else {
                    unreachable!()
                };
                (errno, log, log_truncated, message)
            }
            other => panic!("expected a kernel rejection, got {other:?}"),
        }
    }

    #[test]
    fn minimal_int_loads_and_reads_back() {
        if !require_bpf_or_skip("minimal_int_loads_and_reads_back") {
            return;
        }
        let blob = BtfBuilder::new().int("int", 4, true).build();
        let fd = load_btf(&blob, 0).expect("kernel accepts a lone INT");
        assert!(fd.as_raw_fd() >= 0);

        let info = fd.info().expect("BPF_OBJ_GET_INFO_BY_FD");
        assert!(info.id > 0, "{info:?}");
        assert_eq!(info.btf_size as usize, blob.len());
        assert_eq!(info.name, "");
        assert!(!info.kernel_btf);
        assert_eq!(btf_data(&fd).expect("read BTF back"), blob);
    }

    #[test]
    fn named_pointer_is_rejected_with_the_kernels_reason() {
        if !require_bpf_or_skip("named_pointer_is_rejected_with_the_kernels_reason") {
            return;
        }
        // Level 0: the first attempt has no log, the retry fetches it.
        let (errno, log, truncated, message) = expect_kernel_error(load_btf(&named_pointer(), 0));
        assert_eq!(errno, Errno::EINVAL);
        assert!(!truncated);
        assert!(log.starts_with("magic: 0xeb9f"), "{log}");
        assert!(log.ends_with("[2] PTR p type_id=1 Invalid name"), "{log}");
        assert_eq!(
            message,
            "BPF_BTF_LOAD failed: Invalid argument (EINVAL): [2] PTR p type_id=1 Invalid name"
        );
    }

    #[test]
    fn misordered_members_are_rejected_with_the_kernels_reason() {
        if !require_bpf_or_skip("misordered_members_are_rejected_with_the_kernels_reason") {
            return;
        }
        let (errno, log, _, message) = expect_kernel_error(load_btf(&misordered_members(), 1));
        assert_eq!(errno, Errno::EINVAL);
        assert!(log.contains("Invalid member bits_offset"), "{log}");
        assert_eq!(
            message,
            "BPF_BTF_LOAD failed: Invalid argument (EINVAL): \
             [2] STRUCT foo size=8 vlen=2 b type_id=1 bits_offset=0 Invalid member bits_offset"
        );
    }

    #[test]
    fn log_buffer_grows_until_a_failure_log_fits() {
        if !require_bpf_or_skip("log_buffer_grows_until_a_failure_log_fits") {
            return;
        }
        // ~200 lines of ~60 bytes: far beyond the 128-byte first buffer.
        let blob = many_ints(200).ptr("p", 1).build();
        let options = LoadOptions {
            log_level: 1,
            initial_log_size: MIN_LOG_SIZE,
            ..LoadOptions::default()
        };
        let (errno, log, truncated, _) = expect_kernel_error(load_btf_with(&blob, &options));
        // Without growth this would be ENOSPC with only the log's tail: the
        // kernel keeps the end of an overflowing log.
        assert_eq!(errno, Errno::EINVAL);
        assert!(!truncated);
        assert!(log.len() > 10 * MIN_LOG_SIZE, "{} bytes", log.len());
        assert!(log.starts_with("magic: 0xeb9f"), "{log}");
        assert!(log.contains("[1] INT int0 size=4"), "{log}");
        assert!(log.ends_with("[201] PTR p type_id=1 Invalid name"), "{log}");
    }

    #[test]
    fn log_buffer_grows_for_a_successful_load_too() {
        if !require_bpf_or_skip("log_buffer_grows_for_a_successful_load_too") {
            return;
        }
        let blob = many_ints(200).build();
        let options = LoadOptions {
            log_level: 1,
            initial_log_size: 1, // rounded up to the kernel's minimum
            ..LoadOptions::default()
        };
        let loaded = load_btf_with(&blob, &options).expect("valid BTF loads");
        assert!(loaded.log.starts_with("magic: 0xeb9f"), "{}", loaded.log);
        assert!(loaded
            .log
            .ends_with("[200] INT int199 size=4 bits_offset=0 nr_bits=32 encoding=SIGNED"));
        assert_eq!(loaded.fd.info().unwrap().btf_size as usize, blob.len());
    }

    #[test]
    fn log_growth_stops_at_the_maximum() {
        if !require_bpf_or_skip("log_growth_stops_at_the_maximum") {
            return;
        }
        let blob = many_ints(200).ptr("p", 1).build();
        let options = LoadOptions {
            log_level: 1,
            initial_log_size: 256,
            max_log_size: 1024,
        };
        let (errno, log, truncated, message) = expect_kernel_error(load_btf_with(&blob, &options));
        assert_eq!(errno, Errno::ENOSPC);
        assert!(truncated);
        assert!(log.len() < 1024, "{} bytes", log.len());
        // The kernel keeps the end of an overflowing log: the verdict survives.
        assert!(log.ends_with("Invalid name"), "{log}");
        assert!(
            message.ends_with("Invalid name (verifier log truncated)"),
            "{message}"
        );
    }

    #[test]
    fn garbage_is_rejected_at_the_header() {
        if !require_bpf_or_skip("garbage_is_rejected_at_the_header") {
            return;
        }
        let (errno, log, _, _) = expect_kernel_error(load_btf(&[0u8; 32], 0));
        assert_eq!(errno, Errno::EINVAL);
        assert!(!log.is_empty());
    }

    #[test]
    fn verdict_keeps_the_owner_of_a_member_complaint() {
        let log = "magic: 0xeb9f\n[2] STRUCT foo size=8 vlen=2\n\ta type_id=1 bits_offset=32\n\tb type_id=1 bits_offset=0 Invalid member bits_offset\n";
        assert_eq!(
            verdict(log),
            "[2] STRUCT foo size=8 vlen=2 b type_id=1 bits_offset=0 Invalid member bits_offset"
        );
        assert_eq!(
            verdict("[2] PTR p type_id=1 Invalid name\n\n"),
            "[2] PTR p type_id=1 Invalid name"
        );
        assert_eq!(verdict("  \n"), "");
    }

    #[test]
    fn error_messages() {
        let err = LoadError::Kernel {
            errno: Errno::EPERM,
            log: String::new(),
            log_truncated: false,
        };
        assert_eq!(
            err.to_string(),
            "BPF_BTF_LOAD failed: Operation not permitted (EPERM)"
        );
        assert_eq!(err.errno(), Some(Errno::EPERM));
        assert_eq!(LoadError::Unsupported.errno(), None);
    }

    #[test]
    fn log_text_stops_at_nul_and_trims() {
        assert_eq!(log_text(b"  hello\n\0garbage"), "hello");
        assert_eq!(log_text(b"no nul\n"), "no nul");
        assert_eq!(log_text(&[]), "");
    }
}
