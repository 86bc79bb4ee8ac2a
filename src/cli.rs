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
    /// FILE may be raw BTF (/sys/kernel/btf/vmlinux, /sys/kernel/btf/<module>)
    /// or an ELF file with a .BTF section (BPF objects from clang or rustc,
    /// vmlinux, kernel modules).
    Dump(DumpArgs),
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
    /// /sys/kernel/btf/<module>).
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
