//! The DIEs that are types: base types, modifiers, structs and unions and
//! their members, enums, arrays, prototypes.
//!
//! Each gets its slot in the unit's table when it is read; those whose
//! content comes from children (members, enumerators, dimensions,
//! parameters) are filled in when their frame completes.

use btf_core::types::{INT_BOOL, INT_SIGNED};
use btf_core::Kind;
use gimli::{constants, DwTag};

use crate::attrs::{bound, member_location, Attrs, DieRef};
use crate::ids::{LocalId, Ref};
use crate::model::{Body, LocalMember, LocalType, Name, RawEnumerator, ANON};
use crate::unit::{Frame, TagTarget, UnitDecoder};

impl<'a> UnitDecoder<'_, 'a> {
    pub(crate) fn base_type(&mut self, offset: usize, a: &Attrs<'a>) -> gimli::Result<()> {
        use constants::*;
        let name = self.bytes(&a.name)?;
        if is_convert_helper(&name) {
            // Only DW_OP_convert in location expressions uses these; they
            // are not types of the program.
            self.alias(offset, Ref::Void);
            return Ok(());
        }
        let size = a
            .byte_size
            .unwrap_or_else(|| a.bit_size.unwrap_or(0).div_ceil(8));
        // Sizes come from the input: saturate rather than overflow.
        let bits = a.bit_size.unwrap_or(size.saturating_mul(8));
        let int_ok = matches!(size, 0 | 1 | 2 | 4 | 8 | 16) && bits <= size.saturating_mul(8);
        let encoding = a.encoding.unwrap_or(DW_ATE_unsigned);
        let ty = match encoding {
            DW_ATE_float if matches!(size, 2 | 4 | 8 | 12 | 16) => {
                LocalType::simple(Kind::Float, Name::Bytes(name), size as u32, Ref::Void)
            }
            DW_ATE_boolean if int_ok => {
                LocalType::int(Name::Bytes(name), size as u32, INT_BOOL, bits as u32)
            }
            DW_ATE_signed | DW_ATE_signed_char | DW_ATE_signed_fixed if int_ok => {
                LocalType::int(Name::Bytes(name), size as u32, INT_SIGNED, bits as u32)
            }
            DW_ATE_unsigned
            | DW_ATE_unsigned_char
            | DW_ATE_UTF
            | DW_ATE_address
            | DW_ATE_unsigned_fixed
                if int_ok =>
            {
                LocalType::int(Name::Bytes(name), size as u32, 0, bits as u32)
            }
            _ => {
                // Complex, decimal, odd widths: keep the size so layouts of
                // containing types survive, as an anonymous empty struct.
                let what = String::from_utf8_lossy(&name).into_owned();
                self.warn(
                    "base types without a BTF encoding encoded as empty structs",
                    format!("'{what}' ({encoding}, {size} bytes)"),
                );
                LocalType::composite(false, ANON, size as u32, Vec::new())
            }
        };
        let is_int = ty.kind == Kind::Int
            && ty.size == 4
            && matches!(ty.body, Body::Int(raw) if raw >> 24 == u32::from(INT_SIGNED))
            && ty.name == Name::from(&b"int"[..]);
        let id = self.slot(offset, ty);
        if is_int && self.int_type.is_none() {
            self.int_type = Some(id);
        }
        Ok(())
    }

    pub(crate) fn modifier(
        &mut self,
        offset: usize,
        kind: Kind,
        a: &Attrs<'a>,
    ) -> Option<Frame<'a>> {
        let ty = self.type_ref(a);
        self.slot(offset, LocalType::reference(kind, ANON, ty));
        None
    }

    pub(crate) fn composite(
        &mut self,
        offset: usize,
        union: bool,
        a: &Attrs<'a>,
    ) -> gimli::Result<Option<Frame<'a>>> {
        let kind = if union { Kind::Union } else { Kind::Struct };
        let name = self.name(kind, a)?;
        if a.declaration || (a.byte_size.is_none() && !self.name_is_empty(&name)) {
            let mut fwd = LocalType::simple(Kind::Fwd, name, 0, Ref::Void);
            fwd.kflag = union;
            self.slot(offset, fwd);
            // Children of a declaration (C++ methods) are not members.
            return Ok(None);
        }
        let size = a.byte_size.unwrap_or(0);
        let size = u32::try_from(size).unwrap_or_else(|_| {
            self.warn("composites over 4 GiB truncated", format!("{size} bytes"));
            u32::MAX
        });
        let id = self.slot(offset, LocalType::composite(union, name, size, Vec::new()));
        Ok(Some(Frame::Composite {
            id,
            members: Vec::new(),
        }))
    }

    pub(crate) fn member(
        &mut self,
        tag: DwTag,
        a: &Attrs<'a>,
        offset: usize,
    ) -> gimli::Result<Option<Frame<'a>>> {
        // Static data members (DWARF 4 and earlier) are declarations.
        if a.declaration || (a.external && tag == constants::DW_TAG_member) {
            return Ok(None);
        }
        let name = if tag == constants::DW_TAG_inheritance {
            ANON
        } else {
            self.name(Kind::Struct, a)?
        };
        let ty = self.type_ref(a);
        let (bit_offset, bitfield) = self.member_offset(a);
        let member = LocalMember {
            name,
            ty,
            bit_offset,
            bitfield,
        };
        let depth = self.stack.len() - 1;
        Ok(match &mut self.stack[depth].1 {
            Frame::Composite { id, members } => {
                members.push(member);
                Some(Frame::Tagged(TagTarget::Member {
                    composite: *id,
                    index: members.len() - 1,
                }))
            }
            Frame::VariantPart(part) => {
                part.add_direct_member(offset, member);
                None
            }
            Frame::Variant { part } => {
                let part = *part;
                if let Frame::VariantPart(p) = &mut self.stack[part].1 {
                    p.variants.push(member);
                }
                None
            }
            _ => None,
        })
    }

    /// A member's offset in bits and its bitfield width.
    pub(crate) fn member_offset(&mut self, a: &Attrs<'a>) -> (u64, u8) {
        let bitfield = a.bit_size.map_or(0, |b| b.min(255) as u8);
        let loc_bits = a
            .member_location
            .as_ref()
            .and_then(member_location)
            .unwrap_or(0)
            .saturating_mul(8);
        if let Some(bits) = a.data_bit_offset {
            return (bits, bitfield);
        }
        if let (Some(bit_offset), Some(size)) = (a.bit_offset, a.bit_size) {
            // DWARF 2/3 counts from the most significant bit of a storage
            // unit of `DW_AT_byte_size` bytes.
            let loc = loc_bits as i64;
            let bits = if self.ctx.elf.big_endian {
                loc.saturating_add(bit_offset)
            } else {
                let storage =
                    (a.byte_size.unwrap_or_else(|| size.div_ceil(8)) as i64).saturating_mul(8);
                loc.saturating_add(
                    storage
                        .saturating_sub(bit_offset)
                        .saturating_sub(size as i64),
                )
            };
            return (bits.max(0) as u64, bitfield);
        }
        (loc_bits, bitfield)
    }

    pub(crate) fn variant_part(&mut self, a: &Attrs<'a>) -> Option<Frame<'a>> {
        let parent = self.stack.len() - 1;
        let discr = match a.discr {
            Some(DieRef::Unit(off)) => Some(off),
            _ => None,
        };
        Some(Frame::VariantPart(crate::variant::VariantPart::new(
            parent, discr,
        )))
    }

    pub(crate) fn variant(&mut self) -> Option<Frame<'a>> {
        Some(Frame::Variant {
            part: self.stack.len() - 1,
        })
    }

    pub(crate) fn enumeration(
        &mut self,
        offset: usize,
        a: &Attrs<'a>,
    ) -> gimli::Result<Option<Frame<'a>>> {
        let name = self.name(Kind::Enum, a)?;
        let size = a.byte_size.unwrap_or(4);
        if !matches!(size, 1 | 2 | 4 | 8) {
            // BTF enums stop at 8 bytes (Rust allows #[repr(u128)]): keep
            // the layout with an INT of the enum's size.
            self.warn(
                "enums wider than 8 bytes encoded as integers",
                format!("{size} bytes"),
            );
            let bits = size.saturating_mul(8).min(128) as u32;
            self.slot(offset, LocalType::int(name, size.min(16) as u32, 0, bits));
            return Ok(None);
        }
        let size = size as u32;
        let underlying = self.type_ref(a);
        let mut ty = LocalType::simple(
            if size == 8 { Kind::Enum64 } else { Kind::Enum },
            name,
            size,
            underlying,
        );
        ty.body = Body::Enumerators(Vec::new());
        let id = self.slot(offset, ty);
        Ok(Some(Frame::Enum {
            id,
            values: Vec::new(),
        }))
    }

    pub(crate) fn enumerator(&mut self, a: &Attrs<'a>) -> gimli::Result<()> {
        use gimli::AttributeValue as V;
        let name = self.name(Kind::Enum, a)?;
        let (value, negative) = match a.const_value {
            Some(V::Sdata(v)) => (v as u64, v < 0),
            Some(ref v) => (v.udata_value().unwrap_or(0), false),
            None => (0, false),
        };
        if let Some((_, Frame::Enum { values, .. })) = self.stack.last_mut() {
            values.push(RawEnumerator {
                name,
                value,
                negative,
            });
        }
        Ok(())
    }

    pub(crate) fn subrange(&mut self, offset: usize, a: &Attrs<'a>) {
        let Some((_, Frame::Array { dims, .. })) = self.stack.last_mut() else {
            // A subrange outside an array (Ada, Pascal) is an integer subtype.
            let ty = self.type_ref(a);
            self.alias(offset, ty);
            return;
        };
        let n = if let Some(count) = a.count.as_ref().and_then(bound) {
            count
        } else if let Some(upper) = a.upper_bound.as_ref().and_then(bound) {
            let lower = a.lower_bound.as_ref().and_then(bound).unwrap_or(0);
            upper.wrapping_sub(lower).wrapping_add(1)
        } else {
            0
        };
        dims.push(u32::try_from(n).unwrap_or(0));
    }

    pub(crate) fn parameter(&mut self, a: &Attrs<'a>) -> gimli::Result<Option<Frame<'a>>> {
        let name = self.name(Kind::FuncProto, a)?;
        let self_name_empty = self.name_is_empty(&name);
        let ty = self.type_ref(a);
        let frame = self.stack.len() - 1;
        Ok(match &mut self.stack[frame].1 {
            Frame::Proto { params, .. } => {
                params.push((name, ty));
                None
            }
            Frame::Subprogram {
                func: Some(f),
                collect_params: true,
            } => {
                f.params_named &= !self_name_empty;
                f.params.push((name, ty));
                Some(Frame::Tagged(TagTarget::Param {
                    frame,
                    index: f.params.len() - 1,
                }))
            }
            _ => None,
        })
    }

    pub(crate) fn varargs(&mut self) {
        match self.stack.last_mut() {
            Some((_, Frame::Proto { params, .. })) => params.push((ANON, Ref::Void)),
            Some((
                _,
                Frame::Subprogram {
                    func: Some(f),
                    collect_params: true,
                },
            )) => f.params.push((ANON, Ref::Void)),
            _ => {}
        }
    }

    /// Multi-dimensional arrays become nested ARRAYs, outermost dimension
    /// first, as LLVM's BPF backend emits them, unless asked to flatten
    /// them as pahole does (one ARRAY of all the elements; needed for split
    /// BTF to share types with a pahole-made base).
    pub(crate) fn complete_array(&mut self, id: LocalId, elem: Ref, mut dims: Vec<u32>) {
        if dims.is_empty() {
            dims.push(0);
        }
        if self.ctx.flatten_arrays {
            let n = dims.iter().fold(1u32, |n, &d| n.saturating_mul(d));
            self.out.types[id.0 as usize] = array(elem, n);
            return;
        }
        let mut inner = elem;
        for &n in dims[1..].iter().rev() {
            inner = self.synth(array(inner, n));
        }
        self.out.types[id.0 as usize] = array(inner, dims[0]);
    }

    /// `int __tag1 __tag2 *p` becomes PTR → `tag2` → `tag1` → int, the chain
    /// clang emits.
    pub(crate) fn complete_pointer(&mut self, id: LocalId, tags: Vec<Name<'a>>) {
        if tags.is_empty() {
            return;
        }
        let mut target = self.out.types[id.0 as usize].ty;
        for tag in tags {
            target = self.synth(LocalType::reference(Kind::TypeTag, tag, target));
        }
        self.out.types[id.0 as usize].ty = target;
    }
}

