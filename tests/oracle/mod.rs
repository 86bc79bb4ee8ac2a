//! The libbpf differential oracle for `btfkit relocate`, shared by
//! tests/relocate_libbpf.rs and tests/relocate_kernel.rs.
//!
//! Everything here is independent of btfkit's own crates: a minimal ELF64
//! reader (code sections, function symbols), a minimal BTF reader (enough to
//! tell whether an access string ends at a bitfield), a `.BTF.ext` core_relo
//! reader, the C harness `libbpf_core_oracle.c` (compiled at test time
//! against the system libbpf), a parser for its output and libbpf's log, and
//! the comparer that turns libbpf's `patched insn` / `substituting insn`
//! lines into expected instructions and checks `btfkit relocate
//! --dump-insns` against them instruction by instruction.
//!
//! Numbering (CORE.md §1): libbpf's `relo #i` is the index in the section's
//! record list; its `insn #N` is relative to the start of the (sub)program
//! named in the line. libbpf 1.1 relocates a `.text` function as its own
//! subprogram before appending it to callers, so `.text` lines name the
//! subprogram and count from its start; the SYM lines of the harness (and
//! this file's ELF reader) map every function back to its section offset.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::*;

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// A path under fixtures/core.
pub fn core(rel: &str) -> PathBuf {
    fixture("core").join(rel)
}

/// A CO-RE test program object, `e` = "el" or "eb".
pub fn prog_obj(prog: &str, e: &str) -> PathBuf {
    core(&format!("obj/{prog}.{e}.o"))
}

/// Every program under fixtures/core/obj, by build.sh's list.
pub const PROGS: &[&str] = &[
    "fields",
    "bitfields",
    "flavors",
    "enums",
    "types",
    "subprogs",
    "kernel",
    "enum_unsigned",
    "order_ab",
    "order_ba",
    "amb_size",
    "err_bitfield",
    "quirk",
];

/// The synthetic targets built from fixtures/core/targets in both byte orders.
pub const SYNTHETIC: &[&str] = &[
    "t_base",
    "t_moved",
    "t_resized",
    "t_renamed",
    "t_flavors",
    "t_empty",
    "t_ambig",
    "t_quirk",
];

/// The one case where btfkit's default semantics knowingly give another
/// value than libbpf although libbpf succeeds (besides unsigned enums):
/// libbpf's member search keeps the bit offset of a rejected same-named
/// member inside an anonymous member (fixtures/core/targets/t_quirk.c).
pub fn member_quirk_case(prog: &str, target_label: &str) -> bool {
    prog == "quirk" && target_label == "t_quirk"
}

/// One relocation target: a label for reports and a file.
#[derive(Clone, Debug)]
pub struct Target {
    pub label: String,
    pub path: PathBuf,
    /// Whether this target is one of the real kernels.
    pub kernel: bool,
}

/// The targets of a program in byte order `e`: its own BTF, the synthetic
/// targets, and for "el" also the pahole-built variants and the two real
/// kernels (the running one only if it exposes BTF).
pub fn targets(prog: &str, e: &str) -> Vec<Target> {
    let mut v = vec![Target {
        label: "self".into(),
        path: core(&format!("btf/{prog}.self.{e}.btf")),
        kernel: false,
    }];
    for t in SYNTHETIC {
        v.push(Target {
            label: (*t).into(),
            path: core(&format!("btf/{t}.{e}.btf")),
            kernel: false,
        });
    }
    if e == "el" {
        for (label, file) in [
            ("t_base.pahole", "t_base.pahole.btf"),
            ("t_base.ilp32", "t_base.ilp32.btf"),
        ] {
            v.push(Target {
                label: label.into(),
                path: core(&format!("btf/{file}")),
                kernel: false,
            });
        }
        if running_kernel_target() {
            v.push(Target {
                label: "vmlinux".into(),
                path: VMLINUX.into(),
                kernel: true,
            });
        }
        v.push(Target {
            label: "linux-6.1".into(),
            path: kernel_61(),
            kernel: true,
        });
    }
    v
}

/// Whether the running kernel's BTF ([`VMLINUX`]) can join the targets.
/// When it is missing this skips loudly, once per test binary, or panics
/// under `BTFKIT_REQUIRE_ORACLES=1` (in every caller: a panic leaves the
/// cell empty, so the next call checks again).
fn running_kernel_target() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| {
        require_file(
            "oracle::targets (the vmlinux relocation target is left out)",
            Path::new(VMLINUX),
        )
    })
}

// ---------------------------------------------------------------------------
// Instructions
// ---------------------------------------------------------------------------

/// One 8-byte BPF instruction slot, decoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Insn {
    pub code: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

/// libbpf's poison: `call 0xbad2310`.
pub const POISON: Insn = Insn {
    code: 0x85,
    dst: 0,
    src: 0,
    off: 0,
    imm: 0x0bad_2310,
};

impl Insn {
    pub fn decode(b: &[u8], big_endian: bool) -> Insn {
        let (dst, src) = if big_endian {
            (b[1] >> 4, b[1] & 0xf)
        } else {
            (b[1] & 0xf, b[1] >> 4)
        };
        let off = [b[2], b[3]];
        let imm = [b[4], b[5], b[6], b[7]];
        Insn {
            code: b[0],
            dst,
            src,
            off: if big_endian {
                i16::from_be_bytes(off)
            } else {
                i16::from_le_bytes(off)
            },
            imm: if big_endian {
                i32::from_be_bytes(imm)
            } else {
                i32::from_le_bytes(imm)
            },
        }
    }

