#!/usr/bin/env bats
# sp-cloudd: the cloud API over a real PostgreSQL, with curl as the
# independent client. Tokens travel in header files (curl -H @FILE), never
# in argv.

load helper
load lib/cloud

setup_file() {
	# it stops and restarts the database: a cluster of its own
	export SP_OWN_CLUSTER=1
	sp_env_up
	export CLOUD_DB=$SP_CLOUD_DATABASE_URL
	# a second tenant, and header files for both tenants' tokens
	(umask 077
	 DATABASE_URL=$CLOUD_DB sp-cloudd tenant add other >"$BATS_FILE_TMPDIR/other.token"
	 printf 'Authorization: Bearer %s\n' "$(cat "$SP_TOKEN_FILE")" >"$BATS_FILE_TMPDIR/local.hdr"
	 printf 'Authorization: Bearer %s\n' "$(cat "$BATS_FILE_TMPDIR/other.token")" \
		>"$BATS_FILE_TMPDIR/other.hdr")
	export H_LOCAL=$BATS_FILE_TMPDIR/local.hdr H_OTHER=$BATS_FILE_TMPDIR/other.hdr
	export OTHER_TOKEN_FILE=$BATS_FILE_TMPDIR/other.token
}

teardown_file() {
	sp_env_down
}

# No sanitizer report in a server's log (under make asan).
clean_log() {
	! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$1" >&2
}

teardown() {
	local p
	if [ -f "$BATS_TEST_TMPDIR/nobody-dir" ]; then rm -rf "$(cat "$BATS_TEST_TMPDIR/nobody-dir")"; fi
	for p in ${EXTRA_PIDS:-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ ! -f "$BATS_TEST_TMPDIR/log2" ] || clean_log "$BATS_TEST_TMPDIR/log2"
}

# A JSON error body with a message.
assert_json_error() {
	run jq -e -r '.error | select(type == "string" and length > 0)' body
	assert_success
}

# mkarchive DIR OUT: a valid archive of DIR (sp-pack when built, else the
# test builder).
mkarchive() {
	if command -v sp-pack >/dev/null 2>&1; then
		sp-collect "$1" | sp-manifest -C "$1" | sp-pack -C "$1" -o "$2" >/dev/null
	else
		cloudd-archive "$2" "$1"
	fi
}

# tree DIR N: a small tree whose content depends on N.
tree() {
	mkfile "$1/agents/a.yaml" "name: agent $2"
	mkfile "$1/skills/s/config.yml" "id: s$2"
	head -c 20000 /dev/urandom >"$1/blob.bin"
}


# The archive's tag: the SHA-256 of its manifest's bytes (sp-pack's
# manifest_sha256).
manifest_sha() { tar xzOf "$1" --wildcards '*.sp-manifest.json' | sha256sum | cut -c1-64; }

@test "sp-cloudd: /healthz answers without a token" {
	call - GET "$SP_API_URL/healthz"
	[ "$code" = 200 ]
	run jq -r .status body
	assert_output ok
}

@test "sp-cloudd tenant add: prints the token alone, stores only its hash" {
	run --separate-stderr env DATABASE_URL="$CLOUD_DB" sp-cloudd tenant add t-add
	assert_success
	[[ "$output" =~ ^spt_[0-9a-f]{16}_[0-9a-f]{64}$ ]] || fail "not a token: $output"
	tok=$output id=${output:4:16}
	# the database never holds the token, only SHA-256(token)
	run psql -X -At -d "$CLOUD_DB" -c "select encode(hash,'hex') from sp_cloud.tokens where id='$id'"
	assert_output "$(printf '%s' "$tok" | sha256sum | cut -c1-64)"
	psql -X -At -d "$CLOUD_DB" -c "select * from sp_cloud.tokens" -c "select * from sp_cloud.tenants" >dump
	[ -s dump ]
	refute grep -q "${tok:21}" dump
	# listed without secrets
	DATABASE_URL=$CLOUD_DB sp-cloudd token list t-add >list
	run jq -r '"\(.type) \(.id) \(.tenant) \(.revoked_at)"' list
	assert_output "token $id t-add null"
	refute grep -q "${tok:21}" list
	DATABASE_URL=$CLOUD_DB sp-cloudd tenant list >tenants
	run jq -r 'select(.id == "t-add") | "\(.type) \(.generation) \(.tokens)"' tenants
	assert_output "tenant 0 1"
	# its schema holds the row tables
	run psql -X -At -d "$CLOUD_DB" -c "select count(*) from pg_namespace where nspname = 'tenant_t-add'"
	assert_output 1
}

@test "sp-cloudd tenant/token: errors and exit status" {
	export DATABASE_URL=$CLOUD_DB
	run --separate-stderr sp-cloudd tenant add other
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[[ "$stderr" == *"already exists"* ]]
	run --separate-stderr sp-cloudd tenant add 'Bad/Id'
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run sp-cloudd token add no-such-tenant
	[ "$status" -eq 66 ]
	run sp-cloudd token revoke 0123456789abcdef
	[ "$status" -eq 66 ]
	run sp-cloudd token revoke "$(cat "$SP_TOKEN_FILE")"
	[ "$status" -eq 2 ]
	refute_secret "$output"
	run sp-cloudd tenant frobnicate
	[ "$status" -eq 2 ]
	unset DATABASE_URL
	run --separate-stderr sp-cloudd tenant list
	[ "$status" -eq 78 ]
	[[ "$stderr" == *DATABASE_URL* ]]
	run sp-cloudd -d "host=/nonexistent dbname=x" tenant list
	[ "$status" -eq 69 ]
	run --separate-stderr sp-cloudd -l 127.0.0.1:0
	[ "$status" -eq 78 ]
}

