#!/usr/bin/env bats
# sp-download: command line, outputs, conditional pulls and the manifest
# (against tests/lib/faultd; the round trips through a real sp-cloudd are in
# transfer-roundtrip.bats).

load helper
load lib/transfer

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	head -c 300000 /dev/urandom | gzip -1 >a.tgz
	printf '%s\n' '{"version":1,"files":[{"path":"a.txt","size":1,"mode":"0644","sha256":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"},{"path":"l","mode":"0777","size":0,"link":"a.txt","sha256":"0ac561fac838104e3f2e4ad107b4bee3e938bf15f2b15f009ccccd61a913f017","extra":{"k":1}},{"path":"bad\ufffdname","path_b64":"YmFk/25hbWU=","size":0,"mode":"0644","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}],"timestamp":"2026-11-23T18:22:00Z"}' >m.json
}

@test "usage errors exit 2" {
	xrun sp-download
	[ "$status" -eq 2 ]
	xrun sp-download tarball
	[ "$status" -eq 2 ]
	xrun sp-download manifest -o x
	[ "$status" -eq 2 ]
	xrun sp-download files --missing-ok
	[ "$status" -eq 2 ]
	xrun sp-download files --if-none-match abc
	[ "$status" -eq 2 ]
	xrun sp-download files extra
	[ "$status" -eq 2 ]
}

@test "files: the archive to stdout, byte for byte, and nothing else" {
	fault_up ok --serve /files=a.tgz
	run sh -c 'sp-download files >out.tgz'
	assert_success
	cmp out.tgz a.tgz
	[ "$(logf 1 path)" = /api/v1/cloud/tenants/t1/files ]
}

@test "files: refuses to write an archive to a terminal" {
	command -v script >/dev/null || skip "script(1) not installed"
	fault_up ok --serve /files=a.tgz
	run script -qec "sp-download files" /dev/null
	[[ "$output" == *"refusing to write an archive to a terminal"* ]]
	[ "$(attempts)" -eq 0 ]
}

@test "files -o FILE: written atomically, a result record on stdout" {
	fault_up ok --serve /files=a.tgz
	echo old >out.tgz
	xrun sp-download files -o out.tgz
	assert_success
	cmp out.tgz a.tgz
	r=$output
	[ "$(jq -r .operation <<<"$r")" = files_pull ]
	[ "$(jq -r .details.unchanged <<<"$r")" = false ]
	[ "$(jq -r .details.size <<<"$r")" = "$(stat -c %s a.tgz)" ]
	[ "$(jq -r .details.sha256 <<<"$r")" = "$(sha a.tgz)" ]
	[ "$(jq -r .details.manifest_sha256 <<<"$r")" = "$(sha a.tgz)" ]	# faultd's ETag
	[ "$(jq -r .details.path <<<"$r")" = out.tgz ]
}

@test "files -o FILE: a failed download leaves FILE as it was and no temporary file" {
	fault_up resetmid --serve /files=a.tgz
	echo old >out.tgz
	xrun sp-download --retry-delay 0.01 --attempts 2 files -o out.tgz
	[ "$status" -eq 75 ]
	[ "$(cat out.tgz)" = old ]
	[ "$(ls)" = "$(ls | grep -v sp-tmp)" ]
}

@test "--if-none-match: 304 writes nothing and says unchanged" {
	fault_up ok --serve /files=a.tgz
	echo old >out.tgz
	xrun sp-download files -o out.tgz --if-none-match "$(sha a.tgz)"
	assert_success
	[ "$(cat out.tgz)" = old ]
	[ "$(logf 1 if_none_match)" = "\"$(sha a.tgz)\"" ]
	[ "$(jq -r .details.unchanged <<<"$output")" = true ]
	[ "$(jq -r .details.status <<<"$output")" = 304 ]
	[ "$(jq -r .success <<<"$output")" = true ]
	# to stdout: only the result record
	xrun sp-download files --if-none-match "$(sha a.tgz)"
	assert_success
	[ "$(jq -r .details.unchanged <<<"$output")" = true ]
	# another sum: the archive comes
	xrun sp-download files -o out.tgz --if-none-match "$(printf '%064d' 0)"
	assert_success
	cmp out.tgz a.tgz
}

