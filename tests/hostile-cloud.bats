#!/usr/bin/env bats
# sp-cloudd under attack (issue 15, items 1 and 9): slow headers from one
# address and from many, uploads that drip, chunked uploads that never
# end. Each attack is bounded (tests/lib/slowpeer); a second client from
# another loopback address must still be served, and fast.

load helper
load lib/cloud

setup_file() {
	cloud_file_up
}

teardown_file() {
	sp_env_down
}

teardown() {
	stop_extra
}

# served ADDR URL: a GET of URL from source address ADDR; $code and $secs.
served() {
	local out
	out=$(curl -sS --interface "$1" -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 "$2" 2>&1) || true
	code=${out%% *}
	secs=${out##* }
}

# wait_for_file F: until F exists (at most 10 s).
wait_for_file() {
	local i
	for i in $(seq 1 200); do [ -e "$1" ] && return 0; sleep 0.05; done
	fail "$1 never appeared"
}

# lt A B: A < B for decimals.
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

@test "slowloris from one address: held to --max-per-address, others served at once" {
	start_cloudd log2 --max-per-address 8 --header-timeout 0
	slowpeer headers "$URL2/healthz" 40 2.5 --from 127.0.0.1 --ready ready >attack.json &
	peer=$!
	EXTRA_PIDS="$EXTRA_PIDS $peer"
	wait_for_file ready
	served 127.0.0.2 "$URL2/healthz"
	[ "$code" = 200 ] || fail "second client: $code"
	lt "$secs" 0.5 || fail "second client waited $secs s"
	wait "$peer" || fail "slowpeer failed"
	run jq -r '"\(.opened) \(.refused)"' attack.json
	assert_output "8 32"
}

@test "slowloris from many addresses: every connection cut at --header-timeout, the slots come back" {
	start_cloudd log2 --max-connections 24 --max-per-address 0 --header-timeout 2
	peers=()
	for i in 11 12 13; do
		slowpeer headers "$URL2/healthz" 8 6 --from "127.0.0.$i" --ready "ready$i" >"attack$i.json" &
		peers+=($!)
		EXTRA_PIDS="$EXTRA_PIDS $!"
	done
	for i in 11 12 13; do wait_for_file "ready$i"; done
	# every slot is held: a newcomer is turned away ...
	served 127.0.0.2 "$URL2/healthz"
	[ "$code" != 200 ] || fail "served although all slots were taken"
	# ... until the header deadline frees them
	t0=$(date +%s.%N)
	for _ in $(seq 1 40); do
		served 127.0.0.2 "$URL2/healthz"
		[ "$code" = 200 ] && break
		sleep 0.1
	done
	[ "$code" = 200 ] || fail "never served"
	waited=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	lt "$waited" 3 || fail "served only after $waited s"
	# each peer ends when its last connection is cut (or at 6 s)
	for p in "${peers[@]}"; do wait "$p" || fail "slowpeer failed"; done
	for i in 11 12 13; do
		run jq -r '"\(.opened) \(.closed | length) \(.open_at_end) \(.closed | max)"' "attack$i.json"
		read -r opened closed left last <<<"$output"
		[ "$opened" = 8 ] && [ "$closed" = 8 ] && [ "$left" = 0 ] || fail "attack $i: $output"
		lt "$last" 4.5 || fail "attack $i: the last connection lasted $last s"
	done
	grep -q "connection closed: no complete request headers within 2 s" log2
}

@test "an upload that drips is cut at --min-rate, its spool removed, nothing stored" {
	start_cloudd log2 --min-rate 1K --rate-time 2 --work-dir "$PWD/work"
	call "$H_LOCAL" GET "$URL2/api/v1/cloud/tenants/local/files/manifest"
	before=$code
	run slowpeer body "$URL2/api/v1/cloud/tenants/local/files" 8 --rate 10 --header "$(cat "$H_LOCAL")"
	assert_success
	last=$(jq -r '.closed[0]' <<<"$output")
	[ "$last" != null ] || fail "never cut: $output"
	lt "$last" 4.5 || fail "cut only after $last s"
	grep -q "connection closed: request body slower than 1024 bytes/s over 2 s" log2
	[ -z "$(ls -A work/spool)" ]
	call "$H_LOCAL" GET "$URL2/api/v1/cloud/tenants/local/files/manifest"
	[ "$code" = "$before" ]
	# a second client meanwhile and after: served
	served 127.0.0.2 "$URL2/healthz"
	[ "$code" = 200 ]
}

@test "a chunked upload that never ends is cut at --max-body, spool removed; a piped push over it is one clean 413" {
	start_cloudd log2 --max-body 1M --work-dir "$PWD/work"
	run slowpeer chunked "$URL2/api/v1/cloud/tenants/local/files" 10 --header "$(cat "$H_LOCAL")"
	assert_success
	sent=$(jq -r .sent <<<"$output")
	[ "$(jq -r '.closed | length' <<<"$output")" = 1 ] || fail "$output"
	# closed within the limit plus the kernel's buffers (the server side's
	# receive buffer may grow to tcp_rmem's maximum: 32 MiB on some
	# machines), not after the 10 s of an endless body (GiBs on loopback)
	rmem=$(awk '{print $3}' /proc/sys/net/ipv4/tcp_rmem 2>/dev/null || echo $((6 << 20)))
	[ "$sent" -lt $(((1 << 20) + rmem + (2 << 20))) ] || fail "sent $sent bytes before the close (tcp_rmem max $rmem)"
	[ -z "$(ls -A work/spool)" ]
	grep -q "POST /api/v1/cloud/tenants/local/files 413" log2
	# sp-upload from a pipe: the first attempt streams; the retry knows the
	# length, so the server refuses it before reading a byte of it
	head -c 3000000 /dev/urandom | gzip -1 >big.tgz
	run --separate-stderr sh -c "cat big.tgz | SP_API_URL=$URL2 sp-upload --retry-delay 0.01 files"
	assert_failure 65
	[[ "$output" == *"413 Content Too Large: request body over the limit of 1048576 bytes"* ]] || fail "$output"
	[ "$(grep -c 'retrying' <<<"$stderr")" -le 1 ]
}

@test "a body sent with a GET is dropped, and past 64 KiB the connection is closed" {
	start_cloudd log2
	head -c 1000 /dev/zero >small
	call "$H_LOCAL" GET "$URL2/healthz" --data-binary @small
	[ "$code" = 200 ]
	run slowpeer chunked "$URL2/healthz" 10 --method GET
	[ "$(jq -r '.closed | length' <<<"$output")" = 1 ] || fail "$output"
	[ "$(jq -r .sent <<<"$output")" -lt $((4 << 20)) ] || fail "$output"
	grep -q "GET /healthz 413" log2
}

@test "libmicrohttpd's own refusals (headers over 256 KiB, a malformed request) are logged, path without query" {
	start_cloudd log2
	python3 -c 'print("X-Big: " + "a" * 300000)' >bigh
	code=$(curl -s -o body -w '%{http_code}' -H @bigh "$URL2/healthz?secret=spt_x")
	[ "$code" = 431 ]
	# the one reply that is not JSON: libmicrohttpd's fixed page (sp-cloudd(8))
	grep -q 'Request too big' body
	python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode())' "${URL2##*:}" >status
	grep -q '^HTTP/1.1 400' status
	sleep 0.2
	grep -q -- "- /healthz 0 0 .*(refused by libmicrohttpd: a malformed request, or headers over its 256 KiB)" log2
	[ "$(grep -c 'refused by libmicrohttpd' log2)" -ge 2 ]
	! grep -q 'secret' log2
}

