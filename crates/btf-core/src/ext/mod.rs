//! .BTF.ext: func_info, line_info and CO-RE relocation records.
//!
//! Each subsection is a record size followed by blocks of
//! `{section name, record count, records}`; names are offsets into the
//! object's `.BTF` string section. Records larger than btfkit knows are
//! accepted and read by their known prefix (forward compatibility, as libbpf).

mod access;
mod core_relo;
mod func_info;
mod line_info;

pub use access::{
    parse_access_indices, AccessError, AccessSpec, AccessStep, KindName, RootName, SpecKind,
    SpecPath, MAX_ACCESS_INDEX, MAX_ACCESS_LEN,
};
pub use core_relo::{CoreRelo, CoreReloKind};
pub use func_info::FuncInfo;
pub use line_info::LineInfo;

use std::marker::PhantomData;

use crate::header::{detect_endian, MAGIC};
use crate::{Endian, Error, Result, StrOffset};

/// A record type of one .BTF.ext subsection.
pub trait ExtRecord: Sized {
    /// Subsection name used in messages.
    const SECTION: &'static str;
    /// The smallest record size the format allows.
    const MIN_SIZE: u32;
    /// Decodes a record from at least `MIN_SIZE` bytes.
    fn decode(e: Endian, b: &[u8]) -> Self;
}

/// The decoded .BTF.ext header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtHeader {
    /// Byte order.
    pub endian: Endian,
    /// Header length: 24, or 32 with the core_relo fields.
    pub hdr_len: u32,
    /// func_info offset and length (relative to the end of the header).
    pub func_info: (u32, u32),
    /// line_info offset and length.
    pub line_info: (u32, u32),
    /// core_relo offset and length, when the header has them.
    pub core_relo: Option<(u32, u32)>,
}

/// A parsed .BTF.ext section.
#[derive(Clone, Debug)]
pub struct BtfExt<'a> {
    data: &'a [u8],
    header: ExtHeader,
    func_info: Subsection<'a, FuncInfo>,
    line_info: Subsection<'a, LineInfo>,
    core_relo: Subsection<'a, CoreRelo>,
}

const EXT_MIN_HEADER: usize = 24;

impl<'a> BtfExt<'a> {
    /// Parses and checks a .BTF.ext section.
    pub fn parse(data: &'a [u8]) -> Result<BtfExt<'a>> {
        let endian = detect_endian(data).map_err(|e| match e {
            Error::TooShort { len, need, .. } => Error::TooShort {
                what: ".BTF.ext",
                len,
                need,
            },
            other => other,
        })?;
        if data.len() < EXT_MIN_HEADER {
            return Err(Error::TooShort {
                what: ".BTF.ext",
                len: data.len(),
                need: EXT_MIN_HEADER,
            });
        }
        debug_assert_eq!(endian.read_u16(data, 0), Some(MAGIC));
        let word = |off| endian.read_u32(data, off).unwrap_or(0);
        let bad = |offset, what: String| Error::BadExt {
            section: "header",
            offset,
            what,
        };
        if data[2] != 1 {
            return Err(bad(2, format!("unsupported version {}", data[2])));
        }
        if data[3] != 0 {
            return Err(bad(3, format!("unsupported flags {:#x}", data[3])));
        }
        let hdr_len = word(4);
        if (hdr_len as usize) < EXT_MIN_HEADER || hdr_len as usize > data.len() {
            return Err(bad(
                4,
                format!(
                    "header length {hdr_len} is not between {EXT_MIN_HEADER} and the data size {}",
                    data.len()
                ),
            ));
        }
        let header = ExtHeader {
            endian,
            hdr_len,
            func_info: (word(8), word(12)),
            line_info: (word(16), word(20)),
            core_relo: (hdr_len >= 32).then(|| (word(24), word(28))),
        };
        let body = &data[hdr_len as usize..];
        let h = hdr_len as usize;
        let ci = header.core_relo.unwrap_or((0, 0));
        Ok(BtfExt {
            data,
            header,
            func_info: Subsection::parse(body, h, header.func_info, endian)?,
            line_info: Subsection::parse(body, h, header.line_info, endian)?,
            core_relo: Subsection::parse(body, h, ci, endian)?,
        })
    }

    /// The whole section.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The decoded header.
    pub fn header(&self) -> &ExtHeader {
        &self.header
    }

    /// Byte order.
    pub fn endian(&self) -> Endian {
        self.header.endian
    }

    /// func_info: which BTF FUNC each function starts at.
    pub fn func_info(&self) -> &Subsection<'a, FuncInfo> {
        &self.func_info
    }