@test "manifest: one file record per entry, every field kept" {
	fault_up ok --serve /files/manifest=m.json
	xrun sp-download manifest
	assert_success
	[ "$(wc -l <<<"$output")" -eq 3 ]
	[ "$(jq -sc 'map(.type) | unique' <<<"$output")" = '["file"]' ]
	[ "$(head -1 <<<"$output")" = '{"type":"file","path":"a.txt","size":1,"mode":"0644","sha256":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"}' ]
	[ "$(sed -n 2p <<<"$output" | jq -c .extra)" = '{"k":1}' ]
	[ "$(sed -n 2p <<<"$output" | jq -r .link)" = a.txt ]
	[ "$(sed -n 3p <<<"$output" | recpaths | od -An -c | tr -s ' ')" = " b a d 377 n a m e \0" ]
}

@test "manifest: an answer that is not a manifest is 69" {
	echo '{"version":1}' >m.json
	fault_up ok --serve /files/manifest=m.json
	xrun sp-download manifest
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"not a manifest"* ]]
}

@test "manifest: a failed write to stdout is 74" {
	fault_up ok --serve /files/manifest=m.json
	run sh -c 'sp-download manifest >/dev/full'
	[ "$status" -eq 74 ]
}

@test "files: a reader that goes away ends sp-download by SIGPIPE, like any filter" {
	head -c 3000000 /dev/urandom >big.tgz
	fault_up ok --serve /files=big.tgz
	run bash -c 'sp-download files | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"'
	[ "$output" = 141 ] || fail "exit $output"
}

@test "files -o into a directory that does not exist: 73" {
	fault_up ok --serve /files=a.tgz
	xrun sp-download files -o nodir/out.tgz
	[ "$status" -eq 73 ]
}

doc() {
	printf '%s\n' '{"agents":[{"id":"11111111-1111-4111-8111-111111111111","name":"a1","metadata":{"k":[1]}}],"users":[],"skills":[{"id":"31111111-1111-4111-8111-111111111111","skill_id":"s1","tags":["x","y"]}],"contexts":[],"content":[{"id":"41111111-1111-4111-8111-111111111111","slug":"p","body":"l1\nl2"}],"timestamp":"2026-11-23T18:22:00Z"}'
}

@test "database: the DatabaseExport document as row records" {
	doc >doc.json
	fault_up ok --serve /database/export=doc.json
	xrun sp-download database
	assert_success
	[ "$(logf 1 path)" = /api/v1/cloud/tenants/t1/database/export ]
	[ "$(wc -l <<<"$output")" -eq 3 ]
	[ "$(head -1 <<<"$output")" = '{"type":"row","table":"agents","data":{"id":"11111111-1111-4111-8111-111111111111","name":"a1","metadata":{"k":[1]}}}' ]
	[ "$(sed -n 2p <<<"$output" | jq -r .table)" = agent_skills ]
	[ "$(sed -n 3p <<<"$output" | jq -r .data.body)" = $'l1\nl2' ]
}

@test "database: a download reset half-way is retried; every row comes out once" {
	python3 - <<'PY' >doc.json
import json
print(json.dumps({"agents": [{"id": "%08d-1111-4111-8111-111111111111" % i, "name": "a%d" % i, "description": "x" * 200}
                             for i in range(3000)],
                  "users": [], "skills": [], "contexts": [], "content": [], "timestamp": "2026-11-23T18:22:00Z"}))
PY
	fault_up resetmid,ok --serve /database/export=doc.json --no-range
	xrun sp-download --retry-delay 0.01 database
	assert_success
	[ "$(attempts)" -eq 2 ]
	[ "$(wc -l <<<"$output")" -eq 3000 ]
	[ "$(jq -r .data.name <<<"$output" | sort -u | wc -l)" -eq 3000 ]
}

