#!/usr/bin/env bats
# sp-sync: every workflow of sp-sync(1), both directions, against a real
# PostgreSQL and a real sp-cloudd; dry runs, filters, --delete, failures.

load helper

setup_file() {
	sp_env_up
}

teardown_file() {
	sp_env_down
}

tables="agents users agent_skills contexts content"

# A tenant of its own and an empty local database for every test.
setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	local t="t$BATS_TEST_NUMBER"
	DATABASE_URL=$SP_CLOUD_DATABASE_URL sp-cloudd tenant add "$t" >token
	chmod 600 token
	export SP_TENANT=$t SP_TOKEN_FILE=$BATS_TEST_TMPDIR/token SP_STATE_DIR=$BATS_TEST_TMPDIR/.sp
	psql -X -q "$DATABASE_URL" -c "truncate $(echo "$tables" | tr ' ' ,) cascade"
}

# sample DIR: a service tree with every kind of thing in it.
sample() {
	local d=$1 s
	mkfile "$d/agents/support.yaml" "name: support"$'\n'
	mkfile "$d/config/app.yaml" "port: 8080"$'\n'
	mkfile "$d/mcp/servers.json" '{"servers":{}}'
	mkfile "$d/profiles/prod.yaml" "replicas: 2"$'\n'
	for s in greet summarize; do
		mkfile "$d/skills/$s/config.yaml" "id: $s
name: ${s^}
description: The $s skill
enabled: true
tags: [demo, $s]
file: SKILL.md
"
		mkfile "$d/skills/$s/SKILL.md" "# ${s^}"$'\n\nDo it.\n'
	done
	mkfile "$d/content/blog/one.md" $'---\ntitle: One\nslug: one\ntags: [a, b]\nafter_reading_this: [two]\n---\nFirst, caf\xc3\xa9.\n'
	mkfile "$d/content/blog/two.md" $'---\ntitle: Two\nslug: two\n---\nSecond.\n'
	mkfile "$d/content/docs/start.md" $'---\ntitle: Start\nslug: start\n---\nRun it.\n'
}

# rows: every row of every table, sorted, as JSON lines.
rows() {
	local t
	for t in $tables; do
		psql -X -q -At "$DATABASE_URL" -c "select row_to_json(x)::text from $t x order by id"
	done
}

# remote_paths: the paths in the cloud's manifest.
remote_paths() { sp-download -q manifest --missing-ok | jq -r .path; }

@test "files push, then pull into an empty tree: identical; a second push sends nothing" {
	sample services
	run sp-sync files push
	assert_success
	run jq -r '"\(.operation) \(.success) \(.items_synced) \(.details.upload.generation)"' <<<"$output"
	assert_output "files_push true 11 1"
	run sp-sync files push
	assert_success
	run jq -r '"\(.items_synced) \(.items_skipped) \(.details.unchanged)"' <<<"$output"
	assert_output "0 11 true"
	# the cloud still holds generation 1: nothing was uploaded
	run sp-download -q files -o a.tgz
	[ "$(tar xzf a.tgz -O .sp-manifest.json | jq '.files | length')" -eq 11 ]
	run curl -fsS -H "Authorization: Bearer $(cat token)" "$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT/files/manifest"
	assert_success
	run sp-sync -C fresh files pull
	assert_success
	run jq -r '"\(.operation) \(.items_synced)"' <<<"$output"
	assert_output "files_pull 11"
	diff -r services fresh
}

@test "files push --dry-run uploads nothing and lists exactly what would change" {
	sample services
	run sp-sync --dry-run files push
	assert_success
	run jq -c '[.items_synced, .details.dry_run, (.details.added | length)]' <<<"$output"
	assert_output "[11,true,11]"
	run remote_paths
	assert_output ""
	sp-sync files push >/dev/null
	echo changed >services/config/app.yaml
	rm services/profiles/prod.yaml
	mkfile services/config/new.yaml x
	run sp-sync --dry-run --delete files push
	run jq -c '[.items_synced, .items_deleted, .details.added, .details.modified, .details.removed]' <<<"$output"
	assert_output '[2,1,["config/new.yaml"],["config/app.yaml"],["profiles/prod.yaml"]]'
	run remote_paths
	assert_line profiles/prod.yaml
	refute_line config/new.yaml
}

