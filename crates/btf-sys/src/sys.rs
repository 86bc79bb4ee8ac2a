//! The single entry into the kernel.

use std::io;

use crate::{Attr, Cmd};

/// Calls `bpf(cmd, attr, size)` and returns its non-negative result.
///
/// This is the crate's only system call, on purpose: it is the seam between
/// btfkit and the kernel. A test that wants to fake the kernel (inject
/// `EPERM`, simulate an older kernel's errors, record the attributes sent)
/// needs to replace only this function; every safe wrapper above it goes
/// through here and is exercised unchanged. Keep it that way: new commands
/// should call `sys_bpf`, not `libc::syscall`.
///
/// `size` is the number of bytes of `attr` the kernel may look at. Pass
/// [`Attr::SIZE`] unless there is a reason not to: the kernel zero-extends a
/// shorter argument and accepts a longer one as long as the bytes it does
/// not know are zero, which [`Attr`]'s zeroed tail guarantees.
///
/// The result is whatever the command returns: a new file descriptor for
/// commands that create or open objects (the caller then owns it), 0 for the
/// rest.
///
/// # Errors
///
/// The kernel's errno as an [`io::Error`] (see [`Errno::from_io`]).
/// `size` larger than [`Attr::SIZE`] is [`io::ErrorKind::InvalidInput`]. On
/// anything but Linux every call fails with [`io::ErrorKind::Unsupported`].
///
/// # Safety
///
/// The kernel dereferences the user addresses stored in `attr` (BTF blob,
/// log buffer, info struct, name buffer…). Each must be valid for the
/// length stated next to it in `attr`, for reads or for writes as the
/// command requires, for the duration of the call, and not aliased by any
/// live Rust reference that the kernel's writes would invalidate.
///
/// [`Errno::from_io`]: crate::Errno::from_io
pub unsafe fn sys_bpf(cmd: Cmd, attr: &mut Attr, size: usize) -> io::Result<i64> {
    if size > Attr::SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "bpf attr size {size} exceeds the {}-byte buffer",
                Attr::SIZE
            ),
        ));
    }
    #[cfg(target_os = "linux")]
    {
        let attr: *mut Attr = attr;
        // SAFETY: `attr` points to `Attr::SIZE >= size` writable bytes; the
        // addresses inside it are the caller's responsibility (see above).
        // The kernel takes (int cmd, union bpf_attr *attr, unsigned int size).
        let ret = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd.raw() as libc::c_int,
                attr,
                size as libc::c_uint,
            )
        };
        if ret < 0 {
            Err(io::Error::last_os_error())
        } else {
            // `c_long` is only 32 bits on 32-bit targets, so the conversion
            // is not useless everywhere.
            #[allow(clippy::useless_conversion)]
            Ok(i64::from(ret))
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (cmd, attr);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "bpf(2) is only available on Linux",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_attr_is_rejected_before_the_kernel_sees_it() {
        let mut attr = Attr::zeroed();
        // SAFETY: no addresses in a zeroed attr; the call fails before the
        // syscall anyway.
        let err = unsafe { sys_bpf(Cmd::BtfLoad, &mut attr, Attr::SIZE + 1) }.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