@test "sp-cloudd: 404 with a JSON error before the first push" {
	DATABASE_URL=$CLOUD_DB sp-cloudd tenant add fresh >fresh.token
	printf 'Authorization: Bearer %s\n' "$(cat fresh.token)" >fresh.hdr
	call fresh.hdr GET "$(api fresh /files)"
	[ "$code" = 404 ]
	assert_json_error
	call fresh.hdr GET "$(api fresh /files/manifest)"
	[ "$code" = 404 ]
	assert_json_error
}

@test "sp-cloudd: push, then manifest and pull give back exactly what was pushed" {
	tree t 1
	mkarchive t a.tgz
	call "$H_LOCAL" POST "$(api local /files)" --data-binary @a.tgz
	[ "$code" = 200 ] || fail "$(cat body)"
	gen=$(jq -r .generation body)
	run jq -r '"\(.files_uploaded) \(.manifest_sha256) \(.sha256) \(.size)"' body
	assert_output "3 $(manifest_sha a.tgz) $(sha256sum <a.tgz | cut -c1-64) $(stat -c %s a.tgz)"
	[[ "$(jq -r .uploaded_at body)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]]
	# the manifest, byte for byte, with ETag = its sha256
	call "$H_LOCAL" GET "$(api local /files/manifest)"
	[ "$code" = 200 ]
	tar xzOf a.tgz .sp-manifest.json | cmp - body
	grep -qi "^etag: \"$(manifest_sha a.tgz)\"" headers
	grep -qi '^content-type: application/json' headers
	# the archive, byte for byte
	call "$H_LOCAL" GET "$(api local /files)"
	[ "$code" = 200 ]
	cmp a.tgz body
	grep -qi "^etag: \"$(manifest_sha a.tgz)\"" headers
	grep -qi "^x-sp-generation: $gen" headers
	# and GNU tar unpacks it
	mkdir out && tar xzf body -C out && cmp t/blob.bin out/blob.bin
	# the next push is the next generation
	tree t 2
	mkarchive t b.tgz
	call "$H_LOCAL" POST "$(api local /files)" --data-binary @b.tgz
	[ "$code" = 200 ]
	[ "$(jq -r .generation body)" -eq $((gen + 1)) ]
	call "$H_LOCAL" GET "$(api local /files)"
	cmp b.tgz body
	# the tag is the manifest_sha256 that sp-pack reported
	run bash -c "sp-collect t | sp-manifest -C t | sp-pack -C t -o c.tgz | jq -r .manifest_sha256"
	[ "$output" = "$(manifest_sha c.tgz)" ]
}

@test "sp-cloudd: an archive made by GNU tar (./ names, directory entries) is accepted" {
	tree t 4
	mkarchive t sp.tgz
	mkdir g && tar -xzf sp.tgz -C g .sp-manifest.json
	tar --format=gnu -czf g.tgz -C g .sp-manifest.json -C ../t .
	tar -tzf g.tgz | grep -qx './agents/'
	call "$H_LOCAL" POST "$(api local /files)" --data-binary @g.tgz
	[ "$code" = 200 ] || fail "$(cat body)"
	[ "$(jq -r .manifest_sha256 body)" = "$(manifest_sha sp.tgz)" ]
	call "$H_LOCAL" GET "$(api local /files/manifest)"
	tar xzOf sp.tgz .sp-manifest.json | cmp - body
}

@test "sp-cloudd: If-None-Match with the manifest sha256 gives 304 and no body" {
	tree t 3
	mkarchive t a.tgz
	call "$H_LOCAL" POST "$(api local /files)" --data-binary @a.tgz
	[ "$code" = 200 ]
	tag=$(manifest_sha a.tgz)
	for inm in "\"$tag\"" "W/\"$tag\"" "\"0000\", \"$tag\"" '*'; do
		call "$H_LOCAL" GET "$(api local /files)" -H "If-None-Match: $inm"
		[ "$code" = 304 ] || fail "If-None-Match: $inm gave $code"
		[ ! -s body ]
		call "$H_LOCAL" GET "$(api local /files/manifest)" -H "If-None-Match: $inm"
		[ "$code" = 304 ]
		[ ! -s body ]
	done
	call "$H_LOCAL" GET "$(api local /files)" -H "If-None-Match: \"$(printf '%064d' 0)\""
	[ "$code" = 200 ]
	cmp a.tgz body
}

@test "sp-cloudd: no token, bad tokens and tokens in the URL get 401" {
	u=$(api local /files/manifest)
	call - GET "$u"
	[ "$code" = 401 ]
	assert_json_error
	grep -qi '^www-authenticate: Bearer' headers
	# well-formed but unknown; malformed; another scheme; an empty bearer
	printf 'Authorization: Bearer spt_%016d_%064d\n' 0 0 >h1
	printf 'Authorization: Bearer not-a-token\n' >h2
	printf 'Authorization: Basic %s\n' "$(printf 'local:%s' "$(cat "$SP_TOKEN_FILE")" | base64 -w0)" >h3
	printf 'Authorization: Bearer \n' >h4
	# the right id with a wrong secret
	t=$(cat "$SP_TOKEN_FILE")
	printf 'Authorization: Bearer %s%064d\n' "${t:0:21}" 0 >h5
	for h in h1 h2 h3 h4 h5; do
		call "$h" GET "$u"
		[ "$code" = 401 ] || fail "$h gave $code"
		assert_json_error
	done
	# a token in the query string is refused, even a valid one
	t=$(cat "$SP_TOKEN_FILE")
	for q in "token=$t" "access_token=$t" "x=$t"; do
		code=$(curl -s -o body -w '%{http_code}' "$u?$q")
		[ "$code" = 401 ] || fail "query $q gave $code"
		grep -q 'Authorization header' body
	done
}

@test "sp-cloudd: another tenant's token gets 403, on every route" {
	for r in /files /files/manifest /database/export /deploy; do
		call "$H_OTHER" GET "$(api local "$r")"
		[ "$code" = 403 ] || fail "GET $r gave $code"
		assert_json_error
	done
	for r in /files /database/import /deploy; do
		call "$H_OTHER" POST "$(api local "$r")" --data-binary '{}'
		[ "$code" = 403 ] || fail "POST $r gave $code"
	done
	# a tenant that does not exist is no different
	call "$H_LOCAL" GET "$(api nosuch /files)"
	[ "$code" = 403 ]
}

@test "sp-cloudd: a revoked token stops working at once" {
	export DATABASE_URL=$CLOUD_DB
	tok=$(sp-cloudd token add other)
	printf 'Authorization: Bearer %s\n' "$tok" >h
	call h GET "$(api other /deploy)"
	[ "$code" = 200 ]
	sp-cloudd token revoke "${tok:4:16}"
	call h GET "$(api other /deploy)"
	[ "$code" = 401 ]
	# the other tokens of the tenant still work
	call "$H_OTHER" GET "$(api other /deploy)"
	[ "$code" = 200 ]
	run sp-cloudd token list other
	assert_line --partial "\"id\":\"${tok:4:16}\""
	[ "$(jq -r "select(.id == \"${tok:4:16}\") | .revoked_at" <<<"$output")" != null ]
}

@test "sp-cloudd: tenant ids are validated, path tricks lead nowhere" {
	p=$SP_API_URL/api/v1/cloud/tenants
	for t in LOCAL 'loc%2Fal' '%2e%2e' '..' 'a.b' "$(printf 'a%.0s' $(seq 65))" ''; do
		code=$(curl -s --path-as-is -o body -w '%{http_code}' -H "@$H_LOCAL" "$p/$t/files")
		[[ "$code" = 400 || "$code" = 404 ]] || fail "tenant '$t' gave $code"
		assert_json_error
	done
	for path in "$p/local/../other/files" "$p/other/files/../../local/files" \
	    "$p/local/files/" "$p//local/files" "$p/local%2Ffiles" "$p/local/files%00" \
	    "$p/local/files/manifest/x" "$SP_API_URL/api/v1/cloud/tenants" "$SP_API_URL/"; do
		code=$(curl -s --path-as-is -o body -w '%{http_code}' -H "@$H_LOCAL" "$path")
		[[ "$code" = 400 || "$code" = 404 ]] || fail "$path gave $code"
		assert_json_error
	done
	# curl's own normalisation of ../ cannot smuggle local's token into other
	code=$(curl -s -o body -w '%{http_code}' -H "@$H_LOCAL" "$p/local/../other/files")
	[ "$code" = 403 ]
}

@test "sp-cloudd: wrong method 405 with Allow, unknown path 404, all JSON" {
	call "$H_LOCAL" DELETE "$(api local /files)"
	[ "$code" = 405 ]
	grep -qi '^allow: GET, HEAD, POST' headers
	assert_json_error
	call "$H_LOCAL" PUT "$(api local /files/manifest)"
	[ "$code" = 405 ]
	grep -qi '^allow: GET, HEAD' headers
	call "$H_LOCAL" GET "$(api local /database/import)"
	[ "$code" = 405 ]
	grep -qi '^allow: POST' headers
	call - POST "$SP_API_URL/healthz"
	[ "$code" = 405 ]
	call "$H_LOCAL" GET "$SP_API_URL/api/v2/anything"
	[ "$code" = 404 ]
	assert_json_error
	call "$H_LOCAL" GET "$(api local /nothing)"
	[ "$code" = 404 ]
	assert_json_error
}

@test "sp-cloudd: a body over the limit gets 413, declared or chunked" {
	start_cloudd log2 --max-body 64K
	head -c 200000 /dev/urandom >big
	u=$URL2/api/v1/cloud/tenants/local/files
	call "$H_LOCAL" POST "$u" --data-binary @big
	[ "$code" = 413 ]
	assert_json_error
	call "$H_LOCAL" POST "$u" --data-binary @big -H 'Transfer-Encoding: chunked'
	[ "$code" = 413 ]
	assert_json_error
	# the deploy endpoint has its own small limit
	head -c 100000 /dev/zero | tr '\0' a >bigjson
	call "$H_LOCAL" POST "$URL2/api/v1/cloud/tenants/local/deploy" --data-binary @bigjson
	[ "$code" = 413 ]
	# the spool holds nothing afterwards
	run find "$BATS_TEST_TMPDIR" -name '*.sp-tmp.*'
	assert_output ""
}

@test "sp-cloudd: a large push is streamed, never held in memory" {
	start_cloudd log2
	pid=${EXTRA_PIDS##* }
	mkdir t
	head -c $((48 << 20)) /dev/urandom >t/big.bin
	sp-collect t | sp-manifest -C t | sp-pack -C t -l 1 -o big.tgz >/dev/null
	hwm() { awk '/^VmHWM/ {print $2}' "/proc/$pid/status"; }
	curl -s -o /dev/null "$URL2/healthz"
	before=$(hwm)
	code=$(curl -s -o body -w '%{http_code}' -H "@$H_OTHER" --data-binary @big.tgz \
		"$URL2/api/v1/cloud/tenants/other/files")
	[ "$code" = 200 ] || fail "$(cat body)"
	curl -s -o pulled -H "@$H_OTHER" "$URL2/api/v1/cloud/tenants/other/files"
	cmp big.tgz pulled
	# 48 MiB went through; the server grew by far less
	grown=$(( $(hwm) - before ))
	[ "$grown" -lt $((24 << 10)) ] || fail "peak RSS grew by $grown KiB"
	# and PostgreSQL holds it in 1 MiB chunks
	run psql -X -At -d "$CLOUD_DB" -c "select count(*), max(length(data)) from sp_cloud.archive_chunks c join sp_cloud.archives a on a.id = c.archive where a.sha256 = '$(sha256sum <big.tgz | cut -c1-64)'"
	assert_output "$(( ($(stat -c %s big.tgz) + 1048575) / 1048576 ))|1048576"
}

@test "sp-cloudd: hostile and broken archives get 400, the current archive stays" {
	tree t 4
	mkarchive t good.tgz
	call "$H_LOCAL" POST "$(api local /files)" --data-binary @good.tgz
	[ "$code" = 200 ]
	gen=$(jq -r .generation body)
	cloudd-archive bad t all
	for kind in dotdot absolute badsum missing unlisted nomanifest symlink hardlink truncated garbage; do
		call "$H_LOCAL" POST "$(api local /files)" --data-binary "@bad/$kind.tgz"
		[ "$code" = 400 ] || fail "$kind archive gave $code: $(cat body)"
		assert_json_error
		# the message names the entry
		case $kind in
		dotdot) want=../evil ;; absolute) want=/tmp/evil ;; badsum) want=agents/a.yaml ;;
		unlisted) want=unlisted.txt ;; symlink) want=link ;; hardlink) want=hard ;;
		*) want="invalid archive" ;;
		esac
		grep -qF "$want" body || fail "$kind: $(cat body)"
	done
	call "$H_LOCAL" POST "$(api local /files)" --data-binary ''
	[ "$code" = 400 ]
	call "$H_LOCAL" GET "$(api local /files)"
	cmp good.tgz body
	grep -qi "^x-sp-generation: $gen" headers
}

