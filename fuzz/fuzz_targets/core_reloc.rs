//! Fuzz target `core_reloc`: a BPF object through the whole CO-RE engine —
//! object model, .BTF/.BTF.ext, candidate search, matching, values,
//! patching, explanations — relocated against its own BTF in both
//! semantics. Nothing may panic, whatever the bytes.
//!
//! Seeds: fuzz/corpus/core_reloc/ (copies of fixtures/obj/core.*.o).

#![no_main]

use btf_reloc::{
    explain, patched_sections, relocate_object, render, BtfView, Options, Semantics, Target,
    Targets,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(obj) = bpf_obj::Object::parse(data) else {
        return;
    };
    let (Some(btf_bytes), Some(ext_bytes)) = (obj.btf(), obj.btf_ext()) else {
        return;
    };
    let (Ok(btf), Ok(ext)) = (
        btf_core::Btf::parse(btf_bytes),
        btf_core::BtfExt::parse(ext_bytes),
    ) else {
        return;
    };
    let view = BtfView::new(&btf);
    let targets = Targets::new(Target::new("self", &btf));
    for semantics in [Semantics::Btfkit, Semantics::Libbpf] {
        let opts = Options {
            semantics,
            ..Options::default()
        };
        let rep = relocate_object(&obj, &view, &ext, &targets, &opts);
        let _ = patched_sections(&obj, &rep);
        for r in &rep.records {
            let _ = r.location.to_string();
            if let Some(res) = &r.resolution {
                let _ = render::spec(&view, &res.local);
                let _ = explain::explain(&view, res, &targets);
                let _ = explain::source_line(&btf, &ext, &r.location.section, r.relo.insn_off);
            }
            if let btf_reloc::Outcome::Fixed(fx) = &r.outcome {
                let _ = fx.to_string();
            }
        }
    }
});
