//! [`BtfBuilder::append_btf`]: copy every type of a parsed BTF into a
//! builder, renumbered (the analogue of libbpf's `btf__add_btf`).

use super::{Body, BtfBuilder, OwnedType};
use crate::types::{Member, Param};
use crate::{Btf, Error, Kind, Result, StrOffset, Type, TypeId};

impl BtfBuilder {
    /// Appends every type `btf` stores, after the builder's own, and returns
    /// the id the first of them gets.
    ///
    /// Own ids of `btf` are shifted to follow the builder's last id and every
    /// name is re-added (so strings are shared, and strings of this builder's
    /// base are reused). `btf` may be split BTF over the same base as this
    /// builder: references below its first id keep pointing into the base.
    /// Merging several inputs this way and then deduplicating
    /// ([`dedup`](fn@crate::dedup)) gives one BTF holding all their types.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] if `btf` is split BTF whose base does not match this
    /// builder's (different first id or string length), or if it holds a
    /// kind btfkit does not know (its references could not be renumbered).
    pub fn append_btf(&mut self, btf: &Btf<'_>) -> Result<TypeId> {
        let first = TypeId(self.first_id + self.types.len() as u32);
        self.check_base_matches(btf, first)?;
        // Ids of `btf` at or above its first id move by `shift`; void and base
        // ids stay.
        let shift = first.0 - btf.first_id().0;
        let keep_below = btf.first_id().0;
        let base_str_len = self.strings.base_len();
        self.types.reserve(btf.len());
        for t in btf.own_types() {
            let owned = self.renumbered(btf, &t, shift, keep_below, base_str_len)?;
            self.types.push(owned);
        }
        Ok(first)
    }

    /// A split `btf` must sit on the same base as this builder; a base `btf`
    /// fits anywhere.
    fn check_base_matches(&self, btf: &Btf<'_>, first: TypeId) -> Result<()> {
        if btf.base().is_none() {
            return Ok(());
        }
        let same_ids = btf.first_id().0 == self.first_id;
        let same_strings =
            btf.str_len_total() - btf.strings().len() as u32 == self.strings.base_len();
        if same_ids && same_strings {
            return Ok(());
        }
        Err(Error::Write {
            id: first,
            what: format!(
                "cannot append split BTF starting at id {} over a base of {} types",
                btf.first_id(),
                self.first_id
            ),
        })
    }

    /// `t` copied with its ids shifted and its names re-added here.
    fn renumbered(
        &mut self,
        btf: &Btf<'_>,
        t: &Type<'_>,
        shift: u32,
        keep_below: u32,
        base_str_len: u32,
    ) -> Result<OwnedType> {
        if let Kind::Unknown(raw) = t.kind() {
            return Err(Error::Write {
                id: t.id(),
                what: format!("unknown kind {raw} cannot be appended"),
            });
        }
        let mut owned = OwnedType::from_type(t);
        for r in owned.refs_mut() {
            if *r >= keep_below {
                *r += shift;
            }
        }
        // Names the base already holds keep their offsets; the others are
        // looked up by content.
        let mut name = |off: StrOffset| -> StrOffset {
            if btf.base().is_some() && off.0 < base_str_len {
                return off;
            }
            self.strings.add(btf.name(off).unwrap_or_default())
        };
        owned.name = name(owned.name);
        match &mut owned.body {
            Body::Members(ms) => ms
                .iter_mut()
                .for_each(|m: &mut Member| m.name = name(m.name)),
            Body::Params(ps) => ps
                .iter_mut()
                .for_each(|p: &mut Param| p.name = name(p.name)),
            Body::Enum(vs) => vs.iter_mut().for_each(|v| v.0 = name(v.0)),
            Body::Enum64(vs) => vs.iter_mut().for_each(|v| v.0 = name(v.0)),
            _ => {}
        }
        Ok(owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::INT_SIGNED;
    use crate::Endian;

    #[test]
    fn appending_shifts_ids_and_shares_strings() {
        let mut a = BtfBuilder::new();
        let int = a.add_int("int", 4, INT_SIGNED, 32);
        a.add(OwnedType::ptr(int));
        let bytes = a.write(Endian::Little).unwrap();
        let btf = Btf::parse(&bytes).unwrap();

        let mut m = BtfBuilder::new();
        assert_eq!(m.append_btf(&btf).unwrap(), TypeId(1));
        assert_eq!(m.append_btf(&btf).unwrap(), TypeId(3));
        assert_eq!(m.len(), 4);
        assert_eq!(m.get(TypeId(4)).unwrap().size_or_type, 3);
        assert_eq!(
            m.get(TypeId(3)).unwrap().name,
            m.get(TypeId(1)).unwrap().name
        );
        assert_eq!(m.strings().as_bytes(), b"\0int\0");
    }
}
