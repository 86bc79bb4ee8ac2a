//! How DIE names become BTF names.
//!
//! Most names are `.debug_str` strings. They are kept as offsets
//! ([`Name::Str`]) and looked up only when a decision needs the bytes; the
//! output's string section starts with a copy of `.debug_str` (see
//! [`strtab`](crate::strtab)), so most names never get read at all.
//! Sanitising ([`RustNames`]) applies to the kinds whose names the kernel
//! checks, and never in C units, whose names are always valid.

use std::borrow::Cow;

use btf_core::Kind;
use gimli::{constants, Unit};

use crate::attrs::{Attrs, R};
use crate::model::{Name, ANON};
use crate::names::sanitize;
use crate::unit::UnitDecoder;
use crate::RustNames;

impl<'a> UnitDecoder<'_, 'a> {
    /// The bytes of a string attribute, looked up now (for names the
    /// decoder inspects; others stay lazy, see [`name`](Self::name)).
    pub(crate) fn bytes(
        &self,
        v: &Option<gimli::AttributeValue<R<'a>>>,
    ) -> gimli::Result<Cow<'a, [u8]>> {
        self.bytes_in(self.unit, v)
    }

    /// [`bytes`](Self::bytes) of an attribute of a DIE of `unit`.
    pub(crate) fn bytes_in(
        &self,
        unit: &Unit<R<'a>>,
        v: &Option<gimli::AttributeValue<R<'a>>>,
    ) -> gimli::Result<Cow<'a, [u8]>> {
        Ok(match v {
            None => Cow::Borrowed(b""),
            Some(v) => Cow::Borrowed(self.ctx.dwarf.attr_string(unit, *v)?.slice()),
        })
    }

    /// A DIE's name as a type of kind `kind` carries it: a lazy
    /// `.debug_str` reference when DWARF has one, marked for sanitising if
    /// the kernel would want an identifier there and the options say so.
    pub(crate) fn name(&self, kind: Kind, a: &Attrs<'a>) -> gimli::Result<Name<'a>> {
        self.lazy(&a.name, self.fixes(kind))
    }

    /// A string attribute as a [`Name`], sanitised on resolution if `fix`.
    pub(crate) fn lazy(
        &self,
        v: &Option<gimli::AttributeValue<R<'a>>>,
        fix: bool,
    ) -> gimli::Result<Name<'a>> {
        self.lazy_in(self.unit, v, fix)
    }

    /// [`lazy`](Self::lazy) for an attribute of a DIE of `unit`.
    pub(crate) fn lazy_in(
        &self,
        unit: &Unit<R<'a>>,
        v: &Option<gimli::AttributeValue<R<'a>>>,
        fix: bool,
    ) -> gimli::Result<Name<'a>> {
        use gimli::AttributeValue as V;
        let off = match v {
            None => return Ok(ANON),
            Some(V::DebugStrRef(off)) => Some(off.0),
            Some(V::DebugStrOffsetsIndex(i)) => Some(
                self.ctx
                    .dwarf
                    .debug_str_offsets
                    .get_str_offset(unit.header.format(), unit.str_offsets_base, *i)?
                    .0,
            ),
            Some(_) => None,
        };
        match off.and_then(|o| u32::try_from(o).ok()) {
            Some(off) if (off as usize) < self.debug_str().len() => Ok(Name::Str { off, fix }),
            Some(_) => Err(gimli::Error::BadLength),
            None => {
                let b = self.bytes_in(unit, v)?;
                Ok(Name::Bytes(if fix { sanitize(b) } else { b }))
            }
        }
    }

    /// Whether names of `kind` are to be sanitised.
    pub(crate) fn fixes(&self, kind: Kind) -> bool {
        self.ctx.rust_names == RustNames::Sanitize
            && !self.c_names
            && !matches!(kind, Kind::Int | Kind::Float | Kind::Datasec)
    }

    /// `name` as carried by a type of kind `kind` (for names read raw).
    pub(crate) fn fix_name(&self, kind: Kind, name: Name<'a>) -> Name<'a> {
        let fix = self.fixes(kind);
        match name {
            Name::Str { off, .. } => Name::Str { off, fix },
            Name::Bytes(b) if fix => Name::Bytes(sanitize(b)),
            b => b,
        }
    }

    /// `.debug_str`.
    pub(crate) fn debug_str(&self) -> &'a [u8] {
        self.ctx.sections.get(gimli::SectionId::DebugStr)
    }

    /// The bytes of a name, unsanitised.
    pub(crate) fn resolve_name(&self, name: &Name<'a>) -> Cow<'a, [u8]> {
        match name {
            Name::Str { off, .. } => Cow::Borrowed(c_str(self.debug_str(), *off as usize)),
            Name::Bytes(b) => b.clone(),
        }
    }

    /// Whether a name is the empty string.
    pub(crate) fn name_is_empty(&self, name: &Name<'a>) -> bool {
        match name {
            Name::Str { off, .. } => self.debug_str().get(*off as usize).is_none_or(|&b| b == 0),
            Name::Bytes(b) => b.is_empty(),
        }
    }
}

/// Whether the unit's language is C.
pub(crate) fn is_c(unit: &Unit<R<'_>>) -> bool {
    let mut entries = unit.entries();
    let Ok(Some((_, root))) = entries.next_dfs() else {
        return false;
    };
    matches!(
        root.attr_value(constants::DW_AT_language),
        Ok(Some(gimli::AttributeValue::Language(
            constants::DW_LANG_C89
                | constants::DW_LANG_C
                | constants::DW_LANG_C99
                | constants::DW_LANG_C11
                | constants::DW_LANG_C17
        )))
    )
}

/// The NUL-terminated string at `off` of a string section.
pub(crate) fn c_str(section: &[u8], off: usize) -> &[u8] {
    let tail = section.get(off..).unwrap_or(&[]);
    let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
    &tail[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_strings() {
        let sec = b"abc\0def\0tail";
        assert_eq!(c_str(sec, 0), b"abc");
        assert_eq!(c_str(sec, 4), b"def");
        assert_eq!(c_str(sec, 5), b"ef");
        assert_eq!(c_str(sec, 8), b"tail");
        assert_eq!(c_str(sec, 100), b"");
    }
}
