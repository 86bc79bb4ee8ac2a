#!/bin/sh
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# smoke.sh [SECONDS] - run every fuzz target for SECONDS each (default 30).
#
# Exits non-zero if any target crashes, leaks, times out or runs out of
# memory; the failing input is left in fuzz/artifacts/<target>/. Copy it to
# fixtures/crashers/ (tests/corpus_replay.rs replays that directory on
# stable) once the bug is fixed.
#
# New inputs the fuzzer finds go to a temporary directory, not to the
# committed seed corpus fuzz/corpus/<target>/, which is only read.
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# FUZZ_TOOLCHAIN overrides the toolchain (default: nightly); FUZZ_ARGS adds
# libFuzzer options (e.g. FUZZ_ARGS=-max_len=65536).

set -u

SECONDS_EACH=${1:-30}
case "$SECONDS_EACH" in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
TOOLCHAIN=${FUZZ_TOOLCHAIN:-nightly}

cd "$(dirname "$0")" || exit 2

if ! cargo "+$TOOLCHAIN" fuzz --version >/dev/null 2>&1; then
	echo "smoke.sh: needs cargo-fuzz and the $TOOLCHAIN toolchain" \
		"(rustup toolchain install $TOOLCHAIN; cargo install cargo-fuzz)" >&2
	exit 2
fi

TARGETS=$(cargo "+$TOOLCHAIN" fuzz list) || exit 2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

# Build every target once up front, so build failures are reported as such
# and the per-target time budget is spent fuzzing.
cargo "+$TOOLCHAIN" fuzz build || { echo "smoke.sh: build failed" >&2; exit 2; }

failed=""
for t in $TARGETS; do
	mkdir -p "$WORK/$t" "corpus/$t"
	echo "=== $t: ${SECONDS_EACH}s"
	log="$WORK/$t.log"
	cargo "+$TOOLCHAIN" fuzz run "$t" "$WORK/$t" "corpus/$t" -- \
		-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$log"
		echo "=== $t: FAILED (exit $rc); input saved under fuzz/artifacts/$t/"
		failed="$failed $t"
	else
		echo "=== $t: ok, ${runs:-?} runs, ${rate:-?} exec/s"
	fi
done

if [ -n "$failed" ]; then
	echo "smoke.sh: failing targets:$failed" >&2
	exit 1
fi
echo "smoke.sh: all targets ok"
