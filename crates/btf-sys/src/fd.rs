//! An owned file descriptor for a kernel BTF object.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use crate::BtfInfo;

/// A file descriptor referring to a BTF object loaded into the kernel.
///
/// The kernel keeps the object alive while any descriptor (or a BPF program
/// or map) refers to it; dropping the last `BtfFd` releases it. The wrapper
/// exists so that signatures say which kind of object a descriptor is,
/// something a bare [`OwnedFd`] cannot.
#[derive(Debug)]
pub struct BtfFd(OwnedFd);

impl BtfFd {
    /// Wraps a descriptor the caller knows refers to a BTF object.
    ///
    /// Nothing is checked; a descriptor of another kind simply makes later
    /// calls fail with `EINVAL`.
    pub fn from_owned_fd(fd: OwnedFd) -> BtfFd {
        BtfFd(fd)
    }

    /// Gives up the wrapper, keeping the descriptor open.
    pub fn into_owned_fd(self) -> OwnedFd {
        self.0
    }

    /// What the kernel knows about this object; see [`btf_info`].
    ///
    /// [`btf_info`]: crate::btf_info
    pub fn info(&self) -> io::Result<BtfInfo> {
        crate::btf_info(self)
    }

    /// Takes ownership of the descriptor a successful `bpf(2)` call returned.
    ///
    /// # Safety
    ///
    /// `ret` must be the result of a command that returns a new BTF object
    /// descriptor, not yet owned by anything else.
    pub(crate) unsafe fn from_syscall(ret: i64) -> io::Result<BtfFd> {
        let raw = RawFd::try_from(ret).map_err(|_| {
            // Cannot happen with a real kernel; refuse rather than truncate.
            io::Error::other(format!("bpf(2) returned {ret}, not a file descriptor"))
        })?;
        // SAFETY: the kernel just created this descriptor for us and nothing
        // else owns it (caller's contract).
        Ok(BtfFd(unsafe { OwnedFd::from_raw_fd(raw) }))
    }
}

impl AsFd for BtfFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for BtfFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl From<BtfFd> for OwnedFd {
    fn from(fd: BtfFd) -> OwnedFd {
        fd.0
    }
}
