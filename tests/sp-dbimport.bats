#!/usr/bin/env bats
# sp-dbimport: validation first, one transaction, exact counts, --delete,
# dry run, failures that change nothing; against a real PostgreSQL.

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
}

A1=00000000-0000-4000-8000-000000000001
A2=00000000-0000-4000-8000-000000000002

agent() { # ID NAME [DESCRIPTION]
	printf '{"type":"row","table":"agents","data":{"id":"%s","name":"%s","description":"%s"}}\n' "$1" "$2" "${3:-d}"
}

@test "--init is idempotent, serves any schema, and sets the natural-key constraints" {
	run sp-dbimport --init
	assert_success
	assert_output ""
	run sp-dbimport --init --schema tenant_local
	assert_success
	run sp-dbimport --init --schema tenant_local
	assert_success
	run psqlq -c "select string_agg(table_name, ',' order by table_name) from information_schema.tables where table_schema = 'tenant_local'"
	assert_output "agent_skills,agents,content,contexts,users"
	# unique natural keys, by the columns of each unique index
	run bash -c "psql -X -At -d \"\$DATABASE_URL\" -c \"select c.relname || '(' || (select string_agg(a.attname, ',' order by a.attnum)
		from pg_attribute a where a.attrelid = i.indrelid and a.attnum = any(i.indkey)) || ')'
		from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
		where n.nspname = 'tenant_local' and i.indisunique and not i.indisprimary\" | LC_ALL=C sort | paste -sd ' '"
	assert_output "agent_skills(skill_id) agents(name) content(source_id,slug) users(email) users(name)"
	# two concurrent inits of a new schema both succeed
	sp-dbimport --init --schema t2 & p1=$!
	sp-dbimport --init --schema t2 & p2=$!
	wait $p1
	wait $p2
}

@test "counts are exact: created, updated, unchanged; equal rows are not rewritten" {
	{ agent $A1 a1; agent $A2 a2; } >in.ndjson
	run sp-dbimport in.ndjson
	assert_success
	[ "$(jq -c '[.items_synced,.items_skipped,.details.created,.details.updated,.details.unchanged]' <<<"$output")" = "[2,0,2,0,0]" ]
	[ "$(jq -r '.type + " " + .operation + " " + (.success|tostring)' <<<"$output")" = "result database_pull true" ]
	xmin=$(psqlq -c "select xmin from agents where id = '$A1'")
	{ agent $A1 a1; agent $A2 a2 changed; } >in.ndjson
	run sp-dbimport --operation skills_to_database in.ndjson
	assert_success
	[ "$(jq -c '[.operation,.details.created,.details.updated,.details.unchanged,.details.tables.agents.updated]' <<<"$output")" = '["skills_to_database",0,1,1,1]' ]
	# the unchanged row was not rewritten
	[ "$(psqlq -c "select xmin from agents where id = '$A1'")" = "$xmin" ]
	[ "$(psqlq -c "select description from agents where id = '$A2'")" = changed ]
}

@test "absent columns keep their value on update and get their default on insert" {
	printf '%s\n' "{\"type\":\"row\",\"table\":\"users\",\"data\":{\"id\":\"$A1\",\"name\":\"u\",\"email\":\"u@x\",\"status\":\"away\",\"roles\":[\"admin\"]}}" | sp-dbimport >/dev/null
	# only full_name given: everything else stays, even NOT NULL columns
	printf '%s\n' "{\"type\":\"row\",\"table\":\"users\",\"data\":{\"id\":\"$A1\",\"full_name\":\"U U\"}}" >in.ndjson
	printf '%s\n' "{\"type\":\"row\",\"table\":\"users\",\"data\":{\"id\":\"$A2\",\"name\":\"v\"}}" >>in.ndjson
	run sp-dbimport in.ndjson
	assert_success
	[ "$(jq -c '[.details.created,.details.updated]' <<<"$output")" = "[1,1]" ]
	run psqlq -c "select name, email, status, roles, full_name, email_verified from users order by id"
	assert_output "u|u@x|away|{admin}|U U|f
v||active|{}||f"
	# a new row without a NOT NULL column that has no default is refused whole
	printf '%s\n' "{\"type\":\"row\",\"table\":\"users\",\"data\":{\"id\":\"$(uuid 9)\",\"full_name\":\"nameless\"}}" >bad.ndjson
	run sp-dbimport bad.ndjson
	[ "$status" -eq 65 ]
	assert_output --partial 'null value in column "name"'
}

