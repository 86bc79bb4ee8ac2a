//! Names the kernel accepts.
//!
//! `BPF_BTF_LOAD` requires STRUCT, UNION, ENUM, FWD, TYPEDEF, FUNC and VAR
//! names, and member, enumerator and parameter names, to be C-like
//! identifiers (`[A-Za-z_.][A-Za-z0-9_.]*`). Rust (`Option<&u8>`,
//! `(u8, u32)`, `&[u8]`) and C++ (`std::vector<int>`) names are not.
//! [`RustNames::Sanitize`] rewrites exactly those names, with bpf-linker's
//! scheme so that BTF from btfkit and from bpf-linker agree: every byte
//! outside `[A-Za-z0-9_]` becomes `_XX_` (upper-case hex), and a result
//! longer than [`MAX_NAME_LEN`] is cut and given a hash suffix.

use std::borrow::Cow;

/// What to do with names the kernel would reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RustNames {
    /// Keep DWARF's names (`MyOption<&u8>`): the BTF matches what rustc's
    /// BPF backend emits, but `BPF_BTF_LOAD` rejects it.
    Keep,
    /// Rewrite names the kernel rejects (`MyOption_3C__26_u8_3E_`); names
    /// that are already valid identifiers are never touched.
    #[default]
    Sanitize,
}

/// The longest name pahole and bpf-linker emit (`KSYM_NAME_LEN`).
pub const MAX_NAME_LEN: usize = 128;

/// Whether the kernel accepts `name` where an identifier is required.
pub fn is_valid_identifier(name: &[u8]) -> bool {
    let Some((&first, rest)) = name.split_first() else {
        return false;
    };
    name.len() <= MAX_NAME_LEN
        && (first.is_ascii_alphabetic() || first == b'_' || first == b'.')
        && rest
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// `name` unchanged if the kernel accepts it (or is empty, i.e. anonymous),
/// otherwise rewritten per [`RustNames::Sanitize`].
pub fn sanitize(name: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    if name.is_empty() || is_valid_identifier(&name) {
        return name;
    }
    let mut out = Vec::with_capacity(name.len() + 16);
    if name[0].is_ascii_digit() {
        // bpf-linker's escaping keeps digits, which cannot start a name.
        out.push(b'_');
    }
    for &b in name.iter() {
        if b.is_ascii_alphanumeric() || b == b'_' {
            out.push(b);
        } else {
            out.extend_from_slice(format!("_{b:02X}_").as_bytes());
        }
    }
    if out.len() > MAX_NAME_LEN {
        // Distinct long names must stay distinct: keep a prefix and append
        // a hash of the whole original name.
        let suffix = format!("_{:016x}", fnv1a(&name));
        out.truncate(MAX_NAME_LEN - suffix.len());
        out.extend_from_slice(suffix.as_bytes());
    }
    Cow::Owned(out)
}

/// FNV-1a, 64 bits: small, stable across runs and platforms.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str) -> String {
        String::from_utf8(sanitize(Cow::Borrowed(name.as_bytes())).into_owned()).unwrap()
    }

    #[test]
    fn valid_names_are_kept() {
        for n in ["Point", "_x", "a.b", "local_union.0", "__u32", ""] {
            assert_eq!(s(n), n);
        }
    }

    #[test]
    fn rust_names_get_bpf_linker_escapes() {
        assert_eq!(s("Foo<u32>"), "Foo_3C_u32_3E_");
        assert_eq!(s("Option<&u8>"), "Option_3C__26_u8_3E_");
        assert_eq!(s("(u8, u32)"), "_28_u8_2C__20_u32_29_");
        assert_eq!(s("a::b"), "a_3A__3A_b");
        assert_eq!(s("0day"), "_0day");
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let long = format!("Wrapper<{}>", "x".repeat(200));
        let out = s(&long);
        assert_eq!(out.len(), MAX_NAME_LEN);
        assert!(is_valid_identifier(out.as_bytes()));
        let other = s(&format!("Wrapper<{}y>", "x".repeat(199)));
        assert_ne!(out, other);
    }
}
