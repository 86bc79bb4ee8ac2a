//! Can this process use `bpf(2)`? And what tests do when it cannot.

use std::fmt;
use std::io::Write;

use crate::Errno;

/// Environment variable that turns "skip" into "fail" in
/// [`require_bpf_or_skip`] when set to `1`.
///
/// Developers without root get skipped tests; CI, which is meant to run the
/// kernel oracle, sets this so that a lost capability cannot silently turn
/// the oracle tests into no-ops.
pub const REQUIRE_ORACLES_ENV: &str = "BTFKIT_REQUIRE_ORACLES";

/// The smallest useful valid BTF blob, in native byte order: one
/// `INT int size=4 nr_bits=32 encoding=SIGNED`.
///
/// [`probe`] loads it; tests elsewhere may use it as a known-good input.
pub const PROBE_BTF: &[u8] = &probe_blob();

/// Builds [`PROBE_BTF`]: a 24-byte header, one 16-byte INT, 5 bytes of
/// strings.
const fn probe_blob() -> [u8; 45] {
    let mut out = [0u8; 45];
    put(&mut out, 0, &0xeb9f_u16.to_ne_bytes()); // magic
    out[2] = 1; // version
    out[3] = 0; // flags
    put(&mut out, 4, &24u32.to_ne_bytes()); // hdr_len
    put(&mut out, 8, &0u32.to_ne_bytes()); // type_off
    put(&mut out, 12, &16u32.to_ne_bytes()); // type_len
    put(&mut out, 16, &16u32.to_ne_bytes()); // str_off
    put(&mut out, 20, &5u32.to_ne_bytes()); // str_len
    put(&mut out, 24, &1u32.to_ne_bytes()); // name_off -> "int"
    put(&mut out, 28, &(1u32 << 24).to_ne_bytes()); // kind INT, vlen 0
    put(&mut out, 32, &4u32.to_ne_bytes()); // size
    put(&mut out, 36, &((1u32 << 24) | 32).to_ne_bytes()); // SIGNED, 32 bits
    put(&mut out, 40, b"\0int\0");
    out
}

const fn put(out: &mut [u8], at: usize, bytes: &[u8]) {
    let mut i = 0;
    while i < bytes.len() {
        out[at + i] = bytes[i];
        i += 1;
    }
}

/// Whether `bpf(2)` can be used here, as found by [`probe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// The kernel loaded [`PROBE_BTF`]: the BTF oracle works.
    Available,
    /// `EPERM` or `EACCES`: not root / no `CAP_BPF`, or an LSM or container
    /// runtime forbids `bpf(2)`.
    PermissionDenied(Errno),
    /// `ENOSYS`: the kernel lacks `CONFIG_BPF_SYSCALL`, or a seccomp filter
    /// hides the call.
    NoSyscall,
    /// Not Linux.
    Unsupported,
    /// Any other error: the call is possible but rejected even this minimal
    /// blob (e.g. a kernel too old for BTF answers `EINVAL`).
    Failed(Errno),
}

impl Availability {
    /// Whether bpf-backed work can proceed.
    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available)
    }
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Availability::Available => f.write_str("bpf(2) is available"),
            Availability::PermissionDenied(errno) => write!(
                f,
                "bpf(2) is not permitted: {errno}; run as root or grant CAP_BPF"
            ),
            Availability::NoSyscall => {
                f.write_str("bpf(2) is not implemented (ENOSYS): no CONFIG_BPF_SYSCALL, or seccomp")
            }
            Availability::Unsupported => f.write_str("bpf(2) exists only on Linux"),
            Availability::Failed(errno) => {
                write!(f, "bpf(2) rejected a minimal valid BTF blob: {errno}")
            }
        }
    }
}

/// Finds out whether this process can load BTF into the kernel.
///
/// Capabilities alone do not answer that (LSMs, seccomp, user namespaces and
/// `kernel.unprivileged_bpf_disabled` all have a say), so this simply tries:
/// it loads [`PROBE_BTF`] and closes the result at once.
pub fn probe() -> Availability {
    #[cfg(unix)]
    {
        match crate::load_btf(PROBE_BTF, 0) {
            Ok(_fd) => Availability::Available,
            Err(crate::LoadError::Kernel { errno, .. }) => match errno {
                Errno::EPERM | Errno::EACCES => Availability::PermissionDenied(errno),
                Errno::ENOSYS => Availability::NoSyscall,
                _ => Availability::Failed(errno),
            },
            Err(crate::LoadError::Unsupported) => Availability::Unsupported,
            // A 45-byte blob is never too large.
            Err(crate::LoadError::TooLarge { .. }) => unreachable!("probe blob is tiny"),
        }
    }
    #[cfg(not(unix))]
    {
        Availability::Unsupported
    }
}

