#!/usr/bin/env bats
# The database through the cloud: sp-dbexport | sp-upload database, then
# sp-download database | sp-dbimport into a fresh, empty local database;
# every row identical (psql's sorted row_to_json dumps). Real sp-cloudd,
# real PostgreSQL (sp-env).

load helper
load db

setup_file() {
	sp_env_up
}

teardown_file() {
	sp_env_down
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	db_reset
	# the tenant's rows in the cloud too
	local sch
	for sch in $(cloud_schemas); do
		DATABASE_URL=$SP_CLOUD_DATABASE_URL db_reset "$sch"
	done
}

# cloud_schemas: the schemas of sp-cloudd's database that hold row tables.
cloud_schemas() {
	psql -X -At -d "$SP_CLOUD_DATABASE_URL" -c "select table_schema from information_schema.tables
		where table_name = 'agent_skills' and table_schema <> 'public'"
}

# fresh_db NAME: a new empty database with the schema; prints its conninfo.
fresh_db() {
	# (named after this process: files share the cluster)
	local db=$1_$$
	psqlq -c "drop database if exists $db" -c "create database $db"
	local url
	url=$(db_url "$db")
	DATABASE_URL=$url sp-dbimport --init
	echo "$url"
}

@test "local -> cloud -> a fresh empty local database: every row identical" {
	edge_rows
	skills_ndjson 2000 | sp-dbimport >/dev/null
	run sp-upload database < <(sp-dbexport)
	assert_success
	refute_secret "$output"
	[ "$(jq -r '.type + " " + .operation + " " + (.success|tostring)' <<<"$output")" = "result database_push true" ]
	[ "$(jq .details.created <<<"$output")" -eq 2009 ]
	fresh=$(fresh_db fresh1)
	run bash -c "sp-download database | DATABASE_URL='$fresh' sp-dbimport"
	assert_success
	refute_secret "$output"
	[ "$(jq .details.created <<<"$output")" -eq 2009 ]
	db_dump public | cut -f2 >local.dump
	DATABASE_URL=$fresh db_dump public | cut -f2 >fresh.dump
	[ "$(wc -l <local.dump)" -eq 2009 ]
	cmp local.dump fresh.dump
	# the cloud holds the same rows too (the tenant's schema of sp-cloudd)
	sch=$(cloud_schemas)
	[ "$(wc -w <<<"$sch")" -eq 1 ]
	DATABASE_URL=$SP_CLOUD_DATABASE_URL db_dump "$sch" | cut -f2 >cloud.dump
	cmp local.dump cloud.dump
}

@test "a second push of the same rows changes nothing in the cloud; a change is one update" {
	skills_ndjson 300 | sp-dbimport >/dev/null
	sp-dbexport | sp-upload database >/dev/null
	run sp-upload database < <(sp-dbexport)
	assert_success
	[ "$(jq -c '[.success,.details.created,.details.updated,.details.unchanged]' <<<"$output")" = "[true,0,0,300]" ]
	psqlq -c "update agent_skills set name = 'changed' where skill_id = 's7'"
	run sp-upload database < <(sp-dbexport)
	assert_success
	[ "$(jq -c '[.details.created,.details.updated,.details.unchanged]' <<<"$output")" = "[0,1,299]" ]
	run bash -c "sp-download database | sp-dbimport -n"
	assert_success
	[ "$(jq -c '[.details.created,.details.updated,.details.unchanged]' <<<"$output")" = "[0,0,300]" ]
	run bash -c "sp-download database | jq -r 'select(.data.skill_id == \"s7\") | .data.name'"
	assert_output changed
}

@test "a push the cloud refuses changes nothing there" {
	skills_ndjson 50 | sp-dbimport >/dev/null
	sp-dbexport | sp-upload database >/dev/null
	sp-download database >before.ndjson
	# a duplicate natural key among new rows: the cloud's one transaction fails whole
	{ skills_ndjson 50 | sed 's/"skill /"renamed /'; printf '{"type":"row","table":"agent_skills","data":{"id":"%s","skill_id":"s3","name":"dup"}}\n' "$(uuid 99999)"; } >bad.ndjson
	run sp-upload database bad.ndjson
	[ "$status" -ne 0 ]
	refute_secret "$output"
	sp-download database >after.ndjson
	cmp before.ndjson after.ndjson
}

