//! The BTF header (`struct btf_header`) and the 2026 layout section.

use crate::{Endian, Error, Result};

/// The magic number at the start of BTF and .BTF.ext, in the producer's order.
pub const MAGIC: u16 = 0xEB9F;

/// Size of the classic header.
pub const HEADER_LEN: u32 = 24;

/// Size of the header that carries the layout section's offset and length.
pub const HEADER_LEN_LAYOUT: u32 = 32;

/// A decoded BTF header. Section offsets are relative to the end of the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Byte order, detected from the magic.
    pub endian: Endian,
    /// Format version (always 1).
    pub version: u8,
    /// Flags (always 0).
    pub flags: u8,
    /// Header length: 24, or 32 with the layout fields; larger values are
    /// accepted (forward compatibility).
    pub hdr_len: u32,
    /// Offset of the type section.
    pub type_off: u32,
    /// Length of the type section.
    pub type_len: u32,
    /// Offset of the string section.
    pub str_off: u32,
    /// Length of the string section.
    pub str_len: u32,
    /// Offset and length of the layout section, when the header has them.
    pub layout: Option<(u32, u32)>,
}

/// Detects the byte order from a magic number, or returns `BadMagic`.
pub(crate) fn detect_endian(data: &[u8]) -> Result<Endian> {
    let magic = match data.get(0..2) {
        Some(b) => [b[0], b[1]],
        None => {
            return Err(Error::TooShort {
                what: "BTF",
                len: data.len(),
                need: HEADER_LEN as usize,
            })
        }
    };
    if u16::from_le_bytes(magic) == MAGIC {
        Ok(Endian::Little)
    } else if u16::from_be_bytes(magic) == MAGIC {
        Ok(Endian::Big)
    } else {
        Err(Error::BadMagic {
            magic: u16::from_le_bytes(magic),
        })
    }
}

impl Header {
    /// Parses and checks the header at the start of `data`: magic, version,
    /// flags, and that each section lies inside `data`.
    pub fn parse(data: &[u8]) -> Result<Header> {
        let endian = detect_endian(data)?;
        if data.len() < HEADER_LEN as usize {
            return Err(Error::TooShort {
                what: "BTF",
                len: data.len(),
                need: HEADER_LEN as usize,
            });
        }
        let field = |off: usize| endian.read_u32(data, off).unwrap_or(0);
        let version = data[2];
        let flags = data[3];
        if version != 1 {
            return Err(bad_header(2, format!("unsupported version {version}")));
        }
        if flags != 0 {
            return Err(bad_header(3, format!("unsupported flags {flags:#x}")));
        }
        let hdr_len = field(4);
        if hdr_len < HEADER_LEN || hdr_len as usize > data.len() {
            return Err(bad_header(
                4,
                format!(
                    "header length {hdr_len} is not between {HEADER_LEN} and the data size {}",
                    data.len()
                ),
            ));
        }
        let layout = (hdr_len >= HEADER_LEN_LAYOUT).then(|| (field(24), field(28)));
        let header = Header {
            endian,
            version,
            flags,
            hdr_len,
            type_off: field(8),
            type_len: field(12),
            str_off: field(16),
            str_len: field(20),
            layout: layout.filter(|&(_, len)| len != 0),
        };
        header.check_bounds(data.len())?;
        Ok(header)
    }

    fn check_bounds(&self, total: usize) -> Result<()> {
        if self.type_off % 4 != 0 {
            return Err(bad_header(
                8,
                format!(
                    "type section offset {} is not 4-byte aligned",
                    self.type_off
                ),
            ));
        }
        self.section("type section", self.type_off, self.type_len, total)?;
        self.section("string section", self.str_off, self.str_len, total)?;
        if let Some((off, len)) = self.layout {
            self.section("layout section", off, len, total)?;
            if len % 4 != 0 {
                return Err(bad_header(
                    28,
                    format!("layout section length {len} is not a multiple of 4"),
                ));
            }
        }
        Ok(())
    }

    fn section(&self, name: &'static str, off: u32, len: u32, total: usize) -> Result<()> {
        let start = u64::from(self.hdr_len) + u64::from(off);
        if start + u64::from(len) > total as u64 {
            return Err(Error::SectionOutOfRange {
                section: name,
                start,
                len: u64::from(len),
                total,
            });
        }
        Ok(())
    }

    /// Absolute byte range of the type section.
    pub fn type_range(&self) -> std::ops::Range<usize> {
        let start = self.hdr_len as usize + self.type_off as usize;
        start..start + self.type_len as usize
    }

    /// Absolute byte range of the string section.
    pub fn str_range(&self) -> std::ops::Range<usize> {
        let start = self.hdr_len as usize + self.str_off as usize;
        start..start + self.str_len as usize
    }

    /// Absolute byte range of the layout section, if any.
    pub fn layout_range(&self) -> Option<std::ops::Range<usize>> {
        self.layout.map(|(off, len)| {
            let start = self.hdr_len as usize + off as usize;
            start..start + len as usize
        })
    }
}

fn bad_header(offset: usize, what: String) -> Error {
    Error::BadHeader { offset, what }
}

/// One entry of the layout section: how to size a record of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LayoutEntry {
    /// Bytes of fixed trailing data after the 12-byte prefix.
    pub info_sz: u8,
    /// Bytes per vlen element.
    pub elem_sz: u8,
    /// Flags (unused, 0).
    pub flags: u16,
}

/// The layout section: one [`LayoutEntry`] per kind number, so a reader can
/// size records of kinds it does not know.
#[derive(Clone, Copy, Debug)]
pub struct Layout<'a> {
    data: &'a [u8],
    endian: Endian,
}

impl<'a> Layout<'a> {
    pub(crate) fn new(data: &'a [u8], endian: Endian) -> Layout<'a> {
        Layout { data, endian }
    }

    /// Number of kinds described.
    pub fn len(&self) -> usize {
        self.data.len() / 4
    }

    /// Whether the section is empty.
    pub fn is_empty(&self) -> bool {
        self.data.len() < 4
    }

    /// The entry for kind number `kind`, if the section has one.
    pub fn get(&self, kind: u8) -> Option<LayoutEntry> {
        let off = usize::from(kind) * 4;
        let b = self.data.get(off..off + 4)?;
        Some(LayoutEntry {
            info_sz: b[0],
            elem_sz: b[1],
            flags: self.endian.u16([b[2], b[3]]),
        })
    }

    /// The raw bytes of the section.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }
}
