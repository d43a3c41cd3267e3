# transfer.bash - helpers for the sp-upload/sp-download tests: a fault
# injecting server (tests/lib/faultd) per test, and a check that no
# output ever contains the token. Load after helper: `load lib/transfer`.

# fault_up PLAN [FAULTD OPTION]...: start faultd with PLAN; exports
# SP_API_URL, SP_TENANT and SP_TOKEN_FILE (a fresh random token).
fault_up() {
	FAULT_DIR=$BATS_TEST_TMPDIR/fault
	mkdir -p "$FAULT_DIR"
	rm -f "$FAULT_DIR/port" "$FAULT_DIR/log"
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$FAULT_DIR/token"
	chmod 600 "$FAULT_DIR/token"
	faultd --dir "$FAULT_DIR" --plan "$1" --token-file "$FAULT_DIR/token" "${@:2}" 3>&- &
	FAULT_PID=$!
	local i
	for i in $(seq 1 200); do
		[ -s "$FAULT_DIR/port" ] && break
		sleep 0.05
	done
	[ -s "$FAULT_DIR/port" ] || { echo "faultd did not start" >&2; return 1; }
	: >>"$FAULT_DIR/log"
	local scheme=http
	[[ " $* " == *" --tls "* ]] && scheme=https
	export SP_API_URL=$scheme://127.0.0.1:$(cat "$FAULT_DIR/port")
	export SP_TENANT=t1 SP_TOKEN_FILE=$FAULT_DIR/token
}

# fault_down: stop faultd (teardown calls it).
fault_down() {
	if [ -n "${FAULT_PID:-}" ]; then
		kill "$FAULT_PID" 2>/dev/null || true
		wait "$FAULT_PID" 2>/dev/null || true
		FAULT_PID=
	fi
}

# attempts: how many requests faultd saw.
attempts() {
	wc -l <"$FAULT_DIR/log" | tr -d ' '
}

# logf N FIELD: FIELD of the Nth request faultd logged (jq syntax, raw).
logf() {
	sed -n "$1p" "$FAULT_DIR/log" | jq -r ".$2"
}

# xrun CMD...: `run --separate-stderr`, keeping a transcript of every
# stdout and stderr for the token check in teardown.
xrun() {
	run --separate-stderr "$@"
	printf '%s\n%s\n' "$output" "$stderr" >>"$BATS_TEST_TMPDIR/transcript"
}

# no_token_anywhere: fail when the token appears in any transcript or
# in any file the test left (the token file itself aside).
no_token_anywhere() {
	local tok
	[ -n "${SP_TOKEN_FILE:-}" ] && [ -s "$SP_TOKEN_FILE" ] || return 0
	tok=$(cat "$SP_TOKEN_FILE")
	if grep -rlaF --exclude=token -e "$tok" "$BATS_TEST_TMPDIR" >&2; then
		echo "the token leaked into the files above" >&2
		return 1
	fi
}

teardown() {
	fault_down
	no_token_anywhere
}

# sha FILE: its SHA-256.
sha() {
	sha256sum "$1" | cut -c1-64
}