    /// Parses the `code=0x.. dst=.. src=.. off=.. imm=..` tail of an INSN
    /// (btfkit) or PINSN (harness) line.
    pub fn parse_fields<'a>(mut it: impl Iterator<Item = &'a str>) -> Option<Insn> {
        let mut field = |key: &str| -> Option<&'a str> { it.next()?.strip_prefix(key) };
        let code = u8::from_str_radix(field("code=0x")?, 16).ok()?;
        let dst = field("dst=")?.parse().ok()?;
        let src = field("src=")?.parse().ok()?;
        let off = field("off=")?.parse().ok()?;
        let imm = field("imm=")?.parse().ok()?;
        Some(Insn {
            code,
            dst,
            src,
            off,
            imm,
        })
    }

    pub fn class(&self) -> u8 {
        self.code & 7
    }

    pub fn is_ld_imm64(&self) -> bool {
        self.code == 0x18
    }

    /// LDX, ST or STX (memory access with a size).
    pub fn is_mem(&self) -> bool {
        matches!(self.class(), 1..=3)
    }

    /// Memory access size in bytes of an LDX/ST/STX.
    pub fn mem_size(&self) -> u32 {
        match self.code & 0x18 {
            0x00 => 4,
            0x08 => 2,
            0x10 => 1,
            _ => 8,
        }
    }

    fn with_mem_size(mut self, size: i128) -> Insn {
        let bits = match size {
            1 => 0x10,
            2 => 0x08,
            4 => 0x00,
            _ => 0x18,
        };
        self.code = (self.code & !0x18) | bits;
        self
    }
}

impl fmt::Display for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "code=0x{:02x} dst={} src={} off={} imm={}",
            self.code, self.dst, self.src, self.off, self.imm
        )
    }
}

/// The instructions of every code section, by section name.
pub type Sections = BTreeMap<String, Vec<Insn>>;

// ---------------------------------------------------------------------------
// A minimal ELF64 reader
// ---------------------------------------------------------------------------

pub struct Elf {
    pub path: PathBuf,
    pub data: Vec<u8>,
    pub big_endian: bool,
    pub sections: Vec<ElfSection>,
}

#[derive(Clone, Debug)]
pub struct ElfSection {
    pub index: usize,
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub offset: usize,
    pub size: usize,
    pub link: u32,
    pub entsize: u64,
}

/// A function symbol: `len` instructions from `start` in `section`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Func {
    pub section: String,
    pub name: String,
    pub start: usize,
    pub len: usize,
}

const SHT_SYMTAB: u32 = 2;
const SHF_EXECINSTR: u64 = 4;
const STT_FUNC: u8 = 2;

