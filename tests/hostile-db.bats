#!/usr/bin/env bats
# sp-cloudd over a database that stops answering (issue 15, item 3): the
# PostgreSQL processes are frozen with SIGSTOP (not killed: their sockets
# stay open and silent). Every request must end in a 503 with Retry-After
# within seconds, /healthz must answer without waiting and without naming
# the database, and all must recover when it thaws.

load helper
load lib/cloud

setup_file() {
	# it freezes the database: a cluster of its own
	export SP_OWN_CLUSTER=1
	cloud_file_up
	. "$BATS_FILE_TMPDIR/env/env"
	export PG_DATA=$PGBASE/data
}

teardown_file() {
	thaw || true
	sp_env_down
}

# pg_pids: the postmaster and every process it started.
pg_pids() {
	local pm
	pm=$(head -1 "$PG_DATA/postmaster.pid")
	echo "$pm" $(pgrep -P "$pm")
}

freeze() { kill -STOP $(pg_pids); }
thaw() { kill -CONT $(pg_pids) 2>/dev/null; }

teardown() {
	thaw || true
	stop_extra
}

# timed CURL-ARGS...: curl with a hard 20 s cap; $code, $secs, ./body.
timed() {
	local out
	out=$(curl -sS -o body -D headers -w '%{http_code} %{time_total}' --max-time 20 "$@" 2>&1) || true
	code=${out%% *}
	secs=${out##* }
}

lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

@test "a frozen database: 503 with Retry-After within seconds, /healthz never waits, then recovery" {
	CLOUD_DB="$CLOUD_DB connect_timeout=1" start_cloudd log2 --db-wait 1 --db-timeout 1 --db-connections 2
	u=$URL2/api/v1/cloud/tenants/local
	timed -H "@$H_LOCAL" "$u/files/manifest"
	[ "$code" = 200 ] || [ "$code" = 404 ] || fail "before: $code"
	freeze
	# /healthz: answered at once every time, 503 within the probe's 3 s
	for _ in $(seq 1 20); do
		timed "$URL2/healthz"
		lt "$secs" 0.5 || fail "healthz took $secs s"
		[ "$code" = 503 ] && break
		sleep 0.25
	done
	[ "$code" = 503 ] || fail "healthz: $code $(cat body)"
	grep -qi '^Retry-After: 1' headers
	run jq -r .error body
	assert_output "database unavailable"
	! grep -q -e "$PGBASE" -e "$PGPORT" body
	# token routes: three at once, each a 503 within a few seconds
	pids=
	for i in 1 2 3; do
		( mkdir "d$i" && cd "d$i" && timed -H "@$H_LOCAL" "$u/files/manifest"
		  echo "$code $secs $(jq -r .error body)" >"../r$i" ) &
		pids="$pids $!"
	done
	wait $pids
	for i in 1 2 3; do
		read -r c s msg <"r$i"
		[ "$c" = 503 ] || fail "request $i: $(cat "r$i")"
		lt "$s" 6 || fail "request $i took $s s"
		[ "$msg" = "database unavailable" ] || fail "request $i: $msg"
	done
	! grep -h -e "$PGBASE" -e "$PGPORT" d*/body
	# the details are in the server's log, not in any answer
	grep -q "database unavailable:" log2
	thaw
	for _ in $(seq 1 50); do
		timed "$URL2/healthz"
		[ "$code" = 200 ] && break
		sleep 0.2
	done
	[ "$code" = 200 ] || fail "healthz after thaw: $code"
	timed -H "@$H_LOCAL" "$u/files/manifest"
	[ "$code" = 200 ] || [ "$code" = 404 ] || fail "after: $code $(cat body)"
	grep -q "database answers again" log2
}

@test "a request stuck on the database is cut at --db-timeout; the pool wait is bounded by --db-wait" {
	start_cloudd log2 --db-wait 1 --db-timeout 1 --db-connections 1
	u=$URL2/api/v1/cloud/tenants/local
	timed -H "@$H_LOCAL" "$u/files/manifest"
	freeze
	t0=$(date +%s.%N)
	( mkdir d1 && cd d1 && timed -H "@$H_LOCAL" "$u/files/manifest"; echo "$code" >../first ) &
	first=$!
	sleep 0.3
	# the one connection is taken: the next request waits --db-wait, then 503
	timed -H "@$H_LOCAL" "$u/files/manifest"
	[ "$code" = 503 ] || fail "second: $code"
	lt "$secs" 2.5 || fail "second took $secs s"
	grep -q "no database connection free within 1 s" log2
	wait "$first"
	[ "$(cat first)" = 503 ]
	t1=$(date +%s.%N)
	lt "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" 6
	grep -q "database call running for over 3 s: connection closed" log2
	thaw
}

@test "a 100 MB row is refused at --max-row while it streams in, in bounded memory; nothing imported" {
	start_cloudd log2 --max-row 8M
	u=$URL2/api/v1/cloud/tenants/local
	python3 -c '
import sys
sys.stdout.write("{\"content\":[{\"id\":\"00000000-0000-5000-8000-000000000001\",\"source_id\":\"blog\",\"slug\":\"big\",\"body\":\"")
chunk = "x" * (1 << 20)
for _ in range(100):
    sys.stdout.write(chunk)
sys.stdout.write("\"}],\"timestamp\":\"2026-01-01T00:00:00Z\"}\n")' >big.json
	base=$(awk '/^VmHWM/ { print $2 }' "/proc/${EXTRA_PIDS##* }/status")
	timed -H "@$H_LOCAL" -H 'Content-Type: application/json' --data-binary @big.json "$u/database/import"
	[ "$code" = 400 ] || fail "$code $(cat body)"
	[[ "$(jq -r .error body)" == *"a row larger than 8388608 bytes"* ]] || fail "$(cat body)"
	grows=$(($(awk '/^VmHWM/ { print $2 }' "/proc/${EXTRA_PIDS##* }/status") - base))
	[ "$grows" -lt "$(rss_bound 65536)" ] || fail "the server grew by $grows KiB"
	timed -H "@$H_LOCAL" "$u/database/export"
	! grep -q '"slug":"big"' body
	# the tools: a record line over 64 MiB and a page over 16 MiB are refused, named
	python3 -c '
import sys
sys.stdout.write("{\"type\":\"row\",\"table\":\"content\",\"data\":{\"body\":\"")
for _ in range(70):
    sys.stdout.write("y" * (1 << 20))
sys.stdout.write("\"}}\n")' >big.ndjson
	run --separate-stderr /usr/bin/time -f '%M' -o rss.txt sp-diff big.ndjson /dev/null
	[ "$status" -eq 65 ] || fail "$status $stderr"
	[[ "$stderr" == *"big.ndjson:1: a record over 64 MiB"* ]] || fail "$stderr"
	[ "$(tail -1 rss.txt)" -lt "$(rss_bound 200000)" ]
	run --separate-stderr sp-dbimport big.ndjson
	[ "$status" -eq 65 ] || fail "$status $stderr"
	[[ "$stderr" == *"big.ndjson:1: a record over 64 MiB"* ]] || fail "$stderr"
	mkdir -p services/content/blog
	printf 'content_sources:\n  blog:\n    path: content/blog\n    source_id: blog\n    category_id: blog\n' >services/content/config.yaml
	{ printf -- '---\ntitle: Big\n---\n'; head -c 17M /dev/zero | tr '\0' z; } >services/content/blog/big.md
	run --separate-stderr sp-scan content services/content
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"services/content/blog/big.md: File too large"* ]] || fail "$stderr"
}

