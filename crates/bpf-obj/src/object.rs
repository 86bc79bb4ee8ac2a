//! [`Object`]: a parsed BPF ELF relocatable object.

use std::borrow::Cow;

use btf_core::elf::ElfBtf;
use btf_core::Endian;
use object::elf;
use object::read::elf::{FileHeader, Rel, Rela, SectionHeader, Sym};
use object::{Endian as _, Endianness};

use crate::insn::INSN_SIZE;
use crate::section::SHT_NOBITS;
use crate::{
    ElfReloc, Error, Function, Insn, RelocType, Result, Section, SectionIndex, SectionKind, Symbol,
    SymbolBinding, SymbolIndex, SymbolType,
};

type Header = elf::FileHeader64<Endianness>;

/// A parsed BPF object over borrowed bytes.
///
/// Parsing checks everything the accessors rely on, so they are infallible:
/// code sections are whole instructions, every function symbol covers whole
/// instructions inside its section, every code relocation is on an
/// instruction.
#[derive(Debug)]
pub struct Object<'data> {
    data: &'data [u8],
    endian: Endian,
    sections: Vec<Section<'data>>,
    symbols: Vec<Symbol>,
    functions: Vec<Function>,
    /// No two functions of a section overlap (the usual case): lookups by
    /// instruction can binary-search.
    functions_disjoint: bool,
    relocs: Vec<ElfReloc>,
    btf: Option<Cow<'data, [u8]>>,
    btf_ext: Option<Cow<'data, [u8]>>,
}

