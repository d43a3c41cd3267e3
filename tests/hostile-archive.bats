#!/usr/bin/env bats
# Archives built to cost memory or CPU (issue 15, items 2 and 7): a
# manifest of millions of empty entries, one of 135,000 valid ones at the
# 16 MiB limit, a gzip bomb, a tree followed by gigabytes of zeros.
# sp-unpack's peak RSS is measured with GNU time, sp-cloudd's from
# /proc/PID/status (VmHWM) of a server started for the test.

load helper
load lib/cloud

setup_file() {
	cloud_file_up
	cd "$BATS_FILE_TMPDIR" || return 1
	# 5.5 million "{}" entries: 16 KiB compressed
	python3 -c '
import json
print(json.dumps({"entries": [{"type": "file", "name": "a", "data": "x"}],
  "raw_manifest": "{\"version\":1,\"timestamp\":\"2026-01-01T00:00:00Z\",\"checksum\":\"%s\",\"files\":[%s]}"
  % ("0" * 64, ",".join(["{}"] * 5500000))}))' | mkarchive empties.tgz
	# 135,000 well-formed entries (16 MiB of manifest), none of them in the archive
	python3 -c '
import hashlib, json
e = hashlib.sha256(b"").hexdigest()
print(json.dumps({"entries": [{"type": "file", "name": "a", "data": "x"}],
  "add": [{"path": "f%07d" % i, "size": 0, "mode": "0644", "sha256": e} for i in range(135000)]}))' | mkarchive valid.tgz
	# a 300 MiB file of zeros: 300 KiB of gzip
	mkdir -p zeros && truncate -s 300M zeros/zero
	sp-collect zeros | sp-manifest -C zeros | sp-pack -C zeros -o bomb.tgz >/dev/null
	# an empty tree, then 256 MiB of zeros inside the gzip stream
	mkdir -p empty
	sp-collect empty | sp-manifest -C empty | sp-pack -C empty -o empty.tgz >/dev/null
	{ gzip -dc empty.tgz; head -c 256M /dev/zero; } | gzip -9 >trailing.tgz
}

teardown_file() {
	sp_env_down
}

teardown() {
	stop_extra
}

# unpack ARCHIVE [OPTION]...: sp-unpack into ./out; $status, $stderr, $rss (KiB).
unpack() {
	local a=$1
	shift
	rm -rf out && mkdir out
	run --separate-stderr /usr/bin/time -f '%M' -o rss.txt sp-unpack "$@" "$BATS_FILE_TMPDIR/$a" out
	rss=$(tail -1 rss.txt)
	stderr=$(grep -v '^Command exited' <<<"$stderr" || true)
}

# hwm: the sp-cloudd started last, its peak RSS in KiB.
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/${EXTRA_PIDS##* }/status"; }

@test "a manifest of 5.5 million empty entries: refused at the first, in little memory" {
	unpack empties.tgz
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'.sp-manifest.json: files[0]: no "path" string'* ]] || fail "$stderr"
	# the 16 MiB of text, not a tree of millions of objects (1.3 GB before)
	[ "$rss" -lt "$(rss_bound 40000)" ] || fail "peak RSS $rss KiB"
	[ -z "$(ls -A out)" ]
}

@test "a manifest of 135,000 valid entries at the 16 MiB limit stays under 64 MiB" {
	unpack valid.tgz
	[ "$status" -eq 65 ]
	assert_equal "$stderr" "sp-unpack: f0000000: listed in the manifest, missing from the archive"
	[ "$rss" -lt "$(rss_bound 65536)" ] || fail "peak RSS $rss KiB"
	[ -z "$(ls -A out)" ]
}

@test "a gzip bomb and a tree followed by zeros are refused by their ratio, early" {
	unpack bomb.tgz
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"compression ratio over 200:1"* ]] || fail "$stderr"
	[ -z "$(ls -A out)" ]
	unpack trailing.tgz
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"compression ratio over 200:1"* ]] || fail "$stderr"
	# what a user means, allowed in so many words
	unpack bomb.tgz --max-ratio 0
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(stat -c %s out/zero)" -eq $((300 << 20)) ]
}

@test "sp-cloudd: manifest bombs and gzip bombs are 400s in bounded memory; a second client is served" {
	start_cloudd log2
	u=$URL2/api/v1/cloud/tenants/local
	call "$H_LOCAL" GET "$u/files/manifest"
	before=$code
	base=$(hwm)
	for a in empties valid bomb trailing; do
		call "$H_LOCAL" POST "$u/files" --data-binary "@$BATS_FILE_TMPDIR/$a.tgz" -H 'Content-Type: application/gzip'
		[ "$code" = 400 ] || fail "$a: $code $(cat body)"
		grows=$(($(hwm) - base))
		[ "$grows" -lt "$(rss_bound 65536)" ] || fail "$a: the server grew by $grows KiB"
	done
	grep -q "compression ratio over 200:1" body
	# three manifest bombs at once
	pids=
	for i in 1 2 3; do
		curl -s -o /dev/null -H "@$H_LOCAL" --data-binary "@$BATS_FILE_TMPDIR/empties.tgz" "$u/files" &
		pids="$pids $!"
	done
	call - GET "$URL2/healthz"
	[ "$code" = 200 ]
	wait $pids
	grows=$(($(hwm) - base))
	[ "$grows" -lt "$(rss_bound $((3 * 65536)))" ] || fail "three at once: the server grew by $grows KiB"
	# nothing was stored
	call "$H_LOCAL" GET "$u/files/manifest"
	[ "$code" = "$before" ]
}

@test "sp-cloudd: at most --max-verify verifications at once; a push finding none free is 503 with Retry-After" {
	start_cloudd log2 --max-verify 1 --db-wait 1 --max-body 1G --work-dir "$PWD/work"
	u=$URL2/api/v1/cloud/tenants/local
	# a plain tarball holds its slot through its verification and repack
	# (gzip -6 on one thread: about 2 s for 96 MiB of random bytes; the
	# upload itself is stored, gzip level 0, so it costs nothing to make)
	mkdir -p big && head -c 96M /dev/urandom >big/blob
	tar -C big -cf - blob | python3 -c 'import gzip, shutil, sys
with gzip.GzipFile(fileobj=sys.stdout.buffer, mode="wb", compresslevel=0, mtime=0) as z:
    shutil.copyfileobj(sys.stdin.buffer, z)' >plain.tgz
	curl -s -o first.json -w '%{http_code}' -H "@$H_LOCAL" --data-binary @plain.tgz "$u/files" >first.code &
	first=$!
	# once its body is all in the spool, the server verifies it
	size=$(stat -c %s plain.tgz)
	for _ in $(seq 1 300); do
		[ "$(find work/spool -type f -size "${size}c" | wc -l)" -gt 0 ] && break
		sleep 0.1
	done
	sleep 0.2
	call "$H_LOCAL" POST "$u/files" --data-binary "@$BATS_FILE_TMPDIR/empty.tgz" -H 'Content-Type: application/gzip'
	wait "$first"
	[ "$(cat first.code)" = 200 ] || fail "first: $(cat first.code) $(cat first.json)"
	[ "$code" = 503 ] || fail "second: $code $(cat body)"
	grep -qi '^Retry-After: 2' headers
	[[ "$(jq -r .error body)" == *"busy: 1 archives are being verified; retry"* ]] || fail "$(cat body)"
	# and once the slot is free, the same push goes through
	call "$H_LOCAL" POST "$u/files" --data-binary "@$BATS_FILE_TMPDIR/empty.tgz" -H 'Content-Type: application/gzip'
	[ "$code" = 200 ] || fail "third: $code $(cat body)"
}
