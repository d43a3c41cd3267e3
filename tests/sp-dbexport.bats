#!/usr/bin/env bats
# sp-dbexport: exact values (cross-checked with psql's row_to_json), order,
# filters, one snapshot, the DatabaseExport document, and round trips
# through sp-dbimport; against a real PostgreSQL.

load helper
load db

setup_file() {
	sp_env_up
	sp-dbimport --init --schema copy >/dev/null
}

teardown_file() {
	sp_env_down
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	db_reset
	db_reset copy
}

# psql's row_to_json with its "+00:00" written as "Z", keys sorted: what the
# data of sp-dbexport's records must equal.
psql_view() {
	db_dump "${1:-public}" | cut -f2 |
		jq -c -S 'walk(if type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+\\+00:00$") then sub("\\+00:00$"; "Z") else . end)' |
		LC_ALL=C sort
}

@test "every value of every type matches psql's row_to_json" {
	edge_rows
	sp-dbexport >out.ndjson
	[ "$(wc -l <out.ndjson)" -eq 9 ]
	jq -c -S .data out.ndjson | LC_ALL=C sort >sp.view
	psql_view >pg.view
	diff pg.view sp.view
	# spot checks of the exact forms
	run jq -r 'select(.table == "agents") | .data.created_at' out.ndjson
	assert_output "2026-11-23T18:22:00.123456Z
2000-01-01T08:29:59.5Z"
	run jq -c 'select(.table == "users") | .data.roles' out.ndjson
	assert_output '[]
null
["a b","\"q\"","back\\slash",null,"ü",""]'
	grep -qF '"metadata":{"a":{"b":[1,2.5,-0.00003,true,null,{"c":"ü\"\\"}]},"n":12345678901,"list":[],"empty":{}}' out.ndjson
	[ "$(jq -r 'select(.data.name == "ünïcödé 日本語 🎉") | .data.system_prompt | length' out.ndjson)" -eq 1048576 ]
	[ "$(jq -r 'select(.data.name == "ünïcödé 日本語 🎉") | .data.system_prompt' out.ndjson | wc -c)" -eq $((524288 * 4 + 1)) ]
}

@test "export then import into an empty schema reproduces every row exactly" {
	edge_rows
	sp-dbexport >out.ndjson
	run sp-dbimport --schema copy out.ndjson
	assert_success
	[ "$(jq .details.created <<<"$output")" = 9 ]
	db_dump public | cut -f2 >a
	db_dump copy | cut -f2 >b
	cmp a b
	# and again: nothing differs, nothing is rewritten
	run sp-dbimport --schema copy out.ndjson
	[ "$(jq -c '[.details.unchanged,.details.updated,.details.created]' <<<"$output")" = "[9,0,0]" ]
	sp-dbexport --schema copy | cmp - out.ndjson
}

@test "timestamps beyond the years 0001-9999 survive export and import" {
	psqlq -c "insert into content (id, source_id, slug, published_at) values
		('$(uuid 1)', 's', 'far', '12000-01-01T00:00:00Z'),
		('$(uuid 2)', 's', 'bc', '0044-03-15 12:00:00+00 BC'),
		('$(uuid 3)', 's', 'y1bc', '0001-12-31 23:59:59.5+00 BC'),
		('$(uuid 4)', 's', 'max', '294276-12-31 23:59:59+00'),
		('$(uuid 6)', 's', 'min', '4714-11-24 00:00:00+00 BC')"
	sp-dbexport -t content >out.ndjson
	run jq -r '.data.published_at' out.ndjson
	assert_output "$(printf '%s\n' 12000-01-01T00:00:00Z -0043-03-15T12:00:00Z -0000-12-31T23:59:59.5Z 294276-12-31T23:59:59Z -4713-11-24T00:00:00Z)"
	run sp-dbimport --schema copy out.ndjson
	assert_success
	cmp <(db_dump public | cut -f2) <(db_dump copy | cut -f2)
	echo '{"type":"row","table":"content","data":{"id":"'"$(uuid 5)"'","source_id":"s","slug":"x","published_at":"0000-01-01T00:00:00Z"}}' >bad
	run sp-dbimport --schema copy bad
	[ "$status" -eq 65 ]
}

@test "tables in foreign-key order, rows in primary-key order; -t and --where" {
	edge_rows
	skills_ndjson 50 | shuf | sp-dbimport >/dev/null
	sp-dbexport >out.ndjson
	run bash -c "jq -r .table out.ndjson | uniq | paste -sd ' '"
	assert_output "agents users agent_skills contexts content"
	for t in agents users agent_skills contexts content; do
		jq -r "select(.table == \"$t\") | .data.id" out.ndjson >ids
		LC_ALL=C sort -c ids
	done
	run bash -c "sp-dbexport -t content -t skills | jq -r .table | uniq | paste -sd ' '"
	assert_output "agent_skills content"
	run bash -c "sp-dbexport -t agent_skills --where \"skill_id like 's1%'\" | jq -r .data.skill_id | paste -sd ' '"
	assert_output "s1 s10 s11 s12 s13 s14 s15 s16 s17 s18 s19"
	run sp-dbexport -t nope
	[ "$status" -eq 2 ]
	run sp-dbexport -t agents --where "nonsense ("
	[ "$status" -eq 2 ]
	assert_output --partial "bad --where condition"
	# a second statement cannot ride along
	run sp-dbexport -t agents --where "true) t; drop table agents; select (1"
	[ "$status" -ne 0 ]
	psqlq -c "select count(*) from agents" >/dev/null
}

