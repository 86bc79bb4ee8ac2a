//! What the encoder needs from the ELF file besides DWARF: byte order, the
//! section table (to place variables), and the symbol table (to choose
//! functions the way pahole does).

use object::{
    Object, ObjectKind, ObjectSection, ObjectSymbol, SectionFlags, SectionKind, SymbolKind,
};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::{Error, Result};

/// `SHF_ALLOC`: the section occupies memory at run time.
const SHF_ALLOC: u64 = 0x2;

/// One ELF section, as far as variable placement is concerned.
#[derive(Clone, Debug)]
pub(crate) struct SectionInfo {
    /// Section name (`.data..percpu`, `.bss.COUNTER`).
    pub name: Vec<u8>,
    /// `sh_addr`.
    pub addr: u64,
    /// `sh_size`.
    pub size: u64,
    /// `SHF_ALLOC` and not thread-local: a place a VAR can live.
    pub data: bool,
}

/// The facts about the ELF file the encoder uses.
#[derive(Debug)]
pub(crate) struct ElfInfo<'data> {
    /// Big-endian target.
    pub big_endian: bool,
    /// Pointer size in bytes.
    pub address_size: u8,
    /// A relocatable object (`.o`, `.ko`): DWARF needs its relocations
    /// applied and addresses are section-relative.
    pub relocatable: bool,
    /// The file is a Linux kernel image or module.
    pub is_kernel: bool,
    /// Sections by ELF section index (index 0 is the null section).
    pub sections: Vec<Option<SectionInfo>>,
    /// Allocated sections sorted by address, for address → section lookups
    /// in linked files: `(start, end, section index)`.
    by_addr: Vec<(u64, u64, usize)>,
    /// Names of defined `STT_FUNC` symbols.
    pub functions: FxHashSet<&'data [u8]>,
    /// Defined `STT_OBJECT` symbols by (section index, value).
    pub objects: FxHashSet<(usize, u64)>,
}

impl<'data> ElfInfo<'data> {
    /// Reads the section and symbol tables of `file`.
    pub fn new(file: &object::File<'data>) -> Result<ElfInfo<'data>> {
        let relocatable = file.kind() == ObjectKind::Relocatable;
        let mut sections: Vec<Option<SectionInfo>> = Vec::new();
        let mut by_addr = Vec::new();
        let mut names: FxHashMap<Vec<u8>, ()> = FxHashMap::default();
        for s in file.sections() {
            let idx = s.index().0;
            let name = s.name_bytes().map_err(|e| Error::Elf(e.to_string()))?;
            let alloc = match s.flags() {
                SectionFlags::Elf { sh_flags } => sh_flags & SHF_ALLOC != 0,
                _ => false,
            };
            let tls = matches!(s.kind(), SectionKind::Tls | SectionKind::UninitializedTls);
            let data = alloc && !tls && !name.is_empty();
            if idx >= sections.len() {
                sections.resize(idx + 1, None);
            }
            names.insert(name.to_vec(), ());
            sections[idx] = Some(SectionInfo {
                name: name.to_vec(),
                addr: s.address(),
                size: s.size(),
                data,
            });
            if data && s.size() > 0 {
                by_addr.push((s.address(), s.address().saturating_add(s.size()), idx));
            }
        }
        by_addr.sort_unstable();

        let mut functions = FxHashSet::default();
        let mut objects = FxHashSet::default();
        let mut linux_banner = false;
        for sym in file.symbols() {
            if !sym.is_definition() {
                continue;
            }
            let Ok(name) = sym.name_bytes() else { continue };
            let section = sym.section_index().map(|i| i.0);
            match sym.kind() {
                SymbolKind::Text => {
                    functions.insert(name);
                }
                SymbolKind::Data => {
                    if let Some(sec) = section {
                        objects.insert((sec, sym.address()));
                    }
                    linux_banner |= name == b"linux_banner";
                }
                _ => {}
            }
        }
        let is_module = names.contains_key(&b".gnu.linkonce.this_module"[..]);
        Ok(ElfInfo {
            big_endian: !file.is_little_endian(),
            address_size: if file.is_64() { 8 } else { 4 },
            relocatable,
            is_kernel: linux_banner || is_module,
            sections,
            by_addr,
            functions,
            objects,
        })
    }

    /// Facts for DWARF without an ELF file: no sections, no symbols.
    pub fn synthetic(big_endian: bool) -> ElfInfo<'data> {
        ElfInfo {
            big_endian,
            address_size: 8,
            relocatable: false,
            is_kernel: false,
            sections: Vec::new(),
            by_addr: Vec::new(),
            functions: FxHashSet::default(),
            objects: FxHashSet::default(),
        }
    }

    /// The section holding address `addr` in a linked file.
    pub fn section_of_address(&self, addr: u64) -> Option<usize> {
        let i = self.by_addr.partition_point(|&(start, _, _)| start <= addr);
        // Sections may overlap (the per-CPU area is linked at 0): look back
        // over every section starting at or before `addr`.
        self.by_addr[..i]
            .iter()
            .rev()
            .find(|&&(start, end, _)| addr >= start && addr < end)
            .map(|&(_, _, idx)| idx)
    }

    /// The section with index `idx`, if it exists.
    pub fn section(&self, idx: usize) -> Option<&SectionInfo> {
        self.sections.get(idx).and_then(Option::as_ref)
    }
}
