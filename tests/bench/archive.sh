#!/usr/bin/env bash
# archive.sh - sp-pack vs tar czf at the same gzip level, and sp-unpack
# (with full verification) vs tar xzf followed by sha256sum -c, and
# sp-unpack --plain of tar czf's archive vs tar xzf + sha256sum, on one
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

f2() { python3 -c "import sys; print('%.2f' % float(sys.argv[1]))" "$1"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
mb() { du -sm "$1" | cut -f1; }

sp-collect -x .complete "$tree" | sp-manifest -C "$tree" >"$work/recs"
echo "tree: $(wc -l <"$work/recs") files, $(mb "$tree") MiB; $(nproc) CPUs; gzip level $level"
tar -cf - -C "$tree" . >/dev/null	# warm the page cache

# measure CMD: best of 3 runs; sets wall, cpu (user+sys, children
# included) and rss (peak KiB of the largest process) of the fastest.
measure() {
	local _ e u s m out
	out=$(mktemp)
	wall=
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %U %S %M' -o "$out" bash -c "$1" >/dev/null
		read -r e u s m <"$out"
		if [ -z "$wall" ] || python3 -c "import sys; sys.exit(not $e < $wall)"; then
			wall=$e cpu=$(python3 -c "print($u + $s)") rss=$m
		fi
	done
	rm -f "$out"
}

# ---- pack ----
measure "sp-pack -C '$tree' -l $level -o '$work/sp.tgz' '$work/recs'"
sp_wall=$wall sp_cpu=$cpu rss_pack=$rss
measure "tar -C '$tree' --exclude=./.complete -I 'gzip -$level' -cf '$work/tar.tgz' ."
echo "pack:   sp-pack ${sp_wall}s (cpu $(f2 "$sp_cpu")s, $(($(stat -c %s "$work/sp.tgz") >> 20)) MiB)," \
	"tar czf ${wall}s (cpu $(f2 "$cpu")s, $(($(stat -c %s "$work/tar.tgz") >> 20)) MiB)"
echo "sp-pack vs tar czf: $(ratio "$wall" "$sp_wall")x faster (target >= 1.0x; cpu ratio $(ratio "$cpu" "$sp_cpu"))"

# ---- unpack with verification ----
tar -xzOf "$work/sp.tgz" .sp-manifest.json |
	jq -r '.files[] | select(.link == null) | "\(.sha256)  \(.path)"' >"$work/sums"
# Each run extracts into a directory never used before: right after a mass
# delete, ext4 scans the recently deleted inodes on every create, and the
# run after a delete would pay for it. All are removed at the end.
measure "d=\$(mktemp -d -p '$work' sp.XXXXXX) && sp-unpack '$work/sp.tgz' \$d/t"
sp_wall=$wall sp_cpu=$cpu rss_unpack=$rss
for d in "$work"/sp.*/t; do diff -r "$tree" "$d" -x .complete >/dev/null; done
measure "d=\$(mktemp -d -p '$work' tar.XXXXXX) && tar -xzf '$work/sp.tgz' -C \$d &&
	cd \$d && sha256sum -c --quiet '$PWD/$work/sums'"
echo "unpack: sp-unpack ${sp_wall}s (cpu $(f2 "$sp_cpu")s), tar xzf + sha256sum -c ${wall}s (cpu $(f2 "$cpu")s)"
echo "sp-unpack vs tar xzf + sha256sum -c: $(ratio "$wall" "$sp_wall")x faster (target >= 1.3x; cpu ratio $(ratio "$cpu" "$sp_cpu"))"

# ---- a plain tarball (tar czf's, no manifest): hashed on the way in ----
measure "d=\$(mktemp -d -p '$work' pl.XXXXXX) && sp-unpack --plain '$work/tar.tgz' \$d/t"
sp_wall=$wall sp_cpu=$cpu rss_plain=$rss
for d in "$work"/pl.*/t; do diff -r "$tree" "$d" -x .complete >/dev/null; done
measure "d=\$(mktemp -d -p '$work' tp.XXXXXX) && tar -xzf '$work/tar.tgz' -C \$d &&
	cd \$d && find . -type f -print0 | xargs -0 sha256sum >/dev/null"
echo "plain:  sp-unpack --plain ${sp_wall}s (cpu $(f2 "$sp_cpu")s), tar xzf + sha256sum of every file ${wall}s (cpu $(f2 "$cpu")s)"
echo "sp-unpack --plain vs tar xzf + sha256sum: $(ratio "$wall" "$sp_wall")x faster (cpu ratio $(ratio "$cpu" "$sp_cpu"))"
echo "peak RSS: sp-pack $((rss_pack / 1024)) MiB, sp-unpack $((rss_unpack / 1024)) MiB, --plain $((rss_plain / 1024)) MiB (target <= 64 MiB)"
echo "(load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg))"
rm -rf "$work"/sp.* "$work"/tar.* "$work"/pl.* "$work"/tp.* "$work/sp.tgz" "$work/tar.tgz"
