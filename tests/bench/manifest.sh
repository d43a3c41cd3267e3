# manifest.sh - sp-collect | sp-manifest against find | xargs sha256sum.
set -euo pipefail
. tests/bench/lib.sh

w=$BENCH_WORK/manifest
small=$w/small big=$w/big
if [ ! -f "$small/.done" ]; then
	rm -rf "$small" && mkdir -p "$small"
	python3 - "$small" <<'PY'
import os, sys
root = sys.argv[1]
blob = os.urandom(4096 * 64)
for i in range(10000):
    d = os.path.join(root, "d%03d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    n = 3072 + (i * 97) % 2048      # about 4 KiB
    with open(os.path.join(d, "f%05d.txt" % i), "wb") as f:
        f.write(blob[(i * 131) % (len(blob) - n):][:n])
PY
	touch "$small/.done"
fi
if [ ! -f "$big/.done" ]; then
	rm -rf "$big" && mkdir -p "$big"
	for i in 1 2 3 4 5 6 7 8; do head -c 64M /dev/urandom >"$big/blob$i.bin"; done
	touch "$big/.done"
fi
sleep 1.1	# files must be a second old before the stat cache trusts them

echo "sp-collect | sp-manifest vs find | xargs sha256sum ($(nproc) cores, best of 3, warm page cache)"
header "tree"
for t in small big; do
	d=${!t}
	base="find $d -type f ! -name .done -print0 | xargs -0 sha256sum >/dev/null"
	sp="sp-collect --exclude .done $d | sp-manifest -C $d >/dev/null"
	bash -c "$base"	# warm the page cache
	label="10,000 files of ~4 KiB"
	[ $t = big ] && label="8 files of 64 MiB"
	row "$label" "$(best 3 "$base")" "$(best 3 "$sp")"
done

echo
echo "stat cache: a second run over the unchanged tree, uncached vs --cache (best of 3):"
printf '%-44s %9s %9s %8s\n' "" "uncached" "--cache" "speedup"
for t in small big; do
	d=${!t}
	cache=$w/cache-$t
	rm -f "$cache"
	sp-collect "$d" | sp-manifest -C "$d" --cache "$cache" >/dev/null	# fill it
	label="10k x 4 KiB"
	[ $t = big ] && label="8 x 64 MiB"
	un=$(best 3 "sp-collect $d | sp-manifest -C $d >/dev/null")
	ca=$(best 3 "sp-collect $d | sp-manifest -C $d --cache $cache >/dev/null")
	row "$label, warm page cache" "$un" "$ca"
	# Cold data (pages evicted before every run; metadata stays cached):
	# what the cache is for, a tree not read since the last sync.
	un=$(best 3 "sp-collect $d | sp-manifest -C $d >/dev/null" "evict $d")
	ca=$(best 3 "sp-collect $d | sp-manifest -C $d --cache $cache >/dev/null" "evict $d")
	row "$label, file data not in page cache" "$un" "$ca"
done

# Peak RSS against the number of records: the same 10k records once, 10x, 50x.
sp-collect "$small" >"$w/recs"
for k in 1 10 50; do
	for ((i = 0; i < k; i++)); do cat "$w/recs"; done >"$w/recs$k"
done
echo
echo "peak RSS of sp-manifest by number of records:"
for k in 1 10 50; do
	printf '  %7d records: %6s KiB\n' $((k * 10000)) "$(rss_kib "sp-manifest -C $small $w/recs$k")"
done
rm -f "$w"/recs*
