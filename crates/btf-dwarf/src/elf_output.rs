//! Writing BTF into an ELF file: a copy of the input with a `.BTF` section
//! added or replaced and every other byte where it was.
//!
//! pahole does this with `llvm-objcopy --add-section`; btfkit appends
//! instead of rewriting: the input is copied unchanged, then the BTF, a
//! new section-name table and a new section header table are appended and
//! the ELF header is pointed at them. Section contents, symbols,
//! relocations and program headers are untouched, whatever section types
//! the file uses (object's ELF builder rejects ones it does not know, such
//! as clang's `.llvm_addrsig`). The old header table and name table stay
//! behind as unused bytes.

use object::{elf, Object, ObjectSection};

use crate::{Error, Result};

/// Name of the section holding BTF.
const BTF_SECTION: &str = ".BTF";

/// Section counts from here on use extended numbering.
const SHN_LORESERVE: usize = elf::SHN_LORESERVE as usize;

/// Where the fields of the ELF and section headers are, for one class.
struct Layout {
    is_64: bool,
    big_endian: bool,
}

impl Layout {
    fn shdr_size(&self) -> usize {
        if self.is_64 {
            64
        } else {
            40
        }
    }

    fn get(&self, b: &[u8], at: usize, width: usize) -> Result<u64> {
        let bytes = b
            .get(at..at + width)
            .ok_or_else(|| bad("header out of bounds"))?;
        let mut v = 0u64;
        for i in 0..width {
            let byte = if self.big_endian {
                bytes[i]
            } else {
                bytes[width - 1 - i]
            };
            v = v << 8 | u64::from(byte);
        }
        Ok(v)
    }

    fn put(&self, b: &mut [u8], at: usize, width: usize, v: u64) {
        for i in 0..width {
            let shift = 8 * if self.big_endian { width - 1 - i } else { i };
            b[at + i] = (v >> shift) as u8;
        }
    }

    /// `(offset, width)` of a word-sized field: ELF64 offset, ELF32 offset.
    fn word(&self, at64: usize, at32: usize) -> (usize, usize) {
        if self.is_64 {
            (at64, 8)
        } else {
            (at32, 4)
        }
    }

    fn e_shoff(&self) -> (usize, usize) {
        self.word(0x28, 0x20)
    }

    fn e_half(&self, at64: usize, at32: usize) -> (usize, usize) {
        (if self.is_64 { at64 } else { at32 }, 2)
    }

    fn sh_type(&self) -> (usize, usize) {
        (4, 4)
    }

    fn sh_flags(&self) -> (usize, usize) {
        self.word(8, 8)
    }

    fn sh_offset(&self) -> (usize, usize) {
        self.word(24, 16)
    }

    fn sh_size(&self) -> (usize, usize) {
        self.word(32, 20)
    }

    fn sh_info(&self) -> (usize, usize) {
        (if self.is_64 { 44 } else { 28 }, 4)
    }

    fn sh_addralign(&self) -> (usize, usize) {
        self.word(48, 32)
    }
}

fn bad(what: &str) -> Error {
    Error::Section {
        section: ".BTF".into(),
        what: what.into(),
    }
}

