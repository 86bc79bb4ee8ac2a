#!/usr/bin/env bash
# Runs the criterion `parse` group of benches/btf_core.rs and prints the
# median parse time against the 15 ms target (and parse+index for reference).
#
# usage: benches/parse-time.sh [--quick] [FILE]
#
#   FILE     raw BTF (or .gz) to parse; default /sys/kernel/btf/vmlinux, or
#            the 6.1 fixture when that is absent (passed as BTFKIT_BENCH_BTF)
#   --quick  criterion's --quick mode (stops once the estimate is stable)
#
# A missed target is printed as FAIL but does not change the exit status; the
# script exits non-zero only when cargo or criterion fails.

set -euo pipefail

PARSE_TARGET_MS=15
quick=()

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=(--quick) ;;
        -h | --help)
            sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
            exit 0
            ;;
        -*)
            echo "parse-time: error: unknown option $1" >&2
            exit 2
            ;;
        *) export BTFKIT_BENCH_BTF=$1 ;;
    esac
    shift
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v python3 >/dev/null || {
    echo "parse-time: error: python3 not found" >&2
    exit 2
}

echo "load: $(uptime | sed 's/.*load average/load average/') ($(nproc) CPUs)"
stamp=$(date +%s)
cargo bench --bench btf_core -- '^parse/' "${quick[@]}" || {
    echo "parse-time: error: cargo bench failed" >&2
    exit 2
}

# Where criterion writes: $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion,
# else target/criterion.
crit=${CRITERION_HOME:-${CARGO_TARGET_DIR:-target}/criterion}

python3 - "$crit" "$stamp" "$PARSE_TARGET_MS" <<'EOF'
import glob, json, os, sys

crit, stamp, target = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
found = {}
for bj in glob.glob(os.path.join(crit, "parse", "*", "new", "benchmark.json")):
    est = os.path.join(os.path.dirname(bj), "estimates.json")
    if not os.path.exists(est) or os.path.getmtime(est) < stamp - 1:
        continue  # stale: not from this run
    full_id = json.load(open(bj))["full_id"]
    e = json.load(open(est))
    found[full_id] = (e["median"]["point_estimate"] / 1e6,
                      e["median"]["confidence_interval"]["lower_bound"] / 1e6,
                      e["median"]["confidence_interval"]["upper_bound"] / 1e6)

if "parse/parse" not in found:
    sys.exit(f"parse-time: error: no fresh estimates under {crit}/parse")
print()
for name in sorted(found):
    med, lo, hi = found[name]
    line = f"{name}: median {med:.2f} ms (95% CI {lo:.2f}-{hi:.2f} ms)"
    if name == "parse/parse":
        verdict = "PASS" if med <= target else "FAIL"
        line += f", target <= {target:g} ms {verdict}"
    print(line)
EOF
