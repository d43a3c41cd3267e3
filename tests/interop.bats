#!/usr/bin/env bats
# The formats upstream's client used (sp(7) "UPSTREAM"): plain tarballs
# with no .sp-manifest.json, manifests of {path, checksum, size}, and deploy
# bodies whose "image" is the full reference. GNU tar, python's tarfile,
# sha256sum and curl are the independent peers; sp-cloudd and PostgreSQL
# are real, started by sp-env.

load helper
load lib/transfer

setup_file() {
	sp_env_up
}

teardown_file() {
	sp_env_down
}

# upstream_tree DIR: a services tree as upstream's bundler collects it:
# top-level agents/skills/content/config, regular files only, one script.
upstream_tree() {
	mkfile "$1/agents/helper.yaml" $'name: helper\nmodel: gpt\n'
	mkfile "$1/skills/writing/config.yaml" $'id: writing\nname: Writing\nfile: index.md\n'
	mkfile "$1/skills/writing/index.md" $'---\ntitle: Writing\n---\nWrite well. Ünïcödé.\n'
	mkfile "$1/content/blog/hello/index.md" $'---\ntitle: Hello\nslug: hello\n---\nhi\n'
	mkfile "$1/content/docs/index.md" $'---\ntitle: Docs\nslug: ""\n---\n'
	mkfile "$1/config/config.yml" $'name: demo\n'
	mkfile "$1/profiles/local.yaml" ''
	mkfile "$1/web/run.sh" $'#!/bin/sh\necho up\n'
	chmod 755 "$1/web/run.sh"
}

# upstream_tgz DIR OUT: the archive upstream's client sends, made the way
# it makes it (tar entries of regular files, paths relative to services/,
# headers straight from disk, no manifest), here with python's tarfile.
upstream_tgz() {
	python3 - "$1" "$2" <<'PY'
import os, sys, tarfile
root, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as tf:
    for top in sorted(os.listdir(root), reverse=True):   # read_dir order: any
        for d, _, fs in os.walk(os.path.join(root, top)):
            for f in fs:
                p = os.path.join(d, f)
                tf.add(p, arcname=os.path.relpath(p, root), recursive=False)
PY
}

auth() {
	printf 'Authorization: Bearer %s\n' "$(cat "$SP_TOKEN_FILE")"
}

# post_files FILE: POST FILE to the files endpoint with curl; prints the
# body, then the status on its own line.
post_files() {
	curl -s -H @<(auth) -H 'Content-Type: application/octet-stream' --data-binary "@$1" \
		-w '\n%{http_code}' "$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT/files"
}

@test "sp-unpack refuses a plain tarball by default and names --plain; the destination stays" {
	upstream_tree src
	upstream_tgz src up.tgz
	mkdir dst && mkfile dst/keep.txt mine
	xrun sp-unpack up.tgz dst
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"the first entry must be the manifest .sp-manifest.json (a plain tarball needs --plain)"* ]]
	[ "$(ls dst)" = keep.txt ]
}

@test "sp-unpack --plain: an upstream-made tarball installs whole, its records match sha256sum" {
	upstream_tree src
	upstream_tgz src up.tgz
	xrun sp-unpack --plain up.tgz dst
	assert_success
	diff -r src dst
	[ "$(stat -c %a dst/web/run.sh)" = 755 ]
	# the records: every file, with sha256sum's digest and the mode sp-pack writes
	(cd src && find . -type f | sed 's|^\./||' | sort | xargs -d '\n' sha256sum) |
		awk '{print $2, $1}' >want
	jq -r '"\(.path) \(.sha256)"' <<<"$output" | sort >got
	diff want got
	[ "$(jq -r 'select(.path == "web/run.sh") | .mode' <<<"$output")" = 0755 ]
	[ "$(jq -r 'select(.path == "agents/helper.yaml") | .mode' <<<"$output")" = 0644 ]
}

@test "sp-unpack --plain: GNU tar's own archive (./ and directory entries, a symlink) and --delete" {
	upstream_tree src
	mkdir src/empty
	ln -s ../agents/helper.yaml src/skills/helper-link
	tar czf gnu.tgz -C src .
	mkdir dst && mkfile dst/stale.txt old
	xrun sp-unpack --plain --delete gnu.tgz dst
	assert_success
	diff -r --no-dereference src dst
	[ -d dst/empty ]
	[ "$(readlink dst/skills/helper-link)" = ../agents/helper.yaml ]
	[ "$(jq -r 'select(.deleted) | .path' <<<"$output")" = stale.txt ]
	# an sp archive is still verified against its manifest under --plain
	# (sp trees carry files, not empty directories)
	rmdir src/empty
	sp-collect src | sp-manifest -C src | sp-pack -C src -o sp.tgz >/dev/null
	xrun sp-unpack --plain sp.tgz dst2
	assert_success
	diff -r --no-dereference src dst2
}