fn elf_err(e: object::Error) -> Error {
    Error::Elf(e.to_string())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl<'data> Object<'data> {
    /// Parses a 64-bit `EM_BPF` relocatable object in either byte order.
    pub fn parse(data: &'data [u8]) -> Result<Object<'data>> {
        let header = Header::parse(data).map_err(elf_err)?;
        let e = header.endian().map_err(elf_err)?;
        let machine = header.e_machine(e);
        if machine != elf::EM_BPF {
            return Err(Error::NotBpf(format!(
                "e_machine is {machine}, not EM_BPF (247)"
            )));
        }
        let endian = if e.is_little_endian() {
            Endian::Little
        } else {
            Endian::Big
        };
        let table = header.sections(e, data).map_err(elf_err)?;
        let mut sections = Vec::with_capacity(table.len());
        for (i, s) in table.iter().enumerate() {
            let name = lossy(table.section_name(e, s).map_err(elf_err)?);
            let sh_type = s.sh_type(e);
            let flags = s.sh_flags(e);
            let bytes = if sh_type == SHT_NOBITS {
                &[][..]
            } else {
                s.data(e, data)
                    .map_err(|err| Error::Elf(format!("section {name}: {err}")))?
            };
            let kind = SectionKind::classify(&name, sh_type, flags);
            if kind == SectionKind::Code && bytes.len() % INSN_SIZE != 0 {
                return Err(Error::BadCodeSize {
                    section: name,
                    size: bytes.len() as u64,
                });
            }
            sections.push(Section {
                index: SectionIndex(i),
                name,
                kind,
                sh_type,
                flags,
                size: s.sh_size(e),
                align: s.sh_addralign(e),
                file_range: s.file_range(e),
                data: bytes,
            });
        }
        let symbols = read_symbols(e, data, &table)?;
        let functions = find_functions(&sections, &symbols)?;
        let functions_disjoint = functions
            .windows(2)
            .all(|w| w[0].section != w[1].section || w[0].insn_end() <= w[1].insn_start);
        let relocs = read_relocs(e, data, &table, &sections)?;
        let elf_btf = ElfBtf::parse(data)?;
        Ok(Object {
            data,
            endian,
            sections,
            symbols,
            functions,
            functions_disjoint,
            relocs,
            btf: elf_btf.btf,
            btf_ext: elf_btf.btf_ext,
        })
    }

    /// The whole file.
    pub fn as_bytes(&self) -> &'data [u8] {
        self.data
    }

    /// The object's byte order (of the ELF file, its code, BTF and .BTF.ext).
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// All sections, index 0 (the null section) included.
    pub fn sections(&self) -> &[Section<'data>] {
        &self.sections
    }

    /// The section at `index`.
    ///
    /// # Panics
    ///
    /// If `index` did not come from this object.
    pub fn section(&self, index: SectionIndex) -> &Section<'data> {
        &self.sections[index.0]
    }

    /// The first section named `name`.
    pub fn section_by_name(&self, name: &str) -> Option<&Section<'data>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The code sections, in file order.
    pub fn code_sections(&self) -> impl Iterator<Item = &Section<'data>> {
        self.sections.iter().filter(|s| s.is_code())
    }

    /// The symbol table (index 0, the null symbol, included).
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The symbol at `index`, if it exists.
    pub fn symbol(&self, index: SymbolIndex) -> Option<&Symbol> {
        self.symbols.get(index.0)
    }

    /// Functions, ordered by section and start.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// The function containing section-relative instruction `insn` of
    /// `section`, if any (libbpf's `find_prog_by_sec_insn`).
    pub fn function_at(&self, section: SectionIndex, insn: u32) -> Option<&Function> {
        let start = self.functions.partition_point(|f| f.section < section);
        if self.functions_disjoint {
            // The last function starting at or before `insn` is the only
            // one that can contain it: every earlier one ends before it
            // starts.
            let end = self.functions[start..]
                .partition_point(|f| f.section == section && f.insn_start <= insn);
            return end
                .checked_sub(1)
                .map(|i| &self.functions[start + i])
                .filter(|f| f.contains(insn));
        }
        self.functions[start..]
            .iter()
            .take_while(|f| f.section == section)
            .find(|f| f.contains(insn))
    }

    /// Relocations of code sections, ordered by section and offset.
    pub fn relocs(&self) -> &[ElfReloc] {
        &self.relocs
    }

    /// The decoded instructions of a code section; `None` for other sections.
    pub fn insns(&self, section: SectionIndex) -> Option<Vec<Insn>> {
        let s = self.sections.get(section.0)?;
        s.is_code().then(|| Insn::decode_all(self.endian, s.data))
    }

    /// The file offset of instruction `insn` of a code section, for patching
    /// in place; `None` if out of range.
    pub fn insn_file_offset(&self, section: SectionIndex, insn: u32) -> Option<u64> {
        let s = self.sections.get(section.0)?;
        let (start, len) = s.file_range?;
        let off = u64::from(insn) * INSN_SIZE as u64;
        (s.is_code() && off + INSN_SIZE as u64 <= len).then_some(start + off)
    }

    /// Contents of `.BTF` (decompressed if needed).
    pub fn btf(&self) -> Option<&[u8]> {
        self.btf.as_deref()
    }

    /// Contents of `.BTF.ext` (decompressed if needed).
    pub fn btf_ext(&self) -> Option<&[u8]> {
        self.btf_ext.as_deref()
    }

    /// The `.BTF.ext` section header, when its bytes are stored uncompressed
    /// in the file and can be patched in place.
    pub fn btf_ext_section(&self) -> Option<&Section<'data>> {
        self.section_by_name(btf_core::elf::BTF_EXT_SECTION)
            .filter(|s| !s.is_compressed() && s.file_range.is_some())
    }

    /// The program license from the `license` section, up to its NUL.
    pub fn license(&self) -> Option<String> {
        let s = self
            .sections
            .iter()
            .find(|s| s.kind == SectionKind::License)?;
        let end = s.data.iter().position(|&b| b == 0).unwrap_or(s.data.len());
        Some(lossy(&s.data[..end]))
    }
}

