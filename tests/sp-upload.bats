#!/usr/bin/env bats
# sp-upload: command line, configuration, inputs and result records (against
# tests/lib/faultd; the round trips through a real sp-cloudd are in
# transfer-roundtrip.bats).

load helper
load lib/transfer

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	head -c 200000 /dev/urandom | gzip -1 >a.tgz
}

@test "usage: a kind is required, unknown kinds and wrong arguments exit 2" {
	xrun sp-upload
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"what to upload"*usage:* ]]
	xrun sp-upload tarball
	[ "$status" -eq 2 ]
	xrun sp-upload files a b
	[ "$status" -eq 2 ]
	xrun sp-upload deploy app
	[ "$status" -eq 2 ]
	xrun sp-upload deploy app 'bad tag'
	[ "$status" -eq 2 ]
	xrun sp-upload deploy -- -app v1
	[ "$status" -eq 2 ]
}

@test "the token is never accepted on the command line, and never echoed" {
	xrun sp-upload --token=S3CR3T-VALUE files a.tgz
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"invalid option or missing argument: --token"* ]]
	[[ "$stderr" != *S3CR3T-VALUE* ]]
}

@test "missing configuration: 78 naming everything that is missing" {
	xrun sp-upload files a.tgz
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"missing configuration: SP_API_URL (or --url), SP_TENANT (or --tenant), SP_TOKEN or SP_TOKEN_FILE"* ]]
	SP_API_URL=http://127.0.0.1:9 SP_TOKEN=x xrun sp-upload files a.tgz
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"missing configuration: SP_TENANT (or --tenant)" ]]
	SP_API_URL=http://127.0.0.1:9 SP_TENANT=t1 xrun sp-upload files a.tgz
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"missing configuration: SP_TOKEN or SP_TOKEN_FILE" ]]
	SP_TENANT=t1 SP_TOKEN=x xrun sp-upload files a.tgz
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"missing configuration: SP_API_URL (or --url)" ]]
}

@test "bad configuration: 78, and the token is not in the message" {
	export SP_API_URL=http://127.0.0.1:9 SP_TENANT=t1
	SP_TOKEN_FILE=nonexistent xrun sp-upload files a.tgz
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"cannot read SP_TOKEN_FILE nonexistent"* ]]
	: >empty
	SP_TOKEN_FILE=empty xrun sp-upload files a.tgz
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"SP_TOKEN_FILE empty is empty"* ]]
	SP_TOKEN=$'abc\nInjected: header' xrun sp-upload files a.tgz
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"not allowed in a header"* ]]
	[[ "$stderr" != *Injected* ]]
	SP_TOKEN=x SP_TENANT=../other xrun sp-upload files a.tgz
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"invalid tenant id"* ]]
	SP_TOKEN=x SP_API_URL=ftp://127.0.0.1 xrun sp-upload files a.tgz
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"SP_API_URL: the API URL must start with http:// or https://"* ]]
	SP_TOKEN=x xrun sp-upload --url 'http://127.0.0.1:9/?x=1' files a.tgz
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"--url"*"query"* ]]
}

@test "SP_TOKEN, SP_TOKEN_FILE (trailing newline ignored), --url and --tenant" {
	fault_up ok
	xrun sp-upload files a.tgz
	assert_success
	[ "$(logf 1 auth)" = ok ]
	[ "$(logf 1 path)" = /api/v1/cloud/tenants/t1/files ]
	tok=$(cat "$SP_TOKEN_FILE")
	mkdir t2 && echo "$tok" >t2/token
	chmod 600 t2/token
	SP_TOKEN_FILE=$PWD/t2/token xrun sp-upload files a.tgz
	assert_success
	[ "$(logf 2 auth)" = ok ]
	SP_TOKEN=$tok SP_TOKEN_FILE=/nonexistent xrun sp-upload files a.tgz
	assert_success
	[ "$(logf 3 auth)" = ok ]
	url=$SP_API_URL
	SP_API_URL=http://127.0.0.1:9 xrun sp-upload --url "$url/" --tenant other_2 files a.tgz
	assert_success
	[ "$(logf 4 path)" = /api/v1/cloud/tenants/other_2/files ]
}