    /// line_info: source positions of instructions.
    pub fn line_info(&self) -> &Subsection<'a, LineInfo> {
        &self.line_info
    }

    /// CO-RE relocation records.
    pub fn core_relo(&self) -> &Subsection<'a, CoreRelo> {
        &self.core_relo
    }
}

/// One subsection (func_info, line_info or core_relo): blocks of records,
/// one block per ELF code section.
#[derive(Clone, Debug)]
pub struct Subsection<'a, T> {
    rec_size: u32,
    /// Absolute offset of the subsection in .BTF.ext.
    offset: usize,
    blocks: Vec<ExtBlock<'a, T>>,
}

/// The records of one ELF section within a subsection.
#[derive(Clone, Copy, Debug)]
pub struct ExtBlock<'a, T> {
    /// Name of the ELF section (`.text`, `socket` …), a `.BTF` string offset.
    pub sec_name: StrOffset,
    /// Absolute offset of the block in .BTF.ext.
    pub offset: usize,
    rec_size: u32,
    endian: Endian,
    data: &'a [u8],
    _marker: PhantomData<T>,
}

impl<'a, T: ExtRecord> Subsection<'a, T> {
    fn parse(body: &'a [u8], hdr_len: usize, (off, len): (u32, u32), e: Endian) -> Result<Self> {
        let abs = hdr_len + off as usize;
        let mut sub = Subsection {
            rec_size: 0,
            offset: abs,
            blocks: Vec::new(),
        };
        if len == 0 {
            return Ok(sub);
        }
        let bad = |offset: usize, what: String| Error::BadExt {
            section: T::SECTION,
            offset,
            what,
        };
        if off % 4 != 0 {
            return Err(bad(abs, format!("offset {off} is not 4-byte aligned")));
        }
        let Some(data) = (off as usize)
            .checked_add(len as usize)
            .and_then(|end| body.get(off as usize..end))
        else {
            return Err(Error::SectionOutOfRange {
                section: T::SECTION,
                start: abs as u64,
                len: u64::from(len),
                total: hdr_len + body.len(),
            });
        };
        let Some(rec_size) = e.read_u32(data, 0) else {
            return Err(bad(abs, format!("{len} bytes cannot hold a record size")));
        };
        if rec_size < T::MIN_SIZE || rec_size % 4 != 0 {
            return Err(bad(
                abs,
                format!(
                    "record size {rec_size} is not a multiple of 4 of at least {}",
                    T::MIN_SIZE
                ),
            ));
        }
        sub.rec_size = rec_size;
        let mut pos = 4usize;
        while pos < data.len() {
            let block_abs = abs + pos;
            let (Some(name), Some(num)) = (e.read_u32(data, pos), e.read_u32(data, pos + 4)) else {
                return Err(bad(block_abs, "truncated block header".into()));
            };
            if num == 0 {
                return Err(bad(block_abs, "block with no records".into()));
            }
            let bytes = u64::from(num) * u64::from(rec_size);
            let start = pos + 8;
            if start as u64 + bytes > data.len() as u64 {
                return Err(bad(
                    block_abs,
                    format!(
                        "{num} records of {rec_size} bytes run past the end of the subsection ({} bytes left)",
                        data.len() - start.min(data.len())
                    ),
                ));
            }
            let end = start + bytes as usize;
            sub.blocks.push(ExtBlock {
                sec_name: StrOffset(name),
                offset: block_abs,
                rec_size,
                endian: e,
                data: &data[start..end],
                _marker: PhantomData,
            });
            pos = end;
        }
        Ok(sub)
    }

    /// The record size stored in the subsection (0 if absent).
    pub fn rec_size(&self) -> u32 {
        self.rec_size
    }

    /// Absolute offset of the subsection in .BTF.ext.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The blocks, one per ELF section, in file order.
    pub fn blocks(&self) -> &[ExtBlock<'a, T>] {
        &self.blocks
    }

    /// Total number of records.
    pub fn len(&self) -> usize {
        self.blocks.iter().map(|b| b.len()).sum()
    }

    /// Whether the subsection has no records.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

impl<'a, T: ExtRecord> ExtBlock<'a, T> {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.data.len() / self.rec_size as usize
    }

    /// Whether the block has no records (never true for parsed input).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The records, decoded.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = T> + 'a {
        let e = self.endian;
        self.data
            .chunks_exact(self.rec_size as usize)
            .map(move |b| T::decode(e, b))
    }

    /// The raw records, `rec_size` bytes each.
    pub fn raw(&self) -> &'a [u8] {
        self.data
    }

    /// Absolute offset in .BTF.ext of record `i` (for diagnostics).
    pub fn record_offset(&self, i: usize) -> usize {
        self.offset + 8 + i * self.rec_size as usize
    }
}
