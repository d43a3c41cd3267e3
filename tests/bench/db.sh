#!/usr/bin/env bash
# db.sh - sp-dbimport and sp-dbexport on 100,000 agent_skills rows of about
# 1 KiB, against psql in the same run:
#   import into an empty table    vs (a) a psql script of row-by-row
#                                       INSERT ... ON CONFLICT statements
#                                 vs (b) raw psql \copy into the empty table
#   import into the full table, 10% of the rows changed, vs (a)
#   export                        vs psql \copy (select row_to_json(t) ...)
#   peak RSS of both tools at 10,000 and 1,000,000 rows (flat, <= 32 MiB)
# Targets: >= 10x (a), >= 0.5x (b), export >= 0.8x psql.
# SP_BENCH_ROWS, SP_BENCH_RSS_SMALL, SP_BENCH_RSS_BIG change the sizes.
# The cluster is sp-env's with PostgreSQL's defaults (fsync on), as a real
# local database runs: every autocommitted statement of the row-by-row
# script then waits for a WAL flush (about 40 s per run). With
# SP_BENCH_FAST=1 it is a test cluster without fsync instead, where commits
# cost nothing and a row-by-row script is measured at its fastest; the
# script in one transaction (psql -1) is timed either way.
set -euo pipefail

N=${SP_BENCH_ROWS:-100000}
SMALL=${SP_BENCH_RSS_SMALL:-10000}
BIG=${SP_BENCH_RSS_BIG:-1000000}
work=$PWD/tests/bench/work/db
rm -rf "$work"
mkdir -p "$work"
export TMPDIR=$work
if [ "${SP_BENCH_FAST:-}" = 1 ]; then export SP_ENV_FAST=1; else unset SP_ENV_FAST; fi
eval "$(sp-env up "$work/env")"
trap 'sp-env purge "$work/env" >/dev/null 2>&1 || true; rm -f "$work"/*.ndjson "$work"/*.json "$work"/*.sql "$work"/copy.txt' EXIT
echo "cluster: $(psql -X -At -d "$DATABASE_URL" -c "select 'fsync=' || current_setting('fsync') || ' synchronous_commit=' || current_setting('synchronous_commit')")"
cd "$work"

psqlq() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" "$@"; }
now() { date +%s.%N; }
# secs OUT CMD...: run CMD with its output into OUT, print the seconds it took
secs() {
	local t0 t1 out=$1
	shift
	t0=$(now)
	"$@" >"$out"
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rss() { # rss CMD...: peak RSS in KiB
	/usr/bin/time -f %M -o rss.out "$@" >/dev/null
	cat rss.out
}
reset() { psqlq -c "truncate agents, users, agent_skills, contexts, content"; }

# gen N TAG: N agent_skills row records of ~1 KiB; every 10th name gets TAG.
gen() {
	awk -v n="$1" -v tag="$2" 'BEGIN {
		pad = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. "
		pad = pad pad pad pad
		for (i = 1; i <= n; i++)
			printf "{\"type\":\"row\",\"table\":\"agent_skills\",\"data\":{\"id\":\"00000000-0000-4000-8000-%012x\",\"skill_id\":\"skill-%07d\",\"name\":\"Skill %d%s\",\"description\":\"A skill that does thing number %d\",\"instructions\":\"%s\",\"enabled\":%s,\"tags\":[\"tag%d\",\"common\"],\"category_id\":\"cat%d\",\"source_id\":\"bench\",\"file_path\":\"services/skills/skill-%07d/SKILL.md\",\"metadata\":{\"version\":%d,\"author\":\"bench\",\"nested\":{\"k\":[1,2,3]}},\"content_hash\":\"%064d\",\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-02T03:04:05.123456Z\"}}\n", i, i, i, (i % 10 == 0 ? tag : ""), i, pad, (i % 3 ? "true" : "false"), i % 50, i % 20, i, i % 5, i
	}'
}