impl Elf {
    pub fn read(path: &Path) -> Elf {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            data.starts_with(b"\x7fELF") && data[4] == 2,
            "{}: not ELF64",
            path.display()
        );
        let big_endian = data[5] == 2;
        let mut elf = Elf {
            path: path.into(),
            data,
            big_endian,
            sections: Vec::new(),
        };
        let shoff = elf.u64(0x28) as usize;
        let shentsize = elf.u16(0x3a) as usize;
        let shnum = elf.u16(0x3c) as usize;
        let shstrndx = elf.u16(0x3e) as usize;
        let raw: Vec<(u32, ElfSection)> = (0..shnum)
            .map(|i| {
                let h = shoff + i * shentsize;
                (
                    elf.u32(h),
                    ElfSection {
                        index: i,
                        name: String::new(),
                        sh_type: elf.u32(h + 4),
                        flags: elf.u64(h + 8),
                        offset: elf.u64(h + 24) as usize,
                        size: elf.u64(h + 32) as usize,
                        link: elf.u32(h + 40),
                        entsize: elf.u64(h + 56),
                    },
                )
            })
            .collect();
        let strtab = raw[shstrndx].1.offset;
        elf.sections = raw
            .into_iter()
            .map(|(name, mut s)| {
                s.name = elf.cstr(strtab + name as usize);
                s
            })
            .collect();
        elf
    }

    fn u16(&self, at: usize) -> u16 {
        let b = [self.data[at], self.data[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    pub fn u32(&self, at: usize) -> u32 {
        let b: [u8; 4] = self.data[at..at + 4].try_into().unwrap();
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    fn u64(&self, at: usize) -> u64 {
        let b: [u8; 8] = self.data[at..at + 8].try_into().unwrap();
        if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        }
    }

    fn cstr(&self, at: usize) -> String {
        let end = self.data[at..].iter().position(|&b| b == 0).unwrap() + at;
        String::from_utf8_lossy(&self.data[at..end]).into_owned()
    }

    pub fn section(&self, name: &str) -> Option<&ElfSection> {
        self.sections.iter().find(|s| s.name == name)
    }

    pub fn bytes(&self, s: &ElfSection) -> &[u8] {
        &self.data[s.offset..s.offset + s.size]
    }

    /// The instructions of every non-empty executable section.
    pub fn code_sections(&self) -> Sections {
        self.sections
            .iter()
            .filter(|s| s.flags & SHF_EXECINSTR != 0 && s.size > 0)
            .map(|s| {
                let insns = self
                    .bytes(s)
                    .chunks_exact(8)
                    .map(|b| Insn::decode(b, self.big_endian))
                    .collect();
                (s.name.clone(), insns)
            })
            .collect()
    }

    /// Every STT_FUNC symbol, sorted by section and start.
    pub fn functions(&self) -> Vec<Func> {
        let mut out = Vec::new();
        for symtab in self.sections.iter().filter(|s| s.sh_type == SHT_SYMTAB) {
            let strtab = self.sections[symtab.link as usize].offset;
            for i in 0..symtab.size / 24 {
                let at = symtab.offset + i * 24;
                let info = self.data[at + 4];
                let shndx = self.u16(at + 6) as usize;
                if info & 0xf != STT_FUNC || shndx == 0 || shndx >= self.sections.len() {
                    continue;
                }
                out.push(Func {
                    section: self.sections[shndx].name.clone(),
                    name: self.cstr(strtab + self.u32(at) as usize),
                    start: self.u64(at + 8) as usize / 8,
                    len: self.u64(at + 16) as usize / 8,
                });
            }
        }
        out.sort_by(|a, b| (&a.section, a.start).cmp(&(&b.section, b.start)));
        out
    }
}

// ---------------------------------------------------------------------------
// A minimal BTF reader and the .BTF.ext core_relo records
// ---------------------------------------------------------------------------

/// Just enough BTF to walk access strings.
pub struct MiniBtf {
    strings: Vec<u8>,
    /// Index = type id; entry 0 is void.
    types: Vec<MiniType>,
}

#[derive(Clone, Debug, Default)]
pub struct MiniType {
    pub kind: u32,
    pub kflag: bool,
    pub name_off: u32,
    pub size_or_type: u32,
    /// STRUCT/UNION members: (name offset, type, raw offset field).
    pub members: Vec<(u32, u32, u32)>,
    /// ARRAY: element type.
    pub elem: u32,
}

impl MiniBtf {
    pub fn parse(b: &[u8]) -> MiniBtf {
        let big = match b[..2] {
            [0x9f, 0xeb] => false,
            [0xeb, 0x9f] => true,
            _ => panic!("not BTF"),
        };
        let u32_at = |at: usize| {
            let x: [u8; 4] = b[at..at + 4].try_into().unwrap();
            if big {
                u32::from_be_bytes(x)
            } else {
                u32::from_le_bytes(x)
            }
        };
        let hdr = u32_at(4) as usize;
        let (toff, tlen, soff, slen) = (
            u32_at(8) as usize,
            u32_at(12) as usize,
            u32_at(16) as usize,
            u32_at(20) as usize,
        );
        let strings = b[hdr + soff..hdr + soff + slen].to_vec();
        let mut types = vec![MiniType::default()];
        let mut at = hdr + toff;
        while at < hdr + toff + tlen {
            let info = u32_at(at + 4);
            let mut t = MiniType {
                kind: (info >> 24) & 0x1f,
                kflag: info >> 31 == 1,
                name_off: u32_at(at),
                size_or_type: u32_at(at + 8),
                ..Default::default()
            };
            let vlen = (info & 0xffff) as usize;
            at += 12;
            at += match t.kind {
                1 | 14 | 17 => 4,
                3 => {
                    t.elem = u32_at(at);
                    12
                }
                4 | 5 => {
                    for m in 0..vlen {
                        let p = at + m * 12;
                        t.members.push((u32_at(p), u32_at(p + 4), u32_at(p + 8)));
                    }
                    vlen * 12
                }
                6 | 13 => vlen * 8,
                15 | 19 => vlen * 12,
                _ => 0,
            };
            types.push(t);
        }
        MiniBtf { strings, types }
    }

    /// Reads the `.BTF` section of an ELF object.
    pub fn of(elf: &Elf) -> MiniBtf {
        MiniBtf::parse(elf.bytes(elf.section(".BTF").expect(".BTF")))
    }

    pub fn str(&self, off: u32) -> &str {
        let s = &self.strings[off as usize..];
        std::str::from_utf8(&s[..s.iter().position(|&c| c == 0).unwrap()]).unwrap()
    }

    pub fn ty(&self, id: u32) -> &MiniType {
        &self.types[id as usize]
    }

    pub fn name(&self, id: u32) -> &str {
        self.str(self.ty(id).name_off)
    }

    /// Skips typedefs and modifiers (typedef, volatile, const, restrict, type tag).
    fn strip(&self, mut id: u32) -> u32 {
        while matches!(self.ty(id).kind, 8..=11 | 18) {
            id = self.ty(id).size_or_type;
        }
        id
    }

    /// Whether a field access string ends at a bitfield member.
    pub fn is_bitfield_access(&self, root: u32, access: &str) -> bool {
        let idx: Vec<usize> = access.split(':').map(|s| s.parse().unwrap()).collect();
        let mut t = self.strip(root);
        let mut bitfield = false;
        for &i in &idx[1..] {
            let ty = self.ty(t);
            match ty.kind {
                4 | 5 => {
                    let (_, mt, off) = ty.members[i];
                    bitfield = ty.kflag && off >> 24 != 0;
                    t = self.strip(mt);
                }
                3 => {
                    bitfield = false;
                    t = self.strip(ty.elem);
                }
                k => panic!("access {access} of [{root}] steps into kind {k}"),
            }
        }
        bitfield
    }
}

/// One CO-RE relocation record of an object.
#[derive(Clone, Debug)]
pub struct CoreRec {
    pub section: String,
    /// Index in the section's record list (libbpf's `relo #i`).
    pub idx: usize,
    /// Instruction index in the section.
    pub insn: usize,
    pub type_id: u32,
    pub type_name: String,
    pub access: String,
    pub kind: u32,
    /// File offset of the record.
    pub file_pos: usize,
}

/// The log tag of a relocation kind (CORE.md §2).
pub fn kind_tag(kind: u32) -> &'static str {
    [
        "byte_off",
        "byte_sz",
        "field_exists",
        "signed",
        "lshift_u64",
        "rshift_u64",
        "local_type_id",
        "target_type_id",
        "type_exists",
        "type_size",
        "enumval_exists",
        "enumval_value",
        "type_matches",
    ]
    .get(kind as usize)
    .copied()
    .unwrap_or("unknown")
}

/// The core_relo records of an object, in file order, with their record size.
pub fn core_records(elf: &Elf) -> (Vec<CoreRec>, usize) {
    let btf = MiniBtf::of(elf);
    let Some(ext) = elf.section(".BTF.ext") else {
        return (Vec::new(), 16);
    };
    let base = ext.offset;
    let hdr_len = elf.u32(base + 4) as usize;
    if hdr_len < 32 {
        return (Vec::new(), 16);
    }
    let (off, len) = (elf.u32(base + 24) as usize, elf.u32(base + 28) as usize);
    if len == 0 {
        return (Vec::new(), 16);
    }
    let start = base + hdr_len + off;
    let end = start + len;
    let rec_size = elf.u32(start) as usize;
    let mut at = start + 4;
    let mut out = Vec::new();
    while at < end {
        let section = btf.str(elf.u32(at)).to_string();
        let n = elf.u32(at + 4) as usize;
        at += 8;
        for idx in 0..n {
            let type_id = elf.u32(at + 4);
            out.push(CoreRec {
                section: section.clone(),
                idx,
                insn: elf.u32(at) as usize / 8,
                type_id,
                type_name: btf.name(type_id).to_string(),
                access: btf.str(elf.u32(at + 8)).to_string(),
                kind: elf.u32(at + 12),
                file_pos: at,
            });
            at += rec_size;
        }
    }
    (out, rec_size)
}

/// Writes a copy of `obj` whose core_relo records are in reverse order within
/// every section (same bytes otherwise): a libbpf-legal permutation that
/// shows order dependence.
pub fn write_reversed(obj: &Path, out: &Path) {
    let elf = Elf::read(obj);
    let (recs, rec_size) = core_records(&elf);
    let mut data = elf.data.clone();
    let mut by_sec: BTreeMap<&str, Vec<&CoreRec>> = BTreeMap::new();
    for r in &recs {
        by_sec.entry(&r.section).or_default().push(r);
    }
    for list in by_sec.values() {
        for (r, src) in list.iter().zip(list.iter().rev()) {
            data[r.file_pos..r.file_pos + rec_size]
                .copy_from_slice(&elf.data[src.file_pos..src.file_pos + rec_size]);
        }
    }
    std::fs::write(out, data).unwrap();
}

// ---------------------------------------------------------------------------
// The C harness
// ---------------------------------------------------------------------------

/// Compiles tests/oracle/libbpf_core_oracle.c once per test process. None
/// (after a loud skip, or a panic under BTFKIT_REQUIRE_ORACLES=1) when there
/// is no C compiler, no libbpf headers/library, or no permission to load BPF.
pub fn oracle_bin(test: &str) -> Option<PathBuf> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let src = root().join("tests/oracle/libbpf_core_oracle.c");
        let text = std::fs::read(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        // One binary per harness source and compiler, reused by later runs
        // (no per-run litter in the temp dir); built under a temporary name
        // and renamed, so concurrent test processes do not race.
        let hash = text.iter().chain(cc.as_bytes()).fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let out = std::env::temp_dir().join(format!("btfkit-core-oracle-{hash:016x}"));
        if out.exists() {
            return Ok(out);
        }
        let tmp = out.with_extension(std::process::id().to_string());
        let res = Command::new(&cc)
            .args(["-O1", "-Wall", "-o"])
            .arg(&tmp)
            .arg(&src)
            .args(["-lbpf", "-lelf", "-lz"])
            .output()
            .map_err(|e| format!("cannot run {cc}: {e}"))?;
        if !res.status.success() {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!(
                "cannot build the libbpf oracle (needs {cc}, libbpf-dev, libelf-dev, zlib1g-dev): {}",
                String::from_utf8_lossy(&res.stderr).lines().next().unwrap_or("")
            ));
        }
        std::fs::rename(&tmp, &out).map_err(|e| e.to_string())?;
        Ok(out)
    });
    match bin {
        Ok(p) => {
            if btf_sys::require_bpf_or_skip(test) {
                Some(p.clone())
            } else {
                None
            }
        }
        Err(e) => {
            skip(test, e);
            None
        }
    }
}

