#!/usr/bin/env bats
# A broken or hostile server against the clients (issue 15, items 4, 5 and
# 13): endless answers, drips, redirected uploads, a token file others can
# read. Every case is bounded in time; memory is measured with GNU time.

load helper
load lib/transfer

FAST=(--retry-delay 0.01 --attempts 1)

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	head -c 300000 /dev/urandom >blob
	gzip -1 -c blob >a.tgz
}

# rss_run CMD...: run CMD as xrun does; $rss is its peak RSS in KiB and
# $secs its wall time.
rss_run() {
	local t0 t1
	t0=$(date +%s.%N)
	xrun /usr/bin/time -f '%M' -o rss.txt "$@"
	t1=$(date +%s.%N)
	rss=$(tail -1 rss.txt)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	# GNU time prints "Command exited with non-zero status N" first
	stderr=$(grep -v '^Command exited' <<<"$stderr" || true)
}

@test "sp-download manifest: an endless answer stops at the in-memory bound, 69" {
	fault_up endless
	rss_run sp-download "${FAST[@]}" manifest
	assert_failure 69
	[[ "$stderr" == *"files/manifest: the answer is larger than 64.0 MiB (the bound of an answer held in memory)"* ]] ||
		fail "$stderr"
	[ "$rss" -lt "$(rss_bound 200000)" ] || fail "peak RSS $rss KiB"
	# and lower with --max-size
	rss_run sp-download "${FAST[@]}" --max-size 2M manifest
	assert_failure 69
	[[ "$stderr" == *"larger than 2.0 MiB (--max-size)"* ]] || fail "$stderr"
	[ "$rss" -lt "$(rss_bound 40000)" ] || fail "peak RSS $rss KiB"
}

@test "sp-upload: an endless answer to the POST stops at the bound, 69, no success" {
	fault_up endless
	rss_run sp-upload "${FAST[@]}" --max-size 4M files a.tgz
	assert_failure 69
	[[ "$output" == *'"success":false'* ]] || fail "$output"
	[[ "$output" == *"larger than 4.0 MiB"* ]] || fail "$output"
	[ "$rss" -lt "$(rss_bound 40000)" ] || fail "peak RSS $rss KiB"
}

@test "sp-download database: an endless export stops at --max-size, no spool left" {
	fault_up endless
	before=$(df -k --output=used "${TMPDIR:-/tmp}" | tail -1)
	rss_run sp-download "${FAST[@]}" --max-size 16M database
	assert_failure 69
	[[ "$stderr" == *"database/export: the answer is larger than 16.0 MiB (--max-size)"* ]] || fail "$stderr"
	[ -z "$output" ]
	[ "$rss" -lt "$(rss_bound 40000)" ] || fail "peak RSS $rss KiB"
	# the spool is an unlinked file: nothing of it stays on disk
	[ -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -newer a.tgz -name 'sp-*' -size +1M 2>/dev/null)" ]
}

@test "a drip below --speed-limit is cut after --speed-time; --max-time bounds a request" {
	fault_up drip
	# the default limit (1 KiB/s) cuts 3 bytes/s
	rss_run sp-download "${FAST[@]}" --speed-time 2 manifest
	assert_failure 75
	[[ "$stderr" == *"transfer stalled (below 1024 bytes/s for 2 s)"* ]] || fail "$stderr"
	awk -v s="$secs" "BEGIN { exit !(s < 15) }" || fail "took $secs s"
	# a drip the speed limit lets through is cut by --max-time, retries included
	rss_run sp-download --retry-delay 0.01 --attempts 5 --speed-limit 1 --max-time 3 manifest
	assert_failure 75
	[[ "$stderr" == *"no answer within --max-time 3 s"* ]] || fail "$stderr"
	awk -v s="$secs" "BEGIN { exit !(s < 10) }" || fail "took $secs s"
}

@test "--max-time covers the retries: a server that keeps answering 503 is given up in time" {
	fault_up 503:1
	rss_run sp-download --retry-delay 0.5 --attempts 100 --max-time 2 manifest
	assert_failure 75
	[[ "$stderr" == *"no answer within --max-time 2 s"* ]] || fail "$stderr"
	awk -v s="$secs" "BEGIN { exit !(s < 6) }" || fail "took $secs s"
	[ "$(attempts)" -lt 6 ]
}

@test "redirected uploads are errors for every client tool; the other host gets nothing" {
	printf '{"type":"row","table":"content","data":{"id":"x"}}\n' >rows.ndjson
	for cmd in "sp-upload files a.tgz" "sp-upload database rows.ndjson" "sp-upload deploy app:v1"; do
		fault_up redirect
		xrun $cmd --retry-delay 0.01
		[ "$status" -eq 69 ] || fail "$cmd: $status $output $stderr"
		[[ "$stderr$output" == *"a request with a body is not sent on"* ]] || fail "$cmd: $stderr$output"
		[ "$(attempts)" -eq 1 ]
		! grep -q elsewhere "$FAULT_DIR/log"
		fault_down
	done
}

@test "a token file that others can read is used, with a warning naming it" {
	fault_up ok --serve /files/manifest=m.json
	echo '{"version":1,"files":[]}' >m.json
	chmod 644 "$SP_TOKEN_FILE"
	xrun sp-download "${FAST[@]}" manifest
	assert_success
	[[ "$stderr" == *"SP_TOKEN_FILE $SP_TOKEN_FILE is readable by others (mode 0644); chmod 600 it"* ]] ||
		fail "$stderr"
	chmod 600 "$SP_TOKEN_FILE"
	xrun sp-download "${FAST[@]}" manifest
	assert_success
	[ -z "$stderr" ]
}

@test "a piped upload whose retry would read an endless pipe stops at --max-size, 74, never a success" {
	fault_up resetmid,ok
	# gzip's magic first: stdin is then taken as the archive itself
	xrun sh -c '{ printf "\037\213"; head -c 40M /dev/zero; } | sp-upload --retry-delay 0.01 --max-size 8M files'
	assert_failure 74
	[[ "$output" == *'"success":false'* ]] || fail "$output"
	[[ "$output$stderr" == *"reading the request body: File too large (over --max-size)"* ]] || fail "$output $stderr"
	[ "$(attempts)" -eq 1 ]
}