@test "deletions: sp-upload --delete sends sp-diff's removed rows as delete:T members, applied in the upserts' transaction" {
	skills_ndjson 20 | sp-dbimport >/dev/null
	sp-dbexport | sp-upload database >/dev/null
	# locally: two rows gone, one changed
	psqlq -c "delete from agent_skills where skill_id in ('s3', 's4')" -c "update agent_skills set name = 'new' where skill_id = 's5'"
	sp-download -q database >remote.ndjson
	sp-dbexport >local.ndjson
	sp-diff -a local.ndjson remote.ndjson >diff.ndjson || [ $? -eq 1 ]
	# without --delete the removed rows stay, and that is said
	run --separate-stderr sp-upload database diff.ndjson
	assert_success
	assert_equal "$(jq -c '[.items_synced, .items_deleted, .details.rows_sent, .details.deletions_sent, .details.removals_kept]' <<<"$output")" '[1,0,1,0,2]'
	[[ "$stderr" == *"2 removed rows kept in the cloud; --delete deletes them"* ]] || fail "$stderr"
	[ "$(sp-download -q database | wc -l)" -eq 20 ]
	# with it, they go: the cloud mirrors the local rows (psql dumps of both)
	run sp-upload --delete database diff.ndjson
	assert_success
	assert_equal "$(jq -c '[.items_deleted, .details.deleted, .details.deletions_sent]' <<<"$output")" '[2,2,2]'
	sch=$(cloud_schemas | head -1)
	diff <(db_dump public | sort) <(DATABASE_URL=$SP_CLOUD_DATABASE_URL db_dump "$sch" | sort)
	# --delete is for database only
	run sp-upload --delete files x.tgz
	assert_failure 2
}

@test "deletions: a document whose rows the cloud refuses deletes nothing; bad deletions are 400s naming them (curl)" {
	skills_ndjson 5 | sp-dbimport >/dev/null
	sp-dbexport | sp-upload database >/dev/null
	sch=$(cloud_schemas | head -1)
	before=$(DATABASE_URL=$SP_CLOUD_DATABASE_URL db_dump "$sch" | sort)
	id1=$(psqlq -c "select id from agent_skills where skill_id = 's1'")
	# the token from a file to curl's -H @FILE, never in argv
	hdr=$BATS_TEST_TMPDIR/auth
	(umask 077 && printf 'Authorization: Bearer %s\n' "${SP_TOKEN:-$(cat "$SP_TOKEN_FILE")}" >"$hdr")
	url=$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT/database/import
	post() { curl -s -o answer -w '%{http_code}' -H "@$hdr" -H 'Content-Type: application/json' --data-binary "$1" "$url"; }
	# a deletion next to a row that breaks a constraint: one transaction, undone whole
	code=$(post '{"skills":[{"id":"'"$(uuid 777)"'","skill_id":"s2","name":"dup"}],"delete:skills":[{"id":"'"$id1"'"}]}')
	[ "$code" = 400 ] || fail "$code $(cat answer)"
	assert_equal "$(DATABASE_URL=$SP_CLOUD_DATABASE_URL db_dump "$sch" | sort)" "$before"
	# a deletion must be {"id": UUID} of a known table
	code=$(post '{"delete:skills":[{"id":"'"$id1"'","name":"x"}]}')
	[ "$code" = 400 ] && grep -q 'delete:skills\[0\]: a deletion is {\\"id\\": STRING}' answer || fail "$code $(cat answer)"
	code=$(post '{"delete:nope":[{"id":"'"$id1"'"}]}')
	[ "$code" = 400 ] && grep -q 'deletions of an unknown table' answer || fail "$code $(cat answer)"
	code=$(post '{"delete:skills":[{"id":"not-a-uuid"}]}')
	[ "$code" = 400 ] && grep -q 'is not a UUID' answer || fail "$code $(cat answer)"
	assert_equal "$(DATABASE_URL=$SP_CLOUD_DATABASE_URL db_dump "$sch" | sort)" "$before"
	# and a good one deletes exactly that row
	code=$(post '{"delete:skills":[{"id":"'"$id1"'"}]}')
	[ "$code" = 200 ] && [ "$(jq -c '[.deleted, .unchanged]' answer)" = '[1,0]' ] || fail "$code $(cat answer)"
	[ "$(DATABASE_URL=$SP_CLOUD_DATABASE_URL db_dump "$sch" | wc -l)" -eq 4 ]
	# a reader that cannot apply deletions refuses them, never drops them
	printf '{"delete:skills":[{"id":"%s"}],"timestamp":"2026-01-01T00:00:00Z"}' "$id1" >doc.json
	run --separate-stderr sp-dbimport --document doc.json
	assert_failure 65
	[[ "$stderr" == *'"delete:skills": the document deletes rows, which is not taken here'* ]] || fail "$stderr"
	run sp-dbimport --document --delete doc.json
	assert_success
	[ "$(psqlq -c "select count(*) from agent_skills where id = '$id1'")" -eq 0 ]
}
