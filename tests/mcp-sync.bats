#!/usr/bin/env bats
# sp-mcp driving the real sp-sync against a real sp-cloudd.

load helper

setup_file() {
	sp_env_up
}

teardown_file() {
	sp_env_down
}

init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bats","version":"1"}}}'
inited='{"jsonrpc":"2.0","method":"notifications/initialized"}'

call() {
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"sync","arguments":%s}}' "$1" "$2"
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	DATABASE_URL=$SP_CLOUD_DATABASE_URL sp-cloudd tenant add "m$BATS_TEST_NUMBER" >token
	chmod 600 token
	export SP_TENANT=m$BATS_TEST_NUMBER SP_TOKEN_FILE=$BATS_TEST_TMPDIR/token SP_SERVICES=$BATS_TEST_TMPDIR/services
	mkfile services/config/app.yaml "port: 1"
	mkfile services/agents/a.yaml "name: a"
}

@test "mcp: a dry-run files push through sp-sync changes nothing and returns its result" {
	run --separate-stderr sp-mcp < <(printf '%s\n' "$init" "$inited" "$(call 2 '{"target":"files","direction":"push","dry_run":true}')")
	assert_success
	run jq -c 'select(.id == 2) | .result | [.isError // false, .structuredContent.results[0].operation, .structuredContent.results[0].items_synced, .structuredContent.results[0].details.dry_run]' <<<"$output"
	assert_output '[false,"files_push",2,true]'
	[ -z "$(sp-download -q manifest --missing-ok)" ]
}

@test "mcp: a real push with a filter, then the same call finds nothing to do" {
	run --separate-stderr sp-mcp < <(printf '%s\n' "$init" "$inited" \
		"$(call 2 '{"target":"files","direction":"push","filter":"config/**"}')")
	run jq -c 'select(.id == 2) | .result.structuredContent.results[0] | [.success, .items_synced, .details.added]' <<<"$output"
	assert_output '[true,1,["config/app.yaml"]]'
	run sp-download -q manifest
	assert_output --partial config/app.yaml
	refute_output --partial agents/a.yaml
	run --separate-stderr sp-mcp < <(printf '%s\n' "$init" "$inited" \
		"$(call 3 '{"target":"files","direction":"push","filter":"config/**"}')")
	run jq -c 'select(.id == 3) | .result.structuredContent.results[0] | [.items_synced, .details.unchanged]' <<<"$output"
	assert_output '[0,true]'
}

@test "mcp: a sync that fails comes back as isError with its message, never the token" {
	echo "spt_0000000000000000_$(printf '%064d' 0)" >token
	chmod 600 token
	run --separate-stderr sp-mcp < <(printf '%s\n' "$init" "$inited" "$(call 2 '{"target":"files","direction":"push"}')")
	assert_success
	out=$output
	refute_secret "$out" "$stderr"
	run jq -c 'select(.id == 2) | .result.isError' <<<"$out"
	assert_output true
	run jq -r 'select(.id == 2) | .result.content[0].text' <<<"$out"
	assert_output --partial unauthorized
}
