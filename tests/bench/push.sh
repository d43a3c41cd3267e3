#!/usr/bin/env bash
# push.sh - memory of a whole `sp-sync database push` (sp-dbexport,
# sp-download database, sp-diff --summary, sp-upload database, and
# sp-cloudd importing) at 10,000 and at 1,000,000 agent_skills rows of
# about 1 KiB into an empty tenant, and the time against the floor of the
# same bytes: psql \copy out of the local database plus curl POSTing them.
# Target: flat, the largest process <= 64 MiB at both sizes. sp-cloudd
# runs with --max-json 2G here (the default 256 MiB refuses one request
# of 1M such rows: 413).
# SP_BENCH_PUSH_SMALL and SP_BENCH_PUSH_BIG change the sizes.
set -euo pipefail

SMALL=${SP_BENCH_PUSH_SMALL:-10000}
BIG=${SP_BENCH_PUSH_BIG:-1000000}
work=$PWD/tests/bench/work/push
rm -rf "$work"
mkdir -p "$work"
export TMPDIR=$work SP_ENV_FAST=1
eval "$(sp-env up "$work/env")"
cd "$work"
# a server of its own on the same database, whose --max-json takes a
# 1 GiB document (sp-env's keeps the default 256 MiB: a push of 1M rows of
# 1 KiB is one request over it)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATABASE_URL=$SP_CLOUD_DATABASE_URL sp-cloudd -l "127.0.0.1:$port" --max-json 2G --work-dir "$work/cloudd" \
	>>"$work/cloudd.log" 2>&1 &
cloudd=$!
trap 'kill $cloudd 2>/dev/null; sp-env purge "$work/env" >/dev/null 2>&1 || true; rm -f "$work"/*.ndjson "$work"/*.json' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
export SP_API_URL=http://127.0.0.1:$port

psqlq() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" "$@"; }
now() { date +%s.%N; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$cloudd/status"; }

# gen N: N agent_skills row records of ~1 KiB
gen() {
	awk -v n="$1" 'BEGIN {
		pad = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. "
		pad = pad pad pad pad pad pad pad
		for (i = 1; i <= n; i++)
			printf "{\"type\":\"row\",\"table\":\"agent_skills\",\"data\":{\"id\":\"00000000-0000-4000-8000-%012x\",\"skill_id\":\"skill-%07d\",\"name\":\"Skill %d\",\"instructions\":\"%s\",\"tags\":[\"t%d\"],\"metadata\":{\"v\":%d},\"created_at\":\"2026-01-01T00:00:00Z\"}}\n", i, i, i, pad, i % 7, i
	}'
}

for n in "$SMALL" "$BIG"; do
	psqlq -c "truncate agents, users, agent_skills, contexts, content"
	gen "$n" | sp-dbimport >/dev/null
	# an empty tenant of its own for each size
	(umask 077; DATABASE_URL=$SP_CLOUD_DATABASE_URL sp-cloudd tenant add "b$n" >"tok$n")
	h0=$(hwm)
	t0=$(now)
	SP_TENANT=b$n SP_TOKEN_FILE=$work/tok$n /usr/bin/time -f %M -o rss.out \
		sp-sync -q database push >result.json
	t1=$(now)
	h1=$(hwm)
	[ "$(jq -r .items_synced result.json)" = "$n" ] || { echo "push.sh: push of $n rows: $(cat result.json)" >&2; exit 1; }
	# (curl streams the file with -T: --data-binary @FILE reads it into
	# memory, and gave up on 1.2 GB: "out of memory")
	# the floor: the same rows out with psql \copy, POSTed with curl
	(umask 077; DATABASE_URL=$SP_CLOUD_DATABASE_URL sp-cloudd tenant add "c$n" >"ctok$n")
	t2=$(now)
	# (a DatabaseExport document: the rows as psql gives them, joined)
	{ printf '{"skills":['
	  psqlq -c "\copy (select row_to_json(t) from agent_skills t) to stdout" | sed '1!s/^/,/'
	  printf '],"timestamp":"2026-01-01T00:00:00Z"}'; } >copy.json
	code=$(curl -sS -o floor.out -w '%{http_code}' -H @<(printf 'Authorization: Bearer %s\n' "$(cat "ctok$n")") \
		-H 'Content-Type: application/json' -X POST -T copy.json "$SP_API_URL/api/v1/cloud/tenants/c$n/database/import")
	[ "$code" = 200 ] || { echo "push.sh: the floor's import: $code $(head -c 300 floor.out)" >&2; exit 1; }
	t3=$(now)
	rm -f copy.json
	awk -v n="$n" -v r="$(cat rss.out)" -v a="$h0" -v b="$h1" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN {
		printf "database push of %d rows: %.1f s; largest process %d MiB; sp-cloudd peak %d -> %d MiB; floor (psql \\copy + curl POST) %.1f s: sp takes %.2fx the floor\n",
		    n, t1 - t0, r / 1024, a / 1024, b / 1024, t3 - t2, (t1 - t0) / (t3 - t2) }'
done
