//! CO-RE access strings (`"0:1:2"`), parsed against the BTF they refer to.
//!
//! A CO-RE relocation record names a *local root type* and an *access string*
//! of colon-separated decimal indices. What the indices mean depends on the
//! relocation kind ([`SpecKind::of`]):
//!
//! - **field** kinds (`byte_off`, `byte_sz`, `field_exists`, `signed`,
//!   `lshift_u64`, `rshift_u64`): the first index treats a pointer to the root
//!   as an array (`p[N]`, almost always `0`); every later index is a member
//!   index when the current type is a struct or union, or a subscript when it
//!   is an array. Anonymous members are real steps: for
//!   `struct s { int a; struct { int b[10]; }; }`, `&p->b[5]` is `0:1:0:5`.
//! - **enumerator** kinds (`enumval_exists`, `enumval_value`): exactly one
//!   index, the enumerator's position in the (modifier-stripped) root enum.
//! - **type** kinds (`local_type_id`, `target_type_id`, `type_exists`,
//!   `type_size`, `type_matches`): the string must be exactly `"0"`.
//!
//! Before each step, typedefs and modifiers (CONST, VOLATILE, RESTRICT,
//! TYPE_TAG) are skipped, as libbpf does. The semantics follow libbpf's
//! `bpf_core_parse_spec` (src/relo_core.c) as described in CORE.md §3–4.4,
//! including its limit of 64 indices (`BPF_CORE_SPEC_MAX_LEN`), its rejection of
//! indices that do not fit a C `int`, and its flexible-array rule: a subscript
//! past the end is allowed only on a zero-length array that is the last,
//! named member of its struct or union.
//!
//! An [`AccessSpec`] keeps the *raw* view (every index, anonymous members
//! included, [`AccessSpec::raw`]) and typed [`AccessStep`]s from which the
//! *high-level* view libbpf matches on (named members and subscripts only) is
//! one filter away ([`AccessStep::is_high_level`]).
//!
//! # Rendering
//!
//! [`AccessSpec`]'s `Display` gives a C-like reading followed by the access
//! string in parentheses; the part before the parentheses is what
//! `llvm-objdump -dr` prints for the same record, so the two tools agree:
//!
//! | spec | rendering |
//! |---|---|
//! | field | `struct task_struct::se.vruntime (0:3:0)` |
//! | field through an anonymous member (index 15) | `struct task_struct::<anon 15>.b (0:15:1)` |
//! | field with a subscript | `typedef pair_t::val[1][2] (0:1:1:2)` |
//! | field with a non-zero first index | `struct s::[10].a (10:0)` |
//! | enumerator | `enum pid_type::PIDTYPE_TGID = 1 (1)` |
//! | type | `struct task_struct (0)` |
//!
//! - The root is shown as declared (not modifier-stripped), named by
//!   [`TypeName`](crate::cdecl::TypeName): its C keyword (`struct`, `union`,
//!   `enum` for ENUM and ENUM64, `typedef`; a FWD shows as `struct` or
//!   `union`) and its name, `<anon>` if it has none. INT and FLOAT roots show
//!   their name alone; other kinds show the lower-case kind (`ptr <anon>`).
//! - `::` separates the root from the path. A first index other than `0`
//!   shows as a leading `[N]`, as does a lone first index (`struct s::[0]`).
//! - Members are joined with `.`; an anonymous member shows as `<anon N>`
//!   with its member index, so the rendering keeps every raw step.
//! - Enumerator values are printed as the enum means them: signed enums
//!   negative where applicable, unsigned ones never (`0xefffffff` is
//!   `4026531839`; llvm-objdump 19 prints it sign-extended).
//! - The access string in parentheses is the canonical form of the parsed
//!   indices (`"00:1"` renders as `(0:1)`).
//! - Names that are not UTF-8 are shown lossily (U+FFFD).
//!
//! ```
//! use btf_core::ext::{AccessSpec, CoreReloKind};
//! use btf_core::{Btf, BtfBuilder, Endian};
//!
//! let mut b = BtfBuilder::new();
//! let int = b.add_int("int", 4, btf_core::types::INT_SIGNED, 32);
//! let s = b.add_composite(false, "s", 8, &[("a", int, 0, 0), ("b", int, 32, 0)]);
//! let bytes = b.write(Endian::Little).unwrap();
//! let btf = Btf::parse(&bytes).unwrap();
//!
//! let spec = AccessSpec::parse(&btf, s, b"0:1", CoreReloKind::FieldByteOffset).unwrap();
//! assert_eq!(spec.bit_offset(), 32);
//! assert_eq!(spec.to_string(), "struct s::b (0:1)");
//! ```

use std::fmt;

use crate::cdecl::TypeName;
use crate::types::TypeData;
use crate::{Btf, Kind, TypeId};

use super::{CoreRelo, CoreReloKind};

/// The most indices an access string may have (libbpf's
/// `BPF_CORE_SPEC_MAX_LEN`).
pub const MAX_ACCESS_LEN: usize = 64;

/// The largest index accepted: libbpf parses indices as a C `int`.
pub const MAX_ACCESS_INDEX: u32 = i32::MAX as u32;

/// Which of the three access-string grammars a relocation kind uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpecKind {
    /// A path to a field: first index into the root, then members and
    /// subscripts (kinds 0–5).
    Field,
    /// A whole type: the access string is `"0"` (kinds 6–9 and 12).
    Type,
    /// An enumerator: one index into the root enum (kinds 10–11).
    Enumval,
}

