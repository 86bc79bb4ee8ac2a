//! The error type of `btf-dwarf`.

/// Why DWARF → BTF conversion failed.
///
/// Malformed input never panics: every problem the decoder cannot work
/// around (truncated sections, invalid forms, bad unit headers) ends up here
/// with the location it was found at. A panic in the decoder is a bug; it is
/// caught and reported as [`Error::Internal`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not an ELF file `object` can read.
    #[error("not a readable ELF file: {0}")]
    Elf(String),
    /// A section could not be read or decompressed.
    #[error("section {section}: {what}")]
    Section {
        /// Section name.
        section: String,
        /// What went wrong.
        what: String,
    },
    /// The file has no `.debug_info` (not built with `-g`, or stripped).
    #[error(
        "no DWARF: the file has no .debug_info section (build with -g, or use the -dbg package)"
    )]
    NoDwarf,
    /// gimli rejected part of the DWARF.
    #[error("DWARF at .debug_info offset {offset:#x}: {what}")]
    Dwarf {
        /// Offset in `.debug_info` of the unit (or DIE) being read.
        offset: u64,
        /// gimli's description.
        what: String,
    },
    /// The BTF being built exceeds a format limit.
    #[error("BTF limit exceeded: {0}")]
    Limit(String),
    /// A bug in btfkit, please report: decoding the unit at `offset`
    /// panicked.
    ///
    /// Unlike [`Error::Dwarf`] this is never the input's fault alone:
    /// whatever the DWARF holds, the decoder must return an error rather
    /// than panic. The panic is caught so that callers (and the CLI, which
    /// exits with status 2) still get an error instead of an abort.
    #[error(
        "internal error (a bug in btfkit, please report) decoding the unit at \
         .debug_info offset {offset:#x}: {what}"
    )]
    Internal {
        /// Offset in `.debug_info` of the unit whose decoder panicked.
        offset: u64,
        /// The panic message, when it had one.
        what: String,
    },
    /// Writing the BTF failed.
    #[error(transparent)]
    Btf(#[from] btf_core::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A gimli error at `.debug_info` offset `offset`.
    pub(crate) fn dwarf(offset: u64, err: gimli::Error) -> Error {
        Error::Dwarf {
            offset,
            what: err.to_string(),
        }
    }
}
