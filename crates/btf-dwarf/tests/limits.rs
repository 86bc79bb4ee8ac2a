//! DWARF the fixtures do not have, built with `gimli::write`: types at BTF's
//! limits, and members the converter has to drop.

use btf_core::{Btf, Kind};
use btf_dwarf::{encode_dwarf, Encoded, Options, RawDwarf};
use gimli::write::{AttributeValue, DwarfUnit, EndianVec, Sections, UnitEntryId};

/// `DW_TAG_LLVM_annotation` (clang's `btf_decl_tag`), not in gimli.
const DW_TAG_LLVM_ANNOTATION: gimli::DwTag = gimli::DwTag(0x6000);

/// Most entries a BTF type may have (16-bit vlen, as kernels read it).
const MAX_VLEN: usize = 0xffff;

/// One DWARF 4 unit being built.
struct Dwarf {
    unit: DwarfUnit,
}

impl Dwarf {
    fn new() -> Dwarf {
        Dwarf {
            unit: DwarfUnit::new(gimli::Encoding {
                format: gimli::Format::Dwarf32,
                version: 4,
                address_size: 8,
            }),
        }
    }

    /// Adds a DIE under `parent` with a name and `attrs`.
    fn add(
        &mut self,
        parent: UnitEntryId,
        tag: gimli::DwTag,
        name: &str,
        attrs: &[(gimli::DwAt, AttributeValue)],
    ) -> UnitEntryId {
        let id = self.unit.unit.add(parent, tag);
        let die = self.unit.unit.get_mut(id);
        if !name.is_empty() {
            die.set(gimli::DW_AT_name, AttributeValue::String(name.into()));
        }
        for (at, value) in attrs {
            die.set(*at, value.clone());
        }
        id
    }

    fn root(&self) -> UnitEntryId {
        self.unit.unit.root()
    }

    /// A 4-byte signed `int`.
    fn int(&mut self) -> UnitEntryId {
        let root = self.root();
        self.add(
            root,
            gimli::DW_TAG_base_type,
            "int",
            &[
                (gimli::DW_AT_byte_size, AttributeValue::Udata(4)),
                (
                    gimli::DW_AT_encoding,
                    AttributeValue::Encoding(gimli::DW_ATE_signed),
                ),
            ],
        )
    }

    /// A struct member of type `ty` at byte `offset`.
    fn member(
        &mut self,
        parent: UnitEntryId,
        name: &str,
        ty: UnitEntryId,
        offset: u64,
    ) -> UnitEntryId {
        self.add(
            parent,
            gimli::DW_TAG_member,
            name,
            &[
                (gimli::DW_AT_type, AttributeValue::UnitRef(ty)),
                (
                    gimli::DW_AT_data_member_location,
                    AttributeValue::Udata(offset),
                ),
            ],
        )
    }

    /// `__attribute__((btf_decl_tag(value)))` on `parent`.
    fn decl_tag(&mut self, parent: UnitEntryId, value: &str) {
        self.add(
            parent,
            DW_TAG_LLVM_ANNOTATION,
            "btf_decl_tag",
            &[(
                gimli::DW_AT_const_value,
                AttributeValue::String(value.into()),
            )],
        );
    }

    /// Converts the unit, which must succeed.
    fn convert(mut self) -> (Encoded, Vec<u8>) {
        let mut sections = Sections::new(EndianVec::new(gimli::LittleEndian));
        self.unit
            .write(&mut sections)
            .expect("gimli writes the unit");
        let raw = RawDwarf {
            debug_info: sections.debug_info.slice(),
            debug_abbrev: sections.debug_abbrev.slice(),
            debug_str: sections.debug_str.slice(),
            ..RawDwarf::default()
        };
        let encoded = encode_dwarf(&raw, &Options::default()).expect("the DWARF converts");
        let bytes = encoded.builder.write(encoded.endian).expect("BTF encodes");
        (encoded, bytes)
    }
}

/// The type named `name`.
fn named<'a>(btf: &'a Btf<'a>, name: &str) -> btf_core::types::Type<'a> {
    btf.types()
        .find(|t| btf.name(t.name_off()) == Some(name.as_bytes()))
        .unwrap_or_else(|| panic!("no type {name}"))
}

/// Whether the conversion recorded a warning whose category contains `what`.
fn warned(encoded: &Encoded, what: &str) -> bool {
    encoded.stats.warnings.keys().any(|k| k.contains(what))
}