@test "database: a malformed document is 69 and no row is written" {
	doc | head -c 150 >doc.json
	fault_up ok --serve /database/export=doc.json
	xrun sp-download database
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[[ "$stderr" == *"/database/export:"* ]]
}

@test "--filter: manifest and database records as sp-diff --filter selects them; files refuses it" {
	doc >doc.json
	fault_up ok --serve /database/export=doc.json --serve /files/manifest=m.json
	echo '{"version":1,"files":[{"path":"config/app.yaml","size":1,"mode":"0644","sha256":"'"$(printf 1 | sha256sum | cut -c1-64)"'"},{"path":"agents/a.yaml","size":1,"mode":"0644","sha256":"'"$(printf 2 | sha256sum | cut -c1-64)"'"}]}' >m.json
	xrun sp-download --filter 'config/**' manifest
	assert_success
	assert_equal "$(jq -r .path <<<"$output")" config/app.yaml
	xrun sp-download -f skills -f agents database
	assert_success
	assert_equal "$(jq -r .table <<<"$output" | paste -sd ' ')" "agents agent_skills"
	# the same grammar as sp-diff: the records it keeps are the ones it compares
	sp-download database >all.ndjson 2>/dev/null
	assert_equal "$(sp-diff -a --filter skills --filter agents all.ndjson all.ndjson 2>/dev/null | jq -c .record | sort)" \
		"$(sort <<<"$output")"
	xrun sp-download -f s1 database
	assert_equal "$(jq -r .data.skill_id <<<"$output")" s1
	xrun sp-download -f x files
	assert_failure 2
}

@test "files --have: a delta request (the distinct hashes, one per line); a server without deltas gets the whole GET" {
	printf '%s\n' '{"type":"file","path":"a","size":1,"mode":"0644","sha256":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"}' \
		'{"type":"file","path":"b","size":1,"mode":"0644","sha256":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"}' \
		'{"type":"file","path":"l","size":0,"mode":"0777","link":"a","sha256":"0ac561fac838104e3f2e4ad107b4bee3e938bf15f2b15f009ccccd61a913f017"}' >have.recs
	# 404 for the delta (an older server), then the whole archive
	fault_up 404,ok --serve /files=a.tgz
	xrun sp-download -o out.tgz files --have have.recs
	assert_success
	cmp out.tgz a.tgz
	assert_equal "$(jq -c '[.details.delta, .details.hashes_sent]' <<<"$output")" '[false,1]'
	[ "$(logf 1 method) $(logf 1 path)" = "POST /api/v1/cloud/tenants/t1/files/delta" ]
	[ "$(logf 1 sha256)" = "$(printf 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\n' | sha256sum | cut -c1-64)" ]
	[ "$(logf 2 method) $(logf 2 path)" = "GET /api/v1/cloud/tenants/t1/files" ]
	# a bad record is refused before anything is sent, naming the line
	printf '{"type":"file","path":"a","sha256":"nothex"}\n' >bad.recs
	xrun sp-download files --have bad.recs
	assert_failure 65
	[[ "$stderr" == *"bad.recs:1:"* ]] || fail "$stderr"
	[ "$(attempts)" -eq 2 ]
	xrun sp-download manifest --have have.recs
	assert_failure 2
}

@test "files -o a FIFO or device writes into it, never replaces it with a file" {
	fault_up ok --serve /files=a.tgz
	mkfifo pipe
	cat pipe >got &
	reader=$!
	xrun sp-download -o pipe files
	assert_success
	wait "$reader"
	cmp got a.tgz
	[ -p pipe ]
	xrun sp-download -o /dev/null files
	assert_success
	[ -c /dev/null ]
}