@test "sp-unpack --plain refuses what it refuses in sp archives, naming the entry; nothing is installed" {
	mkdir dst && mkfile dst/keep.txt mine
	bad() {	# SPEC-entries REASON
		printf '{"manifest":"none","entries":%s}' "$1" | mkarchive bad.tgz
		xrun sp-unpack --plain bad.tgz dst
		[ "$status" -eq 65 ] || { echo "status $status for $1: $stderr"; return 1; }
		[[ "$stderr" == *"$2"* ]] || { echo "stderr for $1: $stderr"; return 1; }
		[ "$(ls dst)" = keep.txt ] && [ "$(cat dst/keep.txt)" = mine ]
	}
	bad '[{"type":"file","name":"../escape","data":"x"}]' '../escape:'
	bad '[{"type":"file","name":"/etc/passwd","data":"x"}]' '/etc/passwd:'
	bad '[{"type":"link","name":"a","target":"/etc"}]' 'a: symlink to an absolute path'
	bad '[{"type":"link","name":"a","target":"sub"},{"type":"file","name":"a/x","data":"x"}]' \
		'a/x: would be written through the symlink a'
	bad '[{"type":"file","name":"a","data":"x"},{"type":"file","name":"a/b","data":"y"}]' \
		'a/b: lies below the file a'
	bad '[{"type":"file","name":"a/b","data":"x"},{"type":"file","name":"a","data":"y"}]' \
		'a: a file where the archive has a directory'
	bad '[{"type":"file","name":"a","data":"x"},{"type":"file","name":"a","data":"y"}]' \
		'a: duplicate entry'
	bad '[{"type":"link","name":"l","target":"../../out"}]' 'l: symlink points outside the tree'
	bad '[{"type":"file","name":"x","data":"1"},{"type":"file","name":".sp-manifest.json","data":"{}"}]' \
		'.sp-manifest.json: the manifest must be the first entry'
	bad '[{"type":"chr","name":"dev"}]' 'dev: device files are refused'
	bad '[{"type":"hard","name":"h","target":"x"}]' 'h: hardlinks are refused'
	# a truncated plain tarball: refused, nothing installed
	printf '{"manifest":"none","truncate":20,"entries":[{"type":"file","name":"x","data":"%s"}]}' \
		"$(head -c 3000 /dev/urandom | base64 -w0)" | mkarchive trunc.tgz
	xrun sp-unpack --plain trunc.tgz dst
	[ "$status" -eq 65 ]
	[ "$(ls dst)" = keep.txt ]
}

@test "sp-cloudd: an upstream-made tarball pushed with curl is hashed, given a manifest, served as an sp archive" {
	upstream_tree src
	upstream_tgz src up.tgz
	run post_files up.tgz
	assert_success
	[ "${lines[-1]}" = 200 ]
	body=${lines[0]}
	[ "$(jq -r .files_uploaded <<<"$body")" -eq "$(find src -type f | wc -l)" ]
	[ "$(jq -r .manifest_built <<<"$body")" = true ]
	# the stored archive is an sp archive: manifest first, strict sp-unpack takes it
	sp-download files -o pulled.tgz >rec
	[ "$(tar tzf pulled.tgz | head -1)" = .sp-manifest.json ]
	[ "$(jq -r .details.sha256 <rec)" = "$(jq -r .sha256 <<<"$body")" ]
	[ "$(sha256sum <pulled.tgz | cut -c1-64)" = "$(jq -r .sha256 <<<"$body")" ]
	xrun sp-unpack pulled.tgz dst
	assert_success
	diff -r src dst
	# the ETag is the SHA-256 of the built manifest, which lists what sha256sum says
	tar xzf pulled.tgz -O .sp-manifest.json >m.json
	[ "$(sha256sum <m.json | cut -c1-64)" = "$(jq -r .manifest_sha256 <<<"$body")" ]
	sp-download manifest | jq -r '"\(.path) \(.sha256)"' | sort >got
	(cd src && find . -type f | sed 's|^\./||' | sort | xargs -d '\n' sha256sum) | awk '{print $2, $1}' >want
	diff want got
	# sp-sync's diff sees nothing to do against the tree the tarball came from
	sp-collect src | sp-manifest -C src >local.ndjson
	sp-download manifest >remote.ndjson
	xrun sp-diff local.ndjson remote.ndjson
	assert_success
	[ -z "$output" ]
	[[ "$stderr" == *"0 added, 0 removed, 0 modified, $(wc -l <local.ndjson) unchanged"* ]]
}

