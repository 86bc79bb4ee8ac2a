//! Loading the object and the target BTFs for `relocate` and `check`.

use std::path::Path;

use anyhow::{Context, Result};
use bpf_obj::Object;
use btf_core::{Btf, BtfExt};
use btf_reloc::{BtfView, Target, Targets};

use crate::input::{self, BtfSections, InputFile};

/// A BPF object file, mapped.
pub struct ObjectInput {
    file: InputFile,
}

/// A parsed BPF object with its BTF and .BTF.ext.
pub struct ParsedObject<'a> {
    /// The ELF object.
    pub obj: Object<'a>,
    /// .BTF.ext, if present.
    pub ext: Option<BtfExt<'a>>,
    /// The parsed local BTF.
    pub btf: Btf<'a>,
}

impl ObjectInput {
    /// Maps the object.
    pub fn open(path: &Path) -> Result<ObjectInput> {
        Ok(ObjectInput {
            file: InputFile::open(path)?,
        })
    }

    /// Parses the ELF object, its .BTF and .BTF.ext.
    pub fn parse(&self) -> Result<ParsedObject<'_>> {
        let path = self.file.path();
        let obj =
            Object::parse(self.file.bytes()).with_context(|| format!("{}", path.display()))?;
        let btf_bytes: &[u8] = match obj.btf() {
            // The object owns decompressed bytes; borrow them for the
            // object's lifetime through the file mapping when uncompressed.
            Some(_) => obj_btf(&obj),
            None => anyhow::bail!("{}: no .BTF section (not built with -g?)", path.display()),
        };
        let btf = input::parse_btf(btf_bytes, None, path, "section .BTF")?;
        let ext = match obj_ext(&obj) {
            Some(b) => Some(input::parse_ext(b, path)?),
            None => None,
        };
        Ok(ParsedObject { obj, ext, btf })
    }
}

/// The object's .BTF bytes with the lifetime of the file (decompressed
/// sections are leaked once per process: objects are small and the CLI
/// reads one).
fn obj_btf<'a>(obj: &Object<'a>) -> &'a [u8] {
    leak_or_borrow(
        obj,
        obj.btf().unwrap_or_default(),
        btf_core::elf::BTF_SECTION,
    )
}

fn obj_ext<'a>(obj: &Object<'a>) -> Option<&'a [u8]> {
    obj.btf_ext()
        .map(|b| leak_or_borrow(obj, b, btf_core::elf::BTF_EXT_SECTION))
}

fn leak_or_borrow<'a>(obj: &Object<'a>, bytes: &[u8], name: &str) -> &'a [u8] {
    match obj.section_by_name(name) {
        Some(s) if !s.is_compressed() => s.data,
        _ => Box::leak(bytes.to_vec().into_boxed_slice()),
    }
}

impl<'a> ParsedObject<'a> {
    /// The local BTF view.
    pub fn view(&self) -> BtfView<'_> {
        BtfView::new(&self.btf)
    }
}

/// A target BTF file, mapped.
pub struct TargetInput {
    file: InputFile,
}

impl TargetInput {
    /// Maps a target BTF file.
    pub fn open(path: &Path) -> Result<TargetInput> {
        Ok(TargetInput {
            file: InputFile::open(path)?,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The BTF blob (raw file, or the ELF file's .BTF).
    pub fn sections(&self) -> Result<BtfSections<'_>> {
        self.file.btf_sections()
    }

    /// Parses the target (split on `base` for module BTF). The returned
    /// BTF borrows a leaked copy only if the ELF section was compressed.
    pub fn parse<'s>(&'s self, base: Option<&'s Btf<'s>>) -> Result<Btf<'s>> {
        let sections = self.sections()?;
        let bytes: &'s [u8] = match sections.btf {
            std::borrow::Cow::Borrowed(b) => b,
            std::borrow::Cow::Owned(v) => Box::leak(v.into_boxed_slice()),
        };
        input::parse_btf(bytes, base, self.path(), sections.section)
    }

    /// A short name: the file name.
    pub fn name(&self) -> String {
        self.path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path().display().to_string())
    }
}

/// Targets: the main BTF named `main_name`, then the modules.
pub fn targets<'a>(
    main_name: &str,
    main: &'a Btf<'a>,
    module_files: &[TargetInput],
    modules: &'a [Btf<'a>],
) -> Targets<'a> {
    let mut t = Targets::new(Target::new(main_name, main));
    for (f, m) in module_files.iter().zip(modules) {
        t.add_module(Target::new(f.name(), m));
    }
    t
}
