#!/usr/bin/env bats
# Round trips through a real sp-cloudd (started by sp-env): files push and
# pull with verification, conditional pulls, the remote manifest, the
# database; curl as an independent client where it helps.

load helper
load lib/transfer

# What these tests need besides sp-upload and sp-download.
missing() {
	local t
	for t in sp-cloudd sp-pack sp-unpack; do
		command -v "$t" >/dev/null || { echo "$t"; return; }
	done
}

setup_file() {
	[ -n "$(missing)" ] || sp_env_up
}

teardown_file() {
	[ -n "$(missing)" ] || sp_env_down
}

setup() {
	[ -z "$(missing)" ] || skip "$(missing) is not built"
	cd "$BATS_TEST_TMPDIR" || return 1
}

# odd_tree DIR: weird_tree without what sp-pack refuses (names that are not
# UTF-8 or hold control characters, links out of the tree) and without its
# empty directory.
odd_tree() {
	weird_tree "$1"
	rm -rf "$1/a/outside" "$1/"$'bad\xffname' "$1/"$'dir\xfe' "$1/"$'new\nline' "$1/"$'tab\there'
	rmdir "$1/emptydir"	# trees carry files, not empty directories
}

# big_tree DIR: a 100 MiB file and 5,000 small files in 50 directories.
big_tree() {
	python3 - "$1" <<'PY'
import os, sys
root = sys.argv[1]
blob = os.urandom(1 << 20)
for i in range(5000):
    d = os.path.join(root, "dir%02d" % (i % 50))
    os.makedirs(d, exist_ok=True)
    n = (i * 37) % 3000
    with open(os.path.join(d, "file%04d.md" % i), "wb") as f:
        f.write(blob[i * 17 % 100000:][:n])
PY
	head -c 100M /dev/urandom >"$1/big.bin"
	mkdir -p "$1/bin" && printf '#!/bin/sh\necho hi\n' >"$1/bin/run" && chmod 755 "$1/bin/run"
	ln -s ../big.bin "$1/bin/link"
}

@test "push and pull: 100 MiB file + 5,000 small files, diff -r clean" {
	mkdir src dst
	big_tree src
	xrun bash -c 'set -o pipefail; sp-collect src | sp-manifest -C src | sp-pack -l 1 -C src -o - | sp-upload -q files'
	assert_success
	[ "$(jq -r .success <<<"$output")" = true ]
	[ "$(jq -r .items_synced <<<"$output")" -eq 5003 ]
	[ "$(jq -r .details.files_uploaded <<<"$output")" -eq 5003 ]
	run bash -c 'set -o pipefail; sp-download -q files | sp-unpack - dst >/dev/null'
	assert_success
	run diff -r src dst
	assert_success
	[ "$(stat -c %a dst/bin/run)" = 755 ]
	[ "$(readlink dst/bin/link)" = ../big.bin ]
}

@test "sp-pack -o FILE | sp-upload files: the record names the archive; curl pulls the same bytes" {
	odd_tree src
	xrun bash -c 'set -o pipefail; sp-collect src | sp-manifest -C src | sp-pack -C src -o a.tgz | sp-upload files'
	assert_success
	[ "$(jq -r .details.archive_sha256 <<<"$output")" = "$(sha a.tgz)" ]
	msha=$(jq -r .details.manifest_sha256 <<<"$output")
	sp-download files >pulled.tgz
	cmp pulled.tgz a.tgz
	curl -sSf -H @<(printf 'Authorization: Bearer %s\n' "$(cat "$SP_TOKEN_FILE")") \
		-D headers "$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT/files" >curl.tgz
	cmp curl.tgz a.tgz
	grep -qi "^etag: \"$msha\"" headers
	mkdir dst
	sp-unpack pulled.tgz dst >/dev/null
	diff -r --no-dereference src dst
}

@test "conditional pull: 304 for the pushed manifest, the archive once it changed" {
	mkdir src && mkfile src/a.txt one
	xrun bash -c 'sp-collect src | sp-manifest -C src | sp-pack -C src -o - | sp-upload files'
	assert_success
	m1=$(jq -r .details.manifest_sha256 <<<"$output")
	echo keep >out.tgz
	xrun sp-download files -o out.tgz --if-none-match "$m1"
	assert_success
	[ "$(jq -r .details.unchanged <<<"$output")" = true ]
	[ "$(cat out.tgz)" = keep ]
	mkfile src/a.txt two
	sp-collect src | sp-manifest -C src | sp-pack -C src -o - | sp-upload -q files >/dev/null
	xrun sp-download files -o out.tgz --if-none-match "$m1"
	assert_success
	[ "$(jq -r .details.unchanged <<<"$output")" = false ]
	[ "$(jq -r .details.manifest_sha256 <<<"$output")" != "$m1" ]
	mkdir dst && sp-unpack out.tgz dst >/dev/null
	[ "$(cat dst/a.txt)" = two ]
}