@test "sp-cloudd: tenants are isolated from each other" {
	tree l 5
	tree o 6
	mkarchive l l.tgz
	mkarchive o o.tgz
	call "$H_LOCAL" POST "$(api local /files)" --data-binary @l.tgz
	[ "$code" = 200 ]
	call "$H_OTHER" POST "$(api other /files)" --data-binary @o.tgz
	[ "$code" = 200 ]
	call "$H_LOCAL" GET "$(api local /files)"
	cmp l.tgz body
	call "$H_OTHER" GET "$(api other /files)"
	cmp o.tgz body
	call "$H_OTHER" GET "$(api local /files)"
	[ "$code" = 403 ]
	! grep -q "$(manifest_sha l.tgz)" body
}

@test "sp-cloudd: concurrent pushes each succeed whole; exactly one is current" {
	for i in 1 2 3 4 5 6 7 8; do
		tree "t$i" "c$i"
		head -c 300000 /dev/urandom >"t$i/big.bin"
		mkarchive "t$i" "c$i.tgz"
	done
	call "$H_LOCAL" GET "$(api local /files/manifest)"
	before=$(grep -i '^x-sp-generation' headers | tr -dc 0-9)
	for i in 1 2 3 4 5 6 7 8; do
		curl -s -o "r$i" -w '%{http_code}\n' -H "@$H_LOCAL" --data-binary "@c$i.tgz" \
			"$(api local /files)" >"s$i" &
	done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		[ "$(cat "s$i")" = 200 ] || fail "push $i: $(cat "s$i") $(cat "r$i")"
	done
	# eight distinct generations
	run bash -c "jq -r .generation r? | sort -n | uniq | wc -l"
	assert_output 8
	call "$H_LOCAL" GET "$(api local /files)"
	[ "$(grep -i '^x-sp-generation' headers | tr -dc 0-9)" -eq $((before + 8)) ]
	# the current archive is one of the pushes, byte for byte
	n=0
	for i in 1 2 3 4 5 6 7 8; do cmp -s "c$i.tgz" body && n=$((n + 1)); done
	[ "$n" -eq 1 ]
	cur=$(sha256sum <body | cut -c1-64)
	# ... the one that got the highest generation
	winner=$(jq -r '"\(.generation) \(.sha256)"' r? | sort -n | tail -1 | cut -d' ' -f2)
	[ "$cur" = "$winner" ]
}

