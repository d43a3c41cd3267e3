#!/usr/bin/env bats
# Conventions every tool shares: -h, --version, usage errors, man pages.

load helper

tools() {
	local f
	for f in "$REPO"/cmd/sp-*.c; do basename "$f" .c; done
}

@test "every tool: -h prints usage on stdout and exits 0" {
	for t in $(tools); do
		run "$t" -h
		assert_success
		[[ "$output" == usage:* ]] || fail "$t -h: $output"
	done
}

@test "every tool: --version prints its name and the version" {
	for t in $(tools); do
		run "$t" --version
		assert_success
		[[ "$output" =~ ^$t\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "$t --version: $output"
	done
}

@test "every tool: an unknown option exits 2 with the usage on stderr" {
	for t in $(tools); do
		run --separate-stderr "$t" --no-such-option
		[ "$status" -eq 2 ] || fail "$t: status $status"
		[ -z "$output" ] || fail "$t wrote to stdout"
		[[ "$stderr" == *usage:* ]] || fail "$t: no usage on stderr"
	done
}

@test "every tool and script has a man page, and mandoc -Tlint finds nothing" {
	for t in $(tools) sp-env; do
		ls "$REPO"/man/man[18]/"$t".[18] >/dev/null 2>&1 || fail "$t has no man page"
	done
	[ -f "$REPO/man/man7/sp.7" ]
	run mandoc -Tlint -W warning "$REPO"/man/man*/*.[0-9]
	assert_success
	assert_output ""
}

@test "every shell script is shellcheck-clean" {
	run shellcheck -x "$REPO"/scripts/sp-env "$REPO"/scripts/sp-sync "$REPO"/scripts/sp-local \
		"$REPO"/scripts/sp-lib.sh "$REPO"/scripts/demo "$REPO"/scripts/install-deps "$REPO"/tests/run "$REPO"/tests/fuzz/run
	assert_success
	assert_output ""
}

@test "make install and uninstall honour PREFIX and DESTDIR" {
	make -s -C "$REPO" install PREFIX=/opt/sp DESTDIR="$BATS_TEST_TMPDIR/root" >/dev/null
	for t in $(tools); do
		[ -x "root/opt/sp/bin/$t" ] || fail "$t not installed"
	done
	[ -f root/opt/sp/share/man/man7/sp.7 ]
	[ -f root/opt/sp/share/man/man1/sp-collect.1 ]
	[ -x root/opt/sp/bin/sp-env ]
	[ -x root/opt/sp/bin/sp-sync ]
	[ -f root/opt/sp/share/sp/sync.mk ]
	# the installed scripts find their shared library there
	[ -f root/opt/sp/share/sp/sp-lib.sh ]
	PATH="$PWD/root/opt/sp/bin:$PATH" run root/opt/sp/bin/sp-local skills to-disk --bogus
	assert_failure 2
	assert_line "sp-local: unknown option --bogus"
	make -s -C "$REPO" uninstall PREFIX=/opt/sp DESTDIR="$BATS_TEST_TMPDIR/root" >/dev/null
	run find root -type f
	assert_output ""
}