impl SpecKind {
    /// The grammar of a relocation kind; `None` for a kind btfkit does not
    /// know.
    pub fn of(kind: CoreReloKind) -> Option<SpecKind> {
        if kind.is_field() {
            Some(SpecKind::Field)
        } else if kind.is_type() {
            Some(SpecKind::Type)
        } else if kind.is_enumval() {
            Some(SpecKind::Enumval)
        } else {
            None
        }
    }

    /// `field`, `type` or `enumval`.
    pub fn name(self) -> &'static str {
        match self {
            SpecKind::Field => "field",
            SpecKind::Type => "type",
            SpecKind::Enumval => "enumval",
        }
    }
}

/// One step of a parsed access string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessStep<'a> {
    /// The first index of a field spec: a pointer to the root treated as an
    /// array (`p[index]`).
    Root {
        /// The index (almost always 0).
        index: u32,
        /// The root with typedefs and modifiers skipped.
        type_id: TypeId,
    },
    /// A member of a struct or union.
    Member {
        /// The struct or union (typedefs and modifiers skipped).
        parent: TypeId,
        /// The member's position in `parent`.
        index: u32,
        /// The member's name; empty for an anonymous member.
        name: &'a [u8],
        /// The member's declared type.
        type_id: TypeId,
        /// The member's bit offset within `parent`.
        bit_offset: u32,
        /// The bitfield size in bits, 0 if the member is not a bitfield.
        bitfield_size: u32,
    },
    /// A subscript of an array.
    Array {
        /// The array (typedefs and modifiers skipped).
        array: TypeId,
        /// The subscript.
        index: u32,
        /// The element type, as declared.
        elem_type: TypeId,
        /// Whether the array is flexible (zero-length, last named member),
        /// so the subscript was not bounds-checked.
        flexible: bool,
    },
    /// An enumerator of the root enum.
    Enumerator {
        /// The enumerator's position in the enum.
        index: u32,
        /// The enumerator's name.
        name: &'a [u8],
        /// The value as the enum means it (negative only for signed enums).
        value: i128,
    },
}

impl AccessStep<'_> {
    /// The raw index this step came from.
    pub fn index(&self) -> u32 {
        match *self {
            AccessStep::Root { index, .. }
            | AccessStep::Member { index, .. }
            | AccessStep::Array { index, .. }
            | AccessStep::Enumerator { index, .. } => index,
        }
    }

    /// Whether the step is an anonymous member.
    pub fn is_anonymous_member(&self) -> bool {
        matches!(self, AccessStep::Member { name, .. } if name.is_empty())
    }

    /// Whether the step belongs to libbpf's high-level spec (everything but
    /// anonymous members), the part that is matched against a target by
    /// name.
    pub fn is_high_level(&self) -> bool {
        !self.is_anonymous_member()
    }
}

/// Why an access string does not fit the BTF it refers to.
///
/// `position` is the 0-based position of the offending index in the access
/// string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The access string is empty.
    #[error("empty access string")]
    Empty,
    /// A part is not a decimal number (empty, signed, spaces, other text).
    #[error("access string index {position} ({text:?}) is not a decimal number")]
    NotANumber {
        /// Position of the part.
        position: usize,
        /// The part, lossily decoded.
        text: String,
    },
    /// A part does not fit a C `int`.
    #[error("access string index {position} ({text}) is larger than {max}", max = MAX_ACCESS_INDEX)]
    IndexTooLarge {
        /// Position of the part.
        position: usize,
        /// The part.
        text: String,
    },
    /// More indices than libbpf accepts.
    #[error("access string has {len} indices, more than {max}", max = MAX_ACCESS_LEN)]
    TooLong {
        /// Number of indices.
        len: usize,
    },
    /// The relocation kind is not one btfkit knows, so the grammar is unknown.
    #[error("unknown relocation kind {0}")]
    UnknownKind(u32),
    /// The root type is `void` (id 0).
    #[error("root type is void (id 0)")]
    VoidRoot,
    /// A type id is past the last type.
    #[error("type [{id}] is past the last type id {last}")]
    TypeIdOutOfRange {
        /// The id.
        id: TypeId,
        /// The largest valid id.
        last: TypeId,
    },
    /// A typedef/modifier chain loops or is too deep to follow.
    #[error("type [{id}]: typedef/modifier chain loops or is deeper than 64")]
    BadChain {
        /// Where the chain starts.
        id: TypeId,
    },
    /// A type relocation whose access string is not `"0"`.
    #[error("a type relocation's access string must be \"0\", not \"{access}\"")]
    TypeAccessNotZero {
        /// The access string, canonical.
        access: String,
    },
    /// An enumerator relocation with other than one index.
    #[error("an enumerator relocation's access string must be one index, not {len}")]
    EnumAccessLen {
        /// Number of indices.
        len: usize,
    },
    /// An enumerator relocation whose root is not an enum.
    #[error("type [{id}] is {kind}, not ENUM or ENUM64")]
    NotAnEnum {
        /// The modifier-stripped root.
        id: TypeId,
        /// Its kind.
        kind: KindName,
    },
    /// An enumerator index past the last enumerator.
    #[error("enumerator index {index} is out of range: type [{id}] has {vlen} enumerators")]
    EnumeratorOutOfRange {
        /// The index.
        index: u32,
        /// The enum.
        id: TypeId,
        /// Its number of enumerators.
        vlen: u32,
    },
    /// A member index past the last member.
    #[error("access string index {position}: member {index} is out of range: type [{id}] has {vlen} members")]
    MemberOutOfRange {
        /// Position of the index.
        position: usize,
        /// The index.
        index: u32,
        /// The struct or union.
        id: TypeId,
        /// Its number of members.
        vlen: u32,
    },
    /// A subscript past the end of a (non-flexible) array.
    #[error("access string index {position}: subscript {index} is out of range: array [{id}] has {nelems} elements")]
    SubscriptOutOfRange {
        /// Position of the index.
        position: usize,
        /// The subscript.
        index: u32,
        /// The array.
        id: TypeId,
        /// Its number of elements.
        nelems: u32,
    },
    /// An index applied to a type that is neither a struct, a union nor an
    /// array.
    #[error(
        "access string index {position}: type [{id}] is {kind}, which has no members or elements"
    )]
    NotComposite {
        /// Position of the index.
        position: usize,
        /// The (modifier-stripped) type.
        id: TypeId,
        /// Its kind.
        kind: KindName,
    },
    /// The resulting bit offset does not fit 64 bits.
    #[error("access string index {position}: the bit offset overflows")]
    Overflow {
        /// Position of the index.
        position: usize,
    },
    /// The access string offset in the record is not in the string section.
    #[error("access string offset {0} is past the string section")]
    BadStringOffset(u32),
}

