#!/usr/bin/env bats
# sp-upload and sp-download against a fault-injecting server (tests/lib/faultd):
# retries, backoff, Retry-After, timeouts, resets, exit statuses, and that the
# token never appears in any output (teardown greps every transcript).

load helper
load lib/transfer

FAST=(--retry-delay 0.01)
# curl averages the speed over 5 s: a high limit makes a stall count at once
STALL=(--speed-time 1 --speed-limit 2M)

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	head -c 3000000 /dev/urandom >blob
	gzip -1 -c blob >a.tgz
}

@test "503, 503, then ok: three attempts, exit 0, each retry noted" {
	fault_up 503,503,ok
	xrun sp-upload "${FAST[@]}" files a.tgz
	assert_success
	[ "$(attempts)" -eq 3 ]
	[ "$(logf 3 sha256)" = "$(sha a.tgz)" ]
	[ "$(logf 1 auth)" = ok ] && [ "$(logf 3 auth)" = ok ]
	[[ "$stderr" == *"503 Service Unavailable: injected 503; attempt 1 of 5 failed"* ]]
	[[ "$stderr" == *"attempt 2 of 5 failed"* ]]
	[ "$(jq -r .details.attempts <<<"$output")" = 3 ]
	[ "$(jq -r .success <<<"$output")" = true ]
}

@test "502 and 504 are retried as well" {
	fault_up 502,504,ok
	xrun sp-download "${FAST[@]}" manifest --missing-ok
	assert_success
	[ "$(attempts)" -eq 3 ]
}

@test "503 forever: exactly --attempts attempts, then 75 with a failed result record" {
	fault_up 503
	xrun sp-upload "${FAST[@]}" --attempts 4 files a.tgz
	[ "$status" -eq 75 ]
	[ "$(attempts)" -eq 4 ]
	[[ "$stderr" == *"gave up after 4 attempts"* ]]
	[ "$(jq -r .success <<<"$output")" = false ]
	[ "$(jq -r .details.code <<<"$output")" = 75 ]
	[[ "$(jq -r '.errors[0]' <<<"$output")" == *"503"* ]]
}

@test "default: at most 5 attempts" {
	fault_up 503
	xrun sp-download "${FAST[@]}" manifest
	[ "$status" -eq 75 ]
	[ "$(attempts)" -eq 5 ]
}

@test "--attempts 1 never retries" {
	fault_up 503,ok
	xrun sp-download "${FAST[@]}" --attempts 1 manifest
	[ "$status" -eq 75 ]
	[ "$(attempts)" -eq 1 ]
}

@test "429 with Retry-After: the retry waits at least that long" {
	fault_up 429:1,ok
	xrun sp-upload --retry-delay 0 files a.tgz
	assert_success
	[ "$(attempts)" -eq 2 ]
	t1=$(logf 1 t) t2=$(logf 2 t)
	python3 -c "import sys; sys.exit(0 if $t2 - $t1 >= 0.95 else 1)"
	[[ "$stderr" == *"429 Too Many Requests"*"retrying in 1.0 s"* ]]
}

@test "Retry-After as an HTTP date is honoured too" {
	fault_up 503:date,ok
	xrun sp-download --retry-delay 0 manifest --missing-ok
	assert_success
	[ "$(attempts)" -eq 2 ]
	t1=$(logf 1 t) t2=$(logf 2 t)
	python3 -c "import sys; sys.exit(0 if $t2 - $t1 >= 0.95 else 1)"
}

@test "a server asking to wait more than 300 s is not waited for: 75 after one attempt" {
	fault_up 503:3600,ok
	xrun sp-download "${FAST[@]}" manifest
	[ "$status" -eq 75 ]
	[ "$(attempts)" -eq 1 ]
	[[ "$stderr" == *"asks to retry in 3600 s"* ]]
}

@test "connection reset before an answer is retried" {
	fault_up reset,drop,ok
	xrun sp-upload "${FAST[@]}" files a.tgz
	assert_success
	[ "$(attempts)" -eq 3 ]
}

@test "a reset half-way through an upload: the retry sends the body from the start" {
	fault_up resetmid,ok
	xrun sp-upload "${FAST[@]}" files a.tgz
	assert_success
	[ "$(attempts)" -eq 2 ]
	[ "$(logf 1 len)" -lt 3000000 ]
	[ "$(logf 2 len)" -eq "$(stat -c %s a.tgz)" ]
	[ "$(logf 2 sha256)" = "$(sha a.tgz)" ]
	[ "$(jq -r .details.archive_sha256 <<<"$output")" = "$(sha a.tgz)" ]
}