@test "files push keeps files only in the cloud unless --delete, and says so" {
	sample services
	sp-sync files push >/dev/null
	rm services/profiles/prod.yaml
	echo v2 >services/config/app.yaml
	run sp-sync files push
	assert_success
	run jq -c '[.items_synced, .items_deleted, .details.removed, .details.removed_action]' <<<"$output"
	assert_output '[1,0,["profiles/prod.yaml"],"kept"]'
	run remote_paths
	assert_line profiles/prod.yaml
	run bash -c 'sp-download -q files | tar xzf - -O config/app.yaml'
	assert_output v2
	run sp-sync --delete files push
	run jq -c '[.items_synced, .items_deleted]' <<<"$output"
	assert_output '[0,1]'
	run remote_paths
	refute_line profiles/prod.yaml
}

@test "files push --filter changes only the matching paths in the cloud" {
	sample services
	sp-sync files push >/dev/null
	echo a2 >services/agents/support.yaml
	echo c2 >services/config/app.yaml
	run sp-sync --filter 'agents/**' files push
	assert_success
	run jq -c '[.items_synced, .details.modified]' <<<"$output"
	assert_output '[1,["agents/support.yaml"]]'
	run bash -c 'sp-download -q files | tar xzf - -O agents/support.yaml config/app.yaml'
	assert_output "a2
port: 8080"
	[ "$(remote_paths | wc -l)" -eq 11 ]
}

@test "files pull: --dry-run writes nothing; local-only files stay unless --delete; --filter" {
	sample services
	sp-sync files push >/dev/null
	mkdir local
	mkfile local/mine.txt keep
	mkfile local/config/app.yaml old
	run sp-sync -C local --dry-run files pull
	assert_success
	run jq -c '[.items_synced, .details.modified, .details.removed]' <<<"$output"
	assert_output '[11,["config/app.yaml"],["mine.txt"]]'
	[ "$(cat local/config/app.yaml)" = old ]
	[ ! -e local/agents ]
	run sp-sync -C local --filter 'config/**' files pull
	assert_success
	run jq -c '[.items_synced, .details.modified]' <<<"$output"
	assert_output '[1,["config/app.yaml"]]'
	[ ! -e local/agents ]
	[ "$(cat local/config/app.yaml)" = "port: 8080" ]
	run sp-sync -C local files pull
	[ -f local/mine.txt ]
	run sp-sync -C local --delete files pull
	run jq -c '[.items_deleted, .details.removed]' <<<"$output"
	assert_output '[1,["mine.txt"]]'
	[ ! -e local/mine.txt ]
	diff -r services local
}

@test "files pull is a delta: only the files whose content the tree lacks come; the rest is the tree's own, verified" {
	sample services
	for i in $(seq 1 50); do head -c 4000 /dev/urandom >"services/content/blob$i"; done
	sp-sync files push >/dev/null
	sp-sync -C local files pull >/dev/null
	# in the cloud: one edit and one rename
	head -c 4000 /dev/urandom >services/content/blob1
	mv services/content/blob2 services/content/blob2.moved
	sp-sync --delete files push >/dev/null
	run sp-sync -C local --delete files pull
	assert_success
	assert_equal "$(jq -c '[.items_synced, .items_deleted, .details.files_received, .details.bytes_received]' <<<"$output")" '[2,1,1,4000]'
	[ "$(jq .details.files_from_local <<<"$output")" -eq "$(find services -type f | wc -l | awk '{print $1 - 1}')" ]
	diff -r services local
	# a local edit is seen (the records are made for the pull) and undone
	# by the cloud's version, which comes over the wire
	printf 'x' >>local/content/blob4
	run sp-sync -C local files pull
	assert_equal "$(jq -c '[.items_synced, .details.files_received]' <<<"$output")" '[1,1]'
	diff -r services local
}