/// What one relocation record did, per libbpf's log.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// `patched insn #N (CLASS) WHAT OLD -> NEW`.
    Patched {
        insn: usize,
        class: String,
        what: String,
        old: i128,
        new: i128,
    },
    /// `substituting insn #N w/ invalid insn`.
    Poison { insn: usize },
}

/// A test run (`--run`) of a libbpf-loaded program.
#[derive(Clone, Debug)]
pub struct TestRun {
    pub prog: String,
    pub err: i32,
    pub retval: u32,
    pub data_out: Vec<u8>,
}

/// The parsed output of one harness run.
#[derive(Debug, Default)]
pub struct OracleRun {
    pub raw: String,
    pub funcs: Vec<Func>,
    /// Entry programs: (name, section).
    pub progs: Vec<(String, String)>,
    pub result: Option<i32>,
    pub open_failed: bool,
    /// `sec 'S': found N CO-RE relocations`.
    pub found: BTreeMap<String, usize>,
    /// (section, relo #) -> outcomes in log order.
    pub outcomes: BTreeMap<(String, usize), Vec<Outcome>>,
    /// (section, relo #) of `no matching targets found`.
    pub no_target: BTreeSet<(String, usize)>,
    /// (section, relo #, section insn) of `accesses field incorrectly`.
    pub memsz_poison: BTreeSet<(String, usize, usize)>,
    /// WARN lines about CO-RE failures.
    pub errors: Vec<String>,
    /// `failed to perform CO-RE relocations`.
    pub core_failed: bool,
    /// Final (linked) instructions per entry program.
    pub final_insns: BTreeMap<String, Vec<Insn>>,
    pub run: Option<TestRun>,
}

impl OracleRun {
    /// The section and section-relative index of `insn` of (sub)program `prog`.
    pub fn locate(&self, prog: &str, insn: usize) -> (String, usize) {
        let f = self
            .funcs
            .iter()
            .find(|f| f.name == prog)
            .unwrap_or_else(|| panic!("libbpf names program {prog}, which has no symbol"));
        (f.section.clone(), f.start + insn)
    }

    /// CO-RE ran to completion (no CO-RE error; the object may still have
    /// failed to load in the verifier).
    pub fn core_ok(&self) -> bool {
        !self.open_failed && !self.core_failed && self.errors.is_empty()
    }

    /// The first CO-RE error line, for reports.
    pub fn first_error(&self) -> String {
        self.errors
            .first()
            .cloned()
            .unwrap_or_else(|| format!("RESULT {:?}", self.result))
    }

    pub fn patched_value(&self, section: &str, relo: usize) -> Option<i128> {
        self.outcomes
            .get(&(section.to_string(), relo))?
            .iter()
            .find_map(|o| match o {
                Outcome::Patched { what, new, .. } if what != "mem_sz" => Some(*new),
                _ => None,
            })
    }

    pub fn is_poisoned(&self, section: &str, relo: usize) -> bool {
        self.outcomes
            .get(&(section.to_string(), relo))
            .is_some_and(|v| v.iter().any(|o| matches!(o, Outcome::Poison { .. })))
    }
}

