#!/usr/bin/env bats
# sp-mcp: the MCP server, spoken to in raw JSON-RPC and by the official MCP
# TypeScript SDK client. The sync it runs is a stand-in from tests/lib
# (manifest-sync, failing-sync, slow-sync) until sp-sync exists.

load helper

init() { # init VERSION: an initialize request with id 0
	printf '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"%s","capabilities":{},"clientInfo":{"name":"bats","version":"1"}}}\n' "$1"
	echo '{"jsonrpc":"2.0","method":"notifications/initialized"}'
}

# session VERSION LINE...: initialize with VERSION, send the lines, close;
# stdout in out, stderr in err, exit status in $rc.
session() {
	local v=$1
	shift
	{ init "$v"; printf '%s\n' "$@"; } | sp-mcp >out 2>err
	rc=$?
}

resp() { jq -c "select(.id == $1)" out; }

call() { # call ID ARGS-JSON: a tools/call of sync
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"sync","arguments":%s}}' "$1" "$2"
}

services() {
	mkfile services/agents/a.yml "name: a"
	mkfile services/skills/s1/config.yml "id: s1"
	mkfile services/skills/s1/SKILL.md "do it"
	mkfile services/content/blog/post.md "# post"
	export SP_SERVICES=$PWD/services
}

@test "sp-mcp: initialize echoes every supported version, else answers the latest" {
	for v in 2024-11-05 2025-03-26 2025-06-18 2025-11-25; do
		session "$v"
		[ "$rc" -eq 0 ]
		run jq -r '.result.protocolVersion' out
		assert_output "$v"
	done
	run jq -c '.result | [.capabilities, .serverInfo.name, (.serverInfo.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$"))]' out
	assert_output '[{"tools":{}},"sp-mcp",true]'
	session 1999-01-01
	run jq -r '.result.protocolVersion' out
	assert_output 2025-11-25
	# exactly one line: the notification got no answer
	[ "$(wc -l <out)" -eq 1 ]
	echo '{"jsonrpc":"2.0","id":7,"method":"initialize","params":{}}' | sp-mcp >out
	run jq -c '[.id, .error.code]' out
	assert_output '[7,-32602]'
}

@test "sp-mcp: ping answers {}, notifications are never answered" {
	session 2025-11-25 '{"jsonrpc":"2.0","id":"p-1","method":"ping"}' \
		'{"jsonrpc":"2.0","method":"notifications/whatever","params":{}}' \
		'{"jsonrpc":"2.0","method":"no/such/method"}' \
		'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}}'
	[ "$rc" -eq 0 ]
	run jq -c 'select(.id == "p-1")' out
	assert_output '{"jsonrpc":"2.0","id":"p-1","result":{}}'
	[ "$(wc -l <out)" -eq 2 ]	# initialize and ping only
}

@test "sp-mcp: tools/list offers sync with the schema of sp-mcp(1), enums and descriptions" {
	session 2025-11-25 '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}'
	run jq -c '.result.tools | map(.name)' <(resp 1)
	assert_output '["sync"]'
	run jq -c '.result.tools[0].inputSchema | [.type, .required, .properties.target.enum,
		.properties.direction.enum, .properties.dry_run.type, .properties.filter.type,
		.additionalProperties]' <(resp 1)
	assert_output '["object",["target","direction"],["files","database","content","skills","all"],["push","pull"],"boolean","string",false]'
	run jq -r '.result.tools[0] | .description, (.inputSchema.properties[] | .description) | length > 20' <(resp 1)
	refute_output --partial false
	# outputSchema since 2025-06-18, and the structured results it promises
	run jq -c '.result.tools[0].outputSchema | [.type, .required]' <(resp 1)
	assert_output '["object",["results"]]'
	session 2024-11-05 '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
	run jq -c '.result.tools[0] | [.name, has("outputSchema")]' <(resp 1)
	assert_output '["sync",false]'
}