cols="id, skill_id, agent_id, name, description, instructions, enabled, tags, category_id, source_id, file_path, metadata, content_hash, created_at, updated_at"
sets=$(echo "$cols" | tr -d ' ' | tr ',' '\n' | grep -v '^id$' | sed 's/.*/& = excluded.&/' | paste -sd, -)
# script SCHEMA: the rows of SCHEMA.agent_skills as row-by-row upserts
script() {
	psqlq -c "select format('INSERT INTO agent_skills ($cols) VALUES (%L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L) ON CONFLICT (id) DO UPDATE SET $sets;', $cols) from $1.agent_skills order by id"
}

echo "generating $N rows"
gen "$N" "" >rows.ndjson
gen "$N" " changed" >rows10.ndjson
echo "rows.ndjson: $(($(wc -c <rows.ndjson) / N)) bytes per record"
sp-dbimport --init --schema changed >/dev/null
sp-dbimport --schema changed rows10.ndjson >/dev/null
sp-dbimport rows.ndjson >/dev/null
script public >upserts.sql
script changed >upserts10.sql
psqlq -c "\copy agent_skills to 'copy.txt'"

# import into an empty table
reset
sp_empty=$(secs /dev/null sp-dbimport rows.ndjson)
reset
copy_empty=$(secs /dev/null psqlq -c "\copy agent_skills from 'copy.txt'")
reset
a_empty=$(secs /dev/null psqlq -f upserts.sql)
reset
a1_empty=$(secs /dev/null psqlq -1 -f upserts.sql)

# import into a full table, 10% changed
reset
psqlq -c "\copy agent_skills from 'copy.txt'"
psqlq -c "vacuum analyze agent_skills"
sp_full=$(secs import10.out sp-dbimport rows10.ndjson)
grep -q '"updated":'"$((N / 10))"',"unchanged":'"$((N - N / 10))" import10.out || { echo "unexpected counts: $(cat import10.out)"; exit 1; }
reset
psqlq -c "\copy agent_skills from 'copy.txt'"
psqlq -c "vacuum analyze agent_skills"
a_full=$(secs /dev/null psqlq -f upserts10.sql)
reset
psqlq -c "\copy agent_skills from 'copy.txt'"
psqlq -c "vacuum analyze agent_skills"
a1_full=$(secs /dev/null psqlq -1 -f upserts10.sql)

# export
export_sp=$(secs export.ndjson sp-dbexport -t agent_skills)
export_pg=$(secs export.json psqlq -c "\copy (select row_to_json(t) from agent_skills t) to stdout")

printf '%-62s %8s s\n' \
	"sp-dbimport, $N rows into an empty table" "$sp_empty" \
	"(a) psql row-by-row INSERT ... ON CONFLICT, autocommit" "$a_empty" \
	"(a) the same script in one transaction (psql -1)" "$a1_empty" \
	"(b) psql \\copy" "$copy_empty" \
	"sp-dbimport into the full table, 10% changed" "$sp_full" \
	"(a) psql row-by-row, autocommit" "$a_full" \
	"(a) psql row-by-row, one transaction" "$a1_full" \
	"sp-dbexport" "$export_sp" \
	"psql \\copy (select row_to_json(t) from agent_skills t)" "$export_pg"
echo "sp-dbimport into empty vs (a) row-by-row: $(ratio "$a_empty" "$sp_empty")x faster (one transaction: $(ratio "$a1_empty" "$sp_empty")x; target >= 10x)"
echo "sp-dbimport into full, 10% changed, vs (a) row-by-row: $(ratio "$a_full" "$sp_full")x faster (one transaction: $(ratio "$a1_full" "$sp_full")x; target >= 10x)"
echo "sp-dbimport vs (b) psql \\copy: $(ratio "$copy_empty" "$sp_empty")x the speed (target >= 0.5x)"
echo "sp-dbexport vs psql \\copy of row_to_json: $(ratio "$export_pg" "$export_sp")x the speed (target >= 0.8x)"

# peak RSS, small and big
for n in "$SMALL" "$BIG"; do
	gen "$n" "" >rss.ndjson
	reset
	ri=$(rss sp-dbimport rss.ndjson)
	re=$(rss sp-dbexport)
	echo "peak RSS at $n rows: sp-dbimport $((ri / 1024)) MiB, sp-dbexport $((re / 1024)) MiB (target <= 32 MiB)"
	rm -f rss.ndjson
done