@test "sp-cloudd: two instances on one database serve the same data" {
	start_cloudd log2
	tree t 7
	mkarchive t a.tgz
	code=$(curl -s -o body -w '%{http_code}' -H "@$H_OTHER" --data-binary @a.tgz \
		"$URL2/api/v1/cloud/tenants/other/files")
	[ "$code" = 200 ]
	call "$H_OTHER" GET "$(api other /files)"
	cmp a.tgz body
	call "$H_OTHER" GET "$(api other /files/manifest)"
	tar xzOf a.tgz .sp-manifest.json | cmp - body
	# a push to the first is what the second serves
	tree t 8
	mkarchive t b.tgz
	call "$H_OTHER" POST "$(api other /files)" --data-binary @b.tgz
	[ "$code" = 200 ]
	curl -s -o body2 -H "@$H_OTHER" "$URL2/api/v1/cloud/tenants/other/files"
	cmp b.tgz body2
	# a token revoked through either is dead on both
	tok=$(DATABASE_URL=$CLOUD_DB sp-cloudd token add other)
	printf 'Authorization: Bearer %s\n' "$tok" >h
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H @h "$URL2/api/v1/cloud/tenants/other/deploy")" = 200 ]
	DATABASE_URL=$CLOUD_DB sp-cloudd token revoke "${tok:4:16}"
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H @h "$URL2/api/v1/cloud/tenants/other/deploy")" = 401 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H @h "$(api other /deploy)")" = 401 ]
}