/// Test helper: returns `true` if a test needing `bpf(2)` may proceed.
///
/// If [`probe`] says `bpf(2)` is unusable, this prints a loud
/// `SKIP: <test>: <reason>` line to stderr (past libtest's output capture, so
/// it shows without `--nocapture`) and returns `false`, so the test can
/// `return` early. When [`REQUIRE_ORACLES_ENV`] (`BTFKIT_REQUIRE_ORACLES`)
/// is `1` it panics instead, failing the test.
///
/// ```no_run
/// #[test]
/// fn kernel_accepts_our_output() {
///     if !btf_sys::require_bpf_or_skip("kernel_accepts_our_output") {
///         return;
///     }
///     // ... btf_sys::load_btf(...) ...
/// }
/// ```
///
/// # Panics
///
/// When `bpf(2)` is unusable and `BTFKIT_REQUIRE_ORACLES=1`.
pub fn require_bpf_or_skip(test: &str) -> bool {
    let availability = probe();
    let required = std::env::var_os(REQUIRE_ORACLES_ENV);
    match policy(&availability, required.as_deref().and_then(|v| v.to_str())) {
        Policy::Proceed => true,
        Policy::Skip => {
            // Not `eprintln!`: libtest captures that and shows it only for
            // failing tests, which would make a skip silent. Writing to the
            // stderr handle directly bypasses the capture. A failed write to
            // stderr leaves nothing better to do, so it is ignored.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP: {test}: {availability} (set {REQUIRE_ORACLES_ENV}=1 to make this a failure)"
            );
            false
        }
        Policy::Fail => {
            panic!("{test}: {availability}, and {REQUIRE_ORACLES_ENV}=1 forbids skipping")
        }
    }
}

/// What [`require_bpf_or_skip`] does; split out so it can be tested without
/// touching the process environment.
#[derive(Debug, PartialEq, Eq)]
enum Policy {
    Proceed,
    Skip,
    Fail,
}

fn policy(availability: &Availability, require_env: Option<&str>) -> Policy {
    if availability.is_available() {
        Policy::Proceed
    } else if require_env == Some("1") {
        Policy::Fail
    } else {
        Policy::Skip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_blob_is_native_endian_btf() {
        assert_eq!(PROBE_BTF.len(), 45);
        assert_eq!(u16::from_ne_bytes([PROBE_BTF[0], PROBE_BTF[1]]), 0xeb9f);
        assert_eq!(&PROBE_BTF[41..44], b"int");
        let built = crate::testblob::BtfBuilder::new()
            .int("int", 4, true)
            .build();
        assert_eq!(PROBE_BTF, built.as_slice());
    }

    #[test]
    fn policy_skips_fails_or_proceeds() {
        let denied = Availability::PermissionDenied(Errno::EPERM);
        assert_eq!(policy(&Availability::Available, None), Policy::Proceed);
        assert_eq!(policy(&Availability::Available, Some("1")), Policy::Proceed);
        assert_eq!(policy(&denied, None), Policy::Skip);
        assert_eq!(policy(&denied, Some("0")), Policy::Skip);
        assert_eq!(policy(&denied, Some("1")), Policy::Fail);
        assert_eq!(policy(&Availability::NoSyscall, Some("1")), Policy::Fail);
    }

    #[test]
    fn availability_explains_itself() {
        let text = Availability::PermissionDenied(Errno::EPERM).to_string();
        assert!(text.contains("EPERM") && text.contains("CAP_BPF"), "{text}");
    }

    #[test]
    fn probe_agrees_with_the_helper() {
        // Whatever this machine allows, the two must agree, and the helper
        // must not panic unless oracles are required.
        let available = probe().is_available();
        let required = std::env::var_os(REQUIRE_ORACLES_ENV).is_some_and(|v| v == "1");
        if available || !required {
            assert_eq!(
                require_bpf_or_skip("probe_agrees_with_the_helper"),
                available
            );
        }
    }
}
