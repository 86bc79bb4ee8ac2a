//! `--ext` (being written).
use anyhow::Result;
use btf_core::{Btf, BtfExt};

use crate::cli::DumpArgs;
use crate::output::style::Style;

pub fn run(
    _a: &DumpArgs,
    _btf: &Btf<'_>,
    _ext: &BtfExt<'_>,
    _elf: &[u8],
    _s: Style,
) -> Result<i32> {
    anyhow::bail!("--ext is not available yet")
}
