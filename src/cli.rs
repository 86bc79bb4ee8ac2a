//! The command line, defined once with clap; man pages and completions are
//! generated from these definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A BTF toolkit: read, write, dump and check BPF Type Format.
#[derive(Parser, Debug)]
#[command(name = "btfkit", version, about, long_about = None, max_term_width = 100)]
#[command(after_help = "EXIT STATUS: 0 success, 1 negative answer (differences found), 2 error.")]
pub struct Cli {
    /// When to colour output: auto (only on a terminal, unless NO_COLOR is
    /// set), always, or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print the types of a BTF file, ELF object or kernel module.
    ///
    /// The default raw listing is byte-identical to `bpftool btf dump file FILE`.
    /// FILE may be raw BTF (/sys/kernel/btf/vmlinux, /sys/kernel/btf/MODULE)
    /// or an ELF file with a .BTF section (BPF objects from clang or rustc,
    /// vmlinux, kernel modules).
    Dump(DumpArgs),
    /// Merge and deduplicate BTF (libbpf's btf__dedup), writing raw BTF.
    ///
    /// The types of every IN (raw BTF, or an ELF file with a .BTF section)
    /// are appended into one BTF, ids shifted and strings shared, which is
    /// then deduplicated: each type is kept once, forward declarations are
    /// resolved, VAR and DATASEC are kept as they are. The output is the
    /// same for the same inputs, byte for byte. With --base, the output is
    /// split BTF over BASE: types BASE already has are not repeated.
    Dedup(DedupArgs),
    /// Apply a BPF object's CO-RE relocations against a kernel's BTF.
    ///
    /// Resolves every .BTF.ext core_relo record of OBJECT against the target
    /// BTF (default /sys/kernel/btf/vmlinux; raw BTF or an ELF file with
    /// .BTF) and reports, per relocation, the old and new value and whether
    /// it is ok, poisoned (libbpf's `call 0xbad2310`) or zeroed. With -o,
    /// writes the object with the instructions patched and the core_relo
    /// records removed, so any loader loads it without running CO-RE again.
    /// Exit status 2 when a relocation fails in a way that makes libbpf
    /// refuse the object.
    Relocate(RelocateArgs),
    /// Check on which kernels a BPF object's CO-RE relocations succeed.
    ///
    /// Relocates OBJECT against every --kernel-btf (files, or directories of
    /// BTF files) in parallel and prints a matrix: one row per relocation,
    /// one column per kernel. Exit status 1 if any relocation is poisoned
    /// (or fails) on any kernel.
    Check(CheckArgs),
    /// Generate BTF from DWARF debug info, like `pahole -J`.
    ///
    /// Reads the DWARF of INPUT (vmlinux, a kernel module, a C or Rust object
    /// or program; DWARF 2-5, compressed sections included) and writes
    /// deduplicated BTF: raw with -o, as a .BTF section of a copy of INPUT with
    /// --elf-output, or into INPUT with --in-place. With --base, a kernel
    /// module gets split BTF over the vmlinux BTF. Compilation units are
    /// decoded in parallel (--jobs) and merged in order, so the output is the
    /// same for any number of jobs. Rust enums become a struct holding a union
    /// of the discriminant and one struct per variant, as LLVM's BPF backend
    /// encodes them.
    Dwarf2btf(Dwarf2btfArgs),
    /// Print shell completions for btfkit.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write btfkit's man pages into a directory.
    #[command(hide = true)]
    Man {
        /// Output directory.
        dir: PathBuf,
    },
}

/// Arguments of `btfkit dump`.
#[derive(Args, Debug, Clone)]
pub struct DumpArgs {
    /// The file to read.
    pub file: PathBuf,

    /// Base BTF for split BTF (defaults to /sys/kernel/btf/vmlinux for
    /// /sys/kernel/btf/MODULE).
    #[arg(short = 'B', long, value_name = "BASE")]
    pub base: Option<PathBuf>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = DumpFormat::Raw)]
    pub format: DumpFormat,

    /// Show the object's .BTF.ext instead of its types: func_info, line_info
    /// and CO-RE relocations with their access paths.
    #[arg(long)]
    pub ext: bool,

    /// Only types with this name; `*`, `?` and `[...]` globs allowed.
    /// Repeatable (any of them matches).
    #[arg(short, long = "type", value_name = "NAME")]
    pub types: Vec<String>,

    /// Only types of this kind (bpftool's spelling, any case: struct,
    /// func_proto). Repeatable.
    #[arg(short, long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,

    /// Only the type with this id. Repeatable.
    #[arg(long = "id", value_name = "N")]
    pub ids: Vec<u32>,

    /// Also show every type the selected types refer to, transitively. Ids
    /// are kept as in the input, so lines match the full dump and the ids in
    /// verifier logs.
    #[arg(long)]
    pub closure: bool,

    /// With --format json: indent the output.
    #[arg(long)]
    pub pretty: bool,
}

