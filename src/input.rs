//! Reading inputs: memory-mapped files, raw BTF or ELF, split BTF bases.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use btf_core::elf::{is_elf, ElfBtf};
use btf_core::{Btf, BtfExt};

/// The kernel's own BTF, the default base for module BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// An input file's bytes: memory-mapped when possible, read otherwise
/// (sysfs files report sizes but some kernels refuse to map them).
pub struct InputFile {
    path: PathBuf,
    data: Bytes,
}

enum Bytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl InputFile {
    /// Opens and maps (or reads) `path`. The file is never modified. A
    /// gzip file (`vmlinux.btf.gz`, as BTFHub ships them) is decompressed
    /// into memory.
    pub fn open(path: &Path) -> Result<InputFile> {
        let file = File::open(path).with_context(|| format!("{}", path.display()))?;
        let meta = file
            .metadata()
            .with_context(|| format!("{}", path.display()))?;
        if meta.is_dir() {
            bail!("{}: is a directory", path.display());
        }
        // A private read-only mapping: sysfs refuses shared mappings of
        // /sys/kernel/btf/* (EACCES) but grants private ones, which saves
        // over a thousand 4 KiB reads on vmlinux.
        // Safety: the map is read-only. If another process truncates the
        // file while btfkit runs, reads could fault; that is the accepted
        // cost of mapping, as for every mmap-based reader.
        let mapped = (meta.len() > 0)
            .then(|| unsafe { memmap2::MmapOptions::new().map_copy_read_only(&file) }.ok())
            .flatten();
        let data = match mapped {
            Some(m) if is_gzip(&m) => Bytes::Read(gunzip(&m, path)?),
            Some(m) => Bytes::Mapped(m),
            None => {
                let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
                if is_gzip(&bytes) {
                    Bytes::Read(gunzip(&bytes, path)?)
                } else {
                    Bytes::Read(bytes)
                }
            }
        };
        Ok(InputFile {
            path: path.to_path_buf(),
            data,
        })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.data {
            Bytes::Mapped(m) => m,
            Bytes::Read(v) => v,
        }
    }

    /// The memory map, when the file is mapped (callers that stream through
    /// a large input use it to release pages they are done with).
    pub fn mapping(&self) -> Option<&memmap2::Mmap> {
        match &self.data {
            Bytes::Mapped(m) => Some(m),
            Bytes::Read(_) => None,
        }
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Finds the BTF (and .BTF.ext) in the file: the whole file for raw BTF,
    /// the sections for ELF.
    pub fn btf_sections(&self) -> Result<BtfSections<'_>> {
        let data = self.bytes();
        let display = self.path.display();
        if !is_elf(data) {
            return Ok(BtfSections {
                btf: Cow::Borrowed(data),
                ext: None,
                section: "raw BTF",
            });
        }
        let elf = ElfBtf::parse(data).with_context(|| format!("{display}"))?;
        let Some(btf) = elf.btf else {
            bail!("{display}: no .BTF section (not built with -g, or BTF was stripped)");
        };
        Ok(BtfSections {
            btf,
            ext: elf.btf_ext,
            section: "section .BTF",
        })
    }
}

/// Largest decompressed size accepted from a gzip input (the biggest kernel
/// BTFs are a few tens of MiB).
const GUNZIP_LIMIT: u64 = 1 << 30;

fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

/// Decompresses a gzip file (every member), refusing more than
/// [`GUNZIP_LIMIT`] bytes of output.
fn gunzip(data: &[u8], path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .take(GUNZIP_LIMIT + 1)
        .read_to_end(&mut out)
        .with_context(|| format!("{}: gzip", path.display()))?;
    if out.len() as u64 > GUNZIP_LIMIT {
        bail!(
            "{}: gzip: decompresses to more than {} MiB",
            path.display(),
            GUNZIP_LIMIT >> 20
        );
    }
    Ok(out)
}

/// The BTF-carrying bytes of one input.
pub struct BtfSections<'a> {
    /// The BTF blob.
    pub btf: Cow<'a, [u8]>,
    /// The .BTF.ext blob, for ELF objects that have one.
    pub ext: Option<Cow<'a, [u8]>>,
    /// Where the BTF came from, for messages: `raw BTF` or `section .BTF`.
    pub section: &'static str,
}

/// The base to use for `path`: the one given, or vmlinux for a file under
/// /sys/kernel/btf other than vmlinux itself.
pub fn default_base(path: &Path, given: Option<&Path>) -> Option<PathBuf> {
    if let Some(b) = given {
        return Some(b.to_path_buf());
    }
    let in_sysfs = path.parent() == Some(Path::new("/sys/kernel/btf"));
    (in_sysfs && path != Path::new(VMLINUX_BTF)).then(|| PathBuf::from(VMLINUX_BTF))
}

/// Parses BTF bytes, naming the file and section in any error.
pub fn parse_btf<'a>(
    bytes: &'a [u8],
    base: Option<&'a Btf<'a>>,
    path: &Path,
    section: &str,
) -> Result<Btf<'a>> {
    let parsed = match base {
        Some(b) => Btf::parse_split(bytes, b),
        None => Btf::parse(bytes),
    };
    parsed.with_context(|| format!("{}: {section}", path.display()))
}

/// Parses .BTF.ext bytes, naming the file in any error.
pub fn parse_ext<'a>(bytes: &'a [u8], path: &Path) -> Result<BtfExt<'a>> {
    BtfExt::parse(bytes).with_context(|| format!("{}: section .BTF.ext", path.display()))
}