@test "files ARCHIVE: the exact bytes, one result record with the server's answer" {
	fault_up ok
	xrun sp-upload files a.tgz
	assert_success
	[ "$(logf 1 sha256)" = "$(sha a.tgz)" ]
	[ "$(logf 1 chunked)" = false ]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	r=$output
	[ "$(jq -r .type <<<"$r")" = result ]
	[ "$(jq -r .operation <<<"$r")" = files_push ]
	[ "$(jq -r .success <<<"$r")" = true ]
	[ "$(jq -r .items_synced <<<"$r")" = 3 ]
	[ "$(jq -r .details.received <<<"$r")" = "$(stat -c %s a.tgz)" ]
	[ "$(jq -r .details.archive_sha256 <<<"$r")" = "$(sha a.tgz)" ]
	[ "$(jq -r .details.attempts <<<"$r")" = 1 ]
}

@test "files: the archive record on stdin names the file to send" {
	fault_up ok
	printf '{"type":"archive","path":"%s","size":%d,"sha256":"%s","files":7,"x":1}\n' \
		a.tgz "$(stat -c %s a.tgz)" "$(sha a.tgz)" >rec
	xrun sp-upload files <rec
	assert_success
	[ "$(logf 1 sha256)" = "$(sha a.tgz)" ]
	[ "$(jq -r .details.archive_sha256 <<<"$output")" = "$(sha a.tgz)" ]
}

@test "files: the archive itself on stdin is streamed" {
	fault_up ok
	xrun sh -c 'cat a.tgz | sp-upload files -'
	assert_success
	[ "$(logf 1 chunked)" = true ]
	[ "$(logf 1 sha256)" = "$(sha a.tgz)" ]
}

@test "files: an archive that changed since its record: 65" {
	fault_up ok
	printf '{"type":"archive","path":"a.tgz","size":5,"sha256":"%s"}\n' "$(sha a.tgz)" >rec
	xrun sp-upload files <rec
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"size differs from its archive record"* ]]
	[ "$(attempts)" -eq 0 ]
	printf '{"type":"archive","path":"a.tgz","size":%d,"sha256":"%064d"}\n' "$(stat -c %s a.tgz)" 0 >rec
	xrun sp-upload files <rec
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"differ from the archive record's sha256"* ]]
	[ "$(jq -r .success <<<"$output")" = false ]
}

@test "files: bad stdin is refused with 65 or 66, naming the line" {
	fault_up ok
	xrun sp-upload files </dev/null
	[ "$status" -eq 66 ]
	xrun sp-upload files <<<'not json'
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"<stdin>:1:"* ]]
	printf '{"type":"archive","path":"a.tgz"}\n{"type":"archive","path":"a.tgz"}\n' >two
	xrun sp-upload files <two
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"<stdin>:2: more than one archive record"* ]]
	printf '{"type":"file","path":"a.tgz"}\n' >file
	xrun sp-upload files <file
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"<stdin>:1: expected an archive record"* ]]
	printf '{"type":"archive","path":"missing.tgz"}\n' >gone
	xrun sp-upload files <gone
	[ "$status" -eq 66 ]
	xrun sp-upload files missing.tgz
	[ "$status" -eq 66 ]
	[ "$(attempts)" -eq 0 ]
}

@test "deploy IMAGE TAG posts {image, tag}; the result carries the answer" {
	fault_up ok
	xrun sp-upload deploy registry.example.com/app v1.2
	assert_success
	result=$output
	[ "$(logf 1 path)" = /api/v1/cloud/tenants/t1/deploy ]
	run jq -c '[.image, .tag, (.request_id | test("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))]' "$FAULT_DIR/body"
	assert_output '["registry.example.com/app:v1.2","v1.2",true]'
	[ "$(jq -r .operation <<<"$result")" = deploy ]
	[ "$(jq -r .details.deployment_id <<<"$result")" = 1 ]
}

