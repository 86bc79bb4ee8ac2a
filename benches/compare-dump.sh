#!/usr/bin/env bash
# Compares `btfkit dump` with `bpftool btf dump` end to end, with hyperfine.
#
# usage: benches/compare-dump.sh [--quick] [--no-build] [--out DIR] [FILE]
#
#   FILE        raw BTF to dump (default /sys/kernel/btf/vmlinux)
#   --quick     1 warmup + 5 runs per command instead of 3 + 20
#   --no-build  use the existing target/release/btfkit
#   --out DIR   keep hyperfine's JSON exports in DIR (default: a temp dir,
#               removed on exit)
#   $BTFKIT     btfkit binary to time instead of target/release/btfkit
#               (implies --no-build)
#
# One hyperfine invocation per comparison, both commands side by side:
#   raw dump   btfkit dump FILE                vs bpftool btf dump file FILE
#   json dump  btfkit dump FILE --format json  vs bpftool -j btf dump file FILE
#   parse      btfkit dump FILE --id 1         vs bpftool btf dump file FILE root_id 1
#              (bpftool < 7.6 rejects root_id with `file`: then btfkit alone)
# Ratios are of medians: btfkit / bpftool. Targets: raw <= 0.25, json <= 0.33.
# A missed target is printed as FAIL but does not change the exit status;
# the script exits non-zero (2) only when a tool is missing or errors.

set -euo pipefail

RAW_TARGET=0.25
JSON_TARGET=0.33
PARSE_TARGET_MS=15

warmup=3
runs=20
build=1
out_dir=
file=/sys/kernel/btf/vmlinux

die() {
    echo "compare-dump: error: $*" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) warmup=1 runs=5 ;;
        --no-build) build=0 ;;
        --out)
            [ $# -ge 2 ] || die "--out needs a directory"
            out_dir=$2
            shift
            ;;
        -h | --help)
            sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
            exit 0
            ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) file=$1 ;;
    esac
    shift
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

for tool in hyperfine bpftool python3; do
    command -v "$tool" >/dev/null || die "$tool not found in PATH"
done
[ -r "$file" ] || die "$file: not readable"

if [ -n "$out_dir" ]; then
    mkdir -p "$out_dir"
    tmp=$(cd "$out_dir" && pwd)
else
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/btfkit-bench.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
fi

if [ -n "${BTFKIT:-}" ]; then
    btfkit=$(command -v "$BTFKIT") || die "BTFKIT=$BTFKIT: not found"
else
    if [ "$build" = 1 ]; then
        echo "== cargo build --release"
        cargo build --release || die "cargo build --release failed"
    fi
    btfkit=$root/target/release/btfkit
fi
[ -x "$btfkit" ] || die "$btfkit missing (build first, or drop --no-build)"

echo "== setup"
echo "file:      $file ($(wc -c <"$file") bytes)"
echo "btfkit:    $btfkit"
echo "bpftool:   $(bpftool version 2>/dev/null | head -n1)"
echo "hyperfine: $(hyperfine --version)"
echo "runs:      $warmup warmup + $runs timed per command (-N, --output=null)"
echo "load:      $(uptime | sed 's/.*load average/load average/') ($(nproc) CPUs)"

# hyperfine -N splits commands like a shell would; quote the file name.
qfile=$(printf '%q' "$file")
summary=()

# Runs "$@" once with stdout to $1 and stderr to $1.err; status is returned.
run_once() {
    local dest=$1
    shift
    "$@" >"$dest" 2>"$dest.err"
}

first_err_line() {
    head -n1 "$1" | cut -c1-160
}

# compare NAME TARGET CMD_BTFKIT CMD_BPFTOOL: one hyperfine run of both.
compare() {
    local name=$1 target=$2 ours=$3 theirs=$4 slug
    slug=$(echo "$name" | tr -c 'a-z0-9\n' '-')
    echo
    echo "== $name"
    hyperfine -N --warmup "$warmup" --runs "$runs" --output=null \
        --export-json "$tmp/$slug.json" \
        -n "btfkit: $ours" "$ours" \
        -n "bpftool: $theirs" "$theirs" ||
        die "hyperfine failed for $name"
    local line
    line=$(report "$tmp/$slug.json" "$name" "$target") || die "reading $tmp/$slug.json"
    summary+=("$line")
}

# report JSON NAME TARGET: prints the summary line (and a detail line to
# stderr). TARGET empty: no ratio target.
report() {
    python3 - "$@" <<'EOF'
import json, statistics, sys

path, name, target = sys.argv[1], sys.argv[2], sys.argv[3]
results = json.load(open(path))["results"]

def ms(r, key):
    return r[key] * 1000.0

for r in results:
    times = r["times"]
    print(
        f"   {r['command']}\n"
        f"      median {ms(r, 'median'):.1f} ms, mean {ms(r, 'mean'):.1f} "
        f"± {ms(r, 'stddev') if r.get('stddev') is not None else 0:.1f} ms, "
        f"min {ms(r, 'min'):.1f} ms, max {ms(r, 'max'):.1f} ms, "
        f"n={len(times)}, cv {statistics.pstdev(times) / statistics.mean(times) * 100:.0f}%",
        file=sys.stderr,
    )

ours = ms(results[0], "median")
if target == "":
    # btfkit alone (one or more variants): medians, no target.
    print(f"{name}: " + ", ".join(
        f"{r['command'].split(':')[0]} {ms(r, 'median'):.1f} ms" for r in results))
    sys.exit(0)
theirs = ms(results[1], "median")
ratio = ours / theirs
line = f"{name}: btfkit {ours:.1f} ms, bpftool {theirs:.1f} ms, ratio {ratio:.2f}"
if target:
    verdict = "PASS" if ratio <= float(target) else "FAIL"
    line += f" (target <= {target}) {verdict}"
mins = ms(results[0], "min"), ms(results[1], "min")
line += f" [minimums {mins[0]:.1f} / {mins[1]:.1f} ms = {mins[0] / mins[1]:.2f}]"
print(line)
EOF
}

