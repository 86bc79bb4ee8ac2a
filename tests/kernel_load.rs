//! Every BTF btfkit writes must pass the running kernel's own validator
//! (BPF_BTF_LOAD). These tests write BTF with btf-core's builder and load it;
//! without permission to call bpf(2) they skip loudly, or fail in CI.

mod common;

use std::path::Path;

use btf_core::types::{Linkage, VarSecinfo, INT_BOOL, INT_SIGNED};
use btf_core::write::OwnedType;
use btf_core::{Btf, BtfBuilder, Endian, Kind};
use common::*;

fn load(test: &str, what: &str, bytes: &[u8]) {
    if let Err(e) = btf_sys::load_btf(bytes, 0) {
        panic!("{test}: kernel rejected {what}: {e}");
    }
}

/// Parse → builder → write, then load: the round trip is byte-identical and
/// the result is valid for the kernel.
fn roundtrip_and_load(test: &str, path: &Path) {
    let data = std::fs::read(path).unwrap();
    let btf = Btf::parse(&data).unwrap();
    let written = BtfBuilder::from_btf(&btf).write(btf.endian()).unwrap();
    assert!(
        written == data,
        "{test}: round trip of {} differs",
        path.display()
    );
    load(test, &path.display().to_string(), &written);
}

#[test]
fn vmlinux_round_trip_loads() {
    let t = "vmlinux_round_trip_loads";
    if btf_sys::require_bpf_or_skip(t) && require_file(t, Path::new(VMLINUX)) {
        roundtrip_and_load(t, Path::new(VMLINUX));
    }
}

#[test]
fn kernel_61_round_trip_loads() {
    let t = "kernel_61_round_trip_loads";
    if btf_sys::require_bpf_or_skip(t) {
        roundtrip_and_load(t, &kernel_61());
    }
}

/// One of every kind the 6.18 kernel accepts, in shapes it checks closely:
/// kflag bitfields, signed enums, enum64, varargs, tags with component
/// indices, a DATASEC with real offsets.
fn all_kinds() -> BtfBuilder {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, INT_SIGNED, 32);
    let uint = b.add_int("unsigned int", 4, 0, 32);
    let boolean = b.add_int("_Bool", 1, INT_BOOL, 8);
    let long = b.add_int("long", 8, INT_SIGNED, 64);
    let fwd_s = b.add_str("later");
    let fwd = b.add(OwnedType::fwd(fwd_s, false));
    let ptr_fwd = b.add(OwnedType::ptr(fwd));
    let arr = b.add(OwnedType::array(int, uint, 4));
    let bits = b.add_composite(
        false,
        "bits",
        16,
        &[
            ("a", uint, 0, 3),
            ("b", uint, 3, 7),
            ("flag", boolean, 32, 0),
            ("arr", arr, 0, 0),
        ],
    );
    // `arr` at offset 0 would overlap: rebuild with a proper offset.
    let m = b.get_mut(bits).unwrap();
    if let btf_core::write::Body::Members(ms) = &mut m.body {
        ms.pop();
    }
    let node = b.add_composite(
        false,
        "node",
        24,
        &[("next", ptr_fwd, 0, 0), ("v", arr, 64, 0)],
    );
    let un = b.add_composite(true, "u", 8, &[("i", int, 0, 0), ("l", long, 0, 0)]);
    let e = b.add_enum("e", 4, true, &[("NEG", -1), ("POS", 7)]);
    let e64 = b.add_enum("e64", 8, false, &[("BIG", 1 << 40), ("MAX", -1)]);
    let td_name = b.add_str("node_t");
    let td = b.add(OwnedType::typedef(td_name, node));
    let c = b.add(OwnedType::konst(td));
    let v = b.add(OwnedType::volatile(c));
    let pv = b.add(OwnedType::ptr(v));
    let r = b.add(OwnedType::restrict(pv));
    let tag = b.add_str("user");
    let tt = b.add(OwnedType::type_tag(tag, int));
    let ptt = b.add(OwnedType::ptr(tt));
    let fl = b.add_str("double");
    let dbl = b.add(OwnedType::float(fl, 8));
    let proto = b.add_func_proto(
        int,
        &[
            ("p", r),
            ("q", ptt),
            ("d", dbl),
            ("", btf_core::TypeId::VOID),
        ],
    );
    let proto2 = b.add_func_proto(int, &[("x", int)]);
    let f = b.add_func("f", proto2, Linkage::Global);
    b.add_decl_tag("hot", f, -1);
    b.add_decl_tag("arg", f, 0);
    b.add_decl_tag("field", node, 1);
    let var_a = b.add_var("counter", long, Linkage::Global);
    let var_b = b.add_var("state", e, Linkage::Static);
    b.add_datasec(
        ".data",
        16,
        vec![
            VarSecinfo {
                type_id: var_a,
                offset: 0,
                size: 8,
            },
            VarSecinfo {
                type_id: var_b,
                offset: 8,
                size: 4,
            },
        ],
    );
    let _ = (un, e64, proto, bits);
    b
}

#[test]
fn builder_output_of_every_kind_loads() {
    let t = "builder_output_of_every_kind_loads";
    let b = all_kinds();
    let le = b.write(Endian::NATIVE).unwrap();
    let btf = Btf::parse(&le).unwrap();
    let mut seen: Vec<Kind> = btf.own_types().map(|t| t.kind()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 19, "not every kind is covered: {seen:?}");
    if btf_sys::require_bpf_or_skip(t) {
        load(t, "builder output", &le);
    }
}

/// Big-endian output converts back to native with identical types, and the
/// native bytes load.
#[test]
fn foreign_endian_write_converts_exactly() {
    let t = "foreign_endian_write_converts_exactly";
    let b = all_kinds();
    let foreign = match Endian::NATIVE {
        Endian::Little => Endian::Big,
        Endian::Big => Endian::Little,
    };
    let native = b.write(Endian::NATIVE).unwrap();
    let swapped = b.write(foreign).unwrap();
    assert_ne!(native, swapped);
    let back = Btf::parse(&swapped).unwrap();
    assert_eq!(back.endian(), foreign);
    let rewritten = BtfBuilder::from_btf(&back).write(Endian::NATIVE).unwrap();
    assert_eq!(rewritten, native);
    if btf_sys::require_bpf_or_skip(t) {
        load(t, "converted big-endian output", &rewritten);
    }
}