/// A kind in an error message: bpftool's spelling, or `void`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindName(pub Option<Kind>);

impl fmt::Display for KindName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(k) => f.write_str(k.name()),
            None => f.write_str("void"),
        }
    }
}

/// A parsed access string: where a CO-RE relocation points in its local BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessSpec<'a> {
    kind: SpecKind,
    root: TypeId,
    root_kind: Kind,
    root_kflag: bool,
    root_name: &'a [u8],
    raw: Vec<u32>,
    steps: Vec<AccessStep<'a>>,
    bit_offset: u64,
}

impl<'a> AccessSpec<'a> {
    /// Parses `access` for a relocation of `kind` rooted at `root`.
    pub fn parse(
        btf: &Btf<'a>,
        root: TypeId,
        access: &[u8],
        kind: CoreReloKind,
    ) -> Result<AccessSpec<'a>, AccessError> {
        let spec_kind = SpecKind::of(kind).ok_or(AccessError::UnknownKind(kind.to_raw()))?;
        AccessSpec::parse_as(btf, root, access, spec_kind)
    }

    /// Parses the access string of a `core_relo` record, looking it up in
    /// `btf`'s strings.
    pub fn from_relo(btf: &Btf<'a>, relo: &CoreRelo) -> Result<AccessSpec<'a>, AccessError> {
        let access = btf
            .name(relo.access_str)
            .ok_or(AccessError::BadStringOffset(relo.access_str.0))?;
        AccessSpec::parse(btf, relo.type_id, access, relo.kind)
    }

    /// Parses `access` with an explicit grammar.
    pub fn parse_as(
        btf: &Btf<'a>,
        root: TypeId,
        access: &[u8],
        kind: SpecKind,
    ) -> Result<AccessSpec<'a>, AccessError> {
        let raw = parse_access_indices(access)?;
        if root.is_void() {
            return Err(AccessError::VoidRoot);
        }
        let Some(root_ty) = btf.get(root) else {
            return Err(AccessError::TypeIdOutOfRange {
                id: root,
                last: btf.last_id(),
            });
        };
        let mut spec = AccessSpec {
            kind,
            root,
            root_kind: root_ty.kind(),
            root_kflag: root_ty.kflag(),
            root_name: btf.type_name(&root_ty),
            raw,
            steps: Vec::new(),
            bit_offset: 0,
        };
        match kind {
            SpecKind::Type => {
                if spec.raw != [0] {
                    return Err(AccessError::TypeAccessNotZero {
                        access: spec.access_string(),
                    });
                }
            }
            SpecKind::Enumval => spec.parse_enumval(btf)?,
            SpecKind::Field => spec.parse_field(btf)?,
        }
        Ok(spec)
    }

    fn parse_enumval(&mut self, btf: &Btf<'a>) -> Result<(), AccessError> {
        let id = strip(btf, self.root)?;
        let ty = btf.get(id);
        let kind = ty.as_ref().map(|t| t.kind());
        let Some(ty) = ty.filter(|t| t.kind().is_enum()) else {
            return Err(AccessError::NotAnEnum {
                id,
                kind: KindName(kind),
            });
        };
        if self.raw.len() != 1 {
            return Err(AccessError::EnumAccessLen {
                len: self.raw.len(),
            });
        }
        let index = self.raw[0];
        let vlen = ty.enum_values().len() as u32;
        let Some(v) = ty.enum_values().nth(index as usize) else {
            return Err(AccessError::EnumeratorOutOfRange { index, id, vlen });
        };
        self.steps.push(AccessStep::Enumerator {
            index,
            name: btf.name(v.name).unwrap_or_default(),
            value: v.value(),
        });
        Ok(())
    }

    fn parse_field(&mut self, btf: &Btf<'a>) -> Result<(), AccessError> {
        let root = strip(btf, self.root)?;
        let first = self.raw[0];
        let size = btf
            .resolve_size(root)
            .map_err(|_| AccessError::BadChain { id: root })?;
        let mut bits = u64::from(first)
            .checked_mul(size)
            .and_then(|v| v.checked_mul(8))
            .ok_or(AccessError::Overflow { position: 0 })?;
        self.steps.push(AccessStep::Root {
            index: first,
            type_id: root,
        });
        let mut cur = root;
        for (position, &index) in self.raw.iter().enumerate().skip(1) {
            let id = strip(btf, cur)?;
            let ty = btf.get(id);
            let overflow = AccessError::Overflow { position };
            match ty.map(|t| (t, t.data())) {
                Some((t, TypeData::Struct(members) | TypeData::Union(members))) => {
                    let vlen = t.vlen();
                    let Some(m) = members.get(index as usize) else {
                        return Err(AccessError::MemberOutOfRange {
                            position,
                            index,
                            id,
                            vlen,
                        });
                    };
                    bits = bits
                        .checked_add(u64::from(m.bit_offset()))
                        .ok_or(overflow)?;
                    self.steps.push(AccessStep::Member {
                        parent: id,
                        index,
                        name: btf.name(m.name).unwrap_or_default(),
                        type_id: m.type_id,
                        bit_offset: m.bit_offset(),
                        bitfield_size: m.bitfield_size(),
                    });
                    cur = m.type_id;
                }
                Some((_, TypeData::Array(a))) => {
                    let flexible = a.nelems == 0 && self.last_named_member_is_last(btf);
                    if !flexible && index >= a.nelems {
                        return Err(AccessError::SubscriptOutOfRange {
                            position,
                            index,
                            id,
                            nelems: a.nelems,
                        });
                    }
                    let elem = btf
                        .resolve_size(a.elem_type)
                        .map_err(|_| AccessError::BadChain { id: a.elem_type })?;
                    bits = u64::from(index)
                        .checked_mul(elem)
                        .and_then(|v| v.checked_mul(8))
                        .and_then(|v| v.checked_add(bits))
                        .ok_or(overflow)?;
                    self.steps.push(AccessStep::Array {
                        array: id,
                        index,
                        elem_type: a.elem_type,
                        flexible,
                    });
                    cur = a.elem_type;
                }
                _ => {
                    return Err(AccessError::NotComposite {
                        position,
                        id,
                        kind: KindName(ty.map(|t| t.kind())),
                    })
                }
            }
        }
        self.bit_offset = bits;
        Ok(())
    }

    /// libbpf's flexible-array test: the previous high-level step is a named
    /// member that is the last member of its struct or union.
    fn last_named_member_is_last(&self, btf: &Btf<'a>) -> bool {
        match self.steps.iter().rev().find(|s| s.is_high_level()) {
            Some(&AccessStep::Member {
                parent,
                index,
                name,
                ..
            }) => {
                !name.is_empty()
                    && btf
                        .get(parent)
                        .is_some_and(|p| p.vlen().checked_sub(1) == Some(index))
            }
            _ => false,
        }
    }

    /// The grammar the access string was parsed with.
    pub fn kind(&self) -> SpecKind {
        self.kind
    }

    /// The local root type, as the record names it (not modifier-stripped).
    pub fn root(&self) -> TypeId {
        self.root
    }

    /// The root's kind.
    pub fn root_kind(&self) -> Kind {
        self.root_kind
    }

    /// The root's name, empty if anonymous.
    pub fn root_name(&self) -> &'a [u8] {
        self.root_name
    }

    /// Every index of the access string (libbpf's raw spec).
    pub fn raw(&self) -> &[u32] {
        &self.raw
    }

    /// The parsed steps: for a field spec one per index (the first is
    /// [`AccessStep::Root`]); for an enumerator spec one
    /// [`AccessStep::Enumerator`]; for a type spec none.
    pub fn steps(&self) -> &[AccessStep<'a>] {
        &self.steps
    }

    /// The steps of libbpf's high-level spec: all but anonymous members.
    pub fn high_level_steps(&self) -> impl Iterator<Item = &AccessStep<'a>> {
        self.steps.iter().filter(|s| s.is_high_level())
    }

    /// For a field spec, the field's bit offset from the start of the root
    /// object (`p[0]`); 0 for the other grammars.
    pub fn bit_offset(&self) -> u64 {
        self.bit_offset
    }

    /// The type of what the spec designates: for a field spec the last
    /// step's declared type (a member's or an array element's type, or the
    /// root), for the other grammars the root.
    pub fn target_type(&self) -> TypeId {
        match self.steps.last() {
            Some(AccessStep::Member { type_id, .. }) => *type_id,
            Some(AccessStep::Array { elem_type, .. }) => *elem_type,
            _ => self.root,
        }
    }

    /// The enumerator of an enumerator spec.
    pub fn enumerator(&self) -> Option<(&'a [u8], i128)> {
        match self.steps.first() {
            Some(&AccessStep::Enumerator { name, value, .. }) => Some((name, value)),
            _ => None,
        }
    }

    /// The canonical access string (`0:1:2`).
    pub fn access_string(&self) -> String {
        let mut s = String::new();
        for (i, v) in self.raw.iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            s.push_str(&v.to_string());
        }
        s
    }

    /// The C-like reading without the access string: `struct s::a.b[2]`,
    /// `enum e::X = 3`, `struct s`.
    pub fn path(&self) -> SpecPath<'_, 'a> {
        SpecPath(self)
    }

    /// The root as C would name it: `struct task_struct`, `typedef pid_t`.
    pub fn root_display(&self) -> TypeName<'a> {
        TypeName::new(self.root_kind, self.root_kflag, self.root_name)
    }
}

