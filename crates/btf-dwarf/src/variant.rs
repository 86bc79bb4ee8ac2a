//! Rust enums: `DW_TAG_variant_part` as an anonymous UNION.
//!
//! rustc describes a data-carrying enum as a struct holding a variant part:
//! the discriminant member, then one `DW_TAG_variant` per variant, each
//! holding one member typed as a struct named after the variant (with the
//! enum's full size and its fields at offsets from the start of the enum).
//! LLVM's BPF backend (LLVM 22) turns that into
//!
//! ```text
//! STRUCT 'Tuple' size=16 { (anon) @0 → UNION size=16 {
//!     (anon) u32 @0          discriminant
//!     'First' @0 → STRUCT 'First' size=16 { __0 @32, __1 @64 }
//!     'Second' @0 → STRUCT 'Second' size=16 { __0 @64 } } }
//! ```
//!
//! and btfkit emits the same shape, with one change the kernel needs: a
//! union member must start at offset 0 ("Invalid member bits_offset"), but a
//! niche-optimised discriminant may live elsewhere (in `Option<(u64, &T)>`
//! the tag is the pointer at byte 8). Such a member is wrapped in an
//! anonymous STRUCT of the union's size that holds it, name and all, at its
//! real offset; the union member pointing at the wrapper is anonymous and at
//! offset 0:
//!
//! ```text
//! UNION size=16 {
//!     (anon) @0 → STRUCT size=16 { (anon) u64 @64 }    discriminant
//!     'Full' @0 → STRUCT 'Full' …
//!     'Empty' @0 → STRUCT 'Empty' … }
//! ```
//!
//! The same wrapping applies to any variant member not at offset 0 (rustc
//! does not produce those).

use crate::model::{LocalMember, LocalType, ANON};
use crate::unit::{Frame, UnitDecoder};

/// A variant part while its children are read.
pub(crate) struct VariantPart<'a> {
    /// Stack index of the enclosing composite's frame.
    pub parent: usize,
    /// Unit offset of the discriminant member (`DW_AT_discr`).
    discr: Option<usize>,
    pub discriminant: Option<LocalMember<'a>>,
    /// One member per variant, in DWARF order.
    pub variants: Vec<LocalMember<'a>>,
}

impl<'a> VariantPart<'a> {
    /// A variant part of the composite at stack index `parent`.
    pub fn new(parent: usize, discr: Option<usize>) -> VariantPart<'a> {
        VariantPart {
            parent,
            discr,
            discriminant: None,
            variants: Vec::new(),
        }
    }

    /// A member directly inside the variant part: the discriminant if it is
    /// the DIE `DW_AT_discr` names, else a member present in every variant.
    pub fn add_direct_member(&mut self, offset: usize, member: LocalMember<'a>) {
        if self.discr == Some(offset) && self.discriminant.is_none() {
            self.discriminant = Some(member);
        } else {
            self.variants.push(member);
        }
    }
}

impl<'a> UnitDecoder<'_, 'a> {
    /// Builds the UNION for a finished variant part and adds it to the
    /// enclosing composite as an anonymous member at offset 0.
    pub(crate) fn complete_variant_part(&mut self, part: VariantPart<'a>) {
        let Some((_, Frame::Composite { id, .. })) = self.stack.get(part.parent) else {
            return;
        };
        let size = self.out.types[id.0 as usize].size;
        let mut members = Vec::with_capacity(part.variants.len() + 1);
        for m in part.discriminant.into_iter().chain(part.variants) {
            members.push(self.at_zero(m, size));
        }
        let union = self.synth(LocalType::composite(true, ANON, size, members));
        if let Some((_, Frame::Composite { members, .. })) = self.stack.get_mut(part.parent) {
            members.push(LocalMember {
                name: ANON,
                ty: union,
                bit_offset: 0,
                bitfield: 0,
            });
        }
    }

    /// `m` as a union member: itself if it starts at offset 0, otherwise an
    /// anonymous member at 0 typed as a wrapper STRUCT of `size` bytes that
    /// holds `m` at its real offset.
    fn at_zero(&mut self, m: LocalMember<'a>, size: u32) -> LocalMember<'a> {
        if m.bit_offset == 0 && m.bitfield == 0 {
            return m;
        }
        let wrapper = self.synth(LocalType::composite(false, ANON, size, vec![m]));
        LocalMember {
            name: ANON,
            ty: wrapper,
            bit_offset: 0,
            bitfield: 0,
        }
    }
}
