//! `--format json` (being written).
use anyhow::Result;
use btf_core::Btf;

use super::Selection;

pub fn run(_btf: &Btf<'_>, _sel: &Selection, _pretty: bool) -> Result<i32> {
    anyhow::bail!("--format json is not available yet")
}