/// 70,000 members or enumerators do not fit a 16-bit vlen: the first
/// 65,535 are kept, with a warning, and a decl tag on a dropped member goes
/// with it.
#[test]
fn lists_longer_than_the_vlen_are_cut() {
    const N: usize = 70_000;
    let mut d = Dwarf::new();
    let int = d.int();
    let root = d.root();
    let big = d.add(
        root,
        gimli::DW_TAG_structure_type,
        "big",
        &[(gimli::DW_AT_byte_size, AttributeValue::Udata(4 * N as u64))],
    );
    for i in 0..N {
        let m = d.member(big, &format!("m{i}"), int, 4 * i as u64);
        if i == 0 || i == N - 1 {
            d.decl_tag(m, &format!("tag{i}"));
        }
    }
    let many = d.add(
        root,
        gimli::DW_TAG_enumeration_type,
        "many",
        &[(gimli::DW_AT_byte_size, AttributeValue::Udata(4))],
    );
    for i in 0..N {
        d.add(
            many,
            gimli::DW_TAG_enumerator,
            &format!("E{i}"),
            &[(gimli::DW_AT_const_value, AttributeValue::Udata(i as u64))],
        );
    }
    let proto = d.add(root, gimli::DW_TAG_subroutine_type, "", &[]);
    for _ in 0..N {
        d.add(
            proto,
            gimli::DW_TAG_formal_parameter,
            "",
            &[(gimli::DW_AT_type, AttributeValue::UnitRef(int))],
        );
    }
    d.add(
        root,
        gimli::DW_TAG_typedef,
        "callback",
        &[(gimli::DW_AT_type, AttributeValue::UnitRef(proto))],
    );
    let (encoded, bytes) = d.convert();
    let btf = Btf::parse(&bytes).expect("the BTF reads back");

    let big = named(&btf, "big");
    assert_eq!(big.vlen() as usize, MAX_VLEN);
    let last = big.members().last().expect("members");
    assert_eq!(last.raw_offset as usize, 32 * (MAX_VLEN - 1));
    assert_eq!(named(&btf, "many").vlen() as usize, MAX_VLEN);
    let callback = named(&btf, "callback").type_ref().expect("typedef");
    let proto = btf.get(callback).expect("the prototype");
    assert_eq!(proto.kind(), Kind::FuncProto);
    assert_eq!(proto.vlen() as usize, MAX_VLEN);
    assert!(warned(&encoded, "65535"), "{:?}", encoded.stats.warnings);

    let tags: Vec<i32> = btf
        .types()
        .filter(|t| t.kind() == Kind::DeclTag)
        .map(|t| match t.data() {
            btf_core::types::TypeData::DeclTag(_, c) => c,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(tags, [0], "only the tag on a kept member stays");
}

/// The decl tags of a struct as (component, value).
fn decl_tags(btf: &Btf<'_>, target: btf_core::TypeId) -> Vec<(i32, String)> {
    btf.types()
        .filter_map(|t| match t.data() {
            btf_core::types::TypeData::DeclTag(to, c) if to == target => {
                let value = btf.name(t.name_off()).unwrap_or_default();
                Some((c, String::from_utf8_lossy(value).into_owned()))
            }
            _ => None,
        })
        .collect()
}

/// A member ending past its struct is dropped (see `clip_members`); decl
/// tags on the members after it must still point at their member, and a
/// tag on the dropped member goes with it.
#[test]
fn decl_tags_follow_their_member_when_one_is_clipped() {
    let mut d = Dwarf::new();
    let int = d.int();
    let root = d.root();
    let s = d.add(
        root,
        gimli::DW_TAG_structure_type,
        "clipped",
        &[(gimli::DW_AT_byte_size, AttributeValue::Udata(12))],
    );
    d.member(s, "a", int, 0);
    let past = d.member(s, "past", int, 12);
    d.decl_tag(past, "on_past");
    let b = d.member(s, "b", int, 4);
    d.decl_tag(b, "on_b");
    let c = d.member(s, "c", int, 8);
    d.decl_tag(c, "on_c");
    let (encoded, bytes) = d.convert();
    let btf = Btf::parse(&bytes).expect("the BTF reads back");

    let s = named(&btf, "clipped");
    let names: Vec<&[u8]> = s
        .members()
        .map(|m| btf.name(m.name).unwrap_or_default())
        .collect();
    assert_eq!(names, [&b"a"[..], b"b", b"c"]);
    assert!(warned(&encoded, "past their struct"));
    let mut tags = decl_tags(&btf, s.id());
    tags.sort();
    assert_eq!(tags, [(1, "on_b".to_owned()), (2, "on_c".to_owned())]);
}

/// In a struct with a bitfield (kflag), member offsets have 24 bits: a
/// member further out is dropped, and its decl tag must go with it rather
/// than point past the vlen.
#[test]
fn decl_tags_of_members_beyond_the_offset_limit_are_dropped() {
    let mut d = Dwarf::new();
    let int = d.int();
    let root = d.root();
    let s = d.add(
        root,
        gimli::DW_TAG_structure_type,
        "far",
        &[(gimli::DW_AT_byte_size, AttributeValue::Udata(3 << 20))],
    );
    let bits = d.add(
        s,
        gimli::DW_TAG_member,
        "bits",
        &[
            (gimli::DW_AT_type, AttributeValue::UnitRef(int)),
            (gimli::DW_AT_bit_size, AttributeValue::Udata(3)),
            (gimli::DW_AT_data_bit_offset, AttributeValue::Udata(0)),
        ],
    );
    d.decl_tag(bits, "on_bits");
    let far = d.member(s, "beyond", int, 2 << 20);
    d.decl_tag(far, "on_beyond");
    let (_, bytes) = d.convert();
    let btf = Btf::parse(&bytes).expect("the BTF reads back");

    let s = named(&btf, "far");
    assert!(s.kflag());
    assert_eq!(s.vlen(), 1);
    assert_eq!(decl_tags(&btf, s.id()), [(0, "on_bits".to_owned())]);
}
