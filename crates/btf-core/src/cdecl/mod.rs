//! BTF types spelled as C spells them.
//!
//! Two renderings, one per file:
//!
//! - [`TypeName`]: a type *named* as a reader of C would refer to it, with
//!   its keyword: `struct task_struct`, `union u`, `enum pid_type` (ENUM and
//!   ENUM64), `typedef pid_t`, `int`. This is how CO-RE specs show their root
//!   (`struct task_struct::pid`).
//! - [`Declarator`]: a type *declared*, following C's declarator grammar, so
//!   that pointers, arrays, qualifiers and function prototypes nest the way a
//!   compiler reads them: `const char *`, `int (*)[4]`, `char *const argv`,
//!   `int (*cb)(int, ...)`, `long f(struct task_struct *t)`.
//!
//! Neither trusts the input: a [`Declarator`] stops after
//! [`Declarator::MAX_DEPTH`] nested types and after
//! [`Declarator::MAX_PARAMS`] parameters in all (a reference cycle, or
//! prototypes whose parameters point back at them, end in `...`), and an id
//! past the last type renders as a marker instead of panicking. Names that are not UTF-8 are
//! shown lossily (U+FFFD).
//!
//! ```
//! use btf_core::cdecl::{Declarator, TypeName};
//! use btf_core::write::OwnedType;
//! use btf_core::{Btf, BtfBuilder, Endian};
//!
//! let mut b = BtfBuilder::new();
//! let int = b.add_int("int", 4, btf_core::types::INT_SIGNED, 32);
//! let arr = b.add(OwnedType::array(int, int, 4));
//! let ptr = b.add(OwnedType::ptr(arr));
//! let s = b.add_composite(false, "s", 4, &[("a", int, 0, 0)]);
//! let bytes = b.write(Endian::Little).unwrap();
//! let btf = Btf::parse(&bytes).unwrap();
//!
//! assert_eq!(TypeName::of_id(&btf, s).to_string(), "struct s");
//! assert_eq!(Declarator::new(&btf).declare(ptr, ""), "int (*)[4]");
//! assert_eq!(Declarator::new(&btf).declare(ptr, "p"), "int (*p)[4]");
//! ```

mod decl;
mod name;