/// Arguments of `btfkit dedup`.
#[derive(Args, Debug, Clone)]
pub struct DedupArgs {
    /// Input files, merged in the order given. With --base, an input may
    /// also be split BTF over BASE (a kernel module's .BTF).
    #[arg(required = true, value_name = "IN")]
    pub inputs: Vec<PathBuf>,

    /// Where to write the raw BTF (replaced atomically).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,

    /// Write split BTF over this base (raw BTF or an ELF file with .BTF,
    /// e.g. /sys/kernel/btf/vmlinux).
    #[arg(short = 'B', long, value_name = "BASE")]
    pub base: Option<PathBuf>,

    /// Keep the string section's order and unreferenced strings (as pahole
    /// does) instead of rebuilding it in first-use order.
    #[arg(long)]
    pub keep_strings: bool,

    /// Print the number of types per kind before and after.
    #[arg(long)]
    pub stats: bool,
}

/// Output formats of `btfkit dump`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DumpFormat {
    /// bpftool's raw listing, byte for byte.
    Raw,
    /// One JSON document (schema in `btfkit help dump` and the README).
    Json,
    /// A table of counts and bytes per kind, string section size and the
    /// largest types.
    Summary,
}

/// When to use colour.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// Only when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `btfkit relocate`.
#[derive(Args, Debug, Clone)]
pub struct RelocateArgs {
    /// The BPF object (clang or rustc, either byte order).
    pub object: PathBuf,

    /// Target BTF: raw BTF or an ELF file with a .BTF section, either may
    /// be gzip-compressed (BTFHub's vmlinux.btf.gz).
    #[arg(long, value_name = "PATH", default_value = "/sys/kernel/btf/vmlinux")]
    pub kernel_btf: PathBuf,

    /// Module BTF (split BTF on --kernel-btf), searched when the kernel BTF
    /// has no candidate for a type, as libbpf does. Repeatable.
    #[arg(long, value_name = "PATH")]
    pub module_btf: Vec<PathBuf>,

    /// Write the relocated object here (replaced atomically). Without it,
    /// only the report is printed.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Report format.
    #[arg(short, long, value_enum, default_value_t = RelocateFormat::Table)]
    pub format: RelocateFormat,

    /// Whose rules to follow where libbpf's results depend on record order
    /// or differ from btfkit's (see the README).
    #[arg(long, value_enum, default_value_t = SemanticsArg::Btfkit)]
    pub semantics: SemanticsArg,

    /// For each relocation that is not ok: the candidates considered, the
    /// first member or enumerator that did not match, the nearest names in
    /// the target and the source line.
    #[arg(long)]
    pub explain: bool,

    /// Instead of the report, print every instruction of every code section
    /// after CO-RE: `INSN <section> <index> code=0x.. dst= src= off= imm=`.
    #[arg(long)]
    pub dump_insns: bool,

    /// With --format json: indent the output.
    #[arg(long)]
    pub pretty: bool,

    /// Print no report (errors still go to stderr); with -o, just write.
    #[arg(short, long, conflicts_with_all = ["dump_insns", "explain"])]
    pub quiet: bool,
}

/// Arguments of `btfkit check`.
#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// The BPF object.
    pub object: PathBuf,

    /// A target BTF (raw or ELF, optionally gzip-compressed), or a
    /// directory whose files are all target BTFs. Repeatable.
    #[arg(long, value_name = "PATH", required = true)]
    pub kernel_btf: Vec<PathBuf>,

    /// Report format.
    #[arg(short, long, value_enum, default_value_t = RelocateFormat::Table)]
    pub format: RelocateFormat,

    /// Whose rules to follow (see `btfkit relocate --semantics`).
    #[arg(long, value_enum, default_value_t = SemanticsArg::Btfkit)]
    pub semantics: SemanticsArg,

    /// Number of targets processed at once (default: one per core).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,

    /// With --format json: indent the output.
    #[arg(long)]
    pub pretty: bool,
}

