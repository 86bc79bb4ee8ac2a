//! Objects written by `btfkit relocate -o` load into the running kernel and
//! compute what libbpf's relocation of the same program computes.
//!
//! The runnable CO-RE test programs of fixtures/core (XDP, socket filter,
//! tc) read their "structs" from the packet and write one relocated result
//! per output slot (ck.h), so BPF_PROG_TEST_RUN's return value and data_out
//! expose every relocated offset, load size, enumerator value, type fact and
//! poison. Each program is relocated by btfkit (-o) and by libbpf (the
//! oracle harness), both are loaded, run on the same packet and compared; a
//! few load results are also predicted from btfkit's JSON report. Loading
//! goes through libbpf (the harness, one program at a time) and through
//! bpftool (`prog loadall` + `prog run`, whole objects).
//!
//! Needs root (BPF_PROG_LOAD, BPF_PROG_TEST_RUN, bpffs), a C compiler with
//! libbpf headers for the harness, and bpftool; skips loudly otherwise (or
//! fails under BTFKIT_REQUIRE_ORACLES=1).

mod common;
#[path = "oracle/mod.rs"]
mod oracle;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use oracle::*;

/// Packet size of a test run (ck.h: CK_PKT = 256 input bytes + 32 slots).
const PKT: usize = 512;

/// Section names of the programs BPF_PROG_TEST_RUN can run here.
const RUNNABLE: &[&str] = &["xdp", "socket", "tc"];

/// Where the runnable programs of an object are.
fn runnable(obj: &Path) -> Vec<String> {
    Elf::read(obj)
        .functions()
        .into_iter()
        .filter(|f| RUNNABLE.contains(&f.section.as_str()))
        .map(|f| f.name)
        .collect()
}

/// The targets the runnable programs are relocated against: the synthetic
/// ones (the programs only read the packet, so any target gives a loadable
/// program unless a reachable instruction is poisoned) and the running
/// kernel.
fn run_targets(prog: &str) -> Vec<Target> {
    targets(prog, "el")
        .into_iter()
        .filter(|t| t.label != "linux-6.1")
        .collect()
}

/// `btfkit relocate OBJ --kernel-btf TARGET --semantics SEM -o OUT`.
fn relocate_to(obj: &Path, target: &Path, sem: Sem, out: &Path) -> Result<(), String> {
    let o = btfkit_relocate(obj, target, sem, &["-o", out.to_str().unwrap()]);
    if o.status.success() && out.exists() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).trim().to_string())
    }
}

/// A bpffs to pin into: /sys/fs/bpf when it is one, else a private mount
/// that is unmounted again on drop (only what this test mounted).
struct Bpffs {
    root: PathBuf,
    mounted: bool,
}

impl Bpffs {
    fn get(test: &str) -> Option<Bpffs> {
        let is_bpffs = |p: &Path| {
            Command::new("stat")
                .args(["-f", "-c", "%T"])
                .arg(p)
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "bpf_fs")
        };
        let sys = Path::new("/sys/fs/bpf");
        if is_bpffs(sys) {
            return Some(Bpffs {
                root: sys.into(),
                mounted: false,
            });
        }
        let dir = std::env::temp_dir().join(format!("btfkit-bpffs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "bpf", "bpf"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok || !is_bpffs(&dir) {
            let _ = std::fs::remove_dir(&dir);
            skip(test, "no bpffs at /sys/fs/bpf and cannot mount one");
            return None;
        }
        Some(Bpffs {
            root: dir,
            mounted: true,
        })
    }
}

impl Drop for Bpffs {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(&self.root).status();
            let _ = std::fs::remove_dir(&self.root);
        }
    }
}

/// A pin directory on bpffs, removed (with every pin in it) on drop, also
/// when the test fails.
struct PinDir(PathBuf);

impl Drop for PinDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One BPF_PROG_TEST_RUN result.
#[derive(Debug, PartialEq, Eq)]
struct Ran {
    retval: u32,
    data_out: Vec<u8>,
}

