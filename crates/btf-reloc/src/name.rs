//! Essential names: a type or enumerator name without its `___flavor`
//! suffix (libbpf src/libbpf.c, `bpf_core_essential_name_len`).
//!
//! A flavor separator is `X___Y` where neither `X` nor `Y` is `_`; the
//! **last** such separator in the name cuts it. `task_struct___2` →
//! `task_struct`, `sk_buff___old___x` → `sk_buff___old`, while `foo___`,
//! `foo____bar` and `___foo` keep their full names. Member names are never
//! flavor-stripped; enumerator names and every name compared by
//! TYPE_MATCHES are.

/// Length of the essential part of `name`.
pub fn essential_len(name: &[u8]) -> usize {
    let n = name.len();
    if n < 5 {
        return n;
    }
    (0..=n - 5)
        .rev()
        .find(|&i| {
            let s = &name[i..i + 5];
            s[0] != b'_' && &s[1..4] == b"___" && s[4] != b'_'
        })
        .map_or(n, |i| i + 1)
}

/// The essential part of `name`.
pub fn essential(name: &[u8]) -> &[u8] {
    &name[..essential_len(name)]
}

/// Whether two names have the same essential part.
pub fn same_essential(a: &[u8], b: &[u8]) -> bool {
    essential(a) == essential(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavors_as_libbpf() {
        let cases: [(&str, &str); 9] = [
            ("task_struct___2", "task_struct"),
            ("sk_buff___old___x", "sk_buff___old"),
            ("foo___", "foo___"),
            ("foo____bar", "foo____bar"),
            ("___foo", "___foo"),
            ("x___y_", "x"),
            ("a___b", "a"),
            ("abc", "abc"),
            ("", ""),
        ];
        for (name, want) in cases {
            assert_eq!(essential(name.as_bytes()), want.as_bytes(), "{name}");
        }
    }
}