/// Output formats of `btfkit relocate` and `btfkit check`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocateFormat {
    /// A table.
    Table,
    /// One JSON document (schema in the README).
    Json,
}

/// `--semantics`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemanticsArg {
    /// Order-independent results, unsigned enum values zero-extended,
    /// LSHIFT by the object's byte order.
    Btfkit,
    /// Reproduce libbpf exactly (master), including its order dependence.
    Libbpf,
}

/// Arguments of `btfkit dwarf2btf`.
#[derive(Args, Debug, Clone)]
pub struct Dwarf2btfArgs {
    /// The ELF file with DWARF.
    pub input: PathBuf,

    /// Write raw BTF to FILE.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write a copy of INPUT with a .BTF section (added, or replaced) to FILE.
    #[arg(long, value_name = "FILE")]
    pub elf_output: Option<PathBuf>,

    /// Add or replace the .BTF section of INPUT itself.
    #[arg(long, conflicts_with = "elf_output")]
    pub in_place: bool,

    /// Base BTF (vmlinux's .BTF, raw or in an ELF file): write split BTF
    /// holding only what BASE lacks, as for a kernel module.
    #[arg(short = 'B', long, value_name = "BASE")]
    pub base: Option<PathBuf>,

    /// Threads decoding compilation units; 0 (the default) means one per
    /// CPU. With fewer threads than CPUs, a spare CPU deduplicates the
    /// types of units already decoded while the others decode the rest.
    /// The output does not depend on it.
    #[arg(short, long, value_name = "N", default_value_t = 0)]
    pub jobs: usize,

    /// Which functions and variables to encode: kernel (pahole's choice:
    /// functions with a symbol, per-CPU variables), program (every function
    /// with code, every global and static variable), or auto (kernel for
    /// vmlinux and modules).
    #[arg(long, value_enum, default_value_t = Dwarf2btfMode::Auto)]
    pub mode: Dwarf2btfMode,

    /// Names the kernel rejects (Rust's `Option<&u8>` or `(u8, u32)`, C++'s
    /// `ns::T`): sanitize rewrites them as bpf-linker does
    /// (`Option_3C__26_u8_3E_`) so that the BTF loads; keep leaves them as
    /// rustc wrote them, matching what rustc's own BPF backend emits. Valid
    /// names are never changed, so C is unaffected.
    #[arg(long, value_enum, default_value_t = RustNamesArg::Sanitize)]
    pub rust_names: RustNamesArg,

    /// Multi-dimensional arrays (`int m[3][4]`): nested ARRAYs as clang's BPF
    /// backend writes them, or one flat ARRAY as pahole does. auto: flat for
    /// split BTF over a base with flat arrays (a pahole-made vmlinux BTF,
    /// whose types a module's must match to deduplicate), else nested.
    #[arg(long, value_enum, default_value_t = ArraysArg::Auto)]
    pub arrays: ArraysArg,

    /// Do not deduplicate: one copy of every type per compilation unit, as
    /// pahole's encoder has it before btf__dedup.
    #[arg(long)]
    pub no_dedup: bool,

    /// Load the result into the running kernel (BPF_BTF_LOAD, needs
    /// CAP_BPF) and fail if the kernel rejects it.
    #[arg(long)]
    pub verify_load: bool,

    /// Print counts and timings to stderr.
    #[arg(long)]
    pub stats: bool,

    /// No progress bar and no warnings.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Which functions and variables `btfkit dwarf2btf` encodes.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dwarf2btfMode {
    /// Kernel rules for vmlinux and modules, program rules otherwise.
    Auto,
    /// pahole's rules.
    Kernel,
    /// Every function with code and every variable with static storage.
    Program,
}

/// How `btfkit dwarf2btf` encodes multi-dimensional arrays.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArraysArg {
    /// Flat for split BTF over a pahole-made base, else nested.
    Auto,
    /// ARRAY of ARRAY.
    Nested,
    /// One ARRAY of all elements.
    Flat,
}

/// What `btfkit dwarf2btf` does with names the kernel rejects.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RustNamesArg {
    /// Rewrite them so that the kernel accepts them.
    Sanitize,
    /// Keep them as they are in DWARF.
    Keep,
}
