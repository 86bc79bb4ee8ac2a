//! func_info records (`struct bpf_func_info`).

use super::ExtRecord;
use crate::endian::u32_at;
use crate::{Endian, TypeId};

/// Where a function starts and which BTF FUNC describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    /// Byte offset of the function's first instruction in its ELF section.
    pub insn_off: u32,
    /// The FUNC type.
    pub type_id: TypeId,
}

impl ExtRecord for FuncInfo {
    const SECTION: &'static str = "func_info";
    const MIN_SIZE: u32 = 8;
    fn decode(e: Endian, b: &[u8]) -> FuncInfo {
        FuncInfo {
            insn_off: u32_at(e, b, 0),
            type_id: TypeId(u32_at(e, b, 4)),
        }
    }
}