pub use decl::Declarator;
pub use name::TypeName;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Linkage, INT_SIGNED};
    use crate::write::OwnedType;
    use crate::Kind;
    use crate::{Btf, BtfBuilder, Endian, TypeId};

    /// One declaration per case: the BTF clang-19 emits for the C on the
    /// right (checked with `bpftool btf dump file t.o format c`, which
    /// spells the same types with other spacing), and the expected text,
    /// which clang-19 accepts as the same type
    /// (`__builtin_types_compatible_p`).
    fn cases(b: &mut BtfBuilder) -> Vec<(TypeId, &'static str, &'static str)> {
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        let uint = b.add_int("unsigned int", 4, 0, 32);
        let char_ = b.add_int("char", 1, INT_SIGNED, 8);
        let long = b.add_int("long", 8, INT_SIGNED, 64);
        let dbl = b.add_str("double");
        let double = b.add(OwnedType::float(dbl, 8));
        let s = b.add_composite(false, "s", 4, &[("a", int, 0, 0)]);
        let u = b.add_composite(true, "u", 4, &[("a", int, 0, 0)]);
        let anon = b.add_composite(false, "", 4, &[("x", int, 0, 0)]);
        let e = b.add_enum("e", 4, false, &[("A", 0)]);
        let e64 = b.add_enum("big", 8, false, &[("HV", 1 << 32)]);
        let fwd_name = b.add_str("fwd");
        let fwd = b.add(OwnedType::fwd(fwd_name, false));
        let fwd_u = b.add(OwnedType::fwd(fwd_name, true));
        let int4 = b.add(OwnedType::array(int, int, 4));
        let arr_t_name = b.add_str("arr_t");
        let arr_t = b.add(OwnedType::typedef(arr_t_name, int4));

        let cchar = b.add(OwnedType::konst(char_));
        let p_cchar = b.add(OwnedType::ptr(cchar));
        let p_int4 = b.add(OwnedType::ptr(int4));
        let cb_proto = b.add_func_proto(int, &[("", int), ("", TypeId::VOID)]);
        let cb = b.add(OwnedType::ptr(cb_proto));
        let p_char = b.add(OwnedType::ptr(char_));
        let const_p_char = b.add(OwnedType::konst(p_char));
        // volatile const int *const volatile: qualifiers in BTF order
        let c_int = b.add(OwnedType::konst(int));
        let vc_int = b.add(OwnedType::volatile(c_int));
        let p_vc_int = b.add(OwnedType::ptr(vc_int));
        let c_p = b.add(OwnedType::konst(p_vc_int));
        let vc_p = b.add(OwnedType::volatile(c_p));
        let int3 = b.add(OwnedType::array(int, int, 3));
        let int2x3 = b.add(OwnedType::array(int3, int, 2));
        // int (*(*fp)(void))[4]
        let ret_p_int4 = b.add_func_proto(p_int4, &[]);
        let fp = b.add(OwnedType::ptr(ret_p_int4));
        let p_anon = b.add(OwnedType::ptr(anon));
        let p_s = b.add(OwnedType::ptr(s));
        let vf_proto = b.add_func_proto(TypeId::VOID, &[("p", p_s), ("q", u)]);
        let vf = b.add(OwnedType::ptr(vf_proto));
        // long *(*const pc)(const int *const restrict r)
        let p_cint = b.add(OwnedType::ptr(c_int));
        let r_p_cint = b.add(OwnedType::restrict(p_cint));
        let cr_p_cint = b.add(OwnedType::konst(r_p_cint));
        let p_long = b.add(OwnedType::ptr(long));
        let pc_proto = b.add_func_proto(p_long, &[("r", cr_p_cint)]);
        let p_pc = b.add(OwnedType::ptr(pc_proto));
        let pc = b.add(OwnedType::konst(p_pc));
        let p_int = b.add(OwnedType::ptr(int));
        let pp = b.add(OwnedType::ptr(p_int));
        let tag = b.add_str("user");
        let tagged = b.add(OwnedType::type_tag(tag, int));
        let p_tagged = b.add(OwnedType::ptr(tagged));
        let void_proto = b.add_func_proto(TypeId::VOID, &[]);
        let f = b.add_func("f", void_proto, Linkage::Global);
        let p_void = b.add(OwnedType::ptr(TypeId::VOID));
        let c_int4 = b.add(OwnedType::konst(int4));
        let p_c_int4 = b.add(OwnedType::ptr(c_int4));

        vec![
            (int, "int x", "int"),
            (uint, "unsigned int x", "unsigned int"),
            (double, "double x", "double"),
            (s, "struct s x", "struct s"),
            (u, "union u x", "union u"),
            (anon, "struct {...} x", "struct {...}"),
            (e, "enum e x", "enum e"),
            (e64, "enum big x", "enum big"),
            (fwd, "struct fwd x", "struct fwd"),
            (fwd_u, "union fwd x", "union fwd"),
            (arr_t, "arr_t x", "arr_t"),
            (p_cchar, "const char *x", "const char *"),
            (p_int4, "int (*x)[4]", "int (*)[4]"),
            (cb, "int (*x)(int, ...)", "int (*)(int, ...)"),
            (const_p_char, "char *const x", "char *const"),
            (
                vc_p,
                "volatile const int *const volatile x",
                "volatile const int *const volatile",
            ),
            (int2x3, "int x[2][3]", "int[2][3]"),
            (fp, "int (*(*x)(void))[4]", "int (*(*)(void))[4]"),
            (p_anon, "struct {...} *x", "struct {...} *"),
            (
                vf,
                "void (*x)(struct s *p, union u q)",
                "void (*)(struct s *p, union u q)",
            ),
            (
                pc,
                "long *(*const x)(const int *restrict const r)",
                "long *(*const)(const int *restrict const r)",
            ),
            (pp, "int **x", "int **"),
            (p_tagged, "int *x", "int *"),
            (void_proto, "void x(void)", "void (void)"),
            (p_void, "void *x", "void *"),
            (TypeId::VOID, "void x", "void"),
            (c_int4, "const int x[4]", "const int[4]"),
            (p_c_int4, "const int (*x)[4]", "const int (*)[4]"),
            (f, "<FUNC [47]> x", "<FUNC [47]>"),
        ]
    }

    fn both(f: impl Fn(&Btf<'_>, &[(TypeId, &str, &str)])) {
        let mut b = BtfBuilder::new();
        let cases = cases(&mut b);
        for endian in [Endian::Little, Endian::Big] {
            let bytes = b.write(endian).unwrap();
            let btf = Btf::parse(&bytes).unwrap();
            f(&btf, &cases);
        }
    }

    #[test]
    fn declarations_are_spelled_as_in_c() {
        both(|btf, cases| {
            let d = Declarator::new(btf);
            for &(id, named, abstract_) in cases {
                assert_eq!(d.declare(id, "x"), named, "[{id}]");
                assert_eq!(d.declare(id, ""), abstract_, "[{id}]");
            }
        });
    }

    #[test]
    fn type_names_have_their_keyword() {
        both(|btf, cases| {
            let name = |i: usize| TypeName::of_id(btf, cases[i].0).to_string();
            let got: Vec<String> = (0..11).map(name).collect();
            assert_eq!(
                got,
                [
                    "int",
                    "unsigned int",
                    "double",
                    "struct s",
                    "union u",
                    "struct <anon>",
                    "enum e",
                    "enum big",
                    "struct fwd",
                    "union fwd",
                    "typedef arr_t",
                ]
            );
            assert_eq!(name(11), "ptr <anon>");
            assert_eq!(name(cases.len() - 1), "func f");
            assert_eq!(TypeName::of_id(btf, TypeId::VOID).to_string(), "void");
            assert_eq!(TypeName::of_id(btf, TypeId(9999)).to_string(), "void");
            assert_eq!(TypeName::VOID.to_string(), "void");
        });
    }

    #[test]
    fn anonymous_and_invalid_names() {
        assert_eq!(
            TypeName::new(Kind::Int, false, b"").to_string(),
            "int <anon>"
        );
        assert_eq!(
            TypeName::new(Kind::Enum64, false, b"").to_string(),
            "enum <anon>"
        );
        assert_eq!(
            TypeName::new(Kind::Struct, false, b"a\xffb").to_string(),
            "struct a\u{fffd}b"
        );
        assert_eq!(
            TypeName::new(Kind::Unknown(31), false, b"x").to_string(),
            "unknown x"
        );
    }

    /// Hostile BTF: loops through every kind that refers to another type,
    /// a prototype whose parameters fan out, an id past the end.
    #[test]
    fn cycles_and_fan_out_terminate() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, INT_SIGNED, 32);
        // 2 -> 3 -> 4 -> 5 -> 6 -> 2: ptr, const, array, volatile, type tag.
        let ptr = b.add(OwnedType::ptr(TypeId(3)));
        b.add(OwnedType::konst(TypeId(4)));
        b.add(OwnedType::array(TypeId(5), int, 2));
        b.add(OwnedType::volatile(TypeId(6)));
        let tag = b.add_str("t");
        b.add(OwnedType::type_tag(tag, ptr));
        // A const that is its own target.
        let self_const = b.add(OwnedType::konst(TypeId(7)));
        // A prototype with 16 parameters, each a pointer to itself: 16^32
        // paths without a budget.
        let fan_ptr = TypeId(9);
        let params: Vec<(&str, TypeId)> = (0..16).map(|_| ("p", fan_ptr)).collect();
        let fan = b.add_func_proto(int, &params);
        assert_eq!(b.add(OwnedType::ptr(fan)), fan_ptr);
        let bytes = b.write(Endian::Little).unwrap();
        let btf = Btf::parse(&bytes).unwrap();
        let d = Declarator::new(&btf);

        let looped = d.declare(ptr, "x");
        // pointer to const array of volatile pointer to const array of …
        assert!(looped.starts_with("const const "), "{looped}");
        assert!(looped.contains(" ... (*volatile (*volatile "), "{looped}");
        assert!(looped.contains("(*volatile (*x)[2])[2])[2]"), "{looped}");
        assert_eq!(
            d.declare(self_const, "x"),
            "const const ".repeat(16) + "const ... x"
        );
        let fanned = d.declare(fan, "f");
        let head = &fanned[..fanned.len().min(200)];
        assert!(fanned.len() < 1 << 20, "{}", fanned.len());
        assert!(fanned.starts_with("int f(int (*p)(int (*p)("), "{head}");
        assert!(fanned.ends_with(", ...)"), "{head}");
        assert_eq!(d.declare(TypeId(999), "x"), "<bad type 999> x");
    }
}
