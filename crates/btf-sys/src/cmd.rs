//! The `bpf(2)` commands this crate issues.

use std::fmt;

/// A `bpf(2)` command (`enum bpf_cmd` in the kernel's UAPI).
///
/// Only the commands btfkit uses are listed; the discriminants are the
/// kernel's ABI numbers and never change once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum Cmd {
    /// `BPF_OBJ_GET_INFO_BY_FD`: describe the object behind a file descriptor.
    ObjGetInfoByFd = 15,
    /// `BPF_BTF_LOAD`: verify a BTF blob and make it a kernel object.
    BtfLoad = 18,
    /// `BPF_BTF_GET_FD_BY_ID`: open a loaded BTF object by its id.
    BtfGetFdById = 19,
    /// `BPF_BTF_GET_NEXT_ID`: walk the ids of all loaded BTF objects.
    BtfGetNextId = 23,
}

impl Cmd {
    /// The command's number as passed to the kernel.
    pub const fn raw(self) -> u32 {
        self as u32
    }

    /// The command's UAPI name, e.g. `"BPF_BTF_LOAD"`, for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Cmd::ObjGetInfoByFd => "BPF_OBJ_GET_INFO_BY_FD",
            Cmd::BtfLoad => "BPF_BTF_LOAD",
            Cmd::BtfGetFdById => "BPF_BTF_GET_FD_BY_ID",
            Cmd::BtfGetNextId => "BPF_BTF_GET_NEXT_ID",
        }
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_uapi() {
        assert_eq!(Cmd::ObjGetInfoByFd.raw(), 15);
        assert_eq!(Cmd::BtfLoad.raw(), 18);
        assert_eq!(Cmd::BtfGetFdById.raw(), 19);
        assert_eq!(Cmd::BtfGetNextId.raw(), 23);
        assert_eq!(Cmd::BtfLoad.to_string(), "BPF_BTF_LOAD");
    }
}
