//! The zero-copy string section.

use crate::{Error, Result};

/// A view of one BTF string section: NUL-terminated byte strings addressed by
/// byte offset. Names are bytes, not necessarily UTF-8.
///
/// In split BTF the offsets a type uses are *logical*: offsets below the base's
/// string length resolve in the base. [`Btf::name`](crate::Btf::name) handles
/// that; this type only knows its own bytes.
#[derive(Clone, Copy, Debug)]
pub struct Strings<'a> {
    data: &'a [u8],
}

impl<'a> Strings<'a> {
    /// Checks and wraps a string section. `abs_offset` is only used in errors.
    ///
    /// A base section must start with the empty string; every non-empty
    /// section must end with a NUL. A split section may be empty.
    pub fn new(data: &'a [u8], is_split: bool, abs_offset: usize) -> Result<Strings<'a>> {
        let bad = |what| Error::BadStrings {
            offset: abs_offset,
            what,
        };
        if data.is_empty() {
            return if is_split {
                Ok(Strings { data })
            } else {
                Err(bad(
                    "empty (a base string section starts with an empty string)",
                ))
            };
        }
        if data.len() - 1 > MAX_NAME_OFFSET as usize {
            return Err(bad("larger than 16 MiB"));
        }
        if !is_split && data[0] != 0 {
            return Err(bad(
                "does not start with an empty string (split BTF without its base?)",
            ));
        }
        if data[data.len() - 1] != 0 {
            return Err(bad("last string is not NUL-terminated"));
        }
        Ok(Strings { data })
    }

    /// The string at `off`, without its NUL, or `None` past the end.
    #[inline]
    pub fn get(&self, off: u32) -> Option<&'a [u8]> {
        let tail = self.data.get(off as usize..)?;
        // The section ends with a NUL (checked in `new`), so a terminator exists.
        let end = memchr0(tail)?;
        Some(&tail[..end])
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the section has no bytes (possible only in split BTF).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The raw section.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Iterates over `(offset, string)` pairs in section order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &'a [u8])> + 'a {
        let data = self.data;
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            if pos >= data.len() {
                return None;
            }
            let end = memchr0(&data[pos..])?;
            let item = (pos as u32, &data[pos..pos + end]);
            pos += end + 1;
            Some(item)
        })
    }
}

/// The largest string offset the kernel accepts (`BTF_MAX_NAME_OFFSET`).
pub const MAX_NAME_OFFSET: u32 = 0x00ff_ffff;

/// Position of the first NUL byte.
#[inline]
fn memchr0(s: &[u8]) -> Option<usize> {
    // `CStr::from_bytes_until_nul` uses the platform's optimised memchr.
    std::ffi::CStr::from_bytes_until_nul(s)
        .ok()
        .map(|c| c.to_bytes().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_iter() {
        let s = Strings::new(b"\0int\0foo\0", false, 0).unwrap();
        assert_eq!(s.get(0), Some(&b""[..]));
        assert_eq!(s.get(1), Some(&b"int"[..]));
        assert_eq!(s.get(2), Some(&b"nt"[..]));
        assert_eq!(s.get(5), Some(&b"foo"[..]));
        assert_eq!(s.get(9), None);
        let all: Vec<_> = s.iter().collect();
        assert_eq!(all, vec![(0, &b""[..]), (1, &b"int"[..]), (5, &b"foo"[..])]);
    }

    #[test]
    fn rejects_malformed() {
        assert!(Strings::new(b"", false, 0).is_err());
        assert!(Strings::new(b"", true, 0).is_ok());
        assert!(Strings::new(b"a\0", false, 0).is_err());
        assert!(Strings::new(b"a\0", true, 0).is_ok());
        assert!(Strings::new(b"\0abc", false, 0).is_err());
    }
}