impl fmt::Display for AccessSpec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (", self.path())?;
        for (i, v) in self.raw.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{v}")?;
        }
        f.write_str(")")
    }
}

/// The C-like path of an [`AccessSpec`], without the access string.
#[derive(Clone, Copy, Debug)]
pub struct SpecPath<'s, 'a>(&'s AccessSpec<'a>);

impl fmt::Display for SpecPath<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.0;
        write!(f, "{}", spec.root_display())?;
        match spec.kind {
            SpecKind::Type => Ok(()),
            SpecKind::Enumval => match spec.steps.first() {
                Some(&AccessStep::Enumerator { index, name, value }) => {
                    f.write_str("::")?;
                    write_name(f, name, index)?;
                    write!(f, " = {value}")
                }
                _ => Ok(()),
            },
            SpecKind::Field => {
                f.write_str("::")?;
                let mut empty = true;
                for step in &spec.steps {
                    match *step {
                        AccessStep::Root { index, .. } => {
                            if index != 0 || spec.steps.len() == 1 {
                                write!(f, "[{index}]")?;
                                empty = false;
                            }
                        }
                        AccessStep::Member { index, name, .. } => {
                            if !empty {
                                f.write_str(".")?;
                            }
                            write_name(f, name, index)?;
                            empty = false;
                        }
                        AccessStep::Array { index, .. } => {
                            write!(f, "[{index}]")?;
                            empty = false;
                        }
                        AccessStep::Enumerator { .. } => {}
                    }
                }
                Ok(())
            }
        }
    }
}

