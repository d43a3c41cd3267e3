#!/usr/bin/env bash
# cloudd.sh - sp-cloudd under load from wrk on loopback: 32 connections for
# 10 s on GET .../files/manifest, and 8 connections pulling a 10 MiB
# archive. Prints req/s, p99 latency, errors, MB/s, sp-cloudd's peak RSS,
# and each figure against its target.
set -euo pipefail
command -v wrk >/dev/null || { echo "cloudd.sh: wrk is not installed (scripts/install-deps)"; exit 0; }
DUR=${BENCH_SECONDS:-10}
repo=$PWD
work=$PWD/tests/bench/work/cloudd
rm -rf "$work"
mkdir -p "$work"
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; sp-env purge "$work/env" >/dev/null 2>&1 || true; rm -f "$work/token" "$work/auth.hdr" "$work/auth.lua"' EXIT
eval "$(SP_ENV_FAST=1 sp-env up "$work/env")"
cd "$work"

# a tenant of its own, the token in a header file (never in argv)
(umask 077
 DATABASE_URL=$SP_CLOUD_DATABASE_URL sp-cloudd tenant add bench >token
 printf 'Authorization: Bearer %s\n' "$(cat token)" >auth.hdr)
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$(cat token)" >auth.lua
chmod 600 auth.lua

mkarchive() {
	if command -v sp-pack >/dev/null 2>&1; then
		sp-collect "$1" | sp-manifest -C "$1" | sp-pack -C "$1" -o "$2" >/dev/null
	else
		"$repo/tests/lib/cloudd-archive" "$2" "$1"
	fi
}

# a services tree of 200 small files (a manifest of some 30 KiB) and
# one of 10 MiB of incompressible data
mkdir -p small big
for i in $(seq -w 1 200); do
	mkdir -p "small/skills/s$i"
	printf 'id: s%s\nname: skill %s\n' "$i" "$i" >"small/skills/s$i/config.yml"
done
head -c $((10 << 20)) /dev/urandom >big/blob.bin
mkarchive small small.tgz
mkarchive big big.tgz

: >cloudd.log
/usr/bin/time -f %M -o rss sp-cloudd -l 127.0.0.1:0 -d "$SP_CLOUD_DATABASE_URL" \
	--work-dir "$work/cw" 2>>cloudd.log &
pid=$!
for _ in $(seq 1 100); do
	url=$(sed -n 's/.*listening on //p' cloudd.log)
	[ -n "$url" ] && break
	sleep 0.05
done
[ -n "$url" ] || { cat cloudd.log; exit 1; }
api=$url/api/v1/cloud/tenants/bench
pid=$(pgrep -P "$pid" sp-cloudd || echo "$pid")

# wrk_run CONNS URL: wrk's report in ./wrk.out
wrk_run() {
	wrk -t2 -c"$1" -d"${DUR}s" --latency -s auth.lua "$2" >wrk.out 2>&1
	grep -E "Socket errors|Non-2xx" wrk.out || true
}
errors() {
	local non2xx sock
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *//p' wrk.out)
	sock=$(sed -n 's/.*Socket errors: //p' wrk.out | tr -dc '0-9 ,' | tr ',' '\n' |
		awk '{s += $NF} END {print s + 0}')
	echo $(( ${non2xx:-0} + sock ))
}
p99() { awk '$1 == "99%" {print $2}' wrk.out; }
rps() { awk '/^Requests\/sec:/ {print $2}' wrk.out; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 >= b + 0) ? "meets" : "MISSES"}'; }

code=$(curl -s -o /dev/null -w '%{http_code}' -H @auth.hdr --data-binary @small.tgz "$api/files")
[ "$code" = 200 ] || { echo "push failed: $code"; exit 1; }
wrk_run 32 "$api/files/manifest"
m_rps=$(rps) m_p99=$(p99) m_err=$(errors)
printf 'manifest (%s B), 32 connections, %ss: %s req/s, p99 %s, %s errors  [target >= 2000 req/s, 0 errors: %s]\n' \
	"$(tar xzOf small.tgz .sp-manifest.json | wc -c)" "$DUR" "$m_rps" "$m_p99" "$m_err" \
	"$( [ "$m_err" -eq 0 ] && verdict "$m_rps" 2000 || echo MISSES)"

code=$(curl -s -o /dev/null -w '%{http_code}' -H @auth.hdr --data-binary @big.tgz "$api/files")
[ "$code" = 200 ] || { echo "push failed: $code"; exit 1; }
curl -s -o pulled.tgz -H @auth.hdr "$api/files"
cmp -s pulled.tgz big.tgz || { echo "pull differs from push"; exit 1; }
size=$(stat -c %s big.tgz)
wrk_run 8 "$api/files"
a_rps=$(rps) a_p99=$(p99) a_err=$(errors)
mbs=$(awk -v r="$a_rps" -v s="$size" 'BEGIN {printf "%.0f", r * s / 1e6}')
printf 'archive (%s B), 8 connections, %ss: %s pulls/s = %s MB/s, p99 %s, %s errors  [target >= 500 MB/s: %s]\n' \
	"$size" "$DUR" "$a_rps" "$mbs" "$a_p99" "$a_err" \
	"$( [ "$a_err" -eq 0 ] && verdict "$mbs" 500 || echo MISSES)"

# one connection alone, for scale
wrk -t1 -c1 -d"$(( DUR / 2 > 0 ? DUR / 2 : 1 ))s" -s auth.lua "$api/files" >wrk.out 2>&1
printf 'archive, 1 connection: %s MB/s\n' \
	"$(awk -v r="$(rps)" -v s="$size" 'BEGIN {printf "%.0f", r * s / 1e6}')"

kill "$pid"
wait 2>/dev/null || true
printf 'sp-cloudd peak RSS: %s KiB\n' "$(cat rss)"