fn read_symbols(
    e: Endianness,
    data: &[u8],
    table: &object::read::elf::SectionTable<'_, Header>,
) -> Result<Vec<Symbol>> {
    let syms = table.symbols(e, data, elf::SHT_SYMTAB).map_err(elf_err)?;
    let mut out = Vec::with_capacity(syms.len());
    for (i, sym) in syms.iter().enumerate() {
        let index = object::SymbolIndex(i);
        let name = lossy(syms.symbol_name(e, sym).map_err(elf_err)?);
        let section = syms
            .symbol_section(e, sym, index)
            .map_err(elf_err)?
            .map(|s| SectionIndex(s.0));
        out.push(Symbol {
            index: SymbolIndex(i),
            name,
            value: sym.st_value(e),
            size: sym.st_size(e),
            kind: SymbolType::from_st_info(sym.st_info()),
            binding: SymbolBinding::from_st_info(sym.st_info()),
            section,
        });
    }
    Ok(out)
}

fn find_functions(sections: &[Section<'_>], symbols: &[Symbol]) -> Result<Vec<Function>> {
    let mut out = Vec::new();
    for sym in symbols.iter().filter(|s| s.kind == SymbolType::Func) {
        let Some(sec) = sym.section.and_then(|i| sections.get(i.0)) else {
            continue;
        };
        if !sec.is_code() {
            continue;
        }
        let len = sec.data.len() as u64;
        let fits = sym.value % INSN_SIZE as u64 == 0
            && sym.size % INSN_SIZE as u64 == 0
            && sym
                .value
                .checked_add(sym.size)
                .is_some_and(|end| end <= len);
        if !fits {
            return Err(Error::BadFunction {
                name: sym.name.clone(),
                section: sec.name.clone(),
                value: sym.value,
                size: sym.size,
                section_size: len,
            });
        }
        out.push(Function {
            name: sym.name.clone(),
            symbol: sym.index,
            section: sec.index,
            insn_start: (sym.value / INSN_SIZE as u64) as u32,
            insn_count: (sym.size / INSN_SIZE as u64) as u32,
            is_entry: !sec.is_text(),
            is_global: sym.binding != SymbolBinding::Local,
        });
    }
    out.sort_by_key(|f| (f.section, f.insn_start));
    Ok(out)
}

fn read_relocs(
    e: Endianness,
    data: &[u8],
    table: &object::read::elf::SectionTable<'_, Header>,
    sections: &[Section<'_>],
) -> Result<Vec<ElfReloc>> {
    let mut out = Vec::new();
    for s in table.iter() {
        let target = s.sh_info(e) as usize;
        let Some(code) = sections.get(target).filter(|t| t.is_code()) else {
            continue;
        };
        let mut push = |offset: u64, sym: u32, ty: u32, addend: i64| -> Result<()> {
            if offset % INSN_SIZE as u64 != 0 || offset >= code.data.len() as u64 {
                return Err(Error::BadReloc {
                    section: code.name.clone(),
                    offset,
                });
            }
            out.push(ElfReloc {
                section: code.index,
                insn: (offset / INSN_SIZE as u64) as u32,
                symbol: (sym != 0).then_some(SymbolIndex(sym as usize)),
                kind: RelocType::from_raw(ty),
                addend,
            });
            Ok(())
        };
        if let Some((rels, _)) = s.rel(e, data).map_err(elf_err)? {
            for r in rels {
                push(r.r_offset(e), r.r_sym(e), r.r_type(e), 0)?;
            }
        } else if let Some((relas, _)) = s.rela(e, data).map_err(elf_err)? {
            for r in relas {
                push(
                    r.r_offset(e),
                    r.r_sym(e, false),
                    r.r_type(e, false),
                    r.r_addend(e),
                )?;
            }
        }
    }
    out.sort_by_key(|r| (r.section, r.insn));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let p = format!("{}/../../fixtures/obj/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(p).unwrap()
    }

    /// The binary search over disjoint functions finds what the linear
    /// search (first function in order containing the instruction) finds.
    #[test]
    fn function_at_agrees_with_linear_search() {
        for name in ["core.el.o", "maps_progs.el.o", "kinds.eb.o"] {
            let data = fixture(name);
            let mut obj = Object::parse(&data).unwrap();
            let sections: Vec<_> = obj
                .code_sections()
                .map(|s| (s.index, s.data.len()))
                .collect();
            for (sec, len) in sections {
                for insn in 0..=(len / INSN_SIZE) as u32 {
                    let fast = obj.function_at(sec, insn).map(|f| f.symbol);
                    obj.functions_disjoint = false;
                    let slow = obj.function_at(sec, insn).map(|f| f.symbol);
                    obj.functions_disjoint = true;
                    assert_eq!(fast, slow, "{name}: section {sec:?} insn {insn}");
                }
            }
        }
    }

    #[test]
    fn core_functions_both_orders() {
        for f in ["core.el.o", "core.eb.o"] {
            let data = fixture(f);
            let obj = Object::parse(&data).unwrap();
            let names: Vec<_> = obj.functions().iter().map(|f| f.name.as_str()).collect();
            assert_eq!(
                names,
                ["core_in_text", "core_switch", "core_types", "core_kprobe"],
                "{f}"
            );
            let text = obj.functions()[0].clone();
            assert!(!text.is_entry);
            assert!(text.is_global);
            assert_eq!(obj.section(text.section).name, ".text");
            let exec = obj.functions()[3].clone();
            assert_eq!(obj.function_at(exec.section, 0), Some(&exec));
            assert_eq!(obj.function_at(exec.section, exec.insn_count), None);
            assert!(obj.btf().is_some() && obj.btf_ext().is_some());
            assert_eq!(obj.license().as_deref(), Some("Dual MIT/GPL"));
            // kprobe calls core_in_text: an R_BPF_64_32 against .text.
            assert!(obj
                .relocs()
                .iter()
                .any(|r| r.section == exec.section && r.kind == RelocType::Call32));
        }
    }

    #[test]
    fn el_and_eb_decode_to_the_same_insns() {
        let (el, eb) = (fixture("maps_progs.el.o"), fixture("maps_progs.eb.o"));
        let (el, eb) = (Object::parse(&el).unwrap(), Object::parse(&eb).unwrap());
        // clang emits the same .text for both orders here (other sections
        // differ in constant materialisation).
        for (a, b) in el.code_sections().zip(eb.code_sections()).take(1) {
            assert_eq!(a.name, b.name);
            // Immediates may hold endian-specific constant bytes (strings).
            let shape = |o: &Object<'_>, i| {
                let v = o.insns(i).unwrap();
                v.iter()
                    .map(|n| (n.code, n.dst, n.src, n.off))
                    .collect::<Vec<_>>()
            };
            assert_eq!(shape(&el, a.index), shape(&eb, b.index), "{}", a.name);
        }
        let s = el.section_by_name("xdp").unwrap();
        let off = el.insn_file_offset(s.index, 0).unwrap() as usize;
        assert_eq!(&el.as_bytes()[off..off + 8], &s.data[..8]);
    }

    #[test]
    fn rustc_objects_have_per_function_text_sections() {
        for f in ["rust_enums.el.o", "rust_enums.eb.o"] {
            let data = fixture(f);
            let obj = Object::parse(&data).unwrap();
            let entries: Vec<_> = obj
                .functions()
                .iter()
                .filter(|f| f.is_entry)
                .map(|f| (obj.section(f.section).name.as_str(), f.name.as_str()))
                .collect();
            assert_eq!(
                entries,
                [("socket", "enums_socket"), ("xdp", "enums_xdp")],
                "{f}"
            );
            let classify = obj
                .functions()
                .iter()
                .find(|f| f.name.ends_with("8classify"))
                .unwrap();
            assert!(!classify.is_entry, "{f}");
            assert!(
                obj.section(classify.section).name.starts_with(".text."),
                "{f}"
            );
        }
    }

    #[test]
    fn rejects_non_bpf_and_garbage() {
        assert!(matches!(Object::parse(b"nope"), Err(Error::Elf(_))));
        let mut data = fixture("core.el.o");
        data[18] = 62; // e_machine = EM_X86_64
        assert!(matches!(Object::parse(&data), Err(Error::NotBpf(_))));
    }

    #[test]
    fn truncated_never_panics() {
        let data = fixture("core.el.o");
        for cut in (0..data.len()).step_by(97) {
            let _ = Object::parse(&data[..cut]);
        }
    }
}
