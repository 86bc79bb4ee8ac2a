//! `btfkit relocate`: apply a BPF object's CO-RE relocations against a
//! target BTF, report them, optionally write the relocated object.

mod explain;
mod insns;
pub mod load;
pub mod report;
mod table;
mod write;

use std::io::Write;
use std::mem::ManuallyDrop;

use anyhow::{bail, Result};
use btf_reloc::{relocate_object, Options, Semantics};

use crate::cli::{RelocateArgs, RelocateFormat, SemanticsArg};
use crate::output::style::Style;

/// The engine semantics for a `--semantics` value.
pub fn semantics(arg: SemanticsArg) -> Semantics {
    match arg {
        SemanticsArg::Btfkit => Semantics::Btfkit,
        SemanticsArg::Libbpf => Semantics::Libbpf,
    }
}

/// Runs `btfkit relocate`.
pub fn run(args: &RelocateArgs, style: Style) -> Result<i32> {
    let timer = Timer::new();
    let object = load::ObjectInput::open(&args.object)?;
    let parsed = object.parse()?;
    let kernel = load::TargetInput::open(&args.kernel_btf)?;
    let kernel_btf = kernel.parse(None)?;
    let modules = args
        .module_btf
        .iter()
        .map(|p| load::TargetInput::open(p))
        .collect::<Result<Vec<_>>>()?;
    let module_btfs = modules
        .iter()
        .map(|m| m.parse(Some(&kernel_btf)))
        .collect::<Result<Vec<_>>>()?;
    timer.mark("parse object and targets");
    let targets = load::targets("vmlinux", &kernel_btf, &modules, &module_btfs);
    timer.mark("index targets");

    let sem = semantics(args.semantics);
    let local = parsed.view();
    // Only the report reads the resolutions (specs, candidates).
    let report_wanted = !args.quiet && !args.dump_insns;
    let opts = Options {
        semantics: sem,
        outcomes_only: !report_wanted,
        parallel: std::thread::available_parallelism().is_ok_and(|n| n.get() > 1),
    };
    // The process exits soon after `run` returns: the report (one entry per
    // record, with candidates and specs) is left to the OS instead of being
    // freed piece by piece.
    let rep = ManuallyDrop::new(match &parsed.ext {
        Some(ext) => relocate_object(&parsed.obj, &local, ext, &targets, &opts),
        None => Default::default(),
    });
    timer.mark("relocate");
    // In btfkit mode, libbpf's result is computed too so differences are
    // reported per relocation, when the object has anything where the two
    // can differ.
    let libbpf = ManuallyDrop::new(match (&parsed.ext, sem) {
        (Some(ext), Semantics::Btfkit) if report_wanted && may_drift(&parsed, &rep) => {
            Some(relocate_object(
                &parsed.obj,
                &local,
                ext,
                &targets,
                &Options {
                    semantics: Semantics::Libbpf,
                    ..opts
                },
            ))
        }
        _ => None,
    });

    timer.mark("relocate with libbpf semantics (drift)");
    let mut out = crate::output::stdout();
    if args.dump_insns {
        insns::dump(&mut out, &parsed.obj, &rep)?;
    } else if report_wanted {
        let ctx = report::Context {
            object: &args.object,
            parsed: &parsed,
            targets: &targets,
            target_paths: std::iter::once(args.kernel_btf.as_path())
                .chain(args.module_btf.iter().map(|p| p.as_path()))
                .collect(),
            semantics: sem,
            explain: args.explain,
        };
        let doc = report::build(&ctx, &rep, libbpf.as_ref());
        match args.format {
            RelocateFormat::Json => {
                if args.pretty {
                    serde_json::to_writer_pretty(&mut out, &doc)?;
                } else {
                    serde_json::to_writer(&mut out, &doc)?;
                }
                out.write_all(b"\n")?;
            }
            RelocateFormat::Table => {
                table::print(&mut out, &doc, style)?;
                if args.explain {
                    explain::print(&mut out, &doc, style)?;
                }
            }
        }
    }
    out.flush()?;
    drop(out);
    timer.mark("report");
    for r in rep.records.iter() {
        if let btf_reloc::Outcome::Failed(e) = &r.outcome {
            eprintln!("btfkit: {}: {}: {e}", args.object.display(), r.location);
        }
    }
    if rep.has_errors() {
        if args.output.is_some() {
            bail!(
                "{}: not written: some relocations failed (libbpf would refuse this object)",
                args.output
                    .as_deref()
                    .unwrap_or_else(|| std::path::Path::new(""))
                    .display()
            );
        }
        return Ok(crate::exit::ERROR);
    }
    if let Some(path) = &args.output {
        let bytes = write::relocated_object(&parsed.obj, parsed.ext.as_ref(), &rep)?;
        crate::output::write_atomic(path, &bytes)?;
    }
    Ok(crate::exit::SUCCESS)
}

/// Whether libbpf's semantics could give a different result for some
/// record of `rep` (btfkit's): a root with several candidates (libbpf's
/// order-dependent pruning), an ENUM value with bit 31 set (sign
/// extension), LSHIFT_U64 in an object whose byte order is not the host's,
/// or a failed record.
fn may_drift(parsed: &load::ParsedObject<'_>, rep: &btf_reloc::ObjectReport<'_, '_>) -> bool {
    use btf_core::ext::CoreReloKind as K;
    let foreign = parsed.btf.endian() != btf_core::Endian::NATIVE;
    rep.records.iter().any(|r| {
        let Some(res) = &r.resolution else {
            return matches!(r.outcome, btf_reloc::Outcome::Failed(_));
        };
        let bit31 = |v: u64| v >> 31 & 1 == 1;
        res.candidates.len() > 1
            || matches!(r.outcome, btf_reloc::Outcome::Failed(_))
            || (foreign && r.relo.kind == K::FieldLshiftU64)
            || (r.relo.kind == K::EnumvalValue
                && (bit31(res.calc.orig_val) || bit31(res.calc.new_val)))
    })
}

/// Phase timings on stderr when `BTFKIT_TIMINGS` is set (a debugging aid).
struct Timer {
    start: Option<std::cell::Cell<std::time::Instant>>,
}

impl Timer {
    fn new() -> Timer {
        Timer {
            start: std::env::var_os("BTFKIT_TIMINGS")
                .map(|_| std::cell::Cell::new(std::time::Instant::now())),
        }
    }

    fn mark(&self, what: &str) {
        if let Some(start) = &self.start {
            let now = std::time::Instant::now();
            eprintln!(
                "btfkit: timing: {what}: {:.2} ms",
                (now - start.get()).as_secs_f64() * 1e3
            );
            start.set(now);
        }
    }
}
