#!/usr/bin/env bash
# delta.sh - an incremental pull (sp-sync files pull's pipeline) after 1,
# 100 and 1,000 changed files of a 10,000-file, ~1 GiB tree, against rsync
# from an rsync daemon on loopback (a real peer for changed-file transfer):
#   sp:    sp-collect L | sp-manifest --cache | sp-download files --have |
#          sp-unpack --local --delete - L
#   rsync: rsync -a --delete rsync://127.0.0.1:PORT/tree/ R
# Bytes on the wire: the delta archive's size (sp-download's record) and
# rsync's "Total bytes received"; the whole archive for reference.
# BENCH_DELTA_FILES and BENCH_DELTA_MIB make the tree smaller or larger.
set -euo pipefail
. tests/bench/lib.sh

for t in sp-cloudd sp-pack sp-unpack sp-upload sp-download rsync; do
	command -v "$t" >/dev/null || { echo "delta.sh: skipped, $t is not installed or built"; exit 0; }
done
nfiles=${BENCH_DELTA_FILES:-10000}
mib=${BENCH_DELTA_MIB:-1024}

w=$BENCH_WORK/delta
tree=$w/tree
if [ ! -f "$w/.tree-$nfiles-$mib" ]; then
	rm -rf "$w" && mkdir -p "$tree"
	# mixed sizes: 10 large files hold 40% of the bytes, the rest is spread
	# over small and medium files (a quarter of them text), 100 directories
	python3 - "$tree" "$nfiles" "$mib" <<'PY'
import base64, os, sys
root, n, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
total = mib << 20
big, nbig = int(total * 0.4) // 10, 10
rest = (total - big * nbig) // (n - nbig)
rnd = os.urandom(8 << 20)
for i in range(n - nbig):
    d = os.path.join(root, "d%03d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    size = max(64, int(rest * (0.25 + 1.5 * ((i * 7919) % 1000) / 1000)))
    data = rnd if i % 4 else base64.b64encode(rnd)
    off = (i * 104729) % (len(data) - size)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(data[off:off + size])
for i in range(nbig):
    with open(os.path.join(root, "big%d.bin" % i), "wb") as f:
        f.write(os.urandom(big))
PY
	touch "$w/.tree-$nfiles-$mib"
fi
files=$(find "$tree" -type f | wc -l)
size=$(du -sm --apparent-size "$tree" | cut -f1)

env_dir=$w/env
rsyncd=
cleanup() {
	[ -z "$rsyncd" ] || kill "$rsyncd" 2>/dev/null || true
	sp-env purge "$env_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
eval "$(sp-env up "$env_dir")"
push() { sp-collect "$tree" | sp-manifest -C "$tree" --cache "$w/push.cache" | sp-pack -C "$tree" -o - | sp-upload -q files >/dev/null; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '[tree]\npath = %s\nread only = yes\nuse chroot = no\n' "$tree" >"$w/rsyncd.conf"
rsync --daemon --no-detach --config="$w/rsyncd.conf" --port="$port" --address=127.0.0.1 --log-file=/dev/null &
rsyncd=$!
sleep 0.5
rs() { rsync -a --delete --stats "rsync://127.0.0.1:$port/tree/" "$w/rcopy/"; }

# the starting point: both copies hold the tree (untimed)
push
rm -rf "$w/lcopy" "$w/rcopy"
sp-download -q files | sp-unpack - "$w/lcopy" >/dev/null
rs >/dev/null
sp-collect "$w/lcopy" | sp-manifest -C "$w/lcopy" --cache "$w/pull.cache" >/dev/null	# warm stat cache
full=$(sp-download -q -o "$w/full.tgz" files | jq -r .details.size)
rm -f "$w/full.tgz"

echo "pull after N changed files of $files files, $size MiB ($(nproc) cores; sp: delta through a local sp-cloudd; rsync: daemon on loopback)"
printf '%-10s %14s %14s %9s %9s %8s\n' "changed" "sp bytes" "rsync bytes" "sp s" "rsync s" "sp/rsync"
for n in 1 100 1000; do
	# n files rewritten with new content of the same size
	python3 - "$tree" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if not f.startswith("big"))
step = max(1, len(paths) // n)
for p in paths[::step][:n]:
    size = os.path.getsize(p)
    with open(p, "wb") as f:
        f.write(os.urandom(size))
PY
	push
	recs=$w/recs
	sp-collect "$w/lcopy" | sp-manifest -C "$w/lcopy" --cache "$w/pull.cache" >"$recs"
	bytes=$(sp-download -q -o "$w/delta.tgz" files --have "$recs" | jq -r .details.size)
	rm -f "$w/delta.tgz"
	sync
	t_sp=$(best 1 "sp-collect $w/lcopy | sp-manifest -C $w/lcopy --cache $w/pull.cache >$recs &&
		sp-download -q files --have $recs | sp-unpack --local $recs --delete - $w/lcopy >/dev/null")
	diff -r "$tree" "$w/lcopy" >/dev/null || { echo "delta.sh: the pulled tree differs" >&2; exit 1; }
	sync
	t0=$(date +%s%N)
	rbytes=$(rs | sed -n 's/^Total bytes received: \([0-9,]*\).*/\1/p' | tr -d ,)
	t1=$(date +%s%N)
	t_rs=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')
	printf '%-10s %14s %14s %9s %9s %7sx\n' "$n" "$bytes" "$rbytes" "$t_sp" "$t_rs" \
		"$(awk -v a="$t_sp" -v b="$t_rs" 'BEGIN { printf "%.2f", a / b }')"
	[ "$n" = 1 ] && awk -v a="$bytes" -v b="$full" 'BEGIN { printf "  1 changed file: %d bytes, %.3f%% of the whole archive (%d bytes; target < 1%%)\n", a, 100 * a / b, b }'
done
rm -rf "$w/lcopy" "$w/rcopy"
