# helper.bash - loaded by every test file: the fresh build first on PATH,
# a fixed locale and time zone, a private working directory.

REPO=$(cd "$(dirname "${BATS_TEST_FILENAME}")/.." && pwd)
SP_BIN=${SP_BIN:-$REPO/bin}
export PATH="$SP_BIN:$REPO/scripts:$PATH"
# tests/run's python3 itself, not a version manager's shim (pyenv's costs
# 70 ms of bash per call)
[ -n "${SP_TEST_PYDIR:-}" ] && PATH="$SP_TEST_PYDIR:$PATH"
export LC_ALL=C TZ=UTC
export SP_ENV_FAST=1
# No configuration leaks in from the developer's shell.
unset SP_API_URL SP_TENANT SP_TOKEN SP_TOKEN_FILE SP_SERVICES DATABASE_URL \
	SP_CLOUD_DATABASE_URL SP_REGISTRY_TOKEN SP_REGISTRY_TOKEN_FILE
# ... except what this file's sp_env_up exported (bats reloads this per test).
# shellcheck disable=SC1091
[ -n "${BATS_FILE_TMPDIR:-}" ] && [ -f "$BATS_FILE_TMPDIR/env.sh" ] && . "$BATS_FILE_TMPDIR/env.sh"

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# sp_env_up: the environment of this test file (two databases in the run's
# PostgreSQL, or with SP_OWN_CLUSTER=1 a cluster of its own, and an
# sp-cloudd); call from setup_file. Exports what `sp-env up` prints.
sp_env_up() {
	local out
	if [ "${SP_OWN_CLUSTER:-}" = 1 ]; then
		out=$(env -u SP_ENV_CLUSTER sp-env up "$BATS_FILE_TMPDIR/env") || return 1
	else
		out=$(sp-env up "$BATS_FILE_TMPDIR/env") || return 1
	fi
	printf '%s\n' "$out" >"$BATS_FILE_TMPDIR/env.sh"
	eval "$out"
}

# sp_env_down: stop and delete the environment; call from teardown_file.
sp_env_down() {
	sp-env purge "$BATS_FILE_TMPDIR/env" >/dev/null 2>&1 || true
}

# db_url NAME: $DATABASE_URL naming database NAME instead.
db_url() {
	printf '%s\n' "$DATABASE_URL" | sed "s/dbname=[^ ]*/dbname=$1/"
}

# mkfile PATH [CONTENT]: create PATH (and its directories) with CONTENT.
mkfile() {
	case $1 in */*) mkdir -p "${1%/*}" ;; esac
	printf '%s' "${2-}" >"$1"
}

# no_secret TEXT...: fail when a known secret appears in TEXT.
refute_secret() {
	local s
	for s in "${SP_TOKEN:-}" ${SP_TOKEN_FILE:+"$(cat "$SP_TOKEN_FILE" 2>/dev/null)"}; do
		[ -n "$s" ] || continue
		if [[ "$*" == *"$s"* ]]; then
			echo "secret found in output" >&2
			return 1
		fi
	done
}

export PATH="$REPO/tests/lib:$PATH"

# weird_tree DIR: names with spaces, quotes, newlines, non-ASCII and
# invalid UTF-8, empty files, a deep chain, and symlinks of every kind.
weird_tree() {
	local d=$1 i p
	mkdir -p "$d"
	mkfile "$d/plain.txt" "hello"
	mkfile "$d/with space/and 'quotes\".md" "q"
	mkfile "$d/"$'new\nline' "nl"
	mkfile "$d/"$'tab\there' "tab"
	mkfile "$d/"$'caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.md' "unicode"
	mkfile "$d/"$'bad\xffname' "invalid utf-8"
	mkfile "$d/"$'dir\xfe/inner' "inside a non-UTF-8 directory"
	: >"$d/empty"
	mkdir -p "$d/emptydir"
	p=$d/deep
	for i in $(seq 1 40); do p=$p/d$i; done
	mkfile "$p/bottom" "deep"
	mkfile "$d/a.txt" "sorts before a/"
	mkfile "$d/a/b" "b"
	mkfile "$d/a-b" "dash"
	ln -s plain.txt "$d/link-to-file"
	ln -s a "$d/link-to-dir"
	ln -s does-not-exist "$d/dangling"
	ln -s loop2 "$d/loop1"
	ln -s loop1 "$d/loop2"
	ln -s ../../etc/passwd "$d/a/outside"
	printf '%s' "exec" >"$d/run.sh"
	chmod 755 "$d/run.sh"
	head -c 300000 /dev/urandom >"$d/random.bin"
}

# as_nobody CMD...: run CMD as an unprivileged user when we are root (for
# permission tests); as ourselves otherwise.
as_nobody() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

# public_tmp: a fresh directory an unprivileged user can enter.
public_tmp() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/sp-test.XXXXXX")
	chmod 755 "$d"
	echo "$d"
}

# rss_bound KIB: a peak-RSS bound in KiB for an assertion: KIB itself, or
# under `make asan` (SP_SANITIZED=1), whose shadow memory, redzones and
# quarantine grow every allocation, KIB*4 + 256 MiB. The bounds are the
# release build's; the sanitized run still catches a bound gone wrong by
# an order of magnitude.
rss_bound() {
	if [ -n "${SP_SANITIZED:-}" ]; then echo $(($1 * 4 + 262144)); else echo "$1"; fi
}