/// The output slots of an XDP run, as u64 (ck.h: 32 slots after the 256
/// input bytes).
fn slots(data: &[u8]) -> Vec<u64> {
    data.get(256..PKT)
        .map(|s| {
            s.chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

fn show(l: &Libbpf) -> String {
    match l {
        Libbpf::Ran(r) => describe(r),
        Libbpf::Rejected => "rejected".into(),
        Libbpf::NeedsOtherPrograms => "fails without the other programs".into(),
    }
}

fn describe(r: &Ran) -> String {
    let s = slots(&r.data_out);
    let used: Vec<String> = s.iter().take(14).map(|v| format!("{v:#x}")).collect();
    format!("retval {} slots [{}]", r.retval, used.join(", "))
}

/// What libbpf does with one program.
#[derive(Debug)]
enum Libbpf {
    Ran(Ran),
    /// CO-RE error, or the verifier rejects (e.g. a reachable poison).
    Rejected,
    /// The whole object does not load (another program is rejected), and
    /// alone the program's CO-RE fails: its result depends on the
    /// candidates other programs' records prune (CORE.md 4.9), so libbpf
    /// has no answer for it on its own.
    NeedsOtherPrograms,
}

/// libbpf's relocation of `prog` in `obj`, loaded and run by the harness:
/// the whole object if it loads (so candidate pruning by other programs'
/// records happens as in real use), else `prog` alone.
fn libbpf_run(bin: &Path, obj: &Path, target: &Path, prog: &str) -> Libbpf {
    let ran = |run: OracleRun| {
        let r = run.run?;
        assert_eq!(r.err, 0, "test run of {prog} failed");
        Some(Ran {
            retval: r.retval,
            data_out: r.data_out,
        })
    };
    let whole = run_oracle(bin, obj, target, None, Some((prog, PKT)));
    if whole.result == Some(0) {
        return ran(whole).map_or(Libbpf::Rejected, Libbpf::Ran);
    }
    let alone = run_oracle(bin, obj, target, Some(prog), Some((prog, PKT)));
    if alone.result == Some(0) {
        return ran(alone).map_or(Libbpf::Rejected, Libbpf::Ran);
    }
    if whole.core_ok() && !alone.core_ok() {
        return Libbpf::NeedsOtherPrograms;
    }
    Libbpf::Rejected
}

/// Runs every runnable program relocated by btfkit (written with -o, then
/// loaded by libbpf through the harness with an empty custom BTF, so a
/// CO-RE section left in the output would be re-applied and show) and by
/// libbpf, and compares: loadable ⇔ loadable, same return value, same
/// data_out. With --semantics libbpf everything must match; with the
/// default semantics too, except the unsigned 32-bit enumerators (CORE.md
/// 5.1): uenum_grow against t_resized reads 0xc0000000 where libbpf's
/// reads 0xffffffffc0000000, and uenum_high, which libbpf refuses, loads
/// and reads 0x80000000 / 0xefffffff; and libbpf's member-search quirk
/// (quirk.c against t_quirk: byte 14 instead of 12). Where libbpf can relocate a program
/// only together with the other programs of its object (their records
/// prune the candidates, CORE.md 4.9) and the whole object does not load,
/// there is nothing to compare.
#[test]
fn btfkit_output_runs_like_libbpf() {
    let test = "btfkit_output_runs_like_libbpf";
    let Some(bin) = oracle_bin(test) else { return };
    let dir = tempfile::tempdir().unwrap();
    let empty = core("btf/t_empty.el.btf");
    let mut failures = Vec::new();
    let mut table = String::new();
    let (mut compared, mut both_rejected, mut needs_others) = (0, 0, 0);
    for prog in PROGS {
        let obj = prog_obj(prog, "el");
        let progs = runnable(&obj);
        if progs.is_empty() {
            continue;
        }
        for t in run_targets(prog) {
            for sem in [Sem::Libbpf, Sem::Btfkit] {
                let out = dir
                    .path()
                    .join(format!("{prog}.{}.{}.o", t.label, sem.name()));
                if let Err(e) = relocate_to(&obj, &t.path, sem, &out) {
                    table.push_str(&format!(
                        "{prog} × {} [{}]: not written ({e})\n",
                        t.label,
                        sem.name()
                    ));
                    continue;
                }
                let left = core_records(&Elf::read(&out)).0.len();
                if left != 0 {
                    failures.push(format!(
                        "{prog} × {}: {left} CO-RE records left in the output",
                        t.label
                    ));
                    continue;
                }
                for p in &progs {
                    let tag = format!("{prog}/{p} × {} [{}]", t.label, sem.name());
                    let mut want = libbpf_run(&bin, &obj, &t.path, p);
                    let got = libbpf_run(&bin, &out, &empty, p);
                    let mut other_order = false;
                    if sem == Sem::Btfkit
                        && matches!(want, Libbpf::Rejected)
                        && matches!(got, Libbpf::Ran(_))
                    {
                        // Order-independent btfkit semantics: where libbpf
                        // fails only in this record order (CORE.md 4.9),
                        // btfkit must run like libbpf in the other order.
                        let rev = dir.path().join(format!("{prog}.reversed.o"));
                        write_reversed(&obj, &rev);
                        if let Libbpf::Ran(w) = libbpf_run(&bin, &rev, &t.path, p) {
                            want = Libbpf::Ran(w);
                            other_order = true;
                        }
                    }
                    let line = match (&want, &got) {
                        (Libbpf::Rejected, Libbpf::Rejected) => {
                            both_rejected += 1;
                            "both rejected".to_string()
                        }
                        (Libbpf::NeedsOtherPrograms, Libbpf::Ran(g)) => {
                            needs_others += 1;
                            format!(
                                "libbpf: only with the other programs' records; btfkit: {}",
                                describe(g)
                            )
                        }
                        (Libbpf::Ran(w), Libbpf::Ran(g)) if w == g => {
                            compared += 1;
                            let order = if other_order {
                                " (libbpf: in the other record order)"
                            } else {
                                ""
                            };
                            format!("same{order}: {}", describe(g))
                        }
                        (Libbpf::Ran(w), Libbpf::Ran(g))
                            if sem == Sem::Btfkit
                                && *p == "uenum_grow"
                                && t.label == "t_resized" =>
                        {
                            // CORE.md 5.1: slot 0 is CKU_GROW = 0xc0000000.
                            let (ws, gs) = (slots(&w.data_out), slots(&g.data_out));
                            if ws[0] != 0xffff_ffff_c000_0000
                                || gs[0] != 0xc000_0000
                                || ws[1..] != gs[1..]
                            {
                                failures.push(format!(
                                    "{tag}: libbpf {} | btfkit {}",
                                    describe(w),
                                    describe(g)
                                ));
                            }
                            compared += 1;
                            "unsigned enum: libbpf 0xffffffffc0000000, btfkit 0xc0000000".into()
                        }
                        (Libbpf::Ran(w), Libbpf::Ran(g))
                            if sem == Sem::Btfkit && member_quirk_case(prog, &t.label) =>
                        {
                            // libbpf reads ck_q.qv at byte 14, btfkit at 12
                            // (divergence_libbpf_member_search_quirk).
                            let ok = if *p == "quirk_sock" {
                                (w.retval, g.retval) == (14, 12)
                            } else {
                                let (ws, gs) = (slots(&w.data_out), slots(&g.data_out));
                                (ws[0], gs[0]) == (packet_value(14, 4), packet_value(12, 4))
                            };
                            if !ok {
                                failures.push(format!(
                                    "{tag}: libbpf {} | btfkit {}",
                                    describe(w),
                                    describe(g)
                                ));
                            }
                            compared += 1;
                            "member-search quirk: libbpf reads byte 14, btfkit byte 12".into()
                        }
                        (Libbpf::Rejected, Libbpf::Ran(g))
                            if sem == Sem::Btfkit && *p == "uenum_high" =>
                        {
                            // CORE.md 5.1: libbpf refuses CKU_HIGH /
                            // E820_TYPE_SOFT_RESERVED, btfkit loads them
                            // zero-extended (0xdead: not in this target).
                            let gs = slots(&g.data_out);
                            if !matches!(gs[0], 0x8000_0000 | 0xdead)
                                || !matches!(gs[1], 0xefff_ffff | 0xdead)
                            {
                                failures.push(format!("{tag}: btfkit {}", describe(g)));
                            }
                            compared += 1;
                            format!("unsigned enum: libbpf refuses, btfkit {}", describe(g))
                        }
                        _ => {
                            failures.push(format!(
                                "{tag}: libbpf {} | btfkit {}",
                                show(&want),
                                show(&got)
                            ));
                            "MISMATCH".into()
                        }
                    };
                    table.push_str(&format!("{tag:<52} {line}\n"));
                }
            }
        }
    }
    eprint!(
        "{test}:\n{table}{compared} runs compared, {both_rejected} rejected by both, \
         {needs_others} where libbpf needs the other programs\n"
    );
    assert!(
        compared >= 100,
        "{test}: only {compared} programs ran; expected most cases to load"
    );
    assert!(failures.is_empty(), "{test}:\n{}", failures.join("\n"));
}

/// Little-endian integer of `size` bytes of the test packet at `off`
/// (byte i of the packet is i & 0xff).
fn packet_value(off: u64, size: u64) -> u64 {
    (0..size).map(|k| ((off + k) & 0xff) << (8 * k)).sum()
}

/// bpftool (libbpf 1.1 inside) loads whole objects written by btfkit,
/// pins every program, and `bpftool prog run` gives the same results as the
/// harness's libbpf relocation. For fields_xdp, the unsigned loads (slots
/// 1..3: u32f, u64f, u16f) are also predicted from btfkit's JSON report:
/// the value of `mem_size` bytes at the new offset. kernel.o against the
/// running kernel must pass the verifier, whose BTF-typed access checks see
/// the real offsets of task_struct.
#[test]
fn bpftool_loads_and_runs_btfkit_output() {
    let test = "bpftool_loads_and_runs_btfkit_output";
    if !require_tool(test, "bpftool") {
        return;
    }
    let Some(bin) = oracle_bin(test) else { return };
    let Some(fs) = Bpffs::get(test) else { return };
    let dir = tempfile::tempdir().unwrap();
    let data_in = dir.path().join("packet.bin");
    std::fs::write(&data_in, (0..PKT).map(|i| i as u8).collect::<Vec<u8>>()).unwrap();
    let mut failures = Vec::new();
    let (mut loaded, mut ran, mut predicted) = (0, 0, 0);
    let mut kernel_loaded = false;
    for prog in PROGS {
        let obj = prog_obj(prog, "el");
        for t in targets(prog, "el")
            .into_iter()
            .filter(|t| t.label != "linux-6.1")
        {
            let tag = format!("{prog} × {}", t.label);
            let out = dir.path().join(format!("{prog}.{}.o", t.label));
            if relocate_to(&obj, &t.path, Sem::Libbpf, &out).is_err() {
                continue;
            }
            let pins = PinDir(fs.root.join(format!(
                "btfkit-test-{}-{prog}-{}",
                std::process::id(),
                t.label
            )));
            let load = Command::new("bpftool")
                .args(["prog", "loadall"])
                .arg(&out)
                .arg(&pins.0)
                .output()
                .unwrap();
            if !load.status.success() {
                // Some program has a reachable poison or another verifier
                // problem; the harness test covers programs one by one.
                continue;
            }
            loaded += 1;
            kernel_loaded |= *prog == "kernel" && t.label == "vmlinux";
            for p in runnable(&obj) {
                let data_out = dir.path().join(format!("{prog}.{}.{p}.out", t.label));
                let r = Command::new("bpftool")
                    .args(["-j", "prog", "run", "pinned"])
                    .arg(pins.0.join(&p))
                    .arg("data_in")
                    .arg(&data_in)
                    .arg("data_out")
                    .arg(&data_out)
                    .output()
                    .unwrap();
                if !r.status.success() {
                    failures.push(format!(
                        "{tag}: bpftool prog run {p}: {}",
                        String::from_utf8_lossy(&r.stderr)
                    ));
                    continue;
                }
                let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
                let got = Ran {
                    retval: v["retval"].as_u64().unwrap() as u32,
                    data_out: std::fs::read(&data_out).unwrap_or_default(),
                };
                ran += 1;
                match libbpf_run(&bin, &obj, &t.path, &p) {
                    Libbpf::Ran(want) if want == got => {}
                    want => failures.push(format!(
                        "{tag}: {p}: bpftool {} | libbpf {}",
                        describe(&got),
                        show(&want)
                    )),
                }
                if p == "fields_xdp" {
                    let (doc, _) = btfkit_json(&obj, &t.path, Sem::Libbpf).unwrap();
                    let s = slots(&got.data_out);
                    for (slot, record, size) in [(1usize, 1usize, 4u64), (2, 2, 8), (3, 3, 2)] {
                        let j = &doc["relocations"].as_array().unwrap().iter().find(|r| {
                            r["section"] == "xdp" && r["record"].as_u64() == Some(record as u64)
                        });
                        let Some(j) = j else { continue };
                        if j["status"] != "ok" {
                            continue;
                        }
                        let off = j["new"].as_u64().unwrap();
                        let size = j["mem_size"]["new"].as_u64().unwrap_or(size);
                        predicted += 1;
                        if s.get(slot) != Some(&packet_value(off, size)) {
                            failures.push(format!(
                                "{tag}: fields_xdp slot {slot}: {:x?}, predicted {:#x} ({size} bytes at {off})",
                                s.get(slot),
                                packet_value(off, size)
                            ));
                        }
                    }
                }
            }
        }
    }
    eprintln!("{test}: {loaded} objects loaded, {ran} programs run, {predicted} slots predicted");
    if require_file(test, Path::new(VMLINUX)) {
        assert!(
            kernel_loaded,
            "{test}: kernel.o relocated against the running kernel did not load"
        );
    }
    assert!(
        loaded >= 20 && predicted >= 6,
        "{test}: too few cases loaded ({loaded}) or predicted ({predicted})"
    );
    assert!(failures.is_empty(), "{test}:\n{}", failures.join("\n"));
}