@test "files push is incremental: one edit sends one file; a racing push wins, the loser plans again and keeps the winner's files" {
	sample services
	for i in $(seq 1 40); do head -c 4000 /dev/urandom >"services/content/blob$i"; done
	sp-sync files push >/dev/null
	head -c 4000 /dev/urandom >services/content/blob1
	run sp-sync files push
	assert_success
	assert_equal "$(jq -c '.details.upload | [.delta, .files_received, .files_uploaded]' <<<"$output")" \
		"[true,1,$(find services -type f | wc -l)]"
	[ "$(jq .details.upload.archive_size <<<"$output")" -lt 20000 ]
	# a racing push lands between this push's plan and its upload (a shim
	# of sp-upload pushes another tree's file first, once)
	mkdir shim other
	mkfile other/racer.txt "the other client's"
	cat >shim/sp-upload <<-SHIM
	#!/bin/sh
	if [ ! -e "$BATS_TEST_TMPDIR/raced" ] && [ "\$2" = --base ]; then
		: >"$BATS_TEST_TMPDIR/raced"
		SP_STATE_DIR=$BATS_TEST_TMPDIR/.sp-other "$(command -v sp-sync)" -C "$BATS_TEST_TMPDIR/other" files push >/dev/null
	fi
	exec "$(command -v sp-upload)" "\$@"
	SHIM
	chmod +x shim/sp-upload
	head -c 4000 /dev/urandom >services/content/blob2
	run --separate-stderr env SP_BIN="$PWD/shim:$SP_BIN" sp-sync files push
	assert_success
	[ -e raced ]
	[[ "$stderr" == *"409 Conflict"* && "$stderr" == *"planning again"* ]] || fail "$stderr"
	# planned again: the racer's file is kept (it is only in the cloud, no --delete)
	run bash -c 'sp-download -q manifest | jq -r .path | grep -c racer.txt'
	assert_output 1
	sp-sync -C fresh files pull >/dev/null
	cmp fresh/content/blob2 services/content/blob2
	[ "$(cat fresh/racer.txt)" = "the other client's" ]
}

@test "files pull --filter --delete: matching local-only files go in the same atomic step" {
	sample services
	sp-sync files push >/dev/null
	mkdir local
	mkfile local/mine.txt keep
	mkfile local/config/stale.yaml stale
	mkfile local/config/app.yaml old
	mkfile local/agents/local-only.yaml mine
	run sp-sync -C local --filter 'config/**' --delete files pull
	assert_success
	run jq -c '[.items_synced, .items_deleted, .details.modified, .details.removed]' <<<"$output"
	assert_output '[1,1,["config/app.yaml"],["config/stale.yaml"]]'
	[ ! -e local/config/stale.yaml ]
	[ "$(cat local/config/app.yaml)" = "port: 8080" ]
	[ "$(cat local/mine.txt)" = keep ] && [ "$(cat local/agents/local-only.yaml)" = mine ]
	[ ! -e local/agents/support.yaml ]
	run ls -A
	refute_output --partial sp-tmp
}

@test "the state directory goes beside the service tree, not into the working directory" {
	sample app/services
	mkdir elsewhere
	unset SP_STATE_DIR
	(cd elsewhere && SP_SERVICES=$BATS_TEST_TMPDIR/app/services sp-sync files push >/dev/null)
	[ -d app/.sp/cache ]
	[ -z "$(ls -A elsewhere)" ]
	(cd app && sp-sync files push >/dev/null)	# ./services: ./.sp, as before
	[ "$(ls app/.sp/cache | wc -l)" -ge 1 ]
	# a ./.sp made here by an earlier version stays in use while the tree
	# has none beside it
	sample new/services
	mkdir -p old/.sp
	(cd old && SP_SERVICES=$BATS_TEST_TMPDIR/new/services sp-sync files push >/dev/null)
	[ -d old/.sp/cache ] && [ ! -e new/.sp ]
}

