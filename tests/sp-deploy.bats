#!/usr/bin/env bats
# sp-deploy: the steps and their order against recording stubs of docker,
# cargo and npm (no Docker engine runs here; the docker stub keeps an image
# store and fails as docker does), and the deploy against a real sp-cloudd
# whose hook records IMAGE and TAG.

load helper

setup_file() {
	local hook=$BATS_FILE_TMPDIR/hook
	export DEPLOYED=$BATS_FILE_TMPDIR/deployed
	: >"$DEPLOYED"
	cat >"$hook" <<-EOF
	#!/bin/sh
	# the cloud's deploy hook: record what it was asked to run
	echo "IMAGE=\$IMAGE TAG=\$TAG TENANT=\$TENANT" >>'$DEPLOYED'
	case \$TAG in fail*) echo "cannot pull \$IMAGE:\$TAG" >&2; exit 3 ;; esac
	EOF
	chmod +x "$hook"
	export SP_DEPLOY_HOOK=$hook
	sp_env_up
	[ -n "${SP_API_URL:-}" ] || {
		echo "sp-env started no sp-cloudd" >&2
		return 1
	}
}

teardown_file() {
	sp_env_down
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir stubs
	for c in docker cargo npm; do ln -s "$REPO/tests/lib/recording-stub" "stubs/$c"; done
	export PATH=$PWD/stubs:$PATH STUB_LOG=$PWD/log
	mkdir proj
	cd proj || return 1
	git init -q
	printf 'FROM scratch\nCOPY target/release/app /app\n' >Dockerfile
	printf '[package]\nname = "app"\n' >Cargo.toml
	printf '{"name":"app","scripts":{"build":"vite build","test":"x"}}\n' >package.json
	commit
}

commit() {
	git add -A
	git -c user.name=t -c user.email=t@example.com commit -qm "commit $RANDOM"
}

# calls: the logged argv of every stubbed command, one JSON array a line
calls() { cat "$STUB_LOG" 2>/dev/null; }

deployments() { wc -l <"$DEPLOYED"; }

# cloud GET PATH: ask the cloud, the token in a header file (never in argv)
cloud() {
	printf 'Authorization: Bearer %s\n' "$(cat "$SP_TOKEN_FILE")" >"$BATS_TEST_TMPDIR/auth"
	curl -fsS -H @"$BATS_TEST_TMPDIR/auth" "$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT$1"
}

@test "sp-deploy: builds, tags, pushes and deploys, in that order, with exactly these argv" {
	before=$(deployments)
	run --separate-stderr sp-deploy --image acme/app --registry localhost:5000/team --tag v1.2
	assert_success
	run calls
	assert_output - <<-'EOF'
	["cargo","build","--release"]
	["npm","run","build"]
	["docker","build","-t","acme/app:v1.2","."]
	["docker","tag","acme/app:v1.2","localhost:5000/team/acme/app:v1.2"]
	["docker","push","localhost:5000/team/acme/app:v1.2"]
	EOF
	# the cloud ran its hook with the pushed image
	[ "$(deployments)" -eq $((before + 1)) ]
	run tail -1 "$DEPLOYED"
	assert_output "IMAGE=localhost:5000/team/acme/app TAG=v1.2 TENANT=$SP_TENANT"
	run cloud /deploy
	assert_success
	run jq -c '[.deployments[] | select(.tag == "v1.2") | .image]' <<<"$output"
	assert_output '["localhost:5000/team/acme/app"]'
}

@test "sp-deploy: stdout is one step record per step and a result record; the steps' output goes to stderr" {
	run --separate-stderr sp-deploy --image app --registry localhost:5000 --tag t1
	assert_success
	run jq -c 'select(.type == "step") | [.name, .command[0], .status, (.duration_ms | type)]' <<<"$output"
	assert_output - <<-'EOF'
	["build","cargo",0,"number"]
	["build","npm",0,"number"]
	["docker-build","docker",0,"number"]
	["docker-tag","docker",0,"number"]
	["docker-push","docker",0,"number"]
	["deploy","POST",0,"number"]
	EOF
	run --separate-stderr sp-deploy --image app --registry localhost:5000 --tag t1
	assert_success
	out=$output
	run jq -sc 'map(.type) | unique' <<<"$out"
	assert_output '["result","step"]'
	run jq -c 'select(.type == "result") | [.operation, .success, .items_synced, .details.deployment.status]' <<<"$out"
	assert_output '["deploy",true,1,"succeeded"]'
	run jq -r 'select(.name == "deploy") | .command[1]' <<<"$(sp-deploy --image app --tag t1 2>/dev/null)"
	assert_output "$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT/deploy"
	run sp-deploy --image app --tag t2
	assert_line "docker: stdout of docker push app:t2"
	assert_line "sp-deploy: docker-push: docker push app:t2"
}