@test "sp-mcp: tools/call runs the sync and returns its result records as text and structuredContent" {
	services
	export SP_SYNC=manifest-sync SP_REMOTE_MANIFEST=$PWD/remote.ndjson
	session 2025-06-18 "$(call 1 '{"target":"files","direction":"push"}')"
	[ "$rc" -eq 0 ]
	run jq -c '.result | [.isError, (.structuredContent.results | length)]' <(resp 1)
	assert_output '[null,1]'
	run jq -c '.result.structuredContent.results[0] | [.type, .operation, .success, .items_synced, .details.argv]' <(resp 1)
	assert_output '["result","files_push",true,4,["'"$BATS_TEST_DIRNAME"'/lib/manifest-sync","files","push"]]'
	# the text is the same records, as JSON
	run jq -r '.result | (.content[0].text | fromjson) == .structuredContent' <(resp 1)
	assert_output true
	# the real sp-collect | sp-manifest ran: the manifest it installed matches
	[ "$(jq -r .result.structuredContent.results[0].details.manifest_sha256 <(resp 1))" = "$(sha256sum <remote.ndjson | cut -d' ' -f1)" ]
	run jq -r .path remote.ndjson
	assert_line content/blog/post.md
	# the sync's log went to stderr, never to stdout
	grep -q '^manifest-sync: files_push' err
	run jq -r '.jsonrpc' out
	refute_output --partial null
}

@test "sp-mcp: dry_run and filter reach the sync as --dry-run and --filter, literally and without a shell" {
	services
	export SP_SYNC=manifest-sync SP_REMOTE_MANIFEST=$PWD/remote.ndjson
	session 2025-11-25 "$(call 1 '{"target":"files","direction":"push","dry_run":true,"filter":"*.md"}')" \
		"$(call 2 '{"target":"skills","direction":"pull","dry_run":false,"filter":"$(touch pwned); x`touch pwned2`"}')"
	run jq -c '.result.structuredContent.results[0] | [.details.argv[1:], .items_synced, .details.dry_run]' <(resp 1)
	assert_output '[["files","push","--dry-run","--filter","*.md"],2,true]'
	[ ! -e remote.ndjson ]	# a dry run changed nothing
	run jq -c '.result.structuredContent.results[0] | [.operation, .details.argv[1:]]' <(resp 2)
	assert_output '["skills_to_disk",["skills","pull","--filter","$(touch pwned); x`touch pwned2`"]]'
	[ ! -e pwned ] && [ ! -e pwned2 ]
}

@test "sp-mcp: a failing sync is a result with isError, its message and the records it printed" {
	export SP_SYNC=failing-sync
	session 2025-11-25 "$(call 1 '{"target":"all","direction":"push"}')"
	[ "$rc" -eq 0 ]
	run jq -c '.result | [.isError, .structuredContent.error.status, (.structuredContent.results | map(.operation))]' <(resp 1)
	assert_output '[true,69,["files_push"]]'
	run jq -r '.result.content[0].text' <(resp 1)
	assert_output "failing-sync all push failed with exit status 69: failing-sync: database push: cannot reach the cloud: connection refused"
	run jq -r 'has("error")' <(resp 1)
	assert_output false
	# a command that cannot be run at all
	SP_SYNC=$PWD/no-such-sync session 2025-11-25 "$(call 2 '{"target":"files","direction":"pull"}')"
	run jq -c '.result | [.isError, (.content[0].text | test("cannot run .*no-such-sync: No such file"))]' <(resp 2)
	assert_output '[true,true]'
	# a sync that prints something that is not a record
	printf '#!/bin/sh\necho "all good"\n' >chatty-sync
	chmod +x chatty-sync
	SP_SYNC=$PWD/chatty-sync session 2025-11-25 "$(call 3 '{"target":"files","direction":"pull"}')"
	run jq -c '.result | [.isError, (.content[0].text | test("not a record"))]' <(resp 3)
	assert_output '[true,true]'
	# a record that reports a failure, with exit status 0
	printf '#!/bin/sh\necho %s\n' "'{\"type\":\"result\",\"operation\":\"files_pull\",\"success\":false,\"errors\":[\"x\"]}'" >quiet-sync
	chmod +x quiet-sync
	SP_SYNC=$PWD/quiet-sync session 2025-11-25 "$(call 4 '{"target":"files","direction":"pull"}')"
	run jq -c '.result.isError' <(resp 4)
	assert_output true
}

@test "sp-mcp: invalid arguments come back as isError results and run nothing" {
	export SP_SYNC=$PWD/trace-sync
	printf '#!/bin/sh\ntouch "%s/ran"\n' "$PWD" >trace-sync
	chmod +x trace-sync
	session 2025-11-25 "$(call 1 '{"direction":"push"}')" \
		"$(call 2 '{"target":"everything","direction":"push"}')" \
		"$(call 3 '{"target":"files","direction":"sideways"}')" \
		"$(call 4 '{"target":"files","direction":"push","dry_run":"yes"}')" \
		"$(call 5 '{"target":"files","direction":"push","filter":7}')" \
		"$(call 6 '{"target":"files","direction":"push","force":true}')" \
		'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"sync"}}' \
		'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"sync","arguments":[]}}'
	[ "$rc" -eq 0 ]
	for id in 1 2 3 4 5 6 7 8; do
		run jq -c '[has("error"), .result.isError]' <(resp $id)
		assert_output '[false,true]'
	done
	run jq -r '.result.content[0].text' <(resp 1)
	assert_output 'missing required argument "target"'
	run jq -r '.result.content[0].text' <(resp 2)
	assert_output 'argument "target" must be one of files, database, content, skills, all'
	run jq -r '.result.content[0].text' <(resp 6)
	assert_output --partial 'unknown argument "force"'
	[ ! -e ran ]
}

