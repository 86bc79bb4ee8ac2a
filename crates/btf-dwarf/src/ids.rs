//! Typed indices used while decoding one compilation unit.
//!
//! A unit's types live in a local table before they are merged into the
//! output BTF. DWARF references are unit offsets; they become [`LocalId`]s
//! once the whole unit has been walked (a DIE may refer to a later one).

/// Index of a type in one unit's local table: the DIE types first, in DIE
/// order, then the types the decoder synthesised (type tags, inner array
/// dimensions, Rust variant unions, decl tags, the array index type).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub(crate) struct LocalId(pub u32);

/// Index into the synthesised part of a unit's table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct SynthId(pub u32);

/// A type reference inside one unit.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ref {
    /// `void`: no type.
    Void,
    /// A DIE of this unit, by unit offset. Gone after resolution.
    Die(usize),
    /// A DIE anywhere in `.debug_info` (`DW_FORM_ref_addr`), by section
    /// offset; fixed up when the whole file has been merged.
    Info(u64),
    /// A synthesised type of this unit. Gone after resolution.
    Synth(SynthId),
    /// The unit's array index type. Gone after resolution.
    ArrayIndex,
    /// A type of the unit's table (after resolution).
    Local(LocalId),
}