@test "an export during an import sees one snapshot" {
	skills_ndjson 200 | sp-dbimport >/dev/null
	printf '{"type":"row","table":"content","data":{"id":"%s","source_id":"s","slug":"old"}}\n' "$(uuid 1)" | sp-dbimport >/dev/null
	sp-dbexport >before.ndjson
	# 1. an import blocked half-way (skills written, content waiting for a lock)
	{
		skills_ndjson 200 | sed 's/"skill /"new /'
		printf '{"type":"row","table":"content","data":{"id":"%s","source_id":"s","slug":"new"}}\n' "$(uuid 1)"
	} >in.ndjson
	lock_open exclusive content
	PGAPPNAME=sp-test-import sp-dbimport in.ndjson >import.out 2>&1 3>&- &
	imp=$!
	pg_wait_for "select count(*) = 1 from pg_stat_activity where datname = current_database() and application_name = 'sp-test-import' and wait_event_type = 'Lock'"
	sp-dbexport >during.ndjson
	cmp before.ndjson during.ndjson
	lock_close
	wait $imp
	sp-dbexport >after.ndjson
	[ "$(grep -c '"name":"new ' after.ndjson)" -eq 200 ]
	grep -q '"slug":"new"' after.ndjson
	# 2. an export blocked half-way (after agent_skills, before contexts) while
	# an import commits: what it writes after the commit is still the old state
	lock_open "access exclusive" contexts
	PGAPPNAME=sp-test-export sp-dbexport >during2.ndjson 2>&1 3>&- &
	exp=$!
	pg_wait_for "select count(*) = 1 from pg_stat_activity where datname = current_database() and application_name = 'sp-test-export' and wait_event_type = 'Lock'"
	sed 's/"new /"newer /; s/"slug":"new"/"slug":"newer"/' in.ndjson | sp-dbimport >/dev/null
	lock_close
	wait $exp
	cmp after.ndjson during2.ndjson
	[ "$(sp-dbexport | grep -c '"name":"newer ')" -eq 200 ]
}

@test "the DatabaseExport document: -D out, -D in, the same rows" {
	edge_rows
	sp-dbexport -D >doc.json
	run jq -r 'keys_unsorted | join(" ")' doc.json
	assert_output "agents users skills contexts content timestamp"
	[ "$(jq '.skills | length' doc.json)" -eq 2 ]
	jq -e '.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' doc.json
	# the document's rows are the records' data, byte for byte
	diff <(jq -c '.agents[], .users[], .skills[], .contexts[], .content[]' doc.json) <(sp-dbexport | jq -c .data)
	run sp-dbimport -D --schema copy doc.json
	assert_success
	[ "$(jq .details.created <<<"$output")" = 9 ]
	db_dump public | cut -f2 >a
	db_dump copy | cut -f2 >b
	cmp a b
	# an empty database is a complete document too
	db_reset copy
	run sp-dbexport -D --schema copy
	assert_success
	[ "$(jq -c 'del(.timestamp)' <<<"$output")" = '{"agents":[],"users":[],"skills":[],"contexts":[],"content":[]}' ]
}

@test "errors: no database 78, unreachable 69, no tables 78, stdout full 74" {
	SP_ENV_DIR=$BATS_TEST_TMPDIR/none DATABASE_URL= run sp-dbexport
	[ "$status" -eq 78 ]
	DATABASE_URL="host=$BATS_TEST_TMPDIR port=1 dbname=x" run sp-dbexport
	[ "$status" -eq 69 ]
	run sp-dbexport --schema nowhere
	[ "$status" -eq 78 ]
	skills_ndjson 3000 | sp-dbimport >/dev/null
	run bash -c 'sp-dbexport >/dev/full'
	[ "$status" -eq 74 ]
	run bash -c 'sp-dbexport -D >/dev/full'
	[ "$status" -eq 74 ]
	run sp-dbexport extra
	[ "$status" -eq 2 ]
}

@test "sp-dbexport --filter: rows as sp-diff --filter selects them, text passed through" {
	skills_ndjson 30 | sp-dbimport >/dev/null
	psqlq -c "insert into content (id, source_id, slug, body) values
		('$(uuid 7)', 'blog', 'hello', 'x'), ('$(uuid 8)', 'docs', 'start', 'y')"
	sp-dbexport >all.ndjson
	run sp-dbexport -f 's1*' -f 'blog/*'
	assert_success
	assert_equal "$(jq -r '.data.skill_id // (.data.source_id + "/" + .data.slug)' <<<"$output" | sort | paste -sd ' ')" \
		"blog/hello s1 s10 s11 s12 s13 s14 s15 s16 s17 s18 s19"
	# exactly the lines of the full export that sp-diff's filter keeps
	assert_equal "$(sort <<<"$output")" \
		"$(sp-diff -a -f 's1*' -f 'blog/*' all.ndjson all.ndjson 2>/dev/null | jq -c .record | sort)"
	grep -qxF "$(head -1 <<<"$output")" all.ndjson	# byte for byte as without the filter
	run sp-dbexport -D -f docs
	assert_equal "$(jq -c '[.content[].slug, (.skills | length)]' <<<"$output")" '["start",0]'
}