@test "sp-cloudd: deploy runs the hook without a shell and records its status" {
	cat >hook <<-EOF
	#!/bin/sh
	printf '%s\n' "\$IMAGE" "\$TAG" "\$TENANT" "\$DEPLOYMENT_ID" >"$BATS_TEST_TMPDIR/hook.\$TAG"
	env >"$BATS_TEST_TMPDIR/hook-env.\$TAG"
	python3 -c 'import os, sys; d = "/proc/%d/fd/" % os.getppid(); open(sys.argv[1], "w").write("".join("%s %s\\n" % (f, os.readlink(d + f)) for f in os.listdir(d)))' "$BATS_TEST_TMPDIR/hook-fds.\$TAG"
	[ "\$TAG" = bad ] && exit 3
	echo "rolled out"
	echo "https://\$TENANT.example.test/"
	EOF
	chmod +x hook
	start_cloudd log2 --deploy-hook "$PWD/hook"
	d=$URL2/api/v1/cloud/tenants/other/deploy
	code=$(curl -s -o body -w '%{http_code}' -H "@$H_OTHER" --data-binary '{"image":"reg.example/app","tag":"v1"}' "$d")
	[ "$code" = 200 ] || fail "$(cat body)"
	run jq -r '"\(.status) \(.exit_code) \(.app_url)"' body
	assert_output "succeeded 0 https://other.example.test/"
	id=$(jq -r .deployment_id body)
	run cat hook.v1
	assert_output "reg.example/app
v1
other
$id"
	# no descriptor of the server reaches the hook (the spooled body of this
	# or another request, sockets, cached archives): only its own script
	run awk '$1 > 2 && $2 != "'"$PWD/hook"'"' hook-fds.v1
	assert_output ""
	[ "$(awk '$1 <= 2' hook-fds.v1 | wc -l)" -eq 3 ]	# and the listing is real
	# the state database's credentials do not reach the hook
	grep -q '^TENANT=other$' hook-env.v1
	run grep -E '^(DATABASE_URL|PG[A-Z]*)=' hook-env.v1
	assert_failure
	# shell metacharacters reach the hook as plain bytes
	code=$(curl -s -o body -w '%{http_code}' -H "@$H_OTHER" \
		--data-binary '{"image":"$(touch pwned); `touch pwned2`","tag":"t;x"}' "$d")
	[ "$code" = 200 ]
	[ "$(head -1 'hook.t;x')" = '$(touch pwned); `touch pwned2`' ]
	[ ! -e pwned ] && [ ! -e pwned2 ]
	# a failing hook fails the deployment
	code=$(curl -s -o body -w '%{http_code}' -H "@$H_OTHER" --data-binary '{"image":"app","tag":"bad"}' "$d")
	[ "$code" = 500 ]
	run jq -r '"\(.status) \(.exit_code)"' body
	assert_output "failed 3"
	assert_json_error
	# listed newest first, with their statuses
	code=$(curl -s -o body -w '%{http_code}' -H "@$H_OTHER" "$d")
	[ "$code" = 200 ]
	run jq -r '.deployments[] | "\(.tag) \(.status) \(.exit_code)"' body
	assert_line --index 0 "bad failed 3"
	assert_line --index 2 "v1 succeeded 0"
	# and the rows are in the database
	run psql -X -At -d "$CLOUD_DB" -c "select status from sp_cloud.deployments where id = '$id'"
	assert_output succeeded
}

