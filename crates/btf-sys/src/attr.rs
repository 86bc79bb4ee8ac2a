//! The `union bpf_attr` argument buffer and the typed layouts written into it.
//!
//! The kernel reads `bpf(2)`'s second argument as a `union bpf_attr` of which
//! each command uses one member. Rather than mirroring the whole union, this
//! crate keeps one fixed-size, zeroed, suitably aligned byte buffer ([`Attr`])
//! and one small `#[repr(C)]` struct per command ([`BtfLoadAttr`], …) that is
//! copied into its start.
//!
//! Zeroing matters: the kernel rejects a call with `E2BIG` if any byte past
//! the fields it knows is non-zero, and treats zero as "not used" for every
//! optional field. Starting from an all-zero buffer makes a call valid on
//! both older kernels (which know fewer fields) and newer ones (which know
//! more).

use std::mem::{align_of, size_of};

/// Size of the attribute buffer handed to the kernel, in bytes.
///
/// Comfortably larger than every command layout this crate uses. Passing
/// more bytes than the running kernel's `union bpf_attr` is fine because the
/// tail is zero; passing fewer is fine too (the kernel zero-fills).
const ATTR_SIZE: usize = 128;

/// A zeroed `union bpf_attr` buffer, the second argument of [`sys_bpf`].
///
/// Build one with [`Attr::new`] from a command layout; read the kernel's
/// answers back with [`Attr::read`].
///
/// [`sys_bpf`]: crate::sys_bpf
#[derive(Clone, PartialEq, Eq)]
#[repr(C, align(8))]
pub struct Attr {
    bytes: [u8; ATTR_SIZE],
}

impl Attr {
    /// Size of the buffer in bytes; the usual `size` argument of
    /// [`sys_bpf`](crate::sys_bpf).
    pub const SIZE: usize = ATTR_SIZE;

    /// An all-zero buffer.
    pub const fn zeroed() -> Attr {
        Attr {
            bytes: [0; ATTR_SIZE],
        }
    }

    /// A zeroed buffer whose first `size_of::<T>()` bytes hold `fields`.
    pub fn new<T: AttrFields>(fields: T) -> Attr {
        let mut attr = Attr::zeroed();
        attr.write(fields);
        attr
    }

    /// Overwrites the first `size_of::<T>()` bytes with `fields`, leaving the
    /// rest untouched.
    pub fn write<T: AttrFields>(&mut self, fields: T) {
        const { assert_fits::<T>() };
        // SAFETY: the buffer is at least `size_of::<T>()` bytes and aligned
        // to 8 >= `align_of::<T>()` (both checked by `assert_fits` at compile
        // time), so the write is in bounds and aligned.
        unsafe { self.bytes.as_mut_ptr().cast::<T>().write(fields) }
    }

    /// Reads the first `size_of::<T>()` bytes back as a `T`, e.g. to see what
    /// the kernel wrote into an output field.
    pub fn read<T: AttrFields>(&self) -> T {
        const { assert_fits::<T>() };
        // SAFETY: in bounds and aligned as in `write`; `AttrFields`
        // guarantees every bit pattern is a valid `T`.
        unsafe { self.bytes.as_ptr().cast::<T>().read() }
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; ATTR_SIZE] {
        &self.bytes
    }

    /// The raw bytes, mutably, for layouts this crate does not describe.
    pub fn as_bytes_mut(&mut self) -> &mut [u8; ATTR_SIZE] {
        &mut self.bytes
    }
}

impl Default for Attr {
    fn default() -> Attr {
        Attr::zeroed()
    }
}

impl std::fmt::Debug for Attr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Trailing zeros are noise; show only up to the last non-zero byte.
        let used = self
            .bytes
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i + 1);
        f.debug_struct("Attr")
            .field("bytes", &&self.bytes[..used])
            .finish_non_exhaustive()
    }
}

/// Compile-time check that `T` can live at the start of an [`Attr`].
const fn assert_fits<T>() {
    assert!(size_of::<T>() <= ATTR_SIZE, "layout larger than Attr");
    assert!(align_of::<T>() <= align_of::<Attr>(), "layout over-aligned");
}

/// A per-command layout of `union bpf_attr`.
///
/// # Safety
///
/// Implementors must be `#[repr(C)]`, consist only of integer fields (pointers
/// are passed as `u64`), have no padding bytes, and accept every bit pattern.
/// [`Attr::read`] relies on the last point, and the kernel's "unknown bytes
/// must be zero" rule on the no-padding one.
pub unsafe trait AttrFields: Copy {}