@test "manifest: the remote files as records equal to the local sp-manifest's" {
	odd_tree src
	sp-collect src | sp-manifest -C src >local.ndjson
	sp-pack -C src -o - <local.ndjson | sp-upload -q files >/dev/null
	xrun sp-download manifest
	assert_success
	norm='jq -c "{path, size, sha256, link}"'
	diff <(eval "$norm" <local.ndjson | sort) <(eval "$norm" <<<"$output" | sort)
	[ "$(wc -l <<<"$output")" -eq "$(wc -l <local.ndjson)" ]
}

@test "the server refuses a bad archive: 65 with its message, the current tree stays" {
	mkdir src && mkfile src/a.txt keep
	sp-collect src | sp-manifest -C src | sp-pack -C src -o - | sp-upload -q files >/dev/null
	head -c 10000 /dev/urandom | gzip >bad.tgz
	xrun sp-upload files bad.tgz
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"400"* ]]
	[ "$(jq -r .success <<<"$output")" = false ]
	mkdir dst && sp-download files | sp-unpack - dst >/dev/null
	[ "$(cat dst/a.txt)" = keep ]
}

@test "a wrong token is 77 (401), another tenant's path is 77 (403)" {
	SP_TOKEN=not-the-token xrun sp-download manifest
	[ "$status" -eq 77 ]
	[[ "$stderr" == *"401"* ]]
	xrun sp-download --tenant someone-else manifest
	[ "$status" -eq 77 ]
	[[ "$stderr" == *"403"* ]]
}

# dump CONNINFO: every row of every table as sorted row_to_json lines.
dump() {
	local t
	for t in agents users agent_skills contexts content; do
		psql -X -q -At -d "$1" -c "select '$t ' || row_to_json(x)::text from $t x order by id"
	done
}

