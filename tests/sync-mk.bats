#!/usr/bin/env bats
# scripts/sync.mk: Makefile-driven sync that does nothing when nothing changed.

load helper

setup_file() {
	sp_env_up
}

teardown_file() {
	sp_env_down
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	DATABASE_URL=$SP_CLOUD_DATABASE_URL sp-cloudd tenant add "mk$BATS_TEST_NUMBER" >token
	chmod 600 token
	export SP_TENANT=mk$BATS_TEST_NUMBER SP_TOKEN_FILE=$BATS_TEST_TMPDIR/token
	psql -X -q "$DATABASE_URL" -c "truncate agents, users, agent_skills, contexts, content cascade"
	printf 'include %s/scripts/sync.mk\n' "$REPO" >Makefile
	mkfile services/config/app.yaml "port: 1"
	mkfile services/skills/greet/config.yaml $'id: greet\nname: Greet\n'
	mkfile services/skills/greet/SKILL.md "Say hi."
	mkfile services/content/blog/one.md $'---\ntitle: One\nslug: one\n---\nBody.\n'
}

@test "sync.mk: make push pushes every kind, and a second run does nothing" {
	run make push
	assert_success
	assert_line --partial '"operation":"files_push","success":true,"items_synced":4'
	assert_line --partial '"operation":"skills_to_database","success":true,"items_synced":1'
	assert_line --partial '"operation":"content_to_database","success":true,"items_synced":1'
	assert_line --partial '"operation":"database_push","success":true,"items_synced":2'
	stamps=$(stat -c '%n %Y.%y' .sp/make/*.pushed)
	run make push
	assert_success
	refute_output --partial sp-sync
	refute_output --partial '"type":"result"'
	[ "$(stat -c '%n %Y.%y' .sp/make/*.pushed)" = "$stamps" ]
	# a touched file with the same bytes changes nothing either
	touch services/config/app.yaml
	run make push
	refute_output --partial sp-sync
}

@test "sync.mk: a change pushes only the kinds it touches" {
	make push >/dev/null
	printf 'More.\n' >>services/content/blog/one.md
	run make push
	assert_success
	assert_line --partial '"operation":"files_push","success":true,"items_synced":1'
	assert_line --partial '"operation":"content_to_database","success":true,"items_synced":1'
	assert_line --partial '"operation":"database_push","success":true,"items_synced":1'
	refute_output --partial skills_to_database
	run make pull-files
	assert_success
	assert_line --partial '"operation":"files_pull","success":true,"items_synced":0'
}

@test "sync.mk: a failing push fails make and leaves its stamp alone, so the next make retries" {
	echo "spt_0000000000000000_$(printf '%064d' 0)" >token
	chmod 600 token
	run make push-files
	assert_failure
	[ ! -e .sp/make/files.pushed ]
	DATABASE_URL=$SP_CLOUD_DATABASE_URL sp-cloudd token add "$SP_TENANT" >token
	chmod 600 token
	run make push-files
	assert_success
	assert_line --partial '"operation":"files_push","success":true'
}