@test "database push and pull: local -> cloud -> an empty local database, every row identical" {
	sample services
	sp-sync skills push >/dev/null
	sp-sync content push >/dev/null
	sp-dbimport --operation seed >/dev/null <<-'EOF'
	{"type":"row","table":"agents","data":{"id":"0b4f5a4e-3c1d-4e5f-8a9b-0c1d2e3f4a5b","name":"support","metadata":{"k":[1,{"x":null}]}}}
	{"type":"row","table":"users","data":{"id":"1c5a6b7d-4e2f-4a6b-9c0d-1e2f3a4b5c6d","name":"ada","email":"ada@example.org","roles":["admin"]}}
	EOF
	rows >before
	run sp-sync --dry-run database push
	assert_success
	run jq -c '[.operation, .items_synced, .details.dry_run]' <<<"$output"
	assert_output '["database_push",7,true]'
	run bash -c 'sp-download -q database | wc -l'
	assert_output 0
	run sp-sync database push
	run jq -c '[.items_synced, .details.upload.created]' <<<"$output"
	assert_output '[7,7]'
	psql -X -q "$DATABASE_URL" -c "truncate $(echo "$tables" | tr ' ' ,) cascade"
	run sp-sync --dry-run database pull
	run jq -c '[.items_synced, .details.created]' <<<"$output"
	assert_output '[7,7]'
	[ "$(rows | wc -l)" -eq 0 ]
	run sp-sync database pull
	assert_success
	rows | diff - before
	run sp-sync database push
	run jq -c '[.items_synced, .details.unchanged]' <<<"$output"
	assert_output '[0,true]'
}

@test "database: numbers travel as written (1.0, 2^53+1); an unchanged push sends nothing" {
	mkfile services/skills/n/config.yaml $'id: n\nname: N\nver: 1.0\nbig: 9007199254740993\nratio: 2.50\n'
	mkfile services/skills/n/SKILL.md x
	sp-sync skills push >/dev/null
	sp-sync database push >/dev/null
	run sp-sync database push
	assert_success
	run jq -c '[.items_synced, .details.unchanged]' <<<"$output"
	assert_output '[0,true]'
	psql -X -q "$DATABASE_URL" -c "truncate $(echo "$tables" | tr ' ' ,) cascade"
	sp-sync database pull >/dev/null
	run psql -X -At "$DATABASE_URL" -c "select metadata->>'ver', metadata->>'big' from agent_skills"
	assert_output '1.0|9007199254740993'
	rm -rf services
	sp-sync skills pull >/dev/null
	grep -qx 'ver: 1.0' services/skills/n/config.yaml
	grep -qx 'big: 9007199254740993' services/skills/n/config.yaml
}

@test "database: --filter picks rows (a table, a skill id …, as sp-diff); pull --delete removes local-only rows, reported" {
	sample services
	sp-sync skills push >/dev/null
	sp-sync content push >/dev/null
	# one skill by its id: only its row goes
	run sp-sync --filter greet database push
	run jq -c '[.items_synced, .details.tables, .details.created]' <<<"$output"
	assert_output '[1,["agent_skills"],["agent_skills/'"$(psql -X -At "$DATABASE_URL" -c "select id from agent_skills where skill_id = 'greet'")"'"]]'
	run bash -c 'sp-download -q database | jq -r .data.skill_id'
	assert_output greet
	# a table: the rest of its rows
	run sp-sync --filter skills database push
	run jq -c '[.items_synced, .items_skipped, .details.tables]' <<<"$output"
	assert_output '[1,1,["agent_skills"]]'
	run bash -c 'sp-download -q database | jq -r .table | sort -u'
	assert_output agent_skills
	run --separate-stderr sp-sync --filter 'nope*' database push
	assert_success
	assert_equal "$(jq -c '[.items_synced, .details.tables]' <<<"$output")" '[0,[]]'
	[[ "$stderr" == *"database_push: no row matches the filter"* ]] || fail "$stderr"
	mkfile services/skills/extra/config.yaml $'id: extra\nname: Extra\n'
	mkfile services/skills/extra/SKILL.md x
	sp-sync skills push >/dev/null
	run sp-sync --filter skills database pull
	run jq -c '[.items_deleted]' <<<"$output"
	assert_output '[0]'
	[ "$(psql -X -At "$DATABASE_URL" -c 'select count(*) from agent_skills')" -eq 3 ]
	run sp-sync --filter skills --delete database pull
	run jq -c '[.items_deleted]' <<<"$output"
	assert_output '[1]'
	[ "$(psql -X -At "$DATABASE_URL" -c "select count(*) from agent_skills where skill_id = 'extra'")" -eq 0 ]
}