@test "deploy: a failed deployment is exit 70; an answer that is not JSON is 69" {
	fault_up failed,garbage
	xrun sp-upload deploy app v1
	[ "$status" -eq 70 ]
	[ "$(jq -r .success <<<"$output")" = false ]
	[[ "$stderr" == *"deploy of app:v1 failed"* ]]
	xrun sp-upload deploy app v1
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"not a JSON object"* ]]
}

rows() {
	cat <<'R'
{"type":"row","table":"agents","data":{"id":"11111111-1111-4111-8111-111111111111","name":"a1","metadata":{"k":[1,"two"]}}}
{"type":"row","table":"agents","data":{"id":"21111111-1111-4111-8111-111111111111","name":"a2 \u00e9","metadata":null}}
{"type":"row","table":"agent_skills","data":{"id":"31111111-1111-4111-8111-111111111111","skill_id":"s1","tags":["x"]}}
{"type":"row","table":"content","data":{"id":"41111111-1111-4111-8111-111111111111","slug":"p","body":"line1\nline2"}}
R
}

@test "database: row records become one DatabaseExport document" {
	fault_up ok
	rows >rows.ndjson
	xrun sp-upload database rows.ndjson
	assert_success
	[ "$(logf 1 path)" = /api/v1/cloud/tenants/t1/database/import ]
	doc=$FAULT_DIR/body
	[ "$(jq -c 'keys' "$doc")" = '["agents","content","contexts","skills","timestamp","users"]' ]
	[ "$(jq -c '.agents' "$doc")" = "$(jq -sc '[.[] | select(.table=="agents") | .data]' rows.ndjson)" ]
	[ "$(jq -r '.skills[0].skill_id' "$doc")" = s1 ]
	[ "$(jq -r '.content[0].body' "$doc")" = $'line1\nline2' ]
	[ "$(jq -c '.users' "$doc")" = '[]' ]
	[[ "$(jq -r .timestamp "$doc")" =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T.*Z$ ]]
	r=$output
	[ "$(jq -r .operation <<<"$r")" = database_push ]
	[ "$(jq -r .items_synced <<<"$r")" = 3 ]	# faultd: created 2, updated 1
	[ "$(jq -r .items_skipped <<<"$r")" = 4 ]	# unchanged 4
	[ "$(jq -r .details.rows_sent <<<"$r")" = 4 ]
}

@test "database: stdin, and a retry sends the same document again" {
	fault_up resetmid,ok
	rows >rows.ndjson
	seq 1 3000 | awk '{ printf "{\"type\":\"row\",\"table\":\"users\",\"data\":{\"id\":\"%08d-1111-4111-8111-111111111111\",\"name\":\"u%d\",\"email\":\"u%d@x\"}}\n", $1, $1, $1 }' >>rows.ndjson
	xrun sp-upload --retry-delay 0.01 database <rows.ndjson
	assert_success
	[ "$(attempts)" -eq 2 ]
	[ "$(logf 1 len)" -lt "$(logf 2 len)" ]
	[ "$(logf 2 sha256)" = "$(sha "$FAULT_DIR/body")" ]
	[ "$(jq '.users | length' "$FAULT_DIR/body")" -eq 3000 ]
}

@test "database: bad input is refused before anything is sent" {
	fault_up ok
	{ rows; echo '{"type":"file","path":"x"}'; } >bad1
	xrun sp-upload database bad1
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"bad1:5: expected a row or diff record"* ]]
	{ rows; echo '{"type":"row","table":"agents","data":{"id":"51111111-1111-4111-8111-111111111111"}}'; } >bad2
	xrun sp-upload database bad2
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"bad2:5:"* ]]
	echo '{"type":"row","table":"nosuch","data":{}}' >bad3
	xrun sp-upload database bad3
	[ "$status" -eq 65 ]
	xrun sp-upload database missing.ndjson
	[ "$status" -eq 66 ]
	[ "$(attempts)" -eq 0 ]
}