fn write_name(f: &mut fmt::Formatter<'_>, name: &[u8], index: u32) -> fmt::Result {
    if name.is_empty() {
        write!(f, "<anon {index}>")
    } else {
        f.write_str(&String::from_utf8_lossy(name))
    }
}

/// The root rendering of [`AccessSpec`]: [`TypeName`], under the name
/// this module has always exported.
pub type RootName<'a> = TypeName<'a>;

/// Splits an access string into its indices without looking at any BTF:
/// each part must be decimal digits with a value of at most
/// [`MAX_ACCESS_INDEX`], and there may be at most [`MAX_ACCESS_LEN`] parts.
/// The part count is checked first, which bounds the work by the string's
/// length. Errors are [`AccessError::Empty`], [`AccessError::TooLong`],
/// [`AccessError::NotANumber`] and [`AccessError::IndexTooLarge`].
///
/// This is the string grammar [`AccessSpec::parse`] uses; it is public for
/// callers that walk the types themselves (the CO-RE relocation engine).
pub fn parse_access_indices(access: &[u8]) -> Result<Vec<u32>, AccessError> {
    if access.is_empty() {
        return Err(AccessError::Empty);
    }
    let len = access.iter().filter(|&&b| b == b':').count() + 1;
    if len > MAX_ACCESS_LEN {
        return Err(AccessError::TooLong { len });
    }
    let mut out = Vec::with_capacity(len);
    for (position, part) in access.split(|&b| b == b':').enumerate() {
        let text = || String::from_utf8_lossy(part).into_owned();
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return Err(AccessError::NotANumber {
                position,
                text: text(),
            });
        }
        let value = part
            .iter()
            .try_fold(0u32, |acc, &d| {
                acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
            })
            .filter(|&v| v <= MAX_ACCESS_INDEX);
        match value {
            Some(v) => out.push(v),
            None => {
                return Err(AccessError::IndexTooLarge {
                    position,
                    text: text(),
                })
            }
        }
    }
    Ok(out)
}