@test "sp-cloudd refuses a hostile plain tarball with 400 naming the entry; the current tree stays" {
	mkdir src && mkfile src/a.txt keep
	sp-collect src | sp-manifest -C src | sp-pack -C src -o - | sp-upload -q files >/dev/null
	before=$(sp-download manifest | jq -c .)
	printf '%s' '{"manifest":"none","entries":[{"type":"file","name":"ok.txt","data":"x"},{"type":"link","name":"l","target":"etc"},{"type":"file","name":"l/passwd","data":"x"}]}' |
		mkarchive bad.tgz
	run post_files bad.tgz
	[ "${lines[-1]}" = 400 ]
	[[ "${lines[0]}" == *"invalid archive: l/passwd: would be written through the symlink l"* ]]
	printf '{"manifest":"none","entries":[{"type":"file","name":"../x","data":"x"}]}' | mkarchive esc.tgz
	run post_files esc.tgz
	[ "${lines[-1]}" = 400 ]
	[ "$(sp-download manifest | jq -c .)" = "$before" ]
}

@test "sp-cloudd: a plain tarball over the tree limit is refused with 400" {
	# sp-env's server keeps the default 4 GiB limit: build a gzip bomb
	# whose single entry claims more than that, refused on the way in
	python3 - <<'PY'
import gzip, tarfile
ti = tarfile.TarInfo("huge.bin"); ti.size = (4 << 30) + 1
with gzip.open("bomb.tgz", "wb", compresslevel=1) as g:
    g.write(ti.tobuf(tarfile.GNU_FORMAT))
    for _ in range(64):
        g.write(bytes(1 << 20))
PY
	run post_files bomb.tgz
	[ "${lines[-1]}" = 400 ] || fail "$output"
	[[ "${lines[0]}" == *"huge.bin"* ]]
}

@test "upstream's manifest shape {path, checksum, size}: sp-diff and sp-download read it" {
	upstream_tree src
	sp-collect src | sp-manifest -C src >local.ndjson
	# upstream's FileManifest, its checksum the SHA-256 of each file
	(cd src && find . -type f | sed 's|^\./||' | sort) | while read -r p; do
		jq -cn --arg p "$p" --arg c "$(sha256sum <"src/$p" | cut -c1-64)" \
			--argjson s "$(stat -c %s "src/$p")" '{type: "file", path: $p, checksum: $c, size: $s}'
	done >upstream.ndjson
	xrun sp-diff local.ndjson upstream.ndjson
	assert_success
	[ -z "$output" ]
	[[ "$stderr" == *"0 modified, 8 unchanged"* ]]
	printf 'changed\n' >>src/agents/helper.yaml
	sp-collect src | sp-manifest -C src >local2.ndjson
	xrun sp-diff local2.ndjson upstream.ndjson
	[ "$status" -eq 1 ]
	[ "$(jq -r "[.status, .key] | @tsv" <<<"$output")" = "$(printf "modified\tagents/helper.yaml")" ]
	# a server answering the manifest in upstream's JSON: python's http.server as that peer
	mkdir -p www/api/v1/cloud/tenants/t1/files
	jq -s '{files: map({path, checksum, size}), timestamp: "2026-01-01T00:00:00Z", checksum: "x"}' \
		upstream.ndjson >www/api/v1/cloud/tenants/t1/files/manifest
	python3 -u -m http.server --bind 127.0.0.1 0 --directory www >http.log 2>&1 3>&- &
	pid=$!
	for _ in $(seq 100); do grep -q 'port' http.log && break; sleep 0.05; done
	port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' http.log | head -1)
	run sp-download --url "http://127.0.0.1:$port" --tenant t1 manifest
	kill "$pid"
	assert_success
	[ "$(jq -r '.sha256' <<<"$output" | sort)" = "$(jq -r .checksum upstream.ndjson | sort)" ]
	[ "$(jq -r 'select(.checksum) | .path' <<<"$output")" = "" ]
	printf '%s\n' "$output" >remote.ndjson
	xrun sp-diff local.ndjson remote.ndjson
	assert_success
	[ -z "$output" ]
}

