#!/usr/bin/env bats
# tests/unit/unit.c: the table-driven cases of lib/'s pure functions, one
# group per test (built by `make all` beside the objects; under make asan
# the instrumented one).

load helper

unit() {
	local obj
	if [ "$SP_BIN" = "$REPO/bin" ]; then obj=$REPO/build/obj; else obj=$(dirname "$SP_BIN")/obj; fi
	run "$obj/tests/unit/unit" "$@"
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *" checks, 0 failed" ]] || fail "$output"
}

@test "unit: timestamps (RFC 3339 normalising, PostgreSQL's range, civil days)" { unit tstamp; }
@test "unit: globs and include/exclude rules" { unit glob; }
@test "unit: tree paths, UTF-8, shown names, base64" { unit path; }
@test "unit: UUIDv5 against python's uuid, parsing and formatting" { unit uuid; }
@test "unit: the manifest checksum against hashlib; manifest text round trip and refusals" { unit mchecksum; }
@test "unit: YAML to JSON types, refusals with line and column, dump -> load round trip" { unit yaml; }