@test "sp-cloudd: a repeated deploy request (same request_id) runs the hook once" {
	cat >hook <<-EOF
	#!/bin/sh
	echo "\$TAG" >>"$BATS_TEST_TMPDIR/hook.log"
	[ "\$TAG" = bad ] && exit 3
	exit 0
	EOF
	chmod +x hook
	start_cloudd log2 --deploy-hook "$PWD/hook"
	d=$URL2/api/v1/cloud/tenants/other/deploy
	rid=$(cat /proc/sys/kernel/random/uuid)
	for i in 1 2 3; do
		code=$(curl -s -o "body$i" -w '%{http_code}' -H "@$H_OTHER" \
			--data-binary "{\"image\":\"app\",\"tag\":\"v2\",\"request_id\":\"$rid\"}" "$d")
		[ "$code" = 200 ] || fail "attempt $i: $code $(cat "body$i")"
	done
	[ "$(jq -r .deployment_id body1)" = "$(jq -r .deployment_id body3)" ]
	[ "$(jq -r .repeated body1)" = null ]
	[ "$(jq -r '"\(.status) \(.repeated)"' body2)" = "succeeded true" ]
	run cat hook.log
	assert_output v2
	[ "$(psql -X -At -d "$CLOUD_DB" -c "select count(*) from sp_cloud.deployments where request_id = '$rid'")" = 1 ]
	# the same id for another image is a conflict; a failed one stays failed
	code=$(curl -s -o body -w '%{http_code}' -H "@$H_OTHER" \
		--data-binary "{\"image\":\"other\",\"tag\":\"v2\",\"request_id\":\"$rid\"}" "$d")
	[ "$code" = 409 ]
	assert_json_error
	rid2=$(cat /proc/sys/kernel/random/uuid)
	for i in 1 2; do
		code=$(curl -s -o body -w '%{http_code}' -H "@$H_OTHER" \
			--data-binary "{\"image\":\"app\",\"tag\":\"bad\",\"request_id\":\"$rid2\"}" "$d")
		[ "$code" = 500 ]
	done
	[ "$(grep -c bad hook.log)" = 1 ]
	# another tenant's id space is its own
	code=$(curl -s -o body -w '%{http_code}' -H "@$H_LOCAL" \
		--data-binary "{\"image\":\"app\",\"tag\":\"v2\",\"request_id\":\"$rid\"}" "$(api local /deploy)")
	[ "$code" = 200 ]
	[ "$(jq -r .repeated body)" = null ]
}

@test "sp-cloudd: deploy without a hook records; bad deploy bodies get 400" {
	d=$(api local /deploy)
	call "$H_LOCAL" POST "$d" --data-binary '{"image":"app","tag":"v9"}'
	[ "$code" = 200 ]
	run jq -r .status body
	assert_output recorded
	for b in '{"image":"app"' 'not json' '[]' '{"image":"app"}' '{"image":"","tag":"x"}' \
	    '{"image":"app","tag":7}' '{"image":"a\nb","tag":"x"}' '' \
	    '{"image":"app","tag":"x","request_id":"nope"}' '{"image":"app","tag":"x","request_id":7}'; do
		call "$H_LOCAL" POST "$d" --data-binary "$b"
		[ "$code" = 400 ] || fail "body '$b' gave $code"
		assert_json_error
	done
}

@test "sp-cloudd: the access log has every request and never a token" {
	call "$H_LOCAL" GET "$(api local /files/manifest)"
	t=$(cat "$SP_TOKEN_FILE")
	curl -s -o /dev/null "$(api local /files/manifest)?access_token=$t"
	curl -s -o /dev/null "$(api "$t" /files/manifest)"
	log=$SP_ENV_DIR/cloudd.log
	grep -q 'GET /api/v1/cloud/tenants/local/files/manifest [0-9]* [0-9]* [0-9]*ms' "$log"
	grep -q 'POST /api/v1/cloud/tenants/local/files 200 ' "$log"
	grep -q 'GET /api/v1/cloud/tenants/local/files/manifest 401 ' "$log"
	run grep -c 'access_token' "$log"
	assert_output 0
	for f in "$SP_TOKEN_FILE" "$OTHER_TOKEN_FILE"; do
		t=$(cat "$f")
		! grep -qF "${t:21}" "$log"
	done
	! grep -qi 'authorization' "$log"
}

# A DatabaseExport document with rows in every table; $1 changes a title.
dbdoc() {
	cat <<-EOF
	{"agents":[{"id":"00000000-0000-4000-8000-000000000001","name":"writer","metadata":{"k":[1,2]}}],
	 "users":[{"id":"00000000-0000-4000-8000-000000000002","name":"ann","email":"ann@example.test","roles":["admin","dev"]}],
	 "skills":[{"id":"00000000-0000-4000-8000-000000000003","skill_id":"s1","name":"Skill one","agent_id":"00000000-0000-4000-8000-000000000001","tags":[],"enabled":false},
	           {"id":"00000000-0000-4000-8000-000000000004","skill_id":"s2","name":"Skill \u00e9","tags":null}],
	 "contexts":[{"id":"00000000-0000-4000-8000-000000000005","name":"ctx","user_id":"00000000-0000-4000-8000-000000000002"}],
	 "content":[{"id":"00000000-0000-4000-8000-000000000006","source_id":"blog","slug":"hello","title":"${1:-Hello}","published_at":"2026-11-23T18:22:00.123456Z","body":"# Hi"}],
	 "timestamp":"2026-11-23T18:00:00Z"}
	EOF
}

table_md5() {
	psql -X -At -d "$CLOUD_DB" -c "select md5(string_agg(t::text, '|' order by id)) from \"tenant_$1\".$2 t"
}

rows() { psql -X -At -d "$CLOUD_DB" -c "select count(*) from \"tenant_$1\".$2"; }

