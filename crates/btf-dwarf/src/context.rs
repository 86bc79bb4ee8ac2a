//! What every unit decoder shares: the DWARF, the ELF facts and the options.

use gimli::{Dwarf, UnitHeader};

use crate::attrs::R;
use crate::elf::ElfInfo;
use crate::sections::DebugSections;
use crate::RustNames;

/// Which functions and variables become FUNCs and VARs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Selection {
    /// pahole's choice for vmlinux and modules: functions with a symbol and
    /// named parameters, one FUNC per name; only per-CPU variables.
    Kernel,
    /// Every function with code; every variable with static storage.
    Program,
}

/// Shared, read-only state of one conversion.
pub(crate) struct Ctx<'a> {
    pub dwarf: Dwarf<R<'a>>,
    pub sections: &'a DebugSections<'a>,
    pub elf: &'a ElfInfo<'a>,
    pub selection: Selection,
    pub rust_names: RustNames,
    /// Every compilation unit header, in `.debug_info` order.
    pub headers: Vec<UnitHeader<R<'a>>>,
    /// Flatten multi-dimensional arrays (pahole's encoding).
    pub flatten_arrays: bool,
    /// Where `.debug_str` names end up in the output.
    pub strings: crate::lower::StrTarget<'a>,
}

impl<'a> Ctx<'a> {
    /// The header of the unit containing `.debug_info` offset `off`.
    pub fn header_containing(&self, off: u64) -> Option<&UnitHeader<R<'a>>> {
        let i = self.headers.partition_point(|h| unit_start(h) <= off);
        let h = self.headers.get(i.checked_sub(1)?)?;
        (off < unit_start(h) + h.length_including_self() as u64).then_some(h)
    }
}

/// `.debug_info` offset of a unit header.
pub(crate) fn unit_start(h: &UnitHeader<R<'_>>) -> u64 {
    h.offset()
        .as_debug_info_offset()
        .map_or(u64::MAX, |o| o.0 as u64)
}
