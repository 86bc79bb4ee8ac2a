//! Finding BTF in ELF files: the `.BTF` and `.BTF.ext` sections of BPF
//! objects, vmlinux images and kernel modules.

use std::borrow::Cow;

use object::{CompressionFormat, Object, ObjectSection};

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

/// The largest ratio of a compressed section's declared size to its
/// compressed bytes that is believed. Deflate cannot exceed about 1032:1 and
/// BTF compresses far less; without this bound a forged `ch_size` makes the
/// decompressor reserve gigabytes up front.
const MAX_COMPRESSION_RATIO: u64 = 1032;

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
            let elf_err = |e: object::Error| Error::Elf(format!("section {name}: {e}"));
            let compressed = s.compressed_data().map_err(elf_err)?;
            let packed = compressed.data.len() as u64;
            if compressed.format != CompressionFormat::None
                && compressed.uncompressed_size > packed.saturating_mul(MAX_COMPRESSION_RATIO)
            {
                return Err(Error::Elf(format!(
                    "section {name}: claims {} bytes uncompressed from {packed} compressed bytes",
                    compressed.uncompressed_size
                )));
            }
            let bytes = if compressed.format == CompressionFormat::Zstandard {
                // object's zstd path inflates without bound before checking
                // the size: a crafted frame expands ~32000:1.
                let size = usize::try_from(compressed.uncompressed_size).unwrap_or(usize::MAX);
                Cow::Owned(
                    unzstd(compressed.data, size)
                        .map_err(|e| Error::Elf(format!("section {name}: {e}")))?,
                )
            } else {
                compressed.decompress().map_err(elf_err)?
            };
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

/// Decompresses zstd frames into exactly `size` bytes, reading at most one
/// byte more than that, so a stream cannot inflate past its declared size.
fn unzstd(mut input: &[u8], size: usize) -> std::result::Result<Vec<u8>, String> {
    use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
    use std::io::Read;

    let mut out = Vec::with_capacity(size);
    while !input.is_empty() && out.len() <= size {
        let decoder = match ruzstd::decoding::StreamingDecoder::new(&mut input) {
            Ok(d) => d,
            Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                length,
                ..
            })) => {
                input = input
                    .get(length as usize..)
                    .ok_or("truncated skippable zstd frame")?;
                continue;
            }
            Err(e) => return Err(format!("invalid zstd data: {e}")),
        };
        let room = (size - out.len()) as u64 + 1;
        decoder
            .take(room)
            .read_to_end(&mut out)
            .map_err(|e| format!("invalid zstd data: {e}"))?;
    }
    if out.len() != size {
        return Err(format!(
            "zstd data does not decompress to the declared {size} bytes"
        ));
    }
    Ok(out)
}
