#!/usr/bin/env bash
# archive.sh - sp-pack vs tar czf at the same gzip level, and sp-unpack
# (with full verification) vs tar xzf followed by sha256sum -c, on one
# tree: 10k small files and a few 64 MiB files. Also peak RSS.
set -euo pipefail
work=tests/bench/work/archive
tree=$work/tree
level=6
mkdir -p "$work"

if [ ! -f "$tree/.complete" ]; then
	rm -rf "$tree"
	python3 - "$tree" <<'EOF'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(42)
words = [("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9))))
         for _ in range(5000)]
for i in range(10000):
    d = os.path.join(root, "d%02d" % (i % 50), "s%d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    n = rnd.randint(200, 12000)
    text = " ".join(rnd.choice(words) for _ in range(n // 6))
    with open(os.path.join(d, "f%05d.md" % i), "w") as f:
        f.write(text[:n])
big = os.path.join(root, "big")
os.makedirs(big, exist_ok=True)
mib = 1 << 20
with open(os.path.join(big, "random.bin"), "wb") as f:
    f.write(os.urandom(64 * mib))
with open(os.path.join(big, "text.log"), "w") as f:
    written = 0
    while written < 64 * mib:
        line = "%d %s\n" % (written, " ".join(rnd.choice(words) for _ in range(12)))
        f.write(line)
        written += len(line)
with open(os.path.join(big, "mixed.dat"), "wb") as f:
    for _ in range(64):
        f.write(os.urandom(mib // 2) + bytes(mib // 2))
EOF
	touch "$tree/.complete"
fi

now() { date +%s.%N; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
mb() { du -sm "$1" | cut -f1; }

sp-collect -x .complete "$tree" | sp-manifest -C "$tree" >"$work/recs"
echo "tree: $(wc -l <"$work/recs") files, $(mb "$tree") MiB; $(nproc) CPUs; gzip level $level"
cat "$work/recs" >/dev/null
tar -cf - -C "$tree" . >/dev/null	# warm the page cache

best() {	# best of 3 wall-clock seconds of "$@"
	local b= t0 t1 d i
	for i in 1 2 3; do
		t0=$(now)
		"$@" >/dev/null
		t1=$(now)
		d=$(python3 -c "print($t1 - $t0)")
		if [ -z "$b" ] || python3 -c "import sys; sys.exit(not $d < $b)"; then b=$d; fi
	done
	printf '%.3f' "$b"
}

# ---- pack ----
sp_pack() { sp-pack -C "$tree" -l $level -o "$work/sp.tgz" "$work/recs"; }
tar_pack() { tar -C "$tree" --exclude=./.complete -I "gzip -$level" -cf "$work/tar.tgz" .; }
tsp=$(best sp_pack)
ttar=$(best tar_pack)
rss_pack=$( { /usr/bin/time -f %M sp-pack -C "$tree" -l $level -o "$work/sp.tgz" "$work/recs" >/dev/null; } 2>&1 | tail -1)
echo "pack:   sp-pack ${tsp}s ($(($(stat -c %s "$work/sp.tgz") >> 20)) MiB), tar czf ${ttar}s ($(($(stat -c %s "$work/tar.tgz") >> 20)) MiB)"
echo "sp-pack vs tar czf: $(ratio "$ttar" "$tsp")x faster (target >= 1.0x)"

# ---- unpack with verification ----
tar -xzOf "$work/sp.tgz" .sp-manifest.json |
	jq -r '.files[] | select(.link == null) | "\(.sha256)  \(.path)"' >"$work/sums"
sp_unpack() { rm -rf "$work/out-sp"; sp-unpack "$work/sp.tgz" "$work/out-sp"; }
tar_unpack() {
	rm -rf "$work/out-tar" && mkdir "$work/out-tar"
	tar -xzf "$work/sp.tgz" -C "$work/out-tar" && (cd "$work/out-tar" && sha256sum -c --quiet "$OLDPWD/$work/sums")
}
tsp=$(best sp_unpack)
ttar=$(best tar_unpack)
rm -rf "$work/out-sp"
rss_unpack=$( { /usr/bin/time -f %M sp-unpack "$work/sp.tgz" "$work/out-sp" >/dev/null; } 2>&1 | tail -1)
diff -r "$tree" "$work/out-sp" -x .complete -x .sp-manifest.json >/dev/null
echo "unpack: sp-unpack ${tsp}s, tar xzf + sha256sum -c ${ttar}s"
echo "sp-unpack vs tar xzf + sha256sum -c: $(ratio "$ttar" "$tsp")x faster (target >= 1.3x)"
echo "peak RSS: sp-pack $((rss_pack / 1024)) MiB, sp-unpack $((rss_unpack / 1024)) MiB (target <= 64 MiB)"
rm -rf "$work/out-sp" "$work/out-tar" "$work/sp.tgz" "$work/tar.tgz"