/// `elf` with a `.BTF` section holding `btf`.
///
/// An existing `.BTF` is replaced (and relocations against it dropped: they
/// were for the old contents). An allocated `.BTF` in a linked image
/// (vmlinux) cannot move, so it is rewritten in place and must keep its
/// size; write raw BTF with `-o` instead.
pub fn with_btf_section(elf: &[u8], btf: &[u8]) -> Result<Vec<u8>> {
    let file = object::File::parse(elf).map_err(|e| Error::Elf(e.to_string()))?;
    let l = Layout {
        is_64: file.is_64(),
        big_endian: !file.is_little_endian(),
    };
    let existing = file.section_by_name(BTF_SECTION).map(|s| s.index().0);
    let (shoff_at, w) = l.e_shoff();
    let shoff = l.get(elf, shoff_at, w)? as usize;
    let (shnum_at, _) = l.e_half(0x3C, 0x30);
    let (shstrndx_at, _) = l.e_half(0x3E, 0x32);
    let shnum = l.get(elf, shnum_at, 2)? as usize;
    let shstrndx = l.get(elf, shstrndx_at, 2)? as usize;
    let e_type = l.get(elf, 0x10, 2)? as u16;
    let size = l.shdr_size();
    if shnum == 0 || shnum >= SHN_LORESERVE || shstrndx == 0 || shstrndx >= shnum {
        return Err(bad(
            "the file uses extended section numbering; not supported",
        ));
    }
    let table = elf
        .get(shoff..shoff + shnum * size)
        .ok_or_else(|| bad("section header table out of bounds"))?;
    let mut headers: Vec<Vec<u8>> = table.chunks(size).map(<[u8]>::to_vec).collect();

    if let Some(i) = existing {
        let flags = l.get(&headers[i], l.sh_flags().0, l.sh_flags().1)?;
        if flags & u64::from(elf::SHF_ALLOC) != 0 && e_type != elf::ET_REL {
            return in_place(elf, &l, &headers[i], btf);
        }
    }

    let mut out = elf.to_vec();
    // The BTF, 8-aligned.
    pad(&mut out, 8);
    let btf_at = out.len();
    out.extend_from_slice(btf);
    // A new name table: the old one, plus ".BTF" if the section is new.
    let names = &headers[shstrndx];
    let names_at = l.get(names, l.sh_offset().0, l.sh_offset().1)? as usize;
    let names_len = l.get(names, l.sh_size().0, l.sh_size().1)? as usize;
    let old_names = elf
        .get(names_at..names_at + names_len)
        .ok_or_else(|| bad("section name table out of bounds"))?;
    let mut new_names = old_names.to_vec();
    let btf_name = new_names.len() as u64;
    if existing.is_none() {
        new_names.extend_from_slice(b".BTF\0");
    }
    let new_names_at = out.len();
    out.extend_from_slice(&new_names);
    set(
        &l,
        &mut headers[shstrndx],
        l.sh_offset(),
        new_names_at as u64,
    );
    set(
        &l,
        &mut headers[shstrndx],
        l.sh_size(),
        new_names.len() as u64,
    );

    match existing {
        Some(i) => {
            set(&l, &mut headers[i], l.sh_offset(), btf_at as u64);
            set(&l, &mut headers[i], l.sh_size(), btf.len() as u64);
            drop_relocations_against(&l, &mut headers, i)?;
        }
        None => {
            let mut h = vec![0u8; size];
            l.put(&mut h, 0, 4, btf_name);
            set(&l, &mut h, l.sh_type(), u64::from(elf::SHT_PROGBITS));
            set(&l, &mut h, l.sh_offset(), btf_at as u64);
            set(&l, &mut h, l.sh_size(), btf.len() as u64);
            set(&l, &mut h, l.sh_addralign(), 4);
            headers.push(h);
        }
    }
    if headers.len() >= SHN_LORESERVE {
        return Err(bad("too many sections"));
    }
    pad(&mut out, 8);
    let new_shoff = out.len();
    for h in &headers {
        out.extend_from_slice(h);
    }
    l.put(&mut out, shoff_at, w, new_shoff as u64);
    l.put(&mut out, shnum_at, 2, headers.len() as u64);
    Ok(out)
}

/// Rewrites an allocated `.BTF` where it is.
fn in_place(elf: &[u8], l: &Layout, header: &[u8], btf: &[u8]) -> Result<Vec<u8>> {
    let at = l.get(header, l.sh_offset().0, l.sh_offset().1)? as usize;
    let len = l.get(header, l.sh_size().0, l.sh_size().1)? as usize;
    if len != btf.len() {
        return Err(bad(&format!(
            "is allocated in a linked image and holds {len} bytes; the new BTF has {} (write it \
             with -o instead)",
            btf.len()
        )));
    }
    let mut out = elf.to_vec();
    out.get_mut(at..at + len)
        .ok_or_else(|| bad("section out of bounds"))?
        .copy_from_slice(btf);
    Ok(out)
}

/// Relocation sections that applied to the old `.BTF` (clang's `.rel.BTF`
/// in BPF objects) would corrupt the new one: they become `SHT_NULL`.
fn drop_relocations_against(l: &Layout, headers: &mut [Vec<u8>], target: usize) -> Result<()> {
    for h in headers.iter_mut() {
        let ty = l.get(h, l.sh_type().0, l.sh_type().1)? as u32;
        let info = l.get(h, l.sh_info().0, l.sh_info().1)? as usize;
        if (ty == elf::SHT_REL || ty == elf::SHT_RELA) && info == target {
            set(l, h, l.sh_type(), u64::from(elf::SHT_NULL));
        }
    }
    Ok(())
}

fn set(l: &Layout, h: &mut [u8], (at, width): (usize, usize), v: u64) {
    l.put(h, at, width, v);
}

fn pad(out: &mut Vec<u8>, align: usize) {
    while out.len() % align != 0 {
        out.push(0);
    }
}