/// An ARRAY of `nelems` elements of `elem`. The index type is pahole's
/// choice, the unit's `int`: libbpf's dedup compares index types, so any
/// other choice keeps module types from deduplicating against a vmlinux BTF
/// made by pahole.
fn array<'a>(elem: Ref, nelems: u32) -> LocalType<'a> {
    LocalType {
        body: Body::Array {
            elem,
            index: Ref::ArrayIndex,
            nelems,
        },
        ..LocalType::simple(Kind::Array, ANON, 0, Ref::Void)
    }
}

/// Whether a base type is one of the `DW_ATE_<encoding>_<bits>` types
/// LLVM creates for `DW_OP_convert` in location expressions.
fn is_convert_helper(name: &[u8]) -> bool {
    let Some(rest) = name.strip_prefix(b"DW_ATE_") else {
        return false;
    };
    let Some(split) = rest.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let (encoding, bits) = (&rest[..split], &rest[split + 1..]);
    !encoding.is_empty()
        && encoding
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b == b'_')
        && !bits.is_empty()
        && bits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clang_convert_helpers_are_recognised() {
        for n in [
            "DW_ATE_signed_32",
            "DW_ATE_unsigned_8",
            "DW_ATE_signed_char_8",
        ] {
            assert!(is_convert_helper(n.as_bytes()), "{n}");
        }
        for n in [
            "int",
            "DW_ATE_",
            "DW_ATE_signed",
            "DW_ATE_Signed_32",
            "DW_ATE_signed_3x",
        ] {
            assert!(!is_convert_helper(n.as_bytes()), "{n}");
        }
    }
}