@test "a piped archive is spooled: the retry after a reset sends it whole, with its length" {
	fault_up resetmid,503,ok
	xrun sh -c 'cat a.tgz | sp-upload --retry-delay 0.01 files'
	assert_success
	[ "$(attempts)" -eq 3 ]
	[ "$(logf 1 chunked)" = true ]
	# the retries read the pipe to its end first: the length is known
	[ "$(logf 3 chunked)" = false ]
	[ "$(logf 3 len)" -eq "$(stat -c %s a.tgz)" ]
	[ "$(logf 3 sha256)" = "$(sha a.tgz)" ]
	[ "$(jq -r .details.archive_size <<<"$output")" -eq "$(stat -c %s a.tgz)" ]
}

@test "a server that stalls after the upload: low-speed timeout, retried" {
	fault_up stall,ok
	xrun sp-upload "${FAST[@]}" "${STALL[@]}" files a.tgz
	assert_success
	[ "$(attempts)" -eq 2 ]
	[[ "$stderr" == *"transfer stalled"* ]]
}

@test "a download that stalls half-way resumes with Range and If-Range" {
	fault_up stall,ok --serve /files=a.tgz
	xrun sp-download "${FAST[@]}" "${STALL[@]}" files -o out.tgz
	assert_success
	cmp out.tgz a.tgz
	[ "$(attempts)" -eq 2 ]
	[ "$(logf 1 range)" = null ]
	[[ "$(logf 2 range)" == bytes=[1-9]*- ]]
	[ "$(logf 2 if_range)" = "\"$(sha a.tgz)\"" ]
	[ "$(jq -r .details.sha256 <<<"$output")" = "$(sha a.tgz)" ]
	[ "$(jq -r .details.attempts <<<"$output")" = 2 ]
}

@test "a download reset half-way to stdout resumes by skipping when the server ignores Range" {
	fault_up resetmid,resetmid,ok --serve /files=a.tgz --no-range
	run sh -c 'sp-download --retry-delay 0.01 files > out.tgz 2>err'
	assert_success
	cmp out.tgz a.tgz
	[ "$(attempts)" -eq 3 ]
	[[ "$(logf 3 range)" == bytes=* ]]
}

@test "401: exit 77 unauthorized, one attempt, no result on success" {
	fault_up 401,ok
	xrun sp-upload "${FAST[@]}" files a.tgz
	[ "$status" -eq 77 ]
	[ "$(attempts)" -eq 1 ]
	[[ "$stderr" == *"unauthorized (401 Unauthorized: injected 401)"* ]]
	[ "$(jq -r .success <<<"$output")" = false ]
}

@test "403: exit 77, one attempt" {
	fault_up 403,ok
	xrun sp-download "${FAST[@]}" manifest
	[ "$status" -eq 77 ]
	[ "$(attempts)" -eq 1 ]
	[[ "$stderr" == *unauthorized* ]]
}

@test "a deploy whose answer is lost is retried with the same request_id" {
	fault_up drop,ok
	xrun sp-upload "${FAST[@]}" deploy app v1
	assert_success
	[ "$(attempts)" -eq 2 ]
	# the server read the same body twice: one request, one deployment
	[ "$(logf 1 len)" -gt 0 ]
	[ "$(logf 1 sha256)" = "$(logf 2 sha256)" ]
	[ "$(sha256sum <"$FAULT_DIR/body" | cut -c1-64)" = "$(logf 2 sha256)" ]
	jq -e '.request_id | test("^[0-9a-f-]{36}$")' "$FAULT_DIR/body"
}

@test "400: exit 65 with the server's message, never retried" {
	fault_up 400,ok
	xrun sp-upload "${FAST[@]}" deploy app v1
	[ "$status" -eq 65 ]
	[ "$(attempts)" -eq 1 ]
	[[ "$stderr" == *"400 Bad Request: injected 400"* ]]
}

@test "404: exit 65, never retried; manifest --missing-ok makes it empty" {
	fault_up 404
	xrun sp-download "${FAST[@]}" files -o out.tgz
	[ "$status" -eq 65 ]
	[ "$(attempts)" -eq 1 ]
	[[ "$stderr" == *"404 Not Found: injected 404"* ]]
	[ ! -e out.tgz ]
	[ -z "$(ls -A . | grep sp-tmp)" ]
	xrun sp-download "${FAST[@]}" manifest --missing-ok
	assert_success
	[ -z "$output" ]
}

@test "500: exit 69 with the first line of a text answer, not retried" {
	fault_up text500,ok
	xrun sp-download "${FAST[@]}" manifest
	[ "$status" -eq 69 ]
	[ "$(attempts)" -eq 1 ]
	[[ "$stderr" == *"500 Internal Server Error: internal trouble" ]]
}

