//! line_info records (`struct bpf_line_info`).

use super::ExtRecord;
use crate::endian::u32_at;
use crate::{Endian, StrOffset};

/// The source position of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineInfo {
    /// Byte offset of the instruction in its ELF section.
    pub insn_off: u32,
    /// Source file name (a `.BTF` string).
    pub file_name: StrOffset,
    /// The source line's text (a `.BTF` string).
    pub line: StrOffset,
    /// `line << 10 | column`.
    pub line_col: u32,
}

impl LineInfo {
    /// Line number (1-based).
    pub fn line_number(&self) -> u32 {
        self.line_col >> 10
    }

    /// Column number.
    pub fn column(&self) -> u32 {
        self.line_col & 0x3ff
    }
}

impl ExtRecord for LineInfo {
    const SECTION: &'static str = "line_info";
    const MIN_SIZE: u32 = 16;
    fn decode(e: Endian, b: &[u8]) -> LineInfo {
        LineInfo {
            insn_off: u32_at(e, b, 0),
            file_name: StrOffset(u32_at(e, b, 4)),
            line: StrOffset(u32_at(e, b, 8)),
            line_col: u32_at(e, b, 12),
        }
    }
}
