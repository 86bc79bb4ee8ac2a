//! Reading the attributes of one DIE into a small struct.
//!
//! The walk uses gimli's raw entry reader: for a DIE it cares about it reads
//! every attribute once and keeps the few it needs; other DIEs' attributes
//! are skipped without decoding.

use gimli::{constants, AttributeValue, DwAte, EntriesRaw, Expression, Reader};

/// The reader type: a slice of a (mapped or decoded) section.
pub(crate) type R<'a> = gimli::EndianSlice<'a, gimli::RunTimeEndian>;

/// A type reference as written in DWARF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DieRef {
    /// Same unit (`DW_FORM_ref*`).
    Unit(usize),
    /// Anywhere in `.debug_info` (`DW_FORM_ref_addr`).
    Info(u64),
    /// Something btfkit cannot follow (type units, supplementary files).
    Unsupported,
}

/// The attributes of one DIE that DWARF → BTF uses.
#[derive(Clone, Debug, Default)]
pub(crate) struct Attrs<'a> {
    pub name: Option<AttributeValue<R<'a>>>,
    pub linkage_name: Option<AttributeValue<R<'a>>>,
    pub ty: Option<DieRef>,
    pub byte_size: Option<u64>,
    pub bit_size: Option<u64>,
    pub data_bit_offset: Option<u64>,
    pub member_location: Option<AttributeValue<R<'a>>>,
    /// DWARF 2/3 bitfield position, counted from the most significant bit
    /// of the storage unit (GCC writes negative values for fields that
    /// spill past it in packed structs).
    pub bit_offset: Option<i64>,
    pub encoding: Option<DwAte>,
    pub declaration: bool,
    pub external: bool,
    pub const_value: Option<AttributeValue<R<'a>>>,
    pub count: Option<AttributeValue<R<'a>>>,
    pub upper_bound: Option<AttributeValue<R<'a>>>,
    pub lower_bound: Option<AttributeValue<R<'a>>>,
    pub location: Option<Expression<R<'a>>>,
    /// `DW_AT_low_pc`, `DW_AT_ranges` or `DW_AT_entry_pc`: the DIE has code.
    pub has_code: bool,
    pub abstract_origin: Option<DieRef>,
    pub specification: Option<DieRef>,
    pub discr: Option<DieRef>,
}

impl<'a> Attrs<'a> {
    /// Reads the attributes of the DIE whose abbreviation is `abbrev`:
    /// the ones used are decoded, runs of others skipped in one step.
    pub fn read(
        entries: &mut EntriesRaw<'_, '_, R<'a>>,
        abbrev: &gimli::Abbreviation,
    ) -> gimli::Result<Attrs<'a>> {
        let mut a = Attrs::default();
        a.fill(entries, abbrev)?;
        Ok(a)
    }

    /// [`read`](Self::read) into a default-initialised `self`, sparing a
    /// copy of this (large) struct per DIE on the hot path.
    pub fn fill(
        &mut self,
        entries: &mut EntriesRaw<'_, '_, R<'a>>,
        abbrev: &gimli::Abbreviation,
    ) -> gimli::Result<()> {
        let specs = abbrev.attributes();
        let mut skip_from = 0;
        for (i, spec) in specs.iter().enumerate() {
            if !used(spec.name()) {
                continue;
            }
            if skip_from < i {
                entries.skip_attributes(&specs[skip_from..i])?;
            }
            skip_from = i + 1;
            let attr = entries.read_attribute(*spec)?;
            self.take(attr.name(), attr.raw_value());
        }
        if skip_from < specs.len() {
            entries.skip_attributes(&specs[skip_from..])?;
        }
        Ok(())
    }

    fn take(&mut self, name: constants::DwAt, value: AttributeValue<R<'a>>) {
        use constants::*;
        match name {
            DW_AT_name => self.name = Some(value),
            DW_AT_linkage_name | DW_AT_MIPS_linkage_name => self.linkage_name = Some(value),
            DW_AT_type => self.ty = Some(die_ref(&value)),
            DW_AT_byte_size => self.byte_size = value.udata_value(),
            DW_AT_bit_size => self.bit_size = value.udata_value(),
            DW_AT_data_bit_offset => self.data_bit_offset = value.udata_value(),
            DW_AT_data_member_location => self.member_location = Some(value),
            DW_AT_bit_offset => {
                self.bit_offset = match value {
                    AttributeValue::Sdata(v) => Some(v),
                    v => v.udata_value().map(|v| v as i64),
                }
            }
            DW_AT_encoding => {
                self.encoding = value.udata_value().map(|v| DwAte(v as u8));
            }
            DW_AT_declaration => self.declaration = flag(&value),
            DW_AT_external => self.external = flag(&value),
            DW_AT_const_value => self.const_value = Some(value),
            DW_AT_count => self.count = Some(value),
            DW_AT_upper_bound => self.upper_bound = Some(value),
            DW_AT_lower_bound => self.lower_bound = Some(value),
            DW_AT_location => {
                self.location = match value {
                    AttributeValue::Exprloc(e) => Some(e),
                    // DWARF 2/3 location blocks.
                    AttributeValue::Block(b) => Some(Expression(b)),
                    _ => None,
                }
            }
            DW_AT_low_pc | DW_AT_ranges | DW_AT_entry_pc => self.has_code = true,
            DW_AT_abstract_origin => self.abstract_origin = Some(die_ref(&value)),
            DW_AT_specification => self.specification = Some(die_ref(&value)),
            DW_AT_discr => self.discr = Some(die_ref(&value)),
            _ => {}
        }
    }
}