@test "bad records: exit 65 naming the line, before the database is touched" {
	agent $A1 a1 >good.ndjson
	while IFS='|' read -r why rec; do
		{ agent $A2 a2; echo "$rec"; agent "$(uuid 7)" a7; } >in.ndjson
		# an unreachable database proves the records are checked first
		DATABASE_URL='host=/nonexistent port=1 dbname=x' run sp-dbimport in.ndjson
		[ "$status" -eq 65 ] || fail "$why: status $status: $output"
		[[ "$output" == "sp-dbimport: in.ndjson:2: "*"$why"* ]] || fail "$why: $output"
	done <<EOF2
is not a UUID|{"type":"row","table":"agents","data":{"id":"not-a-uuid","name":"x"}}
"id" is missing|{"type":"row","table":"agents","data":{"name":"x"}}
unknown table "nope"|{"type":"row","table":"nope","data":{"id":"$A1"}}
unknown column "colour"|{"type":"row","table":"agents","data":{"id":"$A1","name":"x","colour":"red"}}
agent_skills.tags: expected an array of strings|{"type":"row","table":"agent_skills","data":{"id":"$A1","skill_id":"s","name":"n","tags":"x"}}
agent_skills.enabled: expected true or false|{"type":"row","table":"agent_skills","data":{"id":"$A1","skill_id":"s","name":"n","enabled":"yes"}}
agents.created_at: date-time without a time zone|{"type":"row","table":"agents","data":{"id":"$A1","name":"x","created_at":"2026-01-01T00:00:00"}}
agents.created_at: no such day|{"type":"row","table":"agents","data":{"id":"$A1","name":"x","created_at":"2026-02-30T00:00:00Z"}}
agents.name: must not be null|{"type":"row","table":"agents","data":{"id":"$A1","name":null}}
agents.name: expected a string|{"type":"row","table":"agents","data":{"id":"$A1","name":42}}
agent_skills.agent_id: expected a UUID|{"type":"row","table":"agent_skills","data":{"id":"$A1","skill_id":"s","name":"n","agent_id":"x"}}
malformed JSON|{"type":"row",
expected a row or diff record|{"type":"file","path":"a"}
EOF2
	# far into a long input, with blank lines and CRLF endings on the way
	{ skills_ndjson 3000; echo; skills_ndjson 6000 x | sed -n '3001,6000p' | sed 's/$/\r/'; } >long.ndjson
	sed -i '4322s/"name":"skill [0-9]*"/"name":7/' long.ndjson
	run sp-dbimport long.ndjson
	[ "$status" -eq 65 ]
	assert_output "sp-dbimport: long.ndjson:4322: agent_skills.name: expected a string"
	run psqlq -c "select count(*) from agents"
	assert_output 0
	run psqlq -c "select count(*) from agent_skills"
	assert_output 0
	sed -i '4322d' long.ndjson
	run sp-dbimport long.ndjson
	assert_success
	[ "$(jq .details.created <<<"$output")" -eq 5999 ]
}

@test "a constraint violation in the middle of the stream rolls back everything" {
	skills_ndjson 2000 >first.ndjson
	sp-dbimport first.ndjson >/dev/null
	db_dump >before
	# 1000 changed rows, then at line 500 a new id reusing an existing skill_id
	skills_ndjson 1000 | sed 's/"skill /"renamed /' >in.ndjson
	sed -i "500s/.*/{\"type\":\"row\",\"table\":\"agent_skills\",\"data\":{\"id\":\"$(uuid 99999)\",\"skill_id\":\"s1500\",\"name\":\"dup\"}}/" in.ndjson
	agent $A1 new-agent >>in.ndjson
	run sp-dbimport in.ndjson
	[ "$status" -eq 65 ]
	assert_output --partial 'agent_skills: duplicate key value violates unique constraint "agent_skills_skill_id_key"'
	assert_output --partial "nothing was changed"
	db_dump >after
	cmp before after
}

@test "the same id twice in one table is refused; a foreign key to nowhere too" {
	{ agent $A1 a1; agent $A1 a1b; } >in.ndjson
	run sp-dbimport in.ndjson
	[ "$status" -eq 65 ]
	assert_output --partial "agents: the same id appears more than once"
	# different column sets: still caught
	{ agent $A1 a1; echo "{\"type\":\"row\",\"table\":\"agents\",\"data\":{\"id\":\"$A1\",\"name\":\"x\"}}"; } >in.ndjson
	run sp-dbimport in.ndjson
	[ "$status" -eq 65 ]
	assert_output --partial "appears more than once"
	echo "{\"type\":\"row\",\"table\":\"agent_skills\",\"data\":{\"id\":\"$A2\",\"skill_id\":\"s\",\"name\":\"n\",\"agent_id\":\"$A1\"}}" >in.ndjson
	run sp-dbimport in.ndjson
	[ "$status" -eq 65 ]
	assert_output --partial "foreign key"
	run psqlq -c "select count(*) from agents"
	assert_output 0
}

@test "concurrent imports into the same table both succeed, one after the other" {
	skills_ndjson 1000 >a.ndjson
	skills_ndjson 1500 | sed -n '501,1500p' | sed 's/"skill /"B /' >b.ndjson
	sp-dbimport a.ndjson >a.out 3>&- &
	pa=$!
	sp-dbimport b.ndjson >b.out 3>&- &
	pb=$!
	wait $pa
	wait $pb
	# rows 501-1000 come from whichever import committed last
	run psqlq -c "select count(*), count(*) filter (where name like 'B %') from agent_skills"
	[ "$output" = "1500|1000" ] || [ "$output" = "1500|500" ] || fail "$output"
	[ $(( $(jq .details.created a.out) + $(jq .details.created b.out) )) -eq 1500 ]
	[ $(( $(jq .details.updated a.out) + $(jq .details.updated b.out) )) -eq 500 ]
}

@test "tables load in foreign-key order whatever the input order" {
	{
		echo "{\"type\":\"row\",\"table\":\"contexts\",\"data\":{\"id\":\"$A2\",\"user_id\":\"$A1\",\"name\":\"c\"}}"
		echo "{\"type\":\"row\",\"table\":\"agent_skills\",\"data\":{\"id\":\"$A2\",\"skill_id\":\"s\",\"name\":\"n\",\"agent_id\":\"$A1\"}}"
		agent $A1 a1
		echo "{\"type\":\"row\",\"table\":\"users\",\"data\":{\"id\":\"$A1\",\"name\":\"u\"}}"
	} >in.ndjson
	run sp-dbimport in.ndjson
	assert_success
	[ "$(jq .details.created <<<"$output")" = 4 ]
}

@test "dry run changes nothing and its counts equal those of the real run" {
	skills_ndjson 300 >first.ndjson
	sp-dbimport first.ndjson >/dev/null
	db_dump >before
	# 100 unchanged, 100 modified, 100 new, 50 removed (diff records), 50 removals skipped
	{
		skills_ndjson 100
		skills_ndjson 200 | sed -n '101,200p' | sed 's/"skill /"changed /'
		skills_ndjson 400 | sed -n '301,400p'
		skills_ndjson 350 | sed -n '201,250p' | jq -c '{type:"diff",status:"removed",key:.data.skill_id,record:.}'
		skills_ndjson 300 | sed -n '251,300p' | jq -c '{type:"diff",status:"unchanged",key:.data.skill_id,record:.}'
	} >in.ndjson
	run sp-dbimport -n --delete in.ndjson
	assert_success
	dry=$(jq -c '.details|del(.dry_run)' <<<"$output")
	[ "$(jq .details.dry_run <<<"$output")" = true ]
	[ "$dry" = '{"created":100,"updated":100,"unchanged":100,"deleted":50,"tables":{"agent_skills":{"created":100,"updated":100,"unchanged":100,"deleted":50}}}' ] || fail "$dry"
	db_dump >after
	cmp before after
	run sp-dbimport --delete in.ndjson
	assert_success
	[ "$(jq -c '.details|del(.dry_run)' <<<"$output")" = "$dry" ]
	[ "$(jq -c '[.items_synced,.items_skipped,.items_deleted]' <<<"$output")" = "[200,100,50]" ]
	run psqlq -c "select count(*), count(*) filter (where name like 'changed %') from agent_skills"
	assert_output "350|100"
}

@test "removals without --delete are left in place and reported" {
	skills_ndjson 3 >first.ndjson
	sp-dbimport first.ndjson >/dev/null
	skills_ndjson 3 | jq -c '{type:"diff",status:"removed",record:.}' >in.ndjson
	run --separate-stderr sp-dbimport in.ndjson
	assert_success
	[ "$(jq -c '[.items_deleted,.items_skipped,.details.removals_skipped]' <<<"$output")" = "[0,3,3]" ]
	[[ "$stderr" == *"3 removed rows left in place (use --delete"* ]]
	run psqlq -c "select count(*) from agent_skills"
	assert_output 3
	# deleting a parent that is still referenced fails whole
	echo "{\"type\":\"row\",\"table\":\"agents\",\"data\":{\"id\":\"$A1\",\"name\":\"a\"}}" | sp-dbimport >/dev/null
	echo "{\"type\":\"row\",\"table\":\"agent_skills\",\"data\":{\"id\":\"$A2\",\"skill_id\":\"x\",\"name\":\"n\",\"agent_id\":\"$A1\"}}" | sp-dbimport >/dev/null
	echo "{\"type\":\"diff\",\"status\":\"removed\",\"record\":{\"type\":\"row\",\"table\":\"agents\",\"data\":{\"id\":\"$A1\"}}}" >del.ndjson
	skills_ndjson 1 | jq -c '.data.name = "renamed"' >>del.ndjson
	run sp-dbimport --delete del.ndjson
	[ "$status" -eq 65 ]
	assert_output --partial "foreign key"
	run psqlq -c "select count(*) from agents"
	assert_output 1
	run psqlq -c "select count(*) from agent_skills where name = 'renamed'"
	assert_output 0
}

@test "kill -9 during an import changes no row" {
	skills_ndjson 500 >first.ndjson
	sp-dbimport first.ndjson >/dev/null
	db_dump >before
	{
		agent $A1 new
		skills_ndjson 1000 | sed 's/"skill /"killed /'
		echo "{\"type\":\"row\",\"table\":\"content\",\"data\":{\"id\":\"$A1\",\"source_id\":\"b\",\"slug\":\"x\"}}"
	} >in.ndjson
	# hold content so that the import stops half-way, agents and skills written
	lock_open exclusive content
	PGAPPNAME=sp-test-victim sp-dbimport in.ndjson >/dev/null 2>&1 3>&- &
	victim=$!
	pg_wait_for "select count(*) = 1 from pg_stat_activity where datname = current_database() and application_name = 'sp-test-victim' and wait_event_type = 'Lock'"
	kill -9 $victim
	wait $victim || true
	lock_close
	pg_wait_for "select count(*) = 0 from pg_stat_activity where datname = current_database() and application_name = 'sp-test-victim'"
	db_dump >after
	cmp before after
}

@test "a DatabaseExport document imports with -D; a bad one changes nothing" {
	cat >doc.json <<EOF2
{"agents":[{"id":"$A1","name":"a1"}],"users":[],"skills":[{"id":"$A2","skill_id":"s","name":"n","agent_id":"$A1"}],
 "contexts":[],"content":[],"timestamp":"2026-11-23T18:22:00Z","future":{"x":[1,2]}}
EOF2
	run sp-dbimport -D doc.json
	assert_success
	[ "$(jq -c '.details.tables|map_values(.created)' <<<"$output")" = '{"agents":1,"agent_skills":1}' ]
	printf '{"agents":[{"id":"%s","name":"a1"},{"id":"bad"}],"timestamp":"x"}' "$(uuid 5)" >bad.json
	run sp-dbimport -D bad.json
	[ "$status" -eq 65 ]
	assert_output --partial 'bad.json: agents[1]: agents: "id" is not a UUID'
	printf '{"agents":[{"id":"%s","name":"zz"}' "$(uuid 5)" >cut.json
	run sp-dbimport -D cut.json
	[ "$status" -eq 65 ]
	assert_output --partial "ends too early"
	printf '{"widgets":[{"id":"%s"}],"agents":[]}' "$(uuid 5)" >unknown.json
	run sp-dbimport -D unknown.json
	[ "$status" -eq 65 ]
	assert_output --partial 'unknown table "widgets"'
	printf '{"note": nonsense, "agents":[{"id":"%s","name":"zz"}]}' "$(uuid 5)" >badmember.json
	run sp-dbimport -D badmember.json
	[ "$status" -eq 65 ]
	assert_output --partial "malformed JSON"
	printf '{"agents":[1]}' >notobj.json
	run sp-dbimport -D notobj.json
	[ "$status" -eq 65 ]
	assert_output --partial "agents[0]: a row must be a JSON object"
	run psqlq -c "select count(*) from agents"
	assert_output 1
}

@test "configuration and connection errors: 78, 69, 66; the schema missing: 78" {
	agent $A1 a >in.ndjson
	SP_ENV_DIR=$BATS_TEST_TMPDIR/none DATABASE_URL= run sp-dbimport in.ndjson
	[ "$status" -eq 78 ]
	assert_output --partial "DATABASE_URL is not set"
	DATABASE_URL="host=$BATS_TEST_TMPDIR port=1 dbname=x" run sp-dbimport in.ndjson
	[ "$status" -eq 69 ]
	run sp-dbimport missing.ndjson
	[ "$status" -eq 66 ]
	run sp-dbimport --schema no_such_schema in.ndjson
	[ "$status" -eq 78 ]
	assert_output --partial "sp-dbimport --init"
	# without DATABASE_URL the embedded environment of sp-env is used
	DATABASE_URL= SP_ENV_DIR=$BATS_FILE_TMPDIR/env run sp-dbimport in.ndjson
	assert_success
	run sp-dbimport --init extra
	[ "$status" -eq 2 ]
}

@test "write error on stdout: exit 74" {
	agent $A1 a >in.ndjson
	run bash -c 'sp-dbimport in.ndjson >/dev/full'
	[ "$status" -eq 74 ]
}