@test "sp-deploy: the tag defaults to the short commit and a UTC timestamp" {
	run sp-deploy -n --image app
	assert_success
	tag=$(jq -r 'select(.type == "result") | .details.tag' <<<"$output")
	[[ "$tag" =~ ^$(git rev-parse --short HEAD)-20[0-9]{12}$ ]] || fail "tag $tag"
	[ "${tag#*-}" -le "$(date -u +%Y%m%d%H%M%S)" ]
}

@test "sp-deploy: a failing build stops everything after it, exit 70 naming the command" {
	before=$(deployments)
	STUB_FAIL='cargo *' run --separate-stderr sp-deploy --image app --registry localhost:5000 --tag b1
	[ "$status" -eq 70 ]
	[[ "$stderr" == *"sp-deploy: step build failed: cargo build --release exited with status 1"* ]] || fail "$stderr"
	run calls
	assert_output '["cargo","build","--release"]'
	[ "$(deployments)" -eq "$before" ]
	run jq -c '[.type, .status // .success]' <<<"$(STUB_FAIL='npm *' sp-deploy --image app --tag b2 2>/dev/null)"
	assert_output - <<-'EOF'
	["step",0]
	["step",1]
	["result",false]
	EOF
	[ "$(deployments)" -eq "$before" ]
}

@test "sp-deploy: a failed push never triggers a deploy" {
	before=$(deployments)
	STUB_FAIL='docker push *' run --separate-stderr sp-deploy --image app --registry localhost:5000 --tag p1
	[ "$status" -eq 70 ]
	[[ "$stderr" == *"step docker-push failed: docker push localhost:5000/app:p1 exited with status 1"* ]] || fail "$stderr"
	out=$output
	run jq -r '.[1]' "$STUB_LOG"
	assert_output - <<-'EOF'
	build
	run
	build
	tag
	push
	EOF
	run jq -c 'select(.type == "result") | [.success, .errors[0]]' <<<"$out"
	assert_output '[false,"step docker-push failed: docker push localhost:5000/app:p1 exited with status 1"]'
	[ "$(deployments)" -eq "$before" ]
	run cloud /deploy
	run jq '[.deployments[] | select(.tag == "p1")] | length' <<<"$output"
	assert_output 0
}

@test "sp-deploy: a registry token reaches docker login on stdin only, and no argv, output, log or child environment" {
	token=reg-$RANDOM-$RANDOM-secret
	export SP_REGISTRY_TOKEN=$token SP_REGISTRY_USER=deployer
	run --separate-stderr sp-deploy --image app --registry ghcr.io/acme --tag k1
	assert_success
	run calls
	assert_output - <<-'EOF'
	["cargo","build","--release"]
	["npm","run","build"]
	["docker","build","-t","app:k1","."]
	["docker","tag","app:k1","ghcr.io/acme/app:k1"]
	["docker","login","--username","deployer","--password-stdin","ghcr.io"]
	["docker","push","ghcr.io/acme/app:k1"]
	EOF
	[ "$(cat "$STUB_LOG.stdin.5")" = "$token" ]
	for f in "$STUB_LOG".stdin.[1234] "$STUB_LOG".stdin.6; do [ ! -s "$f" ]; done
	if grep -rqF -- "$token" "$STUB_LOG" "$STUB_LOG".env.* "$SP_ENV_DIR/cloudd.log"; then
		fail "the registry token leaked into an argv, an environment or the cloud's log"
	fi
	[[ "$output$stderr" != *"$token"* ]]
	# nor the API token: a build runs the project's code
	if grep -qF -- "$(cat "$SP_TOKEN_FILE")" "$STUB_LOG".env.*; then
		fail "the API token reached a step's environment"
	fi
	# the same from a file, whose trailing newline is not part of the token
	unset SP_REGISTRY_TOKEN
	printf '%s\n' "$token" >"$BATS_TEST_TMPDIR/regtoken"
	rm -f "$STUB_LOG"*
	SP_REGISTRY_TOKEN_FILE=$BATS_TEST_TMPDIR/regtoken run sp-deploy --image app --registry ghcr.io/acme --tag k2
	assert_success
	[ "$(cat "$STUB_LOG.stdin.5")" = "$token" ]
	refute_output --partial "$token"
	# a token without a user: docker login would refuse it, so nothing runs
	rm -f "$STUB_LOG"*
	SP_REGISTRY_TOKEN=$token SP_REGISTRY_USER= run sp-deploy --image app --registry ghcr.io/acme --tag k3
	[ "$status" -eq 78 ]
	assert_output --partial "SP_REGISTRY_USER"
	[ ! -e "$STUB_LOG" ]
}

