//! `relocate` and `check` from the command line: gzip targets, `--explain`,
//! and `check` output that does not depend on `--jobs`.

mod common;

use common::*;

const KERNEL_61_GZ: &str = "kernel/linux-6.1.0-56-cloud.btf.gz";

fn stdout_ok(args: &[&std::ffi::OsStr]) -> String {
    let out = btfkit(args);
    assert!(
        out.status.success(),
        "btfkit {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// A gzip target BTF relocates exactly like the decompressed file.
#[test]
fn gzip_target_relocates_like_the_raw_file() {
    let obj = fixture("obj/core.el.o");
    let gz = fixture(KERNEL_61_GZ);
    let raw = kernel_61();
    let run = |target: &std::path::Path| {
        stdout_ok(&[
            "relocate".as_ref(),
            obj.as_os_str(),
            "--kernel-btf".as_ref(),
            target.as_os_str(),
            "--dump-insns".as_ref(),
        ])
    };
    let (from_gz, from_raw) = (run(&gz), run(&raw));
    assert!(from_raw.lines().count() > 100, "{from_raw}");
    assert_same_bytes(
        "--dump-insns, gzip vs raw target",
        from_gz.as_bytes(),
        from_raw.as_bytes(),
    );
}

/// `--explain` shows, for a relocation that did not resolve: the source
/// line and instruction, the essential name searched, every candidate with
/// why it did not match, the failing step and the nearest member names.
#[test]
fn explain_shows_candidates_failing_member_and_nearest_names() {
    let out = stdout_ok(&[
        "relocate".as_ref(),
        fixture("obj/core.el.o").as_os_str(),
        "--kernel-btf".as_ref(),
        fixture(KERNEL_61_GZ).as_os_str(),
        "--explain".as_ref(),
        "--color=never".as_ref(),
    ]);
    let head = "tp_btf/sched_switch #13 insn 67 (core_switch+67): \
                field_exists struct task_struct___old::state: zeroed";
    let block: Vec<&str> = out
        .split("\n\n")
        .find(|b| b.starts_with(head))
        .unwrap_or_else(|| panic!("no explanation starting {head:?} in:\n{out}"))
        .lines()
        .collect();
    let expected = [
        "  why:       no matching target; this kind evaluates to 0",
        "  insn:      #67 code=0xb7 dst=1 src=0 off=0 imm=1",
        "  searched:  task_struct (essential name)",
        "  candidate: [192] struct task_struct in vmlinux: struct task_struct [192] has no member state",
        "  failing:   struct task_struct [192] has no member state",
        "  nearest:   stats, __state, stack, stime",
    ];
    for line in expected {
        assert!(
            block.contains(&line),
            "missing {line:?} in:\n{}",
            block.join("\n")
        );
    }
    assert!(
        block
            .iter()
            .any(|l| l.starts_with("  source:    ./core.c:")),
        "no source line in:\n{}",
        block.join("\n")
    );
}

/// `check` gives the same bytes for any number of jobs, with gzip and raw
/// targets mixed.
#[test]
fn check_output_does_not_depend_on_jobs() {
    let obj = fixture("obj/core.el.o");
    let gz = fixture(KERNEL_61_GZ);
    let raw = kernel_61();
    let run = |jobs: &str| {
        let out = btfkit([
            "check".as_ref(),
            obj.as_os_str(),
            "--kernel-btf".as_ref(),
            gz.as_os_str(),
            "--kernel-btf".as_ref(),
            raw.as_os_str(),
            "--kernel-btf".as_ref(),
            obj.as_os_str(),
            "--format=json".as_ref(),
            "-j".as_ref(),
            jobs.as_ref(),
        ]);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "check -j {jobs}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let one = run("1");
    let doc: serde_json::Value = serde_json::from_slice(&one).expect("JSON");
    let targets = doc["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 3);
    assert!(targets.iter().all(|t| t["error"].is_null()), "{doc}");
    assert_eq!(targets[0]["ok"], targets[1]["ok"], "gzip and raw agree");
    for jobs in ["2", "3"] {
        assert_same_bytes(&format!("check -j {jobs} vs -j 1"), &run(jobs), &one);
    }
}