/// Skips typedefs and modifiers; an id past the last type is an error.
fn strip(btf: &Btf<'_>, id: TypeId) -> Result<TypeId, AccessError> {
    let stripped = btf
        .skip_modifiers(id)
        .map_err(|_| AccessError::BadChain { id })?;
    if !stripped.is_void() && btf.get(stripped).is_none() {
        return Err(AccessError::TypeIdOutOfRange {
            id: stripped,
            last: btf.last_id(),
        });
    }
    Ok(stripped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::INT_SIGNED;
    use crate::write::OwnedType;
    use crate::{BtfBuilder, Endian};

    /// Ids of the test BTF, which mirrors this C (layout checked against
    /// clang-19's relocated immediates):
    ///
    /// ```c
    /// struct s { int a; struct { int b[10]; }; struct { int c; } named[3];
    ///            union { int u1; long u2; }; int flex[]; };
    /// typedef int arr_t[4];
    /// struct w { arr_t x; const volatile struct s inner; };
    /// ```
    struct Ids {
        int: TypeId,
        s: TypeId,
        w: TypeId,
        w_t: TypeId,
        ptr_s: TypeId,
        e_signed: TypeId,
        e_unsigned: TypeId,
        e64: TypeId,
        e_typedef: TypeId,
        mid_zero: TypeId,
        bits: TypeId,
        huge: TypeId,
        loop_a: TypeId,
        fwd_u: TypeId,
        anon_s: TypeId,
        tagged: TypeId,
    }

    fn build() -> (BtfBuilder, Ids) {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        let long = b.add_int("long", 8, INT_SIGNED, 64);
        let int10 = b.add(OwnedType::array(int, int, 10));
        let anon_b = b.add_composite(false, "", 40, &[("b", int10, 0, 0)]);
        let anon_c = b.add_composite(false, "", 4, &[("c", int, 0, 0)]);
        let named = b.add(OwnedType::array(anon_c, int, 3));
        let anon_u = b.add_composite(true, "", 8, &[("u1", int, 0, 0), ("u2", long, 0, 0)]);
        let flex = b.add(OwnedType::array(int, int, 0));
        let s = b.add_composite(
            false,
            "s",
            64,
            &[
                ("a", int, 0, 0),
                ("", anon_b, 32, 0),
                ("named", named, 352, 0),
                ("", anon_u, 448, 0),
                ("flex", flex, 512, 0),
            ],
        );
        let int4 = b.add(OwnedType::array(int, int, 4));
        let arr_t_name = b.add_str("arr_t");
        let arr_t = b.add(OwnedType::typedef(arr_t_name, int4));
        let vol = b.add(OwnedType::volatile(s));
        let cv = b.add(OwnedType::konst(vol));
        let w = b.add_composite(false, "w", 80, &[("x", arr_t, 0, 0), ("inner", cv, 128, 0)]);
        let w_t_name = b.add_str("w_t");
        let w_t = b.add(OwnedType::typedef(w_t_name, w));
        let ptr_s = b.add(OwnedType::ptr(s));
        let e_signed = b.add_enum("e", 4, true, &[("A", 0), ("B", -1)]);
        let e_unsigned = b.add_enum("u", 4, false, &[("RAM", 1), ("SOFT", 0xefff_ffff)]);
        let e64 = b.add_enum("big", 8, false, &[("HV", -32), ("USER", -512)]);
        let e_t_name = b.add_str("e_t");
        let e_typedef = b.add(OwnedType::typedef(e_t_name, e_signed));
        let mid_zero = b.add_composite(
            false,
            "mid_zero",
            8,
            &[
                ("z", flex, 0, 0),
                ("after", int, 0, 0),
                ("last", long, 0, 0),
            ],
        );
        let bits = b.add_composite(false, "bits", 4, &[("lo", int, 0, 3), ("hi", int, 3, 5)]);
        let huge = b.add_composite(false, "huge", u32::MAX, &[("x", int, 0, 0)]);
        // A typedef loop: a -> b -> a.
        let la = b.add_str("loop_a");
        let lb = b.add_str("loop_b");
        let loop_b = TypeId(next_id(&b) + 1);
        let loop_a = b.add(OwnedType::typedef(la, loop_b));
        b.add(OwnedType::typedef(lb, loop_a));
        let fu = b.add_str("fu");
        let fwd_u = b.add(OwnedType::fwd(fu, true));
        let anon_s = b.add_composite(false, "", 4, &[("v", int, 0, 0)]);
        let tag = b.add_str("user");
        let tag_t = b.add(OwnedType::type_tag(tag, s));
        let tn = b.add_str("tagged_t");
        let tagged = b.add(OwnedType::typedef(tn, tag_t));
        let ids = Ids {
            int,
            s,
            w,
            w_t,
            ptr_s,
            e_signed,
            e_unsigned,
            e64,
            e_typedef,
            mid_zero,
            bits,
            huge,
            loop_a,
            fwd_u,
            anon_s,
            tagged,
        };
        (b, ids)
    }

    /// The id the next added type will get.
    fn next_id(b: &BtfBuilder) -> u32 {
        b.types().len() as u32 + 1
    }

    /// Runs `f` on the test BTF in both byte orders.
    fn both(f: impl Fn(&Btf<'_>, &Ids)) {
        let (b, ids) = build();
        for endian in [Endian::Little, Endian::Big] {
            let bytes = b.write(endian).unwrap();
            let btf = Btf::parse(&bytes).unwrap();
            f(&btf, &ids);
        }
    }

    fn field<'a>(btf: &Btf<'a>, root: TypeId, access: &str) -> AccessSpec<'a> {
        AccessSpec::parse(btf, root, access.as_bytes(), CoreReloKind::FieldByteOffset)
            .unwrap_or_else(|e| panic!("{access}: {e}"))
    }

    fn field_err(btf: &Btf<'_>, root: TypeId, access: &[u8]) -> AccessError {
        AccessSpec::parse(btf, root, access, CoreReloKind::FieldByteOffset).unwrap_err()
    }

    #[test]
    fn field_paths_render_like_llvm_objdump() {
        // Expected text and byte offsets are those llvm-objdump-19 and clang-19
        // give for the same C (see `Ids`).
        both(|btf, ids| {
            let cases = [
                (
                    ids.s,
                    "10:1:0:5",
                    "struct s::[10].<anon 1>.b[5] (10:1:0:5)",
                    664,
                ),
                (ids.s, "3", "struct s::[3] (3)", 192),
                (ids.s, "2:0", "struct s::[2].a (2:0)", 128),
                (ids.s, "0:2:2:0", "struct s::named[2].c (0:2:2:0)", 52),
                (ids.s, "0:3:1", "struct s::<anon 3>.u2 (0:3:1)", 56),
                (ids.s, "0:4:7", "struct s::flex[7] (0:4:7)", 92),
                (ids.w, "0:0:2", "struct w::x[2] (0:0:2)", 8),
                (
                    ids.w,
                    "0:1:2:1:0",
                    "struct w::inner.named[1].c (0:1:2:1:0)",
                    64,
                ),
                (
                    ids.w,
                    "1:1:1:0:3",
                    "struct w::[1].inner.<anon 1>.b[3] (1:1:1:0:3)",
                    112,
                ),
                (ids.w_t, "0:1:0", "typedef w_t::inner.a (0:1:0)", 16),
                (ids.s, "0", "struct s::[0] (0)", 0),
            ];
            for (root, access, text, bytes) in cases {
                let spec = field(btf, root, access);
                assert_eq!(spec.to_string(), text);
                assert_eq!(spec.bit_offset(), bytes * 8, "{access}");
                assert_eq!(spec.kind(), SpecKind::Field);
                assert_eq!(spec.access_string(), access);
                assert_eq!(spec.raw().len(), spec.steps().len());
            }
        });
    }

    #[test]
    fn steps_carry_types_and_offsets() {
        both(|btf, ids| {
            let spec = field(btf, ids.w, "0:1:2:1:0");
            let steps = spec.steps();
            assert!(matches!(steps[0], AccessStep::Root { index: 0, type_id } if type_id == ids.w));
            let AccessStep::Member {
                parent,
                name,
                bit_offset,
                type_id,
                ..
            } = steps[1]
            else {
                panic!("{:?}", steps[1]);
            };
            assert_eq!((parent, name, bit_offset), (ids.w, &b"inner"[..], 128));
            // The member's declared type is the CONST; the next step strips it.
            assert_eq!(btf.get(type_id).unwrap().kind(), Kind::Const);
            assert!(
                matches!(steps[2], AccessStep::Member { parent, index: 2, .. } if parent == ids.s)
            );
            assert!(matches!(
                steps[3],
                AccessStep::Array {
                    index: 1,
                    flexible: false,
                    ..
                }
            ));
            assert_eq!(spec.target_type(), ids.int);
            assert_eq!(spec.root_name(), b"w");
            assert_eq!(spec.root_kind(), Kind::Struct);
            assert_eq!(spec.path().to_string(), "struct w::inner.named[1].c");

            let anon = field(btf, ids.s, "0:1:0:5");
            assert!(anon.steps()[1].is_anonymous_member());
            let high: Vec<u32> = anon.high_level_steps().map(|s| s.index()).collect();
            assert_eq!(high, [0, 0, 5]);
            assert!(matches!(
                anon.steps()[3],
                AccessStep::Array { index: 5, .. }
            ));
        });
    }

    #[test]
    fn bitfields_and_modifier_roots() {
        both(|btf, ids| {
            let spec = field(btf, ids.bits, "0:1");
            assert!(matches!(
                spec.steps()[1],
                AccessStep::Member {
                    bit_offset: 3,
                    bitfield_size: 5,
                    ..
                }
            ));
            assert_eq!(spec.bit_offset(), 3);
            // typedef -> TYPE_TAG -> struct s: both skipped.
            let tagged = field(btf, ids.tagged, "0:4:2");
            assert_eq!(tagged.to_string(), "typedef tagged_t::flex[2] (0:4:2)");
            assert_eq!(tagged.bit_offset(), (64 + 8) * 8);
        });
    }

    #[test]
    fn flexible_arrays_only_at_the_end() {
        both(|btf, ids| {
            let spec = field(btf, ids.s, "0:4:1000");
            assert!(matches!(
                spec.steps()[2],
                AccessStep::Array { flexible: true, .. }
            ));
            // A zero-length array that is not the last member is bounded.
            assert_eq!(
                field_err(btf, ids.mid_zero, b"0:0:0"),
                AccessError::SubscriptOutOfRange {
                    position: 2,
                    index: 0,
                    id: TypeId(8), // the `int[0]` array
                    nelems: 0,
                }
            );
            assert_eq!(
                field_err(btf, ids.s, b"0:1:0:10"),
                AccessError::SubscriptOutOfRange {
                    position: 3,
                    index: 10,
                    id: TypeId(3),
                    nelems: 10,
                }
            );
        });
    }

    #[test]
    fn enumerators() {
        both(|btf, ids| {
            let parse = |root, access: &str| {
                AccessSpec::parse(btf, root, access.as_bytes(), CoreReloKind::EnumvalValue)
            };
            let s = parse(ids.e_signed, "1").unwrap();
            assert_eq!(s.to_string(), "enum e::B = -1 (1)");
            assert_eq!(s.enumerator(), Some((&b"B"[..], -1)));
            assert_eq!(s.kind(), SpecKind::Enumval);
            assert_eq!(s.bit_offset(), 0);
            assert_eq!(
                parse(ids.e_unsigned, "1").unwrap().to_string(),
                "enum u::SOFT = 4026531839 (1)"
            );
            assert_eq!(
                parse(ids.e64, "1").unwrap().to_string(),
                "enum big::USER = 18446744073709551104 (1)"
            );
            assert_eq!(
                parse(ids.e_typedef, "0").unwrap().to_string(),
                "typedef e_t::A = 0 (0)"
            );
            assert_eq!(
                parse(ids.e_signed, "2").unwrap_err(),
                AccessError::EnumeratorOutOfRange {
                    index: 2,
                    id: ids.e_signed,
                    vlen: 2
                }
            );
            assert_eq!(
                parse(ids.e_signed, "0:1").unwrap_err(),
                AccessError::EnumAccessLen { len: 2 }
            );
            assert_eq!(
                parse(ids.s, "0").unwrap_err(),
                AccessError::NotAnEnum {
                    id: ids.s,
                    kind: KindName(Some(Kind::Struct))
                }
            );
            let exists = AccessSpec::parse(btf, ids.e64, b"0", CoreReloKind::EnumvalExists);
            assert_eq!(
                exists.unwrap().to_string(),
                "enum big::HV = 18446744073709551584 (0)"
            );
        });
    }

    #[test]
    fn type_specs() {
        both(|btf, ids| {
            for kind in [6, 7, 8, 9, 12].map(CoreReloKind::from_raw) {
                let s = AccessSpec::parse(btf, ids.s, b"0", kind).unwrap();
                assert_eq!(s.to_string(), "struct s (0)");
                assert!(s.steps().is_empty());
                assert_eq!(s.kind(), SpecKind::Type);
                assert_eq!(s.target_type(), ids.s);
            }
            let ty =
                |root, access: &[u8]| AccessSpec::parse(btf, root, access, CoreReloKind::TypeSize);
            assert_eq!(ty(ids.w_t, b"0").unwrap().to_string(), "typedef w_t (0)");
            assert_eq!(ty(ids.int, b"0").unwrap().to_string(), "int (0)");
            assert_eq!(ty(ids.ptr_s, b"0").unwrap().to_string(), "ptr <anon> (0)");
            assert_eq!(ty(ids.fwd_u, b"0").unwrap().to_string(), "union fu (0)");
            assert_eq!(
                ty(ids.anon_s, b"0").unwrap().to_string(),
                "struct <anon> (0)"
            );
            for bad in [&b"1"[..], b"0:0", b"00:0"] {
                assert!(matches!(
                    ty(ids.s, bad).unwrap_err(),
                    AccessError::TypeAccessNotZero { .. }
                ));
            }
            // Canonical form: leading zeros are accepted, as by libbpf.
            assert_eq!(ty(ids.s, b"00").unwrap().to_string(), "struct s (0)");
        });
    }

    #[test]
    fn malformed_strings() {
        both(|btf, ids| {
            assert_eq!(field_err(btf, ids.s, b""), AccessError::Empty);
            for (bad, position) in [
                (&b"0:"[..], 1),
                (b":0", 0),
                (b"a", 0),
                (b"-1", 0),
                (b"0:+1", 1),
                (b"0: 1", 1),
                (b"0::1", 1),
                (b"0:1\xff", 1),
            ] {
                match field_err(btf, ids.s, bad) {
                    AccessError::NotANumber { position: p, .. } => assert_eq!(p, position),
                    other => panic!("{bad:?}: {other:?}"),
                }
            }
            for big in [
                &b"2147483648"[..],
                b"4294967296",
                b"99999999999999999999999",
            ] {
                assert!(matches!(
                    field_err(btf, ids.s, big),
                    AccessError::IndexTooLarge { position: 0, .. }
                ));
            }
            let long = vec!["0"; MAX_ACCESS_LEN + 1].join(":");
            assert_eq!(
                field_err(btf, ids.s, long.as_bytes()),
                AccessError::TooLong { len: 65 }
            );
            // 64 indices is within the limit; it fails later, on the types.
            let ok_len = vec!["0"; MAX_ACCESS_LEN].join(":");
            assert!(matches!(
                field_err(btf, ids.s, ok_len.as_bytes()),
                AccessError::NotComposite { .. }
            ));
        });
    }

    #[test]
    fn errors_name_the_step() {
        both(|btf, ids| {
            assert_eq!(
                field_err(btf, ids.s, b"0:5"),
                AccessError::MemberOutOfRange {
                    position: 1,
                    index: 5,
                    id: ids.s,
                    vlen: 5
                }
            );
            assert_eq!(
                field_err(btf, ids.s, b"0:0:0"),
                AccessError::NotComposite {
                    position: 2,
                    id: ids.int,
                    kind: KindName(Some(Kind::Int))
                }
            );
            // Pointers are not followed: `p->q->r` is two relocations.
            assert!(matches!(
                field_err(btf, ids.ptr_s, b"0:0"),
                AccessError::NotComposite {
                    position: 1,
                    kind: KindName(Some(Kind::Ptr)),
                    ..
                }
            ));
            let last = btf.last_id();
            assert_eq!(
                field_err(btf, TypeId(last.0 + 1), b"0"),
                AccessError::TypeIdOutOfRange {
                    id: TypeId(last.0 + 1),
                    last
                }
            );
            assert_eq!(field_err(btf, TypeId::VOID, b"0"), AccessError::VoidRoot);
            assert_eq!(
                field_err(btf, ids.loop_a, b"0:0"),
                AccessError::BadChain { id: ids.loop_a }
            );
            assert_eq!(
                field_err(btf, ids.huge, b"2147483647"),
                AccessError::Overflow { position: 0 }
            );
            assert_eq!(
                AccessSpec::parse(btf, ids.s, b"0", CoreReloKind::Unknown(13)).unwrap_err(),
                AccessError::UnknownKind(13)
            );
            // Every error has a message.
            assert!(!field_err(btf, ids.s, b"0:5").to_string().is_empty());
        });
    }

    #[test]
    fn from_relo_looks_up_the_string() {
        let (mut b, ids) = build();
        let acc = b.add_str("0:2:1:0");
        let bytes = b.write(Endian::Little).unwrap();
        let btf = Btf::parse(&bytes).unwrap();
        let relo = CoreRelo {
            insn_off: 8,
            type_id: ids.s,
            access_str: acc,
            kind: CoreReloKind::FieldByteSize,
        };
        let spec = AccessSpec::from_relo(&btf, &relo).unwrap();
        assert_eq!(spec.to_string(), "struct s::named[1].c (0:2:1:0)");
        let bad = CoreRelo {
            access_str: crate::StrOffset(btf.str_len_total() + 10),
            ..relo
        };
        assert_eq!(
            AccessSpec::from_relo(&btf, &bad).unwrap_err(),
            AccessError::BadStringOffset(btf.str_len_total() + 10)
        );
    }

    #[test]
    fn spec_kinds() {
        use CoreReloKind as K;
        assert_eq!(SpecKind::of(K::FieldByteOffset), Some(SpecKind::Field));
        assert_eq!(SpecKind::of(K::FieldRshiftU64), Some(SpecKind::Field));
        assert_eq!(SpecKind::of(K::TypeMatches), Some(SpecKind::Type));
        assert_eq!(SpecKind::of(K::TypeIdLocal), Some(SpecKind::Type));
        assert_eq!(SpecKind::of(K::EnumvalExists), Some(SpecKind::Enumval));
        assert_eq!(SpecKind::of(K::Unknown(99)), None);
        assert_eq!(SpecKind::Enumval.name(), "enumval");
    }
}
