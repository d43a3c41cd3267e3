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
