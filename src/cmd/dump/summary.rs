//! `--format summary` (being written).
use anyhow::Result;
use btf_core::Btf;

use super::Selection;
use crate::input::BtfSections;

pub fn run(_btf: &Btf<'_>, _sel: &Selection, _s: &BtfSections<'_>) -> Result<i32> {
    anyhow::bail!("--format summary is not available yet")
}
