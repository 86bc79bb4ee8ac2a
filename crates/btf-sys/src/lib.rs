//! A small, typed wrapper over the Linux `bpf(2)` system call.
//!
//! This crate is the one seam through which btfkit talks to the kernel. It
//! does only what btfkit needs: hand a BTF blob to the kernel's BTF verifier
//! (`BPF_BTF_LOAD`) and read back what the kernel knows about loaded BTF
//! objects (`BPF_OBJ_GET_INFO_BY_FD` and friends). Building and parsing BTF
//! is somebody else's job (`btf-core`); here BTF is just bytes.
//!
//! The layers, from the bottom:
//!
//! * [`sys_bpf`] is the only function that enters the kernel. Everything
//!   else is built on it, so replacing it is enough to fake the kernel.
//! * [`Attr`] is the zeroed, 8-byte aligned `union bpf_attr` buffer, filled
//!   from typed per-command layouts such as [`BtfLoadAttr`].
//! * [`load_btf`], [`btf_info`], [`btf_data`], [`next_btf_id`] and
//!   [`btf_fd_by_id`] are the safe operations, returning a [`BtfFd`] (an
//!   owned file descriptor) or plain data.
//! * [`probe`] and [`require_bpf_or_skip`] tell tests whether the kernel can
//!   be asked at all (it needs root or `CAP_BPF`), so they can skip loudly
//!   rather than fail obscurely, or fail when `BTFKIT_REQUIRE_ORACLES=1`.
//!
//! # Platforms
//!
//! `bpf(2)` exists only on Linux. The crate still builds on other Unix
//! systems so that its callers need no `cfg` of their own; there every call
//! fails with [`std::io::ErrorKind::Unsupported`] (or
//! [`LoadError::Unsupported`]) and [`probe`] reports
//! [`Availability::Unsupported`]. File-descriptor types come from
//! `std::os::fd`, which exists only on Unix, so non-Unix targets get just the
//! platform-independent parts (errno names, command numbers, the probe
//! policy).

#![deny(missing_docs)]

mod attr;
mod cmd;
mod errno;
#[cfg(unix)]
mod fd;
#[cfg(unix)]
mod info;
#[cfg(unix)]
mod load;
mod probe;
mod sys;

#[cfg(test)]
mod testblob;

pub use attr::{Attr, AttrFields, BtfLoadAttr, GetIdAttr, InfoByFdAttr};
pub use cmd::Cmd;
pub use errno::Errno;
#[cfg(unix)]
pub use fd::BtfFd;
#[cfg(unix)]
pub use info::{btf_data, btf_fd_by_id, btf_info, next_btf_id, BtfInfo};
#[cfg(unix)]
pub use load::{
    load_btf, load_btf_with, LoadError, LoadOptions, LoadedBtf, DEFAULT_INITIAL_LOG_SIZE,
    DEFAULT_MAX_LOG_SIZE, MIN_LOG_SIZE,
};
pub use probe::{probe, require_bpf_or_skip, Availability, PROBE_BTF, REQUIRE_ORACLES_ENV};
pub use sys::sys_bpf;