@test "database push --delete: rows gone locally go in the cloud too, in the same step; dry run counts them; a filter scopes them" {
	sample services
	sp-sync skills push >/dev/null
	sp-sync content push >/dev/null
	sp-sync database push >/dev/null
	greet=$(psql -X -At "$DATABASE_URL" -c "select id from agent_skills where skill_id = 'greet'")
	psql -X -q "$DATABASE_URL" -c "delete from agent_skills where skill_id = 'greet'" \
		-c "delete from content where slug = '$(psql -X -At "$DATABASE_URL" -c 'select slug from content order by slug limit 1')'" \
		-c "update agent_skills set description = 'edited' where skill_id = 'summarize'"
	# without --delete: the removed rows are kept in the cloud, and named
	run sp-sync --dry-run database push
	assert_success
	assert_equal "$(jq -c '[.items_synced, .items_deleted, (.details.only_in_cloud | length), .details.removed_action]' <<<"$output")" '[1,0,2,"kept"]'
	# a dry run with --delete counts exactly what would go, and changes nothing
	run sp-sync --dry-run --delete database push
	assert_equal "$(jq -c '[.items_synced, .items_deleted, .details.removed_action]' <<<"$output")" '[1,2,"deleted"]'
	[ "$(sp-download -q database | wc -l)" -eq "$(( $(rows | wc -l) + 2 ))" ]
	# a filter scopes the deletions: only the skill goes
	run sp-sync --filter skills --delete database push
	assert_success
	assert_equal "$(jq -c '[.items_synced, .items_deleted, .details.upload.deleted, .details.only_in_cloud]' <<<"$output")" \
		"[1,1,1,[\"agent_skills/$greet\"]]"
	[ -z "$(sp-download -q database | jq -r 'select(.data.skill_id == "greet")')" ]
	[ "$(sp-download -q database | wc -l)" -eq "$(( $(rows | wc -l) + 1 ))" ]
	# then everything: the cloud's rows are the local rows
	run sp-sync --delete database push
	assert_equal "$(jq -c '[.items_synced, .items_deleted]' <<<"$output")" '[0,1]'
	diff <(sp-dbexport | sort) <(sp-download -q database | sort)
	run sp-sync --delete database push
	assert_equal "$(jq -c '[.items_synced, .items_deleted, .details.unchanged]' <<<"$output")" '[0,0,true]'
}

@test "skills and content: disk -> database -> a new disk tree, lossless" {
	sample services
	run sp-sync skills push
	run jq -c '[.operation, .items_synced]' <<<"$output"
	assert_output '["skills_to_database",2]'
	run sp-sync content push
	run jq -c '[.operation, .items_synced]' <<<"$output"
	assert_output '["content_to_database",3]'
	run sp-sync -C out skills pull
	run jq -c '[.operation, .items_synced]' <<<"$output"
	assert_output '["skills_to_disk",2]'
	run sp-sync -C out content pull
	assert_success
	sp-scan skills services/skills | sort >a
	sp-scan skills out/skills | sort >b
	cmp a b
	sp-scan content services/content | jq -c 'del(.data.file_path)' | sort >a
	sp-scan content out/content | jq -c 'del(.data.file_path)' | sort >b
	cmp a b
	# dry run and filter
	echo "More." >>services/skills/greet/SKILL.md
	run sp-sync --dry-run skills push
	run jq -c '[.items_synced, .details.dry_run]' <<<"$output"
	assert_output '[1,true]'
	run sp-sync --filter summarize skills push
	run jq -c '.items_synced' <<<"$output"
	assert_output 0
	run sp-sync --filter greet skills push
	run jq -c '.items_synced' <<<"$output"
	assert_output 1
}

@test "all push = files + database + deploy (skipped without an image); all pull = files + database" {
	sample services
	sp-sync skills push >/dev/null
	run --separate-stderr sp-sync all push
	assert_success
	[[ "$stderr" == *"deploy: skipped, no image configured"* ]]
	run jq -r .operation <<<"$output"
	assert_output "files_push
database_push
deploy"
	run jq -r 'select(.operation == "deploy") | .details.skipped' <<<"$(sp-sync -q all push)"
	assert_output --partial "SP_IMAGE"
	rm -rf services
	psql -X -q "$DATABASE_URL" -c "truncate $(echo "$tables" | tr ' ' ,) cascade"
	run sp-sync all pull
	assert_success
	run jq -r '"\(.operation) \(.items_synced)"' <<<"$output"
	assert_output "files_pull 11
database_pull 2"
}

