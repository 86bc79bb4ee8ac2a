//! Asking the kernel about loaded BTF objects.

use std::io;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd};

use crate::{sys_bpf, Attr, BtfFd, Cmd, Errno, GetIdAttr, InfoByFdAttr};

/// What the kernel reports about a loaded BTF object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BtfInfo {
    /// The object's system-wide id (as listed by `bpftool btf list`).
    pub id: u32,
    /// Size in bytes of the BTF blob the kernel holds.
    pub btf_size: u32,
    /// The object's name: `"vmlinux"`, a module name, or empty for BTF
    /// loaded from user space.
    pub name: String,
    /// Whether this is kernel (vmlinux or module) BTF rather than
    /// user-loaded BTF.
    pub kernel_btf: bool,
}

/// `struct bpf_btf_info`, the info layout for BTF objects.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
struct RawBtfInfo {
    /// User address the kernel copies the BTF blob to, or 0.
    btf: u64,
    /// In: room at `btf`. Out: the blob's real size.
    btf_size: u32,
    id: u32,
    /// User address the kernel copies the NUL-terminated name to, or 0.
    name: u64,
    /// In: room at `name`. Out: the name's length without NUL.
    name_len: u32,
    kernel_btf: u32,
}

/// Room for a name on the first try: module names are at most 55 bytes.
const NAME_BUF_LEN: usize = 64;

/// Describes the BTF object behind `fd` (`BPF_OBJ_GET_INFO_BY_FD`).
///
/// # Errors
///
/// The kernel's errno: `EINVAL` if `fd` is not a BTF object, `EBADF` if it
/// is not open. [`io::ErrorKind::Unsupported`] off Linux.
pub fn btf_info(fd: impl AsFd) -> io::Result<BtfInfo> {
    let fd = fd.as_fd();
    let mut name = vec![0u8; NAME_BUF_LEN];
    loop {
        let mut raw = RawBtfInfo {
            name: name.as_mut_ptr() as u64,
            name_len: len_u32(name.len())?,
            ..RawBtfInfo::default()
        };
        match get_info(fd, &mut raw) {
            Ok(()) => {}
            // The name did not fit; the kernel told us its length. (Only a
            // future kernel could have names this long, but looping beats
            // truncating.)
            Err(e)
                if Errno::from_io(&e) == Some(Errno::ENOSPC)
                    && raw.name_len as usize >= name.len() =>
            {
                name = vec![0u8; raw.name_len as usize + 1];
                continue;
            }
            Err(e) => return Err(e),
        }
        let len = (raw.name_len as usize).min(name.len());
        name.truncate(len);
        return Ok(BtfInfo {
            id: raw.id,
            btf_size: raw.btf_size,
            name: String::from_utf8_lossy(&name).into_owned(),
            kernel_btf: raw.kernel_btf != 0,
        });
    }
}

/// Copies the BTF blob the kernel holds for `fd` out of the kernel.
///
/// For user-loaded BTF this is the blob that was loaded, byte for byte; for
/// `vmlinux` it is the same as `/sys/kernel/btf/vmlinux`.
///
/// # Errors
///
/// As for [`btf_info`].
pub fn btf_data(fd: impl AsFd) -> io::Result<Vec<u8>> {
    let fd = fd.as_fd();
    // Ask for the size first, then for the bytes. BTF objects are immutable,
    // so the size cannot change between the two calls.
    let mut raw = RawBtfInfo::default();
    get_info(fd, &mut raw)?;
    let mut data = vec![0u8; raw.btf_size as usize];
    let mut raw = RawBtfInfo {
        btf: data.as_mut_ptr() as u64,
        btf_size: len_u32(data.len())?,
        ..RawBtfInfo::default()
    };
    get_info(fd, &mut raw)?;
    data.truncate(raw.btf_size as usize);
    Ok(data)
}