/// Runs the harness. `only` autoloads just that entry program (its CO-RE and
/// that of the `.text` subprograms run; the other programs' are skipped);
/// `run` test-runs a program after a successful load with a packet of the
/// given size (byte i = i).
pub fn run_oracle(
    bin: &Path,
    obj: &Path,
    target: &Path,
    only: Option<&str>,
    run: Option<(&str, usize)>,
) -> OracleRun {
    let mut cmd = Command::new(bin);
    cmd.arg(obj).arg(target);
    if let Some(p) = only {
        cmd.args(["--only", p]);
    }
    if let Some((p, n)) = run {
        cmd.args(["--run", p, &n.to_string()]);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && text.contains("\nRESULT "),
        "{cmd:?} failed: {}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    parse_oracle(&text)
}

fn between<'a>(s: &'a str, pre: &str, post: &str) -> Option<&'a str> {
    let s = s.strip_prefix(pre)?;
    Some(&s[..s.find(post)?])
}

/// Parses the harness output (CORE.md §7.1 line formats).
pub fn parse_oracle(text: &str) -> OracleRun {
    let mut run = OracleRun {
        raw: text.to_string(),
        ..Default::default()
    };
    // Log lines name (sub)programs; resolve sections after SYM lines are in.
    let mut pending: Vec<(String, usize, Option<Outcome>, &str)> = Vec::new();
    for line in text.lines() {
        let mut w = line.split(' ');
        match w.next().unwrap_or("") {
            "SYM" => {
                let v: Vec<&str> = w.collect();
                run.funcs.push(Func {
                    section: v[0].into(),
                    name: v[1].into(),
                    start: v[2].parse().unwrap(),
                    len: v[3].parse().unwrap(),
                });
                continue;
            }
            "PROG" => {
                let v: Vec<&str> = w.collect();
                run.progs.push((v[0].into(), v[1].into()));
                continue;
            }
            "RESULT" => {
                run.result = w.next().and_then(|s| s.parse().ok());
                continue;
            }
            "OPENFAIL" => {
                run.open_failed = true;
                continue;
            }
            "PINSN" => {
                let prog = w.next().unwrap().to_string();
                let _idx = w.next();
                let insn = Insn::parse_fields(w).expect("PINSN line");
                run.final_insns.entry(prog).or_default().push(insn);
                continue;
            }
            "RUN" => {
                let prog = w.next().unwrap().to_string();
                let mut kv = |k: &str| {
                    w.next()
                        .and_then(|s| s.strip_prefix(k))
                        .unwrap()
                        .to_string()
                };
                let err = kv("err=").parse().unwrap();
                let retval = kv("retval=").parse().unwrap();
                run.run = Some(TestRun {
                    prog,
                    err,
                    retval,
                    data_out: Vec::new(),
                });
                continue;
            }
            "DATA_OUT" => {
                if let Some(r) = run.run.as_mut() {
                    let hex = w.next().unwrap_or("");
                    r.data_out = (0..hex.len() / 2)
                        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                        .collect();
                }
                continue;
            }
            "WARN" | "INFO" | "DEBUG" => {}
            _ => continue,
        }
        let level = line.split(' ').next().unwrap();
        let Some(msg) = line.split_once(" libbpf: ").map(|(_, m)| m) else {
            continue;
        };
        if let Some(rest) = msg.strip_prefix("sec '") {
            if let Some((sec, tail)) = rest.split_once("': found ") {
                if let Some(n) = tail.strip_suffix(" CO-RE relocations") {
                    run.found.insert(sec.into(), n.parse().unwrap());
                }
            }
            continue;
        }
        if msg.starts_with("failed to perform CO-RE relocations") {
            run.core_failed = true;
            run.errors.push(msg.into());
            continue;
        }
        let Some(rest) = msg.strip_prefix("prog '") else {
            continue;
        };
        let Some((prog, rest)) = rest.split_once("': ") else {
            continue;
        };
        // "relo K at insn #N can't be satisfied for bitfield" prints the
        // relocation *kind* as K and a section-relative instruction.
        if rest.contains("can't be satisfied for bitfield") {
            run.errors.push(format!("{prog}: {rest}"));
            continue;
        }
        let Some(rest) = rest.strip_prefix("relo #") else {
            continue;
        };
        let Some((relo, rest)) = rest.split_once(": ") else {
            continue;
        };
        let Ok(relo) = relo.parse::<usize>() else {
            continue;
        };
        if let Some(r) = rest.strip_prefix("patched insn #") {
            // N (CLASS) WHAT OLD -> NEW
            let (n, r) = r.split_once(" (").unwrap();
            let (class, r) = r.split_once(") ").unwrap();
            let v: Vec<&str> = r.split(' ').collect();
            assert_eq!(v.len(), 4, "patch line: {line}");
            pending.push((
                prog.into(),
                relo,
                Some(Outcome::Patched {
                    insn: n.parse().unwrap(),
                    class: class.into(),
                    what: v[0].into(),
                    old: v[1].parse().unwrap(),
                    new: v[3].parse().unwrap(),
                }),
                "",
            ));
        } else if let Some(n) = between(rest, "substituting insn #", " w/ invalid insn") {
            pending.push((
                prog.into(),
                relo,
                Some(Outcome::Poison {
                    insn: n.parse().unwrap(),
                }),
                "",
            ));
        } else if rest == "no matching targets found" {
            pending.push((prog.into(), relo, None, "no_target"));
        } else if let Some(n) = between(rest, "insn #", " (LDX/ST/STX) accesses field incorrectly")
        {
            pending.push((
                prog.into(),
                relo,
                Some(Outcome::Poison {
                    insn: n.parse().unwrap(),
                }),
                "memsz",
            ));
        } else if level == "WARN" {
            run.errors.push(format!("{prog}: relo #{relo}: {rest}"));
        }
    }
    run.funcs
        .sort_by(|a, b| (&a.section, a.start).cmp(&(&b.section, b.start)));
    for (prog, relo, outcome, tag) in pending {
        let f = run.funcs.iter().find(|f| f.name == prog);
        let Some(f) = f else {
            run.errors.push(format!("log names unknown program {prog}"));
            continue;
        };
        let key = (f.section.clone(), relo);
        match (outcome, tag) {
            (None, _) => {
                run.no_target.insert(key);
            }
            (Some(Outcome::Poison { insn }), "memsz") => {
                run.memsz_poison.insert((key.0, key.1, f.start + insn));
            }
            (Some(o), _) => run.outcomes.entry(key).or_default().push(o),
        }
    }
    run
}