@test "database: local -> cloud -> a fresh local database, every row identical" {
	code=$(curl -s -o /dev/null -w '%{http_code}' -H @<(printf 'Authorization: Bearer %s\n' "$(cat "$SP_TOKEN_FILE")") \
		"$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT/database/export")
	[ "$code" != 501 ] || skip "this sp-cloudd has no database endpoints yet (501)"
	psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URL" <<'SQL'
insert into agents (id, name, description, system_prompt, metadata) values
 ('a0000000-0000-4000-8000-000000000001', 'writer', 'd', E'line1\nline2 \u00e9\u65e5', '{"nested":{"a":[1,2,{"b":null}]},"t":true}'),
 ('a0000000-0000-4000-8000-000000000002', 'empty', null, null, null);
insert into users (id, name, email, roles, email_verified) values
 ('b0000000-0000-4000-8000-000000000001', 'ann', 'ann@x', '{}', true),
 ('b0000000-0000-4000-8000-000000000002', 'bob', null, null, false),
 ('b0000000-0000-4000-8000-000000000003', 'cy', 'cy@x', array['a b', 'c"d', ''], false);
insert into agent_skills (id, skill_id, agent_id, name, instructions, tags, metadata, created_at) values
 ('c0000000-0000-4000-8000-000000000001', 'sk1', 'a0000000-0000-4000-8000-000000000001', 'Skill',
  repeat('x', 1048576), array['t1'], '{"after_reading_this":["a"]}', '2026-11-23T18:22:00.123456+05:30');
insert into contexts (id, user_id, name) values
 ('d0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'ctx');
insert into content (id, source_id, slug, title, body, published_at, public) values
 ('e0000000-0000-4000-8000-000000000001', 'blog', 'hello', 'Hello', E'# Hi\n\ttab', '1999-12-31T23:59:59Z', false);
SQL
	xrun bash -c 'set -o pipefail; sp-dbexport | sp-upload database'
	assert_success
	[ "$(jq -r .success <<<"$output")" = true ]
	[ "$(jq -r .details.rows_sent <<<"$output")" -eq 8 ]
	psql -X -q -d "$DATABASE_URL" -c "create database fresh_$$" >/dev/null
	fresh=$(db_url "fresh_$$")
	DATABASE_URL=$fresh sp-dbimport --init >/dev/null
	xrun bash -c "set -o pipefail; sp-download database | DATABASE_URL='$fresh' sp-dbimport"
	assert_success
	[ "$(jq -r .items_synced <<<"$output")" -eq 8 ]
	diff <(dump "$DATABASE_URL") <(dump "$fresh")
	[ "$(dump "$fresh" | wc -l)" -eq 8 ]
	# pushing the same rows again changes nothing on the cloud side
	xrun bash -c 'set -o pipefail; sp-dbexport | sp-upload database'
	assert_success
	[ "$(jq -r .items_synced <<<"$output")" -eq 0 ]
	[ "$(jq -r .items_skipped <<<"$output")" -eq 8 ]
	psql -X -q -d "$DATABASE_URL" -c "drop database fresh_$$" >/dev/null
}

@test "delta pull: POST files/delta sends the manifest, links and only the files whose SHA-256 the client lacks (curl, GNU tar)" {
	odd_tree t
	mkdir -p t/data
	for i in $(seq 1 30); do head -c 3000 /dev/urandom >"t/data/f$i"; done
	sp-collect t | sp-manifest -C t | sp-pack -C t -o a.tgz >/dev/null
	sp-upload files a.tgz >/dev/null
	# the token in a header file for curl (-H @FILE: never in argv), kept
	# out of the test's directory, which the teardown searches for it
	hdr=$BATS_FILE_TMPDIR/delta.hdr
	(umask 077 && printf 'Authorization: Bearer %s\n' "$(cat "$SP_TOKEN_FILE")" >"$hdr")
	url=$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT/files/delta
	# the client has every file but data/f7 and data/f9 (sha256sum's hashes)
	(cd t && find . -type f ! -name f7 ! -name f9 -print0 | xargs -0 sha256sum | cut -c1-64 | sort -u) >have
	code=$(curl -sS -o d.tgz -D hdrs -w '%{http_code}' -H "@$hdr" --data-binary @have "$url")
	[ "$code" = 200 ] || fail "$code $(cat d.tgz)"
	assert_equal "$(tar -tzf d.tgz | grep -v '/$' | sort | tr '\n' ' ')" \
		"$(printf '%s\n' .sp-manifest.json data/f7 data/f9 $(cd t && find . -type l | sed 's|^\./||') | sort | tr '\n' ' ')"
	# the entries are the files; the manifest is the stored one, its ETag the version
	mkdir x && tar -xzf d.tgz -C x
	cmp x/data/f7 t/data/f7 && cmp x/data/f9 t/data/f9
	tar -xzOf a.tgz .sp-manifest.json | cmp - x/.sp-manifest.json
	etag=$(tr -d '\r' <hdrs | sed -n 's/^[Ee][Tt]ag: "\(.*\)"$/\1/p')
	assert_equal "$etag" "$(sha256sum <x/.sp-manifest.json | cut -c1-64)"
	code=$(curl -sS -o /dev/null -w '%{http_code}' -H "@$hdr" -H "If-None-Match: \"$etag\"" --data-binary @have "$url")
	[ "$code" = 304 ]
	# a body that is not hashes: 400 naming the line
	printf '%s\nnot-a-hash\n' "$(head -1 have)" >bad
	code=$(curl -sS -o body -w '%{http_code}' -H "@$hdr" --data-binary @bad "$url")
	[ "$code" = 400 ] && grep -q 'body line 2: expected a SHA-256' body || fail "$code $(cat body)"
	# nothing known: the whole tree
	code=$(curl -sS -o all.tgz -w '%{http_code}' -H "@$hdr" --data-binary '' "$url")
	[ "$code" = 200 ]
	diff <(tar -tzf all.tgz | grep -v '/$' | sort) <(tar -tzf a.tgz | grep -v '/$' | sort)
	rm -f "$hdr"
}

@test "delta pull: sp-download --have | sp-unpack --local gives the tree a whole pull gives, for one file's bytes" {
	mkdir -p t/d{0..9}
	for i in $(seq 1 200); do head -c 10000 /dev/urandom >"t/d$((i % 10))/f$i"; done
	ln -s d1/f1 t/link
	sp-collect t | sp-manifest -C t | sp-pack -C t -o a.tgz >/dev/null
	sp-upload files a.tgz >/dev/null
	sp-download files | sp-unpack - local >/dev/null
	# in the cloud: one file edited, one renamed, one removed
	head -c 10000 /dev/urandom >t/d3/f3
	mv t/d5/f5 t/d5/f5.moved
	rm t/d7/f7
	sp-collect t | sp-manifest -C t | sp-pack -C t -o b.tgz >/dev/null
	sp-upload files b.tgz >/dev/null
	sp-collect local | sp-manifest -C local >local.recs
	run sp-download -o delta.tgz files --have local.recs
	assert_success
	assert_equal "$(jq -c '[.details.delta, .details.hashes_sent]' <<<"$output")" '[true,200]'
	# one file's bytes (10 KB of random data) and the manifest, against the whole
	full=$(stat -c %s b.tgz) part=$(stat -c %s delta.tgz)
	[ "$part" -lt $((full / 20)) ] || fail "delta $part bytes, whole $full"
	run sp-unpack --delete --local local.recs delta.tgz local
	assert_success
	diff -r --no-dereference t local
	assert_equal "$(jq -r 'select(.deleted | not) | select(.from_local | not) | .path' <<<"$output" | sort | tr '\n' ' ')" "d3/f3 link "
	assert_equal "$(jq -r 'select(.deleted) | .path' <<<"$output" | sort | tr '\n' ' ')" "d5/f5 d7/f7 "
	# a whole pull into a fresh directory gives the same tree
	sp-download files | sp-unpack - whole >/dev/null
	diff -r --no-dereference whole local
}

@test "incremental push: sp-pack --have leaves out what the cloud holds; sp-cloudd merges, checks the base, and a stale base is 409 (75)" {
	mkdir -p t/d{0..4}
	for i in $(seq 1 100); do head -c 5000 /dev/urandom >"t/d$((i % 5))/f$i"; done
	ln -s d1/f1 t/link
	sp-collect t | sp-manifest -C t | sp-pack -C t -o a.tgz >/dev/null
	sp-upload files a.tgz >/dev/null
	sp-download -q manifest --etag etag >remote.recs
	assert_equal "$(cat etag)" "$(tar -xzOf a.tgz .sp-manifest.json | sha256sum | cut -c1-64)"
	# one edit, one new file, one removal, one chmod
	head -c 5000 /dev/urandom >t/d3/f3
	mkfile t/new "new"
	rm t/d4/f4
	chmod 755 t/d2/f2
	sp-collect t | sp-manifest -C t >local.recs
	run sp-pack -C t --have remote.recs -o inc.tgz local.recs
	assert_success
	assert_equal "$(jq -c '[.files, .left_out]' <<<"$output")" '[101,97]'
	assert_equal "$(tar -tzf inc.tgz | sort | tr '\n' ' ')" ".sp-manifest.json d2/f2 d3/f3 link new "
	run sp-upload --base "$(cat etag)" files inc.tgz
	assert_success
	assert_equal "$(jq -c '.details | [.delta, .files_received, .files_from_base, .files_uploaded]' <<<"$output")" '[true,4,97,101]'
	# the cloud's archive is the whole new tree: GNU tar and sha256sum agree
	sp-download -q files -o cur.tgz >/dev/null
	mkdir g && tar -xzf cur.tgz -C g
	rm g/.sp-manifest.json
	diff -r --no-dereference t g
	[ "$(stat -c %a g/d2/f2)" = 755 ]
	# the same upload again: its base is no longer current
	run --separate-stderr sp-upload --base "$(cat etag)" files inc.tgz
	assert_failure 75
	[[ "$stderr" == *"409 Conflict: the base"*"is not the current generation"* ]] || fail "$stderr"
	sp-download -q files -o after.tgz >/dev/null
	cmp cur.tgz after.tgz
	# an upload that leaves out a file the base lacks: 409, nothing stored
	sp-download -q manifest --etag etag2 >remote2.recs
	mkfile t/other "x"
	sp-collect t | sp-manifest -C t >local2.recs
	sp-pack -C t --have local2.recs -o lie.tgz local2.recs >/dev/null	# leaves out everything
	run --separate-stderr sp-upload --base "$(cat etag2)" files lie.tgz
	assert_failure 75
	[[ "$stderr" == *"other: not in the upload, and the base does not hold it"* ]] || fail "$stderr"
	sp-download -q files -o after2.tgz >/dev/null
	cmp cur.tgz after2.tgz
	# a lying entry in an incremental upload: 400 like any bad archive
	mkdir x && tar -xzf inc.tgz -C x && printf 'NEW' >x/new
	tar -czf bad.tgz -C x .sp-manifest.json new d2/f2 d3/f3 link
	run --separate-stderr sp-upload --base "$(cat etag2)" files bad.tgz
	assert_failure 65
	[[ "$stderr" == *"new: SHA-256 differs"* ]] || fail "$stderr"
	sp-download -q files -o after3.tgz >/dev/null
	cmp cur.tgz after3.tgz
}
