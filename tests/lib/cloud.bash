# cloud.bash - helpers for tests that talk to sp-cloudd with curl: tenant
# URLs, one call with status, body and headers kept, and a second server
# with its own options. Load after helper: `load lib/cloud`.

# api TENANT [SUFFIX]: the URL of a tenant route.
api() { echo "$SP_API_URL/api/v1/cloud/tenants/$1${2:-}"; }

# call HEADERFILE|- METHOD URL [CURL ARGS...]: the status in $code, the
# body in ./body, the response headers in ./headers.
call() {
	local h=$1 m=$2 u=$3
	shift 3
	local auth=()
	[ "$h" = - ] || auth=(-H "@$h")
	rm -f body headers
	code=$(curl -sS -o body -D headers -w '%{http_code}' -X "$m" "${auth[@]}" "$@" "$u")
}

# start_cloudd LOG [ARGS...]: another sp-cloudd on the cloud database on a
# free port; sets URL2.
start_cloudd() {
	local log=$1 i
	shift
	: >"$log"
	DATABASE_URL=$CLOUD_DB sp-cloudd -l 127.0.0.1:0 "$@" 2>>"$log" &
	EXTRA_PIDS="${EXTRA_PIDS:-} $!"
	for i in $(seq 1 100); do
		URL2=$(sed -n 's/.*listening on //p' "$log")
		[ -n "$URL2" ] && return 0
		sleep 0.05
	done
	cat "$log" >&2
	return 1
}

# cloud_file_up: for setup_file: the environment (sp_env_up), $CLOUD_DB, and
# $H_LOCAL, a header file (mode 600) with the local tenant's token for curl.
cloud_file_up() {
	sp_env_up
	export CLOUD_DB=$SP_CLOUD_DATABASE_URL
	(umask 077; printf 'Authorization: Bearer %s\n' "$(cat "$SP_TOKEN_FILE")" >"$BATS_FILE_TMPDIR/local.hdr")
	export H_LOCAL=$BATS_FILE_TMPDIR/local.hdr
}

# stop_extra: for teardown: stop what start_cloudd (or the test) put in
# $EXTRA_PIDS, and fail on a sanitizer report in ./log2.
stop_extra() {
	local p
	for p in ${EXTRA_PIDS:-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -f "$BATS_TEST_TMPDIR/log2" ]; then
		! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$BATS_TEST_TMPDIR/log2" >&2
	fi
}