@test "sp-cloudd: database import upserts in the tenant's schema, export gives it back" {
	dbdoc >doc.json
	call "$H_LOCAL" POST "$(api local /database/import)" --data-binary @doc.json
	[ "$code" = 200 ] || fail "$(cat body)"
	run jq -r '"\(.created) \(.updated) \(.unchanged) \(.tables.agent_skills.created)"' body
	assert_output "6 0 0 2"
	[ "$(rows local agent_skills)" -eq 2 ]
	[ "$(psql -X -At -d "$CLOUD_DB" -c 'select title from "tenant_local".content')" = Hello ]
	# the same document again changes nothing; one edit updates one row
	call "$H_LOCAL" POST "$(api local /database/import)" --data-binary @doc.json
	run jq -r '"\(.created) \(.updated) \(.unchanged)"' body
	assert_output "0 0 6"
	dbdoc Changed >doc2.json
	call "$H_LOCAL" POST "$(api local /database/import)" --data-binary @doc2.json
	run jq -r '"\(.created) \(.updated) \(.unchanged) \(.tables.content.updated)"' body
	assert_output "0 1 5 1"
	# the export is the DatabaseExport document with the same rows
	call "$H_LOCAL" GET "$(api local /database/export)"
	[ "$code" = 200 ]
	grep -qi '^content-type: application/json' headers
	run jq -r 'keys_unsorted | join(" ")' body
	assert_output "agents users skills contexts content timestamp"
	[ "$(jq -r '.content[0].title' body)" = Changed ]
	[ "$(jq -r '.content[0].published_at' body)" = 2026-11-23T18:22:00.123456Z ]
	[ "$(jq -c '.users[0].roles' body)" = '["admin","dev"]' ]
	[ "$(jq -c '[.skills[] | .tags]' body)" = '[[],null]' ]
	[ "$(jq -r '.skills[1].name' body)" = 'Skill é' ]
	[ "$(jq -c '.agents[0].metadata' body)" = '{"k":[1,2]}' ]
	# and it imports back unchanged
	mv body exported.json
	call "$H_LOCAL" POST "$(api local /database/import)" --data-binary @exported.json
	run jq -r '"\(.created) \(.updated) \(.unchanged)"' body
	assert_output "0 0 6"
	# another tenant sees none of it
	call "$H_OTHER" GET "$(api other /database/export)"
	[ "$code" = 200 ]
	run jq -r '[.agents, .users, .skills, .contexts, .content | length] | add' body
	assert_output 0
}

@test "sp-cloudd: a bad database document gets 400 and changes nothing" {
	dbdoc >doc.json
	call "$H_OTHER" POST "$(api other /database/import)" --data-binary @doc.json
	[ "$code" = 200 ]
	before=$(table_md5 other content)
	bad_uuid=$(dbdoc Changed | sed 's/00000000-0000-4000-8000-000000000004/not-a-uuid/')
	bad_col=$(dbdoc Changed | sed 's/"slug":"hello"/"slug":"hello","no_such_column":1/')
	dup_name=$(dbdoc Changed | sed 's/"skill_id":"s2"/"skill_id":"s1"/')
	unknown_table=$(dbdoc Changed | sed 's/^{"agents":/{"widgets":[{"id":"x"}],"agents":/')
	bad_member=$(dbdoc Changed | sed 's/^{"agents":/{"note": nonsense, "agents":/')
	for b in '{"agents":[' 'not json' '[]' '{"agents":{}}' '{"agents":[7]}' "$bad_uuid" \
	    "$bad_col" "$dup_name" '' "$unknown_table" "$bad_member" '{"x":{"a":]},"users":[]}'; do
		call "$H_OTHER" POST "$(api other /database/import)" --data-binary "$b"
		[ "$code" = 400 ] || fail "document ${b:0:40} gave $code: $(cat body)"
		assert_json_error
	done
	call "$H_OTHER" POST "$(api other /database/import)" --data-binary "$bad_uuid"
	grep -q 'skills\[1\]' body
	call "$H_OTHER" POST "$(api other /database/import)" --data-binary "$unknown_table"
	grep -q 'unknown table \\"widgets\\"' body || fail "$(cat body)"
	[ "$(table_md5 other content)" = "$before" ]
	[ "$(rows other agent_skills)" -eq 2 ]
}

@test "sp-env up as an unprivileged user: a DIR with a space, and a long one" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	w=$(mktemp -d /tmp/sp-env-nobody.XXXXXX)
	echo "$w" >"$BATS_TEST_TMPDIR/nobody-dir"
	# a copy of the tools that nobody may run, wherever the checkout is
	mkdir "$w/sp" && cp -r "$(dirname "$(command -v sp-cloudd)")" "$w/sp/bin" && cp -r "$REPO/scripts" "$w/sp/"
	chmod -R a+rX "$w" && chmod 777 "$w"
	for d in "$w/a b/e" "$w/$(printf 'long%.0s' $(seq 1 20))/e"; do
		cd "$w" && run runuser -u nobody -- env -i PATH="$w/sp/bin:$w/sp/scripts:/usr/bin:/bin" HOME="$w" \
			bash -c 'out=$(sp-env up "$1") && eval "$out" && psql -X -At "$DATABASE_URL" -c "select 1" &&
				sp-download -q manifest --missing-ok >/dev/null && sp-env purge "$1"' _ "$d"
		assert_success
		assert_output 1
	done
	cd "$BATS_TEST_TMPDIR"
	rm -rf "${w:?}"
}

