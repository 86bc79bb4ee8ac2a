//! Byte order of a BTF blob, detected from its magic.

/// The byte order a BTF or .BTF.ext blob was written in.
///
/// BTF has no byte-order field: the producer's order is recognised by
/// comparing the magic `0xEB9F` with its byte swap.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Endian {
    /// Least significant byte first (x86-64, `bpfel`).
    Little,
    /// Most significant byte first (s390x, `bpfeb`).
    Big,
}

impl Endian {
    /// The byte order of the machine btfkit runs on.
    pub const NATIVE: Endian = if cfg!(target_endian = "big") {
        Endian::Big
    } else {
        Endian::Little
    };

    /// Reads a `u16` from the first two bytes of `b`.
    #[inline]
    pub fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }

    /// Decodes a `u32` from four bytes.
    #[inline]
    pub fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }

    /// Encodes a `u16`.
    #[inline]
    pub fn u16_bytes(self, v: u16) -> [u8; 2] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    /// Encodes a `u32`.
    #[inline]
    pub fn u32_bytes(self, v: u32) -> [u8; 4] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    /// Reads the `u32` at `off` in `data`, or `None` if it does not fit.
    #[inline]
    pub fn read_u32(self, data: &[u8], off: usize) -> Option<u32> {
        let end = off.checked_add(4)?;
        let b: [u8; 4] = data.get(off..end)?.try_into().ok()?;
        Some(self.u32(b))
    }

    /// Reads the `u16` at `off` in `data`, or `None` if it does not fit.
    #[inline]
    pub fn read_u16(self, data: &[u8], off: usize) -> Option<u16> {
        let end = off.checked_add(2)?;
        let b: [u8; 2] = data.get(off..end)?.try_into().ok()?;
        Some(self.u16(b))
    }

    /// Short lowercase name: `little` or `big`.
    pub fn name(self) -> &'static str {
        match self {
            Endian::Little => "little",
            Endian::Big => "big",
        }
    }
}

/// Reads the `u32` at `off`, panicking-free, for slices already bounds-checked
/// by the parser. Returns 0 if out of range (callers validated the record).
#[inline]
pub(crate) fn u32_at(e: Endian, data: &[u8], off: usize) -> u32 {
    e.read_u32(data, off).unwrap_or(0)
}