/// The attributes [`Attrs`] keeps.
fn used(name: constants::DwAt) -> bool {
    use constants::*;
    matches!(
        name,
        DW_AT_name
            | DW_AT_linkage_name
            | DW_AT_MIPS_linkage_name
            | DW_AT_type
            | DW_AT_byte_size
            | DW_AT_bit_size
            | DW_AT_data_bit_offset
            | DW_AT_data_member_location
            | DW_AT_bit_offset
            | DW_AT_encoding
            | DW_AT_declaration
            | DW_AT_external
            | DW_AT_const_value
            | DW_AT_count
            | DW_AT_upper_bound
            | DW_AT_lower_bound
            | DW_AT_location
            | DW_AT_low_pc
            | DW_AT_ranges
            | DW_AT_entry_pc
            | DW_AT_abstract_origin
            | DW_AT_specification
            | DW_AT_discr
    )
}

fn flag(value: &AttributeValue<R<'_>>) -> bool {
    matches!(value, AttributeValue::Flag(true))
}

/// Classifies a reference attribute.
pub(crate) fn die_ref(value: &AttributeValue<R<'_>>) -> DieRef {
    match *value {
        AttributeValue::UnitRef(off) => DieRef::Unit(off.0),
        AttributeValue::DebugInfoRef(off) => DieRef::Info(off.0 as u64),
        _ => DieRef::Unsupported,
    }
}

/// An array bound or count. DWARF's fixed-size forms carry no sign; they
/// are read as unsigned, except that an all-ones 4- or 8-byte value is -1:
/// older GCCs write that as the upper bound of C's zero-length arrays, and
/// no real array has 2^32 - 1 as its last index. (255 in a `DW_FORM_data1`
/// is a real bound.)
pub(crate) fn bound(value: &AttributeValue<R<'_>>) -> Option<i64> {
    Some(match *value {
        AttributeValue::Data1(v) => i64::from(v),
        AttributeValue::Data2(v) => i64::from(v),
        AttributeValue::Data4(v) => all_ones_or(u64::from(v), u64::from(u32::MAX)),
        AttributeValue::Data8(v) => all_ones_or(v, u64::MAX),
        AttributeValue::Sdata(v) => v,
        AttributeValue::Udata(v) => v as i64,
        _ => return None,
    })
}

fn all_ones_or(v: u64, all_ones: u64) -> i64 {
    if v == all_ones {
        -1
    } else {
        v as i64
    }
}

/// Evaluates a `DW_AT_data_member_location`: a constant, or the DWARF 2
/// form `DW_OP_plus_uconst N` (also `DW_OP_constu N; DW_OP_plus`).
pub(crate) fn member_location(value: &AttributeValue<R<'_>>) -> Option<u64> {
    if let Some(v) = value.udata_value() {
        return Some(v);
    }
    let mut r = match value {
        AttributeValue::Exprloc(expr) => expr.0,
        AttributeValue::Block(b) => *b,
        _ => return None,
    };
    let op = r.read_u8().ok()?;
    match op {
        // DW_OP_plus_uconst
        0x23 => r.read_uleb128().ok(),
        // DW_OP_constu N, DW_OP_plus
        0x10 => {
            let v = r.read_uleb128().ok()?;
            (r.read_u8().ok()? == 0x22).then_some(v)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gimli::{EndianSlice, RunTimeEndian};

    fn slice(b: &[u8]) -> R<'_> {
        EndianSlice::new(b, RunTimeEndian::Little)
    }

    #[test]
    fn bounds_are_unsigned_except_wide_all_ones() {
        assert_eq!(bound(&AttributeValue::Data1(0xff)), Some(255));
        assert_eq!(bound(&AttributeValue::Data2(0xffff)), Some(65535));
        assert_eq!(bound(&AttributeValue::Data4(u32::MAX)), Some(-1));
        assert_eq!(bound(&AttributeValue::Data8(u64::MAX)), Some(-1));
        assert_eq!(bound(&AttributeValue::Sdata(-1)), Some(-1));
        assert_eq!(bound(&AttributeValue::Udata(7)), Some(7));
        assert_eq!(bound(&AttributeValue::Flag(true)), None);
    }

    #[test]
    fn member_locations() {
        assert_eq!(member_location(&AttributeValue::Data1(8)), Some(8));
        // DW_OP_plus_uconst 300
        let e = [0x23, 0xac, 0x02];
        assert_eq!(
            member_location(&AttributeValue::Exprloc(Expression(slice(&e)))),
            Some(300)
        );
        // DW_OP_constu 4; DW_OP_plus, in a DWARF 2 block
        let b = [0x10, 0x04, 0x22];
        assert_eq!(member_location(&AttributeValue::Block(slice(&b))), Some(4));
        // Anything else is not a constant offset.
        let e = [0x91, 0x00];
        assert_eq!(
            member_location(&AttributeValue::Exprloc(Expression(slice(&e)))),
            None
        );
    }
}