@test "sp-deploy: without a registry token there is no login; without a registry the image is pushed as it was built" {
	run sp-deploy --image acme/app --tag n1 --skip-build
	assert_success
	run calls
	assert_output - <<-'EOF'
	["docker","build","-t","acme/app:n1","."]
	["docker","push","acme/app:n1"]
	EOF
	run tail -1 "$DEPLOYED"
	assert_output "IMAGE=acme/app TAG=n1 TENANT=$SP_TENANT"
}

@test "sp-deploy: -n prints the plan as step records and runs nothing" {
	before=$(deployments)
	SP_REGISTRY_TOKEN=dry-secret-42 SP_REGISTRY_USER=u run --separate-stderr sp-deploy -n --image app --registry localhost:5000 --tag d1
	assert_success
	run jq -c '[.name, .command, .status, .duration_ms]' <<<"$(grep '"step"' <<<"$output")"
	assert_output - <<-EOF
	["build",["cargo","build","--release"],null,null]
	["build",["npm","run","build"],null,null]
	["docker-build",["docker","build","-t","app:d1","."],null,null]
	["docker-tag",["docker","tag","app:d1","localhost:5000/app:d1"],null,null]
	["docker-login",["docker","login","--username","u","--password-stdin","localhost:5000"],null,null]
	["docker-push",["docker","push","localhost:5000/app:d1"],null,null]
	["deploy",["POST","$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT/deploy"],null,null]
	EOF
	[ ! -e "$STUB_LOG" ]
	[ "$(deployments)" -eq "$before" ]
	[[ "$output$stderr" != *dry-secret-42* ]]
}

@test "sp-deploy: build commands: detected, replaced by -b or SP_BUILD (split without a shell), or skipped" {
	rm Cargo.toml && commit
	run sp-deploy -n --image app --tag x
	run jq -c 'select(.name == "build") | .command' <<<"$output"
	assert_output '["npm","run","build"]'
	echo '{"scripts":{"test":"x"}}' >package.json && printf '[package]\n' >Cargo.toml && commit
	run sp-deploy -n --image app --tag x
	run jq -c 'select(.name == "build") | .command' <<<"$output"
	assert_output '["cargo","build","--release"]'
	run sp-deploy --image app --tag x -b "npm run 'release build'" -b 'cargo build $HOME; touch pwned'
	assert_success
	run calls
	assert_line --index 0 '["npm","run","release build"]'
	assert_line --index 1 '["cargo","build","$HOME;","touch","pwned"]'
	[ ! -e pwned ]
	rm -f "$STUB_LOG"*
	SP_BUILD=$'npm ci\nnpm run "build:prod"' run sp-deploy --image app --tag x
	assert_success
	run jq -c 'select(.[0] == "npm")' "$STUB_LOG"
	assert_output - <<-'EOF'
	["npm","ci"]
	["npm","run","build:prod"]
	EOF
	run sp-deploy -n --skip-build --image app --tag x
	run jq -r '.name' <<<"$output"
	refute_line build
	run sp-deploy -n --image app --tag x -b "npm 'oops"
	[ "$status" -eq 2 ]
	assert_output --partial "unterminated ' quote"
	echo '{"scripts":' >package.json && commit
	run sp-deploy -n --image app --tag x
	[ "$status" -eq 65 ]
	assert_output --partial "package.json:"
}

