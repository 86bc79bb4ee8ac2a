//! `btfkit dump`: show BTF as bpftool does, as JSON, as a summary, or the
//! object's .BTF.ext.

mod ext;
mod filter;
mod json;
mod raw;
mod summary;

use anyhow::Result;
use btf_core::Btf;

use crate::cli::{DumpArgs, DumpFormat};
use crate::input::{self, InputFile};
use crate::output::style::Style;

pub use filter::Selection;

/// Runs `btfkit dump`.
pub fn run(args: &DumpArgs, style: Style) -> Result<i32> {
    let file = InputFile::open(&args.file)?;
    let base_path = input::default_base(&args.file, args.base.as_deref());
    let base_file = base_path.as_deref().map(InputFile::open).transpose()?;
    let base_sections = base_file.as_ref().map(|f| f.btf_sections()).transpose()?;
    let base = match (&base_file, &base_sections) {
        (Some(f), Some(s)) => Some(input::parse_btf(&s.btf, None, f.path(), s.section)?),
        _ => None,
    };
    let sections = file.btf_sections()?;
    let btf = input::parse_btf(&sections.btf, base.as_ref(), file.path(), sections.section)?;

    if args.ext {
        let Some(ext_bytes) = sections.ext.as_deref() else {
            anyhow::bail!("{}: no .BTF.ext section", file.path().display());
        };
        let ext = input::parse_ext(ext_bytes, file.path())?;
        return ext::run(args, &btf, &ext, file.bytes(), style);
    }

    let selection = Selection::new(args, &btf)?;
    match args.format {
        DumpFormat::Raw => raw::run(&btf, &selection, style),
        DumpFormat::Json => json::run(&btf, &selection, args.pretty),
        DumpFormat::Summary => summary::run(&btf, &selection, &sections),
    }
}

/// The ids a dump shows, in ascending order.
pub fn selected_ids<'s>(
    btf: &'s Btf<'_>,
    sel: &'s Selection,
) -> Box<dyn Iterator<Item = btf_core::TypeId> + 's> {
    match sel.ids() {
        Some(ids) => Box::new(ids.iter().copied()),
        None => Box::new((btf.first_id().0..btf.type_count()).map(btf_core::TypeId)),
    }
}
