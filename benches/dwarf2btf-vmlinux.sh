#!/bin/sh
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# dwarf2btf-vmlinux.sh - `btfkit dwarf2btf` against `pahole -J` on Debian's
# 6.1 cloud kernel (DWARF2BTF.md section 11).
#
#   benches/dwarf2btf-vmlinux.sh [RUNS]      (default 5 timed runs each)
#
# Downloads linux-image-6.1.0-56-cloud-amd64-dbg once (283 MB .deb, 590 MB
# vmlinux) into $BTFKIT_CACHE (default ~/.cache/btfkit), outside the
# repository, then:
#
#   1. wall time: hyperfine, btfkit (all cores) vs pahole -J -j2, then
#      the same as interleaved pairs (median of the per-pair ratios);
#   2. peak RSS: /usr/bin/time -v, same commands;
#   3. determinism: btfkit -j1 and -j2 write the same bytes;
#   4. the checks of tests/dwarf2btf_vmlinux.rs: the kernel loads btfkit's
#      BTF (needs root or CAP_BPF), per-kind counts against the .BTF pahole
#      1.24 embedded in the same vmlinux, every named struct/union/enum/
#      typedef layout compared;
#   5. split BTF for one module (net/key/af_key.ko) over the embedded vmlinux
#      BTF, against the .BTF Debian shipped in that module.
#
# Needs: apt-get, dpkg-deb, hyperfine, pahole, bpftool, cargo.

set -eu

RUNS=${1:-5}
CACHE=${BTFKIT_CACHE:-$HOME/.cache/btfkit}
PKG=linux-image-6.1.0-56-cloud-amd64-dbg
KVER=6.1.0-56-cloud-amd64
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

mkdir -p "$CACHE"
VMLINUX=$CACHE/vmlinux-$KVER
MODULE=$CACHE/af_key-$KVER.ko
if [ ! -s "$VMLINUX" ] || [ ! -s "$MODULE" ]; then
	(cd "$CACHE" && { ls "$PKG"_*.deb >/dev/null 2>&1 || apt-get download "$PKG"; })
	DEB=$(ls "$CACHE/$PKG"_*.deb | head -n1)
	dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$OUT" \
		"./usr/lib/debug/boot/vmlinux-$KVER" \
		"./usr/lib/debug/lib/modules/$KVER/kernel/net/key/af_key.ko"
	mv "$OUT/usr/lib/debug/boot/vmlinux-$KVER" "$VMLINUX"
	mv "$OUT/usr/lib/debug/lib/modules/$KVER/kernel/net/key/af_key.ko" "$MODULE"
	rm -rf "$OUT/usr"
fi

(cd "$ROOT" && cargo build --release --quiet)
BTFKIT=$ROOT/target/release/btfkit

echo "== pahole: $(pahole --version); btfkit: $($BTFKIT --version); $(nproc) CPUs"
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== 1. wall time ($RUNS runs each)"
hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$OUT/hyperfine.md" \
	-n btfkit "$BTFKIT dwarf2btf $VMLINUX -o $OUT/btfkit.btf" \
	-n "pahole -j2" "pahole -J -j2 --btf_encode_detached=$OUT/pahole.btf $VMLINUX"
cat "$OUT/hyperfine.md"

# hyperfine runs all of one command, then all of the other: on a shared VM
# the load can change in between. Alternate them and take the ratio of each
# pair, which cancels slow drifts.
echo "== 1b. wall time, interleaved pairs ($RUNS): btfkit / pahole per pair"
for i in $(seq "$RUNS"); do
	/usr/bin/time -o "$OUT/t.b" -f %e "$BTFKIT" dwarf2btf "$VMLINUX" -o "$OUT/btfkit.btf"
	/usr/bin/time -o "$OUT/t.p" -f %e \
		pahole -J -j2 --btf_encode_detached="$OUT/pahole.btf" "$VMLINUX"
	echo "$(cat "$OUT/t.b") $(cat "$OUT/t.p")"
done | python3 -c '
import statistics, sys
pairs = [tuple(map(float, l.split())) for l in sys.stdin]
r = sorted(b / p for b, p in pairs)
print("pairs (btfkit s, pahole s):", ", ".join(f"{b:.2f}/{p:.2f}" for b, p in pairs))
print(f"ratio median {statistics.median(r):.3f}, min {r[0]:.3f}, max {r[-1]:.3f}")
'

echo "== 2. peak RSS"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
B=$(rss "$BTFKIT" dwarf2btf "$VMLINUX" -o "$OUT/btfkit.btf")
P=$(rss pahole -J -j2 --btf_encode_detached="$OUT/pahole.btf" "$VMLINUX")
echo "btfkit ${B} KB, pahole ${P} KB, ratio $(echo "scale=2; $B / $P" | bc)"

echo "== time split (btfkit --stats): DWARF decoding and merging, then dedup"
"$BTFKIT" dwarf2btf "$VMLINUX" -o "$OUT/btfkit.btf" --stats 2>&1 | grep -E '^(units|types|time)'

echo "== 3. determinism"
"$BTFKIT" dwarf2btf "$VMLINUX" -j1 -o "$OUT/j1.btf"
"$BTFKIT" dwarf2btf "$VMLINUX" -j2 -o "$OUT/j2.btf"
if cmp -s "$OUT/j1.btf" "$OUT/j2.btf" && cmp -s "$OUT/j1.btf" "$OUT/btfkit.btf"; then
	echo "-j1, -j2 and the default give identical bytes ($(wc -c <"$OUT/j1.btf") bytes)"
else
	echo "DIFFERENT OUTPUT for different -j" >&2
	exit 1
fi
"$BTFKIT" dump "$OUT/btfkit.btf" --format summary | head -n 25
echo "pahole: $(bpftool btf dump file "$OUT/pahole.btf" | grep -c '^\[') types"

echo "== 4. kernel load, counts and layouts against the embedded .BTF"
(cd "$ROOT" && BTFKIT_VMLINUX="$VMLINUX" cargo test --release --quiet \
	--test dwarf2btf_vmlinux -- --ignored --nocapture 2>&1 | grep -v '^running\|^$')

echo "== 5. split BTF: af_key.ko over the embedded vmlinux BTF"
llvm-objcopy-19 --dump-section ".BTF=$OUT/vmlinux.btf" "$VMLINUX" /dev/null 2>/dev/null ||
	objcopy -O binary --only-section=.BTF "$VMLINUX" "$OUT/vmlinux.btf"
"$BTFKIT" dwarf2btf "$MODULE" --base "$OUT/vmlinux.btf" -o "$OUT/af_key.btf"
llvm-objcopy-19 --dump-section ".BTF=$OUT/af_key.shipped.btf" "$MODULE" /dev/null
for f in af_key af_key.shipped; do
	printf '%-16s ' "$f"
	bpftool btf dump file "$OUT/$f.btf" -B "$OUT/vmlinux.btf" | grep '^\[' |
		awk '{print $2}' | sort | uniq -c | sort -rn | awk '{printf "%s %s, ", $2, $1}'
	echo
done