@test "timestamps outside RFC 3339 (year 99999, infinity) are refused by the API, naming the row" {
	start_cloudd log2
	u=$URL2/api/v1/cloud/tenants/local
	for ts in 99999-01-01T00:00:00Z infinity -0044-03-15T12:00:00Z; do
		printf '{"content":[{"id":"00000000-0000-5000-8000-0000000000ab","source_id":"blog","slug":"y","published_at":"%s"}],"timestamp":"2026-01-01T00:00:00Z"}' "$ts" >doc.json
		timed -H "@$H_LOCAL" -H 'Content-Type: application/json' --data-binary @doc.json "$u/database/import"
		[ "$code" = 400 ] || fail "$ts: $code $(cat body)"
		[[ "$(jq -r .error body)" == *'content[0]: content.published_at: "'"$ts"'" is outside RFC 3339 (years 0001-9999)'* ]] ||
			fail "$ts: $(cat body)"
	done
	printf '{"content":[{"id":"00000000-0000-5000-8000-0000000000ab","source_id":"blog","slug":"y","published_at":"9999-12-31T23:59:59.999999Z"}],"timestamp":"2026-01-01T00:00:00Z"}' >doc.json
	timed -H "@$H_LOCAL" -H 'Content-Type: application/json' --data-binary @doc.json "$u/database/import"
	[ "$code" = 200 ] || fail "$code $(cat body)"
	timed -H "@$H_LOCAL" "$u/database/export"
	[ "$(jq -r '.content[] | select(.slug == "y") | .published_at' body)" = 9999-12-31T23:59:59.999999Z ]
}