@test "sp-env up: idempotent, a private token file, a tenant that works" {
	run sp-env up "$SP_ENV_DIR"
	assert_success
	assert_line "export SP_API_URL='$SP_API_URL'"
	assert_line "export SP_TENANT=local"
	assert_line "export SP_TOKEN_FILE='$SP_TOKEN_FILE'"
	[ "$(bash -c "$output"$'\n''echo "$SP_CLOUD_DATABASE_URL"')" = "$SP_CLOUD_DATABASE_URL" ]
	[[ "$SP_CLOUD_DATABASE_URL" == "host='"*"' port="*" dbname=cloud user=sp" ]]
	refute_secret "$output"
	[ "$(stat -c %a "$SP_TOKEN_FILE")" = 600 ]
	[ "$(wc -l <"$SP_TOKEN_FILE")" -eq 1 ]
	run sp-env status "$SP_ENV_DIR"
	assert_success
	assert_line --partial "sp-cloudd: running ($SP_API_URL)"
	DATABASE_URL=$CLOUD_DB sp-cloudd tenant list >t
	[ "$(jq -r 'select(.id == "local") | .id' t)" = local ]
	# a lost token file gets a new token for the same tenant
	mv "$SP_TOKEN_FILE" old.token
	sp-env up "$SP_ENV_DIR" >/dev/null
	[ -s "$SP_TOKEN_FILE" ] && ! cmp -s old.token "$SP_TOKEN_FILE"
	printf 'Authorization: Bearer %s\n' "$(cat "$SP_TOKEN_FILE")" >h
	call h GET "$(api local /deploy)"
	[ "$code" = 200 ]
	call "$H_LOCAL" GET "$(api local /deploy)"
	[ "$code" = 200 ]
}

@test "sp-env: a dead sp-cloudd behind a stale pid file is reported stopped, and up starts a new one" {
	pid=$(cat "$SP_ENV_DIR/cloudd.pid")
	kill -9 "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	# the pid file now names some other live process
	sleep 60 &
	other=$!
	EXTRA_PIDS="${EXTRA_PIDS:-} $other"
	echo "$other" >"$SP_ENV_DIR/cloudd.pid"
	run sp-env status "$SP_ENV_DIR"
	[ "$status" -eq 3 ]
	assert_line "sp-cloudd: stopped"
	run sp-env up "$SP_ENV_DIR"
	assert_success
	[ "$(cat "$SP_ENV_DIR/cloudd.pid")" != "$other" ]
	kill -0 "$other"	# not touched
	call - GET "$SP_API_URL/healthz"
	[ "$code" = 200 ]
	run sp-env status "$SP_ENV_DIR"
	assert_success
	assert_line "sp-cloudd: running ($SP_API_URL)"
}

@test "sp-cloudd -d CONNINFO: the conninfo (a password) does not stay in argv" {
	: >log3
	sp-cloudd -l 127.0.0.1:0 -d "$CLOUD_DB password=Sekr1tPw" 2>>log3 &
	p=$!
	EXTRA_PIDS="${EXTRA_PIDS:-} $p"
	for i in $(seq 1 100); do grep -q 'listening on' log3 && break; sleep 0.05; done
	grep -q 'listening on' log3
	run tr '\0' ' ' </proc/$p/cmdline
	refute_output --partial Sekr1tPw
	assert_output --partial "sp-cloudd -l 127.0.0.1:0 -d xxx"
	run ps -o args= -p "$p"
	refute_output --partial Sekr1tPw
	! grep -q Sekr1tPw log3
}

@test "sp-cloudd: a restart of the database and the server loses nothing" {
	tree t 9
	mkarchive t a.tgz
	call "$H_LOCAL" POST "$(api local /files)" --data-binary @a.tgz
	[ "$code" = 200 ]
	gen=$(jq -r .generation body)
	call "$H_LOCAL" POST "$(api local /deploy)" --data-binary '{"image":"app","tag":"before-restart"}'
	# a second server that outlives the database restart, its pool full
	# of connections the restart will close
	start_cloudd log2
	seq 1 40 | xargs -P 8 -I{} curl -s -o /dev/null -H "@$H_LOCAL" "$URL2/api/v1/cloud/tenants/local/files/manifest"
	old_url=$SP_API_URL
	sp-env down "$SP_ENV_DIR"
	clean_log "$SP_ENV_DIR/cloudd.log"
	run sp-env status "$SP_ENV_DIR"
	[ "$status" -eq 3 ]
	eval "$(sp-env up "$SP_ENV_DIR")"
	[ "$SP_API_URL" = "$old_url" ]	# the same port: what scripts eval'ed still works
	for i in $(seq 1 20); do
		c=$(curl -s -o /dev/null -w '%{http_code}' -H "@$H_LOCAL" "$URL2/api/v1/cloud/tenants/local/files/manifest")
		[ "$c" = 200 ] || fail "request $i after the restart: $c"
	done
	call "$H_LOCAL" GET "$(api local /files)"
	[ "$code" = 200 ]
	cmp a.tgz body
	grep -qi "^x-sp-generation: $gen" headers
	call "$H_LOCAL" GET "$(api local /deploy)"
	jq -e '.deployments[] | select(.tag == "before-restart")' body >/dev/null
	call "$H_OTHER" GET "$(api other /files/manifest)"
	[ "$code" = 200 ] || fail "other: $code $(cat body)"
}
