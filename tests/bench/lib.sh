# lib.sh - helpers for the benchmarks (sourced).
# best N CMD [PREP]: run the shell command N times (each after the untimed
# shell command PREP), print the best wall time in seconds.
best() {
	local n=$1 i t0 t1 b=""
	shift
	for ((i = 0; i < n; i++)); do
		[ -z "${2:-}" ] || eval "$2"
		t0=$(date +%s%N)
		bash -c "$1" || { echo "benchmark command failed: $1" >&2; return 1; }
		t1=$(date +%s%N)
		if [ -z "$b" ] || [ $((t1 - t0)) -lt "$b" ]; then b=$((t1 - t0)); fi
	done
	awk -v ns="$b" 'BEGIN { printf "%.3f", ns / 1e9 }'
}

# ratio BASE SP: how many times faster SP is than BASE.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# rss_kib CMD: peak resident set of the shell command's heaviest process, KiB.
rss_kib() {
	local f
	f=$(mktemp)
	/usr/bin/time -f %M -o "$f" bash -c "$1" >/dev/null
	tail -1 "$f"
	rm -f "$f"
}

# row LABEL BASE SP: one line of a results table.
row() { printf '%-44s %8ss %8ss %7sx\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
header() { printf '%-44s %9s %9s %8s\n' "$1" "baseline" "sp" "speedup"; }

BENCH_WORK=${BENCH_WORK:-$PWD/tests/bench/work}
mkdir -p "$BENCH_WORK"

# evict DIR...: drop the page-cache data of every file below DIR (no root
# needed: posix_fadvise DONTNEED on clean pages), for cold-data runs.
evict() {
	python3 - "$@" <<'PY'
import os, sys
for top in sys.argv[1:]:
    for d, _, files in os.walk(top):
        for f in files:
            try:
                fd = os.open(os.path.join(d, f), os.O_RDONLY)
            except OSError:
                continue
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
PY
}