@test "two sp-cloudd on one --work-dir: the second is refused naming the first, whose spool stays; a dead one's lock is no obstacle" {
	start_cloudd log2 --work-dir "$PWD/work"
	first=$URL2
	mkfile work/spool/.sp-tmp.inflight "a request in progress"
	run --separate-stderr env DATABASE_URL="$CLOUD_DB" sp-cloudd -l 127.0.0.1:0 --work-dir "$PWD/work"
	assert_failure 73
	[[ "$stderr" == *"work: in use by another sp-cloudd (pid "* ]] || fail "$stderr"
	[ -e work/spool/.sp-tmp.inflight ]
	served 127.0.0.2 "$first/healthz"
	[ "$code" = 200 ]
	# once it is gone (kill -9: no clean-up), the next one starts and sweeps
	for p in $EXTRA_PIDS; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	EXTRA_PIDS=
	start_cloudd log3 --work-dir "$PWD/work"
	[ ! -e work/spool/.sp-tmp.inflight ]
	# the lock names the server that holds it
	[ "$(cat work/lock)" = "${EXTRA_PIDS##* }" ] || fail "lock: $(cat work/lock), server ${EXTRA_PIDS##* }"
}

@test "--trusted-proxy: the access log names the client from X-Forwarded-For only when a trusted proxy sent it" {
	start_cloudd log2 --trusted-proxy 127.0.0.2 --trusted-proxy 10.9.9.9
	xff() { curl -sS --interface "$1" -o /dev/null -H "X-Forwarded-For: $2" "$URL2/healthz"; }
	# from the trusted balancer: the rightmost address it (and a trusted
	# proxy before it) appended; what the client wrote to the left is not believed
	xff 127.0.0.2 "6.6.6.6, 203.0.113.7"
	xff 127.0.0.2 "6.6.6.6, 198.51.100.4, 10.9.9.9"
	# from anyone else the header is ignored, as is garbage
	xff 127.0.0.3 "203.0.113.8"
	xff 127.0.0.2 "not-an-address"
	run grep -o 'Z [0-9a-f.:-]* GET /healthz' log2
	assert_output "$(printf 'Z %s GET /healthz\n' 203.0.113.7 198.51.100.4 127.0.0.3 127.0.0.2)"
	run --separate-stderr env DATABASE_URL="$CLOUD_DB" sp-cloudd --trusted-proxy nonsense
	assert_failure 2
}