@test "all push with an image deploys through sp-deploy (docker stubbed: no engine here)" {
	sample services
	mkdir stubs
	for c in docker cargo npm; do ln -s "$REPO/tests/lib/recording-stub" "stubs/$c"; done
	export STUB_LOG=$BATS_TEST_TMPDIR/stub.log
	mkdir app
	printf 'FROM scratch\n' >app/Dockerfile
	git -C app init -q && git -C app add Dockerfile &&
		git -C app -c user.name=t -c user.email=t@t commit -qm app
	run --separate-stderr env PATH="$PWD/stubs:$PATH" SP_IMAGE=shop SP_TAG=v1 SP_DEPLOY_DIR="$PWD/app" sp-sync all push
	assert_success
	run jq -r 'select(.operation == "deploy") | "\(.success) \(.details.image // .details.deployment.image // "")"' <<<"$output"
	assert_line --partial "true"
	run grep -c '^\["docker","build"' "$STUB_LOG"
	assert_output 1
	run curl -fsS -H "Authorization: Bearer $(cat token)" "$SP_API_URL/api/v1/cloud/tenants/$SP_TENANT/deploy"
	assert_output --partial '"tag":"v1"'
}

@test "a failing stage stops the workflow with its status and message; nothing after it runs" {
	sample services
	echo "spt_0000000000000000_$(printf '%064d' 0)" >token
	chmod 600 token
	run --separate-stderr sp-sync all push
	assert_failure 77
	run jq -r '"\(.operation) \(.success)"' <<<"$output"
	assert_output "files_push false"
	[[ "$stderr" == *unauthorized* ]]
	refute_secret "$output" "$stderr"
	run --separate-stderr sp-sync -C nowhere files push
	assert_failure 66
	run jq -r '.errors[0]' <<<"$output"
	assert_output --partial "nowhere"
}

@test "--config FILE: KEY=VALUE settings override the environment; unknown keys are refused" {
	sample alt
	printf '# settings\nSP_SERVICES=%s\nexport SP_TENANT="%s"\n' "$PWD/alt" "$SP_TENANT" >sync.conf
	run env SP_TENANT=other sp-sync --config sync.conf files push
	assert_success
	run jq -r .items_synced <<<"$output"
	assert_output 11
	printf 'SP_SERVICES=x\nSP_TOKN=y\n' >bad.conf
	run sp-sync --config bad.conf files push
	assert_failure 78
	assert_output "sp-sync: bad.conf:2: unknown setting \"SP_TOKN\""
}

@test "nothing configured: the embedded default (sp-env) is started and used" {
	sample services
	run env -u DATABASE_URL -u SP_API_URL -u SP_TENANT -u SP_TOKEN_FILE \
		SP_ENV_DIR="$BATS_TEST_TMPDIR/embedded" sp-sync files push
	sp-env purge "$BATS_TEST_TMPDIR/embedded" >/dev/null
	assert_success
	assert_line --partial "using the embedded environment"
	assert_line --partial '"operation":"files_push","success":true,"items_synced":11'
}

@test "a short summary on stderr only when stderr is a terminal; -q silences it" {
	sample services
	run --separate-stderr sp-sync --dry-run files push
	[ -z "$stderr" ]
	script -qec "sp-sync --dry-run files push" /dev/null >tty.out
	run cat tty.out
	assert_output --partial "files_push: ok, 11 synced, 0 skipped, 0 deleted (dry run)"
	script -qec "sp-sync -q --dry-run files push" /dev/null >tty.out
	run grep -c 'files_push: ok' tty.out
	assert_output 0
}

@test "usage: targets, directions and options; options may follow the operands" {
	run sp-sync files
	assert_failure 2
	run sp-sync disks push
	assert_failure 2
	assert_output --partial 'unknown target "disks"'
	run sp-sync files sideways
	assert_failure 2
	run sp-sync --bogus files push
	assert_failure 2
	sample services
	run sp-sync files push --dry-run --filter 'agents/**'
	assert_success
	run jq -c '[.items_synced, .details.dry_run]' <<<"$output"
	assert_output '[1,true]'
}