# --- raw -------------------------------------------------------------------
ours_raw="$btfkit dump $qfile"
theirs_raw="bpftool btf dump file $qfile"
run_once "$tmp/btfkit.raw" "$btfkit" dump "$file" ||
    die "btfkit dump failed: $(first_err_line "$tmp/btfkit.raw.err")"
run_once "$tmp/bpftool.raw" bpftool btf dump file "$file" ||
    die "bpftool btf dump failed: $(first_err_line "$tmp/bpftool.raw.err")"
if cmp -s "$tmp/btfkit.raw" "$tmp/bpftool.raw"; then
    echo "raw output: byte-identical to bpftool ($(wc -l <"$tmp/btfkit.raw") lines)"
else
    echo "raw output: DIFFERS from bpftool (timings still compared)"
fi
rm -f "$tmp/btfkit.raw" "$tmp/bpftool.raw"
compare "raw dump" "$RAW_TARGET" "$ours_raw" "$theirs_raw"

# --- json ------------------------------------------------------------------
ours_json="$btfkit dump $qfile --format json"
theirs_json="bpftool -j btf dump file $qfile"
run_once "$tmp/bpftool.json" bpftool -j btf dump file "$file" ||
    die "bpftool -j btf dump failed: $(first_err_line "$tmp/bpftool.json.err")"
if run_once "$tmp/btfkit.json" "$btfkit" dump "$file" --format json; then
    if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/btfkit.json" 2>/dev/null; then
        echo
        echo "json output: valid JSON ($(wc -c <"$tmp/btfkit.json") bytes; bpftool $(wc -c <"$tmp/bpftool.json") bytes)"
    else
        echo
        echo "json output: NOT valid JSON (timings still compared)"
    fi
    rm -f "$tmp/btfkit.json" "$tmp/bpftool.json"
    compare "json dump" "$JSON_TARGET" "$ours_json" "$theirs_json"
else
    msg=$(first_err_line "$tmp/btfkit.json.err")
    echo
    echo "== json dump"
    echo "   skipped: \`btfkit dump --format json\` failed: $msg"
    summary+=("json dump: unavailable (btfkit --format json failed: $msg)")
fi

# --- parse (root_id 1) -----------------------------------------------------
ours_parse="$btfkit dump $qfile --id 1"
theirs_parse="bpftool btf dump file $qfile root_id 1"
run_once "$tmp/btfkit.id1" "$btfkit" dump "$file" --id 1 ||
    die "btfkit dump --id 1 failed: $(first_err_line "$tmp/btfkit.id1.err")"
if run_once "$tmp/bpftool.id1" bpftool btf dump file "$file" root_id 1; then
    compare "parse (id 1)" "" "$ours_parse" "$theirs_parse"
else
    msg=$(first_err_line "$tmp/bpftool.id1.err")
    echo
    echo "== parse (id 1)"
    echo "   bpftool pair skipped: \`bpftool btf dump file FILE root_id 1\` failed: $msg"
    echo "   (root_id with \`file\` needs bpftool >= 7.6; FORMAT.md §12: 7.8 takes 12.8 ms on 6.18 vmlinux)"
    # sysfs hands the file out 4 KiB per read (a few ms more than a cached
    # regular file); time a regular-file copy too, to separate the two.
    copy=()
    case "$file" in
        /sys/*)
            cp "$file" "$tmp/copy.btf"
            copy=(-n "btfkit on a regular-file copy: $btfkit dump $tmp/copy.btf --id 1"
                "$btfkit dump $(printf '%q' "$tmp/copy.btf") --id 1")
            ;;
    esac
    hyperfine -N --warmup "$warmup" --runs "$runs" --output=null \
        --export-json "$tmp/parse.json" -n "btfkit: $ours_parse" "$ours_parse" "${copy[@]}" ||
        die "hyperfine failed for parse"
    rm -f "$tmp/copy.btf"
    line=$(report "$tmp/parse.json" "parse (btfkit dump --id 1, end to end)" "") ||
        die "reading $tmp/parse.json"
    summary+=("$line (info: includes exec and reading FILE; the ${PARSE_TARGET_MS} ms parse target is parse-time.sh's)")
    summary+=("parse (id 1): bpftool pair unavailable ($msg)")
fi

echo
echo "load:      $(uptime | sed 's/.*load average/load average/')"
echo
echo "== summary (medians)"
printf '%s\n' "${summary[@]}"