/// The `BPF_BTF_LOAD` member of `union bpf_attr`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct BtfLoadAttr {
    /// User address of the BTF blob.
    pub btf: u64,
    /// User address of the verifier log buffer, or 0 for no log.
    pub btf_log_buf: u64,
    /// Size of the BTF blob in bytes.
    pub btf_size: u32,
    /// Size of the log buffer in bytes (the kernel wants at least 128).
    pub btf_log_size: u32,
    /// Verifier log level: 0 for no log, 1 for the usual log, 2 for verbose.
    pub btf_log_level: u32,
    /// Output (Linux 6.4+): the log size that would have been needed,
    /// including the terminating NUL.
    pub btf_log_true_size: u32,
    /// `BPF_F_*` flags (Linux 6.9+ token support); 0 normally.
    pub btf_flags: u32,
    /// BPF token file descriptor when `btf_flags` asks for one.
    pub btf_token_fd: i32,
}

// SAFETY: repr(C), integers only, 2*8 + 6*4 = 40 bytes with no padding.
unsafe impl AttrFields for BtfLoadAttr {}

/// The `info` member of `union bpf_attr`, used by `BPF_OBJ_GET_INFO_BY_FD`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct InfoByFdAttr {
    /// The object's file descriptor.
    pub bpf_fd: u32,
    /// In: size of the buffer at `info`. Out: how many bytes the kernel
    /// filled.
    pub info_len: u32,
    /// User address of the per-object-type info struct.
    pub info: u64,
}

// SAFETY: repr(C), integers only, 4 + 4 + 8 = 16 bytes with no padding.
unsafe impl AttrFields for InfoByFdAttr {}

/// The id-walking member of `union bpf_attr`, used by `BPF_*_GET_NEXT_ID` and
/// `BPF_*_GET_FD_BY_ID`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct GetIdAttr {
    /// `start_id` for `GET_NEXT_ID`, the object id for `GET_FD_BY_ID`.
    pub id: u32,
    /// Output of `GET_NEXT_ID`: the next id after `id`.
    pub next_id: u32,
    /// `BPF_F_RDONLY`-style flags for `GET_FD_BY_ID`; 0 for BTF.
    pub open_flags: u32,
}

// SAFETY: repr(C), three u32s = 12 bytes with no padding.
unsafe impl AttrFields for GetIdAttr {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    #[test]
    fn btf_load_layout_matches_the_uapi() {
        assert_eq!(size_of::<BtfLoadAttr>(), 40);
        assert_eq!(offset_of!(BtfLoadAttr, btf), 0);
        assert_eq!(offset_of!(BtfLoadAttr, btf_log_buf), 8);
        assert_eq!(offset_of!(BtfLoadAttr, btf_size), 16);
        assert_eq!(offset_of!(BtfLoadAttr, btf_log_size), 20);
        assert_eq!(offset_of!(BtfLoadAttr, btf_log_level), 24);
        assert_eq!(offset_of!(BtfLoadAttr, btf_log_true_size), 28);
        assert_eq!(offset_of!(BtfLoadAttr, btf_flags), 32);
        assert_eq!(offset_of!(BtfLoadAttr, btf_token_fd), 36);
    }

    #[test]
    fn other_layouts_match_the_uapi() {
        assert_eq!(size_of::<InfoByFdAttr>(), 16);
        assert_eq!(offset_of!(InfoByFdAttr, info), 8);
        assert_eq!(size_of::<GetIdAttr>(), 12);
        assert_eq!(offset_of!(GetIdAttr, open_flags), 8);
    }

    #[test]
    fn new_zeroes_the_tail_and_read_round_trips() {
        let fields = BtfLoadAttr {
            btf: 0x1122_3344_5566_7788,
            btf_size: 45,
            btf_token_fd: -1,
            ..BtfLoadAttr::default()
        };
        let attr = Attr::new(fields);
        assert_eq!(attr.read::<BtfLoadAttr>(), fields);
        assert!(attr.as_bytes()[size_of::<BtfLoadAttr>()..]
            .iter()
            .all(|&b| b == 0));
        assert_eq!(&attr.as_bytes()[16..20], &45u32.to_ne_bytes());
    }
}
