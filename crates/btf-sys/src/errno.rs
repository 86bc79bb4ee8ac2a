//! Error numbers, named the way kernel people read them.

use std::{fmt, io};

/// An `errno` value returned by the kernel.
///
/// `std::io::Error` already carries errnos, but it prints them as
/// `Invalid argument (os error 22)`. BPF diagnostics are discussed in terms of
/// the symbolic names (`EINVAL`, `ENOSPC`, `E2BIG`…), and some of the
/// kernel's answers differ only by errno, so this type keeps the number and
/// prints both the description and the name: `Invalid argument (EINVAL)`.
///
/// The descriptions are spelled out here instead of asking the C library so
/// that messages (and tests matching on them) are the same under glibc and
/// musl.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(i32);

impl Errno {
    /// `EPERM`: not permitted; for `bpf(2)` usually a missing `CAP_BPF`.
    pub const EPERM: Errno = Errno(libc::EPERM);
    /// `ENOENT`: no such object (e.g. no further id in an id walk).
    pub const ENOENT: Errno = Errno(libc::ENOENT);
    /// `E2BIG`: the attribute or info struct has non-zero bytes the kernel
    /// does not understand, or an object is too large.
    pub const E2BIG: Errno = Errno(libc::E2BIG);
    /// `EBADF`: the file descriptor is not open.
    pub const EBADF: Errno = Errno(libc::EBADF);
    /// `ENOMEM`: the kernel could not allocate memory.
    pub const ENOMEM: Errno = Errno(libc::ENOMEM);
    /// `EACCES`: access denied (e.g. by an LSM).
    pub const EACCES: Errno = Errno(libc::EACCES);
    /// `EFAULT`: a pointer handed to the kernel was invalid.
    pub const EFAULT: Errno = Errno(libc::EFAULT);
    /// `EINVAL`: invalid argument; the BTF verifier's usual verdict.
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    /// `ENOSPC`: for `bpf(2)`, usually "the log buffer was too small".
    pub const ENOSPC: Errno = Errno(libc::ENOSPC);
    /// `ENOSYS`: no `bpf(2)` here (kernel without `CONFIG_BPF_SYSCALL`, or a
    /// seccomp filter).
    pub const ENOSYS: Errno = Errno(libc::ENOSYS);
    /// `EOPNOTSUPP`: operation not supported.
    pub const EOPNOTSUPP: Errno = Errno(libc::EOPNOTSUPP);
    /// `ENOTSUPP` (524): a kernel-internal code that `bpf(2)` lets leak to
    /// user space; C libraries have no name for it.
    pub const ENOTSUPP: Errno = Errno(524);

    /// Wraps a raw errno value.
    pub const fn new(raw: i32) -> Errno {
        Errno(raw)
    }

    /// The raw errno value.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The errno carried by an I/O error, if it came from the OS.
    pub fn from_io(err: &io::Error) -> Option<Errno> {
        err.raw_os_error().map(Errno)
    }

    /// The symbolic name, e.g. `"EINVAL"`, if this errno is one bpf(2) is
    /// known to return.
    pub fn name(self) -> Option<&'static str> {
        self.describe().map(|(name, _)| name)
    }

    /// A human description, e.g. `"Invalid argument"`.
    pub fn description(self) -> Option<&'static str> {
        self.describe().map(|(_, text)| text)
    }

    /// Name and description of the errnos `bpf(2)` and its callers meet.
    fn describe(self) -> Option<(&'static str, &'static str)> {
        // Matching on the libc constants rather than numbers keeps this right
        // on architectures whose errno numbering differs (MIPS, SPARC, Alpha).
        Some(match self.0 {
            libc::EPERM => ("EPERM", "Operation not permitted"),
            libc::ENOENT => ("ENOENT", "No such file or directory"),
            libc::ESRCH => ("ESRCH", "No such process"),
            libc::EINTR => ("EINTR", "Interrupted system call"),
            libc::EIO => ("EIO", "Input/output error"),
            libc::E2BIG => ("E2BIG", "Argument list too long"),
            libc::EBADF => ("EBADF", "Bad file descriptor"),
            libc::EAGAIN => ("EAGAIN", "Resource temporarily unavailable"),
            libc::ENOMEM => ("ENOMEM", "Cannot allocate memory"),
            libc::EACCES => ("EACCES", "Permission denied"),
            libc::EFAULT => ("EFAULT", "Bad address"),
            libc::EBUSY => ("EBUSY", "Device or resource busy"),
            libc::EEXIST => ("EEXIST", "File exists"),
            libc::EINVAL => ("EINVAL", "Invalid argument"),
            libc::ENFILE => ("ENFILE", "Too many open files in system"),
            libc::EMFILE => ("EMFILE", "Too many open files"),
            libc::ENOSPC => ("ENOSPC", "No space left on device"),
            libc::ERANGE => ("ERANGE", "Numerical result out of range"),
            libc::ENOSYS => ("ENOSYS", "Function not implemented"),
            libc::ELOOP => ("ELOOP", "Too many levels of symbolic links"),
            libc::EOVERFLOW => ("EOVERFLOW", "Value too large for defined data type"),
            libc::EOPNOTSUPP => ("EOPNOTSUPP", "Operation not supported"),
            524 => ("ENOTSUPP", "Operation not supported"),
            _ => return None,
        })
    }
}

impl From<Errno> for io::Error {
    fn from(errno: Errno) -> io::Error {
        io::Error::from_raw_os_error(errno.0)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.describe() {
            Some((name, text)) => write!(f, "{text} ({name})"),
            None => write!(f, "errno {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_description_and_symbol() {
        assert_eq!(Errno::EINVAL.to_string(), "Invalid argument (EINVAL)");
        assert_eq!(
            Errno::ENOSPC.to_string(),
            "No space left on device (ENOSPC)"
        );
        assert_eq!(
            Errno::ENOTSUPP.to_string(),
            "Operation not supported (ENOTSUPP)"
        );
        assert_eq!(Errno::new(4000).to_string(), "errno 4000");
        assert_eq!(format!("{:?}", Errno::EPERM), "EPERM");
        assert_eq!(format!("{:?}", Errno::new(4000)), "Errno(4000)");
    }

    #[test]
    fn round_trips_through_io_error() {
        let err: io::Error = Errno::EACCES.into();
        assert_eq!(Errno::from_io(&err), Some(Errno::EACCES));
        let other = io::Error::new(io::ErrorKind::Unsupported, "no");
        assert_eq!(Errno::from_io(&other), None);
    }
}