@test "a server that echoes the Authorization header: the message is redacted" {
	fault_up echo401
	xrun sp-download "${FAST[@]}" manifest
	[ "$status" -eq 77 ]
	[[ "$stderr" == *"bad credentials: Bearer [REDACTED]"* ]]
}

@test "-v traces the request with Authorization redacted" {
	fault_up ok --serve /files/manifest=m.json
	echo '{"version":1,"files":[]}' >m.json
	xrun sp-download -v manifest
	assert_success
	[[ "$stderr" == *"> GET /api/v1/cloud/tenants/t1/files/manifest HTTP/1.1"* ]]
	[[ "$stderr" == *"> Authorization: [REDACTED]"* ]]
	[[ "$stderr" == *"< HTTP/1.1 200 OK"* ]]
}

@test "a GET redirect is followed without the Authorization header" {
	fault_up redirect,ok --serve /files/manifest=m.json
	echo '{"version":1,"files":[{"path":"a","size":1,"mode":"0644","sha256":"'"$(printf x | sha256sum | cut -c1-64)"'"}]}' >m.json
	xrun sp-download "${FAST[@]}" manifest
	assert_success
	[ "$(jq -r .path <<<"$output")" = a ]
	[ "$(attempts)" -eq 2 ]
	[ "$(logf 1 auth)" = ok ]
	[ "$(logf 2 path)" = /elsewhere/api/v1/cloud/tenants/t1/files/manifest ]
	[ "$(logf 2 auth)" = none ]
}

@test "an upload that is redirected is an error, never re-sent, never a success (issue 15.5)" {
	for cmd in "sp-upload files a.tgz" "sp-upload database rows.ndjson"; do
		fault_up redirect,ok
		printf '{"type":"row","table":"content","data":{"id":"x"}}\n' >rows.ndjson
		xrun $cmd "${FAST[@]}"
		assert_failure 69
		[[ "$output" == *'"success":false'* ]] || fail "$output"
		[[ "$stderr$output" == *"the server redirects (302) to http://127.0.0.1:"*"; a request with a body is not sent on"* ]] ||
			fail "$stderr$output"
		[ "$(attempts)" -eq 1 ]
		[ "$(grep -c elsewhere "$FAULT_DIR/log")" = 0 ]
		fault_down
	done
}

@test "connection refused: retried, then 75" {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	SP_TOKEN=x SP_TENANT=t1 xrun sp-download "${FAST[@]}" --attempts 3 --url "http://127.0.0.1:$port" manifest
	[ "$status" -eq 75 ]
	[ "$(grep -c retrying <<<"$stderr")" -eq 2 ]
	[[ "$stderr" == *"gave up after 3 attempts"* ]]
}

@test "a server that never accepts: connect timeout, retried, then 75" {
	fault_up ok --blackhole
	xrun sp-download "${FAST[@]}" --connect-timeout 0.5 --attempts 2 manifest
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"imeout"*"gave up after 2 attempts"* ]]
}

@test "TLS: verified against --cacert, refused without it unless --insecure" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	echo '{"version":1,"files":[]}' >m.json
	fault_up ok --tls cert.pem key.pem --serve /files/manifest=m.json
	[[ "$SP_API_URL" == https://* ]]
	xrun sp-download "${FAST[@]}" manifest
	[ "$status" -eq 69 ]
	[ "$(attempts)" -eq 0 ]
	refute [ "$(grep -c retrying <<<"$stderr")" -gt 0 ]
	xrun sp-download --cacert cert.pem manifest
	assert_success
	xrun sp-download --insecure manifest
	assert_success
	[ "$(attempts)" -eq 2 ]
}

@test "a write error on stdout: 74" {
	fault_up ok
	xrun sh -c 'sp-upload --retry-delay 0.01 files a.tgz >/dev/full'
	[ "$status" -eq 74 ]
}

@test "progress line only when stderr is a terminal, and -q silences it" {
	fault_up ok --serve /files=a.tgz
	xrun sp-download files -o out.tgz
	assert_success
	[ -z "$stderr" ]
	command -v script >/dev/null || skip "script(1) not installed"
	# the download is quick; a stalled half makes the line appear
	fault_down
	fault_up stall,ok --serve /files=a.tgz
	script -qec "sp-download --retry-delay 0.01 --speed-time 1 --speed-limit 2M files -o out2.tgz" /dev/null >tty.out
	grep -q 'MiB' tty.out
	cmp out2.tgz a.tgz
	fault_down
	fault_up stall,ok --serve /files=a.tgz
	script -qec "sp-download -q --retry-delay 0.01 --speed-time 1 --speed-limit 2M files -o out3.tgz" /dev/null >tty.out
	! grep -q 'MiB' tty.out
	! grep -q retrying tty.out
	cmp out3.tgz a.tgz
}
