#!/usr/bin/env bash
# delta.sh - an incremental push and pull (sp-sync's pipelines) after 1,
# 100 and 1,000 changed files of a 10,000-file, ~1 GiB tree, against rsync
# to and from an rsync daemon on loopback (a real peer for changed-file
# transfer):
#   push:  sp-collect | sp-manifest --cache | sp-pack --have REMOTE |
#          sp-upload --base   vs  rsync -a --delete T/ rsync://…/up/
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
mkdir -p "$w/rup"
# (as the user running the bench: a daemon started by root would drop to nobody)
printf 'uid = %s\ngid = %s\n[tree]\npath = %s\nread only = yes\nuse chroot = no\n[up]\npath = %s\nread only = no\nuse chroot = no\n' \
	"$(id -u)" "$(id -g)" "$tree" "$w/rup" >"$w/rsyncd.conf"
rsync --daemon --no-detach --config="$w/rsyncd.conf" --port="$port" --address=127.0.0.1 --log-file=/dev/null &
rsyncd=$!
sleep 0.5
rs() { rsync -a --delete --stats "rsync://127.0.0.1:$port/tree/" "$w/rcopy/"; }
rsup() { rsync -a --delete --stats "$tree/" "rsync://127.0.0.1:$port/up/"; }
# the incremental push sp-sync runs (the remote manifest fetched first, as
# sp-sync does for its comparison; timed with it)
ipush() {
	sp-download -q manifest --etag "$w/etag" >"$w/remote.recs" &&
	sp-collect "$tree" | sp-manifest -C "$tree" --cache "$w/push.cache" >"$w/push.recs" &&
	sp-pack -C "$tree" --have "$w/remote.recs" -o "$w/inc.tgz" "$w/push.recs" >"$w/inc.rec" &&
	sp-upload -q --base "$(cat "$w/etag")" files "$w/inc.tgz" >"$w/inc.out"
}

# the starting point: both copies hold the tree (untimed)
push
rm -rf "$w/lcopy" "$w/rcopy"
sp-download -q files | sp-unpack - "$w/lcopy" >/dev/null
rs >/dev/null
rsup >/dev/null
sp-collect "$w/lcopy" | sp-manifest -C "$w/lcopy" --cache "$w/pull.cache" >/dev/null	# warm stat cache
full=$(sp-download -q -o "$w/full.tgz" files | jq -r .details.size)
rm -f "$w/full.tgz"

echo "push and pull after N changed files of $files files, $size MiB ($(nproc) cores; sp: deltas through a local sp-cloudd; rsync: daemon on loopback)"
printf '%-14s %14s %14s %9s %9s %8s\n' "changed" "sp bytes" "rsync bytes" "sp s" "rsync s" "sp/rsync"
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
	sync
	t0=$(date +%s%N)
	ipush
	t1=$(date +%s%N)
	t_ip=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')
	pbytes=$(stat -c %s "$w/inc.tgz")
	jq -e '.details.delta' "$w/inc.out" >/dev/null || { echo "delta.sh: the push was not incremental" >&2; exit 1; }
	t0=$(date +%s%N)
	rpbytes=$(rsup | sed -n 's/^Total bytes sent: \([0-9,]*\).*/\1/p' | tr -d ,)
	t1=$(date +%s%N)
	t_rp=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')
	printf '%-14s %14s %14s %9s %9s %7sx\n' "push $n" "$pbytes" "$rpbytes" "$t_ip" "$t_rp" \
		"$(awk -v a="$t_ip" -v b="$t_rp" 'BEGIN { printf "%.2f", a / b }')"
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
	printf '%-14s %14s %14s %9s %9s %7sx\n' "pull $n" "$bytes" "$rbytes" "$t_sp" "$t_rs" \
		"$(awk -v a="$t_sp" -v b="$t_rs" 'BEGIN { printf "%.2f", a / b }')"
	[ "$n" = 1 ] && awk -v a="$bytes" -v b="$full" 'BEGIN { printf "  1 changed file: %d bytes, %.3f%% of the whole archive (%d bytes; target < 1%%)\n", a, 100 * a / b, b }'
done
du_db=$(psql -X -At -d "$SP_CLOUD_DATABASE_URL" -c "select pg_database_size(current_database())")
echo "cloud database after the pushes: $((du_db >> 20)) MiB for a tree of $size MiB (whole archives, --keep generations)"
rm -rf "$w/lcopy" "$w/rcopy" "$w/rup" "$w/inc.tgz"
