#!/usr/bin/env bash
# Times CO-RE relocation of a generated object with 10,000 relocations over
# 1,000 root types against the kernel BTF: btfkit relocate beside libbpf,
# in one hyperfine run.
#
# libbpf's side is `bpftool gen min_core_btf`, which runs libbpf's CO-RE
# candidate search and matching for every relocation (bpf_core_calc_relo_insn)
# without loading programs, so it needs no root and no verifier.
#
#   benches/compare-core.sh [--quick] [TARGET_BTF]
set -euo pipefail
cd "$(dirname "$0")/.."

runs=15
if [[ "${1:-}" == "--quick" ]]; then runs=5; shift; fi
target="${1:-/sys/kernel/btf/vmlinux}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
python3 benches/core_gen.py --roots 1000 --fields 10 --btf "$target" > "$work/gen.c"
clang-19 -target bpf -g -O2 -c "$work/gen.c" -o "$work/gen.o"
btfkit=target/release/btfkit
relos=$("$btfkit" relocate "$work/gen.o" --kernel-btf "$target" --format json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["records"])')
echo "object: $relos relocations, target: $target"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/h.json" \
    -n btfkit "$btfkit relocate $work/gen.o --kernel-btf $target -q" \
    -n libbpf "bpftool gen min_core_btf $target $work/min.btf $work/gen.o" >/dev/null

python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
b, l = r["btfkit"], r["libbpf"]
ms = lambda x: x * 1000
print(f"btfkit relocate: median {ms(b['median']):.1f} ms (min {ms(b['min']):.1f})")
print(f"libbpf (bpftool gen min_core_btf): median {ms(l['median']):.1f} ms (min {ms(l['min']):.1f})")
ratio = b["median"] / l["median"]
verdict = "PASS" if ms(b["median"]) <= 50 else "FAIL"
print(f"ratio {ratio:.3f}; btfkit end to end {ms(b['median']):.1f} ms vs target 50 ms: {verdict}")
PY