@test "sp-mcp: JSON-RPC errors: parse error, invalid request, unknown method, unknown tool, invalid params" {
	session 2025-11-25 '{"jsonrpc":"2.0","id":1,"method":' \
		'{"jsonrpc":"1.0","id":2,"method":"ping"}' \
		'{"jsonrpc":"2.0","id":3,"method":42}' \
		'{"jsonrpc":"2.0","id":true,"method":"ping"}' \
		'17' \
		'{"jsonrpc":"2.0","id":5,"method":"resources/list"}' \
		'{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"rm-rf","arguments":{}}}' \
		'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{}}}' \
		'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"sync","arguments":[1]}}' \
		'{"jsonrpc":"2.0","id":9,"method":"tools/list","params":[1]}' \
		'{"jsonrpc":"2.0","id":10,"result":{}}'
	[ "$rc" -eq 0 ]
	run jq -c 'select(.id != 0) | [.id, .error.code]' out
	assert_output - <<-'EOF'
	[null,-32700]
	[2,-32600]
	[3,-32600]
	[null,-32600]
	[null,-32600]
	[5,-32601]
	[6,-32602]
	[7,-32602]
	[8,null]
	[9,-32602]
	EOF
	# arguments that are not an object are invalid arguments: a tool error
	run jq -c 'select(.id == 8) | [.result.isError, .result.content[0].text]' out
	assert_output '[true,"\"arguments\" must be an object"]'
	run jq -r 'select(.id == 6) | .error.message' out
	assert_output "Unknown tool: rm-rf"
}

@test "sp-mcp: batches are answered as arrays in 2025-03-26 and refused from 2025-06-18 on" {
	b='[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},{"jsonrpc":"2.0","id":2,"method":"tools/list"},5]'
	session 2025-03-26 "$b" '[{"jsonrpc":"2.0","method":"notifications/x"}]' '[]' \
		'[{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"2025-03-26"}}]'
	[ "$rc" -eq 0 ]
	run jq -c 'select(type == "array") | map([.id, (.result | type), .error.code])' out
	assert_output - <<-'EOF'
	[[1,"object",null],[2,"object",null],[null,"null",-32600]]
	[[3,"null",-32600]]
	EOF
	run jq -c 'select(type == "object" and .id == null) | .error.code' out
	assert_output -- -32600	# the empty batch
	[ "$(wc -l <out)" -eq 4 ]	# initialize, 2 batches, the empty one: the notification-only batch has no answer
	# a batch holding a call waits for it
	services
	SP_SYNC=manifest-sync session 2024-11-05 "[$(call 4 '{"target":"files","direction":"push","dry_run":true}'),{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}]"
	run jq -c 'select(type == "array") | map(.id) | sort' out
	assert_output '[4,5]'
	session 2025-06-18 "$b"
	run jq -c 'select(.id == null) | .error.code' out
	assert_output -- -32600
	echo '[{"jsonrpc":"2.0","id":1,"method":"ping"}]' | sp-mcp >out
	run jq -c '.error.code' out
	assert_output -- -32600
}

@test "sp-mcp: exits 0 at end of input, answering a last line without a newline; -v logs to stderr only" {
	services
	{ init 2025-11-25; printf '%s' "$(call 1 '{"target":"files","direction":"push","dry_run":true}')"; } |
		SP_SYNC=manifest-sync sp-mcp -v >out 2>err
	run jq -c '.result.structuredContent.results[0].operation' <(resp 1)
	assert_output '"files_push"'
	grep -q '^sp-mcp: <- tools/call' err
	grep -q '^sp-mcp: running manifest-sync files push --dry-run' err
	run jq -c 'keys' out
	assert_line '["id","jsonrpc","result"]'
	refute_output --partial method
	# an empty session is fine too
	run sp-mcp </dev/null
	assert_success
	assert_output ""
	# --sync overrides SP_SYNC
	{ init 2025-11-25; call 2 '{"target":"files","direction":"push"}'; echo; } |
		SP_SYNC=failing-sync sp-mcp --sync manifest-sync >out 2>err
	run jq -c '.result.structuredContent.results[0].details.argv[0] | endswith("manifest-sync")' <(resp 2)
	assert_output true
}

