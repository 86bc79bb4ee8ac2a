//! Errors: why a relocation cannot be computed or applied.
//!
//! Each corresponds to a case where libbpf aborts loading the whole object
//! (CORE.md §4.11). [`RecordError`] adds where: the ELF section, the record's
//! index in that section's block, its byte offset in `.BTF.ext` and the
//! instruction.

use std::fmt;
use std::sync::Arc;

use btf_core::TypeId;

/// Why one CO-RE relocation failed. Messages are lowercase and carry the
/// offending values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `insn_off` is not a multiple of the instruction size.
    #[error("insn_off {insn_off} is not a multiple of 8")]
    InsnOffUnaligned {
        /// The record's byte offset.
        insn_off: u32,
    },
    /// The instruction is past the end of its section (or function).
    #[error("instruction #{insn} is past the end of {what} ({count} instructions)")]
    InsnOutOfRange {
        /// Section-relative instruction index.
        insn: u32,
        /// `section NAME` or `function NAME`.
        what: String,
        /// Number of instructions there.
        count: u32,
    },
    /// The record's root type id does not exist in the local BTF.
    #[error("local type [{id}] is past the last type id {last}")]
    RootOutOfRange {
        /// The id.
        id: TypeId,
        /// The last valid id.
        last: TypeId,
    },
    /// The root is void (id 0).
    #[error("local type is void (id 0)")]
    VoidRoot,
    /// The access string offset is not in the local string section.
    #[error("access string offset {0} is past the .BTF string section")]
    AccessStrOutOfRange(u32),
    /// The access string is empty or starts with `:`.
    #[error("access string {access:?} is empty or starts with ':'")]
    EmptyAccess {
        /// The access string.
        access: String,
    },
    /// An index is not a decimal number fitting a C `int`.
    #[error(
        "access string {access:?}: index {position} is not a decimal number from 0 to 2147483647"
    )]
    AccessSyntax {
        /// The access string.
        access: String,
        /// 0-based position of the bad index.
        position: usize,
    },
    /// More than 64 indices (`BPF_CORE_SPEC_MAX_LEN`).
    #[error("access string has more than 64 indices")]
    AccessTooLong,
    /// A type relocation whose access string is not `0`.
    #[error("a type relocation's access string must be \"0\", not {access:?}")]
    TypeAccessNotZero {
        /// The access string.
        access: String,
    },
    /// A relocation kind btfkit does not know (≥ 13).
    #[error("unknown relocation kind {0}")]
    UnknownKind(u32),
    /// An enumerator relocation on a type that is not an enum.
    #[error("enumerator relocation on type [{id}], a {kind}, not an enum")]
    NotAnEnum {
        /// The stripped root.
        id: TypeId,
        /// Its kind.
        kind: String,
    },
    /// An enumerator relocation whose access string does not name one
    /// enumerator.
    #[error("enumerator access {access:?} does not name one of the {vlen} enumerators of [{id}]")]
    BadEnumAccess {
        /// The access string.
        access: String,
        /// The enum.
        id: TypeId,
        /// Its enumerator count.
        vlen: u32,
    },
    /// A member index past the last member.
    #[error("access index {position}: member {index} is out of range, [{id}] has {vlen} members")]
    MemberOutOfRange {
        /// Position in the access string.
        position: usize,
        /// The index.
        index: u32,
        /// The struct or union.
        id: TypeId,
        /// Its member count.
        vlen: u32,
    },
    /// A subscript past the end of a non-flexible array.
    #[error("access index {position}: subscript {index} is out of range, array [{id}] has {nelems} elements")]
    SubscriptOutOfRange {
        /// Position in the access string.
        position: usize,
        /// The subscript.
        index: u32,
        /// The array.
        id: TypeId,
        /// Its length.
        nelems: u32,
    },
    /// An index applied to a type that has neither members nor elements.
    #[error("access index {position} captures type [{id}] of unexpected kind {kind}")]
    UnexpectedKind {
        /// Position in the access string.
        position: usize,
        /// The (stripped) type.
        id: TypeId,
        /// Its kind.
        kind: String,
    },
    /// The size of a type cannot be computed (void, FWD, FUNC_PROTO, too
    /// deep, or larger than 4 GiB).
    #[error("cannot compute the size of type [{id}]")]
    NoSize {
        /// The type.
        id: TypeId,
    },
    /// The field's bit offset does not fit 32 bits.
    #[error("field bit offset does not fit 32 bits")]
    BitOffsetOverflow,
    /// A typedef/modifier chain loops.
    #[error("type [{id}]: typedef/modifier chain loops or is deeper than 64")]
    TypeLoop {
        /// Where the chain starts.
        id: TypeId,
    },
    /// Candidate search on an anonymous root type.
    #[error("local type [{id}] ({kind}) is anonymous: CO-RE relocations need a named root type")]
    AnonymousRoot {
        /// The root.
        id: TypeId,
        /// Its kind.
        kind: String,
    },
    /// Matching produced more than 64 raw accessors (libbpf `-E2BIG`).
    #[error("matching candidate [{target}] needs more than 64 accessors")]
    TooDeep {
        /// The candidate.
        target: TypeId,
    },
    /// A compatibility check recursed past its limit (libbpf: 32 levels).
    #[error("type compatibility of local [{local}] and target [{target}] recursed too deep")]
    CompatTooDeep {
        /// The local type.
        local: TypeId,
        /// The target type.
        target: TypeId,
    },
    /// A bitfield that no 8-byte load can hold.
    #[error("bitfield at bit {bit_offset} of size {bit_size} cannot be read with a load of at most 8 bytes")]
    BitfieldTooBig {
        /// The field's bit offset.
        bit_offset: u32,
        /// Its size in bits.
        bit_size: u32,
    },
    /// A field kind other than byte_off/byte_sz on an array subscript.
    #[error("relocation kind {kind} cannot be applied to an array element access")]
    ArrayAccessKind {
        /// libbpf's name of the kind.
        kind: &'static str,
    },
    /// Two matching candidates put the field at different offsets.
    #[error(
        "field offset ambiguity: {first} at bit {first_bits} != {second} at bit {second_bits}"
    )]
    OffsetAmbiguity {
        /// The first matching candidate (`[id] in btf`).
        first: String,
        /// Its bit offset.
        first_bits: u32,
        /// The disagreeing candidate.
        second: String,
        /// Its bit offset.
        second_bits: u32,
    },
    /// Two matching candidates give different values or poison decisions.
    #[error("relocation decision ambiguity: {first} gives {first_value} != {second} gives {second_value}")]
    DecisionAmbiguity {
        /// The first matching candidate.
        first: String,
        /// Its result (`success 8` / `failure 0`, as libbpf prints).
        first_value: String,
        /// The disagreeing candidate.
        second: String,
        /// Its result.
        second_value: String,
    },
    /// An ALU relocation on an instruction with a register source.
    #[error("insn #{insn} (ALU/ALU64) has a register source, not an immediate")]
    SrcNotImm {
        /// Section-relative instruction index.
        insn: u32,
    },
    /// The instruction does not hold the value the compiler should have put
    /// there (the local result).
    #[error("unexpected insn #{insn} ({class}) value: got {got}, exp {expected} -> {new}")]
    UnexpectedValue {
        /// Section-relative instruction index.
        insn: u32,
        /// `ALU/ALU64`, `LDX/ST/STX` or `LDIMM64`.
        class: &'static str,
        /// The value found, as libbpf prints it.
        got: String,
        /// The expected local value.
        expected: u64,
        /// The value that would have been written.
        new: u64,
    },
    /// A load/store offset above 32767.
    #[error("insn #{insn} (LDX/ST/STX) value too big: {value}")]
    OffTooBig {
        /// Section-relative instruction index.
        insn: u32,
        /// The offset.
        value: u64,
    },
    /// The load/store size does not match the local field size.
    #[error("insn #{insn} (LDX/ST/STX) unexpected mem size: got {got}, exp {expected}")]
    UnexpectedMemSize {
        /// Section-relative instruction index.
        insn: u32,
        /// The instruction's access size.
        got: u32,
        /// The local field size.
        expected: u32,
    },
    /// The target field size is not a load/store size.
    #[error("insn #{insn} (LDX/ST/STX) invalid new mem size: {size}")]
    InvalidMemSize {
        /// Section-relative instruction index.
        insn: u32,
        /// The target field size.
        size: u32,
    },
    /// An LD_IMM64 that is malformed or cut off by the end of its function.
    #[error("insn #{insn} (LDIMM64) has unexpected form")]
    BadLdImm64 {
        /// Section-relative instruction index.
        insn: u32,
    },
    /// An instruction class CO-RE cannot patch (jumps, calls, other loads).
    #[error("trying to relocate unrecognized insn #{insn}, code:{code:#x}")]
    UnrecognizedInsn {
        /// Section-relative instruction index.
        insn: u32,
        /// Its opcode.
        code: u8,
    },
}

/// Where a CO-RE relocation record is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The ELF section the record's block names.
    pub section: Arc<str>,
    /// Index of the record within its section's block (libbpf's `relo #N`).
    pub record: usize,
    /// Byte offset of the record in `.BTF.ext`.
    pub ext_offset: usize,
    /// Section-relative instruction index (`insn_off / 8`).
    pub insn: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "section {} record #{} (.BTF.ext offset {:#x}, insn #{})",
            self.section, self.record, self.ext_offset, self.insn
        )
    }
}

/// An [`Error`] with the record it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {error}")]
pub struct RecordError {
    /// The record.
    pub location: Location,
    /// What went wrong.
    pub error: Error,
}
