//! Finding BTF in ELF files: the `.BTF` and `.BTF.ext` sections of BPF
//! objects, vmlinux images and kernel modules.

use std::borrow::Cow;

use object::{Object, ObjectSection};

use crate::{Error, Result};

/// Name of the section holding BTF.
pub const BTF_SECTION: &str = ".BTF";
/// Name of the section holding func_info, line_info and CO-RE relocations.
pub const BTF_EXT_SECTION: &str = ".BTF.ext";

/// The BTF-related sections of one ELF file.
#[derive(Debug)]
pub struct ElfBtf<'a> {
    /// Contents of `.BTF`, if present (decompressed if the section was
    /// compressed).
    pub btf: Option<Cow<'a, [u8]>>,
    /// Contents of `.BTF.ext`, if present.
    pub btf_ext: Option<Cow<'a, [u8]>>,
    /// File offset of `.BTF`, for diagnostics.
    pub btf_file_offset: Option<u64>,
    /// File offset of `.BTF.ext`, for diagnostics.
    pub btf_ext_file_offset: Option<u64>,
    /// Whether the ELF file is big-endian.
    pub big_endian: bool,
    /// The ELF machine is BPF (`EM_BPF`).
    pub is_bpf: bool,
}

/// A section's (decompressed) contents and its file offset.
type SectionBytes<'a> = (Cow<'a, [u8]>, Option<u64>);

/// Whether `data` starts with the ELF magic.
pub fn is_elf(data: &[u8]) -> bool {
    data.starts_with(b"\x7fELF")
}

impl<'a> ElfBtf<'a> {
    /// Reads the BTF sections of an ELF file.
    pub fn parse(data: &'a [u8]) -> Result<ElfBtf<'a>> {
        let file = object::File::parse(data).map_err(|e| Error::Elf(e.to_string()))?;
        let section = |name: &str| -> Result<Option<SectionBytes<'a>>> {
            let Some(s) = file.section_by_name(name) else {
                return Ok(None);
            };
            let bytes = s
                .uncompressed_data()
                .map_err(|e| Error::Elf(format!("section {name}: {e}")))?;
            Ok(Some((bytes, s.file_range().map(|(off, _)| off))))
        };
        let btf = section(BTF_SECTION)?;
        let ext = section(BTF_EXT_SECTION)?;
        Ok(ElfBtf {
            btf_file_offset: btf.as_ref().and_then(|b| b.1),
            btf_ext_file_offset: ext.as_ref().and_then(|b| b.1),
            btf: btf.map(|b| b.0),
            btf_ext: ext.map(|b| b.0),
            big_endian: !file.is_little_endian(),
            is_bpf: file.architecture() == object::Architecture::Bpf,
        })
    }
}