// ---------------------------------------------------------------------------
// btfkit
// ---------------------------------------------------------------------------

/// btfkit's `--semantics`: `Libbpf` reproduces libbpf (order dependence
/// and bugs included), `Btfkit` (the default) is order-independent,
/// zero-extends unsigned enumerators and computes LSHIFT_U64 in the
/// object's byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sem {
    Libbpf,
    Btfkit,
}

impl Sem {
    pub fn name(self) -> &'static str {
        match self {
            Sem::Libbpf => "libbpf",
            Sem::Btfkit => "btfkit",
        }
    }
}

/// Runs `btfkit relocate OBJ --kernel-btf TARGET --semantics SEM` + `extra`.
pub fn btfkit_relocate(
    obj: &Path,
    target: &Path,
    sem: Sem,
    extra: &[&str],
) -> std::process::Output {
    let mut args: Vec<std::ffi::OsString> = vec![
        "relocate".into(),
        obj.into(),
        "--kernel-btf".into(),
        target.into(),
        "--semantics".into(),
        sem.name().into(),
    ];
    args.extend(extra.iter().map(|s| s.into()));
    btfkit(args)
}

/// `btfkit relocate OBJ --kernel-btf TARGET --dump-insns`: the instructions
/// after CO-RE, or btfkit's error output (a non-zero exit: some relocation
/// failed, so libbpf would refuse the object).
pub fn btfkit_dump(obj: &Path, target: &Path, sem: Sem) -> Result<Sections, String> {
    let out = btfkit_relocate(obj, target, sem, &["--dump-insns"]);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(if err.is_empty() {
            format!("exit {:?}", out.status.code())
        } else {
            err
        });
    }
    Ok(parse_dump(&String::from_utf8_lossy(&out.stdout)))
}

/// Parses `INSN <section> <index> code=0x.. dst=.. src=.. off=.. imm=..`.
pub fn parse_dump(text: &str) -> Sections {
    let mut out = Sections::new();
    for line in text.lines().filter(|l| l.starts_with("INSN ")) {
        let mut w = line.split(' ').skip(1);
        let sec = w.next().expect("INSN section").to_string();
        let idx: usize = w.next().and_then(|s| s.parse().ok()).expect("INSN index");
        let insn = Insn::parse_fields(w).unwrap_or_else(|| panic!("bad INSN line: {line}"));
        let v = out.entry(sec).or_default();
        assert_eq!(idx, v.len(), "INSN lines out of order: {line}");
        v.push(insn);
    }
    out
}

/// `btfkit relocate OBJ --kernel-btf TARGET --format json`: the document
/// and whether the exit status was success.
pub fn btfkit_json(
    obj: &Path,
    target: &Path,
    sem: Sem,
) -> Result<(serde_json::Value, bool), String> {
    let out = btfkit_relocate(obj, target, sem, &["--format", "json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text)
        .map(|v| (v, out.status.success()))
        .map_err(|e| {
            format!(
                "exit {:?}, no JSON ({e}): {}{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim(),
                text.trim()
            )
        })
}

// ---------------------------------------------------------------------------
// Expectations and comparison
// ---------------------------------------------------------------------------

/// What libbpf did to one instruction slot, for reports.
#[derive(Clone, Debug)]
pub struct Touch {
    pub relo: usize,
    pub what: String,
}

/// The instructions libbpf's CO-RE produced, reconstructed from the original
/// section bytes and its log.
pub struct Expected {
    pub insns: Sections,
    pub touched: BTreeMap<(String, usize), Vec<Touch>>,
    /// Instruction ranges libbpf relocated (None = every code section).
    pub scope: Option<Vec<(String, usize, usize)>>,
}

/// Applies one libbpf outcome to an instruction slot.
fn apply(insns: &mut [Insn], idx: usize, o: &Outcome) -> Result<String, String> {
    let get = |i: usize| {
        insns
            .get(i)
            .copied()
            .ok_or(format!("insn #{i} out of range"))
    };
    match o {
        Outcome::Poison { .. } => {
            insns[idx] = POISON;
            Ok("poison".into())
        }
        Outcome::Patched {
            class, what, new, ..
        } => {
            let mut ins = get(idx)?;
            let v = *new as u64;
            match (class.as_str(), what.as_str()) {
                ("ALU/ALU64", "imm") => ins.imm = v as u32 as i32,
                ("LDX/ST/STX", "off") => ins.off = v as u16 as i16,
                ("LDX/ST/STX", "mem_sz") => ins = ins.with_mem_size(*new),
                ("LDIMM64", "imm64") => {
                    let mut hi = get(idx + 1)?;
                    hi.imm = (v >> 32) as u32 as i32;
                    insns[idx + 1] = hi;
                    ins.imm = v as u32 as i32;
                }
                _ => return Err(format!("unknown patch {class} {what}")),
            }
            insns[idx] = ins;
            Ok(format!("{what} -> {new}"))
        }
    }
}

/// Reconstructs libbpf's post-CO-RE instructions of `elf` from `run`.
pub fn expected_from_libbpf(
    elf: &Elf,
    run: &OracleRun,
    only: Option<&str>,
) -> Result<Expected, String> {
    let mut insns = elf.code_sections();
    let funcs = elf.functions();
    if funcs != run.funcs {
        return Err(format!(
            "ELF reader and libelf disagree on symbols: {funcs:?} vs {:?}",
            run.funcs
        ));
    }
    let recs = core_records(elf).0;
    let mut touched: BTreeMap<(String, usize), Vec<Touch>> = BTreeMap::new();
    for ((sec, relo), outcomes) in &run.outcomes {
        for o in outcomes {
            let n = match o {
                Outcome::Patched { insn, .. } | Outcome::Poison { insn } => *insn,
            };
            // The line's insn is relative to the (sub)program holding record
            // #relo; find that function through the record itself.
            let rec = recs
                .iter()
                .find(|r| &r.section == sec && r.idx == *relo)
                .ok_or(format!(
                    "libbpf names {sec} relo #{relo}, which the object lacks"
                ))?;
            let f = funcs
                .iter()
                .find(|f| &f.section == sec && f.start <= rec.insn && rec.insn < f.start + f.len)
                .ok_or(format!("{sec} relo #{relo} is outside every function"))?;
            let idx = f.start + n;
            let sec_insns = insns.get_mut(sec).ok_or(format!("no code section {sec}"))?;
            let what = apply(sec_insns, idx, o).map_err(|e| format!("{sec} relo #{relo}: {e}"))?;
            touched.entry((sec.clone(), idx)).or_default().push(Touch {
                relo: *relo,
                what: what.clone(),
            });
            if let Outcome::Patched { class, .. } = o {
                if class == "LDIMM64" {
                    touched
                        .entry((sec.clone(), idx + 1))
                        .or_default()
                        .push(Touch { relo: *relo, what });
                }
            }
        }
    }
    let scope = only.map(|p| {
        funcs
            .iter()
            .filter(|f| f.name == p || f.section == ".text")
            .map(|f| (f.section.clone(), f.start, f.start + f.len))
            .collect()
    });
    Ok(Expected {
        insns,
        touched,
        scope,
    })
}

/// Checks that libbpf logged an outcome for every record it was meant to
/// process (guards the parser: a missed line would otherwise look like "left
/// unchanged").
pub fn check_log_complete(elf: &Elf, run: &OracleRun, only: Option<&str>) -> Result<(), String> {
    if !run.core_ok() {
        return Ok(());
    }
    let funcs = elf.functions();
    let (recs, _) = core_records(elf);
    let mut per_sec: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &recs {
        *per_sec.entry(&r.section).or_default() += 1;
        let f = funcs
            .iter()
            .find(|f| f.section == r.section && f.start <= r.insn && r.insn < f.start + f.len);
        let in_scope = match (only, f) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(p), Some(f)) => f.name == p || f.section == ".text",
        };
        let key = (r.section.clone(), r.idx);
        if in_scope && !run.outcomes.contains_key(&key) {
            return Err(format!(
                "libbpf logged no outcome for {} relo #{} ({} [{}] {} {})",
                r.section,
                r.idx,
                kind_tag(r.kind),
                r.type_id,
                r.type_name,
                r.access
            ));
        }
    }
    for (sec, n) in per_sec {
        if run.found.get(sec) != Some(&n) {
            return Err(format!(
                "section {sec}: {n} records, libbpf found {:?}",
                run.found.get(sec)
            ));
        }
    }
    Ok(())
}