@test "sp-deploy: options and the environment: Dockerfile, context, image, registry, tag" {
	mkdir -p docker ctx && printf 'FROM scratch\n' >docker/Dockerfile.prod && touch ctx/.keep && commit
	export SP_IMAGE=env/app SP_REGISTRY=registry.example.com:5000 SP_TAG=e1 SP_DOCKERFILE=docker/Dockerfile.prod
	run sp-deploy --skip-build --context ctx
	assert_success
	run calls
	assert_output - <<-'EOF'
	["docker","build","-t","env/app:e1","-f","docker/Dockerfile.prod","ctx"]
	["docker","tag","env/app:e1","registry.example.com:5000/env/app:e1"]
	["docker","push","registry.example.com:5000/env/app:e1"]
	EOF
	run sp-deploy -n --skip-build --image opt/app --registry localhost:5000 --tag o1 -f Dockerfile
	run jq -c 'select(.name == "docker-build" or .name == "docker-push") | .command' <<<"$output"
	assert_output - <<-'EOF'
	["docker","build","-t","opt/app:o1","-f","Dockerfile","."]
	["docker","push","localhost:5000/opt/app:o1"]
	EOF
	# -C: the project is elsewhere
	cd "$BATS_TEST_TMPDIR"
	run sp-deploy -n -C proj
	assert_success
}

@test "sp-deploy: names docker would misread are refused before anything runs" {
	for bad in "--image App" "--image -rf" "--image a//b" "--tag -x" "--tag a:b" \
		"--registry https://r.example.com" "--registry -r" "--registry r.example.com/UP"; do
		read -r opt val <<<"$bad"
		run sp-deploy --image app --tag t "$opt" "$val"
		[ "$status" -eq 2 ] || fail "$bad: status $status"
	done
	SP_IMAGE='Bad Name' run sp-deploy
	[ "$status" -eq 78 ]
	assert_output --partial "SP_IMAGE: bad image name"
	run sp-deploy --tag t
	[ "$status" -eq 78 ]
	assert_output --partial "no image name"
	# a context that looks like an option is passed as a path
	mkdir -- -ctx && touch -- -ctx/.keep && commit
	run sp-deploy --skip-build --image app --tag t --context -ctx
	assert_success
	run jq -c 'select(.[1] == "build")' "$STUB_LOG"
	assert_output '["docker","build","-t","app:t","./-ctx"]'
}

@test "sp-deploy: a dirty work tree is refused unless --allow-dirty" {
	echo change >>Dockerfile
	run sp-deploy --image app --tag t
	[ "$status" -eq 65 ]
	assert_output --partial "uncommitted change"
	[ ! -e "$STUB_LOG" ]
	git checkout -q Dockerfile
	touch untracked-file
	run sp-deploy -n --image app --tag t
	[ "$status" -eq 65 ]
	run sp-deploy --allow-dirty --image app --tag t
	assert_success
	# outside git: no commit to check or to name the tag after
	rm -rf .git
	run sp-deploy -n --image app --tag t
	[ "$status" -eq 65 ]
	run sp-deploy -n --allow-dirty --image app
	[ "$status" -eq 78 ]
	assert_output --partial "give --tag"
	run sp-deploy -n --allow-dirty --image app --tag t
	assert_success
}

@test "sp-deploy: missing cloud configuration fails before any step; a failing hook fails the deploy step" {
	SP_API_URL= run sp-deploy --image app --tag c1
	[ "$status" -eq 78 ]
	[ ! -e "$STUB_LOG" ]
	before=$(deployments)
	run --separate-stderr sp-deploy --image app --tag fail-1
	[ "$status" -eq 70 ]
	[ "$(deployments)" -eq $((before + 1)) ]	# the hook ran, and failed
	run jq -c 'select(.name == "deploy") | .status != 0' <<<"$output"
	assert_output true
	[[ "$stderr" == *"step deploy failed"* ]] || fail "$stderr"
	run cloud /deploy
	run jq -r '.deployments[] | select(.tag == "fail-1") | .status' <<<"$output"
	assert_output failed
	# an unknown token is unauthorized
	echo not-a-token >"$BATS_TEST_TMPDIR/badtoken"
	chmod 600 "$BATS_TEST_TMPDIR/badtoken"
	SP_TOKEN_FILE=$BATS_TEST_TMPDIR/badtoken run sp-deploy --image app --tag c2
	[ "$status" -eq 77 ]
}

@test "sp-deploy: a write error on stdout exits 74" {
	run bash -c "sp-deploy -n --image app --tag t >/dev/full"
	[ "$status" -eq 74 ]
}