@test "sp-mcp: a write error on stdout exits 74" {
	init 2025-11-25 >in
	run bash -c "sp-mcp <in >/dev/full"
	[ "$status" -eq 74 ]
	assert_output --partial "sp-mcp: write error on standard output"
}

@test "sp-mcp: progress notifications carry the request's progressToken" {
	services
	printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sync","arguments":{"target":"files","direction":"push","dry_run":true},"_meta":{"progressToken":"tok"}}}' |
		SP_SYNC=manifest-sync sp-mcp >out
	run jq -c 'select(.method) | [.method, .params.progressToken, .params.progress, .params.message]' out
	assert_output '["notifications/progress","tok",1,"files_push"]'
}

@test "sp-mcp: pings are answered while a call runs; notifications/cancelled stops it and it gets no answer" {
	export SLOW_SYNC_DIR=$PWD
	mkfifo to from
	SP_SYNC=slow-sync sp-mcp <to >from 2>err 3>&- &
	pid=$!
	exec {w}>to {r}<from
	init 2025-11-25 >&$w
	read -r -t 30 line <&$r
	[[ "$line" == *'"id":0'* ]]
	call 1 '{"target":"files","direction":"pull"}' >&$w
	echo >&$w
	for _ in $(seq 1 600); do [ -e started ] && break; sleep 0.05; done
	[ -e started ]
	echo '{"jsonrpc":"2.0","id":2,"method":"ping"}' >&$w
	read -r -t 30 line <&$r
	[ "$line" = '{"jsonrpc":"2.0","id":2,"result":{}}' ]
	[ ! -e stopped ]	# still running when the ping was answered
	echo '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"user"}}' >&$w
	echo '{"jsonrpc":"2.0","id":3,"method":"ping"}' >&$w
	exec {w}>&-
	rest=$(cat <&$r)
	exec {r}<&-
	wait "$pid"	# exit 0
	[ "$rest" = '{"jsonrpc":"2.0","id":3,"result":{}}' ]
	[ "$(cat stopped)" = stopped ]
}

@test "sp-mcp: the official MCP TypeScript SDK client lists and calls the sync tool" {
	services
	sdk=$BATS_FILE_TMPDIR/sdk
	mkdir -p "$sdk"
	npm install --prefix "$sdk" --no-audit --no-fund --loglevel=error @modelcontextprotocol/sdk@1 >"$sdk/npm.log" 2>&1 ||
		fail "npm install @modelcontextprotocol/sdk failed: $(cat "$sdk/npm.log")"
	cat >"$sdk/client.mjs" <<-'EOF'
	import { Client } from "@modelcontextprotocol/sdk/client/index.js";
	import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

	async function session(sync, work) {
	  const transport = new StdioClientTransport({
	    command: "sp-mcp", args: [], stderr: "pipe",
	    env: { ...process.env, SP_SYNC: sync },
	  });
	  const client = new Client({ name: "sp-bats", version: "1.0.0" });
	  await client.connect(transport);
	  try { return await work(client); } finally { await client.close(); }
	}

	const out = {};
	await session("manifest-sync", async (client) => {
	  out.server = client.getServerVersion().name;
	  out.tools = (await client.listTools()).tools.map((t) => [t.name, t.inputSchema.required]);
	  const r = await client.callTool({ name: "sync",
	    arguments: { target: "files", direction: "push", dry_run: true, filter: "*.yml" } });
	  out.ok = [r.isError ?? false, r.structuredContent.results[0].operation,
	    r.structuredContent.results[0].items_synced];
	  out.text = JSON.parse(r.content[0].text).results.length;
	  const bad = await client.callTool({ name: "sync", arguments: { target: "files" } });
	  out.invalid = [bad.isError, bad.content[0].text];
	  await client.ping();
	});
	await session("failing-sync", async (client) => {
	  await client.listTools();
	  const r = await client.callTool({ name: "sync", arguments: { target: "all", direction: "push" } });
	  out.failed = [r.isError, r.structuredContent.error.status];
	});
	console.log(JSON.stringify(out));
	EOF
	run node "$sdk/client.mjs"
	assert_success
	assert_output '{"server":"sp-mcp","tools":[["sync",["target","direction"]]],"ok":[false,"files_push",2],"text":1,"invalid":[true,"missing required argument \"direction\""],"failed":[true,69]}'
}
