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