/// One instruction where btfkit and the expectation differ.
#[derive(Clone, Debug)]
pub struct Diff {
    pub section: String,
    pub idx: usize,
    pub expected: Option<Insn>,
    pub got: Option<Insn>,
    pub libbpf: String,
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |i: &Option<Insn>| {
            i.map(|i| i.to_string())
                .unwrap_or_else(|| "(missing)".into())
        };
        write!(
            f,
            "{} #{}: expected {} | btfkit {}{}",
            self.section,
            self.idx,
            show(&self.expected),
            show(&self.got),
            if self.libbpf.is_empty() {
                String::new()
            } else {
                format!("  [libbpf: {}]", self.libbpf)
            }
        )
    }
}

/// Compares btfkit's instructions with the expectation, slot by slot,
/// within the expectation's scope.
pub fn compare(exp: &Expected, got: &Sections) -> Vec<Diff> {
    let mut diffs = Vec::new();
    for (sec, want) in &exp.insns {
        let have = got.get(sec);
        for (idx, w) in want.iter().enumerate() {
            if let Some(scope) = &exp.scope {
                if !scope
                    .iter()
                    .any(|(s, a, b)| s == sec && *a <= idx && idx < *b)
                {
                    continue;
                }
            }
            let g = have.and_then(|h| h.get(idx)).copied();
            if g != Some(*w) {
                let libbpf = exp
                    .touched
                    .get(&(sec.clone(), idx))
                    .map(|t| {
                        t.iter()
                            .map(|t| format!("relo #{} {}", t.relo, t.what))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                diffs.push(Diff {
                    section: sec.clone(),
                    idx,
                    expected: Some(*w),
                    got: g,
                    libbpf,
                });
            }
        }
        if let Some(h) = have {
            if h.len() > want.len() {
                diffs.push(Diff {
                    section: sec.clone(),
                    idx: want.len(),
                    expected: None,
                    got: Some(h[want.len()]),
                    libbpf: "btfkit printed extra instructions".into(),
                });
            }
        }
    }
    for sec in got.keys().filter(|s| !exp.insns.contains_key(*s)) {
        diffs.push(Diff {
            section: sec.clone(),
            idx: 0,
            expected: None,
            got: got[sec].first().copied(),
            libbpf: "not a code section".into(),
        });
    }
    diffs
}

/// Compares two btfkit dumps, ignoring the instructions in `ignore`.
pub fn compare_dumps(a: &Sections, b: &Sections, ignore: &BTreeSet<(String, usize)>) -> Vec<Diff> {
    let exp = Expected {
        insns: a.clone(),
        touched: BTreeMap::new(),
        scope: None,
    };
    compare(&exp, b)
        .into_iter()
        .filter(|d| !ignore.contains(&(d.section.clone(), d.idx)))
        .collect()
}

/// A one-line summary of libbpf's outcome for the case matrix.
pub fn summary(run: &OracleRun) -> String {
    let patched = run
        .outcomes
        .values()
        .filter(|v| v.iter().any(|o| matches!(o, Outcome::Patched { .. })))
        .count();
    let poisoned = run
        .outcomes
        .values()
        .filter(|v| v.iter().any(|o| matches!(o, Outcome::Poison { .. })))
        .count();
    if run.core_ok() {
        format!(
            "ok: {patched} patched, {poisoned} poisoned ({} unsafe size), {} without target",
            run.memsz_poison.len(),
            run.no_target.len()
        )
    } else {
        format!("ERROR: {}", run.first_error())
    }
}

// ---------------------------------------------------------------------------
// Big-endian objects: libbpf 1.1 cannot open them; their expectation comes
// from the little-endian twin's libbpf run, record by record.
// ---------------------------------------------------------------------------

/// libbpf's new value for a record of the el twin, None when poisoned.
fn el_value(run: &OracleRun, r: &CoreRec) -> Option<i128> {
    run.patched_value(&r.section, r.idx)
}

/// The big-endian LSHIFT_U64 for an el record, derived from libbpf's
/// values for the same field: `(8 - byte_sz) * 8 + (bit_off - byte_off * 8)`
/// (CORE.md §4.7). bit_off comes from the matching-candidate spec line,
/// byte_off/byte_sz from the BYTE_OFFSET/BYTE_SIZE records of the same
/// access anywhere in the object.
fn be_lshift(run: &OracleRun, recs: &[CoreRec], r: &CoreRec) -> Result<i128, String> {
    let sibling = |kind: u32| {
        recs.iter()
            .filter(|s| s.kind == kind && s.type_name == r.type_name && s.access == r.access)
            .find_map(|s| el_value(run, s))
            .ok_or(format!(
                "no {} sibling of {} {}",
                kind_tag(kind),
                r.type_name,
                r.access
            ))
    };
    let byte_off = sibling(0)?;
    let byte_sz = sibling(1)?;
    // "... relo #I: matching candidate #k <lshift_u64> [id] struct X.f (raw @ offset B[.b])"
    let fname = run
        .funcs
        .iter()
        .filter(|f| f.section == r.section && f.start <= r.insn && r.insn < f.start + f.len)
        .map(|f| f.name.clone())
        .next()
        .ok_or("record outside every function")?;
    let needle = format!("prog '{fname}': relo #{}: matching candidate #", r.idx);
    let line = run
        .raw
        .lines()
        .find(|l| l.contains(&needle))
        .ok_or(format!("no candidate line: {needle}"))?;
    let off = line
        .rsplit("@ offset ")
        .next()
        .unwrap()
        .trim_end_matches(')');
    let (bytes, bits) = off.split_once('.').unwrap_or((off, "0"));
    let bit_off = bytes.parse::<i128>().unwrap() * 8 + bits.parse::<i128>().unwrap();
    Ok((8 - byte_sz) * 8 + (bit_off - byte_off * 8))
}

/// Builds the expectation for a big-endian object from libbpf's run on its
/// little-endian twin. Records are paired by position when both objects
/// have the same record lists, else by (section, kind, root name, access,
/// occurrence).
/// With `object_order_lshift` (btfkit semantics), LSHIFT_U64 is recomputed
/// for big-endian loads; otherwise (libbpf semantics: the host's order) it
/// is libbpf's little-endian value.
pub fn expected_eb(
    el: &Elf,
    el_run: &OracleRun,
    eb: &Elf,
    object_order_lshift: bool,
) -> Result<Expected, String> {
    let (el_recs, _) = core_records(el);
    let (eb_recs, _) = core_records(eb);
    let key = |r: &CoreRec| {
        (
            r.section.clone(),
            r.kind,
            r.type_name.clone(),
            r.access.clone(),
        )
    };
    let mut insns = eb.code_sections();
    let mut touched: BTreeMap<(String, usize), Vec<Touch>> = BTreeMap::new();
    let mut seen: BTreeMap<(String, u32, String, String), usize> = BTreeMap::new();
    for r in &eb_recs {
        let k = key(r);
        let nth = {
            let e = seen.entry(k.clone()).or_default();
            *e += 1;
            *e - 1
        };
        // The eb build may have more records for one access than el
        // (BPF_CORE_READ_BITFIELD_PROBED reads the byte size twice on
        // big-endian); every record of one access gets the same result.
        let twins: Vec<&CoreRec> = el_recs.iter().filter(|x| key(x) == k).collect();
        let twin = *twins
            .get(nth)
            .or(twins.last())
            .ok_or(format!("eb record {k:?} has no el twin"))?;
        let sec = insns.get_mut(&r.section).ok_or("no code section")?;
        let poisoned = el_run.is_poisoned(&twin.section, twin.idx);
        let memsz = el_run
            .outcomes
            .get(&(twin.section.clone(), twin.idx))
            .and_then(|v| {
                v.iter().find_map(|o| match o {
                    Outcome::Patched { what, new, .. } if what == "mem_sz" => Some(*new),
                    _ => None,
                })
            });
        let what = if poisoned {
            if sec[r.insn].is_ld_imm64() {
                sec[r.insn + 1] = POISON;
            }
            sec[r.insn] = POISON;
            "poison".to_string()
        } else {
            let mut v = el_value(el_run, twin).ok_or(format!(
                "libbpf has no value for el {} relo #{}",
                twin.section, twin.idx
            ))?;
            if r.kind == 4 && object_order_lshift {
                v = be_lshift(el_run, &el_recs, twin)?;
            }
            let ins = &mut sec[r.insn];
            let class = if ins.is_ld_imm64() {
                "LDIMM64"
            } else if ins.is_mem() {
                "LDX/ST/STX"
            } else {
                "ALU/ALU64"
            };
            let what = match class {
                "LDIMM64" => "imm64",
                "LDX/ST/STX" => "off",
                _ => "imm",
            };
            let o = Outcome::Patched {
                insn: 0,
                class: class.into(),
                what: what.into(),
                old: 0,
                new: v,
            };
            apply(sec, r.insn, &o)?;
            if let Some(sz) = memsz {
                let o = Outcome::Patched {
                    insn: 0,
                    class: class.into(),
                    what: "mem_sz".into(),
                    old: 0,
                    new: sz,
                };
                apply(sec, r.insn, &o)?;
            }
            format!("{what} -> {v} (el relo #{})", twin.idx)
        };
        touched
            .entry((r.section.clone(), r.insn))
            .or_default()
            .push(Touch { relo: r.idx, what });
    }
    Ok(Expected {
        insns,
        touched,
        scope: None,
    })
}