@test "deploy: upstream's {image: REGISTRY/APP:TAG} is accepted, and sp sends the full reference" {
	d=$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT/deploy
	code=$(curl -s -o body -w '%{http_code}' -H @<(auth) --data-binary '{"image":"registry.fly.io/app:deploy-1-abc"}' "$d")
	[ "$code" = 200 ] || fail "$code $(cat body)"
	[ "$(jq -r .status body)" = recorded ]
	curl -s -H @<(auth) "$d" >list
	[ "$(jq -r '.deployments[] | select(.tag == "deploy-1-abc") | .image' list)" = registry.fly.io/app ]
	# a registry with a port: the tag is what follows the last ':' after the last '/'
	code=$(curl -s -o body -w '%{http_code}' -H @<(auth) --data-binary '{"image":"localhost:5000/team/app:v7"}' "$d")
	[ "$code" = 200 ]
	curl -s -H @<(auth) "$d" >list
	[ "$(jq -r '.deployments[] | select(.tag == "v7") | .image' list)" = localhost:5000/team/app ]
	# no tag anywhere, disagreeing tags, digests: 400 with the reason
	for b in '{"image":"localhost:5000/app"}' '{"image":"app:v1","tag":"v2"}' '{"image":"app@sha256:00"}' '{"image":"app:"}'; do
		code=$(curl -s -o body -w '%{http_code}' -H @<(auth) --data-binary "$b" "$d")
		[ "$code" = 400 ] || fail "$b: $code"
		jq -e '.error | length > 0' body >/dev/null
	done
	[[ "$(curl -s -H @<(auth) --data-binary '{"image":"app:v1","tag":"v2"}' "$d")" == *'carries the tag \"v1\", \"tag\" says \"v2\"'* ]]
	# sp-upload deploy: IMAGE TAG and IMAGE:TAG both send the full reference
	xrun sp-upload deploy registry.example.com/app v8
	assert_success
	xrun sp-upload deploy registry.example.com:443/app:v9
	assert_success
	curl -s -H @<(auth) "$d" >list
	[ "$(jq -r '[.deployments[] | select(.tag == "v8" or .tag == "v9") | .image] | unique | .[]' list)" = \
		"$(printf '%s\n' registry.example.com/app registry.example.com:443/app | sort | head -1)
$(printf '%s\n' registry.example.com/app registry.example.com:443/app | sort | tail -1)" ]
	xrun sp-upload deploy registry.example.com/app
	[ "$status" -eq 2 ]	# a usage error: neither a TAG nor IMAGE:TAG
	[[ "$stderr" == *"deploy takes IMAGE and TAG, or IMAGE:TAG"* ]]
}

@test "directory entries are bounded: 100,001 of them are refused by sp-unpack (both modes) and sp-cloudd" {
	# issue 15.6: an archive of 0 files and endless directories
	python3 - <<'PY'
import gzip, io, json, tarfile, hashlib
def build(out, manifest):
    with gzip.open(out, "wb", compresslevel=1) as g:
        with tarfile.open(fileobj=g, mode="w|", format=tarfile.GNU_FORMAT) as tf:
            if manifest:
                m = json.dumps({"version": 1, "files": [], "timestamp": "2026-01-01T00:00:00Z",
                                "checksum": hashlib.sha256(b"").hexdigest()}).encode()
                ti = tarfile.TarInfo(".sp-manifest.json"); ti.size = len(m)
                tf.addfile(ti, io.BytesIO(m))
            for i in range(100001):
                ti = tarfile.TarInfo("d%06d" % i); ti.type = tarfile.DIRTYPE; ti.mode = 0o755
                tf.addfile(ti)
build("dirs-sp.tgz", True)
build("dirs-plain.tgz", False)
PY
	mkdir dst && mkfile dst/keep.txt mine
	# -n: the same verification without building 100,000 directories to remove
	xrun sp-unpack -n dirs-sp.tgz dst
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"d100000/: more than 100000 directory entries"* ]] || fail "$stderr"
	xrun sp-unpack -n --plain dirs-plain.tgz dst
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"d100000/: more than 100000 directory entries"* ]]
	[ "$(ls dst)" = keep.txt ]
	run post_files dirs-sp.tgz
	[ "${lines[-1]}" = 400 ]
	[[ "${lines[0]}" == *"more than 100000 directory entries"* ]]
	run post_files dirs-plain.tgz
	[ "${lines[-1]}" = 400 ]
	# a second client is served meanwhile and afterwards
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$SP_API_URL/healthz")" = 200 ]
}