/// The id of the first loaded BTF object with an id greater than `after`
/// (`BPF_BTF_GET_NEXT_ID`), or `None` past the last one. Start with 0.
///
/// # Errors
///
/// The kernel's errno (`EPERM` without `CAP_SYS_ADMIN`).
pub fn next_btf_id(after: u32) -> io::Result<Option<u32>> {
    // The kernel hands out ids below `i32::MAX` and answers a start at or
    // above it with EINVAL rather than ENOENT; "nothing after" is the truth.
    if after >= i32::MAX as u32 {
        return Ok(None);
    }
    let mut attr = Attr::new(GetIdAttr {
        id: after,
        ..GetIdAttr::default()
    });
    // SAFETY: the attr holds no addresses.
    match unsafe { sys_bpf(Cmd::BtfGetNextId, &mut attr, Attr::SIZE) } {
        Ok(_) => Ok(Some(attr.read::<GetIdAttr>().next_id)),
        Err(e) if Errno::from_io(&e) == Some(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Opens the loaded BTF object with the given id (`BPF_BTF_GET_FD_BY_ID`).
///
/// # Errors
///
/// The kernel's errno: `ENOENT` if no such object exists (any more), `EPERM`
/// without `CAP_SYS_ADMIN`.
pub fn btf_fd_by_id(id: u32) -> io::Result<BtfFd> {
    let mut attr = Attr::new(GetIdAttr {
        id,
        ..GetIdAttr::default()
    });
    // SAFETY: the attr holds no addresses.
    let ret = unsafe { sys_bpf(Cmd::BtfGetFdById, &mut attr, Attr::SIZE) }?;
    // SAFETY: BPF_BTF_GET_FD_BY_ID returns a new BTF object descriptor.
    unsafe { BtfFd::from_syscall(ret) }
}

/// One `BPF_OBJ_GET_INFO_BY_FD` call, filling `info` in place.
fn get_info(fd: std::os::fd::BorrowedFd<'_>, info: &mut RawBtfInfo) -> io::Result<()> {
    let bpf_fd = u32::try_from(fd.as_raw_fd()).map_err(|_| io::Error::from(Errno::EBADF))?;
    let mut attr = Attr::new(InfoByFdAttr {
        bpf_fd,
        info_len: size_of::<RawBtfInfo>() as u32,
        info: info as *mut RawBtfInfo as u64,
    });
    // SAFETY: `info` is a live, exclusively borrowed `RawBtfInfo` of exactly
    // `info_len` bytes, and the buffers it points to (if any) were sized by
    // the callers to the lengths stored next to them.
    unsafe { sys_bpf(Cmd::ObjGetInfoByFd, &mut attr, Attr::SIZE) }?;
    Ok(())
}

/// A buffer length as the kernel's `u32`.
fn len_u32(len: usize) -> io::Result<u32> {
    u32::try_from(len).map_err(|_| io::Error::from(Errno::E2BIG))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load_btf, require_bpf_or_skip, PROBE_BTF};

    /// All loaded BTF ids, in increasing order.
    fn all_ids() -> Vec<u32> {
        let mut ids = Vec::new();
        let mut at = 0;
        while let Some(next) = next_btf_id(at).expect("BPF_BTF_GET_NEXT_ID") {
            ids.push(next);
            at = next;
        }
        ids
    }

    #[test]
    fn loaded_btf_can_be_found_and_reopened_by_id() {
        if !require_bpf_or_skip("loaded_btf_can_be_found_and_reopened_by_id") {
            return;
        }
        let fd = load_btf(PROBE_BTF, 0).expect("load");
        let id = btf_info(&fd).expect("info").id;
        assert!(all_ids().contains(&id), "id {id} not listed");

        let again = btf_fd_by_id(id).expect("BPF_BTF_GET_FD_BY_ID");
        assert_eq!(btf_info(&again).expect("info").id, id);
        assert_eq!(btf_data(&again).expect("data"), PROBE_BTF);
    }

    #[test]
    fn vmlinux_is_named_kernel_btf() {
        if !require_bpf_or_skip("vmlinux_is_named_kernel_btf") {
            return;
        }
        // A kernel without CONFIG_DEBUG_INFO_BTF has no vmlinux object, so
        // only check it when sysfs says there is one.
        let Ok(sysfs) = std::fs::read("/sys/kernel/btf/vmlinux") else {
            eprintln!("SKIP: vmlinux_is_named_kernel_btf: no /sys/kernel/btf/vmlinux");
            return;
        };
        let vmlinux = all_ids()
            .into_iter()
            .filter_map(|id| btf_fd_by_id(id).ok())
            .find(|fd| btf_info(fd).is_ok_and(|info| info.name == "vmlinux"))
            .expect("a BTF object named vmlinux");
        let info = btf_info(&vmlinux).expect("info");
        assert!(info.kernel_btf, "{info:?}");
        assert_eq!(info.btf_size as usize, sysfs.len());
        assert!(btf_data(&vmlinux).expect("data") == sysfs);
    }

    #[test]
    fn a_file_is_not_a_btf_object() {
        if !require_bpf_or_skip("a_file_is_not_a_btf_object") {
            return;
        }
        let file = std::fs::File::open("/proc/self/stat").expect("open a file");
        let err = btf_info(&file).unwrap_err();
        assert_eq!(Errno::from_io(&err), Some(Errno::EINVAL), "{err}");
    }

    #[test]
    fn missing_id_is_enoent() {
        if !require_bpf_or_skip("missing_id_is_enoent") {
            return;
        }
        let err = btf_fd_by_id(u32::MAX).unwrap_err();
        assert_eq!(Errno::from_io(&err), Some(Errno::ENOENT), "{err}");
        assert_eq!(next_btf_id(u32::MAX).expect("walk past the end"), None);
        let last_possible = i32::MAX as u32 - 1;
        assert_eq!(next_btf_id(last_possible).expect("walk past the end"), None);
    }
}
